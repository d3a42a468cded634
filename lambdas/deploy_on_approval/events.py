"""Parse the events deploy-on-approval accepts.

- ``aws.sagemaker`` / ``SageMaker Model Package State Change``: a versioned package of the configured
  group (same partition, region, account and group name as ``MODEL_PACKAGE_GROUP_ARN``; the
  registry may be in another account) → :class:`PackageEvent`.
- ``aws.sagemaker`` / ``SageMaker Endpoint State Change`` for the configured endpoint →
  :class:`EndpointEvent` (used to reconcile the recorded package after a rollback).
- ``aws.ssm`` / ``Parameter Store Change`` of the deployed-package parameter → :class:`RecordEvent`
  (someone else wrote the record: it is reconciled with what the endpoint serves).
- ``aws.events`` / ``Scheduled Event``, only with ``INFERENCE_COMPONENT_NAME`` → :class:`ScheduleEvent`:
  the periodic check that records what the component runs (after a rolling update rolled back).

Origins are checked on every event type: package events must come from the registry's account and
region (those of ``MODEL_PACKAGE_GROUP_ARN``), endpoint and parameter events from the function's own
account and region (rules can be written to a bus by other accounts, and endpoint names repeat).

Anything else raises :class:`MalformedEvent`: the handler rejects it without a retry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from glue_common.events import MalformedEvent as MalformedEvent  # re-exported: part of this module's API
from glue_common.events import parse_envelope, string

from .config import Config

PACKAGE_STATE_CHANGE = ("aws.sagemaker", "SageMaker Model Package State Change")
ENDPOINT_STATE_CHANGE = ("aws.sagemaker", "SageMaker Endpoint State Change")
SCHEDULED = ("aws.events", "Scheduled Event")
PARAMETER_CHANGE = ("aws.ssm", "Parameter Store Change")

PACKAGE_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*)/(?P<version>[1-9][0-9]*)$"
)


@dataclass(frozen=True)
class PackageArn:
    """A parsed versioned model package ARN."""

    arn: str
    partition: str
    region: str
    account: str
    group: str
    version: int

    @classmethod
    def parse(cls, arn: str) -> PackageArn | None:
        """Parse ``arn``; None if it is not a versioned model package ARN."""
        m = PACKAGE_ARN_RE.match(arn)
        if m is None:
            return None
        return cls(arn, m["partition"], m["region"], m["account"], m["group"], int(m["version"]))

    def in_group(self, config: Config) -> bool:
        """True if this package belongs to the configured group (ARN names are compared case-insensitively)."""
        return (
            self.partition == config.group_arn.split(":")[1]
            and self.region == config.group_region
            and self.account == config.group_account
            and self.group.lower() == config.group_name.lower()
        )


@dataclass(frozen=True)
class PackageEvent:
    """A model package state change of the configured group."""

    event_id: str
    package: PackageArn
    approval_status: str


@dataclass(frozen=True)
class EndpointEvent:
    """A state change of the configured endpoint."""

    event_id: str
    endpoint_status: str


@dataclass(frozen=True)
class ScheduleEvent:
    """The periodic check of the configured inference component (component mode)."""

    event_id: str


@dataclass(frozen=True)
class RecordEvent:
    """A write to the deployed-package parameter (by anyone, this function included)."""

    event_id: str
    operation: str


def parse(
    event: Any, config: Config, account: str | None = None, region: str | None = None
) -> PackageEvent | EndpointEvent | RecordEvent | ScheduleEvent:
    """Turn an EventBridge event into a :class:`PackageEvent`, :class:`EndpointEvent`, :class:`RecordEvent`
    or :class:`ScheduleEvent`.

    Args:
        event: the Lambda event as received.
        config: the configuration (group and endpoint to accept).
        account: the function's own account (endpoint and parameter events must come from it; None: unchecked).
        region: the function's own region (likewise).

    Returns:
        The parsed event.

    Raises:
        MalformedEvent: missing fields, wrong detail-type, bad ARN, another group or endpoint.
    """
    envelope = parse_envelope(event)
    event_id, detail = envelope.event_id, envelope.detail
    if envelope.key == PACKAGE_STATE_CHANGE:
        envelope.require_origin(config.group_account, config.group_region, "the model package group")
        raw_arn = string(detail, "ModelPackageArn", "detail")
        package = PackageArn.parse(raw_arn)
        if package is None:
            raise MalformedEvent(f"detail.ModelPackageArn {raw_arn!r} is not a versioned model package ARN")
        if not package.in_group(config):
            raise MalformedEvent(f"model package {raw_arn!r} is not in the group {config.group_arn!r}")
        version = detail.get("ModelPackageVersion")
        if version is not None and str(version) != str(package.version):
            raise MalformedEvent(f"detail.ModelPackageVersion {version!r} disagrees with the ARN {raw_arn!r}")
        return PackageEvent(event_id, package, string(detail, "ModelApprovalStatus", "detail"))
    if envelope.key == ENDPOINT_STATE_CHANGE:
        envelope.require_origin(account, region, "the endpoint")
        name = string(detail, "EndpointName", "detail")
        if name != config.endpoint_name:
            raise MalformedEvent(f"endpoint {name!r} is not the configured endpoint {config.endpoint_name!r}")
        return EndpointEvent(event_id, string(detail, "EndpointStatus", "detail"))
    if envelope.key == PARAMETER_CHANGE:
        envelope.require_origin(account, region, "the deployed-package parameter")
        name = string(detail, "name", "detail")
        if name != config.deployed_parameter:
            raise MalformedEvent(f"parameter {name!r} is not DEPLOYED_PACKAGE_PARAMETER {config.deployed_parameter!r}")
        return RecordEvent(event_id, string(detail, "operation", "detail"))
    if envelope.key == SCHEDULED and config.component_name is not None:
        envelope.require_origin(account, region, "the scheduled check")
        return ScheduleEvent(event_id)
    raise MalformedEvent(f"unsupported event source/detail-type {envelope.source!r}/{envelope.detail_type!r}")
