"""Small shared parts of ``constructs_ml.serve`` and ``constructs_ml.operate``.

:class:`InstanceType` (an enum-like class with an escape hatch), :class:`S3Path` (a bucket plus a
key prefix, the way every S3 destination is named), and :func:`physical_name` (a deterministic,
SageMaker-valid name derived from a construct's path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Names, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

#: SageMaker resource names: endpoints, endpoint configs, models, schedules, job definitions.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class InstanceType:
    """An ML instance type for hosting, batch transform or monitoring jobs.

    Use a constant (``InstanceType.ML_M5_LARGE``) or :meth:`of` for any other type
    (``InstanceType.of("ml.g6.xlarge")``). Constructs reject names that do not start with ``ml.``.

    Attributes:
        name: the SageMaker name, e.g. ``ml.m5.large``.
    """

    ML_T2_MEDIUM: ClassVar[InstanceType]
    ML_M5_LARGE: ClassVar[InstanceType]
    ML_M5_XLARGE: ClassVar[InstanceType]
    ML_M5_2XLARGE: ClassVar[InstanceType]
    ML_C5_LARGE: ClassVar[InstanceType]
    ML_C5_XLARGE: ClassVar[InstanceType]
    ML_C5_2XLARGE: ClassVar[InstanceType]
    ML_G4DN_XLARGE: ClassVar[InstanceType]
    ML_G5_XLARGE: ClassVar[InstanceType]
    ML_G5_2XLARGE: ClassVar[InstanceType]
    ML_INF2_XLARGE: ClassVar[InstanceType]

    _GPU_FAMILIES: ClassVar[tuple[str, ...]] = ("p2", "p3", "p4d", "p4de", "p5", "g4dn", "g5", "g6", "g6e", "g4ad")
    _ACCELERATED_FAMILIES: ClassVar[tuple[str, ...]] = ("inf1", "inf2", "trn1", "trn1n")

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def of(cls, name: str) -> InstanceType:
        """Any instance type by name (checked by the construct that uses it: it must start with ``ml.``)."""
        return cls(name)

    @property
    def is_valid(self) -> bool:
        """True if the name looks like an ML instance type (``ml.<family>.<size>``) or is a token."""
        return Token.is_unresolved(self.name) or bool(re.fullmatch(r"ml\.[a-z0-9-]+\.[a-z0-9-]+", self.name))

    @property
    def family(self) -> str:
        """The family, e.g. ``m5`` for ``ml.m5.large`` (empty for tokens and malformed names)."""
        parts = self.name.split(".")
        return parts[1] if len(parts) == 3 else ""

    @property
    def is_gpu(self) -> bool:
        """True for NVIDIA GPU families (``GPUUtilization`` is published for them)."""
        return self.family in self._GPU_FAMILIES

    @property
    def is_accelerated(self) -> bool:
        """True for GPU, Inferentia and Trainium families."""
        return self.is_gpu or self.family in self._ACCELERATED_FAMILIES

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"InstanceType({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InstanceType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


InstanceType.ML_T2_MEDIUM = InstanceType("ml.t2.medium")
InstanceType.ML_M5_LARGE = InstanceType("ml.m5.large")
InstanceType.ML_M5_XLARGE = InstanceType("ml.m5.xlarge")
InstanceType.ML_M5_2XLARGE = InstanceType("ml.m5.2xlarge")
InstanceType.ML_C5_LARGE = InstanceType("ml.c5.large")
InstanceType.ML_C5_XLARGE = InstanceType("ml.c5.xlarge")
InstanceType.ML_C5_2XLARGE = InstanceType("ml.c5.2xlarge")
InstanceType.ML_G4DN_XLARGE = InstanceType("ml.g4dn.xlarge")
InstanceType.ML_G5_XLARGE = InstanceType("ml.g5.xlarge")
InstanceType.ML_G5_2XLARGE = InstanceType("ml.g5.2xlarge")
InstanceType.ML_INF2_XLARGE = InstanceType("ml.inf2.xlarge")


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
        return f"s3://{self.bucket.bucket_name}/{p}" if p else f"s3://{self.bucket.bucket_name}"

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
        if Token.is_unresolved(self.prefix):
            return None
        if "//" in self.prefix or self.prefix.startswith("s3://"):
            return "a key prefix like 'capture/churn' (no 's3://', no '//')"
        return None


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
