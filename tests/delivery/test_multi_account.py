"""config/multi-account.json, synthesized once with every governance pack: the pipeline stack in the tooling
account and each stage's stacks bound to their account; pipeline stages and approvals, cross-account trust and
key policies, approval forwarding on both sides, the governance gate in the pipeline, cfn-lint on every template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from constructs_ml.contracts import check_assembly
from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.iam import Principal, Request, evaluate
from constructs_ml.governance.acknowledgements import find_entry
from stacks.config import PlatformConfig, load_config
from stacks.delivery import PlatformDelivery, build_delivery, registry_artifacts_bucket_name
from tests.support import GovernedSynth, cfn_lint_errors, governed_synth, new_app, resources_of

ROOT = Path(__file__).resolve().parents[2]
STAGE_ACCOUNTS = {"Dev": "222222222222", "Staging": "333333333333", "Prod": "444444444444"}
REGION = "eu-west-1"


@dataclass
class Synth:
    result: GovernedSynth
    delivery: PlatformDelivery
    templates: dict[str, dict[str, Any]]
    manifests: dict[str, dict[str, Any]]
    config: PlatformConfig

    def template(self, stack: str) -> dict[str, Any]:
        """The template of ``Delivery`` or of a stage's stack, e.g. ``StagingServing``."""
        (name,) = [n for n in self.templates if re.fullmatch(rf"(assembly-\w+/)?{stack}([0-9A-F]{{8}})?", n)]
        return self.templates[name]


@pytest.fixture(scope="module")
def synth() -> Synth:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["constructs-ml:config-file"] = "config/multi-account.json"
    app = new_app(governed=False, **context)
    config = load_config(app.node.get_all_context(), base_dir=ROOT)
    delivery = build_delivery(app, config)
    result = governed_synth(app)
    templates: dict[str, dict[str, Any]] = {}
    manifests: dict[str, dict[str, Any]] = {}
    for path in result.outdir.rglob("*.template.json"):
        rel = path.relative_to(result.outdir)
        prefix = f"{rel.parent.name}/" if rel.parent.name else ""
        templates[prefix + path.name.removesuffix(".template.json")] = json.loads(path.read_text())
    for path in result.outdir.rglob("manifest.json"):
        manifests[str(path.parent.relative_to(result.outdir))] = json.loads(path.read_text())
    return Synth(result, delivery, templates, manifests, config)


def _pipeline(synth: Synth) -> dict[str, Any]:
    (pipeline,) = resources_of(synth.template("Delivery"), "AWS::CodePipeline::Pipeline").values()
    props: dict[str, Any] = pipeline["Properties"]
    return props


def _flat(node: Any) -> str:
    return json.dumps(node, sort_keys=True)


# -- accounts -------------------------------------------------------------------------------------------------


def test_every_stack_is_bound_to_its_account(synth: Synth) -> None:
    envs: dict[str, str] = {}
    for manifest in synth.manifests.values():
        for name, artifact in manifest["artifacts"].items():
            if artifact["type"] == "aws:cloudformation:stack":
                envs[name] = artifact["environment"]
    assert envs.pop("Delivery") == f"aws://111111111111/{REGION}"
    by_stage: dict[str, set[str]] = {}
    for name, env in envs.items():
        stage = next(s for s in STAGE_ACCOUNTS if name.startswith(s))
        assert env == f"aws://{STAGE_ACCOUNTS[stage]}/{REGION}", name
        by_stage.setdefault(stage, set()).add(name.removeprefix(stage)[:-8])
    assert by_stage == {
        "Dev": {"Network", "Platform", "Build", "Serving"},
        "Staging": {"Network", "Platform", "Release", "Serving"},
        "Prod": {"Network", "Platform", "Release", "Serving"},
    }


# -- the pipeline ---------------------------------------------------------------------------------------------


