"""ModelRegistry: governed synth, cross-account policy, approval events, grants, imports, bad props."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy, Stack

from constructs_ml.build import ModelRegistry
from constructs_ml.errors import ValidationError
from constructs_ml.foundation import PersonaKind
from tests.fixtures import ENV, Foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    stack: Stack
    registry: ModelRegistry
    central_pipeline_role: Any


@pytest.fixture(scope="module")
def built() -> Built:
    b = Built()
    app = new_app()
    b.stack = Stack(app, "RegistryGov", env=ENV)
    f = Foundation(b.stack)
    assert f.personas is not None
    b.registry = ModelRegistry(
        b.stack,
        "Churn",
        model_package_group_name="churn",
        description="Churn model versions",
        cross_account_ids=["222222222222"],
    )
    b.registry.grant_approve(f.personas.role(PersonaKind.MODEL_APPROVER))
    b.registry.grant_register(f.execution_roles.pipeline)  # type: ignore[union-attr]  # built with personas
    central = ModelRegistry.from_model_package_group_arn(
        b.stack, "Central", "arn:aws:sagemaker:eu-west-1:333333333333:model-package-group/shared-churn"
    )
    central.grant_read(f.personas.role(PersonaKind.ML_ENGINEER))
    b.result = governed_synth(app)
    b.template = b.result.template(b.stack)
    return b


def _group(b: Built) -> dict[str, Any]:
    (group,) = resources_of(b.template, "AWS::SageMaker::ModelPackageGroup").values()
    return group


def _statements(b: Built, policy_prefix: str) -> list[dict[str, Any]]:
    return [
        s
        for k, v in resources_of(b.template, "AWS::IAM::ManagedPolicy").items()
        if policy_prefix in k
        for s in v["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_governance_gate_and_cfn_lint(built: Built) -> None:
    assert_governance_clean(built.result)
    assert cfn_lint_errors(built.template) == []


def test_group_is_retained(built: Built) -> None:
    group = _group(built)
    assert group["DeletionPolicy"] == "Retain" and group["UpdateReplacePolicy"] == "Retain"
    assert group["Properties"]["ModelPackageGroupName"] == "churn"


def test_cross_account_policy_names_the_account_and_no_wildcard_principal(built: Built) -> None:
    policy = _group(built)["Properties"]["ModelPackageGroupPolicy"]
    principals = [s["Principal"] for s in policy["Statement"]]
    assert all(
        p == {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::222222222222:root"]]}}
        for p in principals
    )
    actions = {
        a for s in policy["Statement"] for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert actions == {
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
        "sagemaker:CreateModel",
    }
    resources = [s["Resource"]["Fn::Join"][1][-1] for s in policy["Statement"]]
    assert resources == [
        ":sagemaker:eu-west-1:111111111111:model-package-group/churn",
        ":sagemaker:eu-west-1:111111111111:model-package/churn/*",
    ]


@pytest.fixture(scope="module")
def rules() -> dict[str, Any]:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Rules", env=ENV)
    registry = ModelRegistry(stack, "Churn", model_package_group_name="churn")
    assert registry.on_model_approved("Approved").rule_arn
    registry.on_model_rejected("Rejected")
    return resources_of(app.synth().get_stack_by_name("Rules").template, "AWS::Events::Rule")


@pytest.mark.parametrize(("rule", "status"), [("ChurnApproved", "Approved"), ("ChurnRejected", "Rejected")])
def test_approval_event_rules(rules: dict[str, Any], rule: str, status: str) -> None:
    (r,) = [v for k, v in rules.items() if k.startswith(rule)]
    assert r["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": ["churn"], "ModelApprovalStatus": [status]},
    }


def test_only_the_approver_may_set_approved(built: Built) -> None:
    approver = _statements(built, "PersonasModelApprover")
    (update,) = [
        s
        for s in approver
        if s["Action"] == "sagemaker:UpdateModelPackage" and "model-package/churn/*" in str(s["Resource"])
    ]
    assert update["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": ["Approved", "Rejected"]}}
    pipeline = _statements(built, "ExecutionRolesPipeline")
    creates = [s for s in pipeline if s["Action"] == "sagemaker:CreateModelPackage" and "churn" in str(s["Resource"])]
    assert creates and all(
        s["Condition"] == {"StringNotEquals": {"sagemaker:ModelApprovalStatus": "Approved"}} for s in creates
    )


def test_imported_group_grants_on_its_own_account(built: Built) -> None:
    reads = [s for s in _statements(built, "PersonasMlEngineer") if s["Action"] == "sagemaker:DescribeModelPackage"]
    assert any(
        "333333333333" in str(s["Resource"]) and "model-package/shared-churn/*" in str(s["Resource"]) for s in reads
    )


def test_import_by_name() -> None:
    stack = Stack(App(), "Imp", env=ENV)
    imported = ModelRegistry.from_model_package_group_name(stack, "G", "churn")
    assert imported.model_package_group_arn.endswith(":111111111111:model-package-group/churn")
    assert imported.model_package_arn_pattern.endswith(":model-package/churn/*")


def test_wildcard_principal_and_bad_names_are_rejected() -> None:
    stack = Stack(App(), "Bad", env=ENV)
    with pytest.raises(ValidationError) as err:
        ModelRegistry(
            stack, "R", model_package_group_name="bad_name", cross_account_ids=["*", "arn:aws:iam::*:root", "12345"]
        )
    text = str(err.value)
    assert "Bad/R: cross_account_ids must not contain a wildcard principal (got '*')" in text
    assert "(got 'arn:aws:iam::*:root')" in text
    assert "cross_account_ids must be a 12-digit account id or an IAM root/role ARN (got '12345')" in text
    assert "model_package_group_name must be 1..63 letters" in text


def test_not_retained_is_a_warning() -> None:
    from aws_cdk.assertions import Annotations, Match

    stack = Stack(App(), "Warn", env=ENV)
    ModelRegistry(stack, "R", removal_policy=RemovalPolicy.DESTROY)
    Annotations.from_stack(stack).has_warning("/Warn/R", Match.string_like_regexp("deletes the model registry"))


@pytest.fixture(scope="module")
def mixed_case() -> dict[str, Any]:
    """A mixed-case group: owned (with grants and a cross-account policy), imported by name and by ARN."""
    from aws_cdk import aws_iam as iam

    from constructs_ml.foundation.roles import ManagedPolicyRole

    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Mixed", env=ENV)
    role = ManagedPolicyRole(stack, "Approver", assumed_by=iam.AccountRootPrincipal(), description="approver")
    registry = ModelRegistry(stack, "Churn", model_package_group_name="Churn-Model", cross_account_ids=["222222222222"])
    registry.grant_approve(role)
    by_name = ModelRegistry.from_model_package_group_name(stack, "ByName", "Shared-Churn")
    by_arn = ModelRegistry.from_model_package_group_arn(
        stack, "ByArn", "arn:aws:sagemaker:eu-west-1:333333333333:model-package-group/Central-Churn"
    )
    template = app.synth().get_stack_by_name("Mixed").template
    resolved = {
        label: (stack.resolve(r.model_package_group_arn), stack.resolve(r.model_package_arn_pattern))
        for label, r in {"owned": registry, "by_name": by_name, "by_arn": by_arn}.items()
    }
    return {"template": template, "resolved": resolved, "names": (registry, by_name, by_arn)}


def _tail(value: Any) -> str:
    """The literal end of an ARN (a plain string, or the last part of a Fn::Join)."""
    return value if isinstance(value, str) else str(value["Fn::Join"][1][-1])


def test_mixed_case_group_name_gives_lower_case_arns(mixed_case: dict[str, Any]) -> None:
    resolved = mixed_case["resolved"]
    assert _tail(resolved["owned"][0]).endswith(":model-package-group/churn-model")
    assert _tail(resolved["owned"][1]).endswith(":model-package/churn-model/*")
    assert _tail(resolved["by_name"][0]).endswith(":model-package-group/shared-churn")
    assert _tail(resolved["by_name"][1]).endswith(":model-package/shared-churn/*")
    # A given ARN is used as given; the package pattern built from its name is lower case.
    assert resolved["by_arn"][0] == "arn:aws:sagemaker:eu-west-1:333333333333:model-package-group/Central-Churn"
    assert _tail(resolved["by_arn"][1]).endswith(":333333333333:model-package/central-churn/*")


def test_mixed_case_group_keeps_its_name_and_grants_lower_case_arns(mixed_case: dict[str, Any]) -> None:
    template = mixed_case["template"]
    (group,) = resources_of(template, "AWS::SageMaker::ModelPackageGroup").values()
    assert group["Properties"]["ModelPackageGroupName"] == "Churn-Model"
    assert [r.model_package_group_name for r in mixed_case["names"]] == ["Churn-Model", "Shared-Churn", "Central-Churn"]
    policy_resources = [_tail(s["Resource"]) for s in group["Properties"]["ModelPackageGroupPolicy"]["Statement"]]
    assert policy_resources == [
        ":sagemaker:eu-west-1:111111111111:model-package-group/churn-model",
        ":sagemaker:eu-west-1:111111111111:model-package/churn-model/*",
    ]
    (approver,) = resources_of(template, "AWS::IAM::ManagedPolicy").values()
    granted = [_tail(s["Resource"]) for s in approver["Properties"]["PolicyDocument"]["Statement"]]
    assert granted and all(r.endswith(("/churn-model", "/churn-model/*")) for r in granted)
    assert "Churn-Model" not in str(approver["Properties"]["PolicyDocument"])
