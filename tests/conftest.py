"""Suite-wide settings: the Node banner off, the heaviest test modules scheduled first, a rarer cyclic GC.

``make test`` runs the suite on two pytest-xdist workers, one test module per work unit (so each
module's app is synthesized once). Handing out the slowest modules first keeps one long module
from running alone at the end: ``benchmarks/test_durations.json`` (written by
``make bench BENCH_ARGS=--tests``) has each module's measured seconds; a module it does not know
counts as the median. Tests keep their order within a module. pytest-xdist (3.x) reorders
work units by their number of tests unless told not to (``--no-loadscope-reorder`` in
``pyproject.toml``); with its default, the order set here was discarded and the longest module
(the emulator deploy) could start last.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import statistics
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parents[1]
DURATIONS = ROOT / "benchmarks" / "test_durations.json"


#: Cyclic-GC thresholds of the test processes (Python's default is (700, 10, 10)); see ``_tune_gc``.
GC_THRESHOLDS = (50_000, 20, 20)


def pytest_configure(config: pytest.Config) -> None:
    _share_botocore_loader()
    _tune_gc()


def _tune_gc() -> None:
    """The cyclic garbage collector of a test process runs less often.

    A worker's heap is large and long-lived (jsii's object registry, cfn-lint's schemas and rules,
    botocore's service models, every test module), and with Python's default thresholds each full
    collection walked all of it again, dozens of times per run. Raised thresholds make collections
    rare; :func:`pytest_collection_finish` also freezes what collection imported, so no collection
    walks it again. Reference counting still frees everything not in a cycle at once; cycles wait
    longer, and a worker's peak memory rose by about 5% when this was measured. The library itself
    does not touch the collector (its synths spend little time in it).
    """
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze the objects collection left alive (modules, fixtures' definitions): out of every later collection."""
    gc.collect()
    gc.freeze()


def _share_botocore_loader() -> None:
    """One botocore data loader for every boto3 session of the run.

    moto's ``mock_aws`` gives boto3 a new default session each time it starts, and a new session
    parses the service models again (SageMaker's is megabytes of JSON): that was most of each moto
    test's setup. Sessions of one process share the loader here, with its cache of parsed models,
    as the clients of one long-lived session do; clients, moto and the handlers are unchanged.
    """
    import botocore.loaders
    import botocore.session

    loaders: dict[str | None, botocore.loaders.Loader] = {}

    def shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return loaders[search_path_string]

    # the factory a session calls for its data loader (botocore.session imports it by name)
    botocore.session.create_loader = shared_loader


def module_weights() -> dict[str, float]:
    """Measured seconds by test module path (``tests/...py``), or none when not measured."""
    try:
        data = json.loads(DURATIONS.read_text())
        weights = data["seconds_by_module"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {str(k): float(v) for k, v in weights.items() if isinstance(v, int | float)}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    weights = module_weights()
    if not weights:
        return
    default = statistics.median(weights.values())
    root = Path(str(config.rootpath))
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        first_seen.setdefault(_module(item, root), i)
    items.sort(key=lambda item: (-weights.get(_module(item, root), default), first_seen[_module(item, root)]))


def _module(item: pytest.Item, root: Path) -> str:
    path = Path(str(item.path))
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


@pytest.fixture(scope="session")
def reference_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The reference platform's cloud assembly (``cdk.json`` context, every governance check), made once per run.

    Under pytest-xdist the workers share it: the first one to ask synthesizes it into the run's
    common temporary folder while holding a lock, the others wait and read it. Only read it.
    """
    if worker_id == "master":
        return _synthesize_reference(tmp_path_factory.mktemp("reference") / "cdk.out")
    shared = tmp_path_factory.getbasetemp().parent / "reference-assembly"
    shared.mkdir(exist_ok=True)
    done = shared / "done"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                _synthesize_reference(shared / "cdk.out")
                done.write_text(worker_id)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return shared / "cdk.out"


def _synthesize_reference(outdir: Path) -> Path:
    from stacks.app import build_platform
    from stacks.config import load_config
    from tests.support import governed_synth, new_app

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = new_app(governed=False, outdir=str(outdir), **context)
    build_platform(app, load_config(app.node.get_all_context(), base_dir=ROOT))
    return governed_synth(app).outdir
