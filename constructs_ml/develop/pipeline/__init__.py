"""Typed SageMaker Pipelines: parameters, steps, step-output references and the TrainingPipeline construct."""

from constructs_ml.develop.pipeline.definition import ExternalDefinition
from constructs_ml.develop.pipeline.parameters import (
    Parameter,
    ParameterBoolean,
    ParameterFloat,
    ParameterInteger,
    ParameterString,
)
from constructs_ml.develop.pipeline.pipeline import PipelineBase, TrainingPipeline
from constructs_ml.develop.pipeline.properties import (
    ExecutionVariables,
    Get,
    Join,
    JsonGet,
    PipelineValue,
    PropertyFile,
    S3Location,
    StepProperty,
)
from constructs_ml.develop.pipeline.steps_base import CacheConfig, RetryException, RetryPolicy, Step
from constructs_ml.develop.pipeline.steps_checks import (
    ClarifyCheckStep,
    ClarifyCheckType,
    DatasetFormat,
    QualityCheckStep,
    QualityCheckType,
)
from constructs_ml.develop.pipeline.steps_control import Condition, ConditionStep, FailStep
from constructs_ml.develop.pipeline.steps_model import (
    CreateModelStep,
    DriftCheckBaselines,
    MetricsSource,
    ModelMetrics,
    RegisterModelStep,
)
from constructs_ml.develop.pipeline.steps_processing import ProcessingInput, ProcessingOutput, ProcessingStep
from constructs_ml.develop.pipeline.steps_training import MetricDefinition, TrainingInput, TrainingStep
from constructs_ml.develop.pipeline.steps_transform import TransformStep
from constructs_ml.develop.pipeline.steps_tuning import (
    CategoricalRange,
    ContinuousRange,
    IntegerRange,
    ScalingType,
    TuningObjective,
    TuningStep,
    TuningStrategy,
)
from constructs_ml.develop.pipeline.training_debugger import (
    Debugger,
    DebuggerRule,
    DebuggerRuleConfig,
    TensorCollection,
)
from constructs_ml.develop.pipeline.training_distribution import Distribution, DistributionStrategy, S3DataDistribution
from constructs_ml.instance_types import InstanceType  # one instance type class for build and serve

__all__ = [
    "CacheConfig",
    "CategoricalRange",
    "ClarifyCheckStep",
    "ClarifyCheckType",
    "Condition",
    "ConditionStep",
    "ContinuousRange",
    "CreateModelStep",
    "DatasetFormat",
    "Debugger",
    "DebuggerRule",
    "DebuggerRuleConfig",
    "Distribution",
    "DistributionStrategy",
    "DriftCheckBaselines",
    "ExecutionVariables",
    "ExternalDefinition",
    "FailStep",
    "Get",
    "InstanceType",
    "IntegerRange",
    "Join",
    "JsonGet",
    "MetricDefinition",
    "MetricsSource",
    "ModelMetrics",
    "Parameter",
    "ParameterBoolean",
    "ParameterFloat",
    "ParameterInteger",
    "ParameterString",
    "PipelineBase",
    "PipelineValue",
    "ProcessingInput",
    "ProcessingOutput",
    "ProcessingStep",
    "PropertyFile",
    "QualityCheckStep",
    "QualityCheckType",
    "RegisterModelStep",
    "RetryException",
    "RetryPolicy",
    "S3DataDistribution",
    "S3Location",
    "ScalingType",
    "Step",
    "StepProperty",
    "TensorCollection",
    "TrainingInput",
    "TrainingPipeline",
    "TrainingStep",
    "TransformStep",
    "TuningObjective",
    "TuningStep",
    "TuningStrategy",
]
