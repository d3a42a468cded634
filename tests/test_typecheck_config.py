"""mypy checks every aws-cdk-lib module the code imports (pyproject skips the others, for speed)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import aws_cdk

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["constructs_ml", "stacks", "lambdas", "scripts", "benchmarks", "app.py"]
SUBMODULES = {p.name for p in Path(aws_cdk.__file__).parent.iterdir() if (p / "__init__.py").exists()}


def imported_cdk_modules() -> set[str]:
    """``aws_cdk`` submodules imported anywhere mypy checks (``from aws_cdk import x``, ``aws_cdk.x``)."""
    found: set[str] = set()
    for source in SOURCES:
        path = ROOT / source
        for file in [path] if path.is_file() else path.rglob("*.py"):
            text = file.read_text()
            found.update(re.findall(r"^\s*(?:from|import) (aws_cdk\.[a-z0-9_.]+)", text, re.M))
            for base, names in re.findall(r"^\s*from (aws_cdk\.[a-z0-9_.]+) import ([^\n]+)", text, re.M):
                folder = Path(aws_cdk.__file__).parent.joinpath(*base.split(".")[1:])
                found.update(f"{base}.{n}" for n in re.split(r"[\s,()]+", names) if (folder / n).is_dir())
            for names in re.findall(r"^\s*from aws_cdk import (\([^)]*\)|[^\n]+)", text, re.M):
                found.update(f"aws_cdk.{n}" for n in re.split(r"[\s,()]+", names) if n in SUBMODULES)
    return found


def checked_modules() -> set[str]:
    """Modules the mypy overrides in pyproject.toml follow normally."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {
        module
        for override in config["tool"]["mypy"]["overrides"]
        if override.get("follow_imports") == "normal"
        for module in override["module"]
    }


def test_every_imported_cdk_module_is_type_checked() -> None:
    imported = imported_cdk_modules()
    assert {"aws_cdk.aws_iam", "aws_cdk.aws_sagemaker", "aws_cdk.interfaces.aws_events"} <= imported
    missing = sorted(imported - checked_modules())
    assert not missing, f"add these to the follow_imports = normal list in pyproject.toml: {missing}"
