"""DeployOnApproval for a serving endpoint: governance, LMB-*, EVT-01, MSG-*, CW-01, LOG-01, IAM, patterns.

One governed, validating synth of a serving stack on the platform foundation: a model that takes
its package from the deployed-package SSM parameter (``approved_package``), a canary endpoint with
its default rollback alarms, and ``DeployOnApproval.for_endpoint`` for a registry in another
account. Variants and bad props are in ``test_deploy_on_approval_variants.py``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack, Tags
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from constructs_ml.governance.acknowledgements import RESOURCELESS_ACTIONS
from constructs_ml.operate import DeployOnApproval
from constructs_ml.operate.glue_code import lambda_code_root
from constructs_ml.serve import (
    ApprovedPackageParameter,
    ApprovedPackageRecord,
    ContainerImage,
    DataCapture,
    DeploymentConfig,
    Endpoint,
    InstanceType,
    InstanceVariant,
    Model,
    ModelData,
    S3Path,
)
from tests.fixtures import ENV, Foundation
from tests.operate.test_retraining import as_list, load_event, matches, ref
from tests.support import (
    ACCOUNT,
    REGION,
    GovernedSynth,
    assert_governance_clean,
    cfn_lint_errors,
    governed_synth,
    new_app,
    resources_of,
)

REGISTRY_ACCOUNT = "222222222222"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/churn"
PARAMETER = "/ml/churn/deployed-package"


@dataclass
class Synth:
    result: GovernedSynth
    raw: dict[str, Any]
    stack: Stack
    foundation: Foundation
    model: Model
    endpoint: Endpoint
    deployer: DeployOnApproval
    approved: ApprovedPackageParameter


@pytest.fixture(scope="module")
def synth() -> Synth:
    app = new_app()
    stack = Stack(app, "Serving", env=ENV)
    f = Foundation(stack)
    assert f.personas is not None
    topic = sns.Topic(stack, "Alerts", master_key=f.keys.messaging, enforce_ssl=True)
    approved = ApprovedPackageParameter(PARAMETER)
    model = Model(
        stack,
        "Model",
        approved_package=approved,
        image=ContainerImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "churn"), "1.0.0"),
        model_data=ModelData.from_bucket(f.buckets.artifacts.bucket, "churn/initial/model.tar.gz"),
        vpc=f.network.vpc,
        vpc_subnets=f.network.subnet_selection,
        security_groups=[f.network.workload_security_group],
        guardrail=f.personas.guardrail.policy,
    )
    endpoint = Endpoint(
        stack,
        "Churn",
        endpoint_name="churn-prod",
        variants=[InstanceVariant(model=model, instance_type=InstanceType.ML_M5_LARGE, initial_instance_count=2)],
        kms_key=f.keys.data,
        alarm_topic=topic,
        data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "churn"), sampling_percentage=50),
        deployment=DeploymentConfig.canary(10),
    )
    assert model.execution_role is not None
    deployer = DeployOnApproval.for_endpoint(
        stack,
        "DeployOnApproval",
        endpoint=endpoint,
        model_package_group=GROUP_ARN,
        execution_role=model.execution_role,
        vpc=f.network.vpc,
        model_security_groups=[f.network.workload_security_group],
        deployed_package_parameter=approved,
        key=f.keys.messaging,
        log_key=f.keys.logs,
        alarm_topic=topic,
        endpoint_security_group=f.network.endpoint_security_group,
        allow_events_from_accounts=[REGISTRY_ACCOUNT],
        guardrail=f.personas.guardrail.policy,
    )
    result = governed_synth(app)
    return Synth(result, result.template(stack), stack, f, model, endpoint, deployer, approved)


def props(synth: Synth, construct: Any) -> dict[str, Any]:
    return dict(synth.raw["Resources"][ref(synth.stack, construct)]["Properties"])


def policy_of_role(synth: Synth, role_ref: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for policy in resources_of(synth.raw, "AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_ref} in policy["Properties"].get("Roles", []):
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def fn_props(synth: Synth) -> dict[str, Any]:
    return props(synth, synth.deployer.function.function)


def arn(kind: str, name: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}"]]}


# -- governance -------------------------------------------------------------------------------------


def test_governance_clean(synth: Synth) -> None:
    assert_governance_clean(synth.result)


def test_cfn_lint_clean(synth: Synth) -> None:
    assert cfn_lint_errors(synth.raw) == []


def test_no_inline_policies(synth: Synth) -> None:
    assert resources_of(synth.raw, "AWS::IAM::Policy") == {}


def test_only_reviewed_acknowledgements_on_the_deployer(synth: Synth) -> None:
    mine = {
        (p.split("/DeployOnApproval/", 1)[1], rule)
        for p, rule, _ in synth.result.acknowledgements()
        if "/DeployOnApproval/" in p
    }
    assert mine == {
        ("Function/DeadLetterQueue", "AwsSolutions-SQS3"),
        ("Function/DeadLetterQueue", "Serverless-SQSRedrivePolicy"),
        ("Function/RuntimePolicy", "AwsSolutions-IAM5[Resource::*]"),
        ("Function/RuntimePolicy", f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:{REGION}:{ACCOUNT}:*/*]"),
        ("Function/Resource/EventInvokeConfig", "Serverless-LambdaAsyncFailureDestination"),
        ("Function/Resource", "HIPAA.Security-LambdaConcurrency"),  # no reserved concurrency (issue 9.5)
        ("Function/Resource", "NIST.800.53.R5-LambdaConcurrency"),
        (
            "Function/Role/Policy",
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/churn-prod-v*]",
        ),
        (
            "Function/Role/Policy/Resource",
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:{REGION}:{ACCOUNT}:model/churn-prod-v*]",
        ),
        (
            "Function/Role/Policy/Resource",
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/churn/*]",
        ),
    }


# -- LMB-*, LOG-01, EVT-01, MSG-03, CW-01 -------------------------------------------------------------------


def test_lmb01_function_is_hardened(synth: Synth) -> None:
    fn = fn_props(synth)
    assert fn["Runtime"] == "python3.14" and fn["Handler"] == "deploy_on_approval.handler.handler"
    assert "ReservedConcurrentExecutions" not in fn  # none by default (issue 9.5)
    assert fn["TracingConfig"] == {"Mode": "Active"}
    assert fn["Timeout"] == 120 and fn["MemorySize"] == 256
    dlq = ref(synth.stack, synth.deployer.function.dead_letter_queue)
    assert fn["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [dlq, "Arn"]}}
    assert len(fn["VpcConfig"]["SubnetIds"]) == 2


def test_lmb03_invoke_permissions_name_each_rule(synth: Synth) -> None:
    fn = {"Fn::GetAtt": [ref(synth.stack, synth.deployer.function.function), "Arn"]}
    permissions = [
        p["Properties"]
        for p in resources_of(synth.raw, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == fn
    ]
    rules = {
        ref(synth.stack, rule)
        for rule in (
            synth.deployer.approval_rule,
            synth.deployer.endpoint_state_rule,
            synth.deployer.record_change_rule,
        )
    }
    assert {p["SourceArn"]["Fn::GetAtt"][0] for p in permissions} == rules
    assert all(p["Principal"] == "events.amazonaws.com" for p in permissions)


def test_log01_log_group_has_kms_and_retention(synth: Synth) -> None:
    logs = props(synth, synth.deployer.function.log_group)
    assert logs["KmsKeyId"] == {"Fn::GetAtt": [ref(synth.stack, synth.foundation.keys.logs), "Arn"]}
    assert logs["RetentionInDays"] == 365


def test_evt01_both_rules_have_dead_letter_queue_and_retry_policy(synth: Synth) -> None:
    dlq = {"Arn": {"Fn::GetAtt": [ref(synth.stack, synth.deployer.function.dead_letter_queue), "Arn"]}}
    for rule in (synth.deployer.approval_rule, synth.deployer.endpoint_state_rule, synth.deployer.record_change_rule):
        targets = props(synth, rule)["Targets"]
        assert len(targets) == 1
        assert targets[0]["DeadLetterConfig"] == dlq
        assert targets[0]["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}


def test_msg03_dead_letter_queue_is_encrypted_and_tls_only(synth: Synth) -> None:
    queue = ref(synth.stack, synth.deployer.function.dead_letter_queue)
    assert props(synth, synth.deployer.function.dead_letter_queue)["KmsMasterKeyId"]
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources_of(synth.raw, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in p["Properties"]["Queues"]
    ]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy)


def test_cw01_every_alarm_acts(synth: Synth) -> None:
    for alarm in resources_of(synth.raw, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"]


# -- IAM -----------------------------------------------------------------------------------------------------


def deployer_statements(synth: Synth) -> list[dict[str, Any]]:
    return policy_of_role(synth, ref(synth.stack, synth.deployer.function.role.role))


def test_sagemaker_permissions_name_the_group_the_endpoint_and_derived_names_only(synth: Synth) -> None:
    by_sid = {s.get("Sid"): s for s in deployer_statements(synth)}
    packages = {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, f":sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/churn/*"],
        ]
    }
    assert by_sid["DescribeApprovedPackages"]["Action"] == "sagemaker:DescribeModelPackage"
    assert by_sid["DescribeApprovedPackages"]["Resource"] == packages
    assert by_sid["ReadAndUpdateTheEndpoint"]["Action"] == ["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint"]
    assert by_sid["ReadAndUpdateTheEndpoint"]["Resource"] == arn("endpoint", "churn-prod")
    assert by_sid["CreateDerivedModelsAndConfigs"]["Action"] == [
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:AddTags",
    ]
    assert by_sid["CreateDerivedModelsAndConfigs"]["Resource"] == [
        arn("model", "churn-prod-v*"),
        arn("endpoint-config", "churn-prod-v*"),
    ]
    assert by_sid["RollOutDerivedConfigs"]["Resource"] == arn("endpoint-config", "churn-prod-v*")
    config = ref(synth.stack, synth.endpoint.config)
    model = ref(synth.stack, synth.model)
    read = by_sid["ReadEndpointConfigsAndModels"]["Resource"]
    assert read[0] == arn("endpoint-config", "churn-prod-v*") and read[1] == arn("model", "churn-prod-v*")
    # CloudFormation generates these names (mixed case) while SageMaker's ARNs are lower case: an ARN
    # built from the name would never match, so the resources' own ARN attributes are granted.
    assert read[2:] == [{"Fn::GetAtt": [config, "EndpointConfigArn"]}, {"Fn::GetAtt": [model, "ModelArn"]}]
    sagemaker_actions = {
        a for s in deployer_statements(synth) for a in as_list(s["Action"]) if a.startswith("sagemaker:")
    }
    assert sagemaker_actions == {
        "sagemaker:DescribeModelPackage",
        "sagemaker:DescribeEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:AddTags",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:DescribeModel",
        "sagemaker:ListTags",
    }


def test_pass_role_ssm_and_key_are_scoped(synth: Synth) -> None:
    by_sid = {s.get("Sid"): s for s in deployer_statements(synth)}
    assert by_sid["PassTheExecutionRoleToSageMaker"] == {
        "Action": "iam:PassRole",
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        "Effect": "Allow",
        "Resource": {
            "Fn::GetAtt": [ref(synth.stack, synth.model.node.find_child("Role").node.find_child("Resource")), "Arn"]
        },
        "Sid": "PassTheExecutionRoleToSageMaker",
    }
    assert by_sid["RecordTheDeployedPackage"]["Action"] == ["ssm:GetParameter", "ssm:PutParameter"]
    assert by_sid["RecordTheDeployedPackage"]["Resource"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, f":ssm:{REGION}:{ACCOUNT}:parameter/ml/churn/deployed-package"],
        ]
    }
    key = by_sid["EndpointKeyForSageMaker"]
    assert key["Action"] == "kms:CreateGrant"  # the only action kms:GrantIsForAWSResource applies to here
    assert key["Resource"] == {"Fn::GetAtt": [ref(synth.stack, synth.foundation.keys.data), "Arn"]}
    assert key["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    describe = by_sid["DescribeEndpointKeyViaSageMaker"]
    assert describe["Action"] == "kms:DescribeKey" and "Bool" not in describe["Condition"]
    stars = {a for s in deployer_statements(synth) if s["Resource"] == "*" for a in as_list(s["Action"])}
    assert stars <= RESOURCELESS_ACTIONS
    assert not [a for s in deployer_statements(synth) for a in as_list(s["Action"]) if a.endswith("*")]


def test_guardrail_is_attached_to_the_function_role(synth: Synth) -> None:
    assert synth.foundation.personas is not None
    guardrail = {"Ref": ref(synth.stack, synth.foundation.personas.guardrail.policy)}
    assert guardrail in props(synth, synth.deployer.function.role.role)["ManagedPolicyArns"]


# -- event patterns ----------------------------------------------------------------------------------------


def test_approval_pattern_is_exact_and_matches_a_forwarded_approval(synth: Synth) -> None:
    pattern = props(synth, synth.deployer.approval_rule)["EventPattern"]
    assert pattern == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "account": [REGISTRY_ACCOUNT],
        "detail": {"ModelPackageGroupName": ["churn"], "ModelApprovalStatus": ["Approved"]},
    }
    approved = load_event("model_package_state_change.json", account=REGISTRY_ACCOUNT)
    assert matches(pattern, approved)
    pending = load_event(
        "model_package_state_change.json", account=REGISTRY_ACCOUNT, detail__ModelApprovalStatus="PendingManualApproval"
    )
    assert not matches(pattern, pending)
    assert not matches(pattern, load_event("model_package_state_change.json"))  # another account's group


def test_endpoint_pattern_is_exact_and_matches_in_service_only(synth: Synth) -> None:
    pattern = props(synth, synth.deployer.endpoint_state_rule)["EventPattern"]
    assert pattern == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Endpoint State Change"],
        "detail": {"EndpointName": ["churn-prod"], "EndpointStatus": ["IN_SERVICE"]},
    }
    assert matches(pattern, load_event("endpoint_state_change.json"))
    assert not matches(pattern, load_event("endpoint_state_change.json", detail__EndpointStatus="UPDATING"))


def test_registry_account_may_put_only_sagemaker_events(synth: Synth) -> None:
    (policy,) = resources_of(synth.raw, "AWS::Events::EventBusPolicy").values()
    p = policy["Properties"]
    assert p["EventBusName"] == "default"
    assert len(p["StatementId"]) <= 64 and p["StatementId"].endswith(REGISTRY_ACCOUNT)
    assert p["Statement"]["Action"] == "events:PutEvents"
    assert p["Statement"]["Principal"] == {
        "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::{REGISTRY_ACCOUNT}:root"]]}
    }
    assert p["Statement"]["Condition"] == {"StringEquals": {"events:source": ["aws.sagemaker"]}}


# -- the record and the handler's contract --------------------------------------------------------------


def test_serving_model_reads_the_record_at_deploy_time(synth: Synth) -> None:
    assert synth.deployer.approved_package == synth.approved
    assert not synth.deployer.owns_parameter
    ssm_parameters = [p for p in synth.raw["Parameters"].values() if p["Type"] == "AWS::SSM::Parameter::Value<String>"]
    assert {"Type": "AWS::SSM::Parameter::Value<String>", "Default": PARAMETER} in ssm_parameters
    assert resources_of(synth.raw, "AWS::SSM::Parameter") == {}  # the record lives in an earlier stack


def test_function_environment_follows_the_handler_contract(synth: Synth) -> None:
    if str(lambda_code_root()) not in sys.path:  # the asset root, as Lambda's /var/task
        sys.path.insert(0, str(lambda_code_root()))
    from deploy_on_approval import config as handler_config

    env = fn_props(synth)["Environment"]["Variables"]
    alarms = [{"Ref": ref(synth.stack, a)} for a in synth.endpoint.rollback_alarms]
    assert env["ROLLBACK_ALARM_NAMES"] == {"Fn::Join": ["", [alarms[0], ",", alarms[1]]]}
    assert env["DEPLOYED_PACKAGE_PARAMETER"] == PARAMETER
    assert env["MODEL_PACKAGE_GROUP_ARN"] == GROUP_ARN
    literal = {
        **env,
        "EXECUTION_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/churn-model",
        "SUBNET_IDS": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
        "SECURITY_GROUP_IDS": "sg-0123456789abcdef0",
        "ROLLBACK_ALARM_NAMES": "churn-5xx,churn-latency",
    }
    loaded = handler_config.load(literal)
    assert loaded.endpoint_name == "churn-prod" and loaded.group_account == REGISTRY_ACCOUNT
    assert loaded.model_name_prefix == "churn-prod" and loaded.network_isolation is True
    assert loaded.deployment_config()["BlueGreenUpdatePolicy"] == {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 300,
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        },
        "TerminationWaitInSeconds": 600,
    }
    # The same blue/green policy CloudFormation gives the endpoint.
    endpoint = props(synth, synth.endpoint)
    assert endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"] == loaded.deployment_config()["BlueGreenUpdatePolicy"]


def test_a_write_to_the_record_by_anyone_routes_to_the_function(synth: Synth) -> None:
    pattern = props(synth, synth.deployer.record_change_rule)["EventPattern"]

    assert pattern == {
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Change"],
        "detail": {"name": [PARAMETER], "operation": ["Create", "Update"]},
    }


def test_the_record_resource_is_frozen_against_template_changes() -> None:
    # CloudFormation re-writes an AWS::SSM::Parameter's template value whenever it updates the resource;
    # the record's properties must not depend on anything that changes between deploys (tags included).
    def record_properties(tag_value: str) -> dict[str, Any]:
        app = App()
        stack = Stack(app, "Build", env=Environment(account=ACCOUNT, region=REGION))
        ApprovedPackageRecord(stack, "Record", parameter=ApprovedPackageParameter(PARAMETER))
        Tags.of(app).add("cost-center", tag_value)
        (resource,) = Template.from_stack(stack).find_resources("AWS::SSM::Parameter").values()
        return dict(resource["Properties"])

    before, after = record_properties("1234"), record_properties("5678")

    assert before == after and "Tags" not in before
    assert before["Value"] == "none"
