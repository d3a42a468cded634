"""Deploy an approved model package to the endpoint, blue/green, and record what is deployed.

Pure logic: every AWS call goes through the clients passed in.

For an ``Approved`` package event (:func:`deploy_package`):

1. read the recorded package (SSM parameter ``DEPLOYED_PACKAGE_PARAMETER``): the same package means
   ``duplicate``; an older version of the group than the recorded one means ``out-of-order``;
2. re-check the package with ``DescribeModelPackage``: no longer ``Approved`` (or not ``Completed``)
   means ``not-approved`` (the event was stale);
3. the endpoint must be ``InService`` (else :class:`EndpointBusy` is raised: a retry later will do);
   if it already runs the endpoint config this function derives for the package, the package is
   only recorded (``recorded``: a previous invocation died between the update and the record);
4. create the Model (``PrimaryContainer.ModelPackageName`` = the package ARN, the VPC config, network
   isolation, the execution role) and a new EndpointConfig copied from the endpoint's current one
   (KMS key, data capture, async/explainer/shadow settings, variants) with the new model in the
   selected variants. Names are derived from the endpoint and the package, so a retry reuses them;
5. ``UpdateEndpoint`` with the blue/green ``DeploymentConfig`` and auto-rollback alarms;
6. write the package ARN to the SSM parameter (``deployed``).

For an endpoint event with status ``IN_SERVICE`` (:func:`reconcile`): read the package behind the
endpoint's current config and, if it differs from the recorded one (a blue/green rollback, or a
manual change), record it (``reconciled``). That keeps the record equal to what actually serves.

The recorded value is the contract with the serving stack; see the handler's module docstring.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from .config import Config
from .events import PackageArn

DEPLOYED = "deployed"
RECORDED = "recorded"
DUPLICATE = "duplicate"
OUT_OF_ORDER = "out-of-order"
NOT_APPROVED = "not-approved"
RECONCILED = "reconciled"
UNCHANGED = "unchanged"

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


class SageMakerClient(Protocol):
    """The SageMaker calls this module makes (a boto3 ``sagemaker`` client)."""

    def describe_model_package(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_endpoint_config(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_model(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_model(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_endpoint_config(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_tags(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_endpoint(self, **kwargs: Any) -> dict[str, Any]: ...


class SsmClient(Protocol):
    """The SSM calls this module makes (a boto3 ``ssm`` client)."""

    def get_parameter(self, **kwargs: Any) -> dict[str, Any]: ...
    def put_parameter(self, **kwargs: Any) -> dict[str, Any]: ...


class EndpointBusy(RuntimeError):
    """The endpoint is not ``InService`` (updating, rolling back, failed): retry later."""


@dataclass(frozen=True)
class Decision:
    """What the function decided for one event (logged as one JSON line and returned).

    Attributes:
        decision: ``deployed``, ``recorded``, ``duplicate``, ``out-of-order``, ``not-approved``,
            ``reconciled``, ``unchanged`` (or, from the handler, ``ignored`` / ``rejected``).
        event_id: the EventBridge event id.
        reason: why.
        model_package_arn: the package the event is about.
        deployed_package_arn: the package recorded as deployed before this event.
        endpoint_name: the endpoint.
        endpoint_config_name: the endpoint config created or found.
        model_name: the model created or found.
    """

    decision: str
    event_id: str | None
    reason: str
    model_package_arn: str | None = None
    deployed_package_arn: str | None = None
    endpoint_name: str | None = None
    endpoint_config_name: str | None = None
    model_name: str | None = None

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


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def recorded_package(ssm: SsmClient, config: Config) -> str | None:
    """The package ARN recorded as deployed, or None before the first deployment.

    Before any approval the serving stack creates the parameter with a placeholder (``none``, see
    ``constructs_ml.serve.ApprovedPackageParameter``): any value that is not a model package ARN means
    "nothing deployed from the registry yet".
    """
    try:
        response = ssm.get_parameter(Name=config.deployed_parameter)
    except ClientError as error:
        if _error_code(error) == "ParameterNotFound":
            return None
        raise
    value = response.get("Parameter", {}).get("Value")
    if not value or ":model-package/" not in str(value):
        return None
    return str(value)


def record_package(ssm: SsmClient, config: Config, package_arn: str) -> None:
    """Record ``package_arn`` as the deployed package (the serving stack reads it on its next deploy)."""
    ssm.put_parameter(
        Name=config.deployed_parameter,
        Value=package_arn,
        Type="String",
        Overwrite=True,
        Description=f"Model package deployed to endpoint {config.endpoint_name} (written by deploy-on-approval)"[:1024],
    )


def _ensure_model(sagemaker: SageMakerClient, config: Config, package: PackageArn, name: str) -> None:
    try:
        existing = sagemaker.describe_model(ModelName=name)
    except ClientError as error:
        if _error_code(error) != "ValidationException":
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
        Tags=[{"Key": TAG_PACKAGE, "Value": package.arn}],
    )


def new_endpoint_config(
    current: dict[str, Any], tags: list[dict[str, str]], config: Config, name: str, package_arn: str
) -> dict[str, Any]:
    """The ``CreateEndpointConfig`` request: ``current`` with the new model in the selected variants.

    Args:
        current: ``DescribeEndpointConfig`` of the endpoint's current config.
        tags: the current config's tags (``aws:`` tags are dropped, they are reserved).
        config: the function's configuration (which variants to update).
        name: the new model's name, also the new config's name.
        package_arn: the package deployed (tagged on the new config).

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
    for variant in variants:
        if str(variant.get("VariantName")) in wanted:
            variant["ModelName"] = name
    request: dict[str, Any] = {"EndpointConfigName": name, "ProductionVariants": variants}
    for key in COPIED_CONFIG_KEYS:
        if current.get(key) is not None:
            request[key] = current[key]
    kept = [t for t in tags if not t.get("Key", "").startswith("aws:") and t.get("Key") != TAG_PACKAGE]
    request["Tags"] = [*kept[:49], {"Key": TAG_PACKAGE, "Value": package_arn}]
    return request


