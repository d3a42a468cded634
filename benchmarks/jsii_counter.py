"""A kernel-level counter of jsii round trips (Python <-> Node messages on the kernel's pipe).

``install()`` wraps ``jsii._kernel.providers.process._NodeProcess.send``, the one place where the
Python side writes a request to the Node process and reads its answer, so every round trip is
counted, whatever construct or library code caused it: object creations, property gets and sets,
method invokes (static and instance), callback completions (Python code that Node called, e.g.
aspects, validations, lazy values), plus the callbacks Node asks for. Install it before the first
jsii call (before ``import aws_cdk``) to count the kernel's loads too. For benchmarks only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_KINDS = {
    "LoadRequest": "load",
    "CreateRequest": "create",
    "GetRequest": "get",
    "StaticGetRequest": "get",
    "SetRequest": "set",
    "StaticSetRequest": "set",
    "InvokeRequest": "invoke",
    "StaticInvokeRequest": "invoke",
    "_CompleteRequest": "callback_complete",
    "DeleteRequest": "delete",
}


@dataclass
class JsiiCounter:
    """Round trips by kind, and the callbacks Node made into Python.

    Attributes:
        by_kind: round trips by request kind (``create``, ``get``, ``set``, ``invoke``, ``load``, ...).
        callbacks: responses that were callbacks into Python (each is followed by a
            ``callback_complete`` round trip).
        kernel_pid: process id of the jsii Node kernel (once it has started).
    """

    by_kind: Counter[str] = field(default_factory=Counter)
    callbacks: int = 0
    kernel_pid: int | None = None

    @property
    def round_trips(self) -> int:
        """Every request written to the kernel pipe (each waits for one answer)."""
        return sum(self.by_kind.values())

    def reset(self) -> None:
        """Start counting from zero."""
        self.by_kind.clear()
        self.callbacks = 0

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "round_trips": self.round_trips,
            "callbacks": self.callbacks,
            "by_kind": dict(sorted(self.by_kind.items())),
        }


_COUNTER: JsiiCounter | None = None


def install() -> JsiiCounter:
    """Wrap the kernel pipe once per process and return the (shared) counter."""
    global _COUNTER
    if _COUNTER is not None:
        return _COUNTER
    from jsii._kernel.providers import process

    counter = JsiiCounter()
    original = process._NodeProcess.send

    def counted_send(self: Any, request: Any, response_type: Any) -> Any:
        counter.kernel_pid = self._process.pid
        counter.by_kind[_KINDS.get(type(request).__name__, type(request).__name__)] += 1
        response = original(self, request, response_type)
        if type(response).__name__ == "Callback":
            counter.callbacks += 1
        return response

    process._NodeProcess.send = counted_send  # type: ignore[method-assign]
    _COUNTER = counter
    return counter
