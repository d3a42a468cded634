"""Synth-time checks of :class:`~constructs_ml.operate.ModelMonitor`'s props: monitors, schedules, thresholds,
capture attributes and what each backend supports."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.operate.monitor_config import (
    BatchTransformCapture,
    ModelQualityMonitor,
    MonitorBackend,
    MonitorConfig,
    ProblemType,
)
from constructs_ml.serve.endpoint_base import EndpointBase


def validate_monitors(
    problems: Problems,
    configs: Sequence[MonitorConfig],
    endpoint: EndpointBase | None,
    batch: BatchTransformCapture | None,
    backend: MonitorBackend,
    role: iam.IRole | None,
    alarm_topic: sns.ITopic | None,
) -> None:
    """Every problem of the monitors' props (the caller raises them at once)."""
    problems.require(len(configs) >= 1, "data_quality/model_quality/bias/explainability", None, "at least one monitor")
    if (endpoint is None) == (batch is None):
        problems.add("endpoint/batch_transform", (endpoint, batch), "exactly one of them")
    if endpoint is not None:
        problems.require(
            endpoint.has_data_capture,
            "endpoint",
            endpoint.node.path,
            "an endpoint with data capture (Endpoint(data_capture=DataCapture(...)))",
            what="must capture data to be monitored: give it data_capture=DataCapture(...)",
        )
    if batch is not None:
        problems.require_one_of("batch_transform.dataset_format", batch.dataset_format, ("csv", "json", "parquet"))
    if backend is MonitorBackend.PIPELINE:
        problems.require(
            batch is None,
            "batch_transform",
            batch,
            "backend=MonitorBackend.MODEL_MONITOR (the pipeline backend reads endpoint capture)",
        )
        problems.require(
            alarm_topic is not None, "alarm_topic", None, "a topic (the schedules' dead-letter queue alarms there)"
        )
        problems.require(
            role is None or isinstance(role, ManagedPolicyRole),
            "role",
            role,
            "a ManagedPolicyRole with the pipeline backend (its pipelines add what their steps need)",
        )
    if any(c.alarms for c in configs):
        problems.require(alarm_topic is not None, "alarm_topic", None, "a topic when monitors have alarms")
    for c in configs:
        name = c.monitoring_type.value
        for what in c.schedule.problems(backend):
            problems.add(f"{name}.schedule", c.schedule.expression, what)
        for i, alarm in enumerate(c.alarms):
            alarm.validate(problems, f"{name}.alarms[{i}]")
        attrs = getattr(c, "attributes", None)
        if attrs is not None:
            attrs.validate(problems, f"{name}.attributes")
        if isinstance(c, ModelQualityMonitor):
            at = c.attributes
            problems.require(
                at.inference_attribute is not None or at.probability_attribute is not None,
                f"{name}.attributes",
                at,
                "inference_attribute (the predicted label) or probability_attribute + probability_threshold",
            )
            if c.problem_type is not ProblemType.BINARY_CLASSIFICATION:
                problems.require(
                    at.probability_threshold is None,
                    f"{name}.attributes.probability_threshold",
                    at.probability_threshold,
                    "no threshold: it turns probabilities into labels for binary classification only",
                )


__all__ = ["validate_monitors"]
