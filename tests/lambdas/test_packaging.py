"""The Lambda code reaches a user who only ``pip install``s the library.

Builds the wheel from a clean copy of the sources, installs it with ``--no-deps`` into a fresh venv,
and asks the installed library (in a subprocess, outside the checkout) where the code the construct
deploys lives. What proves the point:

- the fresh venv has no ``constructs_ml`` but the wheel's: it is not created with
  ``--system-site-packages`` (that would expose the base interpreter, not the dev venv) and the dev
  venv's site-packages is only appended to ``sys.path`` through a ``.pth`` line, for aws-cdk-lib and
  jsii. A directory added that way does not have its own ``.pth`` files run, so the dev venv's
  editable-install finder (which maps ``constructs_ml`` to the checkout) stays inactive;
- the subprocess runs from a temporary directory without ``PYTHONPATH``, so the checkout is not on
  ``sys.path`` either;
- it then checks that :func:`lambda_code_root` (what ``GlueFunction`` uses) resolves inside the
  installed package and that the handler files and the shared ``glue_common`` package there are the
  checkout's (``glue_common`` is not a function: it has no handler).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "constructs_ml", "lambdas")
FUNCTIONS = ("deploy_on_approval", "edge_deploy", "retraining_trigger")
SHARED = "glue_common"
SHARED_MODULES = sorted(p.name for p in (REPO / "lambdas" / SHARED).glob("*.py"))
PROBE = """
import json, sys
import constructs_ml.operate.glue_function as glue
root = glue.lambda_code_root()
print(json.dumps({
    "module": glue.__file__,
    "root": str(root),
    "functions": glue.available_functions(),
    "checkout_on_path": any(p.rstrip("/") == sys.argv[1] for p in sys.path),
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a clean copy of the sources (no build/, egg-info or caches of the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        else:
            shutil.copy2(source, src / name)
    dist = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (built,) = dist.glob("constructs_ml-*.whl")
    return built


def test_the_wheel_carries_every_handler(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    for function in FUNCTIONS:
        for module in ("__init__.py", "handler.py"):
            assert f"constructs_ml/_lambdas/{function}/{module}" in names
    assert "__init__.py" in SHARED_MODULES
    for module in SHARED_MODULES:
        assert f"constructs_ml/_lambdas/{SHARED}/{module}" in names
    assert "constructs_ml/operate/glue_function.py" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "lambdas/"))]


def test_the_installed_library_deploys_the_code_inside_the_installed_package(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # Without PYTHONPATH: a checkout on it makes pip find constructs_ml "already satisfied" and skip it.
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}

    probe = subprocess.run(
        [str(python), "-c", PROBE, str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )

    assert probe.returncode == 0, probe.stderr[-3000:]
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert not found["checkout_on_path"]
    assert Path(found["module"]).is_relative_to(site), found
    root = Path(found["root"])
    assert root == site / "constructs_ml" / "_lambdas", found
    assert found["functions"] == list(FUNCTIONS)
    for function in FUNCTIONS:
        installed = root / function / "handler.py"
        assert installed.read_bytes() == (REPO / "lambdas" / function / "handler.py").read_bytes()
    assert sorted(p.name for p in (root / SHARED).glob("*.py")) == SHARED_MODULES
    for module in SHARED_MODULES:
        assert (root / SHARED / module).read_bytes() == (REPO / "lambdas" / SHARED / module).read_bytes()
