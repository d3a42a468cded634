"""Deploy an approved model package to the endpoint, blue/green, and record what is deployed.

Pure logic: every AWS call goes through the clients passed in.

For an ``Approved`` package event (:func:`deploy_package`):

1. read the endpoint (``DescribeEndpoint``): if it already runs the endpoint config this function
   derives for the package, the package is only recorded (``recorded``: a previous invocation died
   between the update and the record) or nothing is done (``duplicate``); if it is not
   ``InService``, :class:`EndpointBusy` is raised (a retry later will do);
2. order: the package the endpoint actually serves and the recorded one are compared with the
   event's package by their version *within the group* (the registry assigns versions in order). The
   package already serving is a ``duplicate``; an older version than either is ``out-of-order``. A
   lagging record (writing it failed after a roll-out) therefore cannot let a late approval of an
   older version roll the endpoint back;
3. re-check the package in the registry with ``DescribeModelPackage``: no longer ``Approved`` (or not
   ``Completed``) means ``not-approved`` (the event was stale);
4. rolled back: if this very event already rolled the package out (the derived endpoint config
   carries the event id in its :data:`TAG_ROLLED_OUT_BY` tag) and the endpoint no longer runs it,
   the deployment failed and was rolled back: a redelivery of the event must not deploy it again
   (``rolled-back``). A new approval (a new event) or an operator removing that tag may;
5. verify the package's model artifact against the identity its register step recorded (when
   ``ARTIFACT_LOCATIONS`` is set; :mod:`deploy_on_approval.integrity`): a mismatch is ``refused``, with
   nothing created or recorded and one ``ArtifactIntegrityFailures`` metric datum;
6. create the Model (``PrimaryContainer.ModelPackageName`` = the package ARN, the VPC config, network
   isolation, the execution role) and a new EndpointConfig copied from the endpoint's current one
   (KMS key, data capture, async/explainer/shadow settings, variants) with the new model in the
   selected variants, each variant's ``InitialInstanceCount`` set to its current desired count. Names
   are derived from the endpoint and the package, so a retry reuses them;
7. ``UpdateEndpoint`` with the blue/green ``DeploymentConfig``, the auto-rollback alarms and
   ``RetainAllVariantProperties=True``: instance counts and weights that autoscaling (or an operator)
   set on the running endpoint are kept, not reset to the config's initial values; an endpoint that
   became busy in between raises :class:`EndpointBusy`;
8. tag the derived config with the event id (step 4) and write the package ARN to the SSM parameter
   (``deployed``).

With ``INFERENCE_COMPONENT_NAME`` (an endpoint in component mode) the same steps run against the
component: ``DescribeInferenceComponent`` gives its status and the model it runs (in place of the
endpoint config), the derived model is tagged with the event id (there is no derived config), and
step 7 is ``UpdateInferenceComponent`` with the new model and the component's current compute
reservations and startup parameters, rolling (``ROLLING_BATCH_TYPE``/``ROLLING_BATCH_SIZE``, the
wait interval) with the auto-rollback alarms; the copy count that autoscaling set is kept (no
``RuntimeConfig`` is sent).

Endpoint events and changes of the record are reconciled from ``DescribeEndpoint``
(:func:`deploy_on_approval.endpoint.reconcile`), or ``DescribeInferenceComponent`` in component mode.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from . import integrity
from .component import component_update, update_component
from .config import Config
from .endpoint import EndpointBusy, EndpointState, SageMakerClient, describe, group_package, serving_package
from .events import PackageArn
from .record import SsmClient, error_code, record_package, recorded_package

__all__ = ["EndpointBusy", "SageMakerClient", "SsmClient", "deploy_package", "resource_name"]

DEPLOYED = "deployed"
RECORDED = "recorded"
DUPLICATE = "duplicate"
OUT_OF_ORDER = "out-of-order"
NOT_APPROVED = "not-approved"
ROLLED_BACK = "rolled-back"
REFUSED = "refused"

#: Keys of DescribeEndpointConfig copied to the new config as they are.
COPIED_CONFIG_KEYS = (
    "DataCaptureConfig",
    "KmsKeyId",
    "AsyncInferenceConfig",
    "ExplainerConfig",
    "ShadowProductionVariants",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)
TAG_PACKAGE = "constructs-ml:model-package-arn"
#: Tag on a derived endpoint config: the id of the approval event that rolled it out.
TAG_ROLLED_OUT_BY = "constructs-ml:rolled-out-by-event"


@dataclass(frozen=True)
class Decision:
    """What the function decided for one event (logged as one JSON line and returned).

    Attributes:
        decision: ``deployed``, ``recorded``, ``duplicate``, ``out-of-order``, ``not-approved``,
            ``rolled-back``, ``reconciled``, ``unchanged`` (or, from the handler, ``ignored`` / ``rejected``).
        event_id: the EventBridge event id.
        reason: why.
        model_package_arn: the package the event is about.
        deployed_package_arn: the package recorded as deployed before this event.
        serving_package_arn: the package the endpoint served when the event was handled.
        endpoint_name: the endpoint.
        endpoint_config_name: the endpoint config created or found.
        model_name: the model created or found.
        artifact: the verified artifact identity (URL, version id, ETag), when artifacts are verified.
    """

    decision: str
    event_id: str | None
    reason: str
    model_package_arn: str | None = None
    deployed_package_arn: str | None = None
    serving_package_arn: str | None = None
    endpoint_name: str | None = None
    endpoint_config_name: str | None = None
    model_name: str | None = None
    artifact: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The decision as a JSON-ready dict without empty fields."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def resource_name(config: Config, package: PackageArn) -> str:
    """The model and endpoint config name for a package: ``<prefix>-v<version>-<hash>``, at most 63 chars.

    The hash covers the endpoint and the package ARN, so two registries with equal group names, or
    two endpoints fed by one group, never collide.
    """
    digest = hashlib.sha256(f"{config.endpoint_name}|{package.arn}".encode()).hexdigest()[:8]
    prefix = re.sub(r"[^a-zA-Z0-9-]+", "-", config.model_name_prefix).strip("-")[:40].rstrip("-") or "model"
    return f"{prefix}-v{package.version}-{digest}"


def _ensure_model(
    sagemaker: SageMakerClient,
    config: Config,
    package: PackageArn,
    name: str,
    identity: integrity.ArtifactIdentity | None = None,
) -> None:
    try:
        existing = sagemaker.describe_model(ModelName=name)
    except ClientError as error:
        if error_code(error) != "ValidationException":
            raise
        existing = None
    if existing is not None:
        found = existing.get("PrimaryContainer", {}).get("ModelPackageName")
        if found != package.arn:
            raise RuntimeError(f"model {name} exists but serves {found!r}, not {package.arn!r}")
        return
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=config.execution_role_arn,
        PrimaryContainer={"ModelPackageName": package.arn},
        VpcConfig={"SecurityGroupIds": list(config.security_group_ids), "Subnets": list(config.subnet_ids)},
        EnableNetworkIsolation=config.network_isolation,
        Tags=[{"Key": TAG_PACKAGE, "Value": package.arn}, *(identity.as_tags() if identity else [])],
    )


def new_endpoint_config(
    current: dict[str, Any],
    tags: list[dict[str, str]],
    config: Config,
    name: str,
    package_arn: str,
    instance_counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The ``CreateEndpointConfig`` request: ``current`` with the new model in the selected variants.

    Args:
        current: ``DescribeEndpointConfig`` of the endpoint's current config.
        tags: the current config's tags (``aws:`` tags and this function's own tags are dropped).
        config: the function's configuration (which variants to update).
        name: the new model's name, also the new config's name.
        package_arn: the package deployed (tagged on the new config).
        instance_counts: each variant's desired instance count on the running endpoint (as autoscaling
            set it): the new config starts with those instead of the old config's initial counts.

    Returns:
        Keyword arguments for ``create_endpoint_config``.

    Raises:
        RuntimeError: a configured variant does not exist on the endpoint.
    """
    variants = [dict(v) for v in current.get("ProductionVariants", [])]
    present = {str(v.get("VariantName")) for v in variants}
    wanted = set(config.variant_names) or present
    missing = wanted - present
    if missing:
        raise RuntimeError(f"variants {sorted(str(m) for m in missing)} are not on endpoint {config.endpoint_name}")
    counts = instance_counts or {}
    for variant in variants:
        variant_name = str(variant.get("VariantName"))
        if variant_name in wanted:
            variant["ModelName"] = name
        if variant_name in counts and "InitialInstanceCount" in variant:
            variant["InitialInstanceCount"] = counts[variant_name]
    request: dict[str, Any] = {"EndpointConfigName": name, "ProductionVariants": variants}
    for key in COPIED_CONFIG_KEYS:
        if current.get(key) is not None:
            request[key] = current[key]
    own = (TAG_PACKAGE, TAG_ROLLED_OUT_BY)
    kept = [t for t in tags if not t.get("Key", "").startswith("aws:") and t.get("Key") not in own]
    request["Tags"] = [*kept[:49], {"Key": TAG_PACKAGE, "Value": package_arn}]
    return request


