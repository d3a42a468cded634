"""The decision of edge-deploy: parse an approval event, then create the component version and the deployment.

Outcomes (``decision``):

- ``deployed``: the component version ``<package version>.0.0`` was created (or existed from an earlier try of
  the same event) and a deployment of it to the thing group was created;
- ``duplicate``: the thing group's latest deployment already has this version;
- ``out-of-order``: the thing group's latest deployment has a newer package version (a late, older approval);
- ``not-approved``: the package is no longer ``Approved`` when described (approval revoked since);
- ``refused``: the package's artifact is outside ``ARTIFACT_LOCATION`` (the devices' role could not read it);
- ``ignored``: a package event of the group that is not an approval;
- ``rejected``: a malformed or misrouted event (another group, account or region).

The deployment call carries the event id as its idempotency token, so a retried invocation does not deploy
twice; the component version is immutable, so a retry finds it and goes on.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from glue_common.events import MalformedEvent, parse_envelope, string

from .config import Config

PACKAGE_STATE_CHANGE = ("aws.sagemaker", "SageMaker Model Package State Change")


@dataclass(frozen=True)
class Approval:
    """An approval of a package of the configured group."""

    event_id: str
    package_arn: str
    package_version: int


@dataclass(frozen=True)
class Ignored:
    """A well-formed event that asks for nothing."""

    event_id: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """What the function decided."""

    decision: str
    event_id: str | None
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "event_id": self.event_id, "reason": self.reason, **self.details}


def parse(event: Any, config: Config) -> Approval | Ignored:
    """An :class:`Approval` of the configured group, or why the event is ignored.

    Raises:
        MalformedEvent: the envelope or detail is malformed, or the event is of another group, account or region.
    """
    envelope = parse_envelope(event)
    if envelope.key != PACKAGE_STATE_CHANGE:
        raise MalformedEvent(f"event {envelope.source}/{envelope.detail_type} is not a model package state change")
    _, _, _, region, account, _ = config.group_arn.split(":", 5)
    envelope.require_origin(account, region, "the model package group")
    detail = envelope.detail
    group = string(detail, "ModelPackageGroupName", "detail")
    if group != config.group_name:
        raise MalformedEvent(f"detail.ModelPackageGroupName {group!r} is not {config.group_name!r}")
    package_arn = string(detail, "ModelPackageArn", "detail")
    version = detail.get("ModelPackageVersion")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MalformedEvent(f"detail.ModelPackageVersion must be a positive integer (got {version!r})")
    if not package_arn.lower().endswith(f":model-package/{config.group_name.lower()}/{version}"):
        raise MalformedEvent(
            f"detail.ModelPackageArn {package_arn!r} is not version {version} of {config.group_name!r}"
        )
    status = string(detail, "ModelApprovalStatus", "detail")
    if status != "Approved":
        return Ignored(envelope.event_id, f"package {package_arn} is {status}, not Approved")
    return Approval(envelope.event_id, package_arn, version)


def component_version(package_version: int) -> str:
    """The component version of a package version: ``<package version>.0.0`` (newer packages sort higher)."""
    return f"{package_version}.0.0"


def model_recipe(name: str, version: str, model_uri: str) -> dict[str, Any]:
    """The model component's recipe (the same shape as ``constructs_ml.edge.deployment.model_recipe``)."""
    return {
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": name,
        "ComponentVersion": version,
        "ComponentDescription": "Model artifact deployed by constructs_ml EdgeDeployment",
        "ComponentPublisher": "constructs-ml",
        "Manifests": [
            {
                "Platform": {"os": "linux"},
                "Artifacts": [
                    {"URI": model_uri, "Unarchive": "NONE", "Permission": {"Read": "OWNER", "Execute": "NONE"}}
                ],
                "Lifecycle": {},
            }
        ],
    }


def _model_data_url(package: dict[str, Any]) -> str | None:
    containers = package.get("InferenceSpecification", {}).get("Containers", [])
    if containers and isinstance(containers[0].get("ModelDataUrl"), str):
        return str(containers[0]["ModelDataUrl"])
    return None


def _deployed_major(greengrass: Any, config: Config) -> int | None:
    """The package version the thing group's latest deployment runs, if it has this component."""
    listed = greengrass.list_deployments(targetArn=config.thing_group_arn, historyFilter="LATEST_ONLY")
    for deployment in listed.get("deployments", []):
        current = greengrass.get_deployment(deploymentId=deployment["deploymentId"])
        version = current.get("components", {}).get(config.component_name, {}).get("componentVersion")
        if isinstance(version, str) and version.split(".")[0].isdigit():
            return int(version.split(".")[0])
    return None


def decide(approval: Approval, config: Config, *, sagemaker: Any, greengrass: Any) -> Decision:
    """Deploy the approved package's model to the thing group (see the module docstring for the outcomes).

    Raises:
        botocore.exceptions.ClientError: an AWS call failed (the handler logs it and re-raises for a retry).
    """
    event_id = approval.event_id
    package = sagemaker.describe_model_package(ModelPackageName=approval.package_arn)
    if package.get("ModelApprovalStatus") != "Approved":
        status = package.get("ModelApprovalStatus")
        return Decision("not-approved", event_id, f"{approval.package_arn} is {status} now", {})
    url = _model_data_url(package)
    if url is None or not url.startswith(config.artifact_location + "/"):
        return Decision(
            "refused",
            event_id,
            f"artifact {url!r} of {approval.package_arn} is not under {config.artifact_location}/ "
            "(the devices' token-exchange role reads only there)",
        )
    version = component_version(approval.package_version)
    deployed = _deployed_major(greengrass, config)
    details = {"package_arn": approval.package_arn, "component_version": version, "model": url}
    if deployed is not None and deployed > approval.package_version:
        return Decision("out-of-order", event_id, f"the thing group already runs package version {deployed}", details)
    if deployed == approval.package_version:
        return Decision("duplicate", event_id, f"the thing group already runs {version}", details)
    recipe = json.dumps(model_recipe(config.component_name, version, url)).encode()
    # A ConflictException: the version exists (an earlier try of this event); component versions are immutable.
    with contextlib.suppress(greengrass.exceptions.ConflictException):
        greengrass.create_component_version(inlineRecipe=recipe, clientToken=event_id[:64])
    components: dict[str, dict[str, str]] = {config.component_name: {"componentVersion": version}}
    components.update({name: {"componentVersion": v} for name, v in sorted(config.additional_components.items())})
    created = greengrass.create_deployment(
        targetArn=config.thing_group_arn,
        deploymentName=f"{config.component_name}-{version}"[:256],
        components=components,
        deploymentPolicies={
            "failureHandlingPolicy": "ROLLBACK",
            "componentUpdatePolicy": {"timeoutInSeconds": 60, "action": "NOTIFY_COMPONENTS"},
        },
        iotJobConfiguration={
            "jobExecutionsRolloutConfig": {"maximumPerMinute": config.rollout_per_minute},
            "abortConfig": {
                "criteriaList": [
                    {
                        "failureType": "ALL",
                        "action": "CANCEL",
                        "thresholdPercentage": float(config.failure_threshold_percentage),
                        "minNumberOfExecutedThings": 1,
                    }
                ]
            },
        },
        clientToken=event_id[:64],
    )
    details["deployment_id"] = created.get("deploymentId")
    return Decision("deployed", event_id, f"{config.component_name} {version} deployed to the thing group", details)
