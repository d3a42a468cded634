"""Library experience (issue 13), serve layer: wrong Python types, public subnets, names counted in
characters, image URIs, volume sizes on NVMe types, and the endpoint key derived from its capture bucket.

Every case is a ValidationError naming the construct path, the prop, the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from constructs_ml.errors import ValidationError
from constructs_ml.serve import (
    ContainerImage,
    DataCapture,
    Endpoint,
    InstanceType,
    InstanceVariant,
    Model,
    ModelData,
    S3Path,
)
from tests.serve.conftest import ENV, Foundation, foundation

_ids = iter(range(10_000))


def _id() -> str:
    return f"X{next(_ids)}"


@pytest.fixture(scope="module")
def f() -> Iterator[Foundation]:
    yield foundation(App(), "Experience")


@pytest.fixture(scope="module")
def model(f: Foundation) -> Model:
    return f.model("M")


def test_a_single_variant_instead_of_a_list_is_a_validation_error(f: Foundation, model: Model) -> None:
    with pytest.raises(
        ValidationError, match=r"Experience/X\d+: variants must be a list of .*not a single InstanceVariant"
    ):
        Endpoint(f.stack, _id(), variants=InstanceVariant(model=model))  # type: ignore[arg-type]  # the mistake


def test_a_str_instance_type_is_a_validation_error(f: Foundation, model: Model) -> None:
    with pytest.raises(
        ValidationError, match=r"variants\[AllTraffic\]\.instance_type must be an InstanceType .*not str"
    ):
        Endpoint(f.stack, _id(), variants=[InstanceVariant(model=model, instance_type="ml.m5.large")])  # type: ignore[arg-type]


def test_a_str_instance_count_is_a_validation_error(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"initial_instance_count must be a number, not str \(got '2'\)"):
        Endpoint(f.stack, _id(), variants=[InstanceVariant(model=model, initial_instance_count="2")])  # type: ignore[arg-type]


@pytest.mark.parametrize("instance", ["ml.g5.xlarge", "ml.g4dn.xlarge", "ml.m5d.large", "ml.p4d.24xlarge"])
def test_a_volume_size_on_an_nvme_instance_type_is_rejected(f: Foundation, model: Model, instance: str) -> None:
    variant = InstanceVariant(model=model, instance_type=InstanceType.of(instance), volume_size_in_gb=100)
    with pytest.raises(
        ValidationError, match=rf"volume_size_in_gb must be omitted on instance types with NVMe.*{instance}"
    ):
        Endpoint(f.stack, _id(), variants=[variant])


def test_a_volume_size_on_an_ebs_instance_type_is_accepted(f: Foundation, model: Model) -> None:
    Endpoint(
        f.stack,
        _id(),
        variants=[InstanceVariant(model=model, instance_type=InstanceType.ML_M5_XLARGE, volume_size_in_gb=100)],
    )


def test_a_single_security_group_is_a_validation_error(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"security_groups must be a list of security groups, not a single"):
        f.model(_id(), security_groups=f.network.workload_security_group)


@pytest.mark.parametrize(
    "name",
    [
        "a-" * 40 + "a",  # 81 characters: the old check counted hyphen groups, not characters
        "m" * 64,
        "-starts-with-a-hyphen",
        "has_underscore",
    ],
)
def test_model_names_are_checked_by_characters(f: Foundation, name: str) -> None:
    with pytest.raises(ValidationError, match=r"model_name must be .*at most 63 characters"):
        f.model(_id(), model_name=name)


def test_endpoint_names_are_checked_by_characters(f: Foundation, model: Model) -> None:
    with pytest.raises(ValidationError, match=r"endpoint_name must be .*at most 63 characters"):
        Endpoint(f.stack, _id(), variants=[InstanceVariant(model=model)], endpoint_name="e-" * 40 + "e")
    Endpoint(f.stack, _id(), variants=[InstanceVariant(model=model)], endpoint_name="e" * 63)


@pytest.mark.parametrize(
    "uri",
    [
        "churn:1.0",  # no registry
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn model:1.0",  # whitespace
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/Churn:1.0",  # upper-case repository
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/" + "r" * 250 + ":1",  # > 255 characters
    ],
)
def test_bad_image_uris_are_rejected(f: Foundation, uri: str) -> None:
    with pytest.raises(ValidationError, match=r"image must be an image URI <registry>/<repository>"):
        f.model(_id(), image=ContainerImage.from_uri(uri))


def test_a_good_image_uri_is_accepted(f: Foundation) -> None:
    f.model(
        _id(), image=ContainerImage.from_uri("763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3-cpu")
    )


def test_public_subnets_are_rejected_by_model() -> None:
    stack = Stack(App(), "Public", env=ENV)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    sg = ec2.SecurityGroup(stack, "Sg", vpc=vpc)
    with pytest.raises(ValidationError, match=r"Public/M: vpc_subnets must select private subnets .*public"):
        Model(
            stack,
            "M",
            image=ContainerImage.from_uri("763104351884.dkr.ecr.eu-west-1.amazonaws.com/xgb:1"),
            model_data=ModelData.from_bucket(s3.Bucket.from_bucket_name(stack, "B", "models-bucket"), "m.tar.gz"),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            security_groups=[sg],
        )


def test_the_endpoint_key_is_the_capture_buckets_key() -> None:
    """No new key when the capture bucket's key is known: the platform bucket denies any other key."""
    app = App()
    f = foundation(app, "Derived")
    model = f.model("M")
    ep = Endpoint(
        f.stack,
        "Ep",
        variants=[InstanceVariant(model=model)],
        data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "churn")),
    )
    assert f.stack.resolve(ep.key.key_arn) == f.stack.resolve(f.keys.data.key_arn)
    template = Template.from_stack(f.stack)
    key_ref = f.stack.resolve(f.keys.data.key_arn)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"KmsKeyId": key_ref, "DataCaptureConfig": Match.object_like({"KmsKeyId": key_ref})},
    )
    assert ep.node.try_find_child("Key") is None


