"""Fixtures for the Lambda glue tests: the packaged code on sys.path, fake AWS credentials, events, logs.

The code under test is imported exactly as Lambda imports it: the folder the construct ships
(:func:`constructs_ml.operate.glue_function.lambda_code_root`, i.e. ``constructs_ml._lambdas``) goes
on ``sys.path`` the way ``/var/task`` does, and handlers are ``<function>.handler``.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from constructs_ml.operate.glue_function import lambda_code_root

CODE_ROOT = lambda_code_root()
if str(CODE_ROOT) not in sys.path:
    sys.path.insert(0, str(CODE_ROOT))

EVENTS = Path(__file__).parent / "events"
ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of a documented EventBridge event shape from ``events/<name>.json``."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return copy.deepcopy(event)


def lambda_context(account: str = ACCOUNT, seconds_left: float = 60.0) -> SimpleNamespace:
    """A Lambda context with the attributes the handlers read (``seconds_left``: time to the deadline)."""
    return SimpleNamespace(
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{account}:function:glue",
        aws_request_id="11111111-2222-3333-4444-555555555555",
        get_remaining_time_in_millis=lambda: int(seconds_left * 1000),
    )


def log_lines(captured: str) -> list[dict[str, Any]]:
    """The JSON log lines in captured stdout (every line must be JSON: that is the contract)."""
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Credentials and region for moto; never real ones."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    yield
