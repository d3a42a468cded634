"""The platform keys' policies mean what they say (issue 10, part 4).

AWS's default key policy gives the account ``kms:*``: any identity policy could then use a key
directly, and the services-only statements would restrict nothing. Each platform key's policy is
evaluated here with the contracts' IAM evaluator, for a role of the account whose identity policy
allows everything on the key.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack

from constructs_ml.contracts.assembly import Assembly, StackView
from constructs_ml.contracts.iam import Principal, Request, evaluate
from constructs_ml.foundation.keys import DATA_KEY_SERVICES, KEY_ADMIN_ACTIONS, MESSAGING_KEY_SERVICES
from tests.fixtures import ACCOUNT, REGION, Foundation
from tests.support import GovernedSynth

Policies = dict[str, tuple[str, dict[str, Any]]]

ROLE = f"arn:aws:iam::{ACCOUNT}:role/anything"
#: An identity policy that allows every KMS action: only the key policy can stop a request.
ALL_KMS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def key_policies(foundation_synth: tuple[GovernedSynth, Foundation, Stack]) -> Policies:
    """Key (data/logs/messaging) -> (key ARN, resolved key policy)."""
    result, foundation, stack = foundation_synth
    assembly = Assembly(result.outdir)
    view: StackView = assembly.stacks[stack.stack_name]
    out: Policies = {}
    for name in ("data", "logs", "messaging"):
        key = getattr(foundation.keys, name)
        logical_id = stack.get_logical_id(key.node.default_child)
        out[name] = (assembly.arn(view, logical_id), assembly.properties(view, logical_id)["KeyPolicy"])
    return out


def _allowed(policies: Policies, key: str, action: str, **context: str) -> bool:
    arn, policy = policies[key]
    request = Request(Principal(arn=ROLE, account=ACCOUNT), action, arn, context)
    return evaluate(
        request,
        identity_policies=[ALL_KMS],
        resource_policy=policy,
        resource_account=ACCOUNT,
        resource_policy_required=True,
    ).allowed


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"])
@pytest.mark.parametrize("key", ["data", "logs", "messaging"])
def test_no_key_can_be_used_directly(key_policies: Policies, key: str, action: str) -> None:
    assert not _allowed(key_policies, key, action)


def test_the_data_key_is_used_only_through_its_services(key_policies: Policies) -> None:
    for service in DATA_KEY_SERVICES:
        assert _allowed(key_policies, "data", "kms:Decrypt", **{"kms:ViaService": f"{service}.{REGION}.amazonaws.com"})
    assert "dynamodb" in DATA_KEY_SERVICES  # the retraining trigger's idempotency table
    for service in ("sns", "lambda", "secretsmanager"):
        assert not _allowed(
            key_policies, "data", "kms:Decrypt", **{"kms:ViaService": f"{service}.{REGION}.amazonaws.com"}
        )
    # The right service in another region is not the platform's.
    assert not _allowed(key_policies, "data", "kms:Decrypt", **{"kms:ViaService": "s3.us-east-1.amazonaws.com"})


def test_the_messaging_key_is_used_only_through_its_services(
    key_policies: Policies,
) -> None:
    for service in MESSAGING_KEY_SERVICES:
        assert _allowed(
            key_policies, "messaging", "kms:GenerateDataKey", **{"kms:ViaService": f"{service}.{REGION}.amazonaws.com"}
        )
    assert "dynamodb" in MESSAGING_KEY_SERVICES  # RetrainingTrigger's table defaults to this key
    assert not _allowed(key_policies, "messaging", "kms:Decrypt", **{"kms:ViaService": f"s3.{REGION}.amazonaws.com"})


def test_grants_only_for_aws_resources_of_the_services(key_policies: Policies) -> None:
    via = {"kms:ViaService": f"sagemaker.{REGION}.amazonaws.com"}
    assert _allowed(key_policies, "data", "kms:CreateGrant", **via, **{"kms:GrantIsForAWSResource": "true"})
    # A grant made directly, or through a service but not for its resource, would bypass the
    # services-only statements.
    assert not _allowed(key_policies, "data", "kms:CreateGrant", **{"kms:GrantIsForAWSResource": "true"})
    assert not _allowed(key_policies, "data", "kms:CreateGrant", **via, **{"kms:GrantIsForAWSResource": "false"})
    assert not _allowed(key_policies, "data", "kms:CreateGrant", **via)
    assert "kms:Create*" not in KEY_ADMIN_ACTIONS


@pytest.mark.parametrize("key", ["data", "logs", "messaging"])
@pytest.mark.parametrize(
    "action",
    ["kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"],
)
def test_the_account_still_administers_every_key(key_policies: Policies, key: str, action: str) -> None:
    """No lockout: the account's IAM (e.g. the deployment role) can always change the policy."""
    assert _allowed(key_policies, key, action)


def test_no_statement_gives_the_account_every_kms_action(
    key_policies: Policies,
) -> None:
    for _, policy in key_policies.values():
        for s in policy["Statement"]:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            assert "kms:*" not in actions, s
