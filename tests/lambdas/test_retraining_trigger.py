"""The retraining trigger against moto's SageMaker and DynamoDB, with documented EventBridge event shapes."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.sagemaker.models import sagemaker_backends
from retraining_trigger import config as config_module
from retraining_trigger import handler as trigger_handler
from retraining_trigger.events import Trigger, parse
from retraining_trigger.idempotency import ClaimInProgress, IdempotencyStore
from retraining_trigger.logic import decide

from tests.lambdas.conftest import ACCOUNT, REGION, lambda_context, load_event, log_lines

PIPELINE = "churn-training"
PIPELINE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/{PIPELINE}"
TABLE = "glue-idempotency"
BUCKET = "ml-platform-data"
PREFIX = "churn/incoming/"
ALARM_ARN = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:churn-feature-drift"
SCHEDULE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/churn-data-quality"
ENV = {
    "PIPELINE_ARN": PIPELINE_ARN,
    "IDEMPOTENCY_TABLE_NAME": TABLE,
    "COOLDOWN_SECONDS": "0",
    "DATA_BUCKET": BUCKET,
    "DATA_PREFIX": PREFIX,
    "ALARM_ARNS": ALARM_ARN,
    "MONITORING_SCHEDULE_ARNS": SCHEDULE_ARN,
    "FUNCTION_TIMEOUT_SECONDS": "60",
}


class Aws:
    """moto-backed clients and helpers to read what the function did."""

    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)

    def executions(self) -> list[dict[str, Any]]:
        return list(self.sagemaker.list_pipeline_executions(PipelineName=PIPELINE)["PipelineExecutionSummaries"])

    def parameters(self, execution_arn: str) -> dict[str, str]:
        response = self.sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=execution_arn)
        return {p["Name"]: p["Value"] for p in response["PipelineParameters"]}

    def table_items(self) -> list[dict[str, Any]]:
        return list(self.dynamodb.scan(TableName=TABLE)["Items"])

    def set_status(self, execution_arn: str, status: str) -> None:
        # moto completes executions at once ("Succeeded"); set the state a real, running execution has.
        pipeline = sagemaker_backends[ACCOUNT][REGION].pipelines[PIPELINE]
        pipeline.pipeline_executions[execution_arn].pipeline_execution_status = status


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A pipeline with the two parameters the trigger passes, the idempotency table, and the env."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    trigger_handler.settings.cache_clear()
    trigger_handler.client.cache_clear()
    with mock_aws():
        aws = Aws()
        definition = {
            "Version": "2020-12-01",
            "Parameters": [
                {"Name": "InputDataUrl", "Type": "String", "DefaultValue": f"s3://{BUCKET}/{PREFIX}"},
                {"Name": "TriggerReason", "Type": "String", "DefaultValue": "manual"},
            ],
            "Steps": [],
        }
        aws.sagemaker.create_pipeline(
            PipelineName=PIPELINE,
            PipelineDefinition=json.dumps(definition),
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/pipeline",
        )
        aws.dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        aws.dynamodb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        yield aws
    trigger_handler.settings.cache_clear()
    trigger_handler.client.cache_clear()


def invoke(event: Any) -> dict[str, Any]:
    return trigger_handler.handler(event, lambda_context())


# -- each trigger kind ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "kind", "data_uri"),
    [
        ("s3_object_created", "new-data", f"s3://{BUCKET}/{PREFIX}2021-11-12/part-0001.csv"),
        ("scheduled_event", "schedule", None),
        ("alarm_state_change", "drift-alarm", None),
        ("monitoring_violation", "monitoring-violation", None),
    ],
)
def test_each_trigger_kind_starts_the_pipeline_with_mapped_parameters(
    aws: Aws, capsys: pytest.CaptureFixture[str], fixture: str, kind: str, data_uri: str | None
) -> None:
    event = load_event(fixture)
    result = invoke(event)

    assert result["decision"] == "started", result
    assert result["kind"] == kind
    executions = aws.executions()
    assert [e["PipelineExecutionArn"] for e in executions] == [result["execution_arn"]]
    params = aws.parameters(result["execution_arn"])
    assert params.get("TriggerReason") == kind
    assert params.get("InputDataUrl") == data_uri  # only new data carries a URI; others keep the default
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "INFO" and line["decision"] == "started" and line["event_id"] == event["id"]
    assert line["execution_arn"] == result["execution_arn"]
    assert line["request_id"] == lambda_context().aws_request_id


def test_client_request_token_is_derived_from_the_event_id(aws: Aws) -> None:
    sent: list[dict[str, Any]] = []
    sagemaker = trigger_handler.client("sagemaker")
    sagemaker.meta.events.register(
        "provide-client-params.sagemaker.StartPipelineExecution", lambda params, **_: sent.append(dict(params))
    )
    event = load_event("scheduled_event")
    invoke(event)

    expected = hashlib.sha256(f"{PIPELINE_ARN}|{event['id']}".encode()).hexdigest()
    assert [p["ClientRequestToken"] for p in sent] == [expected]
    assert sent[0]["PipelineName"] == PIPELINE  # same account and region: called by name
    assert sent[0]["PipelineExecutionDisplayName"].startswith("schedule-53dc4d37")


# -- duplicates and concurrency ----------------------------------------------------------------


def test_a_redelivered_event_starts_nothing_twice(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    event = load_event("s3_object_created")
    first = invoke(event)
    second = invoke(load_event("s3_object_created"))

    assert first["decision"] == "started"
    assert second["decision"] == "duplicate"
    assert second["execution_arn"] == first["execution_arn"]
    assert len(aws.executions()) == 1
    lines = log_lines(capsys.readouterr().out)
    assert [line["decision"] for line in lines] == ["started", "duplicate"]


def test_a_duplicate_arriving_while_the_first_is_in_flight_starts_nothing_and_is_not_acknowledged(aws: Aws) -> None:
    # The first delivery has claimed the event (conditional write) but not finished: a concurrent
    # duplicate must not start a second execution, nor report success (the first may still fail).
    store = IdempotencyStore(aws.dynamodb, TABLE, ttl_seconds=3600)
    event = load_event("scheduled_event")
    assert store.claim(event["id"], time.time(), 70).claimed

    with pytest.raises(ClaimInProgress, match="claimed by another invocation"):
        invoke(event)

    assert aws.executions() == []


def test_only_one_of_two_concurrent_claims_of_an_event_wins(aws: Aws) -> None:
    store = IdempotencyStore(aws.dynamodb, TABLE, ttl_seconds=3600)
    first = store.claim("evt-1", 1000.0, 70)
    second = store.claim("evt-1", 1000.0, 70)

    assert first.claimed and first.token
    assert not second.claimed
    assert second.previous is not None and second.previous["status"] == "IN_PROGRESS"


def test_an_abandoned_claim_is_taken_over_after_its_lease(aws: Aws) -> None:
    config = config_module.load(ENV)
    store = IdempotencyStore(aws.dynamodb, TABLE, ttl_seconds=3600)
    trigger = parse(load_event("scheduled_event"), config)
    assert isinstance(trigger, Trigger)
    assert store.claim("53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", 1_000_000.0, 60).claimed  # the invocation died

    with pytest.raises(ClaimInProgress):
        decide(
            trigger,
            config,
            sagemaker=aws.sagemaker,
            store=store,
            pipeline_ref=PIPELINE,
            now=1_000_030.0,
            lease_seconds=70,
        )
    after_lease = decide(
        trigger, config, sagemaker=aws.sagemaker, store=store, pipeline_ref=PIPELINE, now=1_000_061.0, lease_seconds=70
    )

    assert after_lease.decision == "started"
    assert len(aws.executions()) == 1


# -- debounce and cooldown ----------------------------------------------------------------------


def test_no_new_start_while_an_execution_is_running(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    running = aws.sagemaker.start_pipeline_execution(PipelineName=PIPELINE, ClientRequestToken="m" * 32)
    aws.set_status(running["PipelineExecutionArn"], "Executing")

    result = invoke(load_event("monitoring_violation"))

    assert result["decision"] == "debounced"
    assert result["execution_arn"] == running["PipelineExecutionArn"]
    assert len(aws.executions()) == 1
    (line,) = log_lines(capsys.readouterr().out)
    assert line["decision"] == "debounced" and "in flight" in line["reason"]
    # The decision is recorded: the same event redelivered later is a duplicate, not a late start.
    aws.set_status(running["PipelineExecutionArn"], "Succeeded")
    assert invoke(load_event("monitoring_violation"))["decision"] == "duplicate"
    assert len(aws.executions()) == 1


def test_a_stopping_execution_also_debounces(aws: Aws) -> None:
    running = aws.sagemaker.start_pipeline_execution(PipelineName=PIPELINE, ClientRequestToken="s" * 32)
    aws.set_status(running["PipelineExecutionArn"], "Stopping")

    assert invoke(load_event("scheduled_event"))["decision"] == "debounced"


def test_cooldown_blocks_a_second_start(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COOLDOWN_SECONDS", "3600")
    trigger_handler.settings.cache_clear()
    first = invoke(load_event("s3_object_created"))
    other = load_event("s3_object_created")
    other["id"] = "2f0b6a0e-0f7c-4f3e-9d0e-7a5b3c1d9e8f"
    other["detail"]["object"]["key"] = f"{PREFIX}2021-11-12/part-0002.csv"
    second = invoke(other)

    assert first["decision"] == "started"
    assert second["decision"] == "cooldown"
    assert "3600s cooldown" in second["reason"]
    assert len(aws.executions()) == 1


def test_without_cooldown_a_new_event_starts_again(aws: Aws) -> None:
    invoke(load_event("scheduled_event"))
    other = load_event("scheduled_event")
    other["id"] = "0c1d2e3f-0000-4000-8000-000000000002"

    assert invoke(other)["decision"] == "started"
    assert len(aws.executions()) == 2


def test_the_start_gate_is_atomic_within_the_cooldown(aws: Aws) -> None:
    store = IdempotencyStore(aws.dynamodb, TABLE, ttl_seconds=3600)

    assert store.open_gate(PIPELINE_ARN, 10_000.0, 3600) == (True, None)
    assert store.open_gate(PIPELINE_ARN, 10_010.0, 3600)[0] is False
    assert store.open_gate(PIPELINE_ARN, 13_600.0, 3600) == (True, "10000")


# -- failures: raise (retry, DLQ) and leave no claim behind ---------------------------------------


def test_an_aws_failure_raises_logs_and_releases_the_claim(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIPELINE_ARN", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/missing-pipeline")
    trigger_handler.settings.cache_clear()

    with pytest.raises(ClientError):
        invoke(load_event("scheduled_event"))

    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR" and line["decision"] == "error"
    assert "ValidationException" in line["reason"] or "ClientError" in line["reason"]
    assert aws.table_items() == []  # released: the retry will run the event again


def test_a_failed_start_reopens_the_gate(aws: Aws) -> None:
    config = config_module.load({**ENV, "COOLDOWN_SECONDS": "3600"})
    store = IdempotencyStore(aws.dynamodb, TABLE, ttl_seconds=3600)
    trigger = parse(load_event("scheduled_event"), config)
    assert isinstance(trigger, Trigger)

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "StartPipelineExecution")

    aws.sagemaker.meta.events.register("before-call.sagemaker.StartPipelineExecution", refuse)
    with pytest.raises(ClientError):
        decide(
            trigger, config, sagemaker=aws.sagemaker, store=store, pipeline_ref=PIPELINE, now=50_000.0, lease_seconds=70
        )

    assert store.open_gate(PIPELINE_ARN, 50_001.0, 3600)[0], "the failed start must not hold the cooldown"
    assert [i["pk"]["S"] for i in aws.table_items()] == [f"gate#{PIPELINE_ARN}"]


# -- ignored and malformed events ----------------------------------------------------------------


def _alarm_ok() -> dict[str, Any]:
    event = load_event("alarm_state_change")
    event["detail"]["state"]["value"] = "OK"
    return event


def _monitoring_clean() -> dict[str, Any]:
    event = load_event("monitoring_violation")
    event["detail"]["ExitMessage"] = "Completed: Job completed successfully with no violations."
    return event


def _folder_marker() -> dict[str, Any]:
    event = load_event("s3_object_created")
    event["detail"]["object"]["key"] = f"{PREFIX}2021-11-13/"
    return event


@pytest.mark.parametrize("make_event", [_alarm_ok, _monitoring_clean, _folder_marker])
def test_events_that_ask_for_nothing_are_ignored_without_side_effects(
    aws: Aws, capsys: pytest.CaptureFixture[str], make_event: Any
) -> None:
    result = invoke(make_event())

    assert result["decision"] == "ignored"
    assert aws.executions() == [] and aws.table_items() == []
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "INFO" and line["decision"] == "ignored"


def _without(key: str) -> Any:
    def make() -> dict[str, Any]:
        event = load_event("scheduled_event")
        del event[key]
        return event

    return make


def _with(fixture: str, path: tuple[str, ...], value: Any) -> Any:
    def make() -> dict[str, Any]:
        event = load_event(fixture)
        target = event
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return event

    return make


MALFORMED = {
    "not-an-object": (lambda: ["not", "an", "event"], "must be a JSON object"),
    "missing-detail": (_without("detail"), "event.detail must be an object"),
    "missing-id": (_without("id"), "event.id"),
    "wrong-detail-type": (
        _with("scheduled_event", ("detail-type",), "EC2 Instance State-change Notification"),
        "unsupported event",
    ),
    "other-bucket": (_with("s3_object_created", ("detail", "bucket", "name"), "someone-elses-bucket"), "data bucket"),
    "outside-prefix": (_with("s3_object_created", ("detail", "object", "key"), "tmp/x.csv"), "data prefix"),
    "s3-without-key": (_with("s3_object_created", ("detail", "object"), {}), "detail.object.key"),
    "unknown-alarm": (
        _with("alarm_state_change", ("resources",), [f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:other"]),
        "ALARM_ARNS",
    ),
    "unknown-schedule": (
        _with(
            "monitoring_violation",
            ("detail", "MonitoringScheduleArn"),
            f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/other",
        ),
        "MONITORING_SCHEDULE_ARNS",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_events_are_rejected_with_a_clear_log_line_and_no_side_effect(
    aws: Aws, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    make_event, why = MALFORMED[case]

    result = invoke(make_event())  # returned, not raised: a retry cannot fix a malformed event

    assert result["decision"] == "rejected"
    assert why in result["reason"]
    assert aws.executions() == []
    assert aws.table_items() == []
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR" and line["decision"] == "rejected" and why in line["reason"]


# -- configuration --------------------------------------------------------------------------------


def test_configuration_errors_name_every_problem() -> None:
    with pytest.raises(config_module.ConfigError) as caught:
        config_module.load({"PIPELINE_ARN": "churn-training", "COOLDOWN_SECONDS": "soon", "ALARM_ARNS": "x"})

    message = str(caught.value)
    assert "PIPELINE_ARN must be arn:" in message
    assert "IDEMPOTENCY_TABLE_NAME is required" in message
    assert "COOLDOWN_SECONDS must be an integer" in message
    assert "ALARM_ARNS: 'x' is not a CloudWatch alarm ARN" in message


def test_the_handler_fails_loudly_on_a_bad_environment(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PIPELINE_ARN")
    trigger_handler.settings.cache_clear()

    with pytest.raises(config_module.ConfigError, match="PIPELINE_ARN is required"):
        invoke(load_event("scheduled_event"))

    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR" and "PIPELINE_ARN is required" in line["reason"]
    assert aws.executions() == []


def test_parameters_can_be_switched_off(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INPUT_DATA_PARAMETER", "")
    monkeypatch.setenv("TRIGGER_REASON_PARAMETER", "")
    trigger_handler.settings.cache_clear()

    result = invoke(load_event("s3_object_created"))

    assert aws.parameters(result["execution_arn"]) == {}


def test_a_pipeline_in_another_account_is_called_by_arn() -> None:
    config = config_module.load(ENV)

    assert config.pipeline_ref(ACCOUNT, REGION) == PIPELINE
    assert config.pipeline_ref("210987654321", REGION) == PIPELINE_ARN
    assert config.pipeline_ref(ACCOUNT, "us-east-1") == PIPELINE_ARN
