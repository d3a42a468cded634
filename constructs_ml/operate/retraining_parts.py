"""Parts of :class:`~constructs_ml.operate.RetrainingTrigger`: props, event patterns, checks, the function, the DLQ.

The event patterns are public so that tests and other rules can reuse exactly what the trigger
matches; each narrows the events to what the retraining function would act on, so the function is
invoked only for events it can use (it re-checks everything anyway).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.errors import Problems, sagemaker_name_pattern
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.foundation.buckets import SecureBucket
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.operate.glue_function import GlueFunction
from constructs_ml.operate.glue_role import (
    DYNAMODB_CONDITIONAL,
    DYNAMODB_GATEWAY,
    DYNAMODB_KMS,
    LAMBDA_VPC,
    PIPELINE_API,
    SAGEMAKER_SAR,
)

#: A SageMaker pipeline ARN (tokens are not checked).
PIPELINE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:pipeline/" + sagemaker_name_pattern(256) + "$")
#: An EventBridge schedule expression: ``rate(<n> <unit>)`` or ``cron(<6 fields>)``.
SCHEDULE_EXPRESSION = re.compile(r"^(rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$")

S3_OBJECT_CREATED = ("aws.s3", "Object Created")
ALARM_STATE_CHANGE = ("aws.cloudwatch", "CloudWatch Alarm State Change")
PROCESSING_JOB_STATE_CHANGE = ("aws.sagemaker", "SageMaker Processing Job State Change")
VIOLATIONS_PREFIX = "CompletedWithViolations"


def new_data_pattern(bucket_name: str, prefix: str) -> events.EventPattern:
    """``Object Created`` in ``bucket_name`` (under ``prefix`` when non-empty)."""
    detail: dict[str, object] = {"bucket": {"name": [bucket_name]}}
    if prefix:
        detail["object"] = {"key": [{"prefix": prefix}]}
    return events.EventPattern(source=[S3_OBJECT_CREATED[0]], detail_type=[S3_OBJECT_CREATED[1]], detail=detail)


def alarm_pattern(alarm_arns: Sequence[str]) -> events.EventPattern:
    """One of ``alarm_arns`` changed to ``ALARM``."""
    return events.EventPattern(
        source=[ALARM_STATE_CHANGE[0]],
        detail_type=[ALARM_STATE_CHANGE[1]],
        resources=list(alarm_arns),
        detail={"state": {"value": ["ALARM"]}},
    )


def monitoring_pattern(schedule_arns: Sequence[str]) -> events.EventPattern:
    """A job of one of ``schedule_arns`` completed with violations."""
    return events.EventPattern(
        source=[PROCESSING_JOB_STATE_CHANGE[0]],
        detail_type=[PROCESSING_JOB_STATE_CHANGE[1]],
        detail={
            "MonitoringScheduleArn": list(schedule_arns),
            "ProcessingJobStatus": ["Completed"],
            "ExitMessage": [{"prefix": VIOLATIONS_PREFIX}],
        },
    )


def allow_events_to_use_key(key: kms.IKey, scope: Construct) -> None:
    """Let EventBridge (this account's rules) write to queues encrypted with ``key``."""
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowEventBridgeToDeadLetter",
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": stack_env(scope).account}},
        )
    )


def direct_dead_letter_queue(
    scope: Construct, key: kms.IKey, alarm_topic: sns.ITopic
) -> tuple[sqs.Queue, cloudwatch.Alarm]:
    """A terminal DLQ for direct pipeline targets (KMS, TLS-only, 14 days) and its alarm (CW-01)."""
    queue = sqs.Queue(
        scope,
        "DeadLetterQueue",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    acknowledge(queue, "pipeline-target-dead-letter-queue")
    allow_events_to_use_key(key, scope)
    alarm = cloudwatch.Alarm(
        scope,
        "DeadLetterAlarm",
        alarm_description=f"{scope.node.path}: EventBridge could not start the pipeline; inspect and redrive",
        metric=queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5), statistic="Maximum"),
        threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))
    return queue, alarm


class PipelineRef(Protocol):
    """Anything with a pipeline ARN: ``TrainingPipeline``, ``TrainingPipeline.from_pipeline_name(...)``."""

    @property
    def pipeline_arn(self) -> str: ...


