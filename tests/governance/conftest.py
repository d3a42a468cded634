"""One synth of the reference platform for every report test that needs it (session-scoped)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.app import build_platform
from stacks.config import load_config
from tests.support import governed_synth, new_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def reference_assembly() -> Path:
    """The reference platform's cloud assembly, synthesized with every governance check."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = new_app(governed=False, **context)
    build_platform(app, load_config(app.node.get_all_context(), base_dir=ROOT))
    return governed_synth(app).outdir
