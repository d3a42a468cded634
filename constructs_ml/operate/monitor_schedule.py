"""Schedule expressions of the monitors, checked field by field at synth.

Two grammars, one per backend:

* :attr:`~constructs_ml.operate.MonitorBackend.MODEL_MONITOR`: only the forms SageMaker's
  ``ScheduleConfig.ScheduleExpression`` accepts (API reference "ScheduleConfig"; SageMaker developer guide
  "The cron expression for monitoring schedule"): ``cron(0 * ? * * *)`` (hourly), ``cron(0 H ? * * *)``
  (daily at hour H) and ``cron(0 H/N ? * * *)`` (every N hours from hour H, N in 1..24).
* :attr:`~constructs_ml.operate.MonitorBackend.PIPELINE`: an EventBridge schedule expression (EventBridge user
  guide "Creating an Amazon EventBridge rule that runs on a schedule": six cron fields ``minutes hours
  day-of-month month day-of-week year``, one of the two day fields ``?``; or ``rate(value unit)``), each field
  checked against its range and syntax, and at most hourly: the minutes field is one number, a rate is
  at least one hour. Monitors analyse whole hours of captured data, so a faster schedule would only
  re-analyse the same hour.
"""

from __future__ import annotations

import re

_SAGEMAKER_HOUR = re.compile(r"^(\*|(\d{1,2})(/(\d{1,2}))?)$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def sagemaker_schedule_problems(expression: str) -> list[str]:
    """What is wrong with a Model Monitor schedule expression (empty when SageMaker accepts it)."""
    fields = _cron_fields(expression)
    if fields is None:
        return ["a SageMaker monitoring cron expression: cron(0 * ? * * *), cron(0 H ? * * *) or cron(0 H/N ? * * *)"]
    minute, hour, dom, month, dow, year = fields
    out: list[str] = []
    if minute != "0":
        out.append(f"minutes field '0' (got {minute!r}): Model Monitor runs at the start of an hour")
    m = _SAGEMAKER_HOUR.match(hour)
    if m is None:
        out.append(f"hours field '*', 'H' or 'H/N' (got {hour!r})")
    elif m.group(2) is not None:
        if not 0 <= int(m.group(2)) <= 23:
            out.append(f"hour 0..23 (got {m.group(2)})")
        if m.group(4) is not None and not 1 <= int(m.group(4)) <= 24:
            out.append(f"hour interval 1..24 (got {m.group(4)})")
    for name, value, want in (("day-of-month", dom, "?"), ("month", month, "*"), ("day-of-week", dow, "*")):
        if value != want:
            out.append(f"{name} field {want!r} (got {value!r}): SageMaker accepts no other")
    if year != "*":
        out.append(f"year field '*' (got {year!r})")
    return out


def eventbridge_schedule_problems(expression: str) -> list[str]:
    """What is wrong with an EventBridge schedule for a monitor (empty when valid and at most hourly)."""
    rate = _RATE.match(expression)
    if expression.startswith("rate("):
        if rate is None:
            return [f"rate(<value> <unit>) with unit minute(s)/hour(s)/day(s) (got {expression!r})"]
        value, unit = int(rate.group(1)), rate.group(2)
        out = []
        if value < 1:
            out.append(f"a rate value >= 1 (got {value})")
        if (value == 1) != (not unit.endswith("s")):
            out.append(f"the singular unit for 1 and the plural otherwise (got {value} {unit})")
        if unit.startswith("minute") and value < 60:
            out.append(f"at most hourly: a rate of at least 60 minutes (got {value} {unit})")
        return out
    fields = _cron_fields(expression)
    if fields is None:
        return [f"cron(minutes hours day-of-month month day-of-week year) or rate(...) (got {expression!r})"]
    minute, hour, dom, month, dow, year = fields
    out = []
    if not re.fullmatch(r"\d{1,2}", minute) or int(minute) > 59:
        out.append(f"at most hourly: the minutes field must be one number 0..59 (got {minute!r})")
    out += _field_problems("hours", hour, 0, 23, ())
    out += _field_problems("month", month, 1, 12, _MONTHS)
    out += _field_problems("year", year, 1970, 2199, ())
    if (dom == "?") == (dow == "?"):
        out.append(f"exactly one of day-of-month and day-of-week must be '?' (got {dom!r}, {dow!r})")
    if dom != "?":
        out += _field_problems("day-of-month", re.sub(r"^(\d{1,2})W$|^L(-\d{1,2})?$", "1", dom), 1, 31, ())
    if dow != "?":
        out += _field_problems("day-of-week", re.sub(r"^([1-7]|[A-Z]{3})(#[1-5]|L)$", r"\1", dow), 1, 7, _DAYS)
    return out


def _cron_fields(expression: str) -> list[str] | None:
    m = re.fullmatch(r"cron\((.*)\)", expression)
    if m is None:
        return None
    fields = m.group(1).split()
    return fields if len(fields) == 6 else None


def _field_problems(name: str, value: str, low: int, high: int, names: tuple[str, ...]) -> list[str]:
    """One cron field: ``*``, or comma-separated values/ranges, each optionally with a ``/step``."""
    if value == "*":
        return []
    problems: list[str] = []
    for part in value.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) < 1):
            problems.append(f"{name}: step of {part!r} must be a positive number")
        bounds = [base] if base == "*" else base.split("-")
        if base == "*" and step:
            continue
        if len(bounds) not in (1, 2) or any(not _value_ok(b, low, high, names) for b in bounds):
            allowed = f"{low}..{high}" + (f" or {names[0]}..{names[-1]}" if names else "")
            problems.append(f"{name}: {part!r} is not a value, range or step of {allowed}")
    return problems


def _value_ok(token: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    if token.isdigit():
        return low <= int(token) <= high
    return token.upper() in names


__all__ = ["eventbridge_schedule_problems", "sagemaker_schedule_problems"]
