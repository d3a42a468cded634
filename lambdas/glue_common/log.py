"""One structured JSON line per decision, written to stdout (CloudWatch Logs Insights parses it)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from .environment import ConfigError


class DecisionLog:
    """The decision log of one function: every line carries ``level``, ``function`` and ``decision``.

    Args:
        function: the function's name in every line, e.g. ``"retraining-trigger"``.
    """

    def __init__(self, function: str) -> None:
        self.function = function

    def emit(self, level: str, decision: str, **fields: Any) -> dict[str, Any]:
        """Write one JSON log line and return the record.

        Args:
            level: ``INFO``, ``WARNING`` or ``ERROR``.
            decision: what the function decided (``started``, ``duplicate``, ``rejected``, ...).
            **fields: further context (event id, reason, ARNs); values that are not JSON are stringified.

        Returns:
            The record that was written.
        """
        record: dict[str, Any] = {"level": level, "function": self.function, "decision": decision, **fields}
        sys.stdout.write(json.dumps(record, default=str, sort_keys=True) + "\n")
        sys.stdout.flush()
        return record

    def outcome(self, level: str, outcome: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        """Log a decision (a mapping with a ``decision`` key) with extra ``fields``; return the decision alone.

        Args:
            level: ``INFO`` for decisions taken, ``ERROR`` for rejected events.
            outcome: the decision as returned to the caller (``decision``, ``event_id``, ``reason``, ...).
            **fields: context that goes into the log line only (e.g. ``request_id``).

        Returns:
            A copy of ``outcome``: what the handler returns.
        """
        self.emit(level, **outcome, **fields)
        return dict(outcome)

    def config_error(self, error: ConfigError) -> None:
        """Log an invalid environment: decision ``error`` with the message and every problem."""
        self.emit("ERROR", "error", reason=str(error), problems=list(error.problems))

    def failure(self, error: BaseException, **fields: Any) -> None:
        """Log a failed AWS call or other exception as decision ``error`` (the handler then re-raises).

        Args:
            error: the exception; the line's ``reason`` is ``<type>: <message>``.
            **fields: what the function was working on (event id, ARNs, request id).
        """
        self.emit("ERROR", "error", **fields, reason=f"{type(error).__name__}: {error}")
