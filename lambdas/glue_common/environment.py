"""Reading a function's configuration from environment variables: every problem is collected, then raised once.

A function's ``config.load(env)`` passes one ``problems`` list to these helpers and raises its
:class:`ConfigError` subclass if the list is not empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping


class ConfigError(ValueError):
    """A function's environment is invalid; the message lists every problem.

    Subclasses set :attr:`function`, the name that starts the message.

    Attributes:
        problems: every problem found, in the order found.
    """

    function = "glue function"

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{self.function} configuration is invalid: " + "; ".join(problems))


def integer(env: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    """An integer variable in ``low..high``; ``default`` when unset or blank (or not an integer)."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be an integer (got {raw!r})")
        return default
    if not low <= value <= high:
        problems.append(f"{name} must be between {low} and {high} (got {value})")
    return value


def csv(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated variable's non-blank items, stripped; empty when unset."""
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def required(env: Mapping[str, str], name: str, pattern: re.Pattern[str], what: str, problems: list[str]) -> str:
    """A required variable matching ``pattern``; ``what`` describes it in the problem."""
    value = env.get(name, "").strip()
    if not value:
        problems.append(f"{name} is required ({what})")
    elif not pattern.match(value):
        problems.append(f"{name} must be {what} (got {value!r})")
    return value


#: Set by ``GlueFunction`` to the function's configured timeout; the call budget and leases derive from it.
FUNCTION_TIMEOUT = "FUNCTION_TIMEOUT_SECONDS"


def function_timeout(env: Mapping[str, str], problems: list[str]) -> int:
    """``FUNCTION_TIMEOUT_SECONDS``: the function's configured timeout (3..900), required."""
    raw = env.get(FUNCTION_TIMEOUT, "").strip()
    if not raw:
        problems.append(f"{FUNCTION_TIMEOUT} is required (the function's configured timeout in seconds, 3..900)")
        return 60
    return integer(env, FUNCTION_TIMEOUT, 60, 3, 900, problems)
