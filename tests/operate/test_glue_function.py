"""GlueFunction: template assertions for LMB-01..03, LOG-01, MSG-03/04, CW-01, and a governance test.

One governed synth for the module (cdk-nag packs, our SageMaker pack, CDK's CloudFormation
validation); every test reads the same cloud assembly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Environment, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Match, Template

from constructs_ml.errors import ValidationError
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.operate import GlueFunction, available_functions, lambda_code_root
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


def compliant_vpc(stack: Stack, key: kms.IKey) -> ec2.Vpc:
    """A VPC that passes the packs: isolated subnets only, no NAT, flow logs to a KMS log group."""
    flow_logs = logs.LogGroup(
        stack,
        "FlowLogs",
        encryption_key=key,
        retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=RemovalPolicy.RETAIN,
    )
    flow_role = ManagedPolicyRole(
        stack,
        "FlowLogsRole",
        assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
        description="VPC flow logs of the test VPC",
        statements=[
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[flow_logs.log_group_arn],
            )
        ],
    )
    return ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        restrict_default_security_group=True,
        subnet_configuration=[ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
        flow_logs={
            "all": ec2.FlowLogOptions(
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs, flow_role.immutable_role),
                traffic_type=ec2.FlowLogTrafficType.ALL,
            )
        },
    )


def platform_key(stack: Stack) -> kms.Key:
    key = kms.Key(stack, "Key", enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{REGION}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={
                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"}
            },
        )
    )
    return key


@dataclass
class Synth:
    result: GovernedSynth
    raw: dict[str, Any]
    template: Template
    stack: Stack
    trigger: GlueFunction
    deployer: GlueFunction
    endpoint_sg: ec2.SecurityGroup
    vpc: ec2.Vpc
    key: kms.Key


CODE_ROOT = lambda_code_root()


def ref(construct: Any) -> str:
    return str(Stack.of(construct).get_logical_id(construct.node.default_child))


@pytest.fixture(scope="module")
def synth() -> Synth:
    app = new_app()
    stack = Stack(app, "Glue", env=Environment(account=ACCOUNT, region=REGION))
    key = platform_key(stack)
    vpc = compliant_vpc(stack, key)
    topic = sns.Topic(stack, "Alerts", master_key=key, enforce_ssl=True)
    endpoint_sg = ec2.SecurityGroup(
        stack, "EndpointSg", vpc=vpc, allow_all_outbound=False, description="VPC interface endpoints"
    )
    trigger = GlueFunction(
        stack,
        "Trigger",
        code="retraining_trigger",
        description="Starts the churn pipeline",
        vpc=vpc,
        key=key,
        alarm_topic=topic,
        environment={"PIPELINE_ARN": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/churn"},
    )
    deployer = GlueFunction(
        stack,
        "Deployer",
        code="deploy_on_approval",
        description="Deploys approved churn models",
        vpc=vpc,
        key=key,
        alarm_topic=topic,
        endpoint_security_group=endpoint_sg,
        timeout=Duration.minutes(5),
        memory_size=512,
        reserved_concurrent_executions=2,
        permissions_boundary=iam.ManagedPolicy.from_managed_policy_name(stack, "Boundary", "constructs-ml-boundary"),
    )
    schedule = events.Rule(stack, "Weekly", schedule=events.Schedule.rate(Duration.days(7)))
    schedule.add_target(trigger.rule_target())
    approvals = events.Rule(
        stack,
        "Approvals",
        event_pattern=events.EventPattern(
            source=["aws.sagemaker"], detail_type=["SageMaker Model Package State Change"]
        ),
    )
    approvals.add_target(deployer.rule_target(retry_attempts=4))
    deployer.allow_invoke_from_rule(approvals)
    parameter = ssm.StringParameter(stack, "Deployed", string_value="none", parameter_name="/t/deployed")
    parameter.grant_read(deployer)
    result = governed_synth(app)
    raw = result.template(stack)
    return Synth(result, raw, Template.from_json(raw), stack, trigger, deployer, endpoint_sg, vpc, key)


def function_props(synth: Synth, glue: GlueFunction) -> dict[str, Any]:
    return dict(synth.raw["Resources"][ref(glue.function)]["Properties"])


# -- governance -------------------------------------------------------------------------------------


def test_the_stack_passes_every_pack_with_only_allowlisted_acknowledgements(synth: Synth) -> None:
    assert_governance_clean(synth.result)


def test_cfn_lint_reports_no_error(synth: Synth) -> None:
    assert cfn_lint_errors(synth.raw) == []


def test_acknowledgements_stay_on_the_runtime_policy_dlq_and_invoke_config(synth: Synth) -> None:
    paths = {(path, rule) for path, rule, _ in synth.result.acknowledgements() if "/Trigger" in path}
    assert paths == {
        ("/Glue/Trigger/RuntimePolicy", "AwsSolutions-IAM5[Resource::*]"),
        (
            "/Glue/Trigger/RuntimePolicy",
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:{REGION}:{ACCOUNT}:*/*]",
        ),
        ("/Glue/Trigger/DeadLetterQueue", "AwsSolutions-SQS3"),
        ("/Glue/Trigger/DeadLetterQueue", "Serverless-SQSRedrivePolicy"),
        ("/Glue/Trigger/Resource/EventInvokeConfig", "Serverless-LambdaAsyncFailureDestination"),
        # no reserved concurrency by default (issue 9.5): acknowledged on the function only
        ("/Glue/Trigger/Resource", "HIPAA.Security-LambdaConcurrency"),
        ("/Glue/Trigger/Resource", "NIST.800.53.R5-LambdaConcurrency"),
    }
    deployer = {rule for path, rule, _ in synth.result.acknowledgements() if path == "/Glue/Deployer/Resource"}
    assert not any("LambdaConcurrency" in rule for rule in deployer)  # it reserves 2: nothing to acknowledge


# -- LMB-01..03 --------------------------------------------------------------------------------------


def test_lmb01_functions_are_hardened_with_chosen_limits(synth: Synth) -> None:
    trigger = function_props(synth, synth.trigger)
    assert trigger["Timeout"] == 60 and trigger["MemorySize"] == 256
    assert "ReservedConcurrentExecutions" not in trigger  # none by default: low-quota accounts can deploy
    assert trigger["Environment"]["Variables"]["FUNCTION_TIMEOUT_SECONDS"] == "60"
    assert trigger["TracingConfig"] == {"Mode": "Active"}
    assert trigger["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [ref(synth.trigger.dead_letter_queue), "Arn"]}}
    isolated = {ref(subnet) for subnet in synth.vpc.isolated_subnets}
    assert len(isolated) == 2
    assert {s["Ref"] for s in trigger["VpcConfig"]["SubnetIds"]} == isolated
    assert trigger["VpcConfig"]["SecurityGroupIds"] == [{"Fn::GetAtt": [ref(synth.trigger.security_group), "GroupId"]}]
    deployer = function_props(synth, synth.deployer)
    assert (
        deployer["Timeout"] == 300 and deployer["MemorySize"] == 512 and deployer["ReservedConcurrentExecutions"] == 2
    )
    assert deployer["Environment"]["Variables"]["FUNCTION_TIMEOUT_SECONDS"] == "300"  # derived, not a constant
    # Environment variables at rest under the given (platform) key, not Lambda's service key.
    for props in (trigger, deployer):
        assert props["KmsKeyArn"] == {"Fn::GetAtt": [ref(synth.key), "Arn"]}


def newest_python_runtime() -> str:
    versions = []
    for attribute in dir(lambda_.Runtime):
        match = re.fullmatch(r"PYTHON_3_(\d+)", attribute)
        if match:
            versions.append(int(match.group(1)))
    return f"python3.{max(versions)}"


def test_lmb02_runtime_is_the_newest_python_in_aws_cdk_lib(synth: Synth) -> None:
    assert newest_python_runtime() == "python3.14"
    for glue in (synth.trigger, synth.deployer):
        assert function_props(synth, glue)["Runtime"] == newest_python_runtime()


def test_lmb03_invoke_permissions_are_scoped_to_the_rules(synth: Synth) -> None:
    ours = {ref(synth.trigger.function), ref(synth.deployer.function)}
    permissions = [
        p["Properties"]
        for p in resources_of(synth.raw, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"].get("Fn::GetAtt", [None])[0] in ours
    ]
    assert len(permissions) == 3
    for permission in permissions:
        assert permission["Principal"] == "events.amazonaws.com"
        assert "Fn::GetAtt" in permission["SourceArn"]
    assert [p for p in permissions if p.get("SourceAccount") == ACCOUNT]


FUNCTIONS = (("trigger", "retraining_trigger"), ("deployer", "deploy_on_approval"))
#: Imports a handler module with nothing but the asset folder and the interpreter's site-packages
#: (boto3) on sys.path (-I: no PYTHONPATH, no current directory, no user site; -B: no bytecode
#: written into cdk.out), then reports where every module of the function and of glue_common came from.
IMPORT_PROBE = """
import json, sys
asset, folder = sys.argv[1], sys.argv[2]
sys.path.insert(0, asset)
import importlib
handler = importlib.import_module(folder + ".handler")
assert callable(handler.handler)
print(json.dumps({
    name: module.__file__
    for name, module in sys.modules.items()
    if name.split(".")[0] in (folder, "glue_common")
}))
"""


def asset_dir(synth: Synth, glue: GlueFunction) -> Path:
    """The folder cdk.out holds for the function's code asset."""
    assets = json.loads((synth.result.outdir / "Glue.assets.json").read_text())["files"]
    asset_hash = function_props(synth, glue)["Code"]["S3Key"].removesuffix(".zip")
    return synth.result.outdir / assets[asset_hash]["source"]["path"]


