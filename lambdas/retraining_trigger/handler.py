"""Lambda entry point of the retraining trigger: parse, decide, log one JSON decision line.

Handler: ``retraining_trigger.handler.handler`` (the asset root is the ``lambdas`` folder).

Environment contract (read and validated at cold start, when Lambda imports this module: a bad value
is logged then, and fails every invocation with a :class:`~retraining_trigger.config.ConfigError`
naming all problems):

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
``FUNCTION_TIMEOUT_SECONDS``    yes       The function's configured timeout (3..900), set by
                                          ``GlueFunction``. Client timeouts, retries and the claim's lease
                                          derive from it (a claim never outlives its invocation).
``DATA_BUCKET``                 no        S3 "Object Created" events must come from this bucket (a bare
                                          bucket name: an ``s3://`` URI or an ARN is a configuration error).
``DATA_PREFIX``                 no        ... and their key must start with this prefix (default ""; no
                                          ``s3://``, ``arn:``, leading ``/`` or wildcards).
``INPUT_DATA_PARAMETER``        no        Pipeline parameter that receives the new object's S3 URI
                                          (default ``InputDataUrl``; set to "" to pass none).
``TRIGGER_REASON_PARAMETER``    no        Pipeline parameter that receives the trigger kind
                                          (``new-data``, ``schedule``, ``drift-alarm``,
                                          ``monitoring-violation``; default ``TriggerReason``; "" for none).
``ALARM_ARNS``                  no        Comma-separated alarm ARNs allowed to trigger (default: any).
``MONITORING_SCHEDULE_ARNS``    no        Comma-separated monitoring schedule ARNs allowed (default: any).
==============================  ========  ==============================================================

The pipeline must declare the parameters named above (SageMaker rejects unknown parameters).
Concurrent invocations are safe without reserved concurrency: the event claim and the start gate are
conditional writes, and the start itself is idempotent on a token derived from the event id.

Permissions the function needs: ``sagemaker:ListPipelineExecutions`` and
``sagemaker:StartPipelineExecution`` on the pipeline; ``dynamodb:PutItem``, ``UpdateItem``,
``DeleteItem`` on the table (and the table key's ``kms:Encrypt``/``Decrypt``/``GenerateDataKey``).

Outcomes (the ``decision`` field of the log line and of the return value):

- ``started`` / ``duplicate`` / ``debounced`` / ``cooldown``: see :mod:`retraining_trigger.logic`;
- ``ignored``: a well-formed event that asks for nothing (alarm back to OK, monitor job without
  violations, folder marker); returned, no side effect;
- ``rejected``: a malformed or misrouted event (including one from another account or region);
  logged at ERROR and returned, *not* raised, because a retry cannot fix it (no side effect, nothing
  in the DLQ);
- ``error``: an AWS call failed, or another invocation holds a live claim on the event; logged at
  ERROR and raised, so Lambda retries the asynchronous invocation and then sends the event to the
  dead-letter queue.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from glue_common.aws import CallBudget, ceil_seconds, client_factory, seconds_left
from glue_common.events import event_id_of, own_account
from glue_common.log import DecisionLog

from . import config as config_module
from . import events
from .idempotency import IdempotencyStore
from .logic import Decision, decide

#: The decision log: one JSON line per invocation, ``"function": "retraining-trigger"``.
log = DecisionLog("retraining-trigger")
#: The clock (a module attribute, so tests can move time).
clock = time.time


@functools.cache
def settings() -> config_module.Config:
    """The validated configuration, read once per container."""
    return config_module.load(os.environ)


def budget() -> CallBudget:
    """Timeouts and retries of every AWS call, derived from the function's timeout."""
    return CallBudget.for_timeout(settings().function_timeout_seconds)


#: ``client(service)``: boto3 clients created once per container, with :func:`budget`.
client = client_factory(budget)


def cold_start() -> None:
    """Validate the configuration when Lambda imports the module; a bad one is logged now, not at the first event."""
    try:
        settings()
    except config_module.ConfigError as error:
        log.config_error(error)


def lease_seconds(context: Any, config: config_module.Config) -> int:
    """The claim's lease: this invocation's time left plus the margin, at most ``config.lease_seconds``."""
    left = seconds_left(context, float(config.function_timeout_seconds))
    return min(config.lease_seconds, ceil_seconds(left) + config_module.LEASE_MARGIN_SECONDS)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Handle one EventBridge event.

    Args:
        event: the EventBridge event.
        context: the Lambda context (its function ARN tells the function's own account; its time left
            bounds the claim's lease).

    Returns:
        The decision as a dict (``decision``, ``event_id``, ``reason``, ...).

    Raises:
        ConfigError: the environment is invalid.
        ClaimInProgress: another invocation holds a live claim on the event (retry, then dead-letter queue).
        botocore.exceptions.ClientError: an AWS call failed (retry, then dead-letter queue).
    """
    try:
        config = settings()
    except config_module.ConfigError as error:
        log.config_error(error)
        raise
    request_id = getattr(context, "aws_request_id", None)
    account, region = own_account(context), os.environ.get("AWS_REGION")
    try:
        parsed = events.parse(event, config, account, region)
    except events.MalformedEvent as error:
        rejected = Decision("rejected", event_id_of(event), f"malformed event: {error}")
        return log.outcome("ERROR", rejected.as_dict(), request_id=request_id)
    if isinstance(parsed, events.Ignored):
        ignored = Decision("ignored", parsed.event_id, parsed.reason, kind=parsed.kind)
        return log.outcome("INFO", ignored.as_dict(), request_id=request_id)
    store = IdempotencyStore(client("dynamodb"), config.table_name, config.idempotency_ttl_seconds)
    try:
        decision = decide(
            parsed,
            config,
            sagemaker=client("sagemaker"),
            store=store,
            pipeline_ref=config.pipeline_ref(account, region),
            now=clock(),
            lease_seconds=lease_seconds(context, config),
        )
    except Exception as error:
        log.failure(
            error, event_id=parsed.event_id, kind=parsed.kind, pipeline_arn=config.pipeline_arn, request_id=request_id
        )
        raise
    return log.outcome("INFO", decision.as_dict(), request_id=request_id)


cold_start()
