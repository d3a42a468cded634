"""The README sections docs/serve.md and docs/operate.md: every python block runs (in order, shared names),
and the app passes the governance gate (synth raises on any unacknowledged finding; every acknowledgement
is in the reviewed allowlist)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aws_cdk import App

from constructs_ml.governance import apply_governance
from tests.support import assert_governance_clean, governed_synth

DOCS = Path(__file__).resolve().parents[2] / "docs"


def blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), flags=re.S)


@pytest.mark.parametrize("doc", ["serve.md", "operate.md"])
def test_examples_run(doc: str) -> None:
    found = blocks(doc)
    assert len(found) >= 3
    namespace: dict[str, object] = {}
    for code in found:
        exec(compile(code, f"docs/{doc}", "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, App)
    apply_governance(app)  # after the example: the reader's app, governed as the README says
    result = governed_synth(app)  # raises RuntimeError (with the report) on any unacknowledged finding
    assert result.assembly.stacks
    assert result.report.get("title") == "Validation Report", "the governance packs did not run"
    assert_governance_clean(result)
