"""An SNS topic for alarms and notifications: KMS-encrypted and TLS-only (control MSG-01).

Example::

    topic = AlarmTopic(self, "Alarms", master_key=keys.messaging)
    alarm.add_alarm_action(topic.action)
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml._jsii_cache import stack_env


class AlarmTopic(Construct):
    """A KMS-encrypted SNS topic whose policy denies non-TLS requests; CloudWatch alarms and
    EventBridge rules of this account may publish to it.

    Args:
        scope: parent construct.
        construct_id: construct id.
        master_key: the topic's key (``PlatformKeys.messaging``; its policy must let
            ``cloudwatch.amazonaws.com`` use it): a new key with rotation whose policy does.
        display_name: the topic's display name: none.

    Attributes:
        topic: the topic (``sns.Topic``); ``key``: its key; ``action``: an alarm action publishing to it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        master_key: kms.IKey | None = None,
        display_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        account = stack_env(self).account
        if master_key is None:
            new_key = kms.Key(
                self,
                "Key",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN,
                description=f"Key of alarm topic {self.node.path}",
            )
            new_key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowAlarmsAndEventsToPublish",
                    principals=[
                        iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                        iam.ServicePrincipal("events.amazonaws.com"),
                    ],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": account}},
                )
            )
            master_key = new_key
        self.key = master_key
        self.topic = sns.Topic(self, "Resource", master_key=master_key, enforce_ssl=True, display_name=display_name)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsAndEventsOfThisAccount",
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
        self.action = cw_actions.SnsAction(self.topic)

    @property
    def topic_arn(self) -> str:
        return self.topic.topic_arn

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to publish (and use the key)."""
        grant = self.topic.grant_publish(grantee)
        self.key.grant(grantee, "kms:Decrypt", "kms:GenerateDataKey")
        return grant