def test_pipeline_stages_in_order_with_approval_before_prod_only(synth: Synth) -> None:
    stages = _pipeline(synth)["Stages"]
    assert [s["Name"] for s in stages] == ["Source", "Build", "UpdatePipeline", "Assets", "Dev", "Staging", "Prod"]
    manual = {s["Name"]: [a["Name"] for a in s["Actions"] if a["ActionTypeId"]["Provider"] == "Manual"] for s in stages}
    assert manual["Prod"] == ["Approve-Prod"]
    assert all(not names for stage, names in manual.items() if stage != "Prod")
    prod = next(s for s in stages if s["Name"] == "Prod")
    approval_order = min(a["RunOrder"] for a in prod["Actions"] if a["ActionTypeId"]["Provider"] == "Manual")
    deploy_orders = [a["RunOrder"] for a in prod["Actions"] if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert approval_order < min(deploy_orders)


def test_source_is_the_codeconnections_repository(synth: Synth) -> None:
    (action,) = _pipeline(synth)["Stages"][0]["Actions"]
    assert action["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert action["Configuration"]["FullRepositoryId"] == "example-org/ml-platform"
    assert action["Configuration"]["BranchName"] == "main"
    assert action["Configuration"]["ConnectionArn"].startswith("arn:aws:codeconnections:eu-west-1:111111111111:")


def test_synth_runs_the_governance_gate_and_publishes_the_report(synth: Synth) -> None:
    projects = resources_of(synth.template("Delivery"), "AWS::CodeBuild::Project")
    synth_project = next(p for k, p in projects.items() if "Synth" in k)
    spec = json.loads(synth_project["Properties"]["Source"]["BuildSpec"])
    commands = spec["phases"]["build"]["commands"]
    assert commands == [
        "npx cdk synth -c constructs-ml:config-file=config/multi-account.json",
        "python -m constructs_ml.governance report cdk.out --out cdk.out/compliance --strict",
    ]
    # The report sits inside the cloud assembly: the synth action's output artifact.
    assert spec["artifacts"]["base-directory"] == "cdk.out"
    # No Docker: neither synth nor self-mutation runs privileged.
    assert all(p["Properties"]["Environment"].get("PrivilegedMode") is False for p in projects.values())


def test_cross_account_deploys_use_each_accounts_bootstrap_deploy_role(synth: Synth) -> None:
    for stage in _pipeline(synth)["Stages"][4:]:
        account = STAGE_ACCOUNTS[stage["Name"]]
        deploy_role = f"role/cdk-hnb659fds-deploy-role-{account}-{REGION}"
        cfn_actions = [a for a in stage["Actions"] if a["ActionTypeId"]["Provider"] == "CloudFormation"]
        assert cfn_actions
        for action in cfn_actions:
            assert deploy_role in _flat(action["RoleArn"])
        # The change sets are created with the account's CloudFormation execution role.
        prepares = [a for a in cfn_actions if a["Name"].endswith(".Prepare")]
        assert prepares
        for action in prepares:
            assert f"role/cdk-hnb659fds-cfn-exec-role-{account}-{REGION}" in _flat(action["Configuration"]["RoleArn"])


def _role_policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pipeline roles' policies (CDK Pipelines' default policies, rendered as managed policies)."""
    return {
        k: p
        for k, p in resources_of(template, "AWS::IAM::ManagedPolicy").items()
        if p["Properties"].get("Description", "").startswith("CDK Pipelines policy of")
    }


def test_no_role_wildcard_and_assume_role_only_on_named_roles(synth: Synth) -> None:
    template = synth.template("Delivery")
    policies = _role_policies(template)
    assert len(policies) == 6
    for name, policy in policies.items():
        assert len(policy["Properties"]["Roles"]) == 1
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert resources != ["*"], (name, statement)
            if statement["Action"] == "sts:AssumeRole":
                for resource in resources:
                    text = _flat(resource)
                    assert "role/*" not in text, (name, statement)
                    assert "role/cdk-hnb659fds-" in text or "GetAtt" in text, (name, statement)
    self_mutation = next(p for k, p in policies.items() if "SelfMutation" in k)
    assumed = [s for s in self_mutation["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert [sorted(_flat(r) for r in s["Resource"]) for s in assumed] == [
        sorted(
            _flat(f"arn:aws:iam::111111111111:role/cdk-hnb659fds-{k}-role-111111111111-{REGION}")
            for k in ("deploy", "file-publishing", "image-publishing")
        )
    ]


def test_no_inline_policy_and_every_pipeline_role_bounded(synth: Synth) -> None:
    template = synth.template("Delivery")
    assert resources_of(template, "AWS::IAM::Policy") == {}
    roles = resources_of(template, "AWS::IAM::Role")
    assert len(roles) == 7
    boundaries = {_flat(r["Properties"].get("PermissionsBoundary")) for r in roles.values()}
    assert len(boundaries) == 1 and "null" not in boundaries


def test_artifacts_are_encrypted_with_a_rotated_retained_key_shared_with_the_deploy_roles(synth: Synth) -> None:
    template = synth.template("Delivery")
    ((key_id, key),) = resources_of(template, "AWS::KMS::Key").items()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cross = [s for s in statements if "222222222222" in _flat(s["Principal"])]
    assert len(cross) == 1 and sorted(cross[0]["Action"]) == ["kms:Decrypt", "kms:DescribeKey"]
    principals = _flat(cross[0]["Principal"])
    for account in STAGE_ACCOUNTS.values():
        assert f"role/cdk-hnb659fds-deploy-role-{account}-{REGION}" in principals
    assert all(s["Principal"] != "*" and s["Principal"] != {"AWS": "*"} for s in statements)
    artifact_buckets = [
        b
        for b in resources_of(template, "AWS::S3::Bucket").values()
        if _flat(b["Properties"].get("BucketEncryption", {})).count(key_id)
    ]
    assert len(artifact_buckets) == 1
    bucket = artifact_buckets[0]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "LoggingConfiguration" in bucket
    (pipeline_bucket,) = (
        {_flat(s["ArtifactStore"]) for s in [_pipeline(synth)]} if "ArtifactStore" in _pipeline(synth) else {""}
    )
    assert key_id in pipeline_bucket


# -- model promotion ------------------------------------------------------------------------------------------


def test_registry_shares_the_group_read_only_with_staging_and_prod(synth: Synth) -> None:
    (group,) = resources_of(synth.template("DevBuild"), "AWS::SageMaker::ModelPackageGroup").values()
    policy = _flat(group["Properties"]["ModelPackageGroupPolicy"])
    assert "arn:aws:iam::333333333333:root" in policy or ":iam::333333333333:root" in policy
    assert ":iam::444444444444:root" in policy
    actions = {
        a
        for s in group["Properties"]["ModelPackageGroupPolicy"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not any(a.startswith("sagemaker:Update") or a.startswith("sagemaker:Delete") for a in actions)


def test_registry_side_forwards_approvals_to_staging_only_with_the_manual_gate(synth: Synth) -> None:
    template = synth.template("DevServing")
    forward = [
        r
        for r in resources_of(template, "AWS::Events::Rule").values()
        if any("event-bus/default" in _flat(t.get("Arn")) for t in r["Properties"].get("Targets", []))
    ]
    assert len(forward) == 1
    rule = forward[0]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "account": ["222222222222"],
        "detail": {"ModelPackageGroupName": [_group_name(synth)], "ModelApprovalStatus": ["Approved"]},
    }
    (target,) = rule["Targets"]
    assert _flat(target["Arn"]).count(f":events:{REGION}:333333333333:event-bus/default") == 1
    assert "DeadLetterConfig" in target and "RoleArn" in target
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    policies = [
        p
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"].get("Roles", [])
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert [s["Action"] for s in statements] == ["events:PutEvents"]
    assert ":333333333333:event-bus/default" in _flat(statements[0]["Resource"])
    trust = template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "222222222222"}}


def _group_name(synth: Synth) -> str:
    (group,) = resources_of(synth.template("DevBuild"), "AWS::SageMaker::ModelPackageGroup").values()
    name: str = group["Properties"]["ModelPackageGroupName"]
    return name


def test_staging_accepts_the_registrys_events_and_deploys_on_approval(synth: Synth) -> None:
    template = synth.template("StagingServing")
    (bus_policy,) = resources_of(template, "AWS::Events::EventBusPolicy").values()
    statement = bus_policy["Properties"]["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert ":iam::222222222222:root" in _flat(statement["Principal"])
    assert statement["Condition"] == {"StringEquals": {"events:source": ["aws.sagemaker"]}}
    approvals = [
        r["Properties"]["EventPattern"]
        for r in resources_of(template, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("detail-type") == ["SageMaker Model Package State Change"]
    ]
    assert approvals == [
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Model Package State Change"],
            "account": ["222222222222"],
            "detail": {"ModelPackageGroupName": [_group_name(synth)], "ModelApprovalStatus": ["Approved"]},
        }
    ]


def test_prod_behind_the_manual_gate_takes_no_approval_events(synth: Synth) -> None:
    template = synth.template("ProdServing")
    assert resources_of(template, "AWS::Events::EventBusPolicy") == {}
    assert not any(
        "SageMaker Model Package State Change" in _flat(r["Properties"].get("EventPattern"))
        for r in resources_of(template, "AWS::Events::Rule").values()
    )


def test_target_stages_do_not_train(synth: Synth) -> None:
    for stage in ("Staging", "Prod"):
        names = [n for n in synth.templates if n.startswith(f"assembly-{stage}/")]
        assert names and not any("Build" in n for n in names)
        assert all(resources_of(synth.templates[n], "AWS::SageMaker::Pipeline") == {} or "Serving" in n for n in names)


# -- governance, lint, contracts ------------------------------------------------------------------------------


def test_every_pack_passes_on_every_stage(synth: Synth) -> None:
    findings = synth.result.findings()
    assert not findings, "unacknowledged findings:\n" + "\n".join(" ".join(f) for f in findings)
    assert synth.result.failed_plugins() == []
    # The packs saw the stages' stacks: acknowledgements of their findings are recorded in the nested assemblies.
    acked: set[tuple[str, str]] = set()
    unlisted = []
    for meta in synth.result.outdir.rglob("*.metadata.json"):
        for path, entries in json.loads(meta.read_text()).items():
            for entry in entries:
                if entry.get("type") != "aws:cdk:acknowledged-rules":
                    continue
                for rule, reason in entry["data"].items():
                    rule = rule.removeprefix("Annotation::")
                    acked.add((path.split("/")[1], rule.split("-", 1)[0]))
                    if find_entry(rule, reason) is None:
                        unlisted.append((path, rule))
    assert not unlisted
    for stage in ("Delivery", *STAGE_ACCOUNTS):
        assert {p for s, p in acked if s == stage} >= {
            "AwsSolutions",
            "HIPAA.Security",
            "NIST.800.53.R5",
            "PCI.DSS.321",
        }, stage


#: The templates delivery adds or changes; the stages' network, platform and build stacks are the reference
#: platform's (linted by tests/stacks/test_reference_app.py) and ProdServing is StagingServing without
#: deploy-on-approval: linting all 13 would triple this module's time.
LINTED = ("Delivery", "DevServing", "StagingRelease", "StagingServing")


@pytest.mark.parametrize("stack", LINTED)
def test_cfn_lint_clean(synth: Synth, stack: str) -> None:
    assert cfn_lint_errors(synth.template(stack)) == []


def test_thirteen_templates(synth: Synth) -> None:
    assert len(synth.templates) == 13


def test_pipeline_roles_have_contracts_that_hold(synth: Synth) -> None:
    report = check_assembly(synth.result.outdir)
    assert report.roles_without_contract == []
    assert report.findings == [], report.summary()
    pipeline_roles = [path for path in report.roles if path.startswith("/Delivery/Pipeline/")]
    assert len(pipeline_roles) == 7 and all(report.roles[p] >= 1 for p in pipeline_roles)


@pytest.mark.parametrize("stage", list(STAGE_ACCOUNTS))
def test_every_stage_role_has_a_contract_that_holds(synth: Synth, stage: str) -> None:
    report = check_assembly(synth.result.outdir / f"assembly-{stage}")
    # every role, aws-cdk-lib's provider for restrict_default_security_group included
    assert report.roles_without_contract == []
    assert report.roles[f"/{stage}/Network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Role"] == 4
    assert len(report.roles) >= 10
    assert report.findings == [], report.summary()


def test_synth_needs_no_lookup_and_warns_only_as_the_single_account_platform(synth: Synth) -> None:
    # The pipeline's synth has no credentials for the stage accounts: nothing may be left to look up.
    assert all("missing" not in manifest for manifest in synth.manifests.values())
    warnings = {w for w, _ in synth.result.warnings()}
    assert "error-annotation" not in warnings
    assert warnings <= {
        "constructs-ml:network-no-s3-egress",
        "constructs-ml:retraining-no-dynamodb-egress",
        "constructs-ml:pipeline-step-protection-off",
        "constructs-ml:guardrail-network-isolation-off",
        "constructs-ml:guardrail-clarify-shadow-endpoint",
    }, warnings


def test_the_pipelines_report_step_passes_on_this_assembly(synth: Synth, tmp_path: Path) -> None:
    """What the synth step runs after ``cdk synth``: the strict compliance report over every stage's stacks."""
    from constructs_ml.governance.__main__ import main as governance_main

    assert governance_main(["report", str(synth.result.outdir), "--out", str(tmp_path), "--strict"]) == 0
    markdown = (tmp_path / "compliance-report.md").read_text()
    assert "Delivery" in markdown and "Prod/Serving" in markdown


# -- a package approved in the registry account is served in staging and prod --------------------------------


def _stage_assembly(synth: Synth, stage: str) -> Assembly:
    return Assembly(synth.result.outdir / f"assembly-{stage}", account=STAGE_ACCOUNTS[stage], region=REGION)


def _model_role_policies(a: Assembly, path: str = "/Serving/Model/Role/") -> tuple[str, list[dict[str, Any]]]:
    """The ARN and the (resolved) identity policies of the serving stack's role under ``path``."""
    ((view, role_id),) = [(v, lid) for v, lid, _ in a.resources("AWS::IAM::Role") if path in a.path_of(v, lid) + "/"]
    ref = a.ref(view, role_id)
    policies = [
        a.properties(v, lid)["PolicyDocument"]
        for v, lid, _ in a.resources("AWS::IAM::ManagedPolicy")
        if ref in a.properties(v, lid).get("Roles", [])
    ]
    return a.arn(view, role_id), policies


def _registry_bucket(a: Assembly, name: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The registry's artifacts bucket policy, its data key ARN and the key's policy."""
    ((view, bucket_id),) = [(v, lid) for v, lid, _ in a.resources("AWS::S3::Bucket") if a.physical_name(v, lid) == name]
    (policy,) = [
        a.properties(v, lid)["PolicyDocument"]
        for v, lid, _ in a.resources("AWS::S3::BucketPolicy")
        if a.properties(v, lid).get("Bucket") == name
    ]
    encryption = a.properties(view, bucket_id)["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    key_arn = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    ((key_view, key_id),) = [(v, lid) for v, lid, _ in a.resources("AWS::KMS::Key") if a.arn(v, lid) == key_arn]
    return policy, key_arn, a.properties(key_view, key_id)["KeyPolicy"]


@pytest.mark.parametrize("stage", ["Staging", "Prod"])
def test_a_stage_reads_and_decrypts_the_registrys_artifacts(synth: Synth, stage: str) -> None:
    """The whole cross-account path, evaluated: the stage's model role (identity), the registry's bucket
    policy and key policy (resource), the stage's S3 gateway endpoint policy; and the deployer checks
    packages against the registry's bucket."""
    assert synth.config.delivery is not None
    name = registry_artifacts_bucket_name(synth.config, synth.config.delivery)
    dev, target = _stage_assembly(synth, "Dev"), _stage_assembly(synth, stage)
    bucket_policy, key_arn, key_policy = _registry_bucket(dev, name)
    role_arn, identity = _model_role_policies(target)
    principal = Principal(arn=role_arn, account=STAGE_ACCOUNTS[stage])
    endpoints = [
        target.properties(v, lid)["PolicyDocument"]
        for v, lid, r in target.resources("AWS::EC2::VPCEndpoint")
        if "s3" in json.dumps(r["Properties"].get("ServiceName")) and r["Properties"].get("PolicyDocument")
    ]
    assert endpoints
    bucket_arn = f"arn:aws:s3:::{name}"
    prefixes = [
        p
        for st in bucket_policy["Statement"]
        if "CrossAccountRead" in st.get("Sid", "")
        for p in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
    ]
    assert prefixes, bucket_policy
    artifact = prefixes[0].replace("*", "exec-1/model/output/model.tar.gz")

    def allowed(action: str, resource: str, policy: dict[str, Any], required: bool, **context: str) -> bool:
        decision = evaluate(
            Request(principal, action, resource, context),
            identity_policies=identity,
            resource_policy=policy,
            resource_account=STAGE_ACCOUNTS["Dev"],
            resource_policy_required=required,
            endpoint_policies=endpoints if action.startswith("s3:") else (),
        )
        return decision.allowed

    secure = {"aws:SecureTransport": "true"}
    assert allowed("s3:GetObject", artifact, bucket_policy, False, **secure)
    assert not allowed("s3:GetObject", f"{bucket_arn}/code/prepare.py", bucket_policy, False, **secure)
    s3 = f"s3.{REGION}.amazonaws.com"
    assert allowed(
        "kms:Decrypt",
        key_arn,
        key_policy,
        True,
        **{"kms:ViaService": s3, "kms:EncryptionContext:aws:s3:arn": bucket_arn},
    )
    # Not directly, and not for another bucket of the registry account.
    assert not allowed("kms:Decrypt", key_arn, key_policy, True, **{"kms:EncryptionContext:aws:s3:arn": bucket_arn})
    other = {"kms:ViaService": s3, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::another-bucket"}
    assert not allowed("kms:Decrypt", key_arn, key_policy, True, **other)
    # Staging's deployer checks approved packages against the registry's bucket, not its own.
    if stage == "Staging":
        env = [
            r["Properties"]["Environment"]["Variables"]
            for r in resources_of(synth.template("StagingServing"), "AWS::Lambda::Function").values()
            if "ARTIFACT_LOCATIONS" in r["Properties"].get("Environment", {}).get("Variables", {})
        ]
        assert [e["ARTIFACT_LOCATIONS"] for e in env] == [f"s3://{name}/pipelines"]


@pytest.mark.parametrize("stage", ["Staging"])
def test_a_stages_monitors_compare_with_the_deployed_versions_recorded_baselines(synth: Synth, stage: str) -> None:
    """The Window step describes the deployed version in the registry account (the group's resource policy
    admits the stage) and reads and decrypts the baseline files it records in the registry's bucket."""
    assert synth.config.delivery is not None
    name = registry_artifacts_bucket_name(synth.config, synth.config.delivery)
    dev, target = _stage_assembly(synth, "Dev"), _stage_assembly(synth, stage)
    bucket_policy, key_arn, key_policy = _registry_bucket(dev, name)
    role_arn, identity = _model_role_policies(target, "/Serving/Monitor/Role/")
    ((group_view, group_id),) = [(v, lid) for v, lid, _ in dev.resources("AWS::SageMaker::ModelPackageGroup")]
    group_policy = dev.properties(group_view, group_id)["ModelPackageGroupPolicy"]
    principal = Principal(arn=role_arn, account=STAGE_ACCOUNTS[stage])
    dev_account = STAGE_ACCOUNTS["Dev"]

    def allowed(action: str, resource: str, policy: dict[str, Any], required: bool, **context: str) -> bool:
        return evaluate(
            Request(principal, action, resource, context),
            identity_policies=identity,
            resource_policy=policy,
            resource_account=dev_account,
            resource_policy_required=required,
        ).allowed

    version = f"arn:aws:sagemaker:{REGION}:{dev_account}:model-package/{_group_name(synth)}/3"
    assert allowed("sagemaker:DescribeModelPackage", version, group_policy, False)
    other = f"arn:aws:sagemaker:{REGION}:{dev_account}:model-package/other-group/3"
    assert not allowed("sagemaker:DescribeModelPackage", other, group_policy, False)
    prefixes = [
        p
        for st in bucket_policy["Statement"]
        if "CrossAccountRead" in st.get("Sid", "")
        for p in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
    ]
    constraints = prefixes[0].replace("*", "exec-1/baselines/data-quality/constraints.json")
    assert allowed("s3:GetObject", constraints, bucket_policy, False, **{"aws:SecureTransport": "true"})
    through_s3 = {
        "kms:ViaService": f"s3.{REGION}.amazonaws.com",
        "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{name}",
    }
    assert allowed("kms:Decrypt", key_arn, key_policy, True, **through_s3)
