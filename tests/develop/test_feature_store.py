"""FeatureGroup: governed synth (SM-08, IAM), replacement semantics of adding a feature, bad props."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_iam as iam

from constructs_ml.develop import (
    FeatureDefinition,
    FeatureGroup,
    OfflineStore,
    OnlineStorageType,
    OnlineStore,
    S3Location,
    Throughput,
)
from constructs_ml.errors import ValidationError
from tests.develop.conftest import imported_infra
from tests.fixtures import ENV, Foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of

FEATURES = [
    FeatureDefinition.string("customer_id"),
    FeatureDefinition.fractional("event_time"),
    FeatureDefinition.integral("tenure_months"),
    FeatureDefinition.fractional("monthly_spend"),
]


@pytest.fixture(scope="module")
def governed() -> tuple[GovernedSynth, dict[str, Any], Stack, Foundation, FeatureGroup]:
    app = new_app()
    stack = Stack(app, "FeatureGov", env=ENV)
    f = Foundation(stack)
    assert f.personas is not None
    group = FeatureGroup(
        stack,
        "Customers",
        features=FEATURES,
        record_identifier="customer_id",
        event_time="event_time",
        encryption_key=f.keys.data,
        online_store=OnlineStore(ttl=Duration.days(30)),
        offline_store=OfflineStore(S3Location(f.buckets.data.bucket, "feature-store/")),
        guardrail=f.personas.guardrail.policy,
    )
    reader = iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal())
    reader_policy = iam.ManagedPolicy(stack, "ReaderPolicy", roles=[reader])
    group.grant_read(reader_policy)
    result = governed_synth(app)
    return result, result.template(stack), stack, f, group


def _group(template: dict[str, Any]) -> dict[str, Any]:
    (group,) = resources_of(template, "AWS::SageMaker::FeatureGroup").values()
    return group


def test_governance_gate_and_cfn_lint(governed: Any) -> None:
    result, template, *_ = governed
    assert_governance_clean(result)
    assert cfn_lint_errors(template) == []


def test_both_stores_encrypted_with_the_platform_key_in_pascal_case(governed: Any) -> None:
    """SM-08: OnlineStoreConfig.SecurityConfig.KmsKeyId and OfflineStoreConfig.S3StorageConfig.KmsKeyId."""
    _, template, stack, f, _ = governed
    props = _group(template)["Properties"]
    key = {"Fn::GetAtt": [stack.get_logical_id(f.keys.data.node.default_child), "Arn"]}
    assert props["OnlineStoreConfig"] == {
        "EnableOnlineStore": True,
        "StorageType": "Standard",
        "SecurityConfig": {"KmsKeyId": key},
        "TtlDuration": {"Unit": "Days", "Value": 30},
    }
    offline = props["OfflineStoreConfig"]
    assert offline["S3StorageConfig"]["KmsKeyId"] == key
    assert offline["TableFormat"] == "Iceberg"
    assert offline["DataCatalogConfig"]["Database"] == "sagemaker_featurestore"
    assert props["ThroughputConfig"] == {"ThroughputMode": "OnDemand"}


def test_group_is_retained(governed: Any) -> None:
    group = _group(governed[1])
    assert group["DeletionPolicy"] == "Retain" and group["UpdateReplacePolicy"] == "Retain"


def test_offline_store_role_is_scoped_to_its_prefix_and_table(governed: Any) -> None:
    _, template, stack, f, group = governed
    assert group.role is not None
    role_props = template["Resources"][stack.get_logical_id(group.role.role.node.default_child)]["Properties"]
    guardrail = stack.get_logical_id(f.personas.guardrail.policy.node.default_child)
    assert {"Ref": guardrail} in role_props["ManagedPolicyArns"]
    policy = next(
        v for k, v in resources_of(template, "AWS::IAM::ManagedPolicy").items() if k.startswith("CustomersRolePolicy")
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    objects = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert objects[0]["Resource"]["Fn::Join"][1][1] == "/feature-store/*"
    (glue,) = [s for s in statements if s.get("Sid") == "OfflineStoreGlueTable"]
    assert glue["Resource"][2]["Fn::Join"][1][-1].endswith(
        ":table/sagemaker_featurestore/" + group.feature_group_name.replace("-", "_")
    )


def test_offline_store_role_may_set_object_acls_on_its_prefix_only(governed: Any) -> None:
    """The offline store writes with an object ACL: s3:PutObjectAcl, as in AWS's managed policy
    AmazonSageMakerFeatureStoreAccess (SageMaker Developer Guide, "AWS managed policies for Amazon
    SageMaker Feature Store"), but on the store's prefix rather than every *sagemaker* bucket."""
    template = governed[1]
    policy = next(
        v for k, v in resources_of(template, "AWS::IAM::ManagedPolicy").items() if k.startswith("CustomersRolePolicy")
    )
    acl = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "s3:PutObjectAcl" in s["Action"]]
    assert len(acl) == 1
    (statement,) = acl
    assert "s3:PutObject" in statement["Action"]
    assert statement["Resource"]["Fn::Join"][1][1] == "/feature-store/*"
    assert "Condition" not in statement


