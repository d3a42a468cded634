"""Parse the EventBridge events the retraining trigger accepts into a :class:`Trigger`.

Accepted events (``source`` / ``detail-type``):

- ``aws.s3`` / ``Object Created``: new data; the object must be in ``DATA_BUCKET`` (when set) under
  ``DATA_PREFIX``. Folder markers (keys ending in ``/``) are ignored.
- ``aws.events`` / ``Scheduled Event``: a scheduled retraining.
- ``aws.cloudwatch`` / ``CloudWatch Alarm State Change``: a drift alarm; only a change *to* ``ALARM``
  triggers, other states are ignored. The alarm must be in ``ALARM_ARNS`` when that is set.
- ``aws.sagemaker`` / ``SageMaker Processing Job State Change``: a model monitor job (it carries
  ``MonitoringScheduleArn``) that ``Completed`` with an ``ExitMessage`` starting with
  ``CompletedWithViolations``; other outcomes are ignored. The schedule must be in
  ``MONITORING_SCHEDULE_ARNS`` when that is set.

Every event must come from the function's own account and region (``account`` / ``region`` of the
envelope): rules can be written to a bus by other accounts, and bucket, alarm and schedule names
repeat across accounts. Anything else is malformed (:class:`MalformedEvent`): the handler rejects it
without a retry, since retrying cannot fix the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glue_common.events import MalformedEvent as MalformedEvent  # re-exported: part of this module's API
from glue_common.events import mapping, parse_envelope, string

from .config import Config

KIND_NEW_DATA = "new-data"
KIND_SCHEDULE = "schedule"
KIND_DRIFT_ALARM = "drift-alarm"
KIND_MONITOR_VIOLATION = "monitoring-violation"

S3_OBJECT_CREATED = ("aws.s3", "Object Created")
SCHEDULED = ("aws.events", "Scheduled Event")
ALARM_STATE_CHANGE = ("aws.cloudwatch", "CloudWatch Alarm State Change")
PROCESSING_JOB_STATE_CHANGE = ("aws.sagemaker", "SageMaker Processing Job State Change")
VIOLATIONS_PREFIX = "CompletedWithViolations"


@dataclass(frozen=True)
class Trigger:
    """A well-formed event that asks for a retraining.

    Attributes:
        event_id: the EventBridge event id (the idempotency key).
        kind: ``new-data``, ``schedule``, ``drift-alarm`` or ``monitoring-violation``.
        reason: a human-readable reason (goes into the execution description and the log).
        source_arn: the resource that caused it (bucket, rule, alarm, monitoring schedule).
        data_uri: the S3 URI of the new data (``new-data`` only).
    """

    event_id: str
    kind: str
    reason: str
    source_arn: str | None = None
    data_uri: str | None = None


@dataclass(frozen=True)
class Ignored:
    """A well-formed event that does not ask for a retraining (e.g. an alarm back to OK)."""

    event_id: str
    kind: str
    reason: str


def parse(event: Any, config: Config, account: str | None = None, region: str | None = None) -> Trigger | Ignored:
    """Turn an EventBridge event into a :class:`Trigger` or :class:`Ignored`.

    Args:
        event: the Lambda event as received.
        config: the function's configuration (bucket, prefix, allowed alarms and schedules).
        account: the function's own account; events of any other account are malformed (None: not checked).
        region: the function's own region; events of any other region are malformed (None: not checked).

    Returns:
        A trigger, or the reason the event is ignored.

    Raises:
        MalformedEvent: the event is not an accepted EventBridge event or fails a check.
    """
    envelope = parse_envelope(event)
    event_id, detail = envelope.event_id, envelope.detail
    if envelope.key in (S3_OBJECT_CREATED, SCHEDULED, ALARM_STATE_CHANGE, PROCESSING_JOB_STATE_CHANGE):
        envelope.require_origin(account, region, "the retraining function")
    if envelope.key == S3_OBJECT_CREATED:
        return _new_data(event_id, envelope.first_resource(), detail, config)
    if envelope.key == SCHEDULED:
        rule = envelope.first_resource()
        return Trigger(event_id, KIND_SCHEDULE, f"scheduled retraining ({rule or 'unknown rule'})", rule)
    if envelope.key == ALARM_STATE_CHANGE:
        return _alarm(event_id, envelope.first_resource(), detail, config)
    if envelope.key == PROCESSING_JOB_STATE_CHANGE:
        return _monitoring(event_id, detail, config)
    raise MalformedEvent(f"unsupported event source/detail-type {envelope.source!r}/{envelope.detail_type!r}")


def _new_data(event_id: str, bucket_arn: str | None, detail: dict[str, Any], config: Config) -> Trigger | Ignored:
    bucket = string(mapping(detail, "bucket", "detail"), "name", "detail.bucket")
    key = string(mapping(detail, "object", "detail"), "key", "detail.object")
    if config.data_bucket is not None and bucket != config.data_bucket:
        raise MalformedEvent(f"object is in bucket {bucket!r}, not the data bucket {config.data_bucket!r}")
    if not key.startswith(config.data_prefix):
        raise MalformedEvent(f"object key {key!r} is outside the data prefix {config.data_prefix!r}")
    if key.endswith("/"):
        return Ignored(event_id, KIND_NEW_DATA, f"s3://{bucket}/{key} is a folder marker, not data")
    uri = f"s3://{bucket}/{key}"
    return Trigger(event_id, KIND_NEW_DATA, f"new data {uri}", bucket_arn, uri)


def _alarm(event_id: str, alarm_arn: str | None, detail: dict[str, Any], config: Config) -> Trigger | Ignored:
    name = string(detail, "alarmName", "detail")
    state = string(mapping(detail, "state", "detail"), "value", "detail.state")
    if alarm_arn is None:
        raise MalformedEvent("event.resources must hold the alarm ARN")
    if config.alarm_arns and alarm_arn not in config.alarm_arns:
        raise MalformedEvent(f"alarm {alarm_arn!r} is not one of the configured ALARM_ARNS")
    if state != "ALARM":
        return Ignored(event_id, KIND_DRIFT_ALARM, f"alarm {name} changed to {state}, not ALARM")
    return Trigger(event_id, KIND_DRIFT_ALARM, f"alarm {name} is in ALARM", alarm_arn)


def _monitoring(event_id: str, detail: dict[str, Any], config: Config) -> Trigger | Ignored:
    job = string(detail, "ProcessingJobName", "detail")
    status = string(detail, "ProcessingJobStatus", "detail")
    schedule = detail.get("MonitoringScheduleArn")
    if not isinstance(schedule, str) or not schedule:
        return Ignored(event_id, KIND_MONITOR_VIOLATION, f"processing job {job} is not a model monitor job")
    if config.monitoring_schedule_arns and schedule not in config.monitoring_schedule_arns:
        raise MalformedEvent(f"monitoring schedule {schedule!r} is not one of MONITORING_SCHEDULE_ARNS")
    exit_message = detail.get("ExitMessage")
    if status != "Completed":
        return Ignored(event_id, KIND_MONITOR_VIOLATION, f"monitoring job {job} is {status}")
    if not isinstance(exit_message, str) or not exit_message.startswith(VIOLATIONS_PREFIX):
        return Ignored(event_id, KIND_MONITOR_VIOLATION, f"monitoring job {job} completed without violations")
    return Trigger(event_id, KIND_MONITOR_VIOLATION, f"monitoring job {job}: {exit_message}", schedule)
