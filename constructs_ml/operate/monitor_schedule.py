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

from constructs_ml.schedules import schedule_problems

_SAGEMAKER_HOUR = re.compile(r"^(\*|(\d{1,2})(/(\d{1,2}))?)$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")


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
    """What is wrong with an EventBridge schedule for a monitor (empty when valid and at most hourly).

    The grammar is :func:`constructs_ml.schedules.schedule_problems` (batch transform and retraining use it
    too); a monitor's schedule must also be at most hourly.
    """
    out = schedule_problems(expression)
    rate = _RATE.match(expression)
    if rate is not None and rate.group(2).startswith("minute") and int(rate.group(1)) < 60:
        out.append(f"at most hourly: a rate of at least 60 minutes (got {rate.group(1)} {rate.group(2)})")
    fields = _cron_fields(expression)
    if fields is not None and (not re.fullmatch(r"\d{1,2}", fields[0]) or int(fields[0]) > 59):
        out.append(f"at most hourly: the minutes field must be one number 0..59 (got {fields[0]!r})")
    return out


def _cron_fields(expression: str) -> list[str] | None:
    m = re.fullmatch(r"cron\((.*)\)", expression)
    if m is None:
        return None
    fields = m.group(1).split()
    return fields if len(fields) == 6 else None


__all__ = ["eventbridge_schedule_problems", "sagemaker_schedule_problems"]
