"""What every monitor offers, whatever runs it: its metrics and its drift alarms.

Both backends publish to the same namespaces with the same ``Endpoint`` and ``MonitoringSchedule``
dimensions (the pipeline backend's ``MonitoringSchedule`` is the monitor's name), so alarms, dashboards
and the retraining trigger do not change with the backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from constructs_ml.operate.monitor_config import DriftAlarm, MonitoringType


class MonitorMetrics(Construct):
    """Base of one monitor (a Model Monitor schedule or a monitoring pipeline).

    Attributes:
        monitoring_type: which monitor.
        endpoint_name: the monitored endpoint (None for a batch transform's data).
        monitoring_schedule_name: the ``MonitoringSchedule`` dimension of every metric it publishes.
        alarms: the drift alarms created from the config.
        drift_alarm_configs: the configs of those alarms (for dashboards).
    """

    monitoring_type: MonitoringType
    endpoint_name: str | None
    monitoring_schedule_name: str

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
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


__all__ = ["MonitorMetrics"]
