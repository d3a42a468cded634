"""The top-level package exports the constructs a platform engineer composes, each from its layer."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import constructs_ml
import constructs_ml.serve


def test_every_top_level_name_is_the_layer_object() -> None:
    layers = [
        importlib.import_module(f"constructs_ml.{m}")
        for m in ("foundation", "studio", "develop", "serve", "operate", "governance", "label", "edge", "delivery")
    ]
    for name in constructs_ml.__all__:
        obj = getattr(constructs_ml, name)
        owners = [layer for layer in layers if getattr(layer, name, None) is obj]
        assert owners or name in ("ValidationError", "InstanceType"), name


def test_the_main_constructs_are_importable_from_the_top_level() -> None:
    for name in (
        "MlNetwork",
        "PlatformKeys",
        "SecureBucket",
        "Personas",
        "StudioDomain",
        "TrainingPipeline",
        "ModelRegistry",
        "FeatureGroup",
        "Endpoint",
        "Model",
        "ModelMonitor",
        "RetrainingTrigger",
        "DeployOnApproval",
        "SageMakerChecks",
        "apply_governance",
        "PlatformPipeline",
        "ApprovalForwarding",
    ):
        assert name in constructs_ml.__all__ and hasattr(constructs_ml, name), name


def test_a_value_error_for_bad_props() -> None:
    assert issubclass(constructs_ml.ValidationError, ValueError)


#: The package and every layer (each top-level subpackage, so a new layer is checked without edits).
LAYERS = tuple(
    f"constructs_ml.{m.name}"
    for m in pkgutil.iter_modules([str(Path(__file__).parents[1] / "constructs_ml")])
    if m.ispkg and not m.name.startswith("_")
)
PACKAGES = ("constructs_ml", *LAYERS)


def _type_checking_names(package: str) -> set[str]:
    """Names a package imports (or aliases) under ``if TYPE_CHECKING:``, what mypy and IDEs see."""
    module = importlib.import_module(package)
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    names.update(a.asname or a.name for a in stmt.names)
                elif isinstance(stmt, ast.Assign):
                    names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_lazy_exports_type_checking_imports_and_all_agree(package: str) -> None:
    module = importlib.import_module(package)
    exports = set(module._EXPORTS)
    assert exports == _type_checking_names(package)
    assert set(module.__all__) <= exports | {"__version__"}
    for name in module.__all__:
        assert getattr(module, name) is not None, name
        assert name in dir(module)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"module 'constructs_ml\.serve' has no attribute 'Endpoints'"):
        constructs_ml.serve.Endpoints  # noqa: B018


def test_importing_the_package_loads_no_aws_cdk_module() -> None:
    probe = (
        "import sys, constructs_ml, constructs_ml.serve, constructs_ml.operate\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'cdk_nag')))\n"
        "from constructs_ml import Endpoint\n"
        "print('aws_cdk.aws_sagemaker' in sys.modules, 'aws_cdk.aws_glue' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert out[1] == "True False"  # asking for an endpoint imports the serve chain, not every layer
