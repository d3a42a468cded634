"""The local AWS emulator: moto in server mode on localhost, and what it does and does not do.

moto's CloudFormation creates only the resource types it has a model for; any other type is
silently left out of the stack (the stack still reaches ``CREATE_COMPLETE``). It records custom
resources but runs their provider Lambda only in Docker, which this job never uses, so a custom
resource "completes" without having done anything. And its CloudFormation delete cannot remove some
EC2 types (route tables, VPC endpoints), which makes the VPC undeletable. This module knows those
facts so the job can report them instead of mistaking them for success.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent

#: moto's default account: the emulator accepts any credentials and answers with this one.
EMULATOR_ACCOUNT = "123456789012"
EMULATOR_REGION = "us-east-1"
#: Dummy credentials for the emulator; never real ones.
EMULATOR_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

#: Why a resource the template declares is absent from (or inert in) the emulator's stack.
REASON_NOT_IMPLEMENTED = "type not implemented by moto's CloudFormation (not created)"
REASON_CUSTOM_RESOURCE = "custom resource: moto runs the provider Lambda only in Docker (not executed)"


#: Declared properties moto 5.2.1's CloudFormation does not apply: ``(type, smoke check) -> reason``.
#: The smoke check still runs; if moto starts applying the property, it simply passes.
PROPERTY_GAPS: dict[tuple[str, str], str] = {
    ("AWS::S3::Bucket", "versioning"): "moto's CloudFormation ignores VersioningConfiguration",
    ("AWS::S3::Bucket", "public access blocked"): "moto's CloudFormation ignores PublicAccessBlockConfiguration",
}


class EmulatorError(RuntimeError):
    """The emulator could not be started or did not answer."""


def free_port() -> int:
    """A TCP port on the loopback interface that is free right now.

    Returns:
        The port number (the caller binds it soon after; :class:`MotoServer` retries on a clash).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class MotoServer:
    """A (patched) ``moto_server`` subprocess on localhost; use as a context manager so it is always stopped.

    Attributes:
        port: the TCP port it listens on (127.0.0.1).
        log_path: where its output goes (kept for debugging a failed run).
        env: the environment it runs with (sanitized by the caller: no real credentials).
    """

    port: int
    log_path: Path
    env: dict[str, str]
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        """The endpoint URL for SDKs and the CDK CLI (``localhost``, which the CLI needs)."""
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        """Launch the server process (returns at once; see :meth:`wait_ready`)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        # moto's server with the CloudFormation fixes in scripts/emulator_server.py (see PATCHES).
        env = dict(self.env)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.emulator_server", "-H", "127.0.0.1", "-p", str(self.port)],
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until the server answers HTTP on its port.

        Args:
            timeout: seconds to wait before giving up.

        Raises:
            EmulatorError: the process exited or did not answer in time (its log is quoted).
        """
        deadline = time.monotonic() + timeout
        url = f"{self.endpoint}/moto-api/"
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise EmulatorError(f"moto_server exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise EmulatorError(f"moto_server did not answer on {url} within {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s); safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_moto(log_path: Path, env: dict[str, str], *, port: int = 0, attempts: int = 3) -> MotoServer:
    """Start moto on a free (or the given) port and wait until it answers.

    Args:
        log_path: file for the server's output.
        env: the server's environment.
        port: a fixed port; 0 picks a free one (retried on a clash).
        attempts: how many ports to try when picking.

    Returns:
        A running server; the caller must :meth:`MotoServer.stop` it.

    Raises:
        EmulatorError: no attempt produced a server that answers.
    """
    last: EmulatorError | None = None
    for _ in range(1 if port else attempts):
        server = MotoServer(port=port or free_port(), log_path=log_path, env=env)
        server.start()
        try:
            server.wait_ready()
            return server
        except EmulatorError as err:
            server.stop()
            last = err
        except BaseException:
            server.stop()
            raise
    assert last is not None
    raise last


@lru_cache(maxsize=1)
def supported_types() -> frozenset[str]:
    """The CloudFormation resource types moto's CloudFormation can create (its model map).

    Read from the installed moto (the same package the server runs), so it follows moto upgrades.
    """
    from moto.cloudformation import parsing

    types: set[str] = {t for t in parsing.get_model_map() if t.startswith("AWS::")}
    return frozenset(types - set(parsing.NULL_MODELS))


def emulator_outcome(resource_type: str, present: bool) -> tuple[str, str]:
    """Classify one declared resource after an emulator deploy.

    Args:
        resource_type: its CloudFormation type.
        present: whether the emulator's stack lists it with a physical id.

    Returns:
        ``(outcome, reason)`` where outcome is ``created``, ``skipped`` (the emulator does not
        implement it: expected, but not a success) or ``missing`` (the emulator implements the type
        and still did not create it: a failure).
    """
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return "skipped", REASON_CUSTOM_RESOURCE
    if present:
        return "created", ""
    if resource_type not in supported_types():
        return "skipped", REASON_NOT_IMPLEMENTED
    return "missing", "moto implements this type but did not create it"


def pre_destroy_cleanup(clients: Any, resources: list[tuple[str, str]]) -> list[str]:
    """Delete, through the EC2 API, what moto's CloudFormation delete cannot (emulator only).

    moto's stack delete has no delete for ``AWS::EC2::RouteTable``,
    ``AWS::EC2::SubnetRouteTableAssociation``, ``AWS::EC2::VPCEndpoint`` or
    ``AWS::IAM::ManagedPolicy``: the leftover route tables make the VPC undeletable, and the
    policies still attached to roles make the roles undeletable, so ``cdk destroy`` fails. Real
    CloudFormation deletes them, so the job removes them (detaches the policies) first and says so.

    Args:
        clients: a factory ``clients(service) -> boto3 client`` bound to the emulator.
        resources: ``(type, physical id)`` of the created resources of the stacks to destroy.

    Returns:
        One line per action taken, for the log.
    """
    ec2 = clients("ec2")
    actions: list[str] = []
    endpoints = [pid for rtype, pid in resources if rtype == "AWS::EC2::VPCEndpoint"]
    if endpoints:
        ec2.delete_vpc_endpoints(VpcEndpointIds=endpoints)
        actions.append(f"deleted {len(endpoints)} VPC endpoint(s)")
    tables = sorted({pid for rtype, pid in resources if rtype == "AWS::EC2::RouteTable"})
    for table_id in tables:
        found = ec2.describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [table_id]}])
        for table in found.get("RouteTables", []):
            for assoc in table.get("Associations", []):
                if not assoc.get("Main"):
                    ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
            ec2.delete_route_table(RouteTableId=table_id)
    if tables:
        actions.append(f"deleted {len(tables)} route table(s) and their subnet associations")
    iam = clients("iam")
    detached = 0
    for rtype, pid in resources:
        if rtype != "AWS::IAM::Role" or not pid:
            continue
        name = pid.split("/")[-1]
        for policy in iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
            detached += 1
    if detached:
        actions.append(f"detached {detached} managed policy attachment(s) from roles")
    return actions
