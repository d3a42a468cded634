"""Bad schedules, thresholds and attributes are rejected at synth, per backend, naming path, prop and value."""

from __future__ import annotations

import re

import pytest
from aws_cdk import App

from constructs_ml.errors import ValidationError
from constructs_ml.operate import (
    AlarmTopic,
    CaptureAttributes,
    DataQualityMonitor,
    DriftAlarm,
    ModelMonitor,
    ModelQualityMonitor,
    MonitorBackend,
    MonitoringType,
    MonitorSchedule,
    ProblemType,
)
from constructs_ml.operate.monitor_schedule import eventbridge_schedule_problems, sagemaker_schedule_problems
from constructs_ml.serve import Endpoint, S3Path
from tests.serve.conftest import Foundation, foundation


@pytest.mark.parametrize(
    "expression",
    ["cron(0 * ? * * *)", "cron(0 5 ? * * *)", "cron(0 17/12 ? * * *)", "cron(0 0/2 ? * * *)"],
)
def test_sagemaker_accepts_its_documented_forms(expression: str) -> None:
    assert sagemaker_schedule_problems(expression) == []


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("cron(30 * ? * * *)", "minutes field '0'"),
        ("cron(0 24 ? * * *)", "hour 0..23"),
        ("cron(0 1/25 ? * * *)", "interval 1..24"),
        ("cron(0 * * * ? *)", "day-of-month field '\\?'"),
        ("cron(0 * ? * MON *)", "day-of-week field"),
        ("rate(1 hour)", "a SageMaker monitoring cron expression"),
        ("cron(0 * ? * *)", "a SageMaker monitoring cron expression"),
    ],
)
def test_sagemaker_rejects_other_forms(expression: str, why: str) -> None:
    assert any(re.search(why, p) for p in sagemaker_schedule_problems(expression)), expression


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 * ? * * *)",
        "cron(15 2 ? * MON-FRI *)",
        "cron(0 8 1,15 * ? 2027)",
        "cron(5 */3 L * ? *)",
        "cron(0 9 ? JAN-MAR 2#1 *)",
        "rate(1 hour)",
        "rate(2 hours)",
        "rate(90 minutes)",
        "rate(1 day)",
    ],
)
def test_eventbridge_accepts_valid_hourly_or_slower(expression: str) -> None:
    assert eventbridge_schedule_problems(expression) == []


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("cron(*/5 * ? * * *)", "at most hourly"),
        ("cron(0,30 * ? * * *)", "at most hourly"),
        ("cron(60 * ? * * *)", "at most hourly"),
        ("cron(0 25 ? * * *)", "hours"),
        ("cron(0 * * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 * ? * * *", "cron\\("),
        ("cron(0 * 32 * ? *)", "day-of-month"),
        ("cron(0 * ? 13 * *)", "month"),
        ("cron(0 * ? * FUNDAY *)", "day-of-week"),
        ("cron(0 * ? * * 1800)", "year"),
        ("rate(30 minutes)", "at least 60 minutes"),
        ("rate(1 hours)", "singular"),
        ("rate(0 hours)", "value >= 1"),
        ("rate(2 weeks)", "rate\\(<value> <unit>\\)"),
        ("every hour", "cron\\("),
    ],
)
def test_eventbridge_rejects_bad_fields(expression: str, why: str) -> None:
    assert any(re.search(why, p) for p in eventbridge_schedule_problems(expression)), expression


@pytest.fixture(scope="module")
def f() -> Foundation:
    return foundation(App(), "Checks")


def _monitor(f: Foundation, name: str, backend: MonitorBackend = MonitorBackend.PIPELINE, **monitors: object) -> None:
    endpoint = Endpoint.from_endpoint_attributes(
        f.stack, f"{name}Ep", endpoint_name="churn", data_capture=S3Path(f.buckets.capture.bucket, "capture")
    )
    ModelMonitor(
        f.stack,
        name,
        endpoint=endpoint,
        backend=backend,
        output=S3Path(f.buckets.capture.bucket, "monitoring"),
        kms_key=f.keys.data,
        vpc=f.network.vpc,
        security_groups=[f.network.workload_security_group],
        alarm_topic=AlarmTopic(f.stack, f"{name}Topic", master_key=f.keys.messaging).topic,
        **monitors,  # type: ignore[arg-type]
    )


