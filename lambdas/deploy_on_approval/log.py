"""One structured JSON line per decision, written to stdout (CloudWatch Logs Insights parses it)."""

from __future__ import annotations

import json
import sys
from typing import Any

FUNCTION = "deploy-on-approval"


def emit(level: str, decision: str, **fields: Any) -> dict[str, Any]:
    """Write one JSON log line and return the record.

    Args:
        level: ``INFO``, ``WARNING`` or ``ERROR``.
        decision: what the function decided (``started``, ``duplicate``, ``rejected``, ...).
        **fields: further context (event id, reason, ARNs); values that are not JSON are stringified.

    Returns:
        The record that was written.
    """
    record: dict[str, Any] = {"level": level, "function": FUNCTION, "decision": decision, **fields}
    sys.stdout.write(json.dumps(record, default=str, sort_keys=True) + "\n")
    sys.stdout.flush()
    return record
