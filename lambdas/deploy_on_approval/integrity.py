"""Verify an approved package's model artifact before it is served: the deployed model is the evaluated one.

What the register step records (``CustomerMetadataProperties``, see
``constructs_ml.develop.pipeline.steps_model.artifact_identity``): the artifact's S3 URI
(``constructs-ml:model-data-url``), the pipeline execution and, for a training step's model, the
training job. A pipeline definition cannot express an S3 version id, ETag or checksum, so the identity
is completed here, from S3 itself, under what the platform guarantees: pipeline outputs are written only
by pipeline job roles, under per-execution keys, and no version of them is ever deleted (the artifacts
bucket's write-once prefix, versioning on). :func:`verify` checks, before any model is created:

1. the package records a model-data URL, and every container of the package serves exactly that URL
   (a package whose model data differs from what the pipeline recorded is refused);
2. the URL lies under one of the configured artifact locations (the function may read nothing else);
3. the object exists and is versioned (``HeadObject``), and its current version was written no later
   than the package was created (``LastModified`` <= ``CreationTime``): an overwrite, or a delete and
   rewrite, after registration (so also after approval) makes a newer current version and is refused.

Listing the key's versions (``ListObjectVersions``: exactly one version means not even the pipeline's own
job rewrote it between evaluation and registration) would be stronger, but the platform's S3 gateway
endpoint policy does not admit ``s3:ListBucketVersions`` (the workload-contract check shows the call
denied), so the check keeps to ``HeadObject``.

The verified identity (version id, ETag, checksum when S3 has one) is returned, logged with the
decision and tagged on the model created from the package, so it is pinned for audit. A failure is an
:class:`IntegrityFailure`: the caller refuses the package with no side effects and counts it in the
``ArtifactIntegrityFailures`` metric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

#: The customer-metadata key holding the artifact's S3 URI (written by the register step).
MODEL_DATA_URL_KEY = "constructs-ml:model-data-url"
#: The metric counted for every refused package (dimension ``EndpointName``).
METRIC_NAME = "ArtifactIntegrityFailures"

_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")


class S3Client(Protocol):
    """The S3 calls this module makes (a boto3 ``s3`` client)."""

    def head_object(self, **kwargs: Any) -> dict[str, Any]: ...


class CloudWatchClient(Protocol):
    """The CloudWatch call this module makes (a boto3 ``cloudwatch`` client)."""

    def put_metric_data(self, **kwargs: Any) -> dict[str, Any]: ...


class IntegrityFailure(Exception):
    """The package's artifact is not the one the pipeline wrote and registered; the message says why."""


@dataclass(frozen=True)
class ArtifactIdentity:
    """The verified artifact: where it is, which version, and what S3 says about its content."""

    url: str
    version_id: str
    etag: str
    checksum_sha256: str | None = None

    def as_tags(self) -> list[dict[str, str]]:
        """Tags pinning the identity on the model created from the package."""
        tags = [
            {"Key": "constructs-ml:model-data-version-id", "Value": self.version_id[:256]},
            {"Key": "constructs-ml:model-data-etag", "Value": self.etag.strip('"')[:256]},
        ]
        if self.checksum_sha256:
            tags.append({"Key": "constructs-ml:model-data-sha256", "Value": self.checksum_sha256[:256]})
        return tags


def _location_covers(location: str, bucket: str, key: str) -> bool:
    match = _S3_URL.match(location.rstrip("/") + "/") if location.startswith("s3://") else None
    if match is None:
        return False
    prefix = match["key"].rstrip("/")
    return match["bucket"] == bucket and (not prefix or key.startswith(prefix + "/"))


def _container_urls(described: dict[str, Any]) -> list[str | None]:
    containers = described.get("InferenceSpecification", {}).get("Containers", [])
    return [c.get("ModelDataUrl") for c in containers]


def verify(described: dict[str, Any], *, s3: S3Client, locations: tuple[str, ...]) -> ArtifactIdentity:
    """Check the artifact of a described package (``DescribeModelPackage``) against its recorded identity.

    Args:
        described: the ``DescribeModelPackage`` response.
        s3: a boto3 S3 client.
        locations: ``s3://bucket/prefix`` locations the artifacts may be in (empty: any).

    Returns:
        The verified identity.

    Raises:
        IntegrityFailure: the artifact is missing, unreadable, elsewhere, or newer than the package.
        botocore.exceptions.ClientError: S3 failed for another reason (throttling, a server error).
    """
    recorded = (described.get("CustomerMetadataProperties") or {}).get(MODEL_DATA_URL_KEY)
    if not recorded:
        raise IntegrityFailure(f"the package records no {MODEL_DATA_URL_KEY} (not registered by a pipeline step)")
    urls = _container_urls(described)
    if not urls or any(u != recorded for u in urls):
        raise IntegrityFailure(f"the package's model data {urls} differs from the recorded {recorded!r}")
    match = _S3_URL.match(str(recorded))
    if match is None:
        raise IntegrityFailure(f"the recorded model data {recorded!r} is not an s3:// URL")
    bucket, key = match["bucket"], match["key"]
    if locations and not any(_location_covers(loc, bucket, key) for loc in locations):
        raise IntegrityFailure(f"the model data {recorded!r} is outside the artifact locations {list(locations)}")
    try:
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except ClientError as error:
        # Without s3:ListBucket, S3 answers 403 for a missing key: both mean "not the registered artifact".
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"):
            raise IntegrityFailure(
                f"{recorded} cannot be read ({code}: missing, or outside the function's access)"
            ) from error
        raise
    version_id = str(head.get("VersionId") or "")
    if not version_id or version_id == "null":
        raise IntegrityFailure(f"{recorded} has no version id (the bucket is not versioned)")
    created = described.get("CreationTime")
    modified = head.get("LastModified")
    if not isinstance(created, datetime) or not isinstance(modified, datetime):
        raise IntegrityFailure(f"{recorded}: no package CreationTime or object LastModified to compare")
    # S3 keeps whole seconds: compare at that precision.
    if modified.replace(microsecond=0) > created.replace(microsecond=0):
        raise IntegrityFailure(
            f"{recorded} was written at {modified.isoformat()}, after the package was created ({created.isoformat()})"
        )
    return ArtifactIdentity(
        url=str(recorded),
        version_id=version_id,
        etag=str(head.get("ETag", "")),
        checksum_sha256=head.get("ChecksumSHA256"),
    )


def count_failure(cloudwatch: CloudWatchClient, namespace: str, endpoint_name: str) -> None:
    """Add one to ``ArtifactIntegrityFailures`` (dimension ``EndpointName``); the alarm watches it."""
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": METRIC_NAME,
                "Dimensions": [{"Name": "EndpointName", "Value": endpoint_name}],
                "Value": 1.0,
                "Unit": "Count",
            }
        ],
    )