def test_an_imported_capture_bucket_with_its_key_gives_the_key() -> None:
    stack = Stack(App(), "Imported", env=ENV)
    key = kms.Key.from_key_arn(
        stack, "K", "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    bucket = s3.Bucket.from_bucket_attributes(stack, "B", bucket_name="landing-zone-capture", encryption_key=key)
    from constructs_ml.serve.endpoint import derived_key

    derived = derived_key(DataCapture(destination=S3Path(bucket, "c")), None)
    assert derived is not None and derived.key_arn == key.key_arn
    assert derived_key(None, None) is None


def test_a_cross_account_package_without_its_artifacts_warns(f: Foundation) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:333333333333:model-package/shared-churn/4"
    model = Model(
        f.stack,
        "Shared",
        model_package_arn=arn,
        vpc=f.network.vpc,
        vpc_subnets=f.network.subnet_selection,
        security_groups=[f.network.workload_security_group],
        guardrail=f.guardrail.policy,
    )
    warnings = Annotations.from_stack(f.stack).find_warning(
        f"/{model.node.path}", Match.string_like_regexp("account 333333333333.*package_artifacts")
    )
    assert len(warnings) == 1


def test_a_cross_account_package_with_its_artifacts_does_not_warn(f: Foundation) -> None:
    model = Model(
        f.stack,
        "SharedRead",
        model_package_arn="arn:aws:sagemaker:eu-west-1:333333333333:model-package/shared-churn/4",
        package_artifacts=S3Path(s3.Bucket.from_bucket_name(f.stack, "Producer", "producer-artifacts"), "churn"),
        vpc=f.network.vpc,
        vpc_subnets=f.network.subnet_selection,
        security_groups=[f.network.workload_security_group],
        guardrail=f.guardrail.policy,
    )
    assert Annotations.from_stack(f.stack).find_warning(f"/{model.node.path}", Match.any_value()) == []


def test_a_foreign_artifact_key_account_decrypts_only_that_buckets_objects_through_s3() -> None:
    f = foundation(App(), "ForeignKey")  # its own app: this module's stack is synthesized by other tests
    model = Model(
        f.stack,
        _id(),
        model_package_arn="arn:aws:sagemaker:eu-west-1:333333333333:model-package/shared-churn/4",
        package_artifacts=S3Path(s3.Bucket.from_bucket_name(f.stack, _id(), "producer-artifacts"), "pipelines"),
        package_artifacts_key_account="333333333333",
        vpc=f.network.vpc,
        vpc_subnets=f.network.subnet_selection,
        security_groups=[f.network.workload_security_group],
        guardrail=f.guardrail.policy,
    )
    policies = Template.from_stack(f.stack).find_resources("AWS::IAM::ManagedPolicy")
    statements = [
        s
        for p in policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "DecryptForeignArtifactsThroughS3"
    ]
    assert statements, model.node.path
    (statement,) = statements[-1:]
    assert statement["Action"] == "kms:Decrypt"
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
        "StringLike": {
            "kms:EncryptionContext:aws:s3:arn": [
                {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::producer-artifacts"]]},
                {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::producer-artifacts/pipelines/*"]]},
            ]
        },
    }


@pytest.mark.parametrize(
    ("account", "with_key", "bucket_name", "message"),
    [
        ("33333333333", False, "producer-artifacts", r"package_artifacts_key_account must be a 12-digit AWS account"),
        ("333333333333", True, "producer-artifacts", r"package_artifacts_key and package_artifacts_key_account cannot"),
        ("333333333333", False, None, r"package_artifacts must be a bucket with a literal name"),
    ],
)
def test_bad_foreign_artifact_keys_are_rejected(
    f: Foundation, account: str, with_key: bool, bucket_name: str | None, message: str
) -> None:
    bucket = (
        s3.Bucket.from_bucket_name(f.stack, _id(), bucket_name)
        if bucket_name
        else s3.Bucket(Stack(App(), "Other", env=ENV), "Generated")
    )
    with pytest.raises(ValidationError, match=message):
        Model(
            f.stack,
            _id(),
            model_package_arn="arn:aws:sagemaker:eu-west-1:333333333333:model-package/shared-churn/4",
            package_artifacts=S3Path(bucket, "pipelines"),
            package_artifacts_key=kms.Key.from_key_arn(
                f.stack, _id(), "arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            )
            if with_key
            else None,
            package_artifacts_key_account=account,
            vpc=f.network.vpc,
            vpc_subnets=f.network.subnet_selection,
            security_groups=[f.network.workload_security_group],
        )
