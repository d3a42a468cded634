"""Endpoint fleets: resources per endpoint and synth cost for 1..N endpoints.

``python -m benchmarks.fleet --endpoints 1 10 50 100 200`` synthesizes, for each count, a platform
foundation (keys, network, buckets, guardrail, alarm topic) and an :class:`~constructs_ml.serve.EndpointFleet`
of that many endpoints, each in a fresh Python process (so times, jsii round trips and peak memory
are per app), and prints resources per stack and per endpoint. The per-endpoint figure is the
marginal one: (fleet resources with N endpoints - with 0) / N. ``--one-stack`` puts every endpoint in
the foundation's stack instead, which shows where CloudFormation's 500-resource limit is hit.

Each endpoint: a model in the VPC with its own execution role, an endpoint config, the endpoint
(shared data key and alarm topic, two default rollback alarms), instance autoscaling; ``--monitor``
adds data capture and a data-quality monitor (Model Monitor backend).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def build_app(
    endpoints: int,
    *,
    monitor: bool = False,
    one_stack: bool = False,
    governed: bool = True,
    endpoints_per_stack: int = 25,
    outdir: str | None = None,
) -> Any:
    """The benchmark app (not synthesized): a foundation stack and ``endpoints`` endpoints."""
    from aws_cdk import App, Environment, Stack
    from aws_cdk import aws_ecr as ecr
    from constructs import Construct

    from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, SageMakerGuardrail
    from constructs_ml.governance import VALIDATION_CONTEXT, apply_governance
    from constructs_ml.operate import DataQualityMonitor, ModelMonitor, MonitorBackend
    from constructs_ml.serve import (
        AlarmTopic,
        Autoscaling,
        ContainerImage,
        DataCapture,
        Endpoint,
        EndpointFleet,
        InstanceVariant,
        Model,
        ModelData,
        S3Path,
    )

    env = Environment(account="111111111111", region="eu-west-1")
    app = App(context=dict(VALIDATION_CONTEXT), outdir=outdir or tempfile.mkdtemp(prefix="fleet-bench-"))
    platform = Stack(app, "Platform", env=env)
    keys = PlatformKeys(platform, "Keys")
    network = MlNetwork(platform, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    buckets = PlatformBuckets(platform, "Buckets", key=keys.data)
    guardrail = SageMakerGuardrail(platform, "Guardrail", keys=[keys.data])
    topic = AlarmTopic(platform, "Alarms", master_key=keys.messaging)
    repository = ecr.Repository.from_repository_name(platform, "Repo", "inference")

    def endpoint(scope: Construct, name: str) -> Endpoint:
        model = Model(
            scope,
            "Model",
            image=ContainerImage.from_ecr_repository(repository, "1.0.0"),
            model_data=ModelData.from_bucket(buckets.artifacts.bucket, f"{name}/model.tar.gz"),
            vpc=network.vpc,
            vpc_subnets=network.subnet_selection,
            security_groups=[network.workload_security_group],
            guardrail=guardrail.policy,
        )
        ep = Endpoint(
            scope,
            "Endpoint",
            variants=[
                InstanceVariant(model=model, autoscaling=Autoscaling.invocations_per_instance(100, max_capacity=4))
            ],
            kms_key=keys.data,
            alarm_topic=topic.topic,
            data_capture=DataCapture(destination=S3Path(buckets.capture.bucket, name)) if monitor else None,
        )
        if monitor:
            ModelMonitor(
                scope,
                "Monitor",
                endpoint=ep,
                backend=MonitorBackend.MODEL_MONITOR,
                output=S3Path(buckets.capture.bucket, f"monitoring/{name}"),
                kms_key=keys.data,
                vpc=network.vpc,
                vpc_subnets=network.subnet_selection,
                security_groups=[network.workload_security_group],
                guardrail=guardrail.policy,
                data_quality=DataQualityMonitor(),
            )
        return ep

    if one_stack:
        for i in range(endpoints):
            endpoint(Construct(platform, f"Ep{i}"), f"ep{i}")
    else:
        fleet = EndpointFleet(app, "Fleet", env=env, endpoints_per_stack=endpoints_per_stack)
        for i in range(endpoints):
            fleet.add(f"Ep{i}", functools.partial(endpoint, name=f"ep{i}"))
    if governed:
        apply_governance(app)
    return app


def measure_one(endpoints: int, *, monitor: bool, one_stack: bool, governed: bool, per_stack: int) -> dict[str, Any]:
    """Build and synthesize one app in this process; resources per stack, time, round trips, memory."""
    from benchmarks.jsii_counter import install
    from benchmarks.probe import vm_hwm_mib

    counter = install()
    start = time.perf_counter()
    outdir = tempfile.mkdtemp(prefix="fleet-bench-")
    result: dict[str, Any] = {"endpoints": endpoints}
    try:
        app = build_app(
            endpoints,
            monitor=monitor,
            one_stack=one_stack,
            governed=governed,
            endpoints_per_stack=per_stack,
            outdir=outdir,
        )
        built = time.perf_counter()
        assembly = app.synth()
        result["build_seconds"] = round(built - start, 2)
        result["synth_seconds"] = round(time.perf_counter() - built, 2)
        stacks: dict[str, int] = {}
        for artifact in assembly.stacks:
            template = json.loads(Path(assembly.directory, artifact.template_file).read_text())
            stacks[artifact.stack_name] = len(template.get("Resources", {}))
        result["resources_per_stack"] = stacks
        result["resources_total"] = sum(stacks.values())
        result["ok"] = True
    except Exception as err:  # a failed synth is a result too (the 500-resource limit)
        result["ok"] = False
        result["error"] = str(err)[-600:]
    result["total_seconds"] = round(time.perf_counter() - start, 2)
    result["jsii"] = counter.summary()
    result["python_peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["node_peak_mib"] = vm_hwm_mib(counter.kernel_pid) if counter.kernel_pid else None
    return result


def run_child(endpoints: int, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one count in a fresh Python process (its own jsii kernel)."""
    cmd = [sys.executable, "-m", "benchmarks.fleet", "--child", "--endpoints", str(endpoints)]
    cmd += ["--per-stack", str(args.per_stack)]
    cmd += [flag for flag, on in (("--monitor", args.monitor), ("--one-stack", args.one_stack)) if on]
    cmd += [] if args.governed else ["--no-governance"]
    env = dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=3600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"endpoints": endpoints, "ok": False, "error": (proc.stdout + proc.stderr)[-600:]}
    data: dict[str, Any] = json.loads(lines[-1])
    return data


