"""Build: typed SageMaker Pipelines, the model registry, feature groups, model cards and container images."""

from constructs_ml.build.feature_parts import (
    DataCatalog,
    FeatureDefinition,
    FeatureType,
    OfflineStore,
    OnlineStorageType,
    OnlineStore,
    Throughput,
)
from constructs_ml.build.feature_store import FeatureGroup
from constructs_ml.build.images import REGISTRY_ACCOUNTS, BuiltinAlgorithm, ContainerImage
from constructs_ml.build.model_card import ModelCard
from constructs_ml.build.model_card_content import (
    AdditionalInformation,
    BusinessDetails,
    Evaluation,
    EvaluationMetric,
    IntendedUses,
    ModelCardContent,
    ModelCardStatus,
    ModelOverview,
    RiskRating,
    TrainingDetails,
)
from constructs_ml.build.pipeline import *  # noqa: F403 - the pipeline package's public API
from constructs_ml.build.pipeline import __all__ as _pipeline_all
from constructs_ml.build.pipeline_target import SageMakerPipelineTarget
from constructs_ml.build.registry import (
    CROSS_ACCOUNT_READ_ACTIONS,
    ApprovalStatus,
    IModelRegistry,
    ModelRegistry,
    ModelRegistryBase,
)

__all__ = [
    *_pipeline_all,
    "CROSS_ACCOUNT_READ_ACTIONS",
    "REGISTRY_ACCOUNTS",
    "AdditionalInformation",
    "ApprovalStatus",
    "BusinessDetails",
    "Evaluation",
    "EvaluationMetric",
    "IntendedUses",
    "ModelCard",
    "ModelCardContent",
    "ModelCardStatus",
    "ModelOverview",
    "RiskRating",
    "TrainingDetails",
    "BuiltinAlgorithm",
    "ContainerImage",
    "DataCatalog",
    "FeatureDefinition",
    "FeatureGroup",
    "FeatureType",
    "OfflineStore",
    "OnlineStorageType",
    "OnlineStore",
    "Throughput",
    "IModelRegistry",
    "ModelRegistry",
    "ModelRegistryBase",
    "SageMakerPipelineTarget",
]