def _ensure_endpoint_config(sagemaker: SageMakerClient, request: dict[str, Any]) -> None:
    try:
        sagemaker.create_endpoint_config(**request)
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        if error_code(error) == "ValidationException" and "already exist" in message:
            return  # a previous attempt created it; names are derived from the package
        raise


def rolled_out_by(sagemaker: SageMakerClient, config_arn_or_name: str) -> str | None:
    """The approval event id that rolled the derived config out before (its tag), or None."""
    try:
        described = sagemaker.describe_endpoint_config(EndpointConfigName=config_arn_or_name)
    except ClientError as error:
        if error_code(error) == "ValidationException":
            return None  # never created: no earlier roll-out
        raise
    tags = sagemaker.list_tags(ResourceArn=described["EndpointConfigArn"]).get("Tags", [])
    for tag in tags:
        if tag.get("Key") == TAG_ROLLED_OUT_BY:
            return str(tag.get("Value"))
    return None


def rolled_out_by_model(sagemaker: SageMakerClient, model_name: str) -> str | None:
    """Component mode: the approval event id that rolled the derived model out before (its tag), or None."""
    try:
        described = sagemaker.describe_model(ModelName=model_name)
    except ClientError as error:
        if error_code(error) == "ValidationException":
            return None  # never created: no earlier roll-out
        raise
    for tag in sagemaker.list_tags(ResourceArn=described["ModelArn"]).get("Tags", []):
        if tag.get("Key") == TAG_ROLLED_OUT_BY:
            return str(tag.get("Value"))
    return None


