"""The README sections docs/serve.md and docs/operate.md: every python block runs (in order, shared names)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aws_cdk import App

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
    assert app.synth().stacks
