"""Workload contracts of the reference platform, evaluated offline on its synthesized templates.

Every role of the platform states what its workload does (``WorkloadContract``, with the AWS page that says
so); these tests check each call against identity policies ∩ permissions boundary, explicit denies, resource
policies and VPC endpoint policies, and each network path against security groups, endpoints and routes.
The mutation tests put back the defects the real-AWS review found and show the check fails on each.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker, ContractReport
from constructs_ml.contracts.iam import Principal, Request, evaluate
from stacks.app import build_platform
from stacks.config import PlatformConfig
from tests.contracts import oracle
from tests.support import new_app

#: Roles that carry no contract, and why. (CDK's default-security-group provider was exempt once, as "outside
#: the platform's workloads"; its contract then showed the boundary denied its calls: a failed deploy.)
EXEMPT: dict[str, str] = {}


@pytest.fixture(scope="module")
def assembly() -> Assembly:
    app = new_app(governed=False, validate_cfn=False)
    build_platform(app, PlatformConfig(), governed=False)
    return Assembly(app.synth().directory)


@pytest.fixture(scope="module")
def report(assembly: Assembly) -> ContractReport:
    return ContractChecker(assembly).check()


def _mutated(assembly: Assembly) -> Assembly:
    clone = copy.copy(assembly)
    clone.stacks = {k: copy.deepcopy(v) for k, v in assembly.stacks.items()}
    return clone


def _resources(assembly: Assembly, type_name: str) -> list[tuple[str, dict[str, Any]]]:
    return [(view.paths.get(lid, lid), res) for view, lid, res in assembly.resources(type_name)]


def test_every_contract_is_honoured(report: ContractReport) -> None:
    assert report.entries_checked > 150
    assert report.ok, report.summary()


def test_every_role_has_a_contract(report: ContractReport) -> None:
    missing = [r for r in report.roles_without_contract if not any(r.startswith(e) for e in EXEMPT)]
    assert missing == [], report.summary()


def test_cdks_default_security_group_provider_can_do_its_job(report: ContractReport, assembly: Assembly) -> None:
    provider = "/Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Role"
    assert report.roles.get(provider, 0) == 4  # authorize/revoke, ingress/egress, on the default group
    assert not [f for f in report.findings if f.role == provider]
    # the boundary lets bounded roles change that one group's rules, and no other group's
    policies = _resources(assembly, "AWS::IAM::ManagedPolicy")
    ((_, boundary),) = [(p, r) for p, r in policies if p == "/Network/PermissionsBoundary/Resource/Resource"]
    statements = {s.get("Sid"): s for s in boundary["Properties"]["PolicyDocument"]["Statement"]}
    rules = statements["DefaultSecurityGroupRules"]
    assert rules["Effect"] == "Allow" and "DefaultSecurityGroup" in json.dumps(rules["Resource"])
    assert "security-group/*" not in json.dumps(rules["Resource"])
    assert not any("SecurityGroup" in a for a in statements["Ceiling"]["Action"])


def test_contracts_cover_allow_deny_and_network(assembly: Assembly) -> None:
    checker = ContractChecker(assembly)
    kinds = {(e["kind"], e.get("expect")) for _, _, entries in checker.contracts for e in entries}
    assert {("call", "allow"), ("call", "deny"), ("reach", None)} <= kinds
    for _, _, entries in checker.contracts:
        for e in entries:
            assert e["source"].startswith("https://docs.aws.amazon.com/"), e


def _role(checker: ContractChecker, fragment: str) -> Any:
    (role,) = [r for r in checker.roles.values() if fragment in r.path]
    return role


def test_retraining_function_can_write_its_idempotency_table(assembly: Assembly) -> None:
    """Defect 1: the boundary allowed no DynamoDB action, so every claim write was denied."""
    checker = ContractChecker(assembly)
    role = _role(checker, "/Retraining/Function/Role/Resource")
    ((view, lid, _),) = list(assembly.resources("AWS::DynamoDB::Table"))
    table = assembly.arn(view, lid)
    for action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        request = Request(Principal(arn=role.arn, account=view.account), action, table)
        decision = evaluate(request, identity_policies=role.identity, boundary=role.boundary)
        assert decision.allowed, (action, decision.reason)
    # The old boundary (no dynamodb action): denied by the boundary.
    old = copy.deepcopy(role.boundary)
    for s in old["Statement"]:
        if s.get("Sid") == "Ceiling":
            s["Action"] = [a for a in s["Action"] if not a.startswith("dynamodb:")]
    request = Request(Principal(arn=role.arn, account=view.account), "dynamodb:PutItem", table)
    assert evaluate(request, identity_policies=role.identity, boundary=old).reason == (
        "the permissions boundary does not allow it"
    )


def test_without_gateway_egress_the_model_cannot_download_its_artifact(assembly: Assembly) -> None:
    """Defect 2: no egress to S3 without prefix lists; the contract check now fails on it."""
    mutated = _mutated(assembly)
    for view in mutated.stacks.values():
        for res in view.resources.values():
            if res["Type"] == "AWS::EC2::SecurityGroup":
                res["Properties"]["SecurityGroupEgress"] = [
                    r for r in res["Properties"].get("SecurityGroupEgress", []) if r.get("CidrIp") != "0.0.0.0/0"
                ]
    findings = ContractChecker(mutated).check().findings
    assert any("/Serving/Model/Role" in f.role and "s3 gateway endpoint" in f.problem for f in findings)
    assert any("/Build/Pipeline/JobRole" in f.role and "s3 gateway endpoint" in f.problem for f in findings)


def test_a_person_opens_only_their_own_studio_profile(report: ContractReport, assembly: Assembly) -> None:
    """Defect 3: no persona could set the session tag; now only their own name, with MFA."""
    mutated = _mutated(assembly)
    for _, res in _resources(mutated, "AWS::IAM::Role"):
        doc = res["Properties"]["AssumeRolePolicyDocument"]
        doc["Statement"] = [s for s in doc["Statement"] if s.get("Action") != "sts:TagSession"]
    findings = ContractChecker(mutated).check().findings
    tag_findings = [f for f in findings if f.entry.get("action") == "sts:TagSession" and f.entry["expect"] == "allow"]
    assert {f.role.split("/")[3] for f in tag_findings} == {
        "DataScientist",
        "MlEngineer",
        "ModelApprover",
        "PlatformAdmin",
    }


def test_studio_roles_manage_spaces_and_apps_and_volume_grants(assembly: Assembly) -> None:
    """Defect 4: Studio execution roles could not create spaces/apps, nor grants on the volume key."""
    mutated = _mutated(assembly)
    for _, res in _resources(mutated, "AWS::IAM::ManagedPolicy"):
        doc = res["Properties"]["PolicyDocument"]
        doc["Statement"] = [
            s
            for s in doc["Statement"]
            if not (
                {"sagemaker:CreateSpace", "kms:CreateGrant"}
                & set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
            )
        ]
    findings = ContractChecker(mutated).check().findings
    studio = {(f.role.split("/")[3], f.entry["action"]) for f in findings if "Studio/" in f.role}
    for persona in ("DataScientistStudio", "MlEngineerStudio"):
        assert (persona, "sagemaker:CreateSpace") in studio
        assert (persona, "kms:CreateGrant") in studio
    grants = {f.role for f in findings if f.entry.get("action") == "kms:CreateGrant"}
    assert any("/ExecutionRoles/Monitoring/" in r for r in grants)
    assert any("/ExecutionRoles/Training/" in r for r in grants)


def test_no_persona_but_the_approver_approves(report: ContractReport, assembly: Assembly) -> None:
    checker = ContractChecker(assembly)
    denies = [
        (role.path, e)
        for role, _, entries in checker.contracts
        if role is not None
        for e in entries
        if e.get("expect") == "deny" and e.get("context", {}).get("sagemaker:ModelApprovalStatus") == "Approved"
    ]
    assert {p.split("/")[3] for p, _ in denies} >= {
        "DataScientist",
        "MlEngineer",
        "PlatformAdmin",
        "Pipeline",
        "PipelineRole",
    }
    assert report.ok


def test_principalmapper_agrees_on_every_contract_call(assembly: Assembly) -> None:
    """Each call, without VPC endpoint policies (principalmapper has none), decided by both evaluators."""
    checker = ContractChecker(assembly)
    compared = 0
    disagreements = []
    for role, _, entries in checker.contracts:
        assert role is not None
        for e in entries:
            if e["kind"] != "call" or e.get("caller"):
                continue
            resource = str(e["resource"])
            policy, required, owner = checker.resource_policy(e["action"], resource)
            context = dict(e.get("context", {}))
            if owner is not None:
                context.setdefault("aws:ResourceAccount", owner)
            if e["action"].lower().startswith("kms:"):
                # KMS puts the caller's account in every request; principalmapper does not know it.
                context.setdefault("kms:CallerAccount", role.view.account)
            tags = {**role.tags, **e.get("principalTags", {})}
            ours = evaluate(
                Request(Principal(arn=role.arn, account=role.view.account, tags=tags), e["action"], resource, context),
                identity_policies=role.identity,
                boundary=role.boundary,
                resource_policy=policy,
                resource_account=owner,
                resource_policy_required=required,
            ).allowed
            theirs = oracle.decide(
                principal_arn=role.arn,
                action=e["action"],
                resource=resource,
                context=context,
                identity_policies=role.identity,
                boundary=role.boundary,
                resource_policy=policy,
                resource_owner=owner or (role.view.account if policy else None),
                tags=tags,
            )
            compared += 1
            if ours != theirs:
                disagreements.append((role.path, e["action"], resource, ours, theirs))
    assert compared > 100
    assert disagreements == []