@pytest.mark.parametrize(("attribute", "folder"), FUNCTIONS)
def test_handler_and_asset_hold_only_the_function_and_glue_common(synth: Synth, attribute: str, folder: str) -> None:
    glue: GlueFunction = getattr(synth, attribute)
    asset = asset_dir(synth, glue)

    assert function_props(synth, glue)["Handler"] == f"{folder}.handler.handler"
    assert sorted(p.name for p in asset.iterdir()) == sorted([folder, "glue_common"])
    files = sorted(str(p.relative_to(asset)) for p in asset.rglob("*") if p.is_file())
    assert f"{folder}/handler.py" in files and "glue_common/__init__.py" in files, files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or "/." in f], files
    shipped = sorted(str(p.relative_to(CODE_ROOT)) for p in (CODE_ROOT / "glue_common").glob("*.py"))
    assert [f for f in files if f.startswith("glue_common/")] == shipped
    for name in shipped:
        assert (asset / name).read_bytes() == (CODE_ROOT / name).read_bytes()


@pytest.mark.parametrize(("attribute", "folder"), FUNCTIONS)
def test_the_handler_imports_from_the_asset_alone(synth: Synth, attribute: str, folder: str) -> None:
    asset = asset_dir(synth, getattr(synth, attribute))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}

    probe = subprocess.run(
        [sys.executable, "-I", "-B", "-c", IMPORT_PROBE, str(asset), folder],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=asset.parent,
        env=env,
    )

    assert probe.returncode == 0, probe.stderr[-3000:]
    modules = json.loads(probe.stdout.strip().splitlines()[-1])
    assert {f"{folder}.handler", f"{folder}.config", f"{folder}.events", "glue_common.log"} <= modules.keys()
    assert all(Path(path).resolve().is_relative_to(asset.resolve()) for path in modules.values()), modules


