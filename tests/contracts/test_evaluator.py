"""The contract evaluator against documented IAM evaluation cases, each cross-checked with principalmapper.

Cases from the IAM User Guide's policy evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html), permissions
boundaries (access_policies_boundaries.html), the condition operators
(reference_policies_elements_condition_operators.html) and KMS key policies (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
"""

from __future__ import annotations

from typing import Any

import pytest

from constructs_ml.contracts.iam import Principal, Request, evaluate
from tests.contracts import oracle

ACCOUNT = "111111111111"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/worker"
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/claims"
BUCKET = "arn:aws:s3:::data-bucket"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k1"


def allow(action: Any, resource: Any = "*", condition: dict[str, Any] | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [s]}


def deny(action: Any, resource: Any = "*", condition: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = allow(action, resource, condition)
    doc["Statement"][0]["Effect"] = "Deny"
    return doc


# (name, action, resource, context, identity, boundary, resource policy, expected)
CASES: list[
    tuple[str, str, str, dict[str, Any], list[dict[str, Any]], dict[str, Any] | None, dict[str, Any] | None, bool]
] = [
    ("identity allow", "dynamodb:PutItem", TABLE, {}, [allow("dynamodb:PutItem", TABLE)], None, None, True),
    ("implicit deny", "dynamodb:PutItem", TABLE, {}, [allow("dynamodb:GetItem", TABLE)], None, None, False),
    (
        "identity allowed, boundary silent",
        "dynamodb:PutItem",
        TABLE,
        {},
        [allow("dynamodb:*", TABLE)],
        allow("s3:*"),
        None,
        False,
    ),
    (
        "identity and boundary allow",
        "dynamodb:PutItem",
        TABLE,
        {},
        [allow("dynamodb:*", TABLE)],
        allow("dynamodb:PutItem"),
        None,
        True,
    ),
    ("boundary alone grants nothing", "s3:GetObject", f"{BUCKET}/a", {}, [], allow("s3:*"), None, False),
    ("explicit deny wins", "s3:GetObject", f"{BUCKET}/a", {}, [allow("s3:*"), deny("s3:GetObject")], None, None, False),
    (
        "deny in the boundary",
        "iam:CreateUser",
        "*",
        {},
        [allow("iam:*")],
        {"Statement": [*allow("*")["Statement"], *deny("iam:CreateUser")["Statement"]]},
        None,
        False,
    ),
    (
        "actions are case-insensitive",
        "S3:getobject",
        f"{BUCKET}/a",
        {},
        [allow("s3:GetObject", f"{BUCKET}/*")],
        None,
        None,
        True,
    ),
    (
        "resources are case-sensitive",
        "s3:GetObject",
        f"{BUCKET}/A",
        {},
        [allow("s3:GetObject", f"{BUCKET}/a")],
        None,
        None,
        False,
    ),
    (
        "NotAction",
        "s3:GetObject",
        f"{BUCKET}/a",
        {},
        [{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}],
        None,
        None,
        True,
    ),
    (
        "StringEquals on a missing key",
        "s3:PutObject",
        f"{BUCKET}/a",
        {},
        [allow("s3:PutObject", "*", {"StringEquals": {"s3:x-amz-acl": "private"}})],
        None,
        None,
        False,
    ),
    (
        "StringNotEquals on a missing key matches",
        "s3:PutObject",
        f"{BUCKET}/a",
        {},
        [
            allow("s3:PutObject"),
            deny("s3:PutObject", "*", {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}),
        ],
        None,
        None,
        False,
    ),
    (
        "...IfExists on a missing key is true",
        "s3:PutObject",
        f"{BUCKET}/a",
        {},
        [
            allow("s3:PutObject"),
            deny("s3:PutObject", "*", {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}),
        ],
        None,
        None,
        False,
    ),
    (
        "...IfExists on a present, equal key",
        "s3:PutObject",
        f"{BUCKET}/a",
        {"s3:x-amz-server-side-encryption": "aws:kms"},
        [
            allow("s3:PutObject"),
            deny("s3:PutObject", "*", {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}),
        ],
        None,
        None,
        True,
    ),
    (
        "Null true",
        "sagemaker:CreateTrainingJob",
        "*",
        {},
        [allow("sagemaker:*"), deny("sagemaker:CreateTrainingJob", "*", {"Null": {"sagemaker:VpcSubnets": "true"}})],
        None,
        None,
        False,
    ),
    (
        "Null true, key present",
        "sagemaker:CreateTrainingJob",
        "*",
        {"sagemaker:VpcSubnets": ["subnet-1"]},
        [allow("sagemaker:*"), deny("sagemaker:CreateTrainingJob", "*", {"Null": {"sagemaker:VpcSubnets": "true"}})],
        None,
        None,
        True,
    ),
    (
        "Bool false",
        "sagemaker:CreateModel",
        "*",
        {"sagemaker:NetworkIsolation": "false"},
        [allow("sagemaker:*"), deny("sagemaker:CreateModel", "*", {"Bool": {"sagemaker:NetworkIsolation": "false"}})],
        None,
        None,
        False,
    ),
    (
        "ArnNotEquals, foreign key",
        "sagemaker:CreateTrainingJob",
        "*",
        {"sagemaker:VolumeKmsKey": "arn:aws:kms:eu-west-1:999999999999:key/x"},
        [
            allow("sagemaker:*"),
            deny("sagemaker:CreateTrainingJob", "*", {"ArnNotEquals": {"sagemaker:VolumeKmsKey": KEY}}),
        ],
        None,
        None,
        False,
    ),
    (
        "ArnNotEquals, own key",
        "sagemaker:CreateTrainingJob",
        "*",
        {"sagemaker:VolumeKmsKey": KEY},
        [
            allow("sagemaker:*"),
            deny("sagemaker:CreateTrainingJob", "*", {"ArnNotEquals": {"sagemaker:VolumeKmsKey": KEY}}),
        ],
        None,
        None,
        True,
    ),
    (
        "policy variable from a principal tag",
        "sagemaker:CreatePresignedDomainUrl",
        f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:user-profile/d-1/alice",
        {"aws:PrincipalTag/profile": "alice"},
        [
            allow(
                "sagemaker:CreatePresignedDomainUrl",
                f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:user-profile/d-1/${{aws:PrincipalTag/profile}}",
            )
        ],
        None,
        None,
        True,
    ),
    (
        "policy variable, someone else's profile",
        "sagemaker:CreatePresignedDomainUrl",
        f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:user-profile/d-1/bob",
        {"aws:PrincipalTag/profile": "alice"},
        [
            allow(
                "sagemaker:CreatePresignedDomainUrl",
                f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:user-profile/d-1/${{aws:PrincipalTag/profile}}",
            )
        ],
        None,
        None,
        False,
    ),
    (
        "key policy delegates to the account, identity allows",
        "kms:Decrypt",
        KEY,
        {},
        [allow("kms:Decrypt", KEY)],
        None,
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
        },
        True,
    ),
    (
        "key policy delegates, identity silent",
        "kms:Decrypt",
        KEY,
        {},
        [allow("s3:*")],
        None,
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
        },
        False,
    ),
    (
        "key policy silent, identity allows",
        "kms:Decrypt",
        KEY,
        {},
        [allow("kms:Decrypt", KEY)],
        None,
        {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "kms:*", "Resource": "*"}
            ]
        },
        False,
    ),
    (
        "bucket policy deny",
        "s3:PutObject",
        f"{BUCKET}/a",
        {},
        [allow("s3:PutObject")],
        None,
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": f"{BUCKET}/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        },
        True,
    ),
    (
        "bucket policy deny applies",
        "s3:PutObject",
        f"{BUCKET}/a",
        {"aws:SecureTransport": "false"},
        [allow("s3:PutObject")],
        None,
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:PutObject",
                    "Resource": f"{BUCKET}/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        },
        False,
    ),
    (
        "ForAllValues on an empty key",
        "sts:TagSession",
        "*",
        {},
        [allow("sts:TagSession", "*", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}})],
        None,
        None,
        True,
    ),
    (
        "ForAllValues, other key",
        "sts:TagSession",
        "*",
        {"aws:TagKeys": ["a", "b"]},
        [allow("sts:TagSession", "*", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}})],
        None,
        None,
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_documented_case(case: Any) -> None:
    name, action, resource, context, identity, boundary, resource_policy, expected = case
    required = resource.startswith("arn:aws:kms:")
    decision = evaluate(
        Request(Principal(arn=ROLE, account=ACCOUNT), action, resource, context),
        identity_policies=identity,
        boundary=boundary,
        resource_policy=resource_policy,
        resource_account=ACCOUNT if resource_policy else None,
        resource_policy_required=required,
    )
    assert decision.allowed is expected, f"{name}: {decision.reason}"