def _ensure_endpoint_config(sagemaker: SageMakerClient, request: dict[str, Any]) -> None:
    try:
        sagemaker.create_endpoint_config(**request)
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        if _error_code(error) == "ValidationException" and "already exist" in message:
            return  # a previous attempt created it; names are derived from the package
        raise


def deploy_package(
    event_id: str,
    package: PackageArn,
    config: Config,
    *,
    sagemaker: SageMakerClient,
    ssm: SsmClient,
) -> Decision:
    """Deploy an approved package (see the module docstring for the steps).

    Args:
        event_id: the EventBridge event id.
        package: the approved package.
        config: the function's configuration.
        sagemaker: a boto3 SageMaker client (in the endpoint's account and region).
        ssm: a boto3 SSM client.

    Returns:
        The decision.

    Raises:
        EndpointBusy: the endpoint is not ``InService``.
        botocore.exceptions.ClientError: an AWS call failed.
    """
    base: dict[str, Any] = {
        "event_id": event_id,
        "model_package_arn": package.arn,
        "endpoint_name": config.endpoint_name,
    }
    deployed = recorded_package(ssm, config)
    base["deployed_package_arn"] = deployed
    if deployed == package.arn:
        return Decision(DUPLICATE, reason="this package is already the deployed one", **base)
    current_package = PackageArn.parse(deployed) if deployed else None
    if current_package is not None and current_package.in_group(config) and current_package.version > package.version:
        why = f"version {package.version} is older than the deployed version {current_package.version}"
        return Decision(OUT_OF_ORDER, reason=why, **base)
    described = sagemaker.describe_model_package(ModelPackageName=package.arn)
    approval = described.get("ModelApprovalStatus")
    status = described.get("ModelPackageStatus")
    if approval != "Approved" or status != "Completed":
        why = f"package is now {approval} / {status}; only Approved and Completed packages deploy"
        return Decision(NOT_APPROVED, reason=why, **base)
    name = resource_name(config, package)
    base["model_name"] = name
    base["endpoint_config_name"] = name
    endpoint = sagemaker.describe_endpoint(EndpointName=config.endpoint_name)
    if endpoint.get("EndpointConfigName") == name:
        record_package(ssm, config, package.arn)
        return Decision(RECORDED, reason="the endpoint already runs this package's config; recorded it", **base)
    if endpoint.get("EndpointStatus") != "InService":
        raise EndpointBusy(f"endpoint {config.endpoint_name} is {endpoint.get('EndpointStatus')}, not InService")
    current = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    tags = sagemaker.list_tags(ResourceArn=current["EndpointConfigArn"]).get("Tags", [])
    _ensure_model(sagemaker, config, package, name)
    _ensure_endpoint_config(sagemaker, new_endpoint_config(current, tags, config, name, package.arn))
    sagemaker.update_endpoint(
        EndpointName=config.endpoint_name,
        EndpointConfigName=name,
        DeploymentConfig=config.deployment_config(),
    )
    record_package(ssm, config, package.arn)
    return Decision(DEPLOYED, reason=f"blue/green update to version {package.version} started", **base)


def serving_package(sagemaker: SageMakerClient, config: Config) -> str | None:
    """The model package behind the endpoint's current config (first selected variant), if any."""
    endpoint = sagemaker.describe_endpoint(EndpointName=config.endpoint_name)
    current = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    wanted = set(config.variant_names)
    for variant in current.get("ProductionVariants", []):
        if wanted and variant.get("VariantName") not in wanted:
            continue
        model = sagemaker.describe_model(ModelName=variant["ModelName"])
        containers = [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]
        for container in containers:
            if container.get("ModelPackageName"):
                return str(container["ModelPackageName"])
        return None
    return None


def reconcile(
    event_id: str, endpoint_status: str, config: Config, *, sagemaker: SageMakerClient, ssm: SsmClient
) -> Decision:
    """Make the record equal to the package the endpoint serves once it is ``IN_SERVICE`` again.

    Args:
        event_id: the EventBridge event id.
        endpoint_status: ``detail.EndpointStatus`` of the event.
        config: the function's configuration.
        sagemaker: a boto3 SageMaker client.
        ssm: a boto3 SSM client.

    Returns:
        The decision (``reconciled`` or ``unchanged``).
    """
    base: dict[str, Any] = {"event_id": event_id, "endpoint_name": config.endpoint_name}
    if endpoint_status.upper().replace("_", "") != "INSERVICE":
        return Decision(UNCHANGED, reason=f"endpoint is {endpoint_status}; reconcile waits for IN_SERVICE", **base)
    serving = serving_package(sagemaker, config)
    deployed = recorded_package(ssm, config)
    base["deployed_package_arn"] = deployed
    base["model_package_arn"] = serving
    parsed = PackageArn.parse(serving) if serving else None
    if serving is None or parsed is None or not parsed.in_group(config):
        return Decision(UNCHANGED, reason="the endpoint does not serve a package of the group", **base)
    if serving == deployed:
        return Decision(UNCHANGED, reason="the record matches the serving package", **base)
    record_package(ssm, config, serving)
    return Decision(RECONCILED, reason="recorded the package the endpoint actually serves", **base)
