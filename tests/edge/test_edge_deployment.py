"""EdgeDeployment: the documented example (governed, cfn-lint clean, contracts honoured), its recipes and
deployment, and bad props."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_s3 as s3

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker
from constructs_ml.edge import EdgeDeployment, EdgeInference, TokenExchangeRole
from constructs_ml.errors import ValidationError
from constructs_ml.serve import S3Path
from tests.support import cfn_lint_errors, doc_shows_example_verbatim, load_example, resources_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "edge_example.py"
DOC = ROOT / "docs" / "edge.md"


@pytest.fixture(scope="module")
def outdir() -> Path:
    out = tempfile.mkdtemp(prefix="cdkout-edge-")
    load_example(EXAMPLE).build_app(out).synth()  # governed: raises on any unacknowledged finding
    return Path(out)


@pytest.fixture(scope="module")
def template(outdir: Path) -> dict[str, Any]:
    return dict(json.loads((outdir / "EdgeExample.template.json").read_text()))


def _recipe(resource: dict[str, Any]) -> dict[str, Any]:
    parts = resource["Properties"]["InlineRecipe"]["Fn::Join"][1]
    return dict(json.loads("".join(p if isinstance(p, str) else "platform-artifacts" for p in parts)))


def _recipes(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    recipes = [_recipe(r) for r in resources_of(template, "AWS::GreengrassV2::ComponentVersion").values()]
    return {r["ComponentName"]: r for r in recipes}


def test_the_doc_shows_the_example_verbatim() -> None:
    assert doc_shows_example_verbatim(EXAMPLE, DOC)


def test_the_example_is_cfn_lint_clean(template: dict[str, Any]) -> None:
    assert cfn_lint_errors(template) == []


def test_the_model_component_has_only_the_model_readable_by_its_owner(template: dict[str, Any]) -> None:
    recipe = _recipes(template)["com.example.churn.Model"]
    assert recipe["ComponentVersion"] == "3.0.0"
    (manifest,) = recipe["Manifests"]
    assert manifest["Artifacts"] == [
        {
            "URI": "s3://platform-artifacts/edge/churn/3/model.onnx",
            "Unarchive": "NONE",
            "Permission": {"Read": "OWNER", "Execute": "NONE"},
        }
    ]


def test_the_inference_component_depends_on_exactly_this_model_version(template: dict[str, Any]) -> None:
    recipe = _recipes(template)["com.example.churn.Model.Inference"]
    assert recipe["ComponentDependencies"] == {
        "com.example.churn.Model": {"VersionRequirement": "=3.0.0", "DependencyType": "HARD"}
    }
    (manifest,) = recipe["Manifests"]
    assert manifest["Artifacts"][0]["Unarchive"] == "ZIP"
    assert "{com.example.churn.Model:artifacts:path}/model.onnx" in manifest["Lifecycle"]["run"]
    assert "onnxruntime" in manifest["Lifecycle"]["install"]


def test_the_deployment_targets_the_thing_group_and_rolls_back(template: dict[str, Any]) -> None:
    (deployment,) = resources_of(template, "AWS::GreengrassV2::Deployment").values()
    props = deployment["Properties"]
    assert props["TargetArn"]["Fn::Join"][1][-1] == ":iot:eu-west-1:111111111111:thinggroup/store-gateways"
    assert set(props["Components"]) == {
        "com.example.churn.Model",
        "com.example.churn.Model.Inference",
        "aws.greengrass.Nucleus",
    }
    assert props["Components"]["com.example.churn.Model"]["ComponentVersion"]["Fn::GetAtt"][1] == "ComponentVersion"
    assert props["DeploymentPolicies"]["FailureHandlingPolicy"] == "ROLLBACK"
    (criteria,) = props["IotJobConfiguration"]["AbortConfig"]["CriteriaList"]
    assert criteria["Action"] == "CANCEL" and criteria["ThresholdPercentage"] == 10


def test_the_token_exchange_role_reads_only_the_two_artifacts(template: dict[str, Any]) -> None:
    (role,) = [
        r
        for r in resources_of(template, "AWS::IAM::Role").values()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "credentials.iot.amazonaws.com"}
        and "ChurnAtTheEdge/" in r["Properties"]["Description"]
    ]
    assert role["Properties"].get("ManagedPolicyArns") in (None, [])
    (policy,) = [
        p
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        if "token-exchange role of EdgeExample/ChurnAtTheEdge/" in p["Properties"]["Description"]
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    objects = [s["Resource"]["Fn::Join"][1][1] for s in statements if s["Action"] == "s3:GetObject"]
    assert objects == ["/edge/churn/3/model.onnx", "/edge/churn/3/app.zip"]
    assert {s["Action"] for s in statements} == {"s3:GetObject", "kms:Decrypt"}
    (alias,) = [
        a for lid, a in resources_of(template, "AWS::IoT::RoleAlias").items() if lid.startswith("ChurnAtTheEdge")
    ]
    assert alias["Properties"]["CredentialDurationSeconds"] == 3600
    (device_policy,) = [
        p for lid, p in resources_of(template, "AWS::IoT::Policy").items() if lid.startswith("ChurnAtTheEdge")
    ]
    (statement,) = device_policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "iot:AssumeRoleWithCertificate"
    assert statement["Resource"]["Fn::GetAtt"][1] == "RoleAliasArn"


def test_the_token_exchange_contract_holds_and_fails_without_the_grant(outdir: Path) -> None:
    report = ContractChecker(Assembly(str(outdir))).check()
    assert [r for r in report.roles if "/ChurnAtTheEdge/" in r]
    assert not [f for f in report.findings if "/ChurnAtTheEdge/" in f.role], report.summary()

    assembly = Assembly(str(outdir))
    for view in assembly.stacks.values():
        for res in view.resources.values():
            if res["Type"] == "AWS::IAM::ManagedPolicy":
                statements = res["Properties"]["PolicyDocument"]["Statement"]
                statements[:] = [s for s in statements if s.get("Action") != "kms:Decrypt"]
    findings = ContractChecker(assembly).check().findings
    assert any("/ChurnAtTheEdge/" in f.role and f.entry["action"] == "kms:Decrypt" for f in findings)


def _stack() -> tuple[Stack, s3.IBucket]:
    stack = Stack(App(), "T", env=Environment(account="111111111111", region="eu-west-1"))
    return stack, s3.Bucket.from_bucket_name(stack, "B", "platform-artifacts")


def test_bad_props_are_reported_together() -> None:
    stack, bucket = _stack()
    with pytest.raises(ValidationError) as raised:
        EdgeDeployment(
            stack,
            "Bad",
            model=S3Path(bucket, "edge/churn/"),
            component_name="aws.greengrass.MyModel",
            component_version="v1",
            thing_group_name="store gateways",
            additional_components={"aws.greengrass.MyModel": "latest"},
            failure_threshold_percentage=150,
        )
    problems = raised.value.problems
    assert any("component_name" in p and "reserved" in p for p in problems)
    assert any("component_version must be a semantic version" in p for p in problems)
    assert any("thing_group_name" in p for p in problems)
    assert any("model must be an object key" in p for p in problems)
    assert any("failure_threshold_percentage must be between 0 and 100 (got 150)" in p for p in problems)
    assert any("additional_components['aws.greengrass.MyModel'] must be a semantic version" in p for p in problems)
    assert len(problems) == 7, problems


def test_a_shared_token_exchange_role_gets_each_deployments_artifacts() -> None:
    stack, bucket = _stack()
    shared = TokenExchangeRole(stack, "Devices", role_alias_name="store-gateways-tes")
    for n in (1, 2):
        EdgeDeployment(
            stack,
            f"Model{n}",
            model=S3Path(bucket, f"edge/m{n}/model.onnx"),
            component_name=f"com.example.M{n}",
            component_version="1.0.0",
            thing_group_name="store-gateways",
            token_exchange_role=shared,
            inference=EdgeInference(
                code=S3Path(bucket, f"edge/m{n}/serve.py"), run="python3 {artifacts:path}/serve.py"
            ),
        )
    resolved = json.dumps(stack.resolve(shared.role.policy.document.to_json()))
    for n in (1, 2):
        assert f"edge/m{n}/model.onnx" in resolved and f"edge/m{n}/serve.py" in resolved
    with pytest.raises(ValidationError, match="credential_duration"):
        from aws_cdk import Duration

        TokenExchangeRole(stack, "TooLong", credential_duration=Duration.hours(13))


# -- on approval -------------------------------------------------------------------------------------


def _function(template: dict[str, Any]) -> dict[str, Any]:
    (fn,) = [
        f
        for f in resources_of(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "edge_deploy.handler.handler"
    ]
    return fn


def test_approvals_of_the_group_invoke_the_edge_deploy_function(template: dict[str, Any]) -> None:
    (rule,) = [
        r
        for r in resources_of(template, "AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("detail-type") == ["SageMaker Model Package State Change"]
    ]
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail"] == {"ModelPackageGroupName": ["churn-edge"], "ModelApprovalStatus": ["Approved"]}
    assert pattern["account"] == ["111111111111"]
    (target,) = rule["Properties"]["Targets"]
    assert "DeadLetterConfig" in target and "RetryPolicy" in target
    env = _function(template)["Properties"]["Environment"]["Variables"]
    assert env["COMPONENT_NAME"] == "com.example.churn.KioskModel"
    assert json.loads(env["ADDITIONAL_COMPONENTS"]) == {"aws.greengrass.Nucleus": "2.14.3"}
    assert env["MODEL_PACKAGE_GROUP_ARN"].endswith(":model-package-group/churn-edge")


def test_the_network_has_the_greengrass_endpoint(template: dict[str, Any]) -> None:
    names = [
        json.dumps(e["Properties"]["ServiceName"]) for e in resources_of(template, "AWS::EC2::VPCEndpoint").values()
    ]
    assert any(".greengrass" in n for n in names), names


def test_the_function_may_create_only_its_own_component(template: dict[str, Any]) -> None:
    statements = [
        s
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "CreateModelComponent"
    ]
    (statement,) = statements
    assert json.dumps(statement["Resource"]).endswith(':components:com.example.churn.KioskModel"]]}')


def test_the_on_approval_contracts_hold(outdir: Path) -> None:
    report = ContractChecker(Assembly(str(outdir))).check()
    ours = [r for r in report.roles if "/KiosksOnApproval/" in r]
    assert len(ours) == 2, sorted(report.roles)  # the function's role and the devices' role
    assert not [f for f in report.findings if "/KiosksOnApproval/" in f.role], report.summary()


def test_on_approval_bad_props() -> None:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

    from constructs_ml.edge import EdgeDeployOnApproval

    stack, bucket = _stack()
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-1", availability_zones=["eu-west-1a"])
    key = kms.Key.from_key_arn(
        stack, "K", "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    with pytest.raises(ValidationError) as raised:
        EdgeDeployOnApproval(
            stack,
            "Bad",
            model_package_group_arn="arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/churn",
            artifacts=S3Path(bucket, ""),
            component_name="com.example.M",
            thing_group_name="kiosks",
            additional_components={"com.example.M": "1.0.0"},
            vpc=vpc,
            key=key,
            alarm_topic=sns.Topic.from_topic_arn(stack, "T", "arn:aws:sns:eu-west-1:111111111111:alerts"),
        )
    problems = raised.value.problems
    assert any("model_package_group_arn must be a model package group ARN of this account" in p for p in problems)
    assert any("artifacts must be a key prefix" in p for p in problems)
    assert any("additional_components must be not com.example.M" in p for p in problems)
    assert len(problems) == 3, problems