def test_bad_schedule_is_rejected_per_backend(f: Foundation) -> None:
    every_half_hour = DataQualityMonitor(schedule=MonitorSchedule.cron("cron(0,30 * ? * * *)"))
    with pytest.raises(ValidationError, match=r"Checks/Half: DataQuality.schedule .*at most hourly.*cron\(0,30"):
        _monitor(f, "Half", data_quality=every_half_hour)
    weekdays = DataQualityMonitor(schedule=MonitorSchedule.cron("cron(0 6 ? * MON-FRI *)"))
    _monitor(f, "Weekdays", data_quality=weekdays)  # EventBridge accepts it
    with pytest.raises(ValidationError, match=r"DataQuality.schedule .*day-of-week field"):
        _monitor(f, "WeekdaysMm", MonitorBackend.MODEL_MONITOR, data_quality=weekdays)


@pytest.mark.parametrize(
    ("attributes", "alarm", "message"),
    [
        (
            {"probability_attribute": "0", "probability_threshold": 1.5},
            None,
            r"probability_threshold must be a probability in \[0, 1\] \(got 1.5\)",
        ),
        ({"probability_attribute": "0", "probability_threshold": -0.1}, None, r"probability in \[0, 1\]"),
        ({"probability_attribute": "0"}, None, r"probability_attribute/probability_threshold must be both"),
        (
            {"inference_attribute": "0", "start_time_offset": "PT1H", "end_time_offset": "-PT1H"},
            None,
            r"negative ISO-8601",
        ),
        (
            {"inference_attribute": "0", "start_time_offset": "-PT1H", "end_time_offset": "-PT2H"},
            None,
            r"start offset earlier",
        ),
        ({"inference_attribute": "0", "start_time_offset": "-PT1H"}, None, r"both or neither"),
        ({}, None, r"inference_attribute \(the predicted label\) or probability_attribute"),
        (
            {"inference_attribute": "0"},
            DriftAlarm.below("accuracy", 80.0),
            r"alarms\[0\].threshold must be a value in \[0, 1\]",
        ),
    ],
)
def test_bad_thresholds_and_attributes_are_rejected(
    f: Foundation, attributes: dict[str, object], alarm: DriftAlarm | None, message: str
) -> None:
    quality = ModelQualityMonitor(
        problem_type=ProblemType.BINARY_CLASSIFICATION,
        ground_truth=S3Path(f.buckets.data.bucket, "gt"),
        attributes=CaptureAttributes(**attributes),  # type: ignore[arg-type]
        alarms=[alarm] if alarm else [],
    )
    with pytest.raises(ValidationError, match=message):
        _monitor(f, f"Bad{abs(hash(message)) % 10_000}", model_quality=quality)


def test_feature_drift_threshold_outside_unit_interval_is_rejected(f: Foundation) -> None:
    monitor = DataQualityMonitor(alarms=[DriftAlarm.feature_drift("tenure", 2.0)])
    with pytest.raises(ValidationError, match=r"feature_baseline_drift_tenure is a distance or a fraction"):
        _monitor(f, "Drift", data_quality=monitor)


def test_regression_takes_no_threshold(f: Foundation) -> None:
    quality = ModelQualityMonitor(
        problem_type=ProblemType.REGRESSION,
        ground_truth=S3Path(f.buckets.data.bucket, "gt"),
        attributes=CaptureAttributes(probability_attribute="0", probability_threshold=0.5),
    )
    with pytest.raises(ValidationError, match=r"binary classification only"):
        _monitor(f, "Regression", model_quality=quality)


def test_switching_backend_keeps_the_metric_dimensions() -> None:
    names = []
    for backend in MonitorBackend:
        f = foundation(App(), "Switch")
        _monitor(f, "Monitor", backend, data_quality=DataQualityMonitor())
        monitor = f.stack.node.find_child("Monitor")
        assert isinstance(monitor, ModelMonitor)
        names.append(monitor.schedule(MonitoringType.DATA_QUALITY).monitoring_schedule_name)
    assert names[0] == names[1] and names[0].startswith("switch-monitor-dataquality")
