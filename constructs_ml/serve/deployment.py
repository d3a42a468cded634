"""Blue/green deployment of endpoint updates with automatic rollback on alarms.

Every change of the endpoint's config (a new model, new instance types) is rolled out on a new
("green") fleet; traffic shifts all at once, in a canary step or linearly; if any rollback alarm
fires during the shift or the baking period, SageMaker returns all traffic to the old fleet.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from constructs_ml.errors import Problems

_FIVE_MINUTES = Duration.minutes(5)
_TEN_MINUTES = Duration.minutes(10)
_ONE_SECOND = Duration.seconds(1)


class TrafficRouting(enum.Enum):
    """How traffic moves to the new fleet."""

    ALL_AT_ONCE = "ALL_AT_ONCE"
    CANARY = "CANARY"
    LINEAR = "LINEAR"


@dataclass(frozen=True)
class DeploymentConfig:
    """Blue/green traffic shifting with auto-rollback (use :meth:`all_at_once`, :meth:`canary`, :meth:`linear`).

    Attributes:
        traffic_routing: all at once, canary or linear.
        step_percent: capacity percent of the canary (1..50) or of each linear step (10..50).
        wait_interval: wait between traffic shifts (0..3600 s): 5 minutes.
        termination_wait: baking time on the new fleet before the old one goes (0..3600 s): 10 minutes.
        maximum_execution_timeout: give up (and roll back) after (600..28800 s): SageMaker's default.
        rollback_alarms: alarms that roll back; None (default): the endpoint creates alarms on
            5xx errors and model latency of every variant. An empty list is an error: a blue/green
            deployment without rollback alarms cannot roll back.
        error_threshold: 5xx errors per minute per variant that trigger the default alarm: 5.
        latency_threshold: average model latency that triggers the default alarm: 1 second.
        evaluation_periods: consecutive minutes above threshold for the default alarms: 2.
    """

    traffic_routing: TrafficRouting = TrafficRouting.ALL_AT_ONCE
    step_percent: int | None = None
    wait_interval: Duration = _FIVE_MINUTES
    termination_wait: Duration = _TEN_MINUTES
    maximum_execution_timeout: Duration | None = None
    rollback_alarms: Sequence[cloudwatch.IAlarm] | None = None
    error_threshold: int = 5
    latency_threshold: Duration = _ONE_SECOND
    evaluation_periods: int = 2

    @classmethod
    def all_at_once(
        cls,
        *,
        wait_interval: Duration = _FIVE_MINUTES,
        termination_wait: Duration = _TEN_MINUTES,
        rollback_alarms: Sequence[cloudwatch.IAlarm] | None = None,
    ) -> DeploymentConfig:
        """Shift all traffic at once, bake, then terminate the old fleet."""
        return cls(TrafficRouting.ALL_AT_ONCE, None, wait_interval, termination_wait, None, rollback_alarms)

    @classmethod
    def canary(
        cls,
        percent: int = 10,
        *,
        wait_interval: Duration = _FIVE_MINUTES,
        termination_wait: Duration = _TEN_MINUTES,
        rollback_alarms: Sequence[cloudwatch.IAlarm] | None = None,
    ) -> DeploymentConfig:
        """Shift ``percent`` of capacity first, wait, then the rest."""
        return cls(TrafficRouting.CANARY, percent, wait_interval, termination_wait, None, rollback_alarms)

    @classmethod
    def linear(
        cls,
        step_percent: int = 20,
        *,
        wait_interval: Duration = _FIVE_MINUTES,
        termination_wait: Duration = _TEN_MINUTES,
        rollback_alarms: Sequence[cloudwatch.IAlarm] | None = None,
    ) -> DeploymentConfig:
        """Shift ``step_percent`` of capacity per step, waiting between steps."""
        return cls(TrafficRouting.LINEAR, step_percent, wait_interval, termination_wait, None, rollback_alarms)

    def validate(self, problems: Problems) -> None:
        """Record problems under ``deployment.*``."""
        if self.rollback_alarms is not None:
            problems.require(
                len(self.rollback_alarms) >= 1,
                "deployment.rollback_alarms",
                list(self.rollback_alarms),
                "at least one alarm (or None for the default 5xx and latency alarms)",
                what="must not be empty: a blue/green deployment needs alarms to roll back on",
            )
            problems.require(
                len(self.rollback_alarms) <= 10,
                "deployment.rollback_alarms",
                len(self.rollback_alarms),
                "at most 10 alarms",
            )
        if self.traffic_routing == TrafficRouting.CANARY:
            problems.require_range("deployment.step_percent", self.step_percent or 0, 1, 50)
        elif self.traffic_routing == TrafficRouting.LINEAR:
            problems.require_range("deployment.step_percent", self.step_percent or 0, 10, 50)
        problems.require_range("deployment.wait_interval", self.wait_interval.to_seconds(), 0, 3600)
        problems.require_range("deployment.termination_wait", self.termination_wait.to_seconds(), 0, 3600)
        if self.maximum_execution_timeout is not None:
            problems.require_range(
                "deployment.maximum_execution_timeout", self.maximum_execution_timeout.to_seconds(), 600, 28800
            )
        problems.require_range("deployment.error_threshold", self.error_threshold, 1, None)
        problems.require_range("deployment.evaluation_periods", self.evaluation_periods, 1, 10)

    def to_cfn(self, alarm_names: Sequence[str]) -> dict[str, object]:
        """The ``DeploymentConfig`` property of ``AWS::SageMaker::Endpoint`` (PascalCase)."""
        routing: dict[str, object] = {
            "Type": self.traffic_routing.value,
            "WaitIntervalInSeconds": int(self.wait_interval.to_seconds()),
        }
        if self.traffic_routing == TrafficRouting.CANARY:
            routing["CanarySize"] = {"Type": "CAPACITY_PERCENT", "Value": self.step_percent}
        elif self.traffic_routing == TrafficRouting.LINEAR:
            routing["LinearStepSize"] = {"Type": "CAPACITY_PERCENT", "Value": self.step_percent}
        policy: dict[str, object] = {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": int(self.termination_wait.to_seconds()),
        }
        if self.maximum_execution_timeout is not None:
            policy["MaximumExecutionTimeoutInSeconds"] = int(self.maximum_execution_timeout.to_seconds())
        return {
            "BlueGreenUpdatePolicy": policy,
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": n} for n in alarm_names]},
        }
