"""Every foundation construct rejects bad props at synth time with a clear, complete error."""

from __future__ import annotations

import re

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from constructs_ml.errors import ValidationError
from constructs_ml.foundation import (
    AccessLogBucket,
    ExecutionRoles,
    ManagedPolicyRole,
    MlNetwork,
    PermissionsBoundary,
    PlatformBuckets,
    PlatformKeys,
    SageMakerGuardrail,
    SecureBucket,
)
from tests.fixtures import ENV


@pytest.fixture()
def stack() -> Stack:
    return Stack(App(), "Bad", env=ENV)


def test_network_reports_every_problem_at_once(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    with pytest.raises(ValidationError) as err:
        MlNetwork(stack, "Net", logs_key=keys.logs, max_azs=1, s3_prefix_list_id="s3-list", s3_endpoint_scope="world")
    problems = err.value.problems
    assert len(problems) == 3
    assert "Bad/Net: max_azs must be between 2 and 6 (got 1)" in problems
    assert any(
        p.startswith("Bad/Net: s3_prefix_list_id must be a prefix list id 'pl-' + 8..17 hex digits (got 's3-list')")
        for p in problems
    )
    assert any("s3_endpoint_scope must be one of 'account', 'buckets' (got 'world')" in p for p in problems)


def test_network_existing_vpc_needs_two_subnets_in_two_azs(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="a", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    with pytest.raises(
        ValidationError, match=re.escape("Bad/Net: subnets must be the private subnets of the given vpc (got None)")
    ):
        MlNetwork(stack, "Net", logs_key=keys.logs, vpc=vpc)
    one = [vpc.isolated_subnets[0]]
    with pytest.raises(ValidationError, match=r"Bad/Net2: subnets must be at least two subnets"):
        MlNetwork(stack, "Net2", logs_key=keys.logs, vpc=vpc, subnets=one)


def test_network_subnets_without_vpc(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    other = ec2.Vpc(
        stack,
        "Other",
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="a", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    with pytest.raises(ValidationError, match=r"Bad/Net: subnets must be only together with vpc"):
        MlNetwork(stack, "Net", logs_key=keys.logs, subnets=other.isolated_subnets)


def test_keys(stack: Stack) -> None:
    with pytest.raises(ValidationError) as err:
        PlatformKeys(stack, "Keys", alias_prefix="aws/ml", pending_window_days=3)
    assert err.value.problems == (
        "Bad/Keys: alias_prefix must be 1..200 of [a-zA-Z0-9/_-], not starting with 'aws' (got 'aws/ml')",
        "Bad/Keys: pending_window_days must be between 7 and 30 (got 3)",
    )


def test_secure_bucket(stack: Stack) -> None:
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("s3.amazonaws.com"))
    with pytest.raises(ValidationError) as err:
        SecureBucket(stack, "B", bucket_name="Bad_Name", replication_role=role, server_access_logs_prefix="/logs")
    text = str(err.value)
    assert "Bad/B: bucket_name must be 3..63 lowercase letters" in text and "(got 'Bad_Name')" in text
    assert "Bad/B: replication_role/replication_destination must be given together" in text
    assert "Bad/B: server_access_logs_prefix must be a prefix without a leading '/' (got '/logs')" in text


def test_access_log_bucket_retention(stack: Stack) -> None:
    with pytest.raises(ValidationError, match=r"Bad/Logs: retention_days must be >= 90 \(got 30\)"):
        AccessLogBucket(stack, "Logs", retention_days=30)


def test_role_rejects_aws_managed_policies_and_empty_description(stack: Stack) -> None:
    managed = iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSageMakerFullAccess")
    with pytest.raises(ValidationError) as err:
        ManagedPolicyRole(
            stack,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=" ",
            managed_policies=[managed],
        )
    assert len(err.value.problems) == 2
    assert "Bad/Role: description must be a non-empty string (got ' ')" in err.value.problems
    assert any("managed_policies must be customer-managed policies only (IAM-03)" in p for p in err.value.problems)


def test_guardrail_needs_a_key(stack: Stack) -> None:
    with pytest.raises(ValidationError, match=r"Bad/Guard: keys must be at least one KMS key \(got \[\]\)"):
        SageMakerGuardrail(stack, "Guard", keys=[])


def test_boundary_actions(stack: Stack) -> None:
    with pytest.raises(
        ValidationError,
        match=r"Bad/Boundary: extra_denied_actions must be IAM actions like 'service:Action' "
        r"\(got 'DeleteEverything'\)",
    ):
        PermissionsBoundary(stack, "Boundary", extra_denied_actions=["DeleteEverything"])


def test_execution_roles_pipeline_names(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    guard = SageMakerGuardrail(stack, "Guard", keys=[keys.data])
    with pytest.raises(
        ValidationError, match=r"Bad/Exec: pipeline_names must be pipeline names .* \(got 'churn pipeline'\)"
    ):
        ExecutionRoles(stack, "Exec", buckets=buckets, guardrail=guard, pipeline_names=["churn pipeline"])


def test_validation_error_is_a_value_error() -> None:
    assert issubclass(ValidationError, ValueError)
