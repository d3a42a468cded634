"""RetrainingTrigger on the platform foundation: governance, LMB-*, EVT-01, MSG-*, CW-01, LOG-01, IAM, patterns.

One governed, validating synth (cdk-nag packs, our SageMaker pack, CDK's CloudFormation validation)
of a stack with every trigger: new data, a direct schedule, a drift alarm and monitoring violations.
Variants (only a direct schedule, a schedule through the function) and bad props are in
``test_retraining_variants.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns

from constructs_ml.develop import TrainingPipeline
from constructs_ml.governance.acknowledgements import RESOURCELESS_ACTIONS
from constructs_ml.operate import NewDataTrigger, RetrainingTrigger, ScheduleTrigger
from tests.fixtures import ENV, Foundation
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

EVENTS = Path(__file__).resolve().parents[1] / "lambdas" / "events"
DYNAMODB_PREFIX_LIST = "pl-fca54095"
SCHEDULE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/churn-data-quality"


@dataclass(frozen=True)
class NamedSchedule:
    """A monitoring schedule given as an object with a name (like ModelMonitor's schedules)."""

    monitoring_schedule_name: str


@dataclass
class Synth:
    result: GovernedSynth
    raw: dict[str, Any]
    stack: Stack
    trigger: RetrainingTrigger
    foundation: Foundation
    alarm: cloudwatch.Alarm
    pipeline_arn: Any


def ref(stack: Stack, construct: Any) -> str:
    return str(stack.get_logical_id(construct.node.default_child))


@pytest.fixture(scope="module")
def synth() -> Synth:
    app = new_app()
    stack = Stack(app, "Retrain", env=ENV)
    f = Foundation(stack)
    assert f.personas is not None
    topic = sns.Topic(stack, "Alerts", master_key=f.keys.messaging, enforce_ssl=True)
    alarm = cloudwatch.Alarm(
        stack,
        "FeatureDrift",
        metric=cloudwatch.Metric(namespace="aws/sagemaker/Endpoints/data-metrics", metric_name="feature_drift"),
        threshold=0.2,
        evaluation_periods=1,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    pipeline = TrainingPipeline.from_pipeline_name(stack, "Pipeline", "churn-training")
    trigger = RetrainingTrigger(
        stack,
        "Retraining",
        pipeline=pipeline,
        new_data=NewDataTrigger(f.buckets.data, "churn/incoming/"),
        schedule=ScheduleTrigger(events.Schedule.rate(Duration.days(7)), parameters={"Mode": "full"}),
        drift_alarms=[alarm],
        monitoring_schedules=[SCHEDULE_ARN, NamedSchedule("Churn-Model-Quality")],
        cooldown=Duration.hours(6),
        vpc=f.network.vpc,
        endpoint_security_group=f.network.endpoint_security_group,
        dynamodb_prefix_list_id=DYNAMODB_PREFIX_LIST,
        key=f.keys.messaging,
        log_key=f.keys.logs,
        alarm_topic=topic,
        guardrail=f.personas.guardrail.policy,
    )
    result = governed_synth(app)
    return Synth(result, result.template(stack), stack, trigger, f, alarm, stack.resolve(pipeline.pipeline_arn))


def props(synth: Synth, construct: Any) -> dict[str, Any]:
    return dict(synth.raw["Resources"][ref(synth.stack, construct)]["Properties"])


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def policy_of_role(synth: Synth, role_ref: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for policy in resources_of(synth.raw, "AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_ref} in policy["Properties"].get("Roles", []):
            out.extend(statements(policy))
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- a small EventBridge pattern matcher (exact values, prefix, nested objects) -------------------------


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge matching for the pattern features the constructs use."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not matches(wanted, value):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        ok = False
        for option in wanted:
            if isinstance(option, dict) and "prefix" in option:
                ok = ok or any(isinstance(v, str) and v.startswith(option["prefix"]) for v in values)
            else:
                ok = ok or option in values
        if not ok:
            return False
    return True


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / name).read_text())
    for path, value in overrides.items():
        target = event
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[p]
        target[leaf] = value
    return dict(event)


def test_the_matcher_is_strict() -> None:
    assert matches({"a": ["x"], "b": {"c": [{"prefix": "p"}]}}, {"a": "x", "b": {"c": "pq"}})
    assert not matches({"a": ["x"]}, {"a": "y"})
    assert not matches({"b": {"c": [{"prefix": "p"}]}}, {"b": {"c": "qp"}})
    assert not matches({"a": ["x"]}, {})


# -- governance -------------------------------------------------------------------------------------


def test_governance_clean(synth: Synth) -> None:
    assert_governance_clean(synth.result)


def test_cfn_lint_clean(synth: Synth) -> None:
    assert cfn_lint_errors(synth.raw) == []


def test_no_inline_policies(synth: Synth) -> None:
    assert resources_of(synth.raw, "AWS::IAM::Policy") == {}


def test_only_reviewed_acknowledgements_on_the_trigger(synth: Synth) -> None:
    mine = {
        (p.split("/Retraining/", 1)[1], rule) for p, rule, _ in synth.result.acknowledgements() if "/Retraining/" in p
    }
    assert mine == {
        ("Function/Resource", "HIPAA.Security-LambdaConcurrency"),  # no reserved concurrency (issue 9.5)
        ("Function/Resource", "NIST.800.53.R5-LambdaConcurrency"),
        ("IdempotencyTable", "HIPAA.Security-DynamoDBInBackupPlan"),
        ("IdempotencyTable", "NIST.800.53.R5-DynamoDBInBackupPlan"),
        ("Function/DeadLetterQueue", "AwsSolutions-SQS3"),
        ("Function/DeadLetterQueue", "Serverless-SQSRedrivePolicy"),
        ("Function/RuntimePolicy", "AwsSolutions-IAM5[Resource::*]"),
        ("Function/RuntimePolicy", f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:{REGION}:{ACCOUNT}:*/*]"),
        ("Function/Resource/EventInvokeConfig", "Serverless-LambdaAsyncFailureDestination"),
    }


def test_no_warning_when_the_dynamodb_prefix_list_is_given(synth: Synth) -> None:
    assert [w for w in synth.result.warnings() if "Retraining" in w[1]] == []


# -- LMB-*, LOG-01 -------------------------------------------------------------------------------------


def test_lmb01_function_is_hardened(synth: Synth) -> None:
    assert synth.trigger.function is not None
    fn = props(synth, synth.trigger.function.function)
    assert fn["Runtime"] == "python3.14"
    assert fn["Handler"] == "retraining_trigger.handler.handler"
    assert "ReservedConcurrentExecutions" not in fn  # none by default (issue 9.5)
    assert fn["TracingConfig"] == {"Mode": "Active"}
    assert fn["Timeout"] == 60 and fn["MemorySize"] == 256
    dlq = ref(synth.stack, synth.trigger.function.dead_letter_queue)
    assert fn["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [dlq, "Arn"]}}
    subnets = {ref(synth.stack, s) for s in synth.foundation.network.vpc.isolated_subnets}
    assert {s["Ref"] for s in fn["VpcConfig"]["SubnetIds"]} == subnets and len(subnets) == 2


def test_lmb03_invoke_permissions_name_each_rule(synth: Synth) -> None:
    assert synth.trigger.function is not None
    fn = ref(synth.stack, synth.trigger.function.function)
    permissions = [
        p["Properties"]
        for p in resources_of(synth.raw, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [fn, "Arn"]}
    ]
    rules = {ref(synth.stack, r) for r in synth.trigger.rules if r is not synth.trigger.schedule_rule}
    assert len(rules) == 3
    assert {p["SourceArn"]["Fn::GetAtt"][0] for p in permissions} == rules
    assert all(p["Principal"] == "events.amazonaws.com" for p in permissions)


def test_log01_log_group_has_kms_and_retention(synth: Synth) -> None:
    assert synth.trigger.function is not None
    logs = props(synth, synth.trigger.function.log_group)
    assert logs["KmsKeyId"] == {"Fn::GetAtt": [ref(synth.stack, synth.foundation.keys.logs), "Arn"]}
    assert logs["RetentionInDays"] == 365


# -- EVT-01, MSG-*, CW-01 --------------------------------------------------------------------------------


def test_evt01_every_target_has_a_dead_letter_queue_and_retry_policy(synth: Synth) -> None:
    rules = resources_of(synth.raw, "AWS::Events::Rule")
    assert len(rules) == 4
    for rule in rules.values():
        for target in rule["Properties"]["Targets"]:
            assert "Arn" in target["DeadLetterConfig"]
            assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}


def test_msg03_dead_letter_queue_is_encrypted_and_tls_only(synth: Synth) -> None:
    assert synth.trigger.function is not None
    queue = ref(synth.stack, synth.trigger.function.dead_letter_queue)
    assert props(synth, synth.trigger.function.dead_letter_queue)["KmsMasterKeyId"] == {
        "Fn::GetAtt": [ref(synth.stack, synth.foundation.keys.messaging), "Arn"]
    }
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources_of(synth.raw, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in p["Properties"]["Queues"]
    ]
    assert len(policies) == 1
    deny = [s for s in policies[0] if s["Effect"] == "Deny"]
    assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    senders = [s for s in policies[0] if s["Effect"] == "Allow"]
    # The function's three rules and the direct schedule rule may send, each by its own ARN.
    assert {s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0] for s in senders} == {
        ref(synth.stack, r) for r in synth.trigger.rules
    }


def test_cw01_every_alarm_acts(synth: Synth) -> None:
    for alarm in resources_of(synth.raw, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"]


# -- the table ---------------------------------------------------------------------------------------------


def test_table_is_on_demand_kms_pitr_ttl_and_not_retained(synth: Synth) -> None:
    assert synth.trigger.table is not None
    table = synth.raw["Resources"][ref(synth.stack, synth.trigger.table)]
    p = table["Properties"]
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert p["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert p["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::GetAtt": [ref(synth.stack, synth.foundation.keys.messaging), "Arn"]},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["DeletionPolicy"] == "Delete"


# -- IAM -----------------------------------------------------------------------------------------------------


def test_function_may_start_and_list_only_this_pipeline_and_write_only_its_table(synth: Synth) -> None:
    assert synth.trigger.function is not None and synth.trigger.table is not None
    role = ref(synth.stack, synth.trigger.function.role.role)
    stmts = policy_of_role(synth, role)
    sagemaker = [s for s in stmts if any(a.startswith("sagemaker:") for a in as_list(s["Action"]))]
    assert sagemaker == [
        {
            "Action": ["sagemaker:StartPipelineExecution", "sagemaker:ListPipelineExecutions"],
            "Effect": "Allow",
            "Resource": synth.pipeline_arn,
            "Sid": "StartAndListThisPipeline",
        }
    ]
    dynamo = [s for s in stmts if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert dynamo == [
        {
            "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [ref(synth.stack, synth.trigger.table), "Arn"]},
            "Sid": "IdempotencyItems",
        }
    ]
    table_key = [s for s in stmts if s.get("Sid") == "IdempotencyTableKey"]
    assert table_key[0]["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", [f"dynamodb.{REGION}.", {"Ref": "AWS::URLSuffix"}]]
    }
    # Resource "*" only for actions without resource-level permissions (ENI describes, X-Ray).
    assert {a for s in stmts if s["Resource"] == "*" for a in as_list(s["Action"])} <= RESOURCELESS_ACTIONS


def test_direct_target_role_may_only_start_this_pipeline(synth: Synth) -> None:
    assert synth.trigger.pipeline_target_role is not None
    role_ref = ref(synth.stack, synth.trigger.pipeline_target_role.role)
    assert policy_of_role(synth, role_ref) == [
        {
            "Action": "sagemaker:StartPipelineExecution",
            "Effect": "Allow",
            "Resource": synth.pipeline_arn,
            "Sid": "StartThisPipelineOnly",
        }
    ]
    trust = synth.raw["Resources"][role_ref]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
        }
    ]


def test_guardrail_is_attached_to_every_role_created(synth: Synth) -> None:
    assert synth.trigger.function is not None and synth.trigger.pipeline_target_role is not None
    assert synth.foundation.personas is not None
    guardrail = {"Ref": ref(synth.stack, synth.foundation.personas.guardrail.policy)}
    for role in (synth.trigger.function.role.role, synth.trigger.pipeline_target_role.role):
        assert guardrail in props(synth, role)["ManagedPolicyArns"]


# -- network -----------------------------------------------------------------------------------------------


def test_function_reaches_dynamodb_through_the_prefix_list(synth: Synth) -> None:
    assert synth.trigger.function is not None
    sg = ref(synth.stack, synth.trigger.function.security_group)
    egress = [
        e["Properties"]
        for e in resources_of(synth.raw, "AWS::EC2::SecurityGroupEgress").values()
        if e["Properties"]["GroupId"] == {"Fn::GetAtt": [sg, "GroupId"]}
    ]
    inline = props(synth, synth.trigger.function.security_group).get("SecurityGroupEgress", [])
    rules = egress + inline
    assert {
        "DestinationPrefixListId": DYNAMODB_PREFIX_LIST,
        "Description": "HTTPS to DynamoDB through the gateway endpoint",
        "FromPort": 443,
        "IpProtocol": "tcp",
        "ToPort": 443,
    } in [{k: v for k, v in r.items() if k != "GroupId"} for r in rules]
    assert all(r.get("CidrIp") != "0.0.0.0/0" for r in rules)


# -- rules and event patterns ------------------------------------------------------------------------------


def rule(synth: Synth, r: events.Rule | None) -> dict[str, Any]:
    assert r is not None
    return props(synth, r)


def test_new_data_pattern_is_exact_and_matches_a_real_event(synth: Synth) -> None:
    bucket = {"Ref": ref(synth.stack, synth.foundation.buckets.data.bucket)}
    pattern = rule(synth, synth.trigger.new_data_rule)["EventPattern"]
    assert pattern == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": "churn/incoming/"}]}},
    }
    pattern["detail"]["bucket"]["name"] = ["ml-platform-data"]
    assert matches(pattern, load_event("s3_object_created.json"))
    assert not matches(pattern, load_event("s3_object_created.json", detail__object__key="other/x.csv"))


def test_drift_pattern_is_exact_and_matches_only_alarm_state(synth: Synth) -> None:
    pattern = rule(synth, synth.trigger.drift_rule)["EventPattern"]
    assert pattern == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": [{"Fn::GetAtt": [ref(synth.stack, synth.alarm), "Arn"]}],
        "detail": {"state": {"value": ["ALARM"]}},
    }
    event = load_event("alarm_state_change.json")
    pattern["resources"] = event["resources"]
    assert matches(pattern, event)
    assert not matches(pattern, load_event("alarm_state_change.json", detail__state={"value": "OK"}))


def test_monitoring_pattern_is_exact_and_matches_a_violation_only(synth: Synth) -> None:
    pattern = rule(synth, synth.trigger.monitoring_rule)["EventPattern"]
    named = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/churn-model-quality",
            ],
        ]
    }
    assert pattern == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Processing Job State Change"],
        "detail": {
            "MonitoringScheduleArn": [SCHEDULE_ARN, named],
            "ProcessingJobStatus": ["Completed"],
            "ExitMessage": [{"prefix": "CompletedWithViolations"}],
        },
    }
    event = load_event("monitoring_violation.json", detail__MonitoringScheduleArn=SCHEDULE_ARN)
    assert matches(pattern, event)
    clean = load_event(
        "monitoring_violation.json", detail__MonitoringScheduleArn=SCHEDULE_ARN, detail__ExitMessage="Completed"
    )
    assert not matches(pattern, clean)


def test_direct_schedule_target_starts_the_pipeline_with_parameters(synth: Synth) -> None:
    assert synth.trigger.function is not None and synth.trigger.pipeline_target_role is not None
    r = rule(synth, synth.trigger.schedule_rule)
    assert r["ScheduleExpression"] == "rate(7 days)"
    assert r["Targets"] == [
        {
            "Arn": synth.pipeline_arn,
            "Id": "Target0",
            "RoleArn": {"Fn::GetAtt": [ref(synth.stack, synth.trigger.pipeline_target_role.role), "Arn"]},
            "DeadLetterConfig": {
                "Arn": {"Fn::GetAtt": [ref(synth.stack, synth.trigger.function.dead_letter_queue), "Arn"]}
            },
            "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8},
            "SageMakerPipelineParameters": {
                "PipelineParameterList": [
                    {"Name": "Mode", "Value": "full"},
                    {"Name": "TriggerReason", "Value": "schedule"},
                ]
            },
        }
    ]


def test_judged_rules_target_the_function(synth: Synth) -> None:
    assert synth.trigger.function is not None
    fn = {"Fn::GetAtt": [ref(synth.stack, synth.trigger.function.function), "Arn"]}
    for r in (synth.trigger.new_data_rule, synth.trigger.drift_rule, synth.trigger.monitoring_rule):
        assert [t["Arn"] for t in rule(synth, r)["Targets"]] == [fn]


# -- the handler's environment contract ------------------------------------------------------------------


def test_function_environment_follows_the_handler_contract(synth: Synth) -> None:
    from lambdas.retraining_trigger import config as handler_config

    assert synth.trigger.function is not None and synth.trigger.table is not None
    env = props(synth, synth.trigger.function.function)["Environment"]["Variables"]
    assert env["IDEMPOTENCY_TABLE_NAME"] == {"Ref": ref(synth.stack, synth.trigger.table)}
    assert env["DATA_BUCKET"] == {"Ref": ref(synth.stack, synth.foundation.buckets.data.bucket)}
    assert env["ALARM_ARNS"] == {"Fn::GetAtt": [ref(synth.stack, synth.alarm), "Arn"]}
    literal = {
        **env,
        "PIPELINE_ARN": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/churn-training",
        "IDEMPOTENCY_TABLE_NAME": "Retrain-RetrainingIdempotencyTable-1ABC",
        "DATA_BUCKET": "ml-platform-data",
        "ALARM_ARNS": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:drift",
        "MONITORING_SCHEDULE_ARNS": f"{SCHEDULE_ARN},{SCHEDULE_ARN}-2",
    }
    loaded = handler_config.load(literal)
    assert loaded.cooldown_seconds == 6 * 3600
    assert loaded.data_prefix == "churn/incoming/"
    assert loaded.input_data_parameter == "InputDataUrl" and loaded.trigger_reason_parameter == "TriggerReason"
    assert env["MONITORING_SCHEDULE_ARNS"]["Fn::Join"][1][0] == f"{SCHEDULE_ARN},arn:"
