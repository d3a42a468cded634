"""constructs_ml: secure, governed AWS CDK constructs for a complete Amazon SageMaker ML platform.

Import the constructs from the top level (``from constructs_ml import MlNetwork``) or from their
layer (``from constructs_ml.foundation import MlNetwork``).
"""

from constructs_ml.delivery import ApprovalForwarding, ForwardingTarget, PipelineSource, PlatformPipeline
from constructs_ml.develop import (
    ContainerImage,
    ExternalDefinition,
    FeatureGroup,
    ModelCard,
    ModelRegistry,
    TrainingPipeline,
)
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
from constructs_ml.governance import SageMakerChecks, apply_governance
from constructs_ml.instance_types import InstanceType
from constructs_ml.operate import (
    DeployOnApproval,
    EndpointAlarms,
    GlueFunction,
    MlDashboard,
    ModelMonitor,
    RetrainingTrigger,
    SageMakerPipelineTarget,
)
from constructs_ml.serve import (
    AlarmTopic,
    ApprovedPackageParameter,
    ApprovedPackageRecord,
    BatchTransform,
    Endpoint,
    EndpointConfig,
    Model,
)
from constructs_ml.studio import MlflowTrackingServer, StudioDomain, StudioLifecycleConfig, UserProfile

__version__ = "0.1.0"

__all__ = [
    "AccessLogBucket",
    "AlarmTopic",
    "ApprovalForwarding",
    "ApprovedPackageParameter",
    "ApprovedPackageRecord",
    "BatchTransform",
    "ContainerImage",
    "DeployOnApproval",
    "Endpoint",
    "EndpointAlarms",
    "EndpointConfig",
    "EndpointService",
    "ExecutionRoles",
    "ExternalDefinition",
    "FeatureGroup",
    "ForwardingTarget",
    "GlueFunction",
    "InstanceType",
    "ManagedPolicyRole",
    "MlDashboard",
    "MlNetwork",
    "MlflowTrackingServer",
    "Model",
    "ModelCard",
    "ModelMonitor",
    "ModelRegistry",
    "PermissionsBoundary",
    "PersonaKind",
    "Personas",
    "PipelineSource",
    "PlatformBuckets",
    "PlatformKeys",
    "PlatformPipeline",
    "RetrainingTrigger",
    "SageMakerChecks",
    "SageMakerGuardrail",
    "SageMakerPipelineTarget",
    "SecureBucket",
    "StudioDomain",
    "StudioLifecycleConfig",
    "TrainingPipeline",
    "UserProfile",
    "ValidationError",
    "VpcEndpointRestriction",
    "apply_governance",
    "apply_permissions_boundary",
]
