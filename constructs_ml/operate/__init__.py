"""Operate: glue functions, monitoring, alarms, retraining and deployment automation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
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
    from constructs_ml.operate.retraining_parts import (
        MonitoringScheduleLike,
        NewDataTrigger,
        PipelineRef,
        ScheduleTrigger,
    )
    from constructs_ml.operate.schedule import MonitoringScheduleRef

_EXPORTS: dict[str, str] = {
    "AlarmTopic": "constructs_ml.operate.alarms",
    "BatchTransformCapture": "constructs_ml.operate.monitor_config",
    "BiasMonitor": "constructs_ml.operate.monitor_config",
    "CaptureAttributes": "constructs_ml.operate.monitor_config",
    "DataQualityMonitor": "constructs_ml.operate.monitor_config",
    "DeployOnApproval": "constructs_ml.operate.deploy_on_approval",
    "DriftAlarm": "constructs_ml.operate.monitor_config",
    "EndpointAlarmThresholds": "constructs_ml.operate.alarms",
    "EndpointAlarms": "constructs_ml.operate.alarms",
    "ExplainabilityMonitor": "constructs_ml.operate.monitor_config",
    "GlueFunction": "constructs_ml.operate.glue_function",
    "MlDashboard": "constructs_ml.operate.dashboard",
    "ModelMonitor": "constructs_ml.operate.monitor",
    "ModelPackageGroupRef": "constructs_ml.operate.deploy_on_approval",
    "ModelQualityMonitor": "constructs_ml.operate.monitor_config",
    "MonitorBackend": "constructs_ml.operate.monitor_config",
    "MonitorMetrics": "constructs_ml.operate.monitor_metrics",
    "MonitorSchedule": "constructs_ml.operate.monitor_config",
    "MonitoringScheduleLike": "constructs_ml.operate.retraining_parts",
    "MonitoringScheduleRef": "constructs_ml.operate.schedule",
    "MonitoringType": "constructs_ml.operate.monitor_config",
    "NOT_YET_APPROVED": "constructs_ml.operate.deploy_on_approval",
    "NewDataTrigger": "constructs_ml.operate.retraining_parts",
    "PackageBaselines": "constructs_ml.operate.monitor_config",
    "PipelineMonitor": "constructs_ml.operate.monitor_pipeline",
    "PipelineRef": "constructs_ml.operate.retraining_parts",
    "ProblemType": "constructs_ml.operate.monitor_config",
    "RetrainingTrigger": "constructs_ml.operate.retraining",
    "SageMakerPipelineTarget": "constructs_ml.develop.pipeline_target",
    "ScheduleTrigger": "constructs_ml.operate.retraining_parts",
    "available_functions": "constructs_ml.operate.glue_function",
    "function_code": "constructs_ml.operate.glue_function",
    "lambda_code_root": "constructs_ml.operate.glue_function",
    "monitoring_image_uri": "constructs_ml.operate.monitor_config",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
