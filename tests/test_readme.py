"""Every ```python block in README.md is a complete, runnable example: run each one as a script."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def readme_examples() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text())


def test_the_readme_has_examples() -> None:
    assert len(readme_examples()) >= 1


@pytest.mark.parametrize("index", range(len(readme_examples())))
def test_readme_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / f"readme_example_{index}.py"
    script.write_text(readme_examples()[index])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "cdk.out"))
    runpy.run_path(str(script), run_name="__main__")
    assert (tmp_path / "cdk.out" / "manifest.json").exists()
