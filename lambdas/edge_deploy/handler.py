"""Lambda entry point of edge-deploy: parse, deploy, log one JSON decision line.

Handler: ``edge_deploy.handler.handler`` (the asset root is the ``lambdas`` folder).

Environment contract (validated at cold start; a bad value fails every invocation with a
:class:`~edge_deploy.config.ConfigError` naming all problems):

=================================  ========  ============================================================
Variable                           Required  Meaning
=================================  ========  ============================================================
``MODEL_PACKAGE_GROUP_ARN``        yes       Group whose approvals deploy (events of its account/region).
``COMPONENT_NAME``                 yes       The model component (``<package version>.0.0`` per package).
``THING_GROUP_ARN``                yes       The IoT thing group of the core devices.
``ARTIFACT_LOCATION``              yes       ``s3://bucket/prefix``: approved artifacts must be under it
                                             (the devices' token-exchange role reads only there).
``ADDITIONAL_COMPONENTS``          no        JSON object name -> version of the deployment's other
                                             components (a deployment replaces the group's set).
``FAILURE_THRESHOLD_PERCENTAGE``   no        Cancel the rollout at this share of failed devices (10).
``ROLLOUT_PER_MINUTE``             no        Devices notified per minute (10).
``FUNCTION_TIMEOUT_SECONDS``       yes       The function's timeout, set by ``GlueFunction``.
=================================  ========  ============================================================

Permissions: ``sagemaker:DescribeModelPackage`` on the group's packages; ``greengrass:CreateComponentVersion``
on the component; ``greengrass:CreateDeployment``, ``ListDeployments``, ``GetDeployment`` and the IoT job
and thing-group actions a deployment needs; ``s3:GetObject`` (and the key's ``kms:Decrypt``) on the
artifacts, which Greengrass reads as the caller to record their digest.

Outcomes: see :mod:`edge_deploy.logic`. ``rejected`` events are logged at ERROR and returned (a retry cannot fix
them); failed AWS calls are logged and raised (Lambda retries, then the dead-letter queue).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from glue_common.aws import CallBudget, client_factory
from glue_common.events import MalformedEvent, event_id_of
from glue_common.log import DecisionLog

from . import config as config_module
from .logic import Decision, Ignored, decide, parse

log = DecisionLog("edge-deploy")


@functools.cache
def settings() -> config_module.Config:
    """The validated configuration, read once per container."""
    return config_module.load(os.environ)


def budget() -> CallBudget:
    return CallBudget.for_timeout(settings().function_timeout_seconds)


client = client_factory(budget)


def cold_start() -> None:
    """Validate the configuration at import; a bad one is logged now, not at the first event."""
    try:
        settings()
    except config_module.ConfigError as error:
        log.config_error(error)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Handle one EventBridge event; return the decision.

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
        parsed = parse(event, config)
    except MalformedEvent as error:
        rejected = Decision("rejected", event_id_of(event), f"malformed event: {error}")
        return log.outcome("ERROR", rejected.as_dict(), request_id=request_id)
    if isinstance(parsed, Ignored):
        return log.outcome("INFO", Decision("ignored", parsed.event_id, parsed.reason).as_dict(), request_id=request_id)
    try:
        decision = decide(parsed, config, sagemaker=client("sagemaker"), greengrass=client("greengrassv2"))
    except Exception as error:
        log.failure(error, event_id=parsed.event_id, package_arn=parsed.package_arn, request_id=request_id)
        raise
    level = "ERROR" if decision.decision == "refused" else "INFO"
    return log.outcome(level, decision.as_dict(), request_id=request_id)


cold_start()
