"""The top-level package exports the constructs a platform engineer composes, each from its layer."""

from __future__ import annotations

import importlib

import constructs_ml


def test_every_top_level_name_is_the_layer_object() -> None:
    layers = [
        importlib.import_module(f"constructs_ml.{m}")
        for m in ("foundation", "studio", "develop", "serve", "operate", "governance", "delivery")
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
