"""Durable idempotency and the start gate, in one DynamoDB table.

Why DynamoDB (and not SSM Parameter Store): a conditional ``PutItem`` is an atomic
create-if-absent, so two concurrent deliveries of one event cannot both claim it; items expire by
TTL, so the table stays small without a sweeper (standard SSM parameters have no expiry and an
account holds at most 10,000); one on-demand table with a customer-managed KMS key and
point-in-time recovery costs cents; and moto emulates conditional writes faithfully.

Table contract (created by the ``RetrainingTrigger`` construct):

- partition key ``pk`` (String), no sort key, TTL attribute ``expires_at`` (epoch seconds);
- ``event#<event id>`` items record one EventBridge event: ``status`` (``IN_PROGRESS`` or
  ``COMPLETED``), ``claim_token``, ``lease_expires_at``, and once completed ``decision``, ``reason``
  and ``execution_arn``;
- ``gate#<pipeline arn>`` items hold ``last_start_at`` (epoch seconds) of the last start this
  function made; a conditional update on it makes the cooldown atomic across concurrent events.

A claim is leased until its invocation's deadline plus a small margin, never longer (see
``Config.lease_seconds``): an ``IN_PROGRESS`` claim whose lease has run out (the invocation timed
out, was killed, or failed and could not release it) is taken over by the next delivery of the
event; that is safe because ``StartPipelineExecution`` is itself idempotent on the
``ClientRequestToken`` derived from the event id. A delivery that finds a *live* ``IN_PROGRESS``
claim is not acknowledged: the handler raises :class:`ClaimInProgress`, so Lambda retries it and,
if the claim never completes, the event ends in the dead-letter queue rather than being lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError


class DynamoDbClient(Protocol):
    """The DynamoDB calls this module makes (a boto3 ``dynamodb`` client)."""

    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def delete_item(self, **kwargs: Any) -> dict[str, Any]: ...


IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"


class ClaimInProgress(RuntimeError):
    """Another invocation holds a live claim on the event: retry later (never acknowledged as a duplicate)."""


def _conditional_failed(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


@dataclass(frozen=True)
class Claim:
    """The result of claiming an event id.

    Attributes:
        claimed: True if this invocation owns the event now.
        token: the claim token (to complete or release the claim), when claimed.
        previous: the existing record, when not claimed (a duplicate).
    """

    claimed: bool
    token: str | None = None
    previous: dict[str, Any] | None = None

    @property
    def completed(self) -> bool:
        """True when the event was already decided (a duplicate that may be acknowledged)."""
        return bool(self.previous) and (self.previous or {}).get("status") == COMPLETED


class IdempotencyStore:
    """Event claims and the pipeline start gate in one DynamoDB table.

    Args:
        client: a boto3 DynamoDB client.
        table_name: the table (see the module docstring for its schema).
        ttl_seconds: how long an event id is remembered.
    """

    def __init__(self, client: DynamoDbClient, table_name: str, ttl_seconds: int) -> None:
        self._client = client
        self._table = table_name
        self._ttl = ttl_seconds

    def claim(self, event_id: str, now: float, lease_seconds: int) -> Claim:
        """Atomically claim ``event_id``; a second claim of a live record fails.

        Args:
            event_id: the EventBridge event id.
            now: the current time (epoch seconds).
            lease_seconds: how long the claim blocks other deliveries: the invocation's time left plus
                a margin, so the claim never outlives the invocation.

        Returns:
            The claim, or the previous record if the event was already claimed.
        """
        token = uuid.uuid4().hex
        item = {
            "pk": {"S": f"event#{event_id}"},
            "status": {"S": IN_PROGRESS},
            "claim_token": {"S": token},
            "claimed_at": {"N": str(int(now))},
            "lease_expires_at": {"N": str(int(now) + lease_seconds)},
            "expires_at": {"N": str(int(now) + self._ttl)},
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=(
                    "attribute_not_exists(pk) OR expires_at < :now "
                    "OR (#status = :in_progress AND lease_expires_at < :now)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":now": {"N": str(int(now))}, ":in_progress": {"S": IN_PROGRESS}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            old = error.response.get("Item") or {}
            return Claim(claimed=False, previous={k: next(iter(v.values())) for k, v in old.items()})
        return Claim(claimed=True, token=token)

    def complete(self, event_id: str, token: str, decision: str, reason: str, execution_arn: str | None) -> None:
        """Record the decision for a claimed event (only by the claim's owner)."""
        names = {"#status": "status", "#decision": "decision", "#reason": "reason"}
        values: dict[str, Any] = {
            ":completed": {"S": COMPLETED},
            ":decision": {"S": decision},
            ":reason": {"S": reason[:1000]},
            ":token": {"S": token},
        }
        update = "SET #status = :completed, #decision = :decision, #reason = :reason"
        if execution_arn:
            update += ", execution_arn = :execution_arn"
            values[":execution_arn"] = {"S": execution_arn}
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": f"event#{event_id}"}},
            UpdateExpression=update,
            ConditionExpression="claim_token = :token",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def release(self, event_id: str, token: str) -> None:
        """Drop an unfinished claim so that a retry of the event can run (after a failure)."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={"pk": {"S": f"event#{event_id}"}},
                ConditionExpression="claim_token = :token AND #status = :in_progress",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":token": {"S": token}, ":in_progress": {"S": IN_PROGRESS}},
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise

    def open_gate(self, pipeline_arn: str, now: float, cooldown_seconds: int) -> tuple[bool, str | None]:
        """Atomically record a start unless another start happened within the cooldown.

        Args:
            pipeline_arn: the pipeline.
            now: the current time (epoch seconds).
            cooldown_seconds: the cooldown.

        Returns:
            ``(opened, previous)``: whether this caller may start, and the previous ``last_start_at``
            (to restore with :meth:`close_gate` if the start then fails).
        """
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"gate#{pipeline_arn}"}},
                UpdateExpression="SET last_start_at = :now",
                ConditionExpression="attribute_not_exists(last_start_at) OR last_start_at <= :threshold",
                ExpressionAttributeValues={
                    ":now": {"N": str(int(now))},
                    ":threshold": {"N": str(int(now) - cooldown_seconds)},
                },
                ReturnValues="UPDATED_OLD",
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            return False, None
        previous = response.get("Attributes", {}).get("last_start_at", {}).get("N")
        return True, previous

    def close_gate(self, pipeline_arn: str, now: float, previous: str | None) -> None:
        """Undo :meth:`open_gate` after a failed start (only if nobody has moved the gate since)."""
        key = {"pk": {"S": f"gate#{pipeline_arn}"}}
        values: dict[str, Any] = {":now": {"N": str(int(now))}}
        if previous is None:
            update = "REMOVE last_start_at"
        else:
            update = "SET last_start_at = :previous"
            values[":previous"] = {"N": previous}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=update,
                ConditionExpression="last_start_at = :now",
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise
