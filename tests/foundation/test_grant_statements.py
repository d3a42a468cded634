"""grant_objects / grant_statements: the same statements, in order, whoever the grantee is.

A ManagedPolicyRole gets the statements after the first in one call to Node; any other grantee gets
one ``iam.Grant.add_to_principal`` per statement. Both must produce the same policy content.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_ml.foundation.buckets import KEY_DECRYPT_ACTIONS, READ_ACTIONS, grant_objects
from constructs_ml.foundation.roles import GrantStatement, ManagedPolicyRole, grant_statements
from tests.support import ACCOUNT, REGION, new_app, resources_of

EXPECTED = [
    (["s3:GetObject", "s3:GetObjectVersion"], "objects"),
    (["s3:GetBucketLocation"], "bucket"),
    (["s3:ListBucket"], "bucket, under the prefix"),
    (["kms:Decrypt", "kms:DescribeKey"], "key"),
]


@pytest.fixture(scope="module")
def policies() -> dict[str, tuple[list[dict[str, Any]], iam.Grant]]:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Grants", env={"account": ACCOUNT, "region": REGION})
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Bucket", encryption_key=key)
    managed = ManagedPolicyRole(
        stack, "Managed", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"), description="managed"
    )
    plain = iam.Role(stack, "Plain", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    grants = {
        "managed": grant_objects(bucket, managed, READ_ACTIONS, "data/", key_actions=KEY_DECRYPT_ACTIONS),
        "plain": grant_objects(bucket, plain, READ_ACTIONS, "data/", key_actions=KEY_DECRYPT_ACTIONS),
    }
    template = app.synth().get_stack_artifact("Grants").template
    (managed_policy,) = resources_of(template, "AWS::IAM::ManagedPolicy").values()
    (plain_policy,) = resources_of(template, "AWS::IAM::Policy").values()
    return {
        "managed": (managed_policy["Properties"]["PolicyDocument"]["Statement"], grants["managed"]),
        "plain": (plain_policy["Properties"]["PolicyDocument"]["Statement"], grants["plain"]),
    }


@pytest.mark.parametrize("grantee", ["managed", "plain"])
def test_every_statement_lands_in_order(
    policies: dict[str, tuple[list[dict[str, Any]], iam.Grant]], grantee: str
) -> None:
    statements, grant = policies[grantee]
    actions = [s["Action"] if isinstance(s["Action"], list) else [s["Action"]] for s in statements]
    assert actions == [a for a, _ in EXPECTED], statements
    assert statements[2]["Condition"] == {"StringLike": {"s3:prefix": ["data/*"]}}
    assert grant.success


def test_both_paths_write_the_same_statements(policies: dict[str, tuple[list[dict[str, Any]], iam.Grant]]) -> None:
    assert policies["managed"][0] == policies["plain"][0]


def test_granting_nothing_is_an_error() -> None:
    app = new_app(governed=False, validate_cfn=False)
    role = iam.Role(Stack(app, "S"), "R", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    with pytest.raises(ValueError, match="no statement"):
        grant_statements(role, [])
    assert GrantStatement(["s3:GetObject"], ["*"]).to_policy_statement().to_statement_json()["Action"] == "s3:GetObject"
