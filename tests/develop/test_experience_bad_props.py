"""Library experience (issue 13), develop layer: wrong Python types in pipeline steps (a str instance type,
a pipeline parameter of the wrong type, a single security group), the pipeline's key derived from its
artifacts bucket or required with a guardrail, and read-only cross-account registry actions."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from constructs_ml.develop import (
    BuiltinAlgorithm,
    ContainerImage,
    InstanceType,
    ModelRegistry,
    ParameterInteger,
    ParameterString,
    S3Location,
    TrainingInput,
    TrainingPipeline,
    TrainingStep,
)
from constructs_ml.errors import ValidationError
from tests.develop.conftest import ImportedInfra, imported_infra
from tests.fixtures import ENV

XGB = ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1")


@pytest.fixture
def infra() -> tuple[Stack, ImportedInfra]:
    stack = Stack(App(), "Exp", env=ENV)
    return stack, imported_infra(stack)


def _train(i: ImportedInfra, **kwargs: Any) -> TrainingStep:
    return TrainingStep("Train", image=XGB, inputs=[TrainingInput("train", S3Location(i.data, "churn/"))], **kwargs)


def _pipeline(stack: Stack, i: ImportedInfra, **kwargs: Any) -> TrainingPipeline:
    props: dict[str, Any] = {
        "steps": [_train(i)],
        "vpc": i.vpc,
        "security_groups": [i.security_group],
        "encryption_key": i.key,
        "artifacts_bucket": i.artifacts,
    }
    props.update(kwargs)
    return TrainingPipeline(stack, "P", **props)


def test_a_str_instance_type_is_a_validation_error(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    with pytest.raises(
        ValidationError, match=r"Exp/P: steps\[Train\]\.instance_type must be an InstanceType .*not str"
    ):
        _pipeline(stack, i, steps=[_train(i, instance_type="ml.m5.xlarge")])


def test_a_string_parameter_where_an_int_is_needed_is_a_validation_error(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    count = ParameterString("InstanceCount", default_value="2")
    with pytest.raises(
        ValidationError,
        match=r"instance_count must be an int or a ParameterInteger \(got \"ParameterString\('InstanceCount'\)\"\)",
    ):
        _pipeline(stack, i, steps=[_train(i, instance_count=count)], parameters=[count])


def test_a_str_instance_count_is_a_validation_error(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    with pytest.raises(
        ValidationError, match=r"steps\[Train\]\.instance_count must be an int or a ParameterInteger, not str"
    ):
        _pipeline(stack, i, steps=[_train(i, instance_count="2")])


def test_parameters_of_the_right_type_are_accepted(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    count = ParameterInteger("InstanceCount", default_value=2)
    kind = ParameterString("InstanceType", default_value="ml.m5.xlarge")
    _pipeline(stack, i, steps=[_train(i, instance_count=count, instance_type=kind)], parameters=[count, kind])


def test_an_integer_parameter_where_an_instance_type_is_needed_is_rejected(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    kind = ParameterInteger("InstanceType", default_value=1)
    with pytest.raises(ValidationError, match=r"instance_type must be an InstanceType .* or a ParameterString"):
        _pipeline(stack, i, steps=[_train(i, instance_type=kind)], parameters=[kind])


def test_a_single_security_group_is_a_validation_error(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    with pytest.raises(
        ValidationError, match=r"Exp/P: security_groups must be a list of security groups, not a single"
    ):
        _pipeline(stack, i, security_groups=i.security_group)


def test_the_key_comes_from_the_artifacts_bucket(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    bucket = s3.Bucket.from_bucket_attributes(stack, "Keyed", bucket_name="lz-artifacts", encryption_key=i.key)
    pipeline = _pipeline(stack, i, encryption_key=None, artifacts_bucket=bucket)
    assert pipeline.node.try_find_child("Key") is None
    assert pipeline.encryption_key.key_arn == i.key.key_arn


def test_no_new_key_under_a_guardrail(infra: tuple[Stack, ImportedInfra]) -> None:
    """The guardrail admits platform keys only: a new key would fail every job, so it is a synth error."""
    stack, i = infra
    guardrail = iam.ManagedPolicy.from_managed_policy_name(stack, "Guardrail", "platform-guardrail")
    with pytest.raises(
        ValidationError, match=r"Exp/P: encryption_key must be given with guardrail .*PlatformKeys.data"
    ):
        _pipeline(stack, i, encryption_key=None, guardrail=guardrail)


def test_without_a_guardrail_an_unknown_bucket_key_still_gets_a_new_key(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    pipeline = _pipeline(stack, i, encryption_key=None)
    assert pipeline.node.try_find_child("Key") is not None


@pytest.mark.parametrize(
    "action",
    ["sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage", "sagemaker:DeleteModelPackage", "sagemaker:*"],
)
def test_cross_account_actions_are_read_only(action: str) -> None:
    stack = Stack(App(), "Reg", env=ENV)
    with pytest.raises(ValidationError, match=r"Reg/Registry: cross_account_actions"):
        ModelRegistry(
            stack,
            "Registry",
            model_package_group_name="churn",
            cross_account_ids=["222222222222"],
            cross_account_actions=["sagemaker:DescribeModelPackage", action],
        )


def test_instance_type_of_any_name_is_checked_where_used(infra: tuple[Stack, ImportedInfra]) -> None:
    stack, i = infra
    with pytest.raises(ValidationError, match=r"instance_type must be an ML instance type"):
        _pipeline(stack, i, steps=[_train(i, instance_type=InstanceType.of("m5.large"))])
