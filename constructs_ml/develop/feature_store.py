"""FeatureGroup: a SageMaker Feature Store feature group with typed features and encrypted stores (SM-08).

Example::

    group = FeatureGroup(self, "Customers",
        features=[FeatureDefinition.string("customer_id"), FeatureDefinition.fractional("event_time"),
                  FeatureDefinition.integral("tenure_months"), FeatureDefinition.fractional("monthly_spend")],
        record_identifier="customer_id", event_time="event_time",
        encryption_key=keys.data,
        offline_store=OfflineStore(S3Location(buckets.data.bucket, "feature-store/")))
    group.grant_read(inference_role)
    group.grant_ingest(ingestion_role)

Adding a feature later does not replace the group: CloudFormation's schema lists ``FeatureDefinitions``
as updatable (not create-only) and SageMaker applies it as ``UpdateFeatureGroup(FeatureAdditions)``;
features can only be appended (removing or retyping one fails the update). The stores, the record
identifier, the event time, the role and the name are create-only: changing them replaces the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.develop.feature_parts import (
    FEATURE_NAME,
    GROUP_NAME,
    MAX_FEATURES,
    RESERVED_FEATURE_NAMES,
    DataCatalog,
    FeatureDefinition,
    FeatureType,
    OfflineStore,
    OnlineStorageType,
    OnlineStore,
    Throughput,
    record_offline_store_contract,
)
from constructs_ml.develop.naming import resource_name
from constructs_ml.errors import Problems
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.foundation.buckets import (
    KEY_DECRYPT_ACTIONS,
    KEY_ENCRYPT_ACTIONS,
    READ_ACTIONS,
    WRITE_ACTIONS,
    grant_objects,
)
from constructs_ml.foundation.roles import ManagedPolicyRole

_DEFAULT_ONLINE_STORE = OnlineStore()


class FeatureGroup(Construct):
    """A feature group, secure by default: both stores encrypted with a customer-managed key.

    Args:
        scope: parent construct.
        construct_id: construct id.
        features: the features (unique names, at most 2500); append new ones at the end.
        record_identifier: the feature that identifies a record (one of ``features``).
        event_time: the feature holding the record's event time (one of ``features``; String in
            ISO-8601 or Fractional seconds since the epoch).
        online_store: the online store: a Standard online store. ``None`` for offline only.
        offline_store: the offline store: none.
        encryption_key: KMS key of both stores: a new key with rotation.
        role: the role Feature Store uses to write the offline store: a new least-privilege role.
        guardrail: the platform guardrail, attached to the new role: none.
        throughput: ``Throughput.on_demand()``.
        feature_group_name: 1..64 letters, digits, ``-``/``_``: generated.
        description: the group's description: none.
        removal_policy: retained by default (the online store holds the only copy of its records);
            anything else is a warning.
        tags: tags for the group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        features: Sequence[FeatureDefinition],
        record_identifier: str,
        event_time: str,
        online_store: OnlineStore | None = _DEFAULT_ONLINE_STORE,
        offline_store: OfflineStore | None = None,
        encryption_key: kms.IKey | None = None,
        role: ManagedPolicyRole | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        throughput: Throughput | None = None,
        feature_group_name: str | None = None,
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        name = resource_name(self, feature_group_name, max_length=64)
        self._validate(
            problems,
            name,
            features,
            record_identifier,
            event_time,
            online_store,
            offline_store,
            throughput,
            description,
        )
        problems.raise_if_any()
        if removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:feature-group-not-retained",
                f"FeatureGroup: removal_policy={removal_policy}; deleting the stack deletes the online records.",
            )
        stack = stack_of(self)
        env = env_of(stack)
        self.feature_group_name = name
        self.feature_group_arn = sagemaker_arn(self, "feature-group", name)
        self.features = list(features)
        self.encryption_key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            description=f"Stores of feature group {self.node.path}",
        )
        self.online_store = online_store
        self.offline_store = offline_store
        self.role: ManagedPolicyRole | None = None
        online: dict[str, Any] | None = None
        if online_store is not None:
            online = {
                "EnableOnlineStore": True,
                "StorageType": online_store.storage_type,
                "SecurityConfig": {"KmsKeyId": self.encryption_key.key_arn},
            }
            if online_store.ttl is not None:
                online["TtlDuration"] = _ttl(online_store.ttl)
        offline: dict[str, Any] | None = None
        if offline_store is not None:
            catalog = offline_store.data_catalog or DataCatalog()
            table = catalog.table or name.replace("-", "_").lower()
            offline = {
                "S3StorageConfig": {"S3Uri": offline_store.location.uri, "KmsKeyId": self.encryption_key.key_arn},
                "DisableGlueTableCreation": not offline_store.create_glue_table,
                "TableFormat": offline_store.table_format,
                "DataCatalogConfig": {"Catalog": catalog.catalog, "Database": catalog.database, "TableName": table},
            }
            self.role = role or ManagedPolicyRole(
                self,
                "Role",
                assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                    {"StringEquals": {"aws:SourceAccount": env.account}}
                ),
                description=f"Offline store of feature group {self.node.path}",
                guardrail=guardrail,
            )
            self._grant_offline_store(self.role, offline_store, catalog.database, table)
            if role is None:  # a given role's workload is its owner's to state
                record_offline_store_contract(
                    self,
                    self.role,
                    offline_store,
                    key_arn=self.encryption_key.key_arn,
                    database=catalog.database,
                    table=table,
                )
        tp = throughput or Throughput.on_demand()
        self.resource = sagemaker.CfnFeatureGroup(
            self,
            "Resource",
            feature_group_name=name,
            record_identifier_feature_name=record_identifier,
            event_time_feature_name=event_time,
            feature_definitions=[
                sagemaker.CfnFeatureGroup.FeatureDefinitionProperty(feature_name=f.name, feature_type=f.type)
                for f in features
            ],
            # PascalCase dicts: the generated structs of these two properties render camelCase keys.
            online_store_config=online,
            offline_store_config=offline,
            role_arn=self.role.role_arn if self.role is not None else None,
            description=description,
            throughput_config=sagemaker.CfnFeatureGroup.ThroughputConfigProperty(
                throughput_mode=tp.mode,
                provisioned_read_capacity_units=tp.read_units,
                provisioned_write_capacity_units=tp.write_units,
            ),
        )
        if self.role is not None:
            self.resource.node.add_dependency(self.role)
        self.resource.apply_removal_policy(removal_policy)
        for k, v in (tags or {}).items():
            Tags.of(self.resource).add(k, v)

    @staticmethod
    def _validate(
        problems: Problems,
        name: str,
        features: Sequence[FeatureDefinition],
        record_identifier: str,
        event_time: str,
        online_store: OnlineStore | None,
        offline_store: OfflineStore | None,
        throughput: Throughput | None,
        description: str | None,
    ) -> None:
        problems.require(
            bool(GROUP_NAME.match(name)),
            "feature_group_name",
            name,
            "1..64 letters, digits, '-' or '_', starting and ending with a letter or digit",
        )
        problems.require(1 <= len(features) <= MAX_FEATURES, "features", len(features), f"1..{MAX_FEATURES} features")
        problems.unique("features[].name", [f.name for f in features])
        for f in features:
            problems.require(
                bool(FEATURE_NAME.match(f.name)),
                "features[].name",
                f.name,
                "1..64 letters, digits, '-' or '_', starting and ending with a letter or digit",
            )
            problems.require(
                f.name.lower() not in RESERVED_FEATURE_NAMES,
                "features[].name",
                f.name,
                "not one of Feature Store's own columns: " + ", ".join(sorted(RESERVED_FEATURE_NAMES)),
            )
            problems.require_one_of(f"features[{f.name}].type", f.type, FeatureType.ALL)
        types = {f.name: f.type for f in features}
        problems.require(
            record_identifier in types, "record_identifier", record_identifier, "the name of one of the features"
        )
        if problems.require(event_time in types, "event_time", event_time, "the name of one of the features"):
            problems.require(
                types[event_time] in (FeatureType.STRING, FeatureType.FRACTIONAL),
                "event_time",
                f"{event_time} ({types[event_time]})",
                "a String or Fractional feature",
            )
        problems.require(
            online_store is not None or offline_store is not None,
            "online_store/offline_store",
            None,
            "at least one store",
        )
        if online_store is not None:
            problems.require_one_of(
                "online_store.storage_type",
                online_store.storage_type,
                (OnlineStorageType.STANDARD, OnlineStorageType.IN_MEMORY),
            )
            if online_store.ttl is not None:
                problems.require_range("online_store.ttl (s)", online_store.ttl.to_seconds(), 60, None)
        if offline_store is not None:
            problems.require_one_of("offline_store.table_format", offline_store.table_format, ("Iceberg", "Glue"))
        if throughput is not None:
            problems.require_one_of("throughput.mode", throughput.mode, ("OnDemand", "Provisioned"))
            if throughput.mode == "Provisioned":
                for prop, units in (("read_units", throughput.read_units), ("write_units", throughput.write_units)):
                    problems.require(
                        units is not None and units >= 1,
                        f"throughput.{prop}",
                        units,
                        ">= 1 with provisioned throughput",
                    )
        if description is not None:
            problems.require(len(description) <= 128, "description", len(description), "<= 128 characters")

    def _grant_offline_store(self, role: ManagedPolicyRole, store: OfflineStore, database: str, table: str) -> None:
        stack = stack_of(self)
        env = env_of(stack)
        location = store.location
        # As AWS's managed policy AmazonSageMakerFeatureStoreAccess (SageMaker Developer Guide, "AWS
        # managed policies for Amazon SageMaker Feature Store"): the offline store's writes set an object
        # ACL, so s3:PutObjectAcl with s3:PutObject (here on the store's prefix only, not every bucket).
        actions = (
            *READ_ACTIONS,
            *WRITE_ACTIONS,
            "s3:PutObjectAcl",
            *(("s3:DeleteObject",) if store.table_format == "Iceberg" else ()),
        )
        grant_objects(
            location.bucket, role, actions, location.prefix, key_actions=(*KEY_DECRYPT_ACTIONS, *KEY_ENCRYPT_ACTIONS)
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="OfflineStoreBucketAcl", actions=["s3:GetBucketAcl"], resources=[location.bucket.bucket_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="OfflineStoreKey",
                actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                resources=[self.encryption_key.key_arn],
            )
        )
        if store.create_glue_table:
            glue = f"arn:{env.partition}:glue:{env.region}:{env.account}"
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="OfflineStoreGlueTable",
                    actions=[
                        "glue:GetDatabase",
                        "glue:CreateDatabase",
                        "glue:GetTable",
                        "glue:CreateTable",
                        "glue:UpdateTable",
                    ],
                    resources=[f"{glue}:catalog", f"{glue}:database/{database}", f"{glue}:table/{database}/{table}"],
                )
            )

    # -- grants ---------------------------------------------------------------------------------

    def _grant(self, grantee: iam.IGrantable, actions: Sequence[str], key_actions: Sequence[str]) -> iam.Grant:
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.feature_group_arn]
        )
        if key_actions and self.online_store is not None:
            grant = grant.combine(
                iam.Grant.add_to_principal(
                    grantee=grantee, actions=list(key_actions), resource_arns=[self.encryption_key.key_arn]
                )
            )
        return grant

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read records from the online store (GetRecord, BatchGetRecord) and describe the group."""
        return self._grant(
            grantee,
            ["sagemaker:GetRecord", "sagemaker:BatchGetRecord", "sagemaker:DescribeFeatureGroup"],
            ["kms:Decrypt"],
        )

    def grant_ingest(self, grantee: iam.IGrantable) -> iam.Grant:
        """Put records (ingestion only: no reads, no deletes) and describe the group."""
        return self._grant(
            grantee, ["sagemaker:PutRecord", "sagemaker:DescribeFeatureGroup"], ["kms:Encrypt", "kms:GenerateDataKey"]
        )

    def grant_write(self, grantee: iam.IGrantable) -> iam.Grant:
        """Put and delete records, and describe the group."""
        return self._grant(
            grantee,
            ["sagemaker:PutRecord", "sagemaker:DeleteRecord", "sagemaker:DescribeFeatureGroup"],
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        )


def _ttl(ttl: Duration) -> dict[str, Any]:
    seconds = int(ttl.to_seconds())
    for unit, size in (("Weeks", 604800), ("Days", 86400), ("Hours", 3600), ("Minutes", 60)):
        if seconds % size == 0:
            return {"Unit": unit, "Value": seconds // size}
    return {"Unit": "Seconds", "Value": seconds}


__all__ = ["FeatureGroup"]
