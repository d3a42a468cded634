"""Lambda entry point of the retraining trigger: parse, decide, log one JSON decision line.

Handler: ``retraining_trigger.handler.handler`` (the asset root is the ``lambdas`` folder).

Environment contract (read and validated once per container; a bad value fails every invocation
with a :class:`~retraining_trigger.config.ConfigError` naming all problems):

==============================  ========  ==============================================================
Variable                        Required  Meaning
==============================  ========  ==============================================================
``PIPELINE_ARN``                yes       ARN of the SageMaker pipeline to start. Called by name when it
                                          is in the function's own account and region, else by ARN.
``IDEMPOTENCY_TABLE_NAME``      yes       DynamoDB table of processed event ids and the start gate
                                          (partition key ``pk`` String, TTL attribute ``expires_at``;
                                          see :mod:`retraining_trigger.idempotency`).
``COOLDOWN_SECONDS``            no        No new start within this many seconds of the pipeline's last
                                          start (0..2592000; default 3600).
``IDEMPOTENCY_TTL_SECONDS``     no        How long event ids are remembered (3600..31536000; default 7
                                          days, longer than EventBridge's 24 h retry window).
``IN_PROGRESS_LEASE_SECONDS``   no        How long an unfinished claim blocks a duplicate before a retry
                                          may take over (60..3600; default 900, the Lambda maximum).
``DATA_BUCKET``                 no        S3 "Object Created" events must come from this bucket.
``DATA_PREFIX``                 no        ... and their key must start with this prefix (default "").
``INPUT_DATA_PARAMETER``        no        Pipeline parameter that receives the new object's S3 URI
                                          (default ``InputDataUrl``; set to "" to pass none).
``TRIGGER_REASON_PARAMETER``    no        Pipeline parameter that receives the trigger kind
                                          (``new-data``, ``schedule``, ``drift-alarm``,
                                          ``monitoring-violation``; default ``TriggerReason``; "" for none).
``ALARM_ARNS``                  no        Comma-separated alarm ARNs allowed to trigger (default: any).
``MONITORING_SCHEDULE_ARNS``    no        Comma-separated monitoring schedule ARNs allowed (default: any).
==============================  ========  ==============================================================

The pipeline must declare the parameters named above (SageMaker rejects unknown parameters).
Run the function with reserved concurrency 1: decisions are then serial, and the conditional writes
still protect against the overlap of a retry with a new invocation.

Permissions the function needs: ``sagemaker:ListPipelineExecutions`` and
``sagemaker:StartPipelineExecution`` on the pipeline; ``dynamodb:PutItem``, ``UpdateItem``,
``DeleteItem`` on the table (and the table key's ``kms:Encrypt``/``Decrypt``/``GenerateDataKey``).

Outcomes (the ``decision`` field of the log line and of the return value):

- ``started`` / ``duplicate`` / ``debounced`` / ``cooldown``: see :mod:`retraining_trigger.logic`;
- ``ignored``: a well-formed event that asks for nothing (alarm back to OK, monitor job without
  violations, folder marker); returned, no side effect;
- ``rejected``: a malformed or misrouted event; logged at ERROR and returned, *not* raised, because
  a retry cannot fix it (no side effect, nothing in the DLQ);
- ``error``: an AWS call failed; logged at ERROR and raised, so Lambda retries the asynchronous
  invocation and then sends the event to the dead-letter queue.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from glue_common.aws import client_factory
from glue_common.events import event_id_of
from glue_common.log import DecisionLog

from . import config as config_module
from . import events
from .idempotency import IdempotencyStore
from .logic import Decision, decide

#: The decision log: one JSON line per invocation, ``"function": "retraining-trigger"``.
log = DecisionLog("retraining-trigger")
#: ``client(service)``: boto3 clients created once per container (standard retries).
client = client_factory()


@functools.cache
def settings() -> config_module.Config:
    """The validated configuration, read once per container."""
    return config_module.load(os.environ)


def _own_account(context: Any) -> str | None:
    arn = getattr(context, "invoked_function_arn", None)
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 4 else None


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Handle one EventBridge event.

    Args:
        event: the EventBridge event.
        context: the Lambda context (its function ARN tells the function's own account).

    Returns:
        The decision as a dict (``decision``, ``event_id``, ``reason``, ...).

    Raises:
        ConfigError: the environment is invalid.
        botocore.exceptions.ClientError: an AWS call failed (retry, then dead-letter queue).
    """
    try:
        config = settings()
    except config_module.ConfigError as error:
        log.config_error(error)
        raise
    request_id = getattr(context, "aws_request_id", None)
    try:
        parsed = events.parse(event, config)
    except events.MalformedEvent as error:
        rejected = Decision("rejected", event_id_of(event), f"malformed event: {error}")
        return log.outcome("ERROR", rejected.as_dict(), request_id=request_id)
    if isinstance(parsed, events.Ignored):
        ignored = Decision("ignored", parsed.event_id, parsed.reason, kind=parsed.kind)
        return log.outcome("INFO", ignored.as_dict(), request_id=request_id)
    store = IdempotencyStore(
        client("dynamodb"), config.table_name, config.idempotency_ttl_seconds, config.lease_seconds
    )
    pipeline_ref = config.pipeline_ref(_own_account(context), os.environ.get("AWS_REGION"))
    try:
        decision = decide(
            parsed, config, sagemaker=client("sagemaker"), store=store, pipeline_ref=pipeline_ref, now=time.time()
        )
    except Exception as error:
        log.failure(
            error, event_id=parsed.event_id, kind=parsed.kind, pipeline_arn=config.pipeline_arn, request_id=request_id
        )
        raise
    return log.outcome("INFO", decision.as_dict(), request_id=request_id)
