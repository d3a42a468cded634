"""constructs_ml: secure, governed AWS CDK constructs for a complete Amazon SageMaker ML platform.

Import the constructs from the top level (``from constructs_ml import MlNetwork``) or from their
layer (``from constructs_ml.foundation import MlNetwork``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_ml.delivery import ApprovalForwarding, ForwardingTarget, PipelineSource, PlatformPipeline
    from constructs_ml.develop import (
        ContainerImage,
        ExternalDefinition,
        FeatureGroup,
        ModelCard,
        ModelRegistry,
        TrainingPipeline,
    )
    from constructs_ml.edge import EdgeDeployment, EdgeDeployOnApproval, TokenExchangeRole
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
    from constructs_ml.label import LabelingWorkflow, PrivateWorkforce, Workteam
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
    from constructs_ml.studio import (
        CuratedHub,
        JumpStartModel,
        MlflowTrackingServer,
        StudioDomain,
        StudioImage,
        StudioLifecycleConfig,
        StudioSpace,
        UserProfile,
    )

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "AccessLogBucket": "constructs_ml.foundation",
    "AlarmTopic": "constructs_ml.serve",
    "ApprovalForwarding": "constructs_ml.delivery",
    "ApprovedPackageParameter": "constructs_ml.serve",
    "ApprovedPackageRecord": "constructs_ml.serve",
    "BatchTransform": "constructs_ml.serve",
    "ContainerImage": "constructs_ml.develop",
    "CuratedHub": "constructs_ml.studio",
    "DeployOnApproval": "constructs_ml.operate",
    "EdgeDeployOnApproval": "constructs_ml.edge",
    "EdgeDeployment": "constructs_ml.edge",
    "Endpoint": "constructs_ml.serve",
    "EndpointAlarms": "constructs_ml.operate",
    "EndpointConfig": "constructs_ml.serve",
    "EndpointService": "constructs_ml.foundation",
    "ExecutionRoles": "constructs_ml.foundation",
    "ExternalDefinition": "constructs_ml.develop",
    "FeatureGroup": "constructs_ml.develop",
    "ForwardingTarget": "constructs_ml.delivery",
    "GlueFunction": "constructs_ml.operate",
    "InstanceType": "constructs_ml.instance_types",
    "JumpStartModel": "constructs_ml.studio",
    "LabelingWorkflow": "constructs_ml.label",
    "ManagedPolicyRole": "constructs_ml.foundation",
    "MlDashboard": "constructs_ml.operate",
    "MlNetwork": "constructs_ml.foundation",
    "MlflowTrackingServer": "constructs_ml.studio",
    "Model": "constructs_ml.serve",
    "ModelCard": "constructs_ml.develop",
    "ModelMonitor": "constructs_ml.operate",
    "ModelRegistry": "constructs_ml.develop",
    "PermissionsBoundary": "constructs_ml.foundation",
    "PersonaKind": "constructs_ml.foundation",
    "Personas": "constructs_ml.foundation",
    "PipelineSource": "constructs_ml.delivery",
    "PlatformBuckets": "constructs_ml.foundation",
    "PlatformKeys": "constructs_ml.foundation",
    "PlatformPipeline": "constructs_ml.delivery",
    "PrivateWorkforce": "constructs_ml.label",
    "RetrainingTrigger": "constructs_ml.operate",
    "SageMakerChecks": "constructs_ml.governance",
    "SageMakerGuardrail": "constructs_ml.foundation",
    "SageMakerPipelineTarget": "constructs_ml.operate",
    "SecureBucket": "constructs_ml.foundation",
    "StudioDomain": "constructs_ml.studio",
    "StudioImage": "constructs_ml.studio",
    "StudioLifecycleConfig": "constructs_ml.studio",
    "StudioSpace": "constructs_ml.studio",
    "TokenExchangeRole": "constructs_ml.edge",
    "TrainingPipeline": "constructs_ml.develop",
    "UserProfile": "constructs_ml.studio",
    "ValidationError": "constructs_ml.errors",
    "VpcEndpointRestriction": "constructs_ml.foundation",
    "Workteam": "constructs_ml.label",
    "apply_governance": "constructs_ml.governance",
    "apply_permissions_boundary": "constructs_ml.foundation",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "AccessLogBucket",
    "AlarmTopic",
    "ApprovalForwarding",
    "ApprovedPackageParameter",
    "ApprovedPackageRecord",
    "BatchTransform",
    "ContainerImage",
    "CuratedHub",
    "DeployOnApproval",
    "EdgeDeployOnApproval",
    "EdgeDeployment",
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
    "JumpStartModel",
    "LabelingWorkflow",
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
    "PrivateWorkforce",
    "RetrainingTrigger",
    "SageMakerChecks",
    "SageMakerGuardrail",
    "SageMakerPipelineTarget",
    "SecureBucket",
    "StudioDomain",
    "StudioImage",
    "StudioLifecycleConfig",
    "StudioSpace",
    "TokenExchangeRole",
    "TrainingPipeline",
    "UserProfile",
    "ValidationError",
    "VpcEndpointRestriction",
    "Workteam",
    "apply_governance",
    "apply_permissions_boundary",
]