def marginal(results: list[dict[str, Any]], baseline: dict[str, Any] | None) -> None:
    """Add resources per endpoint (marginal over the 0-endpoint app) to each result."""
    if not baseline or not baseline.get("ok"):
        return
    for r in results:
        if r.get("ok") and r["endpoints"]:
            r["resources_per_endpoint"] = round(
                (r["resources_total"] - baseline["resources_total"]) / r["endpoints"], 2
            )
            trips = r["jsii"]["round_trips"] - baseline["jsii"]["round_trips"]
            r["round_trips_per_endpoint"] = round(trips / r["endpoints"], 1)


def markdown_table(data: dict[str, Any]) -> str:
    """The results of ``--json`` as the Markdown table of docs/serve.md."""
    rows = [
        "| endpoints | stacks | resources | resources per endpoint | largest stack | jsii round trips per endpoint "
        "| peak MiB (Python + Node) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in [data["baseline"], *data["results"]]:
        if not r.get("ok"):
            rows.append(f"| {r['endpoints']} | failed | | | | | |")
            continue
        per_stack = r["resources_per_stack"]
        memory = (r.get("python_peak_mib") or 0) + (r.get("node_peak_mib") or 0)
        rows.append(
            f"| {r['endpoints']} | {len(per_stack)} | {r['resources_total']} | {r.get('resources_per_endpoint', '-')} "
            f"| {max(per_stack.values())} | {r.get('round_trips_per_endpoint', '-')} | {memory:.0f} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each count, print a table; ``--json`` writes the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1, 10, 50, 100, 200])
    parser.add_argument("--monitor", action="store_true", help="each endpoint with data capture and a monitor")
    parser.add_argument("--one-stack", action="store_true", help="every endpoint in one stack (no fleet)")
    parser.add_argument("--per-stack", type=int, default=25, help="endpoints_per_stack of the fleet (default 25)")
    parser.add_argument("--no-governance", dest="governed", action="store_false", help="synth without the packs")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--markdown", type=Path, help="print the table of a --json file and exit")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_table(json.loads(args.markdown.read_text())))
        return 0
    if args.child:
        r = measure_one(
            args.endpoints[0],
            monitor=args.monitor,
            one_stack=args.one_stack,
            governed=args.governed,
            per_stack=args.per_stack,
        )
        print(json.dumps(r))
        return 0
    from benchmarks.run import load_average, machine_info

    machine = machine_info()
    baseline = run_child(0, args)
    results = [run_child(n, args) for n in args.endpoints]
    machine["load_average_at_end"] = load_average()
    marginal(results, baseline)
    print(f"{'endpoints':>9} {'stacks':>6} {'resources':>9} {'per ep':>7} {'max/stack':>9} {'synth s':>8} "
          f"{'jsii rt':>8} {'rt/ep':>6} {'py MiB':>6} {'node MiB':>8}")  # fmt: skip
    for r in [baseline, *results]:
        if not r.get("ok"):
            print(f"{r['endpoints']:>9} FAILED: {r.get('error', '')[-300:]}")
            continue
        per_stack = r["resources_per_stack"]
        print(
            f"{r['endpoints']:>9} {len(per_stack):>6} {r['resources_total']:>9} "
            f"{r.get('resources_per_endpoint', ''):>7} {max(per_stack.values()):>9} {r['total_seconds']:>8} "
            f"{r['jsii']['round_trips']:>8} {r.get('round_trips_per_endpoint', ''):>6} "
            f"{r['python_peak_mib']:>6} {r['node_peak_mib']:>8}"
        )
    if args.json:
        options = {
            "monitor": args.monitor,
            "one_stack": args.one_stack,
            "per_stack": args.per_stack,
            "governed": args.governed,
        }
        data = {"machine": machine, "options": options, "baseline": baseline, "results": results}
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
