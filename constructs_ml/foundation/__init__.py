"""Foundation: network, keys, buckets, roles, guardrails and personas."""

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
from constructs_ml.foundation.guardrails import (
    PermissionsBoundary,
    SageMakerGuardrail,
    apply_permissions_boundary,
)
from constructs_ml.foundation.imported import ImportedBucket, ImportedPlatformBuckets, IPlatformBucket, IPlatformBuckets
from constructs_ml.foundation.keys import PlatformKeys
from constructs_ml.foundation.network import DEFAULT_ENDPOINTS, EndpointService, MlNetwork
from constructs_ml.foundation.personas import PERSONA_TAG, ExecutionRoles, PersonaKind, Personas
from constructs_ml.foundation.policies import workload_statements
from constructs_ml.foundation.roles import ManagedPolicyRole, stack_arn

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
