"""What the endpoint actually serves, read from SageMaker (never from the record or from an event).

DescribeEndpoint is the source of truth for ordering and reconciliation: an event says what *was*
true when it was emitted, and EventBridge delivers events late and out of order; the record may lag
if writing it failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from .config import Config
from .events import PackageArn
from .record import SsmClient, error_code, record_package, recorded_package

IN_SERVICE = "InService"
RECONCILED = "reconciled"
UNCHANGED = "unchanged"


class SageMakerClient(Protocol):
    """The SageMaker calls deploy-on-approval makes (a boto3 ``sagemaker`` client)."""

    def describe_model_package(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_endpoint_config(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_model(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_model(self, **kwargs: Any) -> dict[str, Any]: ...
    def create_endpoint_config(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_tags(self, **kwargs: Any) -> dict[str, Any]: ...
    def add_tags(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_endpoint(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_inference_component(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_inference_component(self, **kwargs: Any) -> dict[str, Any]: ...


class EndpointBusy(RuntimeError):
    """The endpoint is not ``InService`` (updating, rolling back, failed): retry later."""


@dataclass(frozen=True)
class EndpointState:
    """One ``DescribeEndpoint`` of the configured endpoint (or ``DescribeInferenceComponent`` of the
    configured component).

    Attributes:
        status: ``EndpointStatus`` (``InService``, ``Updating``, ``RollingBack``, ...), or the
            component's ``InferenceComponentStatus`` (``InService``, ``Updating``, ``Failed``, ...).
        config_name: the endpoint config currently deployed (during an update: the old one); for a
            component, the model it currently runs (``Specification.ModelName``).
        variants: the endpoint's ``ProductionVariants`` (current and desired instance counts, weights).
        specification: the component's ``Specification`` (component mode), copied into an update.
    """

    status: str
    config_name: str
    variants: tuple[dict[str, Any], ...]
    specification: dict[str, Any] | None = None

    @property
    def is_component(self) -> bool:
        return self.specification is not None

    @property
    def in_service(self) -> bool:
        return self.status == IN_SERVICE

    def desired_instance_counts(self) -> dict[str, int]:
        """Each variant's instance count now (``DesiredInstanceCount``, as autoscaling set it)."""
        counts: dict[str, int] = {}
        for variant in self.variants:
            count = variant.get("DesiredInstanceCount", variant.get("CurrentInstanceCount"))
            if isinstance(count, int) and count > 0:
                counts[str(variant.get("VariantName"))] = count
        return counts


def describe(sagemaker: SageMakerClient, config: Config) -> EndpointState:
    """The endpoint's current state (the component's, when ``config.component_name`` is set)."""
    if config.component_name is not None:
        component = sagemaker.describe_inference_component(InferenceComponentName=config.component_name)
        if component.get("EndpointName") != config.endpoint_name:
            raise RuntimeError(
                f"inference component {config.component_name} is on endpoint {component.get('EndpointName')!r}, "
                f"not {config.endpoint_name}"
            )
        specification = dict(component.get("Specification") or {})
        return EndpointState(
            status=str(component.get("InferenceComponentStatus", "")),
            config_name=str(specification.get("ModelName", "")),
            variants=(),
            specification=specification,
        )
    endpoint = sagemaker.describe_endpoint(EndpointName=config.endpoint_name)
    return EndpointState(
        status=str(endpoint.get("EndpointStatus", "")),
        config_name=str(endpoint.get("EndpointConfigName", "")),
        variants=tuple(endpoint.get("ProductionVariants", [])),
    )


def serving_package(sagemaker: SageMakerClient, config: Config, config_name: str) -> str | None:
    """The model package behind ``config_name`` (first selected variant; in component mode the name is
    the component's model), if any."""
    if config.component_name is not None:
        return model_package(sagemaker, config_name)
    current = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    wanted = set(config.variant_names)
    for variant in current.get("ProductionVariants", []):
        if wanted and variant.get("VariantName") not in wanted:
            continue
        return model_package(sagemaker, str(variant["ModelName"]))
    return None


def model_package(sagemaker: SageMakerClient, model_name: str) -> str | None:
    """The model package a model was built from, if any (None when the model is gone)."""
    try:
        model = sagemaker.describe_model(ModelName=model_name)
    except ClientError as error:
        if error_code(error) == "ValidationException":
            return None  # the model was deleted: nothing of the group can be said to serve
        raise
    containers = [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]
    for container in containers:
        if container.get("ModelPackageName"):
            return str(container["ModelPackageName"])
    return None


def group_package(arn: str | None, config: Config) -> PackageArn | None:
    """``arn`` parsed, if it is a versioned package of the configured group."""
    parsed = PackageArn.parse(arn) if arn else None
    return parsed if parsed is not None and parsed.in_group(config) else None


def reconcile(
    event_id: str, config: Config, *, sagemaker: SageMakerClient, ssm: SsmClient, cause: str
) -> dict[str, Any]:
    """Make the record equal to the package the endpoint serves, if the endpoint is ``InService`` *now*.

    The endpoint's state is read with DescribeEndpoint, never taken from the event: a late
    ``IN_SERVICE`` event of an earlier update must not rewrite the record while the endpoint is
    updating to a newer package.

    Args:
        event_id: the EventBridge event id.
        config: the function's configuration.
        sagemaker: a boto3 SageMaker client.
        ssm: a boto3 SSM client.
        cause: what prompted the check (logged in the reason).

    Returns:
        The decision fields (``reconciled`` or ``unchanged``).
    """
    base: dict[str, Any] = {"event_id": event_id, "endpoint_name": config.endpoint_name}
    state = describe(sagemaker, config)
    if not state.in_service:
        why = f"{cause}: the endpoint is {state.status} now; the record is reconciled when it is InService again"
        return {"decision": UNCHANGED, "reason": why, **base}
    serving = serving_package(sagemaker, config, state.config_name)
    deployed = recorded_package(ssm, config)
    base.update(deployed_package_arn=deployed, model_package_arn=serving, endpoint_config_name=state.config_name)
    if group_package(serving, config) is None:
        return {"decision": UNCHANGED, "reason": f"{cause}: the endpoint does not serve a package of the group", **base}
    if serving == deployed:
        return {"decision": UNCHANGED, "reason": f"{cause}: the record matches the serving package", **base}
    assert serving is not None  # group_package() above
    record_package(ssm, config, serving)
    return {"decision": RECONCILED, "reason": f"{cause}: recorded the package the endpoint actually serves", **base}
