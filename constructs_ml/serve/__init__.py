"""Serve: models, endpoints (real-time, serverless, async, inference components), autoscaling, blue/green,
batch transform."""

from constructs_ml.develop.images import BuiltinAlgorithm, ContainerImage  # one image class for build and serve
from constructs_ml.instance_types import InstanceType  # one instance type class for build and serve
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
