"""Small shared parts of ``constructs_ml.serve`` and ``constructs_ml.operate``.

:class:`S3Path` (a bucket plus a key prefix, the way every S3 destination is named) and
:func:`physical_name` (a deterministic, SageMaker-valid name derived from a construct's path).
:class:`InstanceType` is re-exported from :mod:`constructs_ml.instance_types` (one class for build and serve).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Names, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from constructs_ml._jsii_cache import bucket_name, env_of, is_unresolved
from constructs_ml.instance_types import InstanceType

#: SageMaker resource names: endpoints, endpoint configs, models, schedules, job definitions.
NAME_PATTERN = re.compile(r"^(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


@dataclass(frozen=True)
class S3Path:
    """A key prefix in a bucket: where SageMaker reads from or writes to.

    Attributes:
        bucket: the bucket (a ``SecureBucket.bucket`` of the platform, or an imported one).
        prefix: the key prefix without leading or trailing ``/`` (``""`` for the whole bucket).
    """

    bucket: s3.IBucket
    prefix: str = ""

    @property
    def clean_prefix(self) -> str:
        return self.prefix.strip("/")

    @property
    def uri(self) -> str:
        """``s3://<bucket>/<prefix>`` (no trailing slash)."""
        p = self.clean_prefix
        name = bucket_name(self.bucket)
        return f"s3://{name}/{p}" if p else f"s3://{name}"

    @property
    def objects_arn(self) -> str:
        """The ARN pattern of every object under the prefix."""
        p = self.clean_prefix
        return self.bucket.arn_for_objects(f"{p}/*" if p else "*")

    def child(self, suffix: str) -> S3Path:
        """A path below this one."""
        p = "/".join(x for x in (self.clean_prefix, suffix.strip("/")) if x)
        return S3Path(self.bucket, p)

    def read_statements(self) -> list[iam.PolicyStatement]:
        """Least-privilege read: objects under the prefix, and listing only that prefix."""
        list_stmt = iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        if self.clean_prefix:
            list_stmt.add_condition("StringLike", {"s3:prefix": [self.clean_prefix, f"{self.clean_prefix}/*"]})
        return [
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.objects_arn]),
            list_stmt,
        ]

    def object_read_statements(self) -> list[iam.PolicyStatement]:
        """Read exactly the object whose key is the prefix (e.g. a config file)."""
        return [
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(self.clean_prefix)])
        ]

    def write_statements(self) -> list[iam.PolicyStatement]:
        """Least-privilege write: put (and abort multipart uploads of) objects under the prefix."""
        return [iam.PolicyStatement(actions=["s3:PutObject", "s3:AbortMultipartUpload"], resources=[self.objects_arn])]

    def prefix_problem(self) -> str | None:
        """Why the prefix is not acceptable, or None."""
        if is_unresolved(self.prefix):
            return None
        if "//" in self.prefix or self.prefix.startswith("s3://"):
            return "a key prefix like 'capture/churn' (no 's3://', no '//')"
        return None


def foreign_artifact_decrypt(stack: Stack, artifacts: S3Path, key_account: str) -> iam.PolicyStatement:
    """``kms:Decrypt`` of ``artifacts``' objects with a key of ``key_account`` whose ARN is not known here.

    Any key of that account in this region, but only through S3 and only for objects of that one
    bucket (``kms:EncryptionContext:aws:s3:arn``: the bucket ARN with S3 Bucket Keys, the object ARN
    below the prefix without): https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context
    and the ``kms:EncryptionContext:`` key of https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html.
    The key's own policy (the other account's) must allow this account too. The key and S3 are those of
    the bucket's region (``s3.Bucket.from_bucket_attributes(..., region=...)``), else this stack's.
    """
    env = env_of(stack)
    bucket_region = artifacts.bucket.env.region
    region = bucket_region if not is_unresolved(bucket_region) else env.region
    bucket_arn = f"arn:{env.partition}:s3:::{artifacts.bucket.bucket_name}"
    prefix = artifacts.clean_prefix
    objects = f"{bucket_arn}/{prefix}/*" if prefix else f"{bucket_arn}/*"
    return iam.PolicyStatement(
        sid="DecryptForeignArtifactsThroughS3",
        actions=["kms:Decrypt"],
        resources=[f"arn:{env.partition}:kms:{region}:{key_account}:key/*"],
        conditions={
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {
                "kms:EncryptionContext:aws:s3:arn": [
                    bucket_arn,
                    objects,
                ]
            },
        },
    )


def physical_name(scope: IConstruct, max_length: int = 63, suffix: str = "") -> str:
    """A deterministic SageMaker-valid name from the construct path (lowercase alphanumerics and ``-``).

    Lowercase because SageMaker ARNs carry names lowercased, and IAM compares ARNs case-sensitively.
    """
    base = Names.unique_resource_name(scope, max_length=max_length - len(suffix), separator="-")
    name = re.sub(r"[^a-zA-Z0-9-]", "", base).strip("-")
    name = re.sub(r"-{2,}", "-", name)
    return (name + suffix)[:max_length].lower()


def kms_statements(key_arn: str, *, encrypt: bool = False, decrypt: bool = False) -> list[iam.PolicyStatement]:
    """KMS use of one key, without action wildcards (``GenerateDataKey`` covers SSE-KMS writes)."""
    actions: list[str] = []
    if decrypt:
        actions += ["kms:Decrypt", "kms:DescribeKey"]
    if encrypt:
        actions += ["kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    return [iam.PolicyStatement(actions=sorted(set(actions)), resources=[key_arn])] if actions else []


__all__ = ["NAME_PATTERN", "InstanceType", "S3Path", "kms_statements", "physical_name"]
