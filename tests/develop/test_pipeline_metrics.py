"""TrainingPipeline metric_* methods: namespace, metric name, dimensions, statistic and period, as rendered."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs_ml.develop import BuiltinAlgorithm, ContainerImage, TrainingPipeline, TrainingStep
from tests.develop.conftest import imported_infra
from tests.fixtures import ENV
from tests.support import new_app, resources_of

NAMESPACE = "AWS/Sagemaker/ModelBuildingPipeline"
PIPELINE_NAME = "churn-training"

#: Every metric_* method of TrainingPipeline: (CloudWatch metric name, default statistic).
EXPECTED: dict[str, tuple[str, str]] = {
    "metric_execution_failed": ("ExecutionFailed", "Sum"),
    "metric_execution_succeeded": ("ExecutionSucceeded", "Sum"),
    "metric_execution_duration": ("ExecutionDuration", "Average"),
}


class Built:
    pipeline: TrainingPipeline
    generated: TrainingPipeline
    alarms: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def built() -> Built:
    """Two pipelines (named, generated name) and one alarm per metric method, default and overridden props."""
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Metrics", env=ENV)
    infra = imported_infra(stack)
    b = Built()

    def pipeline(construct_id: str, name: str | None) -> TrainingPipeline:
        return TrainingPipeline(
            stack,
            construct_id,
            steps=[TrainingStep("Train", image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST))],
            vpc=infra.vpc,
            security_groups=[infra.security_group],
            encryption_key=infra.key,
            artifacts_bucket=infra.artifacts,
            pipeline_name=name,
        )

    b.pipeline = pipeline("Named", PIPELINE_NAME)
    b.generated = pipeline("Generated", None)
    for method in EXPECTED:
        for label, p in (("named", b.pipeline), ("generated", b.generated)):
            metric = getattr(p, method)()
            cloudwatch.Alarm(stack, f"{method}-{label}", metric=metric, threshold=1, evaluation_periods=1)
        overridden = getattr(b.pipeline, method)(statistic="Maximum", period=Duration.hours(1))
        cloudwatch.Alarm(stack, f"{method}-overridden", metric=overridden, threshold=1, evaluation_periods=1)
    template = app.synth().get_stack_by_name("Metrics").template
    alarms = list(resources_of(template, "AWS::CloudWatch::Alarm").values())
    b.alarms = {_key(a): a for a in alarms}
    assert len(b.alarms) == len(alarms) == 3 * len(EXPECTED), "each alarm is told apart by its metric"
    return b


def _key(alarm: dict[str, Any]) -> str:
    """An alarm's identity in this module: metric name, dimension value, statistic, period."""
    p = alarm["Properties"]
    return f"{p['MetricName']}|{p['Dimensions'][0]['Value']}|{p['Statistic']}|{p['Period']}"


def test_every_metric_method_is_covered() -> None:
    methods = {m for m in dir(TrainingPipeline) if m.startswith("metric_")}
    assert methods == set(EXPECTED), "a metric_* method without a test here (or a test without its method)"


@pytest.mark.parametrize("method", sorted(EXPECTED))
def test_metric_object(built: Built, method: str) -> None:
    metric_name, statistic = EXPECTED[method]
    metric: cloudwatch.Metric = getattr(built.pipeline, method)()
    assert metric.namespace == NAMESPACE
    assert metric.metric_name == metric_name
    assert metric.dimensions == {"PipelineName": PIPELINE_NAME}
    assert metric.statistic == statistic
    assert metric.period.to_seconds() == 300


@pytest.mark.parametrize("method", sorted(EXPECTED))
@pytest.mark.parametrize("which", ["named", "generated"])
def test_rendered_alarm_has_namespace_name_dimension_and_statistic(built: Built, method: str, which: str) -> None:
    metric_name, statistic = EXPECTED[method]
    pipeline = built.pipeline if which == "named" else built.generated
    alarm = built.alarms[f"{metric_name}|{pipeline.pipeline_name}|{statistic}|300"]
    props = alarm["Properties"]
    assert props["Namespace"] == NAMESPACE
    assert props["MetricName"] == metric_name
    assert props["Dimensions"] == [{"Name": "PipelineName", "Value": pipeline.pipeline_name}]
    assert props["Statistic"] == statistic and props["Period"] == 300


def test_generated_name_is_a_literal_dimension(built: Built) -> None:
    name = built.generated.pipeline_name
    assert name and name == name.lower() and "${Token" not in name and name != PIPELINE_NAME


@pytest.mark.parametrize("method", sorted(EXPECTED))
def test_props_override_statistic_and_period(built: Built, method: str) -> None:
    metric_name, _ = EXPECTED[method]
    alarm = built.alarms[f"{metric_name}|{PIPELINE_NAME}|Maximum|3600"]
    props = alarm["Properties"]
    assert (props["Namespace"], props["MetricName"]) == (NAMESPACE, metric_name)
    assert props["Dimensions"] == [{"Name": "PipelineName", "Value": PIPELINE_NAME}]