def update_endpoint(sagemaker: SageMakerClient, config: Config, name: str) -> None:
    """``UpdateEndpoint`` keeping the running variants' instance counts and weights (autoscaling).

    Raises:
        EndpointBusy: SageMaker refused because an update started in between (retry later).
    """
    try:
        sagemaker.update_endpoint(
            EndpointName=config.endpoint_name,
            EndpointConfigName=name,
            RetainAllVariantProperties=True,
            DeploymentConfig=config.deployment_config(),
        )
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        if error_code(error) == "ValidationException" and ("in-progress" in message or "Cannot update" in message):
            raise EndpointBusy(f"endpoint {config.endpoint_name} is busy: {message}") from error
        raise


def _order(package: PackageArn, serving: PackageArn | None, deployed: PackageArn | None) -> tuple[str, str] | None:
    """``(decision, reason)`` when the package is already serving or older than what serves/is recorded."""
    if serving is not None and serving.arn == package.arn:
        return DUPLICATE, "the endpoint already serves this package"
    for what, other in (("serving", serving), ("recorded", deployed)):
        if other is not None and other.version > package.version:
            return OUT_OF_ORDER, f"version {package.version} is older than the {what} version {other.version}"
    return None


def deploy_package(
    event_id: str,
    package: PackageArn,
    config: Config,
    *,
    sagemaker: SageMakerClient,
    ssm: SsmClient,
    s3: integrity.S3Client | None = None,
    cloudwatch: integrity.CloudWatchClient | None = None,
) -> Decision:
    """Deploy an approved package (see the module docstring for the steps).

    Args:
        event_id: the EventBridge event id.
        package: the approved package.
        config: the function's configuration.
        sagemaker: a boto3 SageMaker client (in the endpoint's account and region).
        ssm: a boto3 SSM client.
        s3: a boto3 S3 client (required when ``config.artifact_locations`` is set).
        cloudwatch: a boto3 CloudWatch client (required when ``config.artifact_locations`` is set).

    Returns:
        The decision.

    Raises:
        EndpointBusy: the endpoint is not ``InService``.
        botocore.exceptions.ClientError: an AWS call failed.
        ValueError: artifacts are to be verified but no S3 or CloudWatch client was given.
    """
    if config.artifact_locations and (s3 is None or cloudwatch is None):
        raise ValueError("artifact_locations is set: deploy_package needs the s3 and cloudwatch clients")
    base: dict[str, Any] = {
        "event_id": event_id,
        "model_package_arn": package.arn,
        "endpoint_name": config.endpoint_name,
    }
    name = resource_name(config, package)
    deployed = recorded_package(ssm, config)
    base["deployed_package_arn"] = deployed
    state: EndpointState = describe(sagemaker, config)
    if state.is_component and not state.in_service:
        # A component's Specification may name the new model while the rolling update (or its
        # rollback) still runs: nothing is concluded from it until the component is InService.
        raise EndpointBusy(f"inference component {config.component_name} is {state.status}, not InService")
    if state.config_name == name:
        names = {"model_name": name} if state.is_component else {"model_name": name, "endpoint_config_name": name}
        base.update(serving_package_arn=package.arn, **names)
        if deployed == package.arn:
            return Decision(DUPLICATE, reason="the endpoint already runs this package's config", **base)
        record_package(ssm, config, package.arn)
        return Decision(RECORDED, reason="the endpoint already runs this package's config; recorded it", **base)
    if not state.in_service:
        raise EndpointBusy(f"endpoint {config.endpoint_name} is {state.status}, not InService")
    serving_arn = serving_package(sagemaker, config, state.config_name)
    base["serving_package_arn"] = serving_arn
    ordered = _order(package, group_package(serving_arn, config), group_package(deployed, config))
    if ordered is not None:
        if ordered[0] == DUPLICATE and deployed != package.arn:
            record_package(ssm, config, package.arn)
            return Decision(RECORDED, reason=f"{ordered[1]}; recorded it", **base)
        return Decision(ordered[0], reason=ordered[1], **base)
    described = sagemaker.describe_model_package(ModelPackageName=package.arn)
    approval = described.get("ModelApprovalStatus")
    status = described.get("ModelPackageStatus")
    if approval != "Approved" or status != "Completed":
        why = f"package is now {approval} / {status}; only Approved and Completed packages deploy"
        return Decision(NOT_APPROVED, reason=why, **base)
    component = state.is_component
    base.update(model_name=name, **({} if component else {"endpoint_config_name": name}))
    earlier = rolled_out_by_model(sagemaker, name) if component else rolled_out_by(sagemaker, name)
    if earlier == event_id:
        why = (
            "this event already rolled the package out and the endpoint no longer runs it (the deployment "
            "failed and was rolled back); a redelivery does not deploy it again: approve it anew to retry"
        )
        return Decision(ROLLED_BACK, reason=why, **base)
    identity: integrity.ArtifactIdentity | None = None
    if config.artifact_locations and s3 is not None and cloudwatch is not None:
        try:
            identity = integrity.verify(described, s3=s3, locations=config.artifact_locations)
        except integrity.IntegrityFailure as failure:
            integrity.count_failure(cloudwatch, config.metric_namespace, config.endpoint_name)
            base.pop("model_name")
            base.pop("endpoint_config_name", None)
            return Decision(REFUSED, reason=f"artifact integrity: {failure}", **base)
        base["artifact"] = {"url": identity.url, "version_id": identity.version_id, "etag": identity.etag}
    if state.specification is not None:
        request = component_update(config, state.specification, name)
        _ensure_model(sagemaker, config, package, name, identity)
        update_component(sagemaker, request)
        created = sagemaker.describe_model(ModelName=name)
        sagemaker.add_tags(ResourceArn=created["ModelArn"], Tags=[{"Key": TAG_ROLLED_OUT_BY, "Value": event_id}])
        record_package(ssm, config, package.arn)
        why = f"rolling update of component {config.component_name} to version {package.version} started"
        return Decision(DEPLOYED, reason=why, **base)
    current = sagemaker.describe_endpoint_config(EndpointConfigName=state.config_name)
    tags = sagemaker.list_tags(ResourceArn=current["EndpointConfigArn"]).get("Tags", [])
    _ensure_model(sagemaker, config, package, name, identity)
    request = new_endpoint_config(current, tags, config, name, package.arn, state.desired_instance_counts())
    _ensure_endpoint_config(sagemaker, request)
    update_endpoint(sagemaker, config, name)
    created = sagemaker.describe_endpoint_config(EndpointConfigName=name)
    sagemaker.add_tags(ResourceArn=created["EndpointConfigArn"], Tags=[{"Key": TAG_ROLLED_OUT_BY, "Value": event_id}])
    record_package(ssm, config, package.arn)
    return Decision(DEPLOYED, reason=f"blue/green update to version {package.version} started", **base)
