"""Control-level acknowledgements: a control the library cannot meet reports ACKNOWLEDGED with its reviewed
reason only where the library recorded one; the same resource without it still FAILs (issue 10).

S3-08: buckets of the library that are not confined to the VPC endpoint (the reason names the service-side
writers that never come through it); the access-log bucket (the logging service's deliveries). IAM-02 and
LMB-01: CDK's own default-security-group provider. A raw L1 bucket and a raw inline-policy role fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from constructs_ml.foundation import MlNetwork, PlatformKeys, SecureBucket, VpcEndpointRestriction
from constructs_ml.governance.acknowledgements import ALLOWLIST
from constructs_ml.governance.report import control_statuses, read_assembly
from tests.fixtures import ENV
from tests.support import new_app


def _statuses(build: object) -> dict[str, str]:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "S", env=ENV)
    build(stack)  # type: ignore[operator]
    return dict(control_statuses(read_assembly(Path(app.synth().directory))))


@pytest.fixture(scope="module")
def library_only() -> dict[str, str]:
    def build(stack: Stack) -> None:
        keys = PlatformKeys(stack, "Keys")
        MlNetwork(stack, "Net", logs_key=keys.logs)
        SecureBucket(stack, "Data", encryption_key=keys.data)

    return _statuses(build)


@pytest.fixture(scope="module")
def with_raw_resources() -> dict[str, str]:
    def build(stack: Stack) -> None:
        keys = PlatformKeys(stack, "Keys")
        MlNetwork(stack, "Net", logs_key=keys.logs)
        SecureBucket(stack, "Data", encryption_key=keys.data)
        s3.CfnBucket(stack, "Raw")
        iam.CfnRole(
            stack,
            "Inline",
            assume_role_policy_document={
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]
            },
            policies=[
                iam.CfnRole.PolicyProperty(
                    policy_name="p",
                    policy_document={"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]},
                )
            ],
        )

    return _statuses(build)


def test_the_library_alone_has_no_failed_control_among_these(library_only: dict[str, str]) -> None:
    assert library_only["S3-08"] == "ACKNOWLEDGED"
    assert library_only["IAM-02"] == "ACKNOWLEDGED"  # CDK's default-SG provider only
    assert library_only["LMB-01"] == "ACKNOWLEDGED"
    assert library_only["NET-10"] == "PASS"  # the Studio endpoint has its policy too


def test_raw_resources_still_fail(with_raw_resources: dict[str, str]) -> None:
    assert with_raw_resources["S3-08"] == "FAIL"
    assert with_raw_resources["IAM-02"] == "FAIL"


def test_a_confined_bucket_passes_s3_08() -> None:
    def build(stack: Stack) -> None:
        keys = PlatformKeys(stack, "Keys")
        net = MlNetwork(stack, "Net", logs_key=keys.logs)
        assert net.s3_endpoint is not None
        SecureBucket(
            stack,
            "Data",
            encryption_key=keys.data,
            server_access_logs_bucket=s3.Bucket.from_bucket_name(stack, "Logs", "audit-logs"),
            vpc_endpoint_restriction=VpcEndpointRestriction(net.s3_endpoint.vpc_endpoint_id),
        )

    assert _statuses(build)["S3-08"] == "PASS"


def test_the_reasons_name_what_they_compensate() -> None:
    confined = ALLOWLIST["s3-not-confined-to-vpc-endpoint"].reason
    assert "data capture" in confined and "vpc_endpoint_restriction" in confined
    provider = ALLOWLIST["cdk-restrict-default-sg-provider"].reason
    assert "default security group" in provider and "pre-signed S3 URL" in provider
