"""boto3 clients created once per container, with timeouts and retries derived from the function's timeout.

botocore's defaults (60 s connect + 60 s read, retried) let one hung call outlive the whole
invocation: Lambda then kills it mid-decision. :class:`CallBudget` sizes every call so that its
worst case (every attempt timing out, plus the standard-mode backoff between attempts) fits in a
fixed share of the function's timeout, leaving the rest for the other calls of the decision and for
undoing a claim after a failure.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.config import Config as BotoConfig

#: The share of the function's timeout one AWS call (all its attempts) may take.
CALL_SHARE = 0.3
#: Upper bound of the connect timeout: the VPC endpoints answer a TCP connect in milliseconds.
MAX_CONNECT_SECONDS = 2.0
#: botocore's standard retry mode sleeps at most ``2 ** (attempt - 1)`` seconds (random base <= 1) before a retry.
STANDARD_BACKOFF_BASE = 2.0


@dataclass(frozen=True)
class CallBudget:
    """Connect/read timeouts and total attempts of every AWS call, derived from the function's timeout.

    Attributes:
        function_timeout: the function's configured timeout (seconds).
        connect_timeout: seconds to open a connection, per attempt.
        read_timeout: seconds to wait for a response, per attempt.
        total_max_attempts: attempts per call, the first included (standard retry mode).
    """

    function_timeout: float
    connect_timeout: float
    read_timeout: float
    total_max_attempts: int

    @classmethod
    def for_timeout(cls, function_timeout: float) -> CallBudget:
        """The budget for a function with ``function_timeout`` seconds (at least 3).

        One call may take ``CALL_SHARE`` of the timeout: three attempts when that leaves each at
        least 4 s after the backoff, two when it leaves 2 s, else one.
        """
        share = max(function_timeout, 3.0) * CALL_SHARE
        attempts = 1
        for candidate in (3, 2):
            if (share - cls.max_backoff(candidate)) / candidate >= 2.0 * candidate - 2.0:
                attempts = candidate
                break
        per_attempt = (share - cls.max_backoff(attempts)) / attempts
        connect = min(MAX_CONNECT_SECONDS, per_attempt / 3)
        return cls(float(function_timeout), round(connect, 3), round(per_attempt - connect, 3), attempts)

    @staticmethod
    def max_backoff(attempts: int) -> float:
        """The longest total sleep between ``attempts`` attempts in botocore's standard retry mode."""
        return float(sum(STANDARD_BACKOFF_BASE ** (i - 1) for i in range(1, attempts)))

    @property
    def worst_case_seconds(self) -> float:
        """The longest one call can take: every attempt times out, with the longest backoff between them."""
        return self.total_max_attempts * (self.connect_timeout + self.read_timeout) + self.max_backoff(
            self.total_max_attempts
        )

    def botocore_config(self) -> BotoConfig:
        """The botocore ``Config`` that applies this budget."""
        return BotoConfig(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"mode": "standard", "total_max_attempts": self.total_max_attempts},
        )


class ClientFactory(Protocol):
    """``client(service)``: the container's client for ``service``; ``cache_clear()`` forgets them all."""

    def __call__(self, service: str) -> Any: ...

    def cache_clear(self) -> None: ...


def client_factory(budget: Any) -> ClientFactory:
    """A new client cache for one function's handler module (``client = client_factory(budget)``).

    Args:
        budget: a callable returning the :class:`CallBudget` (called once, when the first client is made;
            it reads the validated configuration, so it must not run at import).
    """

    @functools.cache
    def client(service: str) -> Any:
        """A boto3 client per service, created once per container with the function's call budget."""
        return boto3.client(service, config=budget().botocore_config())

    return client


def seconds_left(context: Any, fallback: float) -> float:
    """Seconds until the invocation's deadline (``context.get_remaining_time_in_millis``), else ``fallback``."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            return max(0.0, float(remaining()) / 1000.0)
        except (TypeError, ValueError):
            return fallback
    return fallback


def ceil_seconds(value: float) -> int:
    """``value`` rounded up to whole seconds (DynamoDB numbers and leases are whole seconds)."""
    return math.ceil(value)
