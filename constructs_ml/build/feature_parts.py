"""The parts of a feature group: typed feature definitions, store options and throughput."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration

from constructs_ml.build.pipeline.properties import S3Location

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
]
