"""One measurement in a fresh process, printed as one JSON line (run by ``benchmarks.run``).

``python -m benchmarks.probe synth APP_DIR``: run ``APP_DIR/app.py`` as ``python app.py`` would (the
caller sets ``CDK_OUTDIR`` and ``CDK_CONTEXT_JSON``), with the jsii round-trip counter installed
before anything imports ``aws_cdk``; report round trips by kind, resources in the written templates,
and the peak memory of both processes of the synth (this Python process and its jsii Node kernel,
read from ``/proc`` before the kernel exits).

``python -m benchmarks.probe import``: time ``import constructs_ml`` and count the modules it loaded.

``python -m benchmarks.probe lint ASSEMBLY [REPS]``: cfn-lint on every template of a cloud assembly, as
the tests run it (rules loaded once, templates decoded with cfn-lint's JSON decoder): the seconds to
import cfn-lint and load its rules, and the seconds of each pass over the templates.
"""

from __future__ import annotations

import json
import os
import resource
import runpy
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def vm_hwm_mib(pid: int) -> float | None:
    """Peak resident memory of a live process and its live descendants (sum of ``VmHWM``), in MiB.

    The jsii runtime started by Python is a launcher that runs the kernel in a child Node process,
    so the kernel's memory is in the descendants. None off Linux.
    """
    total_kib = 0
    pending = [pid]
    try:
        while pending:
            current = pending.pop()
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kib += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(c) for c in children)
    except OSError:
        return None
    return round(total_kib / 1024, 1)


def _resources(outdir: Path) -> dict[str, int]:
    """Resources per template written (nested assemblies included)."""
    counts: dict[str, int] = {}
    for template in sorted(outdir.rglob("*.template.json")):
        counts[template.name.removesuffix(".template.json")] = len(
            json.loads(template.read_text()).get("Resources", {})
        )
    return counts


def probe_synth(app_dir: Path) -> dict[str, Any]:
    """Run the app in this process and measure it."""
    from benchmarks.jsii_counter import install

    counter = install()
    outdir = Path(os.environ["CDK_OUTDIR"])
    sys.path.insert(0, str(app_dir))
    os.chdir(app_dir)
    sys.argv = [str(app_dir / "app.py")]
    start = time.perf_counter()
    runpy.run_path(str(app_dir / "app.py"), run_name="__main__")
    seconds = time.perf_counter() - start
    resources = _resources(outdir)
    total = sum(resources.values())
    return {
        "seconds": round(seconds, 2),
        "resources": total,
        "resources_per_template": resources,
        "jsii": counter.summary(),
        "jsii_round_trips_per_resource": round(counter.round_trips / total, 1) if total else None,
        "python_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "node_peak_mib": vm_hwm_mib(counter.kernel_pid) if counter.kernel_pid else None,
    }


def probe_import() -> dict[str, Any]:
    """Time ``import constructs_ml`` and count what it loaded."""
    before = set(sys.modules)
    start = time.perf_counter()
    import constructs_ml  # noqa: F401

    seconds = time.perf_counter() - start
    loaded = set(sys.modules) - before
    return {
        "seconds": round(seconds, 3),
        "modules_loaded": len(loaded),
        "aws_cdk_modules": sum(1 for m in loaded if m == "aws_cdk" or m.startswith("aws_cdk.")),
        "constructs_ml_modules": sum(1 for m in loaded if m.startswith("constructs_ml")),
        "jsii_loaded": "jsii" in loaded,
    }


#: The region cfn-lint checks against (the emulator's; the reference app is environment-agnostic).
LINT_REGION = "us-east-1"


def probe_lint(assembly: Path, reps: int = 3) -> dict[str, Any]:
    """cfn-lint on every template of ``assembly``, ``reps`` passes: load and pass times, findings by level."""
    start = time.perf_counter()
    from cfnlint.config import ConfigMixIn
    from cfnlint.decode import cfn_json
    from cfnlint.runner import Runner, run_template_by_data

    config = ConfigMixIn(regions=[LINT_REGION])
    rules = Runner(config).rules
    load = time.perf_counter() - start
    templates = sorted(assembly.rglob("*.template.json"))
    texts = [t.read_text() for t in templates]
    passes: list[float] = []
    levels: dict[str, int] = {}
    for _ in range(max(reps, 1)):
        began = time.perf_counter()
        levels = {}
        for text in texts:
            for match in run_template_by_data(cfn_json.loads(text), config, rules):
                levels[match.rule.id[0]] = levels.get(match.rule.id[0], 0) + 1
        passes.append(round(time.perf_counter() - began, 3))
    return {
        "region": LINT_REGION,
        "load_seconds": round(load, 3),
        "pass_seconds": passes,
        "median_pass_seconds": round(statistics.median(passes), 3),
        "templates": len(templates),
        "resources": sum(len(json.loads(text).get("Resources", {})) for text in texts),
        "findings_by_level": dict(sorted(levels.items())),
    }


def main() -> int:
    """Dispatch on ``sys.argv``; print one JSON line last."""
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "import":
        result = probe_import()
    elif what == "synth" and len(sys.argv) > 2:
        result = probe_synth(Path(sys.argv[2]).resolve())
    elif what == "lint" and len(sys.argv) > 2:
        result = probe_lint(Path(sys.argv[2]).resolve(), int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        print("usage: python -m benchmarks.probe import | synth APP_DIR | lint ASSEMBLY [REPS]", file=sys.stderr)
        return 2
    print("\n" + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
