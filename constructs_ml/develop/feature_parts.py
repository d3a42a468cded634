"""The parts of a feature group: typed feature definitions, store options and throughput."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration
from constructs import IConstruct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.develop.pipeline.properties import S3Location

#: AWS's managed policy for the offline store (what its writes need).
FEATURE_STORE_MANAGED_POLICY = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/security-iam-awsmanpol-feature-store.html"
)

#: Feature names (SageMaker API ``FeatureName``), and names Feature Store reserves for its own columns.
FEATURE_NAME = re.compile(r"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")
RESERVED_FEATURE_NAMES = frozenset({"is_deleted", "write_time", "api_invocation_time"})
GROUP_NAME = re.compile(r"^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$")
MAX_FEATURES = 2500


class FeatureType:
    INTEGRAL = "Integral"
    FRACTIONAL = "Fractional"
    STRING = "String"

    ALL: ClassVar[tuple[str, ...]] = (INTEGRAL, FRACTIONAL, STRING)


@dataclass(frozen=True)
class FeatureDefinition:
    """A feature: ``name`` (1..64 of letters, digits, ``-``/``_``) and a :class:`FeatureType`."""

    name: str
    type: str

    @staticmethod
    def string(name: str) -> FeatureDefinition:
        return FeatureDefinition(name, FeatureType.STRING)

    @staticmethod
    def integral(name: str) -> FeatureDefinition:
        return FeatureDefinition(name, FeatureType.INTEGRAL)

    @staticmethod
    def fractional(name: str) -> FeatureDefinition:
        return FeatureDefinition(name, FeatureType.FRACTIONAL)


class OnlineStorageType:
    STANDARD = "Standard"
    IN_MEMORY = "InMemory"


@dataclass(frozen=True)
class OnlineStore:
    """The online (low-latency) store.

    Attributes:
        storage_type: ``Standard`` (default) or ``InMemory`` (where the region offers it).
        ttl: records expire this long after their event time: never.
    """

    storage_type: str = OnlineStorageType.STANDARD
    ttl: Duration | None = None


@dataclass(frozen=True)
class DataCatalog:
    """The Glue table of the offline store (``AwsDataCatalog`` catalog)."""

    database: str = "sagemaker_featurestore"
    table: str | None = None
    catalog: str = "AwsDataCatalog"


@dataclass(frozen=True)
class OfflineStore:
    """The offline (historical) store in S3, registered in the Glue Data Catalog.

    Attributes:
        location: the S3 prefix records are written under (the group's role gets write access).
        table_format: ``Iceberg`` (default: compaction, time travel) or ``Glue``.
        data_catalog: the Glue table: database ``sagemaker_featurestore``, table named after the group.
        create_glue_table: let Feature Store create the Glue table: on.
    """

    location: S3Location
    table_format: str = "Iceberg"
    data_catalog: DataCatalog | None = None
    create_glue_table: bool = True


@dataclass(frozen=True)
class Throughput:
    """``Throughput.on_demand()`` (default) or ``Throughput.provisioned(read_units, write_units)``."""

    mode: str = "OnDemand"
    read_units: int | None = None
    write_units: int | None = None

    @staticmethod
    def on_demand() -> Throughput:
        return Throughput()

    @staticmethod
    def provisioned(read_units: int, write_units: int) -> Throughput:
        return Throughput("Provisioned", read_units, write_units)


def record_offline_store_contract(
    scope: IConstruct,
    role: IConstruct,
    store: OfflineStore,
    *,
    key_arn: str,
    database: str,
    table: str,
) -> WorkloadContract:
    """The contract of the role Feature Store assumes to write the offline store.

    Feature Store writes the records as objects under the store's prefix, encrypted with the group's
    key (``S3StorageConfig.KmsKeyId``) and with an object ACL (so ``s3:PutObjectAcl``), reads the
    manifests in the table's ``metadata/`` folder, checks the bucket ACL, and keeps the Glue table's
    partitions up to date: AWS's managed policy ``AmazonSageMakerFeatureStoreAccess``.
    """
    stack = stack_of(scope)
    env = env_of(stack)
    contract = WorkloadContract.of(role)
    src.assumed_by_service(contract, scope, contract.role_arn, "sagemaker.amazonaws.com", src.FEATURE_STORE)
    location = store.location
    data = location.bucket.arn_for_objects(f"{location.prefix}contract-check/data/part-0.parquet")
    contract.allows(
        "s3:PutObject",
        data,
        context=src.sse_kms(key_arn),
        why="the offline store writes records as objects under its prefix (SSE-KMS with the group's key)",
        source=FEATURE_STORE_MANAGED_POLICY,
    )
    contract.allows(
        "s3:PutObjectAcl",
        data,
        context={"s3:x-amz-acl": "bucket-owner-full-control"},
        why="the offline store's writes set an object ACL",
        source=FEATURE_STORE_MANAGED_POLICY,
    )
    contract.allows(
        "s3:GetObject",
        location.bucket.arn_for_objects(f"{location.prefix}contract-check/metadata/manifest.json"),
        why="the offline store reads the manifests it keeps in the metadata folder",
        source=FEATURE_STORE_MANAGED_POLICY,
    )
    contract.allows(
        "s3:GetBucketAcl",
        location.bucket.bucket_arn,
        why="the offline store checks the bucket's ACL",
        source=FEATURE_STORE_MANAGED_POLICY,
    )
    contract.allows(
        ["kms:GenerateDataKey", "kms:Decrypt"],
        key_arn,
        context={"kms:ViaService": f"s3.{env.region}.amazonaws.com"},
        why="objects are encrypted with the group's key through S3",
        source=src.FEATURE_STORE,
    )
    if store.create_glue_table:
        glue = f"arn:{env.partition}:glue:{env.region}:{env.account}"
        contract.allows(
            ["glue:GetTable", "glue:UpdateTable"],
            f"{glue}:table/{database}/{table}",
            why="the offline store keeps the Glue table of the group up to date",
            source=FEATURE_STORE_MANAGED_POLICY,
        )
    return contract


__all__ = [
    "FEATURE_NAME",
    "GROUP_NAME",
    "MAX_FEATURES",
    "RESERVED_FEATURE_NAMES",
    "DataCatalog",
    "FeatureDefinition",
    "FeatureType",
    "OfflineStore",
    "OnlineStorageType",
    "OnlineStore",
    "Throughput",
    "record_offline_store_contract",
]
