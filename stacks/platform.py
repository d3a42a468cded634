"""The platform stack: buckets, personas and execution roles (and, with the Studio issue, the domain)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_ml.foundation import (
    ExecutionRoles,
    MlNetwork,
    PersonaKind,
    Personas,
    PlatformBuckets,
    PlatformKeys,
    apply_permissions_boundary,
)
from stacks.config import PlatformConfig
from stacks.network import boundary_policy_name
from stacks.studio import StudioResources, StudioUser


class PlatformStack(Stack):
    """Buckets, personas and execution roles of the reference platform.

    Attributes:
        buckets: the platform buckets.
        personas: persona and Studio execution roles.
        execution_roles: default execution roles for SageMaker workloads and glue.
        studio: the VPC-only Studio domain and the configured user profiles.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PlatformConfig,
        keys: PlatformKeys,
        network: MlNetwork,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope, construct_id, description="constructs-ml reference platform: buckets, personas, Studio", **kwargs
        )
        if config.permissions_boundary:
            apply_permissions_boundary(self, platform_boundary(self, config))
        self.keys = keys
        self.network = network
        self.buckets = PlatformBuckets(
            self, "Buckets", key=keys.data, artifacts_bucket_name=config.artifacts_bucket_name
        )
        self.personas = Personas(self, "Personas", keys=keys, buckets=self.buckets, network=network)
        self.execution_roles = ExecutionRoles(
            self, "ExecutionRoles", buckets=self.buckets, guardrail=self.personas.guardrail
        )
        self.studio = StudioResources(
            self,
            "Studio",
            network=network,
            keys=keys,
            buckets=self.buckets,
            personas=self.personas,
            users=[StudioUser(u.name, PersonaKind(u.persona)) for u in config.users],
        )


def platform_boundary(scope: Construct, config: PlatformConfig) -> iam.IManagedPolicy:
    """The platform permissions boundary, referenced by its fixed name (no cross-stack export)."""
    return iam.ManagedPolicy.from_managed_policy_name(scope, "PermissionsBoundaryRef", boundary_policy_name(config))
