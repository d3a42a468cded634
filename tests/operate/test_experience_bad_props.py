"""Library experience (issue 13), operate layer: schedules (monitoring, retraining, batch transform) with
out-of-range fields, an unknown region for the monitoring images, and a new-data trigger on an imported
bucket whose EventBridge notifications the app cannot see (a warning saying how to turn them on)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match
from constructs import Construct

from constructs_ml.errors import ValidationError
from constructs_ml.operate import (
    AlarmTopic,
    DataQualityMonitor,
    ModelMonitor,
    MonitorBackend,
    MonitoringType,
    MonitorSchedule,
    NewDataTrigger,
    RetrainingTrigger,
    ScheduleTrigger,
    monitoring_image_uri,
)
from constructs_ml.schedules import schedule_problems
from constructs_ml.serve import BatchTransform, Endpoint, S3Path
from tests.serve.conftest import Foundation, foundation

PIPELINE = "arn:aws:sagemaker:eu-west-1:111111111111:pipeline/churn-training"
_ids = iter(range(10_000))


@pytest.fixture(scope="module")
def f() -> Iterator[Foundation]:
    yield foundation(App(), "Exp")


def _monitor(f: Foundation, backend: MonitorBackend, schedule: MonitorSchedule, **kwargs: object) -> ModelMonitor:
    name = f"Mon{next(_ids)}"
    endpoint = Endpoint.from_endpoint_attributes(
        f.stack, f"{name}Ep", endpoint_name="churn", data_capture=S3Path(f.buckets.capture.bucket, "capture")
    )
    return ModelMonitor(
        f.stack,
        name,
        endpoint=endpoint,
        backend=backend,
        output=S3Path(f.buckets.capture.bucket, "monitoring"),
        kms_key=f.keys.data,
        vpc=f.network.vpc,
        security_groups=[f.network.workload_security_group],
        alarm_topic=AlarmTopic(f.stack, f"{name}Topic", master_key=f.keys.messaging).topic,
        data_quality=DataQualityMonitor(schedule=schedule),
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_str_monitor_instance_type_is_a_validation_error(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"Exp/Mon\d+: instance_type must be an InstanceType, not str"):
        _monitor(f, MonitorBackend.PIPELINE, MonitorSchedule.hourly(), instance_type="ml.m5.xlarge")


@pytest.mark.parametrize("backend", list(MonitorBackend))
@pytest.mark.parametrize(
    "schedule",
    [MonitorSchedule.daily(25), MonitorSchedule.daily(-1), MonitorSchedule.every_hours(2, start_hour=24)],
    ids=["daily-25", "daily-minus-1", "every-2-from-24"],
)
def test_monitor_schedules_with_impossible_hours_fail(
    f: Foundation, backend: MonitorBackend, schedule: MonitorSchedule
) -> None:
    with pytest.raises(ValidationError, match=r"Exp/Mon\d+: DataQuality\.schedule .*hour"):
        _monitor(f, backend, schedule)


def test_model_monitor_takes_no_rate_expression(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"a SageMaker monitoring cron expression"):
        _monitor(f, MonitorBackend.MODEL_MONITOR, MonitorSchedule.cron("rate(1 hour)"))


def test_a_daily_monitor_at_a_real_hour_is_accepted(f: Foundation) -> None:
    for backend in MonitorBackend:
        _monitor(f, backend, MonitorSchedule.daily(23))


def test_an_unknown_region_for_monitoring_images_is_a_validation_error() -> None:
    stack = Stack(App(), "Nowhere", env=Environment(account="111111111111", region="xx-nowhere-9"))
    scope = Construct(stack, "Monitor")
    message = r"Nowhere/Monitor: DataQuality image must be .*xx-nowhere-9.*image_uris="
    with pytest.raises(ValidationError, match=message):
        monitoring_image_uri(scope, MonitoringType.DATA_QUALITY)


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        (events.Schedule.cron(hour="25", minute="0"), r"hours: '25'"),
        (events.Schedule.cron(minute="60"), r"minutes: '60'"),
        (events.Schedule.cron(day="32", hour="1", minute="0"), r"day-of-month: '32'"),
        (events.Schedule.cron(month="13", hour="1", minute="0"), r"month: '13'"),
    ],
)
def test_retraining_schedules_are_checked_field_by_field(f: Foundation, schedule: events.Schedule, why: str) -> None:
    with pytest.raises(ValidationError, match=rf"schedule\.schedule must be a valid EventBridge schedule: {why}"):
        RetrainingTrigger(
            f.stack,
            f"Retrain{next(_ids)}",
            pipeline=PIPELINE,
            schedule=ScheduleTrigger(schedule),
            vpc=f.network.vpc,
            key=f.keys.messaging,
            alarm_topic=sns.Topic.from_topic_arn(
                f.stack, f"T{next(_ids)}", "arn:aws:sns:eu-west-1:111111111111:alerts"
            ),
        )


def test_batch_transform_schedules_are_checked_field_by_field(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"Exp/Batch: schedule must be a valid EventBridge schedule: hours: '25'"):
        BatchTransform(
            f.stack,
            "Batch",
            model=f.model("BatchModel"),
            input_data=S3Path(f.buckets.data.bucket, "scoring/incoming"),
            output=S3Path(f.buckets.artifacts.bucket, "scoring/results"),
            vpc=f.network.vpc,
            security_groups=[f.network.workload_security_group],
            encryption_key=f.keys.data,
            schedule=events.Schedule.cron(hour="25", minute="0"),
            alarm_topic=sns.Topic.from_topic_arn(f.stack, "BatchTopic", "arn:aws:sns:eu-west-1:111111111111:alerts"),
        )


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 2 * * ? *)",
        "cron(15 2 ? * MON-FRI *)",
        "cron(0/15 * * * ? *)",
        "cron(0 2 L * ? *)",
        "rate(5 minutes)",
        "rate(1 day)",
    ],
)
def test_valid_eventbridge_schedules_pass(expression: str) -> None:
    assert schedule_problems(expression) == []


def test_an_imported_new_data_bucket_gets_a_warning_on_how_to_enable_events() -> None:
    f = foundation(App(), "NewData")
    bucket = s3.Bucket.from_bucket_name(f.stack, "Landing", "landing-zone-data")
    RetrainingTrigger(
        f.stack,
        "Retrain",
        pipeline=PIPELINE,
        new_data=NewDataTrigger(bucket, "churn/incoming/"),
        vpc=f.network.vpc,
        key=f.keys.messaging,
        alarm_topic=AlarmTopic(f.stack, "Alerts", master_key=f.keys.messaging).topic,
    )
    warnings = Annotations.from_stack(f.stack).find_warning(
        "/NewData/Retrain",
        Match.string_like_regexp("new_data.bucket NewData/Landing is imported.*EventBridgeConfiguration"),
    )
    assert len(warnings) == 1


def test_a_platform_new_data_bucket_gets_no_warning() -> None:
    f = foundation(App(), "Owned")
    RetrainingTrigger(
        f.stack,
        "Retrain",
        pipeline=PIPELINE,
        new_data=NewDataTrigger(f.buckets.data, "churn/incoming/"),
        vpc=f.network.vpc,
        key=f.keys.messaging,
        alarm_topic=AlarmTopic(f.stack, "Alerts", master_key=f.keys.messaging).topic,
    )
    assert Annotations.from_stack(f.stack).find_warning("*", Match.string_like_regexp("is imported")) == []
