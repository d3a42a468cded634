"""Foundation: network, keys, buckets, roles, guardrails and personas."""

from constructs_ml.foundation.buckets import AccessLogBucket, PlatformBuckets, SecureBucket, VpcEndpointRestriction
from constructs_ml.foundation.guardrails import (
    PermissionsBoundary,
    SageMakerGuardrail,
    apply_permissions_boundary,
)
from constructs_ml.foundation.keys import PlatformKeys
from constructs_ml.foundation.network import DEFAULT_ENDPOINTS, EndpointService, MlNetwork
from constructs_ml.foundation.roles import ManagedPolicyRole, stack_arn

__all__ = [
    "DEFAULT_ENDPOINTS",
    "AccessLogBucket",
    "EndpointService",
    "ManagedPolicyRole",
    "MlNetwork",
    "PermissionsBoundary",
    "PlatformBuckets",
    "PlatformKeys",
    "SageMakerGuardrail",
    "SecureBucket",
    "VpcEndpointRestriction",
    "apply_permissions_boundary",
    "stack_arn",
]
