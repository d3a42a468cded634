"""Operational alarms per endpoint, built only from the endpoint's ``metric_*`` methods (CW-01, MSG-01).

Example::

    topic = AlarmTopic(self, "Alarms", master_key=keys.messaging)
    EndpointAlarms(self, "ChurnAlarms", endpoint=endpoint, alarm_topic=topic.topic)
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml.errors import Problems
from constructs_ml.serve.endpoint_base import EndpointBase
from constructs_ml.serve.topic import AlarmTopic

_ONE_SECOND = Duration.seconds(1)

__all__ = ["AlarmTopic", "EndpointAlarmThresholds", "EndpointAlarms"]


@dataclass(frozen=True)
class EndpointAlarmThresholds:
    """Thresholds of :class:`EndpointAlarms` (per variant, per 5-minute period).

    Attributes:
        errors_5xx: 5xx errors: 1 (any server error is worth a look).
        errors_4xx: 4xx errors (clients sending bad requests): 50.
        model_latency: average model latency: one second.
        cpu_utilization: average CPU percent (summed over cores; scale with the instance's vCPUs): 90.
        memory_utilization: average memory percent: 85.
        disk_utilization: average disk percent: 85.
        async_backlog: queued async requests (async endpoints only): 100.
        evaluation_periods: consecutive periods above threshold: 3.
    """

    errors_5xx: float = 1
    errors_4xx: float = 50
    model_latency: Duration = _ONE_SECOND
    cpu_utilization: float = 90
    memory_utilization: float = 85
    disk_utilization: float = 85
    async_backlog: float = 100
    evaluation_periods: int = 3


class EndpointAlarms(Construct):
    """Alarms on an endpoint's errors, latency and resources, per variant, notifying a KMS-encrypted topic.

    Args:
        scope: parent construct.
        construct_id: construct id.
        endpoint: the endpoint (owned or imported: its ``variant_names`` are used, ``AllTraffic`` when
            unknown).
        alarm_topic: where alarms (and their recovery) notify: a new :class:`AlarmTopic`.
        thresholds: the thresholds: :class:`EndpointAlarmThresholds` defaults.
        instance_metrics: alarm on CPU/memory/disk (off for serverless endpoints, which publish none): on.
        async_backlog: alarm on the async backlog: off.

    Attributes:
        alarms: every alarm, by ``<metric>-<variant>``.
        topic: the topic notified.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointBase,
        alarm_topic: sns.ITopic | None = None,
        thresholds: EndpointAlarmThresholds | None = None,
        instance_metrics: bool = True,
        async_backlog: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        t = thresholds or EndpointAlarmThresholds()
        problems = Problems(self)
        problems.require_range("thresholds.evaluation_periods", t.evaluation_periods, 1, 100)
        for name in ("errors_5xx", "errors_4xx", "cpu_utilization", "memory_utilization", "disk_utilization"):
            problems.require_range(f"thresholds.{name}", getattr(t, name), 0, None)
        problems.raise_if_any()

        self.topic: sns.ITopic = alarm_topic or AlarmTopic(self, "Topic").topic
        action = cw_actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        period = Duration.minutes(5)
        e = endpoint
        for v in e.variant_names or ("AllTraffic",):
            specs: list[tuple[str, cloudwatch.IMetric, float, cloudwatch.ComparisonOperator]] = [
                ("Errors5xx", e.metric_invocation_5xx_errors(v, period=period), t.errors_5xx, _GTE),
                ("Errors4xx", e.metric_invocation_4xx_errors(v, period=period), t.errors_4xx, _GTE),
                (
                    "ModelLatency",
                    e.metric_model_latency(v, period=period),
                    t.model_latency.to_milliseconds() * 1000,
                    _GT,
                ),
            ]
            if instance_metrics:
                specs += [
                    ("Cpu", e.metric_cpu_utilization(v, period=period), t.cpu_utilization, _GT),
                    ("Memory", e.metric_memory_utilization(v, period=period), t.memory_utilization, _GT),
                    ("Disk", e.metric_disk_utilization(v, period=period), t.disk_utilization, _GT),
                ]
            for label, metric, threshold, op in specs:
                self._alarm(
                    f"{label}-{v}",
                    metric,
                    threshold,
                    op,
                    t.evaluation_periods,
                    action,
                    f"{e.endpoint_name}/{v}: {label}",
                )
        if async_backlog:
            self._alarm(
                "AsyncBacklog",
                e.metric_approximate_backlog_size(period=period),
                t.async_backlog,
                _GT,
                t.evaluation_periods,
                action,
                f"{e.endpoint_name}: async backlog",
            )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        op: cloudwatch.ComparisonOperator,
        periods: int,
        action: cloudwatch.IAlarmAction,
        description: str,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=op,
            evaluation_periods=periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms[construct_id] = alarm


_GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
_GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
