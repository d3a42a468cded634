"""Lambda entry point of deploy-on-approval: parse, deploy or reconcile, log one JSON decision line.

Handler: ``deploy_on_approval.handler.handler`` (the asset root is the ``lambdas`` folder).

Environment contract (read and validated at cold start, when Lambda imports this module: a bad value
is logged then, and fails every invocation with a :class:`~deploy_on_approval.config.ConfigError`
naming all problems):

=====================================  ========  ======================================================
Variable                               Required  Meaning
=====================================  ========  ======================================================
``ENDPOINT_NAME``                      yes       The endpoint to update (in the function's account).
``MODEL_PACKAGE_GROUP_ARN``            yes       Group whose approvals deploy; may be in another
                                                 account (its resource policy must allow this role
                                                 ``sagemaker:DescribeModelPackage``).
``EXECUTION_ROLE_ARN``                 yes       Execution role of the models created (needs access to
                                                 the package's artifacts and images).
``SUBNET_IDS``                         yes       Comma-separated, at least 2 (in different AZs).
``SECURITY_GROUP_IDS``                 yes       Comma-separated, at least 1.
``DEPLOYED_PACKAGE_PARAMETER``         yes       SSM parameter recording the deployed package (below).
``ROLLBACK_ALARM_NAMES``               no        Comma-separated alarm names (at most 10) that roll the
                                                 deployment back (``AutoRollbackConfiguration``).
``TRAFFIC_ROUTING``                    no        ``ALL_AT_ONCE`` (default), ``CANARY`` or ``LINEAR``.
``CANARY_PERCENT``                     no        Canary capacity percent, 1..50 (default 10).
``LINEAR_STEP_PERCENT``                no        Linear step capacity percent, 1..50 (default 20).
``WAIT_INTERVAL_SECONDS``              no        Wait between traffic shifts, 0..3600 (default 600).
``TERMINATION_WAIT_SECONDS``           no        Baking time before the old fleet goes, 0..3600 (600).
``MAXIMUM_EXECUTION_TIMEOUT_SECONDS``  no        Deployment timeout, 600..28800 (SageMaker's default).
``VARIANT_NAMES``                      no        Variants that get the new model (default: all).
``MODEL_NAME_PREFIX``                  no        Prefix of created model/config names (default: the
                                                 endpoint name, cut to 40 characters).
``ENABLE_NETWORK_ISOLATION``           no        ``true`` (default) or ``false``.
``FUNCTION_TIMEOUT_SECONDS``           yes       The function's timeout (3..900), set by
                                                 ``GlueFunction``: client timeouts and retries
                                                 derive from it.
``ARTIFACT_LOCATIONS``                 no        Comma-separated ``s3://bucket/prefix``: verify each
                                                 package's artifact (it must be there) before serving
                                                 it (see :mod:`deploy_on_approval.integrity`).
``METRIC_NAMESPACE``                   no        Namespace of ``ArtifactIntegrityFailures``
                                                 (default ``constructs-ml/DeployOnApproval``).
``INFERENCE_COMPONENT_NAME``           no        An inference component of the endpoint: roll packages
                                                 onto it (``UpdateInferenceComponent``) instead of the
                                                 variants (:mod:`deploy_on_approval.component`).
``ROLLING_BATCH_TYPE``                 no        Component mode: ``COPY_COUNT`` (default) or
                                                 ``CAPACITY_PERCENT``.
``ROLLING_BATCH_SIZE``                 no        Component mode: copies (1..1000) or percent (1..100)
                                                 per batch (default 1); the wait between batches is
                                                 ``WAIT_INTERVAL_SECONDS``.
=====================================  ========  ======================================================

**The deployed-package parameter (contract with the serving stack).** After ``UpdateEndpoint`` is
accepted, the function writes the ARN of the deployed package to the SSM parameter named by
``DEPLOYED_PACKAGE_PARAMETER``: type ``String``, standard tier, the value exactly
``arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>``. When the endpoint
is back ``IN_SERVICE`` (a "SageMaker Endpoint State Change" event routed to this function), and
whenever anyone else writes the parameter (a "Parameter Store Change" event), the value is reconciled
with the package actually serving *as DescribeEndpoint reports it now* (a late event changes nothing
while the endpoint is updating), so a blue/green rollback is recorded too, and a reset of the record
by CloudFormation or by hand is repaired. In component mode (``INFERENCE_COMPONENT_NAME``) a scheduled
rule ("Scheduled Event") triggers the same reconciliation against ``DescribeInferenceComponent``.
So that the next ``cdk deploy`` does not silently revert the endpoint, the serving stack must take the
model package ARN of its ``AWS::SageMaker::Model`` from this parameter *at deploy time*:
``ssm.StringParameter.value_for_string_parameter(scope, name)`` (a CloudFormation parameter of type
``AWS::SSM::Parameter::Value<String>``, resolved on every deploy), never ``value_from_lookup`` (cached
in ``cdk.context.json`` at synth, it would revert). The parameter must exist before the serving stack
is first deployed: create it with the initially approved package in a stack deployed earlier (and do
not change that resource's value in the template afterwards: CloudFormation would overwrite the
record on the next update of that stack), or seed it with ``aws ssm put-parameter``.

Permissions the function needs: ``sagemaker:DescribeModelPackage`` on the group's packages;
``sagemaker:DescribeEndpoint``, ``UpdateEndpoint`` on the endpoint; ``DescribeEndpointConfig``,
``CreateEndpointConfig``, ``ListTags``, ``AddTags`` on the endpoint's configs; ``DescribeModel``,
``CreateModel``, ``AddTags`` on ``model/<prefix>-*``; ``iam:PassRole`` of the execution role to
``sagemaker.amazonaws.com``; ``ssm:GetParameter``/``PutParameter`` on the parameter; the alarms'
``cloudwatch:DescribeAlarms`` is used by SageMaker itself. No reserved concurrency is needed: two
approvals handled at once cannot both update the endpoint (SageMaker refuses ``UpdateEndpoint`` while
an update runs; the loser raises :class:`EndpointBusy` and is retried, then ordered against what serves).
With ``ARTIFACT_LOCATIONS``: ``s3:GetObject`` and ``s3:GetObjectVersion`` on the locations' objects,
``cloudwatch:PutMetricData`` in the metric namespace.

Outcomes (the ``decision`` field): ``deployed``, ``recorded``, ``duplicate``, ``out-of-order``,
``not-approved``, ``rolled-back``, ``refused`` (the artifact failed its integrity check: logged at ERROR,
nothing created or recorded, ``ArtifactIntegrityFailures`` counted; not retried) (see
:mod:`deploy_on_approval.deploy`), ``reconciled``, ``unchanged``
(see :mod:`deploy_on_approval.endpoint`);
``ignored`` for ``Rejected``/``PendingManualApproval`` package events (logged, nothing done);
``rejected`` for malformed events (missing detail, wrong detail-type, bad ARN, another group,
endpoint, parameter, account or region): logged at ERROR and returned, not raised, since a retry
cannot fix them; ``error`` when an AWS call fails or the endpoint is busy: logged and raised, so the
invocation is retried and then lands in the dead-letter queue.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from glue_common.aws import CallBudget, client_factory
from glue_common.events import event_id_of, own_account
from glue_common.log import DecisionLog

from . import config as config_module
from . import deploy, endpoint, events

#: The decision log: one JSON line per invocation, ``"function": "deploy-on-approval"``.
log = DecisionLog("deploy-on-approval")


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


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Handle one EventBridge event.

    Args:
        event: the EventBridge event.
        context: the Lambda context (its function ARN tells the function's own account).

    Returns:
        The decision as a dict (``decision``, ``event_id``, ``reason``, ...).

    Raises:
        ConfigError: the environment is invalid.
        EndpointBusy: the endpoint is not ``InService`` (retry, then dead-letter queue).
        botocore.exceptions.ClientError: an AWS call failed (retry, then dead-letter queue).
    """
    try:
        config = settings()
    except config_module.ConfigError as error:
        log.config_error(error)
        raise
    request_id = getattr(context, "aws_request_id", None)
    try:
        parsed = events.parse(event, config, own_account(context), os.environ.get("AWS_REGION"))
    except events.MalformedEvent as error:
        rejected = deploy.Decision("rejected", event_id_of(event), f"malformed event: {error}")
        return log.outcome("ERROR", rejected.as_dict(), request_id=request_id)
    if isinstance(parsed, events.PackageEvent) and parsed.approval_status != "Approved":
        ignored = deploy.Decision(
            "ignored",
            parsed.event_id,
            f"package is {parsed.approval_status}; only Approved packages deploy",
            model_package_arn=parsed.package.arn,
            endpoint_name=config.endpoint_name,
        )
        return log.outcome("INFO", ignored.as_dict(), request_id=request_id)
    try:
        if isinstance(parsed, events.PackageEvent):
            verifying = bool(config.artifact_locations)
            decision = deploy.deploy_package(
                parsed.event_id,
                parsed.package,
                config,
                sagemaker=client("sagemaker"),
                ssm=client("ssm"),
                s3=client("s3") if verifying else None,
                cloudwatch=client("cloudwatch") if verifying else None,
            )
        else:
            if isinstance(parsed, events.EndpointEvent):
                cause = f"endpoint event {parsed.endpoint_status}"
            elif isinstance(parsed, events.ScheduleEvent):
                cause = f"scheduled check of component {config.component_name}"
            else:
                cause = f"record {parsed.operation}"
            fields = endpoint.reconcile(
                parsed.event_id, config, sagemaker=client("sagemaker"), ssm=client("ssm"), cause=cause
            )
            decision = deploy.Decision(**fields)
    except Exception as error:
        log.failure(error, event_id=parsed.event_id, endpoint_name=config.endpoint_name, request_id=request_id)
        raise
    level = "ERROR" if decision.decision == deploy.REFUSED else "INFO"
    return log.outcome(level, decision.as_dict(), request_id=request_id)


cold_start()
