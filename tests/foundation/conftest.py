from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack

from tests.fixtures import ENV, Foundation
from tests.support import GovernedSynth, governed_synth, new_app


@pytest.fixture(scope="package")
def foundation_synth() -> tuple[GovernedSynth, Foundation, Stack]:
    """One governed, validating synth of a stack with every foundation construct at defaults."""
    app = new_app()
    stack = Stack(app, "FoundationTest", env=ENV)
    foundation = Foundation(stack)
    return governed_synth(app), foundation, stack


@pytest.fixture(scope="package")
def template(foundation_synth: tuple[GovernedSynth, Foundation, Stack]) -> dict[str, Any]:
    result, _, stack = foundation_synth
    return result.template(stack)
