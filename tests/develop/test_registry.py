"""ModelRegistry: governed synth, cross-account policy, approval events, grants, imports, bad props."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_ml.develop import ModelRegistry
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
    foundation: Foundation


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
    b.registry.grant_cross_account_read(f.buckets.artifacts.bucket, prefixes=["pipelines/churn/", "models/churn/"])
    b.foundation = f
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


READER = {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::222222222222:root"]]}}


def _logical_id(b: Built, construct: Any) -> str:
    return str(b.stack.resolve(construct.node.default_child.logical_id))


def _reader_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if "222222222222" in json.dumps(s.get("Principal", ""))]


def _bucket_policy(b: Built, bucket: Any) -> dict[str, Any]:
    ref = {"Ref": _logical_id(b, bucket)}
    (policy,) = [
        p for p in resources_of(b.template, "AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == ref
    ]
    return dict(policy["Properties"]["PolicyDocument"])


def test_reader_may_read_and_list_only_the_groups_prefixes_of_the_artifacts_bucket(built: Built) -> None:
    bucket = built.foundation.buckets.artifacts.bucket
    arn = {"Fn::GetAtt": [_logical_id(built, bucket), "Arn"]}
    read, listing = _reader_statements(_bucket_policy(built, bucket))
    assert read["Principal"] == listing["Principal"] == READER
    assert read["Effect"] == listing["Effect"] == "Allow"
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["Resource"] == [
        {"Fn::Join": ["", [arn, "/pipelines/churn/*"]]},
        {"Fn::Join": ["", [arn, "/models/churn/*"]]},
    ]
    assert (listing["Action"], listing["Resource"]) == ("s3:ListBucket", arn)
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["pipelines/churn/*", "models/churn/*"]}}
    for other in (built.foundation.buckets.data.bucket, built.foundation.buckets.capture.bucket):
        assert _reader_statements(_bucket_policy(built, other)) == []


def test_reader_may_decrypt_the_data_key_only_through_s3_in_the_region(built: Built) -> None:
    keys = resources_of(built.template, "AWS::KMS::Key")
    data_key = _logical_id(built, built.foundation.keys.data)
    (decrypt,) = _reader_statements(keys[data_key]["Properties"]["KeyPolicy"])
    assert decrypt["Principal"] == READER
    assert (decrypt["Action"], decrypt["Resource"]) == ("kms:Decrypt", "*")
    # The bucket's name is generated: its ARN cannot be named in the key policy without a cycle.
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
    assert [k for k, v in keys.items() if k != data_key and _reader_statements(v["Properties"]["KeyPolicy"])] == []


def test_the_reader_has_no_other_statement_anywhere(built: Built) -> None:
    text = json.dumps(built.template)
    # registry policy (2) + bucket policy (2) + key policy (1)
    assert text.count(":iam::222222222222:root") == 5


def test_cross_account_write_actions_are_rejected() -> None:
    stack = Stack(App(), "Writes", env=ENV)
    with pytest.raises(ValidationError) as err:
        ModelRegistry(
            stack,
            "R",
            cross_account_ids=["222222222222"],
            cross_account_actions=["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:*"],
        )
    text = str(err.value)
    assert "Writes/R: cross_account_actions must be one of sagemaker:CreateModel" in text
    assert "cross-account access is read-only" in text
    assert "(got 'sagemaker:UpdateModelPackage')" in text and "(got 'sagemaker:*')" in text
    assert "(got 'sagemaker:DescribeModelPackage')" not in text


def test_own_account_and_repeated_readers_are_rejected() -> None:
    stack = Stack(App(), "Own", env=ENV)
    with pytest.raises(ValidationError) as err:
        ModelRegistry(
            stack,
            "R",
            cross_account_ids=[
                "111111111111",
                "arn:aws:iam::111111111111:role/deployer",
                "333333333333",
                "333333333333",
            ],
        )
    text = str(err.value)
    assert "Own/R: cross_account_ids must name another account than the registry's own (111111111111)" in text
    assert "(got 'arn:aws:iam::111111111111:role/deployer')" in text
    assert "cross_account_ids must not repeat names; duplicated (got ['333333333333'])" in text


@pytest.mark.parametrize(
    ("readers", "prefixes", "message"),
    [
        ((), ["pipelines/churn/"], r"R: cross_account_ids is empty: name the reader accounts"),
        (("222222222222",), [], r"R: prefixes must be at least one prefix"),
        (("222222222222",), [""], r"R: prefixes must be a non-empty key prefix ending with '/'.*\(got ''\)"),
        (("222222222222",), ["/pipelines/"], r"\(got '/pipelines/'\)"),
        (("222222222222",), ["pipelines/*"], r"\(got 'pipelines/\*'\)"),
        (("222222222222",), ["pipelines/churn"], r"\(got 'pipelines/churn'\)"),
    ],
)
def test_bad_artifact_grants_are_rejected(readers: tuple[str, ...], prefixes: list[str], message: str) -> None:
    stack = Stack(App(), "Grant", env=ENV)
    registry = ModelRegistry(stack, "R", cross_account_ids=readers)
    bucket = s3.Bucket(stack, "B")
    with pytest.raises(ValidationError, match=message):
        registry.grant_cross_account_read(bucket, prefixes=prefixes)


def test_an_imported_bucket_cannot_be_granted_from_here() -> None:
    stack = Stack(App(), "Imported", env=ENV)
    registry = ModelRegistry(stack, "R", cross_account_ids=["222222222222"])
    bucket = s3.Bucket.from_bucket_name(stack, "B", "artifacts")
    with pytest.raises(ValidationError, match=r"Imported/R: bucket is imported: its policy cannot be changed"):
        registry.grant_cross_account_read(bucket, prefixes=["pipelines/churn/"])


@pytest.fixture(scope="module")
def split() -> dict[str, dict[str, Any]]:
    """Key, named bucket and registry in three stacks (as in the reference platform), un-governed."""
    app = new_app(governed=False, validate_cfn=False)
    keys = Stack(app, "Keys", env=ENV)
    key = kms.Key(keys, "Data", enable_key_rotation=True)
    buckets = Stack(app, "Buckets", env=ENV)
    bucket = s3.Bucket(buckets, "Artifacts", bucket_name="churn-artifacts", encryption_key=key)
    build = Stack(app, "Build", env=ENV)
    ModelRegistry(build, "R", cross_account_ids=["444455556666"]).grant_cross_account_read(
        bucket, prefixes=["pipelines/churn/"]
    )
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in ("Keys", "Buckets", "Build")}


def test_statements_land_in_the_owning_stacks_without_cross_stack_references(split: dict[str, Any]) -> None:
    assert "444455556666" in json.dumps(resources_of(split["Buckets"], "AWS::S3::BucketPolicy"))
    assert "444455556666" in json.dumps(resources_of(split["Keys"], "AWS::KMS::Key"))
    assert "444455556666" not in json.dumps(resources_of(split["Build"], "AWS::S3::BucketPolicy"))
    assert all("Fn::ImportValue" not in json.dumps(t) for t in (split["Keys"], split["Build"]))


def test_a_named_bucket_scopes_the_decrypt_grant_by_encryption_context(split: dict[str, Any]) -> None:
    (key,) = resources_of(split["Keys"], "AWS::KMS::Key").values()
    (decrypt,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if "444455556666" in json.dumps(s)]
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::churn-artifacts"]]}
    object_arns = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::churn-artifacts/pipelines/churn/*"]]}
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, object_arns]},
    }
    assert cfn_lint_errors(split["Keys"]) == []