#: Where principalmapper is known to differ from IAM, and why the library's evaluator follows IAM.
ORACLE_DIFFERENCES = {
    "resources are case-sensitive": (
        "principalmapper matches Resource case-insensitively; IAM compares ARNs case-sensitively "
        "(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)"
    ),
}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_principalmapper_agrees(case: Any) -> None:
    name, action, resource, context, identity, boundary, resource_policy, expected = case
    tags = {k.split("/", 1)[1]: v for k, v in context.items() if k.lower().startswith("aws:principaltag/")}
    ctx = {k: v for k, v in context.items() if not k.lower().startswith("aws:principaltag/")}
    got = oracle.decide(
        principal_arn=ROLE,
        action=action,
        resource=resource,
        context=ctx,
        identity_policies=identity,
        boundary=boundary,
        resource_policy=resource_policy,
        resource_owner=ACCOUNT if resource_policy else None,
        tags=tags,
    )
    if name in ORACLE_DIFFERENCES:
        assert got is not expected, f"principalmapper now agrees on {name!r}: drop it from ORACLE_DIFFERENCES"
    else:
        assert got is expected, f"principalmapper disagrees on {name!r}"


def test_a_service_principal_is_decided_by_the_trust_policy() -> None:
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    request = Request(Principal(service="sagemaker.amazonaws.com"), "sts:AssumeRole", ROLE)
    assert evaluate(request, resource_policy=trust, resource_policy_required=True).allowed
    other = Request(Principal(service="lambda.amazonaws.com"), "sts:AssumeRole", ROLE)
    assert not evaluate(other, resource_policy=trust, resource_policy_required=True).allowed


def test_an_endpoint_policy_filters_but_grants_nothing() -> None:
    request = Request(Principal(arn=ROLE, account=ACCOUNT), "s3:GetObject", f"{BUCKET}/a")
    endpoint = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
            }
        ]
    }
    assert not evaluate(request, identity_policies=[], endpoint_policies=[endpoint]).allowed
    assert evaluate(request, identity_policies=[allow("s3:GetObject")], endpoint_policies=[endpoint]).allowed
    foreign = Request(
        Principal(arn="arn:aws:iam::222222222222:role/x", account="222222222222"), "s3:GetObject", f"{BUCKET}/a"
    )
    assert not evaluate(foreign, identity_policies=[allow("s3:GetObject")], endpoint_policies=[endpoint]).allowed
