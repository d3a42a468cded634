"""Operate: glue functions, monitoring, alarms, retraining and deployment automation."""

from constructs_ml.operate.alarms import AlarmTopic, EndpointAlarms, EndpointAlarmThresholds
from constructs_ml.operate.dashboard import MlDashboard
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
    MonitoringType,
    MonitorSchedule,
    ProblemType,
    monitoring_image_uri,
)
from constructs_ml.operate.schedule import MonitoringScheduleRef

__all__ = [
    "AlarmTopic",
    "BatchTransformCapture",
    "BiasMonitor",
    "CaptureAttributes",
    "DataQualityMonitor",
    "DriftAlarm",
    "EndpointAlarmThresholds",
    "EndpointAlarms",
    "ExplainabilityMonitor",
    "GlueFunction",
    "MlDashboard",
    "ModelMonitor",
    "ModelQualityMonitor",
    "MonitorSchedule",
    "MonitoringScheduleRef",
    "MonitoringType",
    "ProblemType",
    "available_functions",
    "function_code",
    "lambda_code_root",
    "monitoring_image_uri",
]
