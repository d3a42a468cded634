"""Library experience (issue 13), foundation layer.

- wrong Python types and unchecked CIDRs are ValidationErrors naming path, prop, value and what is allowed;
- public subnets are rejected;
- ``PermissionsBoundary`` names the prop that is wrong;
- bring-your-own (imported) buckets, key and VPC: ``Personas`` and ``ExecutionRoles`` accept them, and the
  stack passes the governance gate (the grants on imported buckets render as literal ARNs).
"""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_ml.develop import (
    BuiltinAlgorithm,
    ContainerImage,
    S3Location,
    TrainingInput,
    TrainingPipeline,
    TrainingStep,
)
from constructs_ml.errors import ValidationError
from constructs_ml.foundation import (
    ExecutionRoles,
    ImportedPlatformBuckets,
    MlNetwork,
    PermissionsBoundary,
    Personas,
    PlatformKeys,
)
from constructs_ml.serve import Model, ModelData
from tests.fixtures import ENV, TEST_S3_PREFIX_LIST
from tests.support import GovernedSynth, assert_governance_clean, governed_synth, new_app, resources_of

KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture()
def stack() -> Stack:
    return Stack(App(), "Exp", env=ENV)


def test_max_azs_as_a_string_is_a_validation_error(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    with pytest.raises(ValidationError, match=r"Exp/Net: max_azs must be an int, not str \(got '2'\)"):
        MlNetwork(stack, "Net", logs_key=keys.logs, max_azs="2")  # type: ignore[arg-type]  # the mistake


@pytest.mark.parametrize(
    ("cidr", "why"),
    [
        ("10.20.0.0/22", r"must be a block of /16../19 \(one /20 subnet per AZ, 2 AZs\)"),
        ("10.0.0.0/8", r"must be a block of /16"),
        ("10.20.0.1/16", r"must be an IPv4 CIDR block like 10.20.0.0/16 \(10.20.0.1/16 has host bits set\)"),
        ("not-a-cidr", r"must be an IPv4 CIDR block"),
    ],
)
def test_bad_cidrs_are_our_validation_error(stack: Stack, cidr: str, why: str) -> None:
    keys = PlatformKeys(stack, "Keys")
    with pytest.raises(ValidationError, match=rf"Exp/Net: cidr {why}"):
        MlNetwork(stack, "Net", logs_key=keys.logs, cidr=cidr)


def test_a_cidr_too_small_for_the_azs_is_rejected(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    MlNetwork(stack, "Two", logs_key=keys.logs, cidr="10.20.0.0/19", max_azs=2)  # two /20s fit
    with pytest.raises(ValidationError, match=r"cidr must be a block of /16../18 \(one /20 subnet per AZ, 3 AZs\)"):
        MlNetwork(stack, "Three", logs_key=keys.logs, cidr="10.30.0.0/19", max_azs=3)


def test_public_subnets_of_an_existing_vpc_are_rejected(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    with pytest.raises(ValidationError, match=r"Exp/Net: subnets must be private .*public.*Exp/Vpc/PublicSubnet1"):
        MlNetwork(stack, "Net", logs_key=keys.logs, vpc=vpc, subnets=vpc.public_subnets)


def test_a_single_subnet_instead_of_a_list_is_a_validation_error(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    with pytest.raises(ValidationError, match=r"subnets must be a list of subnets \(ec2.ISubnet\), not a single"):
        MlNetwork(stack, "Net", logs_key=keys.logs, vpc=vpc, subnets=vpc.isolated_subnets[0])  # type: ignore[arg-type]


def test_an_imported_vpc_without_route_tables_is_a_validation_error(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        isolated_subnet_ids=["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
    )
    with pytest.raises(ValidationError, match=r"Exp/Net: subnets must name their route tables .*route_table_ids"):
        MlNetwork(stack, "Net", logs_key=keys.logs, vpc=vpc, subnets=vpc.isolated_subnets)


def test_permissions_boundary_names_the_prop_that_is_wrong(stack: Stack) -> None:
    with pytest.raises(
        ValidationError, match=r"Exp/Boundary: extra_allowed_actions must be IAM actions .*'glue GetTable'"
    ):
        PermissionsBoundary(stack, "Boundary", extra_allowed_actions=["glue GetTable"])
    with pytest.raises(ValidationError, match=r"Exp/Boundary2: extra_denied_actions must be a list of IAM actions"):
        PermissionsBoundary(stack, "Boundary2", extra_denied_actions="iam:CreateUser")  # type: ignore[arg-type]


def test_personas_reject_buckets_of_the_wrong_kind(stack: Stack) -> None:
    keys = PlatformKeys(stack, "Keys")
    bucket = s3.Bucket.from_bucket_name(stack, "B", "landing-zone-data")
    with pytest.raises(
        ValidationError, match=r"Exp/Personas: buckets must be PlatformBuckets or ImportedPlatformBuckets"
    ):
        Personas(stack, "Personas", keys=keys, buckets=bucket)  # type: ignore[arg-type]


def test_imported_buckets_must_share_the_given_key(stack: Stack) -> None:
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    other = kms.Key.from_key_arn(stack, "Other", KEY_ARN.replace("1234abcd", "9999abcd"))
    with pytest.raises(ValidationError, match=r"ImportedPlatformBuckets: capture.encryption_key must be the key given"):
        ImportedPlatformBuckets.from_buckets(
            key=key,
            data=s3.Bucket.from_bucket_attributes(stack, "D", bucket_name="lz-data", encryption_key=key),
            artifacts=s3.Bucket.from_bucket_attributes(stack, "A", bucket_name="lz-artifacts", encryption_key=key),
            capture=s3.Bucket.from_bucket_attributes(stack, "C", bucket_name="lz-capture", encryption_key=other),
        )


@pytest.fixture(scope="module")
def imported() -> tuple[GovernedSynth, Stack]:
    """Personas, execution roles and the network on a landing zone's key, buckets and VPC, governed."""
    app = new_app()
    stack = Stack(app, "LandingZone", env=ENV)
    logs = PlatformKeys(stack, "Keys").logs
    key = kms.Key.from_key_arn(stack, "DataKey", KEY_ARN)

    def bucket(cid: str, name: str) -> s3.IBucket:
        return s3.Bucket.from_bucket_attributes(stack, cid, bucket_name=name, encryption_key=key)

    buckets = ImportedPlatformBuckets.from_buckets(
        key=key,
        data=bucket("Data", "lz-ml-data"),
        artifacts=bucket("Artifacts", "lz-ml-artifacts"),
        capture=bucket("Capture", "lz-ml-capture"),
    )
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        isolated_subnet_ids=["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
        isolated_subnet_route_table_ids=["rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"],
        vpc_cidr_block="10.40.0.0/16",
    )
    network = MlNetwork(
        stack,
        "Network",
        logs_key=logs,
        vpc=vpc,
        subnets=vpc.isolated_subnets,
        s3_prefix_list_id=TEST_S3_PREFIX_LIST,
        dynamodb_prefix_list_id="pl-6ea54007",
    )
    personas = Personas(stack, "Personas", keys=key, buckets=buckets, network=network)
    ExecutionRoles(stack, "ExecutionRoles", buckets=buckets, guardrail=personas.guardrail)
    # A pipeline and a model on the imported buckets: their own grants name the buckets literally too.
    TrainingPipeline(
        stack,
        "Pipeline",
        steps=[
            TrainingStep(
                "Train",
                image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1"),
                inputs=[TrainingInput("train", S3Location(buckets.data.bucket, "churn/train/"))],
            )
        ],
        vpc=network.vpc,
        vpc_subnets=network.subnet_selection,
        security_groups=[network.workload_security_group],
        artifacts_bucket=buckets.artifacts.bucket,  # its key is the pipeline's key (derived, not a new one)
        guardrail=personas.guardrail.policy,
    )
    Model(
        stack,
        "Model",
        image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1"),
        model_data=ModelData.from_bucket(buckets.artifacts.bucket, "churn/model.tar.gz"),
        vpc=network.vpc,
        vpc_subnets=network.subnet_selection,
        security_groups=[network.workload_security_group],
        guardrail=personas.guardrail.policy,
    )
    return governed_synth(app), stack


def test_imported_resources_pass_the_governance_gate(imported: tuple[GovernedSynth, Stack]) -> None:
    result, _ = imported
    assert result.report.get("title") == "Validation Report", "the governance packs did not run"
    assert_governance_clean(result)


def test_imported_bucket_grants_are_acknowledged_by_the_reviewed_entry(imported: tuple[GovernedSynth, Stack]) -> None:
    result, _ = imported
    acked = [a for a in result.acknowledgements() if "s3:::lz-ml-" in a[1]]
    assert acked, "no grant on an imported bucket was acknowledged"
    assert all(a[1].startswith("AwsSolutions-IAM5[Resource::arn:") for a in acked)


def test_the_guardrail_uses_the_imported_key(imported: tuple[GovernedSynth, Stack]) -> None:
    result, stack = imported
    text = str(result.template(stack))
    assert KEY_ARN in text


def test_the_pipeline_creates_no_key_of_its_own(imported: tuple[GovernedSynth, Stack]) -> None:
    result, stack = imported
    keys = resources_of(result.template(stack), "AWS::KMS::Key")
    assert len(keys) == 3  # PlatformKeys' data, logs and messaging keys only (the logs key is the flow logs')