# -- network ---------------------------------------------------------------------------------------------


def test_security_groups_allow_only_https_egress_inside_the_vpc(synth: Synth) -> None:
    trigger_sg = synth.raw["Resources"][ref(synth.trigger.security_group)]["Properties"]
    assert trigger_sg["SecurityGroupEgress"] == [
        {
            "CidrIp": {"Fn::GetAtt": [ref(synth.vpc), "CidrBlock"]},
            "Description": "HTTPS to the VPC endpoints (VPC CIDR)",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    text = json.dumps(synth.raw)
    assert "0.0.0.0/0" not in text and "::/0" not in text
    synth.template.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        {
            "GroupId": {"Fn::GetAtt": [ref(synth.deployer.security_group), "GroupId"]},
            "DestinationSecurityGroupId": {"Fn::GetAtt": [ref(synth.endpoint_sg), "GroupId"]},
            "FromPort": 443,
            "ToPort": 443,
            "IpProtocol": "tcp",
        },
    )
    synth.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": {"Fn::GetAtt": [ref(synth.endpoint_sg), "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": [ref(synth.deployer.security_group), "GroupId"]},
            "FromPort": 443,
            "ToPort": 443,
        },
    )


# -- LOG-01, MSG-03/04, CW-01 ----------------------------------------------------------------------------


