"""Suite-wide settings: the Node banner off, and the heaviest test modules scheduled first.

``make test`` runs the suite on two pytest-xdist workers, one test module per work unit (so each
module's app is synthesized once). Handing out the slowest modules first keeps one long module
from running alone at the end: ``benchmarks/test_durations.json`` (written by
``make bench BENCH_ARGS=--tests``) has each module's measured seconds; a module it does not know
counts as the median. Tests keep their order within a module.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

DURATIONS = Path(__file__).resolve().parents[1] / "benchmarks" / "test_durations.json"


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
