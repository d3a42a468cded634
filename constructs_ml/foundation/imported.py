"""Bring-your-own buckets and keys: what ``Personas`` and ``ExecutionRoles`` accept in place of
``PlatformBuckets`` and ``PlatformKeys``.

Landing zones often own the data buckets and their KMS key. Import them and hand them to the
foundation constructs, which then grant exactly what they grant on platform buckets:

Example::

    key = kms.Key.from_key_arn(self, "DataKey", "arn:aws:kms:eu-west-1:111111111111:key/...")

    def imported(cid: str, name: str) -> s3.IBucket:
        return s3.Bucket.from_bucket_attributes(self, cid, bucket_name=name, encryption_key=key)

    buckets = ImportedPlatformBuckets.from_buckets(
        key=key,
        data=imported("Data", "lz-ml-data"),
        artifacts=imported("Artifacts", "lz-ml-artifacts"),
        capture=imported("Capture", "lz-ml-capture"),
    )
    personas = Personas(self, "Personas", keys=key, buckets=buckets, network=network)
    roles = ExecutionRoles(self, "ExecutionRoles", buckets=buckets, guardrail=personas.guardrail)

The bucket policies of imported buckets are the landing zone's: the write-once prefix, TLS-only and
VPC-endpoint restrictions of ``PlatformBuckets`` are not added to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_ml.errors import Problems, is_token
from constructs_ml.foundation.buckets import (
    KEY_DECRYPT_ACTIONS,
    KEY_ENCRYPT_ACTIONS,
    READ_ACTIONS,
    WRITE_ACTIONS,
    grant_objects,
)
from constructs_ml.foundation.keys import PlatformKeys


class IPlatformBucket(Protocol):
    """A platform bucket: ``SecureBucket`` (owned) or :class:`ImportedBucket` (bring your own)."""

    @property
    def bucket(self) -> s3.IBucket: ...

    def grant_read(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant: ...

    def grant_write(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant: ...

    def grant_read_write(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant: ...


class IPlatformBuckets(Protocol):
    """The platform's buckets and their key: ``PlatformBuckets`` or :class:`ImportedPlatformBuckets`."""

    @property
    def key(self) -> kms.IKey: ...

    @property
    def data(self) -> IPlatformBucket: ...

    @property
    def artifacts(self) -> IPlatformBucket: ...

    @property
    def capture(self) -> IPlatformBucket: ...


@dataclass(frozen=True)
class ImportedBucket:
    """An existing bucket (``s3.Bucket.from_bucket_attributes``) with the grants of ``SecureBucket``.

    Attributes:
        bucket: the bucket; import it with ``encryption_key`` so grants include use of its key.
    """

    bucket: s3.IBucket

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


@dataclass(frozen=True)
class ImportedPlatformBuckets:
    """Existing data, artifacts and capture buckets and their KMS key, in place of ``PlatformBuckets``.

    Attributes:
        key: the KMS key of the three buckets (the one SageMaker jobs and Studio use).
        data: training data.
        artifacts: model artifacts and pipeline outputs.
        capture: endpoint data capture and monitoring outputs.
    """

    key: kms.IKey
    data: ImportedBucket
    artifacts: ImportedBucket
    capture: ImportedBucket

    @staticmethod
    def from_buckets(
        *, key: kms.IKey, data: s3.IBucket, artifacts: s3.IBucket, capture: s3.IBucket
    ) -> ImportedPlatformBuckets:
        """Wrap imported buckets; each should be imported with ``encryption_key=key``.

        Raises:
            ValidationError: a bucket was imported with another key than ``key`` (its objects could not be
                read with the grants given).
        """
        problems = Problems("ImportedPlatformBuckets")
        for prop, b in (("data", data), ("artifacts", artifacts), ("capture", capture)):
            if b.encryption_key is not None and not is_token(key.key_arn):
                problems.require(
                    b.encryption_key.key_arn == key.key_arn,
                    f"{prop}.encryption_key",
                    b.encryption_key.key_arn,
                    f"the key given as key ({key.key_arn})",
                )
        problems.raise_if_any()
        return ImportedPlatformBuckets(key, ImportedBucket(data), ImportedBucket(artifacts), ImportedBucket(capture))


def data_key(keys: PlatformKeys | kms.IKey) -> kms.IKey:
    """The key SageMaker must use: ``PlatformKeys.data``, or the given (imported) key itself."""
    return keys.data if isinstance(keys, PlatformKeys) else keys


__all__ = ["IPlatformBucket", "IPlatformBuckets", "ImportedBucket", "ImportedPlatformBuckets", "data_key"]
