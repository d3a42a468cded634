"""EventBridge schedule expressions, checked field by field at synth (batch transform, retraining).

EventBridge user guide, "Creating an Amazon EventBridge rule that runs on a schedule": ``rate(value unit)``
with a positive value and unit minute(s)/hour(s)/day(s) (singular for 1), or ``cron(minutes hours
day-of-month month day-of-week year)`` with exactly one of the two day fields ``?``. ``events.Schedule.cron``
accepts any text in each field (``hour="25"``), and EventBridge rejects it only at deploy time.
(The monitors' schedules, which are also at most hourly, are checked by
:mod:`constructs_ml.operate.monitor_schedule`.)
"""

from __future__ import annotations

import re

from constructs_ml._jsii_cache import is_unresolved

#: The EventBridge page that defines the expressions.
SCHEDULE_SOURCE = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html"

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def schedule_problems(expression: str) -> list[str]:
    """What is wrong with an EventBridge schedule expression (empty when EventBridge accepts it)."""
    if is_unresolved(expression):
        return []
    if expression.startswith("rate("):
        rate = _RATE.match(expression)
        if rate is None:
            return [f"rate(<value> <unit>) with unit minute(s)/hour(s)/day(s) (got {expression!r})"]
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            return [f"a rate value >= 1 (got {value})"]
        if (value == 1) != (not unit.endswith("s")):
            return [f"the singular unit for 1 and the plural otherwise (got {value} {unit})"]
        return []
    m = re.fullmatch(r"cron\((.*)\)", expression)
    fields = m.group(1).split() if m else []
    if len(fields) != 6:
        return [f"cron(minutes hours day-of-month month day-of-week year) or rate(...) (got {expression!r})"]
    minute, hour, dom, month, dow, year = fields
    out = _field("minutes", minute, 0, 59, ())
    out += _field("hours", hour, 0, 23, ())
    out += _field("month", month, 1, 12, _MONTHS)
    out += _field("year", year, 1970, 2199, ())
    if (dom == "?") == (dow == "?"):
        out.append(f"exactly one of day-of-month and day-of-week must be '?' (got {dom!r}, {dow!r})")
    if dom != "?":
        out += _field("day-of-month", re.sub(r"^(\d{1,2})W$|^L(-\d{1,2})?$", "1", dom), 1, 31, ())
    if dow != "?":
        out += _field("day-of-week", re.sub(r"^([1-7]|[A-Za-z]{3})(#[1-5]|L)$", r"\1", dow), 1, 7, _DAYS)
    return out


def _field(name: str, value: str, low: int, high: int, names: tuple[str, ...]) -> list[str]:
    """One cron field: ``*``, or comma-separated values/ranges, each optionally with a ``/step``."""
    if value == "*":
        return []
    problems: list[str] = []
    for part in value.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) < 1):
            problems.append(f"{name}: the step of {part!r} must be a positive number")
        if base == "*" and step:
            continue
        bounds = base.split("-")
        if len(bounds) not in (1, 2) or not all(_value_ok(b, low, high, names) for b in bounds):
            allowed = f"{low}..{high}" + (f" or {names[0]}..{names[-1]}" if names else "")
            problems.append(f"{name}: {part!r} is not a value, range or step of {allowed}")
    return problems


def _value_ok(token: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if token.isdigit():
        return low <= int(token) <= high
    return token.upper() in names


__all__ = ["SCHEDULE_SOURCE", "schedule_problems"]