def test_grant_read_is_record_reads_and_decrypt_only(governed: Any) -> None:
    template = governed[1]
    policy = next(
        v for k, v in resources_of(template, "AWS::IAM::ManagedPolicy").items() if k.startswith("ReaderPolicy")
    )
    actions = sorted(
        a
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    )
    assert actions == [
        "kms:Decrypt",
        "sagemaker:BatchGetRecord",
        "sagemaker:DescribeFeatureGroup",
        "sagemaker:GetRecord",
    ]


def _shape_template(features: list[FeatureDefinition]) -> dict[str, Any]:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Shape", env=ENV)
    infra = imported_infra(stack)
    FeatureGroup(
        stack,
        "Customers",
        features=features,
        record_identifier="customer_id",
        event_time="event_time",
        encryption_key=infra.key,
        offline_store=OfflineStore(S3Location(infra.data, "fs/")),
        online_store=OnlineStore(storage_type=OnlineStorageType.IN_MEMORY),
        throughput=Throughput.provisioned(5, 5),
    )
    return app.synth().get_stack_by_name("Shape").template  # type: ignore[no-any-return]


def test_adding_a_feature_updates_the_group_in_place() -> None:
    """Compare two templates: only FeatureDefinitions changes, and CloudFormation's schema for the type
    does not list it as create-only, so the update does not replace the group."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    before = resources_of(_shape_template(FEATURES), "AWS::SageMaker::FeatureGroup")
    after = resources_of(
        _shape_template([*FEATURES, FeatureDefinition.string("segment")]), "AWS::SageMaker::FeatureGroup"
    )
    assert before.keys() == after.keys()  # same logical id
    (logical_id,) = before
    changed = {
        k
        for k in {**before[logical_id]["Properties"], **after[logical_id]["Properties"]}
        if before[logical_id]["Properties"].get(k) != after[logical_id]["Properties"].get(k)
    }
    assert changed == {"FeatureDefinitions"}
    assert (
        after[logical_id]["Properties"]["FeatureDefinitions"][:4]
        == before[logical_id]["Properties"]["FeatureDefinitions"]
    )
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("eu-west-1", "AWS::SageMaker::FeatureGroup").schema
    create_only = set(schema["createOnlyProperties"])
    assert "/properties/FeatureDefinitions" not in create_only
    assert {
        "/properties/FeatureGroupName",
        "/properties/OfflineStoreConfig",
        "/properties/RecordIdentifierFeatureName",
    } <= create_only


def test_in_memory_and_provisioned_throughput_render() -> None:
    props = next(iter(resources_of(_shape_template(FEATURES), "AWS::SageMaker::FeatureGroup").values()))["Properties"]
    assert props["OnlineStoreConfig"]["StorageType"] == "InMemory"
    assert props["ThroughputConfig"] == {
        "ThroughputMode": "Provisioned",
        "ProvisionedReadCapacityUnits": 5,
        "ProvisionedWriteCapacityUnits": 5,
    }


def _bad(**kwargs: Any) -> None:
    stack = Stack(App(), "Bad", env=ENV)
    args: dict[str, Any] = {"features": FEATURES, "record_identifier": "customer_id", "event_time": "event_time"}
    args.update(kwargs)
    FeatureGroup(stack, "Fg", **args)


def test_duplicate_feature_names() -> None:
    with pytest.raises(
        ValidationError,
        match=r"Bad/Fg: features\[\]\.name must not repeat names; duplicated "
        r"\(got \['tenure_months'\]\)",
    ):
        _bad(features=[*FEATURES, FeatureDefinition.integral("tenure_months")])


def test_feature_name_too_long_or_with_bad_characters_or_reserved() -> None:
    with pytest.raises(ValidationError) as err:
        _bad(
            features=[
                *FEATURES,
                FeatureDefinition.string("x" * 65),
                FeatureDefinition.string("bad name!"),
                FeatureDefinition.string("write_time"),
            ]
        )
    text = str(err.value)
    assert "features[].name must be 1..64 letters, digits, '-' or '_'" in text and "x" * 65 in text
    assert "(got 'bad name!')" in text
    assert "must be not one of Feature Store's own columns" in text


def test_record_identifier_and_event_time_must_be_features() -> None:
    with pytest.raises(ValidationError) as err:
        _bad(record_identifier="id", event_time="ts")
    assert "record_identifier must be the name of one of the features (got 'id')" in str(err.value)
    assert "event_time must be the name of one of the features (got 'ts')" in str(err.value)


def test_event_time_must_be_string_or_fractional() -> None:
    with pytest.raises(
        ValidationError,
        match=r"event_time must be a String or Fractional feature "
        r"\(got 'tenure_months \(Integral\)'\)",
    ):
        _bad(event_time="tenure_months")


def test_at_least_one_store_and_provisioned_units() -> None:
    with pytest.raises(ValidationError) as err:
        _bad(online_store=None, throughput=Throughput("Provisioned"))
    assert "online_store/offline_store must be at least one store" in str(err.value)
    assert "throughput.read_units must be >= 1 with provisioned throughput" in str(err.value)