class MonitoringScheduleLike(Protocol):
    """Anything with a monitoring schedule name (e.g. ``ModelMonitor.schedules[...]``)."""

    @property
    def monitoring_schedule_name(self) -> str: ...


@dataclass(frozen=True)
class NewDataTrigger:
    """Retrain when an object is created under ``prefix`` of ``bucket``.

    Attributes:
        bucket: the data bucket; it must send events to EventBridge (``SecureBucket(event_bridge_enabled=True)``,
            which ``PlatformBuckets.data`` is; for any other bucket, turn EventBridge notifications on yourself).
        prefix: the key prefix (no leading ``/``, no wildcards), e.g. ``"churn/incoming/"``: the whole bucket.
    """

    bucket: SecureBucket | s3.IBucket
    prefix: str = ""


@dataclass(frozen=True)
class ScheduleTrigger:
    """Retrain on a schedule.

    Attributes:
        schedule: ``events.Schedule.rate(...)`` or ``events.Schedule.cron(...)``.
        direct: EventBridge starts the pipeline itself (no function, no debounce: a run starts even
            if one is in flight); False sends the event through the function (debounce, cooldown).
        parameters: extra pipeline parameters of a direct start (names declared by the pipeline): none.
    """

    schedule: events.Schedule
    direct: bool = True
    parameters: Mapping[str, str] = field(default_factory=dict)


def monitoring_schedule_arn(scope: Construct, schedule: MonitoringScheduleLike | str) -> str:
    """The ARN of a schedule given by ARN or as an object with a name (SageMaker ARNs use the lower-case name)."""
    if isinstance(schedule, str):
        return schedule
    return sagemaker_arn(scope, "monitoring-schedule", schedule.monitoring_schedule_name)


