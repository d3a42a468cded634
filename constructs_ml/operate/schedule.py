"""One monitoring schedule and its job definition: names, metrics and drift alarms."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnResource, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from constructs_ml.operate.monitor_config import DriftAlarm, MonitoringType
from constructs_ml.serve.common import physical_name

PREFIX = {
    MonitoringType.DATA_QUALITY: "DataQuality",
    MonitoringType.MODEL_QUALITY: "ModelQuality",
    MonitoringType.MODEL_BIAS: "ModelBias",
    MonitoringType.MODEL_EXPLAINABILITY: "ModelExplainability",
}


class MonitoringScheduleRef(Construct):
    """One monitor: its job definition, its schedule, its metrics and drift alarms.

    Attributes:
        monitoring_type: which monitor.
        job_definition: the ``AWS::SageMaker::<Type>JobDefinition``.
        schedule: the ``AWS::SageMaker::MonitoringSchedule`` (default child).
        monitoring_schedule_name: the schedule's name (a dimension of every metric it publishes).
        alarms: the drift alarms created from the config.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        monitoring_type: MonitoringType,
        endpoint_name: str | None,
        job_properties: dict[str, Any],
        schedule_expression: str,
        depends_on: Sequence[Construct],
    ) -> None:
        super().__init__(scope, construct_id)
        self.monitoring_type = monitoring_type
        self.endpoint_name = endpoint_name
        prefix = PREFIX[monitoring_type]
        stack = Stack.of(self)
        # Job definitions are immutable; a name derived from their content makes every change a
        # create-new-then-delete-old replacement that CloudFormation can do with custom names.
        digest = hashlib.sha256(json.dumps(stack.resolve(job_properties), sort_keys=True).encode()).hexdigest()[:10]
        name = f"{physical_name(self, max_length=52)}-{digest}"
        self.job_definition = CfnResource(
            self,
            "JobDefinition",
            type=f"AWS::SageMaker::{prefix}JobDefinition",
            properties={"JobDefinitionName": name, **job_properties},
        )
        self.monitoring_schedule_name = physical_name(self)
        schedule_props: dict[str, Any] = {
            "MonitoringScheduleName": self.monitoring_schedule_name,
            "MonitoringScheduleConfig": {
                "MonitoringJobDefinitionName": name,
                "MonitoringType": monitoring_type.value,
                "ScheduleConfig": {"ScheduleExpression": schedule_expression},
            },
        }
        if endpoint_name is not None:
            schedule_props["EndpointName"] = endpoint_name
        self.schedule = CfnResource(
            self, "Resource", type="AWS::SageMaker::MonitoringSchedule", properties=schedule_props
        )
        self.schedule.add_dependency(self.job_definition)
        for d in depends_on:
            self.job_definition.node.add_dependency(d)
        self.alarms: list[cloudwatch.Alarm] = []
        self.drift_alarm_configs: list[DriftAlarm] = []

    def metric(self, metric_name: str, dimensions: Mapping[str, str] | None = None, **props: Any) -> cloudwatch.Metric:
        """A metric this monitor publishes (``Endpoint`` and ``MonitoringSchedule`` dimensions, plus ``dimensions``)."""
        dims = {"MonitoringSchedule": self.monitoring_schedule_name}
        if self.endpoint_name is not None:
            dims["Endpoint"] = self.endpoint_name
        dims.update(dimensions or {})
        props.setdefault("statistic", "Maximum")
        props.setdefault("period", Duration.hours(1))
        return cloudwatch.Metric(
            namespace=self.monitoring_type.namespace, metric_name=metric_name, dimensions_map=dims, **props
        )

    def metric_feature_drift(self, feature: str, **props: Any) -> cloudwatch.Metric:
        """Data quality: ``feature_baseline_drift_<feature>``."""
        return self.metric(f"feature_baseline_drift_{feature}", {"Feature": feature}, **props)

    def metric_model_quality(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """Model quality: e.g. ``accuracy``, ``f1``, ``auc``, ``rmse``, ``mae``, ``r2``."""
        return self.metric(metric_name, **props)

    def add_drift_alarm(self, alarm: DriftAlarm, action: cloudwatch.IAlarmAction) -> cloudwatch.Alarm:
        """An alarm on ``alarm`` that notifies ``action``."""
        created = cloudwatch.Alarm(
            self,
            f"Alarm-{alarm.metric_name}"[:200],
            alarm_description=f"{self.monitoring_schedule_name}: {alarm.metric_name} crossed {alarm.threshold}",
            metric=self.metric(alarm.metric_name, alarm.dimensions),
            threshold=alarm.threshold,
            comparison_operator=alarm.comparison,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        created.add_alarm_action(action)
        self.alarms.append(created)
        self.drift_alarm_configs.append(alarm)
        return created
