"""The EventBridge envelope every glue function checks first, and typed access to its fields.

A malformed event raises :class:`MalformedEvent`; handlers reject it without a retry, since a retry
cannot fix the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class MalformedEvent(ValueError):
    """The event is not one this function accepts; the message says why."""


@dataclass(frozen=True)
class Envelope:
    """The checked envelope of an EventBridge event.

    Attributes:
        event_id: the event id (the functions' idempotency key).
        source: e.g. ``aws.sagemaker``.
        detail_type: e.g. ``SageMaker Model Package State Change``.
        detail: the event's ``detail`` object.
        event: the whole event.
        account: the account the event comes from (``account``).
        region: the region the event comes from (``region``).
    """

    event_id: str
    source: str
    detail_type: str
    detail: dict[str, Any]
    event: dict[str, Any]
    account: str = ""
    region: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """``(source, detail_type)``: what the functions dispatch on."""
        return (self.source, self.detail_type)

    def require_origin(self, account: str | None, region: str | None, what: str) -> None:
        """Reject the event unless it comes from ``account`` and ``region`` (None: that side is not checked).

        Rules can be written to a bus by other accounts, and names (endpoints, buckets, alarms) repeat
        across accounts and regions, so every event type is checked, not only the ones carrying ARNs.

        Raises:
            MalformedEvent: naming the field, the value received and the one expected.
        """
        if account is not None and self.account != account:
            raise MalformedEvent(f"event.account {self.account!r} is not {what}'s account {account!r}")
        if region is not None and self.region != region:
            raise MalformedEvent(f"event.region {self.region!r} is not {what}'s region {region!r}")

    def first_resource(self) -> str | None:
        """The first entry of ``resources`` if it is a string (the bucket, rule, alarm ... ARN)."""
        resources = self.event.get("resources")
        if isinstance(resources, list) and resources and isinstance(resources[0], str):
            return resources[0]
        return None


def event_id_of(event: Any) -> str | None:
    """The event id if there is a usable one (for logging rejected events)."""
    if isinstance(event, dict) and isinstance(event.get("id"), str) and event["id"]:
        return str(event["id"])
    return None


def string(obj: dict[str, Any], key: str, where: str) -> str:
    """``obj[key]`` as a non-empty string; ``where`` names ``obj`` in the error (``event``, ``detail``...)."""
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"{where}.{key} must be a non-empty string (got {value!r})")
    return value


def mapping(obj: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """``obj[key]`` as an object; ``where`` names ``obj`` in the error."""
    value = obj.get(key)
    if not isinstance(value, dict):
        raise MalformedEvent(f"{where}.{key} must be an object (got {type(value).__name__})")
    return value


def parse_envelope(event: Any) -> Envelope:
    """Check the envelope: a JSON object with non-empty ``id``, ``source``, ``detail-type``, ``account``,
    ``region`` and a ``detail`` object.

    Raises:
        MalformedEvent: naming the first field that is missing or of the wrong type.
    """
    if not isinstance(event, dict):
        raise MalformedEvent(f"event must be a JSON object (got {type(event).__name__})")
    event_id = string(event, "id", "event")
    source = string(event, "source", "event")
    detail_type = string(event, "detail-type", "event")
    detail = mapping(event, "detail", "event")
    account = string(event, "account", "event")
    region = string(event, "region", "event")
    return Envelope(event_id, source, detail_type, detail, event, account, region)


def own_account(context: Any) -> str | None:
    """The function's own account, from the Lambda context's function ARN (None when it has none)."""
    arn = getattr(context, "invoked_function_arn", None)
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 4 and parts[4] else None
