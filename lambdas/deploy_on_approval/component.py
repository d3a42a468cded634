"""Component mode: the ``UpdateInferenceComponent`` request that rolls a new model onto a component.

Pure logic plus one call through the client passed in (see :mod:`deploy_on_approval.deploy`).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .config import Config
from .endpoint import EndpointBusy, SageMakerClient
from .record import error_code

__all__ = ["COPIED_SPECIFICATION_KEYS", "component_update", "update_component"]


#: Keys of a component's ``Specification`` an update keeps (the model is replaced).
COPIED_SPECIFICATION_KEYS = ("ComputeResourceRequirements", "StartupParameters")


def component_update(config: Config, specification: dict[str, Any], name: str) -> dict[str, Any]:
    """The ``UpdateInferenceComponent`` request: the new model, the current reservations, a rolling update.

    Args:
        config: the function's configuration (component name, rolling update, alarms).
        specification: the component's current ``Specification`` (DescribeInferenceComponent).
        name: the new model's name.

    Returns:
        Keyword arguments for ``update_inference_component`` (no ``RuntimeConfig``: the copy count
        autoscaling set is kept).

    Raises:
        RuntimeError: the current specification has no compute reservations to keep.
    """
    spec: dict[str, Any] = {"ModelName": name}
    for key in COPIED_SPECIFICATION_KEYS:
        if specification.get(key):
            spec[key] = specification[key]
    if "ComputeResourceRequirements" not in spec:
        raise RuntimeError(f"inference component {config.component_name} reports no ComputeResourceRequirements")
    return {
        "InferenceComponentName": config.component_name,
        "Specification": spec,
        "DeploymentConfig": config.component_deployment_config(),
    }


def update_component(sagemaker: SageMakerClient, request: dict[str, Any]) -> None:
    """``UpdateInferenceComponent``.

    Raises:
        EndpointBusy: SageMaker refused because an update started in between (retry later).
    """
    try:
        sagemaker.update_inference_component(**request)
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        if error_code(error) == "ValidationException" and ("in-progress" in message or "Cannot update" in message):
            raise EndpointBusy(f"inference component {request['InferenceComponentName']} is busy: {message}") from error
        raise
