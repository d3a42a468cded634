"""constructs_ml: secure, governed AWS CDK constructs for a complete Amazon SageMaker ML platform.

Import the constructs from the top level (``from constructs_ml import MlNetwork``) or from their
layer (``from constructs_ml.foundation import MlNetwork``).
"""

from constructs_ml.errors import ValidationError
from constructs_ml.foundation import (
    AccessLogBucket,
    EndpointService,
    ExecutionRoles,
    ManagedPolicyRole,
    MlNetwork,
    PermissionsBoundary,
    PersonaKind,
    Personas,
    PlatformBuckets,
    PlatformKeys,
    SageMakerGuardrail,
    SecureBucket,
    VpcEndpointRestriction,
    apply_permissions_boundary,
)
from constructs_ml.governance import apply_governance

__version__ = "0.1.0"

__all__ = [
    "AccessLogBucket",
    "EndpointService",
    "ExecutionRoles",
    "ManagedPolicyRole",
    "MlNetwork",
    "PermissionsBoundary",
    "PersonaKind",
    "Personas",
    "PlatformBuckets",
    "PlatformKeys",
    "SageMakerGuardrail",
    "SecureBucket",
    "ValidationError",
    "VpcEndpointRestriction",
    "apply_governance",
    "apply_permissions_boundary",
]