def retraining_function(
    scope: Construct,
    *,
    pipeline_arn: str,
    key: kms.IKey,
    table_key: kms.IKey,
    log_key: kms.IKey | None,
    alarm_topic: sns.ITopic,
    vpc: ec2.IVpc,
    vpc_subnets: ec2.SubnetSelection | None,
    endpoint_security_group: ec2.ISecurityGroup | None,
    dynamodb_prefix_list_id: str | None,
    table_removal_policy: RemovalPolicy,
    guardrail: iam.IManagedPolicy | None,
    permissions_boundary: iam.IManagedPolicy | None,
    environment: dict[str, str],
    reserved_concurrency: int | None = None,
) -> tuple[dynamodb.Table, GlueFunction]:
    """The idempotency table and the retraining function, with exactly the permissions the handler needs."""
    table = dynamodb.Table(
        scope,
        "IdempotencyTable",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=table_key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute="expires_at",
        removal_policy=table_removal_policy,
    )
    acknowledge(table, "dynamodb-idempotency-table-no-backup-plan")
    function = GlueFunction(
        scope,
        "Function",
        code="retraining_trigger",
        description=f"Retraining decisions for {scope.node.path}: debounce, cooldown, idempotent start"[:256],
        vpc=vpc,
        vpc_subnets=vpc_subnets,
        endpoint_security_group=endpoint_security_group,
        key=key,
        log_key=log_key,
        alarm_topic=alarm_topic,
        environment={**environment, "IDEMPOTENCY_TABLE_NAME": table.table_name},
        timeout=Duration.minutes(1),
        memory_size=256,
        reserved_concurrent_executions=reserved_concurrency,
        permissions_boundary=permissions_boundary,
    )
    if guardrail is not None:
        function.role.attach(guardrail)
    if dynamodb_prefix_list_id is not None:
        function.security_group.add_egress_rule(
            ec2.Peer.prefix_list(dynamodb_prefix_list_id),
            ec2.Port.tcp(443),
            "HTTPS to DynamoDB through the gateway endpoint",
        )
    else:
        Annotations.of(scope).add_warning_v2(
            "constructs-ml:retraining-no-dynamodb-egress",
            "RetrainingTrigger: dynamodb_prefix_list_id is not set, so the function's security group has no "
            "egress to the DynamoDB gateway endpoint; allow it (function.connections) or every event fails.",
        )
    stack = stack_of(scope)
    env = env_of(stack)
    table_arn, table_key_arn = table.table_arn, table_key.key_arn
    function.add_to_role_policy(
        iam.PolicyStatement(
            sid="StartAndListThisPipeline",
            actions=["sagemaker:StartPipelineExecution", "sagemaker:ListPipelineExecutions"],
            resources=[pipeline_arn],
        ),
        iam.PolicyStatement(
            sid="IdempotencyItems",
            actions=["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            resources=[table_arn],
        ),
        iam.PolicyStatement(
            sid="IdempotencyTableKey",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[table_key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{env.region}.{env.url_suffix}"}},
        ),
    )
    retraining_contract(function, pipeline_arn=pipeline_arn, table_arn=table_arn, table_key_arn=table_key_arn)
    return table, function


def check_new_data(problems: Problems, new_data: NewDataTrigger) -> None:
    """Record problems of a new-data trigger: the prefix, and a SecureBucket without EventBridge."""
    prefix = new_data.prefix
    problems.require(
        is_unresolved(prefix) or (not prefix.startswith("/") and not re.search(r"[*?]", prefix)),
        "new_data.prefix",
        prefix,
        "a key prefix without a leading '/' or wildcards",
    )
    if isinstance(new_data.bucket, SecureBucket):
        problems.require(
            new_data.bucket.event_bridge_enabled,
            "new_data.bucket",
            new_data.bucket.node.path,
            "a bucket that sends events to EventBridge (SecureBucket(event_bridge_enabled=True))",
        )


#: Warning id: a new-data trigger on a bucket whose EventBridge notifications this app cannot see.
NEW_DATA_EVENTS_UNKNOWN = "constructs-ml:new-data-bucket-events-unknown"


def warn_if_bucket_events_unknown(scope: Construct, new_data: NewDataTrigger) -> None:
    """Warn when the new-data bucket is imported: nothing starts retraining unless it sends events to EventBridge."""
    bucket = new_data.bucket
    if isinstance(bucket, SecureBucket) or isinstance(bucket.node.default_child, s3.CfnBucket):
        return
    Annotations.of(scope).add_warning_v2(
        NEW_DATA_EVENTS_UNKNOWN,
        f"new_data.bucket {bucket.node.path} is imported: this app cannot see whether it sends events to "
        "EventBridge, and without them no new object starts retraining. Turn them on where the bucket is owned: "
        "`aws s3api put-bucket-notification-configuration --bucket <name> --notification-configuration "
        "'{\"EventBridgeConfiguration\": {}}'`, or in CloudFormation "
        "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled: true "
        "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-event-notifications-eventbridge.html).",
    )


def retraining_contract(glue: GlueFunction, *, pipeline_arn: str, table_arn: str, table_key_arn: str) -> None:
    """The retraining handler's calls: its pipeline, its idempotency table (and key), and their endpoints."""
    stack = stack_of(glue)
    env = env_of(stack)
    contract = glue.contract
    contract.allows(
        ["sagemaker:ListPipelineExecutions", "sagemaker:StartPipelineExecution"],
        pipeline_arn,
        why="debounce and cooldown read the pipeline's executions; a decision to retrain starts one",
        source=PIPELINE_API,
    )
    contract.denies(
        "sagemaker:StartPipelineExecution",
        f"arn:{env.partition}:sagemaker:{env.region}:{env.account}:pipeline/another-pipeline",
        why="the function starts only the pipeline it was built for",
        source=SAGEMAKER_SAR,
    )
    contract.allows(
        ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        table_arn,
        why="event claims, decisions and the start gate are conditional writes to the idempotency table",
        source=DYNAMODB_CONDITIONAL,
    )
    contract.allows(
        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        table_key_arn,
        context={"kms:ViaService": f"dynamodb.{env.region}.amazonaws.com"},
        why="the table is encrypted with a customer-managed key",
        source=DYNAMODB_KMS,
    )
    glue.reaches("sagemaker.api", why="the SageMaker API (pipeline executions)", source=LAMBDA_VPC)
    glue.reaches("dynamodb", why="the idempotency table through the DynamoDB gateway endpoint", source=DYNAMODB_GATEWAY)