def test_log01_explicit_log_group_with_kms_and_retention(synth: Synth) -> None:
    log_group = synth.raw["Resources"][ref(synth.trigger.log_group)]
    assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [ref(synth.key), "Arn"]}
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Retain"
    assert function_props(synth, synth.trigger)["LoggingConfig"] == {"LogGroup": {"Ref": ref(synth.trigger.log_group)}}
    assert not resources_of(synth.raw, "Custom::LogRetention")


def test_msg03_dead_letter_queue_is_encrypted_and_tls_only(synth: Synth) -> None:
    queue_id = ref(synth.trigger.dead_letter_queue)
    queue = synth.raw["Resources"][queue_id]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": [ref(synth.key), "Arn"]}
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    synth.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sqs:*",
                                "Principal": {"AWS": "*"},
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_msg04_the_dead_letter_queue_is_terminal(synth: Synth) -> None:
    queue_id = ref(synth.trigger.dead_letter_queue)
    assert "RedrivePolicy" not in synth.raw["Resources"][queue_id]["Properties"]
    rule = synth.raw["Resources"][synth.stack.get_logical_id(synth.stack.node.find_child("Weekly").node.default_child)]
    (target,) = rule["Properties"]["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}


def test_cw01_alarms_notify_the_topic(synth: Synth) -> None:
    topic = synth.stack.get_logical_id(synth.stack.node.find_child("Alerts").node.default_child)
    for alarm in (synth.trigger.error_alarm, synth.trigger.dead_letter_alarm):
        props = synth.raw["Resources"][ref(alarm)]["Properties"]
        assert props["AlarmActions"] == [{"Ref": topic}]
        assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
    errors = synth.raw["Resources"][ref(synth.trigger.error_alarm)]["Properties"]
    assert errors["MetricName"] == "Errors" and errors["Namespace"] == "AWS/Lambda" and errors["Period"] == 60


# -- IAM ------------------------------------------------------------------------------------------------------


def test_roles_use_customer_managed_policies_only(synth: Synth) -> None:
    assert not resources_of(synth.raw, "AWS::IAM::Policy")
    for glue in (synth.trigger, synth.deployer):
        role = synth.raw["Resources"][ref(glue.role.role)]["Properties"]
        assert "Policies" not in role
        assert ":iam::aws:policy/" not in json.dumps(role)
    deployer_role = synth.raw["Resources"][ref(synth.deployer.role.role)]["Properties"]
    assert "constructs-ml-boundary" in json.dumps(deployer_role["PermissionsBoundary"])
    assert "PermissionsBoundary" not in synth.raw["Resources"][ref(synth.trigger.role.role)]["Properties"]


def statements_of(synth: Synth, policy: iam.ManagedPolicy) -> list[dict[str, Any]]:
    return list(synth.raw["Resources"][ref(policy)]["Properties"]["PolicyDocument"]["Statement"])


def test_runtime_policy_holds_only_eni_and_xray_permissions(synth: Synth) -> None:
    statements = statements_of(synth, synth.trigger.runtime_policy)
    actions = sorted(a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == sorted(
        [
            "ec2:AssignPrivateIpAddresses",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:UnassignPrivateIpAddresses",
            "xray:PutTelemetryRecords",
            "xray:PutTraceSegments",
        ]
    )
    (enis,) = [s for s in statements if s.get("Sid") == "ManageFunctionEnis"]
    assert enis["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":ec2:{REGION}:{ACCOUNT}:*/*"]]}


def test_grants_land_in_the_role_policy_with_logs_and_dlq(synth: Synth) -> None:
    statements = statements_of(synth, synth.deployer.role.policy)
    by_sid = {s.get("Sid"): s for s in statements}
    assert by_sid["WriteOwnLogs"]["Resource"] == {"Fn::GetAtt": [ref(synth.deployer.log_group), "Arn"]}
    assert by_sid["SendToDeadLetterQueue"]["Resource"] == {"Fn::GetAtt": [ref(synth.deployer.dead_letter_queue), "Arn"]}
    assert by_sid["EncryptDeadLetters"]["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", [f"sqs.{REGION}.", {"Ref": "AWS::URLSuffix"}]]}}
    }
    assert any("ssm:GetParameter" in json.dumps(s["Action"]) for s in statements)  # parameter.grant_read(deployer)


# -- API ------------------------------------------------------------------------------------------------------


def test_metrics_are_the_functions_own(synth: Synth) -> None:
    for metric, name in (
        (synth.trigger.metric_errors(), "Errors"),
        (synth.trigger.metric_throttles(), "Throttles"),
        (synth.trigger.metric_duration(), "Duration"),
    ):
        assert metric.metric_name == name and metric.namespace == "AWS/Lambda"
        assert metric.dimensions == {"FunctionName": synth.trigger.function_name}


def test_available_functions_lists_the_packaged_handlers() -> None:
    assert available_functions() == ["deploy_on_approval", "edge_deploy", "retraining_trigger"]


# -- validation ---------------------------------------------------------------------------------------------


def build(**overrides: Any) -> None:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "V", env=Environment(account=ACCOUNT, region=REGION))
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    props: dict[str, Any] = {
        "code": "retraining_trigger",
        "description": "test",
        "vpc": vpc,
        "key": key,
        "alarm_topic": sns.Topic(stack, "T"),
    }
    props.update(overrides)
    GlueFunction(stack, "Glue", **props)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timeout": Duration.seconds(0)}, r"V/Glue: timeout \(seconds\) must be between 3 and 900 \(got 0"),
        ({"timeout": Duration.minutes(16)}, r"timeout \(seconds\) must be between 3 and 900 \(got 960"),
        ({"memory_size": 64}, r"memory_size must be between 128 and 10240 \(got 64\)"),
        ({"memory_size": 10241}, r"memory_size must be between 128 and 10240"),
        ({"reserved_concurrent_executions": 0}, r"reserved_concurrent_executions must be between 1 and 1000 \(got 0\)"),
        ({"reserved_concurrent_executions": 1001}, r"reserved_concurrent_executions must be between 1 and 1000"),
        ({"retry_attempts": 3}, r"retry_attempts must be between 0 and 2"),
        ({"max_event_age": Duration.seconds(30)}, r"max_event_age \(seconds\) must be between 60 and 21600"),
        ({"dead_letter_retention": Duration.days(15)}, r"dead_letter_retention \(seconds\) must be between"),
        ({"code": "no_such_function"}, r"code must be one of deploy_on_approval, edge_deploy, retraining_trigger"),
        ({"code": "../etc"}, r"code must be a packaged function folder name"),
        ({"description": " "}, r"description must be a non-empty string"),
        ({"environment": {"AWS_REGION": "eu-west-1"}}, r"environment must be names matching"),
        ({"environment": {"FUNCTION_TIMEOUT_SECONDS": "900"}}, r"nor FUNCTION_TIMEOUT_SECONDS"),
    ],
)
def test_bad_props_raise_a_validation_error(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build(**overrides)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        build(memory_size=1, reserved_concurrent_executions=0, retry_attempts=9)

    assert len(caught.value.problems) == 3


@pytest.mark.parametrize("attribute", ["trigger", "deployer"])
def test_the_asset_stays_under_100_kb_zipped(synth: Synth, attribute: str, tmp_path: Path) -> None:
    asset = asset_dir(synth, getattr(synth, attribute))
    archive = Path(shutil.make_archive(str(tmp_path / attribute), "zip", asset))

    assert archive.stat().st_size <= 100 * 1024, archive.stat().st_size
