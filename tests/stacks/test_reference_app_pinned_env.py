"""The reference platform pinned to an account and region (as `cdk deploy` with credentials does).

A concrete region makes CDK render partitions and regions literally (``arn:aws:...``), which changes
cdk-nag's finding ids; the reviewed acknowledgements must still match and nothing else may appear.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import Environment

from stacks.app import build_platform
from stacks.config import load_config
from tests.support import GovernedSynth, assert_governance_clean, governed_synth, new_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pinned() -> GovernedSynth:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = new_app(governed=False, **context)
    config = load_config(app.node.get_all_context(), base_dir=ROOT)
    build_platform(app, config, env=Environment(account="123456789012", region="us-east-1"))
    return governed_synth(app)


def test_governance_clean_with_a_concrete_environment(pinned: GovernedSynth) -> None:
    assert_governance_clean(pinned)
    rendered = json.dumps(pinned.template("Platform"))
    assert "arn:aws:sagemaker:us-east-1:123456789012:" in rendered  # the literal form really was exercised
