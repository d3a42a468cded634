"""Bad props raise one clear ValidationError (no synth needed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import App, Duration
from aws_cdk import aws_ec2 as ec2

from constructs_ml.errors import ValidationError
from constructs_ml.serve import (
    ApprovedPackageParameter,
    AsyncInference,
    Autoscaling,
    ContainerMode,
    DataCapture,
    DeploymentConfig,
    Endpoint,
    InstanceType,
    InstanceVariant,
    Model,
    S3Path,
    ServerlessVariant,
)
from tests.serve.conftest import Foundation, foundation


@pytest.fixture(scope="module")
def f() -> Iterator[Foundation]:
    yield foundation(App(), "Bad")


_counter = iter(range(10_000))


def _id() -> str:
    return f"C{next(_counter)}"


@pytest.fixture(scope="module")
def model(f: Foundation) -> Model:
    return f.model("M")


@pytest.fixture(scope="module")
def serverless_model(f: Foundation) -> Model:
    return f.model("SM", vpc=None, vpc_subnets=None, security_groups=[], serverless=True)


def endpoint(f: Foundation, **kwargs: Any) -> Endpoint:
    return Endpoint(f.stack, _id(), **kwargs)


def test_serverless_memory_must_be_a_step_of_1024(f: Foundation, serverless_model: Model) -> None:
    for memory in (512, 1500, 7168):
        with pytest.raises(ValidationError, match=r"memory_size_in_mb must be 1024\.\.6144 in steps of 1024"):
            endpoint(f, variants=[ServerlessVariant(model=serverless_model, memory_size_in_mb=memory)])


def test_weights_must_not_all_be_zero(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"initial_weight must not all be zero"):
        endpoint(
            f,
            variants=[
                InstanceVariant(model=model, variant_name="A", initial_weight=0),
                InstanceVariant(model=model, variant_name="B", initial_weight=0),
            ],
        )


def test_variant_names_must_be_unique(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"variant_name must not repeat names; duplicated \(got \['A'\]\)"):
        endpoint(
            f,
            variants=[InstanceVariant(model=model, variant_name="A")],
            shadow_variants=[InstanceVariant(model=model, variant_name="A")],
        )


def test_instance_type_must_be_ml(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"instance_type must be an ML instance type .*got 'm5.large'"):
        endpoint(f, variants=[InstanceVariant(model=model, instance_type=InstanceType.of("m5.large"))])


def test_autoscaling_min_must_not_exceed_max(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"autoscaling.min_capacity must be <= max_capacity \(got \(5, 2\)\)"):
        endpoint(
            f,
            variants=[
                InstanceVariant(
                    model=model, autoscaling=Autoscaling.invocations_per_instance(max_capacity=2, min_capacity=5)
                )
            ],
        )


def test_only_async_backlog_scales_to_zero(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"min_capacity must be >= 1"):
        endpoint(
            f,
            variants=[
                InstanceVariant(model=model, autoscaling=Autoscaling.cpu_utilization(max_capacity=2, min_capacity=0))
            ],
        )


def test_async_needs_an_output_path(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"async_inference.output_path must be an S3Path"):
        endpoint(f, variants=[InstanceVariant(model=model)], async_inference=AsyncInference())


def test_data_capture_sampling_is_a_percentage(f: Foundation, model: Model) -> None:
    for pct in (-1, 101):
        with pytest.raises(ValidationError, match=r"data_capture.sampling_percentage must be between 0 and 100"):
            endpoint(
                f,
                variants=[InstanceVariant(model=model)],
                data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "x"), sampling_percentage=pct),
            )


def test_rollback_alarms_must_not_be_empty(f: Foundation, model: Model) -> None:
    for config in (DeploymentConfig.canary(10, rollback_alarms=[]), DeploymentConfig(rollback_alarms=())):
        with pytest.raises(ValidationError, match=r"deployment.rollback_alarms must not be empty"):
            endpoint(f, variants=[InstanceVariant(model=model)], deployment=config)


def test_traffic_steps_and_waits_are_checked(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError) as err:
        endpoint(
            f,
            variants=[InstanceVariant(model=model)],
            deployment=DeploymentConfig.linear(5, wait_interval=Duration.hours(2)),
        )
    text = str(err.value)
    assert "deployment.step_percent must be between 10 and 50 (got 5)" in text
    assert "deployment.wait_interval must be between 0 and 3600 (got 7200)" in text


def test_all_problems_are_reported_at_once_with_the_path(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError) as err:
        Endpoint(
            f.stack,
            "Many",
            variants=[InstanceVariant(model=model, instance_type=InstanceType.of("c5"), initial_instance_count=0)],
            data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "x"), sampling_percentage=200),
        )
    assert len(err.value.problems) == 3
    assert all(p.startswith("Bad/Many/") or p.startswith("Bad/Many:") for p in err.value.problems)


def test_serverless_rules(f: Foundation, model: Model, serverless_model: Model) -> None:
    with pytest.raises(ValidationError, match=r"a Model\(serverless=True\)"):
        endpoint(f, variants=[ServerlessVariant(model=model)])
    with pytest.raises(ValidationError, match=r"data_capture must be None with a serverless variant"):
        endpoint(
            f,
            variants=[ServerlessVariant(model=serverless_model)],
            data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "x")),
        )
    with pytest.raises(ValidationError, match=r"a serverless variant alone"):
        endpoint(
            f, variants=[ServerlessVariant(model=serverless_model, variant_name="S"), InstanceVariant(model=model)]
        )


def test_gpu_preset_needs_a_gpu_type(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"a GPU instance type"):
        endpoint(f, variants=[InstanceVariant(model=model, autoscaling=Autoscaling.gpu_utilization(max_capacity=2))])


def test_model_needs_two_azs_and_a_source(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"image/model_data must both be given"):
        Model(f.stack, _id(), vpc=f.network.vpc, security_groups=[f.network.workload_security_group])
    with pytest.raises(ValidationError, match=r"vpc must be the platform VPC"):
        Model(f.stack, _id(), model_package_arn="arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/3")
    with pytest.raises(ValidationError, match=r"vpc_subnets must be at least two subnets"):
        f.model(_id(), vpc_subnets=ec2.SubnetSelection(subnets=[f.network.subnets[0]]))
    with pytest.raises(ValidationError, match=r"model_package_arn must be a model package ARN"):
        f.model(_id(), image=None, model_data=None, model_package_arn="churn:3")
    with pytest.raises(ValidationError, match=r"parameter_name must be an SSM parameter name"):
        f.model(_id(), approved_package=ApprovedPackageParameter("no-slash"))
    with pytest.raises(ValidationError, match=r"model_data must be ModelData.from_prefix"):
        f.model(_id(), mode=ContainerMode.MULTI_MODEL)
    with pytest.raises(ValidationError, match=r"vpc must be omitted with serverless=True"):
        f.model(_id(), serverless=True)
