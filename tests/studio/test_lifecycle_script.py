"""The shipped idle-shutdown script: valid bash, and its checker stops only idle apps.

The embedded checker runs for real against a fake Jupyter server (http.server), a fake
``resource-metadata.json`` and a fake ``aws`` CLI on PATH that records its arguments.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration

from constructs_ml.studio import MAX_CONTENT_CHARS, LifecycleContent
from constructs_ml.studio.lifecycle import idle_shutdown_script

SCRIPT = idle_shutdown_script(Duration.minutes(30))


def checker_source() -> str:
    start = SCRIPT.index("<<'PYEOF'\n") + len("<<'PYEOF'\n")
    return SCRIPT[start : SCRIPT.index("\nPYEOF\n")]


def test_the_script_is_valid_bash_with_the_timeout_filled_in() -> None:
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, "-n"], input=SCRIPT, text=True, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
    assert 'IDLE_MINUTES="30"' in SCRIPT and "__IDLE_MINUTES__" not in SCRIPT


def test_the_script_needs_no_internet() -> None:
    for forbidden in ("pip install", "curl ", "wget ", "conda install"):
        assert forbidden not in SCRIPT


def test_the_script_fits_the_lifecycle_config_limit() -> None:
    assert len(LifecycleContent.from_string(SCRIPT).encoded) <= MAX_CONTENT_CHARS
    assert base64.b64decode(LifecycleContent.from_string(SCRIPT).encoded).decode() == SCRIPT


class FakeJupyter:
    """Serves /jupyterlab/default/api/{kernels,terminals} with the items a test sets."""

    def __init__(self) -> None:
        self.kernels: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = {
                    "/jupyterlab/default/api/kernels": owner.kernels,
                    "/jupyterlab/default/api/terminals": [],
                }.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(json.dumps(body or {}).encode())

            def log_message(self, *args: Any) -> None:
                return

        self.server = HTTPServer(("localhost", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[FakeJupyter, dict[str, str], Path]]:
    jupyter = FakeJupyter()
    meta = tmp_path / "resource-metadata.json"
    meta.write_text(json.dumps({"DomainId": "d-abc", "SpaceName": "my-space", "ResourceName": "default"}))
    old = (datetime.datetime.now() - datetime.timedelta(hours=3)).timestamp()
    os.utime(meta, (old, old))
    calls = tmp_path / "aws-calls.txt"
    fake_aws = tmp_path / "bin" / "aws"
    fake_aws.parent.mkdir()
    fake_aws.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    fake_aws.chmod(0o755)
    variables = {
        **os.environ,
        "PATH": f"{fake_aws.parent}{os.pathsep}{os.environ['PATH']}",
        "CONSTRUCTS_ML_METADATA": str(meta),
        "CONSTRUCTS_ML_JUPYTER_PORT": str(jupyter.port),
    }
    (tmp_path / "checker.py").write_text(checker_source())
    yield jupyter, variables, calls
    jupyter.server.shutdown()


def run_checker(variables: dict[str, str], calls: Path) -> str:
    script = Path(variables["CONSTRUCTS_ML_METADATA"]).parent / "checker.py"
    subprocess.run([sys.executable, str(script), "30"], env=variables, check=True, capture_output=True, timeout=60)
    return calls.read_text() if calls.exists() else ""


def stamp(minutes_ago: int) -> str:
    t = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=minutes_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_an_app_idle_longer_than_the_limit_is_stopped(env: tuple[FakeJupyter, dict[str, str], Path]) -> None:
    jupyter, variables, calls = env
    jupyter.kernels = [{"execution_state": "idle", "connections": 0, "last_activity": stamp(45)}]
    assert run_checker(variables, calls).split() == [
        "sagemaker",
        "delete-app",
        "--domain-id",
        "d-abc",
        "--app-type",
        "JupyterLab",
        "--app-name",
        "default",
        "--space-name",
        "my-space",
    ]


def test_recent_activity_keeps_the_app(env: tuple[FakeJupyter, dict[str, str], Path]) -> None:
    jupyter, variables, calls = env
    jupyter.kernels = [
        {"execution_state": "idle", "connections": 0, "last_activity": stamp(90)},
        {"execution_state": "idle", "connections": 0, "last_activity": stamp(10)},
    ]
    assert run_checker(variables, calls) == ""


def test_a_busy_kernel_keeps_the_app(env: tuple[FakeJupyter, dict[str, str], Path]) -> None:
    jupyter, variables, calls = env
    jupyter.kernels = [{"execution_state": "busy", "connections": 0, "last_activity": stamp(600)}]
    assert run_checker(variables, calls) == ""


def test_no_kernels_counts_from_app_start(env: tuple[FakeJupyter, dict[str, str], Path]) -> None:
    jupyter, variables, calls = env
    jupyter.kernels = []
    assert "delete-app" in run_checker(variables, calls)  # metadata file is 3 hours old


def test_an_unreachable_server_is_never_stopped(env: tuple[FakeJupyter, dict[str, str], Path]) -> None:
    jupyter, variables, calls = env
    jupyter.server.shutdown()
    jupyter.server.server_close()
    assert run_checker(variables, calls) == ""
