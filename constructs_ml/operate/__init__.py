"""Operate: glue functions, monitoring, alarms, retraining and deployment automation."""

from constructs_ml.develop.pipeline_target import SageMakerPipelineTarget
from constructs_ml.operate.alarms import AlarmTopic, EndpointAlarms, EndpointAlarmThresholds
from constructs_ml.operate.dashboard import MlDashboard
from constructs_ml.operate.deploy_on_approval import NOT_YET_APPROVED, DeployOnApproval, ModelPackageGroupRef
from constructs_ml.operate.glue_function import GlueFunction, available_functions, function_code, lambda_code_root
from constructs_ml.operate.monitor import ModelMonitor
from constructs_ml.operate.monitor_config import (
    BatchTransformCapture,
    BiasMonitor,
    CaptureAttributes,
    DataQualityMonitor,
    DriftAlarm,
    ExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorBackend,
    MonitoringType,
    MonitorSchedule,
    PackageBaselines,
    ProblemType,
    monitoring_image_uri,
)
from constructs_ml.operate.monitor_metrics import MonitorMetrics
from constructs_ml.operate.monitor_pipeline import PipelineMonitor
from constructs_ml.operate.retraining import RetrainingTrigger
from constructs_ml.operate.retraining_parts import MonitoringScheduleLike, NewDataTrigger, PipelineRef, ScheduleTrigger
from constructs_ml.operate.schedule import MonitoringScheduleRef

__all__ = [
    "NOT_YET_APPROVED",
    "AlarmTopic",
    "BatchTransformCapture",
    "BiasMonitor",
    "CaptureAttributes",
    "DataQualityMonitor",
    "DeployOnApproval",
    "DriftAlarm",
    "EndpointAlarmThresholds",
    "EndpointAlarms",
    "ExplainabilityMonitor",
    "GlueFunction",
    "MlDashboard",
    "ModelMonitor",
    "ModelPackageGroupRef",
    "ModelQualityMonitor",
    "MonitorBackend",
    "MonitorMetrics",
    "MonitorSchedule",
    "MonitoringScheduleLike",
    "MonitoringScheduleRef",
    "MonitoringType",
    "NewDataTrigger",
    "PackageBaselines",
    "PipelineMonitor",
    "PipelineRef",
    "ProblemType",
    "RetrainingTrigger",
    "SageMakerPipelineTarget",
    "ScheduleTrigger",
    "available_functions",
    "function_code",
    "lambda_code_root",
    "monitoring_image_uri",
]
