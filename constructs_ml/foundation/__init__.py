"""Foundation: network, keys, buckets, roles, guardrails and personas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_ml.foundation.buckets import (
        PIPELINE_JOB_ROLE_PATH,
        AccessLogBucket,
        PlatformBuckets,
        SecureBucket,
        VpcEndpointRestriction,
        WriteOncePrefix,
        grant_objects,
    )
    from constructs_ml.foundation.dead_letter import TargetDeadLetterQueue
    from constructs_ml.foundation.guardrails import PermissionsBoundary, SageMakerGuardrail, apply_permissions_boundary
    from constructs_ml.foundation.imported import (
        ImportedBucket,
        ImportedPlatformBuckets,
        IPlatformBucket,
        IPlatformBuckets,
    )
    from constructs_ml.foundation.keys import PlatformKeys
    from constructs_ml.foundation.network import DEFAULT_ENDPOINTS, EndpointService, MlNetwork
    from constructs_ml.foundation.personas import PERSONA_TAG, ExecutionRoles, PersonaKind, Personas
    from constructs_ml.foundation.policies import workload_statements
    from constructs_ml.foundation.roles import ManagedPolicyRole, stack_arn

_EXPORTS: dict[str, str] = {
    "AccessLogBucket": "constructs_ml.foundation.buckets",
    "DEFAULT_ENDPOINTS": "constructs_ml.foundation.network",
    "EndpointService": "constructs_ml.foundation.network",
    "ExecutionRoles": "constructs_ml.foundation.personas",
    "IPlatformBucket": "constructs_ml.foundation.imported",
    "IPlatformBuckets": "constructs_ml.foundation.imported",
    "ImportedBucket": "constructs_ml.foundation.imported",
    "ImportedPlatformBuckets": "constructs_ml.foundation.imported",
    "ManagedPolicyRole": "constructs_ml.foundation.roles",
    "MlNetwork": "constructs_ml.foundation.network",
    "PERSONA_TAG": "constructs_ml.foundation.personas",
    "PIPELINE_JOB_ROLE_PATH": "constructs_ml.foundation.buckets",
    "PermissionsBoundary": "constructs_ml.foundation.guardrails",
    "PersonaKind": "constructs_ml.foundation.personas",
    "Personas": "constructs_ml.foundation.personas",
    "PlatformBuckets": "constructs_ml.foundation.buckets",
    "PlatformKeys": "constructs_ml.foundation.keys",
    "SageMakerGuardrail": "constructs_ml.foundation.guardrails",
    "SecureBucket": "constructs_ml.foundation.buckets",
    "TargetDeadLetterQueue": "constructs_ml.foundation.dead_letter",
    "VpcEndpointRestriction": "constructs_ml.foundation.buckets",
    "WriteOncePrefix": "constructs_ml.foundation.buckets",
    "apply_permissions_boundary": "constructs_ml.foundation.guardrails",
    "grant_objects": "constructs_ml.foundation.buckets",
    "stack_arn": "constructs_ml.foundation.roles",
    "workload_statements": "constructs_ml.foundation.policies",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "DEFAULT_ENDPOINTS",
    "PERSONA_TAG",
    "PIPELINE_JOB_ROLE_PATH",
    "AccessLogBucket",
    "EndpointService",
    "ExecutionRoles",
    "IPlatformBucket",
    "IPlatformBuckets",
    "ImportedBucket",
    "ImportedPlatformBuckets",
    "ManagedPolicyRole",
    "MlNetwork",
    "PermissionsBoundary",
    "PersonaKind",
    "Personas",
    "PlatformBuckets",
    "PlatformKeys",
    "SageMakerGuardrail",
    "SecureBucket",
    "TargetDeadLetterQueue",
    "VpcEndpointRestriction",
    "WriteOncePrefix",
    "apply_permissions_boundary",
    "grant_objects",
    "stack_arn",
    "workload_statements",
]
