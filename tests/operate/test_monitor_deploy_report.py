"""The emulator report's smoke probe for the monitoring schedules (EventBridge rules with direct pipeline
targets), against moto's EventBridge with a real boto3 client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.deploy_report import PROBES

PIPELINE = "arn:aws:sagemaker:eu-west-1:111111111111:pipeline/monitor"
QUEUE = "arn:aws:sqs:eu-west-1:111111111111:dlq"
ROLE = "arn:aws:iam::111111111111:role/trigger"


@pytest.fixture
def clients() -> Iterator[Any]:
    with mock_aws():
        events = boto3.client("events", region_name="eu-west-1")
        events.put_rule(Name="monitor-schedule", ScheduleExpression="cron(0 * ? * * *)")
        events.put_targets(
            Rule="monitor-schedule",
            Targets=[
                {
                    "Id": "Target0",
                    "Arn": PIPELINE,
                    "RoleArn": ROLE,
                    "DeadLetterConfig": {"Arn": QUEUE},
                    "RetryPolicy": {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 3600},
                }
            ],
        )
        yield lambda service: {"events": events}[service]


def _declared(schedule: str, **target: Any) -> dict[str, Any]:
    return {"ScheduleExpression": schedule, "Targets": [{"Id": "Target0", "Arn": {"Ref": "Pipeline"}, **target}]}


def test_rule_probe_checks_schedule_targets_dead_letters_and_retries(clients: Any) -> None:
    props = _declared("cron(0 * ? * * *)", DeadLetterConfig={"Arn": {"Fn::GetAtt": ["Q", "Arn"]}}, RetryPolicy={})
    props["Targets"][0]["RetryPolicy"] = {"MaximumRetryAttempts": 8}
    found = PROBES["AWS::Events::Rule"](clients, "monitor-schedule", props)
    assert {name: ok for name, ok, _ in found} == {
        "exists": True,
        "schedule": True,
        "targets": True,
        "Target0 dead-letter queue": True,
        "Target0 retry policy": True,
    }


def test_rule_probe_fails_on_a_changed_schedule_or_a_missing_target(clients: Any) -> None:
    found = {
        n: ok for n, ok, _ in PROBES["AWS::Events::Rule"](clients, "monitor-schedule", _declared("cron(0 3 ? * * *)"))
    }
    assert found["schedule"] is False
    props = _declared("cron(0 * ? * * *)")
    props["Targets"].append({"Id": "Target1", "Arn": "x", "DeadLetterConfig": {"Arn": QUEUE}})
    found = {n: ok for n, ok, _ in PROBES["AWS::Events::Rule"](clients, "monitor-schedule", props)}
    assert found["targets"] is False and found["Target1 dead-letter queue"] is False
