"""A CloudWatch dashboard per endpoint and its monitoring schedules, built only from ``metric_*`` methods.

Example::

    MlDashboard(self, "ChurnDashboard", endpoint=endpoint, monitor=monitor,
                alarms=[*endpoint.rollback_alarms, *alarms.alarms.values(), *monitor.alarms])
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from constructs_ml.operate.monitor import ModelMonitor
from constructs_ml.serve.endpoint_base import EndpointBase


class MlDashboard(Construct):
    """Invocations, errors, latency and resources per variant; the async backlog; drift metrics of
    every monitoring schedule (the metrics its alarms watch); and the state of the given alarms.

    Args:
        scope: parent construct.
        construct_id: construct id.
        endpoint: the endpoint (owned or imported).
        monitor: its model monitor: none.
        alarms: alarms to show in an alarm-status widget: none.
        instance_metrics: show CPU/memory/disk (and GPU when ``gpu``): on.
        gpu: show GPU utilization: off.
        async_backlog: show the async backlog: off.
        dashboard_name: a physical name: generated.

    Attributes:
        dashboard: the ``cloudwatch.Dashboard``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointBase,
        monitor: ModelMonitor | None = None,
        alarms: Sequence[cloudwatch.IAlarm] = (),
        instance_metrics: bool = True,
        gpu: bool = False,
        async_backlog: bool = False,
        dashboard_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        e = endpoint
        self.dashboard = cloudwatch.Dashboard(
            self, "Resource", dashboard_name=dashboard_name, default_interval=Duration.hours(3)
        )
        self.dashboard.add_widgets(cloudwatch.TextWidget(markdown=f"# Endpoint {e.endpoint_name}", width=24, height=1))
        for v in e.variant_names or ("AllTraffic",):
            row: list[cloudwatch.IWidget] = [
                cloudwatch.GraphWidget(
                    title=f"{v}: invocations",
                    left=[e.metric_invocations(v)],
                    right=[e.metric_invocations_per_instance(v)],
                    width=6,
                ),
                cloudwatch.GraphWidget(
                    title=f"{v}: errors",
                    left=[e.metric_invocation_4xx_errors(v), e.metric_invocation_5xx_errors(v)],
                    width=6,
                ),
                cloudwatch.GraphWidget(
                    title=f"{v}: latency (µs)", left=[e.metric_model_latency(v), e.metric_overhead_latency(v)], width=6
                ),
            ]
            if instance_metrics:
                resources = [e.metric_cpu_utilization(v), e.metric_memory_utilization(v), e.metric_disk_utilization(v)]
                if gpu:
                    resources += [e.metric_gpu_utilization(v), e.metric_gpu_memory_utilization(v)]
                row.append(cloudwatch.GraphWidget(title=f"{v}: utilization (%)", left=resources, width=6))
            self.dashboard.add_widgets(*row)
        if async_backlog:
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="async backlog",
                    left=[e.metric_approximate_backlog_size(), e.metric_approximate_backlog_size_per_instance()],
                    right=[e.metric_has_backlog_without_capacity()],
                    width=12,
                )
            )
        if monitor is not None:
            widgets: list[cloudwatch.IWidget] = [
                cloudwatch.GraphWidget(
                    title=f"{t.value}: {schedule.monitoring_schedule_name}",
                    left=[schedule.metric(m.metric_name, m.dimensions) for m in schedule.drift_alarm_configs],
                    width=8,
                )
                for t, schedule in monitor.schedules.items()
                if schedule.drift_alarm_configs
            ]
            if widgets:
                self.dashboard.add_widgets(cloudwatch.TextWidget(markdown="## Model monitoring", width=24, height=1))
                self.dashboard.add_widgets(*widgets)
        if alarms:
            self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(alarms=list(alarms), title="alarms", width=24))
