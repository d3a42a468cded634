"""One InstanceType for build and serve: same class under every name, union of constants, both validations.

Build steps take an InstanceType or a pipeline parameter and reject names that are not ``ml.<family>.<size>``;
serve constructs reject such names too and use the GPU/accelerator helpers. No synth: constructs are only built.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import App, Stack, Token

import constructs_ml.develop as build
import constructs_ml.develop.pipeline as build_pipeline
import constructs_ml.develop.pipeline.steps_base as steps_base
import constructs_ml.serve as serve
import constructs_ml.serve.common as serve_common
from constructs_ml.develop import ParameterString, S3Location, TrainingPipeline, TransformStep
from constructs_ml.errors import ValidationError
from constructs_ml.instance_types import InstanceType
from constructs_ml.serve import Autoscaling, Endpoint, InstanceVariant, Model
from tests.develop.conftest import ImportedInfra, imported_infra
from tests.fixtures import ENV
from tests.serve.conftest import Foundation, foundation

CONSTANTS = {
    # formerly build-only
    "ML_P3_2XLARGE": "ml.p3.2xlarge",
    # formerly serve-only
    "ML_T2_MEDIUM": "ml.t2.medium",
    "ML_C5_LARGE": "ml.c5.large",
    "ML_G4DN_XLARGE": "ml.g4dn.xlarge",
    "ML_G5_2XLARGE": "ml.g5.2xlarge",
    "ML_INF2_XLARGE": "ml.inf2.xlarge",
    # in both
    "ML_M5_LARGE": "ml.m5.large",
    "ML_M5_XLARGE": "ml.m5.xlarge",
    "ML_M5_2XLARGE": "ml.m5.2xlarge",
    "ML_C5_XLARGE": "ml.c5.xlarge",
    "ML_C5_2XLARGE": "ml.c5.2xlarge",
    "ML_G5_XLARGE": "ml.g5.xlarge",
}


# -- one class ----------------------------------------------------------------------------------------


def test_every_public_name_is_the_same_class() -> None:
    names = [
        build.InstanceType,
        build_pipeline.InstanceType,
        steps_base.InstanceType,
        serve.InstanceType,
        serve_common.InstanceType,
    ]
    assert all(n is InstanceType for n in names)
    assert "InstanceType" in build.__all__ and "InstanceType" in serve.__all__


@pytest.mark.parametrize(("attr", "name"), sorted(CONSTANTS.items()))
def test_constants_are_the_union_of_both_layers(attr: str, name: str) -> None:
    constant = getattr(InstanceType, attr)
    assert isinstance(constant, InstanceType)
    assert constant.name == name and str(constant) == name and repr(constant) == f"InstanceType({name!r})"
    assert constant.is_valid


def test_value_semantics() -> None:
    assert InstanceType.of("ml.m5.large") == InstanceType.ML_M5_LARGE
    assert InstanceType.of("ml.m5.large") != InstanceType.ML_M5_XLARGE
    assert InstanceType.ML_M5_LARGE != "ml.m5.large"
    assert len({InstanceType.of("ml.c5.xlarge"), InstanceType.ML_C5_XLARGE}) == 1
    with pytest.raises(AttributeError):
        InstanceType.ML_M5_LARGE.name = "ml.m5.24xlarge"  # type: ignore[misc]  # read-only on purpose
    assert InstanceType.ML_M5_LARGE.name == "ml.m5.large"


@pytest.mark.parametrize(
    ("name", "valid", "family", "gpu", "accelerated"),
    [
        ("ml.m5.large", True, "m5", False, False),
        ("ml.p3.2xlarge", True, "p3", True, True),
        ("ml.g6e.12xlarge", True, "g6e", True, True),
        ("ml.inf2.xlarge", True, "inf2", False, True),
        ("ml.trn1n.32xlarge", True, "trn1n", False, True),
        ("m5.large", False, "", False, False),
        ("ml.m5", False, "", False, False),
        ("ML.M5.LARGE", False, "", False, False),
        ("ml.m5.large ", False, "", False, False),
        ("ml.m5.large\n", False, "", False, False),
    ],
)
def test_validation_helpers(name: str, valid: bool, family: str, gpu: bool, accelerated: bool) -> None:
    t = InstanceType.of(name)
    assert (t.is_valid, t.family, t.is_gpu, t.is_accelerated) == (valid, family, gpu, accelerated)


def test_a_token_is_valid_but_has_no_family() -> None:
    t = InstanceType.of(Token.as_string({"Ref": "HostingInstanceType"}))
    assert t.is_token and t.is_valid
    assert (t.family, t.is_gpu, t.is_accelerated) == ("", False, False)


# -- build: pipeline steps ----------------------------------------------------------------------------


def _pipeline(instance_type: Any) -> TrainingPipeline:
    stack = Stack(App(), "Build", env=ENV)
    infra: ImportedInfra = imported_infra(stack)
    step = TransformStep(
        "Transform",
        model_name="churn-model",
        input_data=S3Location(infra.data, "input/"),
        instance_type=instance_type,
    )
    return TrainingPipeline(
        stack,
        "P",
        steps=[step],
        parameters=[p for p in [instance_type] if isinstance(p, ParameterString)],
        vpc=infra.vpc,
        security_groups=[infra.security_group],
        encryption_key=infra.key,
        artifacts_bucket=infra.artifacts,
    )


def _transform_instance_type(pipeline: TrainingPipeline) -> Any:
    (step,) = pipeline.definition["Steps"]
    return step["Arguments"]["TransformResources"]["InstanceType"]


def test_a_build_step_takes_a_constant_from_either_layer() -> None:
    assert _transform_instance_type(_pipeline(serve.InstanceType.ML_INF2_XLARGE)) == "ml.inf2.xlarge"
    assert _transform_instance_type(_pipeline(build.InstanceType.ML_P3_2XLARGE)) == "ml.p3.2xlarge"


def test_a_build_step_takes_a_pipeline_parameter_instead() -> None:
    parameter = ParameterString("TransformInstanceType", default_value="ml.m5.large")
    assert _transform_instance_type(_pipeline(parameter)) == {"Get": "Parameters.TransformInstanceType"}


def test_a_build_step_rejects_a_name_without_ml() -> None:
    with pytest.raises(
        ValidationError,
        match=r"Build/P: steps\[Transform\]\.instance_type must be an ML instance type like ml\.m5\.xlarge "
        r"\(got 'm5\.large'\)",
    ):
        _pipeline(InstanceType.of("m5.large"))


# -- serve: endpoints ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def f() -> Iterator[Foundation]:
    yield foundation(App(), "Serve")


@pytest.fixture(scope="module")
def model(f: Foundation) -> Model:
    return f.model("M")


def test_an_endpoint_takes_a_former_build_constant_with_the_gpu_preset(f: Foundation, model: Model) -> None:
    variant = InstanceVariant(
        model=model,
        instance_type=build.InstanceType.ML_P3_2XLARGE,
        autoscaling=Autoscaling.gpu_utilization(max_capacity=2),
    )
    endpoint = Endpoint(f.stack, "Gpu", variants=[variant])
    assert endpoint.node.path == "Serve/Gpu"


def test_an_endpoint_rejects_a_name_without_ml(f: Foundation, model: Model) -> None:
    with pytest.raises(
        ValidationError,
        match=r"variants\[AllTraffic\]\.instance_type must be an ML instance type 'ml\.<family>\.<size>' "
        r"\(got 'm5\.large'\)",
    ):
        Endpoint(f.stack, "NoMl", variants=[InstanceVariant(model=model, instance_type=InstanceType.of("m5.large"))])


def test_the_gpu_preset_rejects_a_cpu_type(f: Foundation, model: Model) -> None:
    variant = InstanceVariant(
        model=model,
        instance_type=build.InstanceType.ML_C5_XLARGE,
        autoscaling=Autoscaling.gpu_utilization(max_capacity=2),
    )
    with pytest.raises(ValidationError, match=r"a GPU instance type for the GPU utilization preset"):
        Endpoint(f.stack, "Cpu", variants=[variant])
