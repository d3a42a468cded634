"""RetrainingTrigger variants (shape-only synth) and bad props.

- only a direct schedule: no function and no table, a dead-letter queue and alarm of its own;
- a schedule through the function, without a DynamoDB prefix list: the warning;
- every prop check raises one ValidationError naming the prop.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match, Template

from constructs_ml.errors import ValidationError
from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys
from constructs_ml.operate import NewDataTrigger, RetrainingTrigger, SageMakerPipelineTarget, ScheduleTrigger
from tests.fixtures import ENV
from tests.support import ACCOUNT, REGION, new_app

PIPELINE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/churn-training"
WEEKLY = events.Schedule.rate(Duration.days(7))


class Parts:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.keys = PlatformKeys(stack, "Keys")
        self.network = MlNetwork(stack, "Network", logs_key=self.keys.logs)
        self.buckets = PlatformBuckets(stack, "Buckets", key=self.keys.data)
        self.topic = sns.Topic(stack, "Alerts", master_key=self.keys.messaging, enforce_ssl=True)

    def common(self) -> dict[str, Any]:
        return {"vpc": self.network.vpc, "key": self.keys.messaging, "alarm_topic": self.topic}


@pytest.fixture(scope="module")
def shapes() -> dict[str, Any]:
    app = new_app(governed=False, validate_cfn=False)
    direct_stack = Stack(app, "DirectOnly", env=ENV)
    direct_parts = Parts(direct_stack)
    direct = RetrainingTrigger(
        direct_stack, "Retraining", pipeline=PIPELINE, schedule=ScheduleTrigger(WEEKLY), **direct_parts.common()
    )
    judged_stack = Stack(app, "Judged", env=ENV)
    judged_parts = Parts(judged_stack)
    judged = RetrainingTrigger(
        judged_stack,
        "Retraining",
        pipeline=PIPELINE,
        schedule=ScheduleTrigger(events.Schedule.cron(hour="3", minute="0"), direct=False),
        trigger_reason_parameter=None,
        table_removal_policy=RemovalPolicy.RETAIN,
        **judged_parts.common(),
    )
    # The target on its own, after another target: its parameters land on its own entry.
    mixed_stack = Stack(app, "Mixed", env=ENV)
    queue = sqs.Queue(mixed_stack, "Queue", encryption=sqs.QueueEncryption.KMS_MANAGED, enforce_ssl=True)
    rule = events.Rule(mixed_stack, "Rule", schedule=WEEKLY)
    rule.add_target(targets.SqsQueue(queue, dead_letter_queue=queue))
    role = iam.Role.from_role_arn(mixed_stack, "TargetRole", f"arn:aws:iam::{ACCOUNT}:role/events-start-pipeline")
    rule.add_target(
        SageMakerPipelineTarget(pipeline_arn=PIPELINE, role=role, dead_letter_queue=queue, parameters={"Mode": "x"})
    )
    return {
        "mixed": (Template.from_stack(mixed_stack), mixed_stack, rule),
        "direct": (Template.from_stack(direct_stack), direct_stack, direct),
        "judged": (Template.from_stack(judged_stack), judged_stack, judged),
    }


def logical_id(stack: Stack, construct: Any) -> str:
    return str(stack.get_logical_id(construct.node.default_child))


def test_pipeline_target_parameters_land_on_its_own_entry(shapes: dict[str, Any]) -> None:
    template, _, _ = shapes["mixed"]
    (rule,) = template.find_resources("AWS::Events::Rule").values()
    first, second = rule["Properties"]["Targets"]
    assert "SageMakerPipelineParameters" not in first
    assert second["Arn"] == PIPELINE and second["Id"] == "Target1"
    assert second["SageMakerPipelineParameters"] == {"PipelineParameterList": [{"Name": "Mode", "Value": "x"}]}
    assert second["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/events-start-pipeline"
    assert second["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}


# -- only a direct schedule --------------------------------------------------------------------------------


def test_direct_only_has_no_function_and_no_table(shapes: dict[str, Any]) -> None:
    template, _, trigger = shapes["direct"]
    assert (
        template.find_resources(
            "AWS::Lambda::Function", {"Properties": {"Handler": Match.string_like_regexp("retraining")}}
        )
        == {}
    )
    template.resource_count_is("AWS::DynamoDB::Table", 0)
    assert trigger.function is None and trigger.table is None


def test_direct_only_target_uses_its_own_alarmed_dead_letter_queue(shapes: dict[str, Any]) -> None:
    template, stack, trigger = shapes["direct"]
    queue = logical_id(stack, trigger.dead_letter_queue)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(7 days)",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": PIPELINE,
                        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [queue, "Arn"]}},
                        "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8},
                        "SageMakerPipelineParameters": {
                            "PipelineParameterList": [{"Name": "TriggerReason", "Value": "schedule"}]
                        },
                    }
                )
            ],
        },
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", {"KmsMasterKeyId": Match.any_value(), "MessageRetentionPeriod": 1209600}
    )
    assert trigger.dead_letter_alarm is not None
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}],
            "AlarmActions": [{"Ref": logical_id(stack, stack.node.find_child("Alerts"))}],
        },
    )


def test_direct_only_lets_eventbridge_use_the_queue_key_for_this_account_only(shapes: dict[str, Any]) -> None:
    template, _, _ = shapes["direct"]
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowEventBridgeToDeadLetter",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_metric_decisions_failed_needs_a_function(shapes: dict[str, Any]) -> None:
    _, _, direct = shapes["direct"]
    with pytest.raises(ValueError, match="no retraining function"):
        direct.metric_decisions_failed()
    _, _, judged = shapes["judged"]
    assert judged.metric_decisions_failed().metric_name == "Errors"


# -- a schedule through the function -----------------------------------------------------------------------


def test_judged_schedule_targets_the_function_without_pipeline_parameters(shapes: dict[str, Any]) -> None:
    template, stack, trigger = shapes["judged"]
    fn = logical_id(stack, trigger.function.function)
    rule = template.find_resources("AWS::Events::Rule")
    (props,) = [r["Properties"] for r in rule.values()]
    assert props["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert [t["Arn"] for t in props["Targets"]] == [{"Fn::GetAtt": [fn, "Arn"]}]
    assert "SageMakerPipelineParameters" not in props["Targets"][0]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"TRIGGER_REASON_PARAMETER": "", "COOLDOWN_SECONDS": "3600"})}},
    )
    events_roles = template.find_resources(
        "AWS::IAM::Role",
        {
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": Match.array_with(
                        [Match.object_like({"Principal": {"Service": "events.amazonaws.com"}})]
                    )
                }
            }
        },
    )
    assert events_roles == {} and trigger.pipeline_target_role is None


def test_judged_table_can_be_retained(shapes: dict[str, Any]) -> None:
    template, _, _ = shapes["judged"]
    template.has_resource("AWS::DynamoDB::Table", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_warning_without_dynamodb_prefix_list(shapes: dict[str, Any]) -> None:
    _, stack, _ = shapes["judged"]
    Annotations.from_stack(stack).has_warning(
        "/Judged/Retraining", Match.string_like_regexp("dynamodb_prefix_list_id is not set")
    )


# -- bad props --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parts() -> Parts:
    return Parts(Stack(new_app(governed=False, validate_cfn=False), "Bad", env=ENV))


def make(parts: Parts, **kwargs: Any) -> RetrainingTrigger:
    props: dict[str, Any] = {"pipeline": PIPELINE, **parts.common(), **kwargs}
    make.counter += 1  # type: ignore[attr-defined]  # a unique construct id per call
    return RetrainingTrigger(parts.stack, f"T{make.counter}", **props)  # type: ignore[attr-defined]


make.counter = 0  # type: ignore[attr-defined]


def test_no_trigger_at_all(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="at least one trigger"):
        make(parts)


def test_cooldown_beyond_thirty_days(parts: Parts) -> None:
    with pytest.raises(ValidationError, match=r"cooldown \(seconds\) must be between 0 and 2592000"):
        make(parts, schedule=ScheduleTrigger(WEEKLY), cooldown=Duration.days(31))


def test_negative_cooldown_is_rejected_by_cdk_itself() -> None:
    with pytest.raises(RuntimeError, match="cannot be negative"):
        Duration.seconds(-1)


def test_idempotency_ttl_shorter_than_an_hour(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="idempotency_ttl"):
        make(parts, schedule=ScheduleTrigger(WEEKLY, direct=False), idempotency_ttl=Duration.minutes(30))


def test_invalid_schedule_expression(parts: Parts) -> None:
    with pytest.raises(ValidationError, match=r"schedule\.schedule must be rate\(<n> <unit>\) or cron"):
        make(parts, schedule=ScheduleTrigger(events.Schedule.expression("every monday")))


@pytest.mark.parametrize("prefix", ["/churn/incoming/", "churn/*/incoming/", "churn/?"])
def test_invalid_prefix(parts: Parts, prefix: str) -> None:
    with pytest.raises(
        ValidationError, match=r"new_data\.prefix must be a key prefix without a leading '/' or wildcards"
    ):
        make(parts, new_data=NewDataTrigger(parts.buckets.data, prefix))


def test_bucket_without_eventbridge(parts: Parts) -> None:
    with pytest.raises(ValidationError, match=r"new_data\.bucket must be a bucket that sends events to EventBridge"):
        make(parts, new_data=NewDataTrigger(parts.buckets.artifacts, "churn/"))


def test_not_a_pipeline_arn(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="pipeline must be a pipeline ARN"):
        make(parts, pipeline=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/churn", schedule=ScheduleTrigger(WEEKLY))


def test_parameters_the_pipeline_does_not_declare(parts: Parts) -> None:
    with pytest.raises(ValidationError) as raised:
        make(
            parts,
            new_data=NewDataTrigger(parts.buckets.data, "churn/"),
            pipeline_parameter_names=["InputDataUrl"],
        )
    assert "'TriggerReason'" in str(raised.value) and "'InputDataUrl'" not in str(raised.value)


def test_direct_schedule_for_a_pipeline_of_another_account(parts: Parts) -> None:
    with pytest.raises(ValidationError, match=r"pipeline \(account\) must be this stack's account"):
        make(parts, pipeline=f"arn:aws:sagemaker:{REGION}:222222222222:pipeline/x", schedule=ScheduleTrigger(WEEKLY))


def test_bad_prefix_list_and_parameter_names_are_reported_together(parts: Parts) -> None:
    with pytest.raises(ValidationError) as raised:
        make(
            parts,
            schedule=ScheduleTrigger(WEEKLY, direct=False),
            dynamodb_prefix_list_id="dynamodb",
            input_data_parameter="bad name",
        )
    assert len(raised.value.problems) == 2
    assert (
        "dynamodb_prefix_list_id" in raised.value.problems[0] or "dynamodb_prefix_list_id" in raised.value.problems[1]
    )


def test_bad_direct_parameter_names(parts: Parts) -> None:
    with pytest.raises(ValidationError, match=r"schedule\.parameters must be pipeline parameter names"):
        make(parts, schedule=ScheduleTrigger(WEEKLY, parameters={"no spaces": "x"}))


def test_keys_and_vpc_are_interfaces(parts: Parts) -> None:
    # An imported key and VPC work as well as owned ones (construction only).
    key = kms.Key.from_key_arn(parts.stack, "ImportedKey", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd")
    vpc = ec2.Vpc.from_vpc_attributes(
        parts.stack,
        "ImportedVpc",
        vpc_id="vpc-12345678",
        vpc_cidr_block="10.30.0.0/16",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        isolated_subnet_ids=["subnet-11111111", "subnet-22222222"],
    )
    trigger = make(parts, schedule=ScheduleTrigger(WEEKLY, direct=False), key=key, vpc=vpc)
    assert trigger.function is not None
