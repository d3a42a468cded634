"""Every ```python block in README.md is a complete, runnable example: run each one as a script.

Each runs in its own interpreter, as a reader would run it (the jsii kernel of the test process cannot
see environment changes such as ``CDK_OUTDIR`` made after it started).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def readme_examples() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text())


def test_the_readme_has_examples() -> None:
    assert len(readme_examples()) >= 1


@pytest.mark.parametrize("index", range(len(readme_examples())))
def test_readme_example_runs(index: int, tmp_path: Path) -> None:
    script = tmp_path / f"readme_example_{index}.py"
    script.write_text(readme_examples()[index])
    env = dict(os.environ, CDK_OUTDIR=str(tmp_path / "cdk.out"), PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "cdk.out" / "manifest.json").exists()


def test_the_capability_table_lists_every_example_and_its_test() -> None:
    """Each runnable example under docs/examples/ is in README's capability table, and every file the table
    names (examples, tests, docs) exists, so the table cannot point at something that was moved."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Capabilities") : text.index("## Foundation")]
    for example in sorted((ROOT / "docs" / "examples").glob("*.py")):
        assert f"docs/examples/{example.name}" in table, example.name
    named = set(re.findall(r"\((docs/[\w./-]+\.(?:py|md))\)", table)) | set(re.findall(r"`(tests/[\w./-]+)`", table))
    assert len(named) >= 20
    for path in sorted(named):
        assert (ROOT / path).exists(), path
    for layer in ("label", "edge", "delivery", "studio", "develop", "serve", "operate", "governance"):
        assert f"constructs_ml.{layer}" in text, layer
