"""The retraining trigger under real faults: timeouts, throttling, hung calls, foreign events, bad configuration.

Each test reproduces one scenario of issue 12 against moto with real boto3 clients. Faults are
injected with botocore's own event hooks (``before-call`` raising the error AWS would return), the
way a throttled or killed call looks to the handler; time is moved through ``handler.clock``.
Lambda's documented retry schedule for asynchronous invocations (two retries, about one and then two
minutes after a failure; "Configuring error handling for asynchronous invocation", Lambda developer
guide) is what the "retry" invocations below stand for.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from glue_common.aws import CallBudget
from retraining_trigger import config as config_module
from retraining_trigger import handler as trigger_handler
from retraining_trigger.idempotency import ClaimInProgress

from tests.lambdas import test_retraining_trigger as base
from tests.lambdas.conftest import CODE_ROOT, lambda_context, load_event, log_lines
from tests.lambdas.test_retraining_trigger import ENV, Aws

aws = base.aws  # the moto fixture of the base module

T0 = 1_900_000_000.0


class Killed(BaseException):
    """What Lambda does to an invocation at its timeout: it stops, no ``except Exception`` runs."""


def at(monkeypatch: pytest.MonkeyPatch, now: float) -> None:
    monkeypatch.setattr(trigger_handler, "clock", lambda: now)


def fail(aws_client: Any, operation: str, error: BaseException) -> Any:
    def hook(**_: Any) -> None:
        raise error

    aws_client.meta.events.register(f"before-call.{aws_client.meta.service_model.service_name}.{operation}", hook)
    return hook


def unfail(aws_client: Any, operation: str, hook: Any) -> None:
    aws_client.meta.events.unregister(f"before-call.{aws_client.meta.service_model.service_name}.{operation}", hook)


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


# -- 1. a claim never outlives its invocation ----------------------------------------------------------


def test_the_retry_after_a_timeout_starts_the_pipeline(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    sagemaker = trigger_handler.client("sagemaker")
    hook = fail(sagemaker, "StartPipelineExecution", Killed())
    at(monkeypatch, T0)
    with pytest.raises(Killed):  # claimed, then killed at its 60 s timeout before the start went out
        trigger_handler.handler(load_event("scheduled_event"), lambda_context(seconds_left=60))
    unfail(sagemaker, "StartPipelineExecution", hook)
    (claim,) = [i for i in aws.table_items() if i["pk"]["S"].startswith("event#")]
    assert int(claim["lease_expires_at"]["N"]) <= T0 + 60 + config_module.LEASE_MARGIN_SECONDS

    at(monkeypatch, T0 + 60 + 60)  # Lambda's first retry, one minute after the timeout
    result = trigger_handler.handler(load_event("scheduled_event"), lambda_context(seconds_left=60))

    assert result["decision"] == "started", result
    assert len(aws.executions()) == 1


def test_a_throttled_start_whose_release_is_throttled_too_is_retried_not_acknowledged(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sagemaker, dynamodb = trigger_handler.client("sagemaker"), trigger_handler.client("dynamodb")
    start_hook = fail(sagemaker, "StartPipelineExecution", throttled("StartPipelineExecution"))
    release_hook = fail(dynamodb, "DeleteItem", throttled("DeleteItem"))
    at(monkeypatch, T0)
    with pytest.raises(ClientError, match="Throttling"):
        trigger_handler.handler(load_event("scheduled_event"), lambda_context(seconds_left=55))
    unfail(sagemaker, "StartPipelineExecution", start_hook)
    unfail(dynamodb, "DeleteItem", release_hook)
    claims = [i["status"]["S"] for i in aws.table_items() if i["pk"]["S"].startswith("event#")]
    assert claims == ["IN_PROGRESS"]  # the claim could not be released

    at(monkeypatch, T0 + 5 + 60)  # first retry: one minute after the fast failure, the lease still runs
    with pytest.raises(ClaimInProgress):  # not "duplicate": nothing has decided the event yet
        trigger_handler.handler(load_event("scheduled_event"), lambda_context(seconds_left=60))
    at(monkeypatch, T0 + 5 + 60 + 120)  # second retry, two minutes later: the lease has run out
    result = trigger_handler.handler(load_event("scheduled_event"), lambda_context(seconds_left=60))

    assert result["decision"] == "started"
    assert len(aws.executions()) == 1
    decisions = [line["decision"] for line in log_lines(capsys.readouterr().out)]
    assert decisions == ["error", "error", "started"]  # each failure logged and raised (retry, then DLQ)


def test_the_lease_is_bounded_by_the_configured_timeout_not_a_constant() -> None:
    for timeout in (10, 60, 300, 900):
        config = config_module.load({**ENV, "FUNCTION_TIMEOUT_SECONDS": str(timeout)})
        assert config.lease_seconds == timeout + config_module.LEASE_MARGIN_SECONDS
        # a context with more time than the timeout (clock oddities) cannot stretch the lease
        assert trigger_handler.lease_seconds(lambda_context(seconds_left=5000), config) == config.lease_seconds
        assert trigger_handler.lease_seconds(lambda_context(seconds_left=3.2), config) == min(
            config.lease_seconds, 4 + config_module.LEASE_MARGIN_SECONDS
        )


def test_the_timeout_is_required_configuration() -> None:
    env = {k: v for k, v in ENV.items() if k != "FUNCTION_TIMEOUT_SECONDS"}
    with pytest.raises(config_module.ConfigError, match="FUNCTION_TIMEOUT_SECONDS is required"):
        config_module.load(env)


# -- 2. client timeouts and retries fit in the function's timeout -------------------------------------------


@pytest.mark.parametrize("timeout", [3, 10, 30, 60, 120, 300, 900])
def test_every_call_fits_in_its_share_of_the_timeout(timeout: int) -> None:
    budget = CallBudget.for_timeout(timeout)

    assert budget.worst_case_seconds <= 0.3 * timeout + 1e-6
    assert budget.connect_timeout <= 2.0 and budget.read_timeout > 0 and budget.total_max_attempts >= 1


def test_the_handlers_clients_carry_the_budget(aws: Aws) -> None:
    config = trigger_handler.client("sagemaker").meta.config

    assert (config.connect_timeout, config.read_timeout) == (1.667, 3.333)  # 60 s function
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert trigger_handler.client("dynamodb").meta.config.read_timeout == 3.333


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A local HTTP endpoint that accepts connections and never answers: a hung AWS call."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_call_gives_up_within_its_budget(monkeypatch: pytest.MonkeyPatch, silent_server: str) -> None:
    monkeypatch.setenv("FUNCTION_TIMEOUT_SECONDS", "3")  # the smallest budget: one attempt, 0.3 + 0.6 s
    for name, value in ENV.items():
        if name != "FUNCTION_TIMEOUT_SECONDS":
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_server)
    trigger_handler.settings.cache_clear()
    trigger_handler.client.cache_clear()
    try:
        client = trigger_handler.client("dynamodb")
        timeouts = (client.meta.config.connect_timeout, client.meta.config.read_timeout)
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            client.describe_limits()
        elapsed = time.monotonic() - started
    finally:
        trigger_handler.settings.cache_clear()
        trigger_handler.client.cache_clear()

    # The configured budget (a functional fact, not a timing one), and a call that gave up instead of
    # waiting botocore's default 60 s per attempt with retries (bound generous for a loaded machine).
    assert timeouts[1] <= 0.3 * 3 and timeouts[0] <= 0.3 * 3
    assert elapsed < 15


# -- 6. foreign events ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["s3_object_created", "scheduled_event", "alarm_state_change", "monitoring_violation"]
)
@pytest.mark.parametrize(("field", "value"), [("account", "210987654321"), ("region", "us-east-1")])
def test_events_of_another_account_or_region_are_rejected(
    aws: Aws, capsys: pytest.CaptureFixture[str], fixture: str, field: str, value: str
) -> None:
    event = load_event(fixture)
    event[field] = value

    result = trigger_handler.handler(event, lambda_context())

    assert result["decision"] == "rejected" and f"event.{field} {value!r}" in result["reason"]
    assert aws.executions() == [] and aws.table_items() == []
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR" and line["decision"] == "rejected"


# -- 7. configuration validated at cold start ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATA_BUCKET", "s3://ml-platform-data"),
        ("DATA_BUCKET", "arn:aws:s3:::ml-platform-data"),
        ("DATA_BUCKET", "ML_Platform_Data"),
        ("DATA_PREFIX", "s3://ml-platform-data/churn/incoming/"),
        ("DATA_PREFIX", "/churn/incoming/"),
    ],
)
def test_a_bucket_or_prefix_given_as_uri_or_arn_is_a_configuration_error(name: str, value: str) -> None:
    with pytest.raises(config_module.ConfigError) as caught:
        config_module.load({**ENV, name: value})

    (problem,) = caught.value.problems
    assert problem.startswith(f"{name} must be") and repr(value) in problem


def test_a_bad_configuration_is_logged_when_lambda_imports_the_handler() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATA_", "PIPELINE_"))},
        **ENV,
        "DATA_BUCKET": "s3://ml-platform-data",
        "PYTHONPATH": str(CODE_ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", "import retraining_trigger.handler"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=str(CODE_ROOT),
    )

    (line,) = [json.loads(x) for x in done.stdout.splitlines() if x.strip()]
    assert line["level"] == "ERROR" and line["decision"] == "error"
    assert any(p.startswith("DATA_BUCKET must be a bare S3 bucket name") for p in line["problems"])
