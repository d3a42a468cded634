"""Customer-managed KMS keys for the platform (controls KMS-01..03).

Example::

    keys = PlatformKeys(self, "Keys")
    bucket = SecureBucket(self, "Data", encryption_key=keys.data)
"""

from __future__ import annotations

import re

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.errors import Problems

#: Services that may use the data key through kms:ViaService (S3 and SageMaker volumes/outputs, EBS
#: volumes (ec2), Studio EFS, the offline store's Glue/Athena, DynamoDB tables such as the retraining
#: trigger's idempotency table).
DATA_KEY_SERVICES: tuple[str, ...] = ("s3", "sagemaker", "glue", "elasticfilesystem", "ec2", "athena", "dynamodb")

#: Services that may use the messaging key through kms:ViaService (DynamoDB: the retraining trigger's
#: idempotency table defaults to the glue's key, ``RetrainingTrigger(table_key=...)`` to change it).
MESSAGING_KEY_SERVICES: tuple[str, ...] = ("sns", "sqs", "events", "lambda", "dynamodb")

#: What the account's IAM may do with a platform key without going through a service: administer it,
#: AWS's key-administrator statement of the default key policy
#: (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators),
#: minus ``kms:CreateGrant`` (a grant made directly would bypass the services-only statements). It keeps
#: ``kms:PutKeyPolicy`` for the account, so the account cannot be locked out of its own key
#: (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key).
#: Cryptographic use (Encrypt, Decrypt, GenerateDataKey, ReEncrypt) is only through the listed services.
KEY_ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:CreateAlias",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)

#: The cryptographic operations the services-only statements allow.
KEY_USE_ACTIONS: tuple[str, ...] = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")


class PlatformKeys(Construct):
    """The platform's customer-managed KMS keys, rotated and retained.

    Three keys separate duties: ``data`` (S3 buckets, SageMaker volumes, outputs, feature store, Studio
    EFS), ``logs`` (CloudWatch Logs: the logs service may use it only with an encryption context naming
    a log group of this account and region), and ``messaging`` (SNS, SQS, EventBridge; CloudWatch
    alarms and EventBridge may publish to encrypted topics/queues).

    Key policies mean what they say. AWS's default key policy gives the account ``kms:*``, which lets
    any identity policy use the key directly and so undoes every per-service restriction. Here the
    account's IAM may only administer a key directly (:data:`KEY_ADMIN_ACTIONS`, ``kms:PutKeyPolicy``
    included, so the account cannot lock itself out); it may use a key (encrypt, decrypt, data keys,
    ``DescribeKey``) only through the key's services in this account and region (``kms:ViaService``,
    ``kms:CallerAccount``), and create grants only for AWS resources of those services
    (``kms:GrantIsForAWSResource``). Service principals (CloudWatch Logs, alarms, EventBridge) have
    their own conditioned statements: no ``*`` principal without a condition. Every use still needs an
    identity policy that allows it.

    Args:
        scope: parent construct.
        construct_id: construct id.
        alias_prefix: alias prefix; aliases are ``alias/<prefix>/data`` etc.
        removal_policy: what CloudFormation does with the keys on delete: retained by default
            (destroying a key destroys all data encrypted with it).
        pending_window_days: waiting period before deletion if the keys are ever scheduled for
            deletion (7..30): 30 by default.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias_prefix: str = "constructs-ml",
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        pending_window_days: int = 30,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.require(
            bool(re.fullmatch(r"[a-zA-Z0-9/_-]{1,200}", alias_prefix)) and not alias_prefix.startswith("aws"),
            "alias_prefix",
            alias_prefix,
            "1..200 of [a-zA-Z0-9/_-], not starting with 'aws'",
        )
        problems.require_range("pending_window_days", pending_window_days, 7, 30)
        problems.raise_if_any()
        if removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:keys-not-retained",
                f"PlatformKeys: removal_policy={removal_policy}; deleting the stack can destroy every key and "
                "make all data encrypted with it unreadable.",
            )
        stack = stack_of(self)
        env = env_of(stack)
        self.data = self._key(
            "DataKey",
            f"{alias_prefix}/data",
            "constructs-ml data key: S3, SageMaker volumes and outputs, feature store, Studio EFS",
            removal_policy,
            Duration.days(pending_window_days),
        )
        self._allow_via_services(self.data, DATA_KEY_SERVICES, "AllowUseViaPlatformServices")
        self.logs = self._key(
            "LogsKey",
            f"{alias_prefix}/logs",
            "constructs-ml logs key: CloudWatch Logs log groups of this account and region",
            removal_policy,
            Duration.days(pending_window_days),
        )
        self.logs.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsForThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{env.region}.amazonaws.com")],
                # No kms:Describe*: DescribeKey requests carry no encryption context, so under this
                # condition it could never be allowed (a dead grant); CloudWatch Logs does not need it.
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:*"
                        )
                    }
                },
            )
        )
        self.messaging = self._key(
            "MessagingKey",
            f"{alias_prefix}/messaging",
            "constructs-ml messaging key: SNS topics, SQS queues, EventBridge",
            removal_policy,
            Duration.days(pending_window_days),
        )
        self._allow_via_services(self.messaging, MESSAGING_KEY_SERVICES, "AllowUseViaMessagingServices")
        self.messaging.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsAndEventsToPublish",
                principals=[
                    iam.ServicePrincipal("cloudwatch.amazonaws.com"),
                    iam.ServicePrincipal("events.amazonaws.com"),
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": env.account}},
            )
        )

    def _key(
        self, construct_id: str, alias: str, description: str, removal_policy: RemovalPolicy, window: Duration
    ) -> kms.Key:
        # ``policy`` replaces CDK's default key policy (the account's ``kms:*``) with the
        # administrators' statement; the services' statements are added next to it.
        admin = iam.PolicyStatement(
            sid="AllowAccountToAdministerTheKey",
            principals=[iam.AccountRootPrincipal()],
            actions=list(KEY_ADMIN_ACTIONS),
            resources=["*"],
        )
        return kms.Key(
            self,
            construct_id,
            alias=alias,
            description=description,
            enable_key_rotation=True,
            removal_policy=removal_policy,
            pending_window=window,
            policy=iam.PolicyDocument(statements=[admin]),
        )

    def _allow_via_services(self, key: kms.Key, services: tuple[str, ...], sid: str) -> None:
        stack = stack_of(self)
        env = env_of(stack)
        via = {
            "kms:ViaService": [f"{s}.{env.region}.amazonaws.com" for s in services],
            "kms:CallerAccount": env.account,
        }
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.AccountPrincipal(env.account)],
                actions=[*KEY_USE_ACTIONS, "kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": via},
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid}Grants",
                principals=[iam.AccountPrincipal(env.account)],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={"StringEquals": via, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )

    @property
    def all_keys(self) -> list[kms.Key]:
        """The data, logs and messaging keys."""
        return [self.data, self.logs, self.messaging]
