"""Measure one glue handler's cold start: a fresh interpreter imports it (config validated) and makes its clients.

Usage (the handler's environment must be set, see its module docstring)::

    python -I tests/lambdas/cold_start.py lambdas retraining_trigger

Prints the seconds from the first import to the second client. Run it several times, alternating
with the code you compare against, and take medians: the figure depends on the machine's load.
"""

from __future__ import annotations

import importlib
import sys
import time


def main(root: str, function: str) -> float:
    """Seconds to import ``<function>.handler`` from ``root`` and create the two clients it uses first."""
    started = time.perf_counter()
    sys.path.insert(0, root)
    handler = importlib.import_module(f"{function}.handler")
    for service in ("sagemaker", "dynamodb" if function == "retraining_trigger" else "ssm"):
        handler.client(service)
    return time.perf_counter() - started


if __name__ == "__main__":
    print(round(main(sys.argv[1], sys.argv[2]), 3))
