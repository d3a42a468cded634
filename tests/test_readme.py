"""Every ```python block in README.md is a complete, runnable example: run each one as a script.

Each runs as ``__main__`` from its own file and working directory, in the test process: a fresh
interpreter per example cost ~4 s of start-up (Python, then the jsii kernel loading aws-cdk-lib) and
proved nothing more. The examples call ``App()`` with no outdir, so each synthesizes into a new
temporary directory; the test reads it from the apps the script made.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from aws_cdk import App

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
    names = runpy.run_path(str(script), run_name="__main__")
    apps = [v for v in names.values() if isinstance(v, App)]
    assert apps, "the example makes no App"
    for app in apps:
        assert (Path(app.outdir) / "manifest.json").exists(), f"the example did not synthesize its app ({app.outdir})"


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
