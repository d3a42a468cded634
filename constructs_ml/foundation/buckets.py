"""Secure S3 buckets for the platform (controls S3-01..09).

Example::

    keys = PlatformKeys(self, "Keys")
    buckets = PlatformBuckets(self, "Buckets", key=keys.data)
    buckets.data.grant_read(training_role)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_ml._jsii_cache import env_of, memo, stack_env, stack_of
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import GrantStatement, grant_statements
from constructs_ml.governance.acknowledgements import acknowledge

#: S3 data-plane actions that :class:`VpcEndpointRestriction` confines to the VPC endpoint.
DATA_ACTIONS: tuple[str, ...] = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject")

#: The IAM path of the roles whose jobs write pipeline outputs (``TrainingPipeline`` job roles). Creating a
#: role needs ``iam:CreateRole``, which no persona and no bounded workload role has, so the path names
#: the writers without a cross-stack reference from the bucket to each pipeline.
PIPELINE_JOB_ROLE_PATH = "/constructs-ml/pipeline-jobs/"

#: The AWS page for admitting writers by role ARN (and path) in a bucket-policy Deny (``aws:PrincipalArn``).
WRITE_ONCE_SOURCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn"
#: What only the writers may do under a write-once prefix: create, overwrite or delete objects.
WRITE_ONCE_WRITER_ACTIONS: tuple[str, ...] = ("s3:PutObject", "s3:DeleteObject")
#: What nobody may do under a write-once prefix: remove a version for good, or change an object's ACL
#: (ACLs are disabled, listed so a later ownership change cannot reopen them).
WRITE_ONCE_DENIED_ACTIONS: tuple[str, ...] = ("s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:PutObjectVersionAcl")


@dataclass(frozen=True)
class WriteOncePrefix:
    """A prefix whose objects only one kind of role writes, and whose versions nobody removes.

    Two bucket-policy Deny statements: ``s3:PutObject``/``s3:DeleteObject`` under ``prefix`` for every
    principal whose ARN is not under ``writer_role_path``; ``s3:DeleteObjectVersion`` and the object ACL
    actions for everyone. With versioning (always on in :class:`SecureBucket`) every version ever
    written is kept, so a rewrite by a writer shows as a second version of the key, which
    deploy-on-approval refuses (see docs/develop.md, "Approval integrity").

    Attributes:
        prefix: the protected prefix (``pipelines/``: every ``TrainingPipeline``'s default outputs).
        writer_role_path: IAM path of the roles allowed to write there: :data:`PIPELINE_JOB_ROLE_PATH`.
    """

    prefix: str = "pipelines/"
    writer_role_path: str = PIPELINE_JOB_ROLE_PATH


@dataclass(frozen=True)
class VpcEndpointRestriction:
    """Deny object reads and writes that do not come through the given S3 VPC endpoint (S3-08).

    Attributes:
        vpc_endpoint_id: the S3 gateway endpoint's id (``MlNetwork.s3_endpoint.vpc_endpoint_id``).
        exempt_principal_arns: role ARNs allowed from elsewhere (e.g. the platform admin role, a
            pipeline role used from outside the VPC). Keep it short; each exemption is visible in the
            bucket policy.
    """

    vpc_endpoint_id: str
    exempt_principal_arns: Sequence[str] = ()


class SecureBucket(Construct):
    """An S3 bucket with every protection on: the building block of all platform buckets.

    SSE-KMS with a bucket key (a new rotated key when none is given), TLS only with TLS >= 1.2,
    versioned, Block Public Access, ACLs disabled (bucket owner enforced), server access logging to a
    log bucket (a new one when none is given), retained on stack deletion, puts with another KMS key
    denied, optional confinement to the VPC endpoint, and S3 -> EventBridge notifications through the
    plain bucket property (no custom resource) when ``event_bridge_enabled``.

    Args:
        scope: parent construct.
        construct_id: construct id.
        encryption_key: the KMS key: a new key with rotation when omitted.
        server_access_logs_bucket: where access logs go: a new access-log bucket when omitted.
        server_access_logs_prefix: prefix of this bucket's logs in the log bucket: ``<construct id>/``.
        event_bridge_enabled: send this bucket's events to EventBridge (e.g. for retraining on new
            data): off.
        vpc_endpoint_restriction: confine object reads/writes to an S3 VPC endpoint: not confined.
        lifecycle_rules: lifecycle rules; noncurrent versions move to Infrequent Access after 30 days
            when omitted (nothing is expired: data is never lost by default).
        replication_role / replication_destination: cross-region replication (both or neither); when
            absent, the replication findings are acknowledged through the reviewed allowlist.
        bucket_name: a physical name: generated when omitted (recommended).
        removal_policy: retained by default. Anything else is loud (a warning).
        write_once: prefixes only roles under a given IAM path write, and whose object versions nobody
            deletes (:class:`WriteOncePrefix`): none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey | None = None,
        server_access_logs_bucket: s3.IBucket | None = None,
        server_access_logs_prefix: str | None = None,
        event_bridge_enabled: bool = False,
        vpc_endpoint_restriction: VpcEndpointRestriction | None = None,
        lifecycle_rules: Sequence[s3.LifecycleRule] | None = None,
        replication_role: iam.IRole | None = None,
        replication_destination: s3.IBucket | None = None,
        bucket_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        write_once: Sequence[WriteOncePrefix] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        for i, w in enumerate(write_once):
            problems.require(
                bool(w.prefix) and w.prefix.endswith("/") and not w.prefix.startswith("/") and "*" not in w.prefix,
                f"write_once[{i}].prefix",
                w.prefix,
                "a non-empty prefix ending in '/', without a leading '/' or '*'",
            )
            problems.require(
                bool(re.fullmatch(r"/([\w+=,.@-]+/)+", w.writer_role_path)),
                f"write_once[{i}].writer_role_path",
                w.writer_role_path,
                "an IAM path such as /constructs-ml/pipeline-jobs/",
            )
        if bucket_name is not None:
            problems.require(
                bool(re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket_name)) and ".." not in bucket_name,
                "bucket_name",
                bucket_name,
                "3..63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
            )
        if (replication_role is None) != (replication_destination is None):
            problems.add(
                "replication_role/replication_destination",
                (replication_role, replication_destination),
                "both or neither",
                what="must be given together",
            )
        if server_access_logs_prefix is not None:
            problems.require(
                not server_access_logs_prefix.startswith("/"),
                "server_access_logs_prefix",
                server_access_logs_prefix,
                "a prefix without a leading '/'",
            )
        problems.raise_if_any()

        if removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:bucket-not-retained",
                f"SecureBucket: removal_policy={removal_policy}; the bucket and its data may be deleted "
                "with the stack.",
            )
        self.encryption_key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            description=f"Key of bucket {self.node.path}",
        )
        if server_access_logs_bucket is None:
            self.access_logs_bucket: s3.IBucket = AccessLogBucket(self, "AccessLogs").bucket
        else:
            self.access_logs_bucket = server_access_logs_bucket

        rules = (
            list(lifecycle_rules)
            if lifecycle_rules is not None
            else [
                s3.LifecycleRule(
                    id="noncurrent-to-ia",
                    noncurrent_version_transitions=[
                        s3.NoncurrentVersionTransition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=Duration.days(30)
                        )
                    ],
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ]
        )
        self.bucket = s3.Bucket(
            self,
            "Resource",
            bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.encryption_key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=rules,
            removal_policy=removal_policy,
        )
        cfn = self.bucket.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        # Access logging set on the L1 with a bucket-policy grant on the target, so the result does not
        # depend on the @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy feature flag (the L2 would
        # otherwise try a LogDeliveryWrite ACL, which BucketOwnerEnforced forbids).
        log_prefix = server_access_logs_prefix or f"{construct_id}/"
        cfn.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=self.access_logs_bucket.bucket_name, log_file_prefix=log_prefix
        )
        self.access_logs_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"S3ServerAccessLogs{construct_id}"[:60].replace("-", ""),
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.access_logs_bucket.arn_for_objects(f"{log_prefix}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": self.bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": stack_env(self).account},
                },
            )
        )
        if event_bridge_enabled:
            cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
            )
        self.event_bridge_enabled = event_bridge_enabled

        # S3-08: a put that names a KMS key must name this bucket's key, and a put that names an encryption
        # type must name SSE-KMS; a put that names neither gets the bucket default (this key). The "Null false"
        # half matters: IAM evaluates ...IfExists and negated operators as true when the key is absent, so
        # without it every put that relies on the default encryption (SDK defaults, the console) is denied.
        for sid, key, value in (
            ("DenyOtherKmsKeys", "s3:x-amz-server-side-encryption-aws-kms-key-id", self.encryption_key.key_arn),
            ("DenyOtherEncryption", "s3:x-amz-server-side-encryption", "aws:kms"),
        ):
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[self.bucket.arn_for_objects("*")],
                    conditions={"StringNotEquals": {key: value}, "Null": {key: "false"}},
                )
            )
        if vpc_endpoint_restriction is None:
            acknowledge(self.bucket, "s3-not-confined-to-vpc-endpoint")
        else:
            # Requests an AWS service makes with its own principal (aws:PrincipalIsAWSService) or on a
            # caller's behalf (aws:ViaAWSService) never come through the endpoint: they stay allowed.
            conditions: dict[str, object] = {
                "StringNotEquals": {"aws:SourceVpce": vpc_endpoint_restriction.vpc_endpoint_id},
                "Bool": {"aws:ViaAWSService": "false", "aws:PrincipalIsAWSService": "false"},
            }
            if vpc_endpoint_restriction.exempt_principal_arns:
                conditions["ArnNotLike"] = {"aws:PrincipalArn": list(vpc_endpoint_restriction.exempt_principal_arns)}
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="DenyOutsideVpcEndpoint",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=list(DATA_ACTIONS),
                    resources=[self.bucket.arn_for_objects("*")],
                    conditions=conditions,
                )
            )

        stack = stack_of(self)
        env = env_of(stack)
        for i, w in enumerate(write_once):
            suffix = "" if i == 0 else str(i)
            resources = [self.bucket.arn_for_objects(f"{w.prefix}*")]
            writers = f"arn:{env.partition}:iam::{env.account}:role{w.writer_role_path}*"
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"WriteOnceOnlyWriters{suffix}",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=list(WRITE_ONCE_WRITER_ACTIONS),
                    resources=resources,
                    conditions={"ArnNotLike": {"aws:PrincipalArn": writers}},
                )
            )
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"WriteOnceKeepVersions{suffix}",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=list(WRITE_ONCE_DENIED_ACTIONS),
                    resources=resources,
                )
            )
        self.write_once = list(write_once)

        if replication_role is not None and replication_destination is not None:
            cfn.replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(
                role=replication_role.role_arn,
                rules=[
                    s3.CfnBucket.ReplicationRuleProperty(
                        status="Enabled",
                        destination=s3.CfnBucket.ReplicationDestinationProperty(
                            bucket=replication_destination.bucket_arn
                        ),
                    )
                ],
            )
        else:
            acknowledge(self.bucket, "s3-no-replication")

    # -- IBucket conveniences -------------------------------------------------------------------

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket_name

    @property
    def bucket_arn(self) -> str:
        return self.bucket.bucket_arn

    def s3_url(self, key: str = "") -> str:
        """``s3://<bucket>/<key>``."""
        return self.bucket.s3_url_for_object(key) if key else f"s3://{self.bucket.bucket_name}"

    def grant_read(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read objects under ``prefix`` (all objects when empty) and decrypt them with the bucket key."""
        return grant_objects(self.bucket, grantee, READ_ACTIONS, prefix, key_actions=KEY_DECRYPT_ACTIONS)

    def grant_write(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Write objects under ``prefix`` and encrypt them with the bucket key."""
        return grant_objects(self.bucket, grantee, WRITE_ACTIONS, prefix, key_actions=KEY_ENCRYPT_ACTIONS)

    def grant_read_write(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read and write objects under ``prefix``."""
        return grant_objects(
            self.bucket,
            grantee,
            (*READ_ACTIONS, *WRITE_ACTIONS),
            prefix,
            key_actions=(*KEY_DECRYPT_ACTIONS, *KEY_ENCRYPT_ACTIONS),
        )


#: Object and bucket actions for reading (exact actions: no wildcards, unlike the L2 grants).
READ_ACTIONS: tuple[str, ...] = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation")
#: Object actions for writing.
WRITE_ACTIONS: tuple[str, ...] = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
KEY_DECRYPT_ACTIONS: tuple[str, ...] = ("kms:Decrypt", "kms:DescribeKey")
KEY_ENCRYPT_ACTIONS: tuple[str, ...] = ("kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
_BUCKET_LEVEL = {"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}
#: Bucket-level actions whose requests carry ``s3:prefix`` (Service Authorization Reference); the
#: others get no prefix condition, which they could never satisfy (a dead grant).
_PREFIX_KEYED = {"s3:ListBucket", "s3:ListBucketVersions"}


def grant_objects(
    bucket: s3.IBucket,
    grantee: iam.IGrantable,
    actions: Sequence[str],
    prefix: str = "",
    *,
    key_actions: Sequence[str] = (),
) -> iam.Grant:
    """Grant exact S3 ``actions`` on ``bucket`` (objects under ``prefix``) and ``key_actions`` on its key.

    Works for any ``IBucket``; bucket-level actions go on the bucket ARN (``s3:ListBucket`` limited to
    ``prefix`` with an ``s3:prefix`` condition; ``s3:GetBucketLocation`` in its own statement, as its
    requests carry no ``s3:prefix``), object actions on ``<bucket>/<prefix>*``.
    """
    object_actions = sorted({a for a in actions if a not in _BUCKET_LEVEL})
    bucket_actions = sorted({a for a in actions if a in _BUCKET_LEVEL})
    bucket_arn, key_arn = _bucket_arns(bucket)
    statements = [GrantStatement(object_actions, [f"{bucket_arn}/{prefix}*"])]
    keyed = [a for a in bucket_actions if prefix and a in _PREFIX_KEYED]
    for group, conditions in (
        ([a for a in bucket_actions if a not in keyed], None),
        (keyed, {"StringLike": {"s3:prefix": [f"{prefix}*"]}}),
    ):
        if group:
            statements.append(GrantStatement(group, [bucket_arn], conditions))
    if key_actions and key_arn is not None:
        statements.append(GrantStatement(sorted(set(key_actions)), [key_arn]))
    return grant_statements(grantee, statements)


def _bucket_arns(bucket: s3.IBucket) -> tuple[str, str | None]:
    """The bucket's ARN and its key's ARN (None without a customer-managed key), read once per bucket.

    Object ARNs are ``<bucket ARN>/<key pattern>``, as ``IBucket.arn_for_objects`` builds them.
    """

    def read() -> tuple[str, str | None]:
        key = bucket.encryption_key
        return bucket.bucket_arn, None if key is None else key.key_arn

    return memo(bucket, "arns", read)


class AccessLogBucket(Construct):
    """The target of S3 server access logs: SSE-S3 (the only encryption log delivery supports),
    TLS only, versioned, Block Public Access, ACLs disabled, retained, logs expired after
    ``retention_days``.

    Args:
        scope: parent construct.
        construct_id: construct id.
        retention_days: days to keep access logs (>= 90): 400.
        removal_policy: retained by default.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int = 400,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.require_range("retention_days", retention_days, 90, None)
        problems.raise_if_any()
        self.bucket = s3.Bucket(
            self,
            "Resource",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
            removal_policy=removal_policy,
        )
        for key in (
            "s3-no-replication",
            "s3-access-log-bucket-sse-s3",
            "s3-access-log-bucket-not-logged",
            "s3-access-log-bucket-network-origin",
        ):
            acknowledge(self.bucket, key)


class PlatformBuckets(Construct):
    """The platform's buckets: ``data`` (training data; EventBridge on), ``artifacts`` (model artifacts,
    pipeline outputs), ``capture`` (endpoint data capture, monitoring outputs), and ``access_logs``
    (their server access logs). All encrypted with ``key``, retained.

    Args:
        scope: parent construct.
        construct_id: construct id.
        key: the KMS key for data, artifacts and capture (``PlatformKeys.data``).
        vpc_endpoint_restriction: confine object access of data/artifacts/capture to the S3 endpoint.
        artifacts_write_once: prefixes of the artifacts bucket that only pipeline job roles write and whose
            versions nobody deletes: ``pipelines/`` (every ``TrainingPipeline``'s default outputs); ``()``
            turns the protection off (a warning).
        access_log_retention_days: days to keep access logs: 400.
        removal_policy: retained by default.
        artifacts_bucket_name: a physical name for the artifacts bucket, for a registry whose readers
            are in other accounts: they can name the bucket in their policies, and its key's policy can
            scope their decryption to it (``ModelRegistry.grant_cross_account_read``). Generated.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        vpc_endpoint_restriction: VpcEndpointRestriction | None = None,
        artifacts_write_once: Sequence[WriteOncePrefix] = (WriteOncePrefix(),),
        access_log_retention_days: int = 400,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        artifacts_bucket_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        if not artifacts_write_once:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:artifacts-not-write-once",
                "PlatformBuckets: artifacts_write_once=(); anyone with write access to the artifacts bucket can "
                "replace a model or an evaluation report after it was approved.",
            )
        self.access_logs = AccessLogBucket(
            self, "AccessLogs", retention_days=access_log_retention_days, removal_policy=removal_policy
        ).bucket

        def bucket(
            construct_id: str,
            event_bridge_enabled: bool = False,
            write_once: Sequence[WriteOncePrefix] = (),
            bucket_name: str | None = None,
        ) -> SecureBucket:
            return SecureBucket(
                self,
                construct_id,
                encryption_key=key,
                server_access_logs_bucket=self.access_logs,
                vpc_endpoint_restriction=vpc_endpoint_restriction,
                event_bridge_enabled=event_bridge_enabled,
                removal_policy=removal_policy,
                write_once=write_once,
                bucket_name=bucket_name,
            )

        self.data = bucket("Data", event_bridge_enabled=True)
        self.artifacts = bucket("Artifacts", write_once=artifacts_write_once, bucket_name=artifacts_bucket_name)
        self.capture = bucket("Capture")

    @property
    def all(self) -> list[SecureBucket]:
        """data, artifacts and capture."""
        return [self.data, self.artifacts, self.capture]
