"""The retraining decision: idempotency, debounce, cooldown, then start the pipeline.

Pure logic: every AWS call goes through the clients passed in, and the time is an argument.

Order of checks for a :class:`~retraining_trigger.events.Trigger`:

1. claim the event id (conditional write), leased until the invocation's deadline: a delivery of an
   event already decided stops here (``duplicate``); one whose claim is still live raises
   :class:`~retraining_trigger.idempotency.ClaimInProgress` (retried, never acknowledged);
2. debounce: an execution of the pipeline that is ``Executing`` or ``Stopping`` means no new start
   (``debounced``); the new data is picked up by the next run;
3. cooldown: a start of the pipeline (by anyone) less than ``COOLDOWN_SECONDS`` ago means no new
   start (``cooldown``), and the start gate makes this atomic across concurrent events;
4. start the pipeline with ``ClientRequestToken`` derived from the event id (``started``).

The decision is recorded on the event's item, so a redelivery of the event is a ``duplicate`` whatever
the first decision was. If an AWS call fails, the claim (and the gate) are released and the error
propagates, so that the invocation is retried and, after its retries, lands in the dead-letter queue.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from .config import Config
from .events import Trigger
from .idempotency import ClaimInProgress, IdempotencyStore

#: Execution statuses that mean "a run is in flight".
RUNNING_STATUSES = frozenset({"Executing", "Stopping"})
#: How many of the latest executions the debounce and cooldown look at.
EXECUTION_SCAN = 50

STARTED = "started"
DUPLICATE = "duplicate"
DEBOUNCED = "debounced"
COOLDOWN = "cooldown"


class SageMakerClient(Protocol):
    """The SageMaker calls this module makes (a boto3 ``sagemaker`` client)."""

    def list_pipeline_executions(self, **kwargs: Any) -> dict[str, Any]: ...
    def start_pipeline_execution(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Decision:
    """What the function decided for one event (logged as one JSON line and returned).

    Attributes:
        decision: ``started``, ``duplicate``, ``debounced``, ``cooldown`` (or, from the handler,
            ``ignored`` / ``rejected``).
        event_id: the EventBridge event id.
        reason: why.
        kind: the trigger kind.
        pipeline_arn: the pipeline.
        execution_arn: the execution started (``started``), or the one in flight (``debounced``).
    """

    decision: str
    event_id: str | None
    reason: str
    kind: str | None = None
    pipeline_arn: str | None = None
    execution_arn: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The decision as a JSON-ready dict without empty fields."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def client_request_token(pipeline_arn: str, event_id: str) -> str:
    """The ``ClientRequestToken`` for an event: stable, 64 hex characters (the API allows 32-128)."""
    return hashlib.sha256(f"{pipeline_arn}|{event_id}".encode()).hexdigest()


def display_name(kind: str, event_id: str) -> str:
    """A ``PipelineExecutionDisplayName`` (``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}``) for the trigger."""
    cleaned = re.sub(r"[^a-zA-Z0-9]+", "-", f"{kind}-{event_id}").strip("-")
    return cleaned[:82].rstrip("-") or "retraining"


def pipeline_parameters(trigger: Trigger, config: Config) -> list[dict[str, str]]:
    """Map a trigger to pipeline parameters (only the configured names, only values that exist)."""
    params: list[dict[str, str]] = []
    if config.input_data_parameter and trigger.data_uri:
        params.append({"Name": config.input_data_parameter, "Value": trigger.data_uri})
    if config.trigger_reason_parameter:
        params.append({"Name": config.trigger_reason_parameter, "Value": trigger.kind})
    return params


def _timestamp(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None


def recent_executions(sagemaker: SageMakerClient, pipeline_ref: str) -> list[dict[str, Any]]:
    """The latest executions of the pipeline, newest first."""
    response = sagemaker.list_pipeline_executions(
        PipelineName=pipeline_ref, SortBy="CreationTime", SortOrder="Descending", MaxResults=EXECUTION_SCAN
    )
    summaries: list[dict[str, Any]] = response.get("PipelineExecutionSummaries", [])
    return sorted(summaries, key=lambda s: _timestamp(s.get("StartTime")) or 0.0, reverse=True)


def decide(
    trigger: Trigger,
    config: Config,
    *,
    sagemaker: SageMakerClient,
    store: IdempotencyStore,
    pipeline_ref: str,
    now: float,
    lease_seconds: int,
) -> Decision:
    """Decide and act on one trigger.

    Args:
        trigger: the parsed event.
        config: the function's configuration.
        sagemaker: a boto3 SageMaker client.
        store: the idempotency store.
        pipeline_ref: the ``PipelineName`` to use (name in our account, else ARN).
        now: the current time (epoch seconds).
        lease_seconds: how long the claim may block other deliveries (the invocation's time left + margin).

    Returns:
        The decision.

    Raises:
        ClaimInProgress: another invocation holds a live claim on this event (retry later).
        botocore.exceptions.ClientError: an AWS call failed (the claim was released first, if it could be).
    """
    base = {"event_id": trigger.event_id, "kind": trigger.kind, "pipeline_arn": config.pipeline_arn}
    claim = store.claim(trigger.event_id, now, lease_seconds)
    if not claim.claimed and not claim.completed:
        previous = claim.previous or {}
        raise ClaimInProgress(
            f"event {trigger.event_id} is claimed by another invocation until {previous.get('lease_expires_at', '?')} "
            f"(epoch seconds); retry later"
        )
    if not claim.claimed or claim.token is None:
        previous = claim.previous or {}
        why = f"event already processed (first decision: {previous.get('decision', previous.get('status', '?'))})"
        return Decision(DUPLICATE, reason=why, execution_arn=previous.get("execution_arn"), **base)
    token = claim.token
    gate: tuple[bool, str | None] | None = None
    started = False
    try:
        executions = recent_executions(sagemaker, pipeline_ref)
        running = [e for e in executions if e.get("PipelineExecutionStatus") in RUNNING_STATUSES]
        if running:
            arn = running[0].get("PipelineExecutionArn")
            decision = Decision(
                DEBOUNCED, reason="an execution of the pipeline is in flight", execution_arn=arn, **base
            )
        else:
            starts = [t for t in (_timestamp(e.get("StartTime")) for e in executions) if t is not None]
            last = max(starts, default=None)
            if last is not None and now - last < config.cooldown_seconds:
                why = f"last start {int(now - last)}s ago is within the {config.cooldown_seconds}s cooldown"
                decision = Decision(COOLDOWN, reason=why, **base)
            else:
                gate = store.open_gate(config.pipeline_arn, now, config.cooldown_seconds)
                if not gate[0]:
                    why = f"another trigger started the pipeline within the {config.cooldown_seconds}s cooldown"
                    decision = Decision(COOLDOWN, reason=why, **base)
                else:
                    response = sagemaker.start_pipeline_execution(
                        PipelineName=pipeline_ref,
                        ClientRequestToken=client_request_token(config.pipeline_arn, trigger.event_id),
                        PipelineExecutionDisplayName=display_name(trigger.kind, trigger.event_id),
                        PipelineExecutionDescription=trigger.reason[:3072],
                        PipelineParameters=pipeline_parameters(trigger, config),
                    )
                    started = True
                    decision = Decision(
                        STARTED, reason=trigger.reason, execution_arn=response["PipelineExecutionArn"], **base
                    )
        store.complete(trigger.event_id, token, decision.decision, decision.reason, decision.execution_arn)
    except Exception:
        if gate is not None and gate[0] and not started:
            store.close_gate(config.pipeline_arn, now, gate[1])
        store.release(trigger.event_id, token)
        raise
    return decision
