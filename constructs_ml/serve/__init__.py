"""Serve: models, endpoints (real-time, serverless, async, inference components), autoscaling, blue/green,
batch transform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_ml.develop.images import BuiltinAlgorithm, ContainerImage
    from constructs_ml.instance_types import InstanceType
    from constructs_ml.serve.autoscaling import Autoscaling, ScalingMetric, VariantAutoscaling
    from constructs_ml.serve.batch import BatchTransform
    from constructs_ml.serve.common import S3Path
    from constructs_ml.serve.components import (
        BatchUnit,
        ComponentAutoscaling,
        ComponentVariant,
        ComputeRequirements,
        InferenceComponent,
        RollingUpdate,
    )
    from constructs_ml.serve.deployment import DeploymentConfig, TrafficRouting
    from constructs_ml.serve.endpoint import Endpoint
    from constructs_ml.serve.endpoint_base import EndpointBase, ImportedEndpoint
    from constructs_ml.serve.endpoint_component import EndpointComponent
    from constructs_ml.serve.endpoint_config import EndpointConfig
    from constructs_ml.serve.fleet import EndpointFleet
    from constructs_ml.serve.model import (
        ApprovedPackageParameter,
        ApprovedPackageRecord,
        ContainerMode,
        IModel,
        Model,
        ModelBase,
        ModelData,
    )
    from constructs_ml.serve.topic import AlarmTopic
    from constructs_ml.serve.variants import (
        SERVERLESS_MEMORY_SIZES,
        AsyncInference,
        DataCapture,
        InstanceVariant,
        RoutingStrategy,
        ServerlessVariant,
    )

    IEndpoint = EndpointBase

_EXPORTS: dict[str, str] = {
    "AlarmTopic": "constructs_ml.serve.topic",
    "ApprovedPackageParameter": "constructs_ml.serve.model",
    "ApprovedPackageRecord": "constructs_ml.serve.model",
    "AsyncInference": "constructs_ml.serve.variants",
    "Autoscaling": "constructs_ml.serve.autoscaling",
    "BatchTransform": "constructs_ml.serve.batch",
    "BatchUnit": "constructs_ml.serve.components",
    "BuiltinAlgorithm": "constructs_ml.develop.images",
    "ComponentAutoscaling": "constructs_ml.serve.components",
    "ComponentVariant": "constructs_ml.serve.components",
    "ComputeRequirements": "constructs_ml.serve.components",
    "ContainerImage": "constructs_ml.develop.images",
    "ContainerMode": "constructs_ml.serve.model",
    "DataCapture": "constructs_ml.serve.variants",
    "DeploymentConfig": "constructs_ml.serve.deployment",
    "Endpoint": "constructs_ml.serve.endpoint",
    "EndpointBase": "constructs_ml.serve.endpoint_base",
    "EndpointComponent": "constructs_ml.serve.endpoint_component",
    "EndpointConfig": "constructs_ml.serve.endpoint_config",
    "EndpointFleet": "constructs_ml.serve.fleet",
    "IEndpoint": "constructs_ml.serve.endpoint_base:EndpointBase",
    "IModel": "constructs_ml.serve.model",
    "ImportedEndpoint": "constructs_ml.serve.endpoint_base",
    "InferenceComponent": "constructs_ml.serve.components",
    "InstanceType": "constructs_ml.instance_types",
    "InstanceVariant": "constructs_ml.serve.variants",
    "Model": "constructs_ml.serve.model",
    "ModelBase": "constructs_ml.serve.model",
    "ModelData": "constructs_ml.serve.model",
    "RollingUpdate": "constructs_ml.serve.components",
    "RoutingStrategy": "constructs_ml.serve.variants",
    "S3Path": "constructs_ml.serve.common",
    "SERVERLESS_MEMORY_SIZES": "constructs_ml.serve.variants",
    "ScalingMetric": "constructs_ml.serve.autoscaling",
    "ServerlessVariant": "constructs_ml.serve.variants",
    "TrafficRouting": "constructs_ml.serve.deployment",
    "VariantAutoscaling": "constructs_ml.serve.autoscaling",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "SERVERLESS_MEMORY_SIZES",
    "AlarmTopic",
    "ApprovedPackageParameter",
    "ApprovedPackageRecord",
    "AsyncInference",
    "Autoscaling",
    "BatchTransform",
    "BatchUnit",
    "BuiltinAlgorithm",
    "ComponentAutoscaling",
    "ComponentVariant",
    "ComputeRequirements",
    "ContainerImage",
    "ContainerMode",
    "DataCapture",
    "DeploymentConfig",
    "Endpoint",
    "EndpointBase",
    "EndpointComponent",
    "EndpointConfig",
    "EndpointFleet",
    "IEndpoint",
    "IModel",
    "ImportedEndpoint",
    "InferenceComponent",
    "InstanceType",
    "InstanceVariant",
    "Model",
    "ModelBase",
    "ModelData",
    "RollingUpdate",
    "RoutingStrategy",
    "S3Path",
    "ScalingMetric",
    "ServerlessVariant",
    "TrafficRouting",
    "VariantAutoscaling",
]
