"""A governed dead-letter queue for EventBridge rule targets you add yourself (EVT-01).

The governance packs require every rule target to have a dead-letter queue (``Serverless-EventBusDLQ``),
and a plain ``sqs.Queue`` as that DLQ raises two findings of its own (``AwsSolutions-SQS3``,
``Serverless-SQSRedrivePolicy``: a queue without a DLQ of its own). This one is terminal by design,
KMS-encrypted, TLS-only, kept 14 days, and alarmed on its first message, with the two findings
acknowledged through the reviewed allowlist entry ``event-target-dead-letter-queue``.

Example::

    dlq = TargetDeadLetterQueue(self, "ApprovedDlq", key=keys.messaging, alarm_topic=topic)
    rule = registry.on_model_approved("OnApproved")
    rule.add_target(targets.LambdaFunction(fn, dead_letter_queue=dlq.queue, retry_attempts=4))
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml._jsii_cache import stack_env
from constructs_ml.errors import Problems
from constructs_ml.governance.acknowledgements import acknowledge


class TargetDeadLetterQueue(Construct):
    """A terminal dead-letter queue for EventBridge targets, with an alarm on its first message.

    Args:
        scope: parent construct.
        construct_id: construct id.
        key: the KMS key of the queue (``PlatformKeys.messaging``); EventBridge of this account may use it.
        alarm_topic: where the alarm notifies (CW-01: alarms act).
        retention: how long undelivered events are kept (1 minute..14 days): 14 days.

    Attributes:
        queue: the queue: pass it as ``dead_letter_queue=`` of an ``aws_events_targets`` target.
        alarm: fires when a message arrives.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        alarm_topic: sns.ITopic,
        retention: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        retention = retention or Duration.days(14)
        problems = Problems(self)
        problems.require_type("key", key, "key_arn", "a KMS key (kms.IKey)")
        problems.require_type("alarm_topic", alarm_topic, "topic_arn", "an SNS topic (sns.ITopic)")
        problems.require_range("retention (seconds)", retention.to_seconds(), 60, 14 * 24 * 3600)
        problems.raise_if_any()
        self.queue = sqs.Queue(
            self,
            "Resource",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=retention,
        )
        acknowledge(self.queue, "event-target-dead-letter-queue")
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeToDeadLetter",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack_env(self).account}},
            )
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "Alarm",
            alarm_description=f"{self.node.path}: an EventBridge target could not be reached; inspect and redrive",
            metric=self.queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))


__all__ = ["TargetDeadLetterQueue"]
