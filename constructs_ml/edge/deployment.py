"""EdgeDeployment: an approved model as an AWS IoT Greengrass V2 component, deployed to a thing group.

SageMaker Edge Manager was discontinued on 2024-04-26; AWS recommends packaging
models (e.g. ONNX) as Greengrass V2 components. This construct is the reproducible, on-demand path: the model
artifact is fixed at synth (an S3 object, e.g. the ``model.onnx`` of an approved package), so the same
``cdk deploy`` always puts the same model on the same devices.

* A **model component** (``<component_name>``) whose only artifact is the model object, readable by the
  component's user only (``Permission.Read: OWNER``).
* Optionally an **inference component** (``<component_name>.Inference``, :class:`EdgeInference`): your
  application code and its lifecycle (install, run), with a hard dependency on the exact model version; its
  run command finds the model at ``{<component_name>:artifacts:path}``.
* A **deployment** (``AWS::GreengrassV2::Deployment``) of those components (plus ``additional_components``) to
  an IoT thing group, rolling back on failure and cancelled when 10% of devices fail.
* The **token-exchange role** the devices download with, allowed to read exactly these artifacts
  (:class:`~constructs_ml.edge.TokenExchangeRole`; pass a shared one for devices that run several models).

Example::

    EdgeDeployment(stack, "Churn", model=S3Path(buckets.artifacts.bucket, "edge/churn/1/model.onnx"),
        key=keys.data, component_name="com.example.churn.Model", component_version="1.0.0",
        thing_group_name="store-gateways")
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import aws_greengrassv2 as greengrass
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved, stack_of
from constructs_ml.edge.token_exchange import TokenExchangeRole
from constructs_ml.errors import Problems
from constructs_ml.serve.common import S3Path, physical_name

#: Greengrass component names (``com.example.Model``); ``aws.greengrass.*`` is reserved for AWS.
_COMPONENT = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$")
#: Component versions: semantic versions ``major.minor.patch``.
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
#: IoT thing group names.
_THING_GROUP = re.compile(r"^[a-zA-Z0-9:_-]{1,128}$")


@dataclass(frozen=True)
class EdgeInference:
    """The inference application that runs next to the model on each device.

    Attributes:
        code: the application artifact (an S3 object: a ``.zip`` is unpacked, anything else is kept as is).
        run: the lifecycle ``run`` script, e.g. ``"python3 -u {artifacts:decompressedPath}/app/serve.py --model
            {com.example.churn.Model:artifacts:path}/model.onnx"`` (one line).
        install: the lifecycle ``install`` script (runs once per version): installs ONNX Runtime for the
            component's user from the device's package index.
    """

    code: S3Path
    run: str
    install: str = "python3 -m pip install --user onnxruntime"


class EdgeDeployment(Construct):
    """A model (and optionally its inference application) as Greengrass V2 components on a thing group.

    Args:
        scope: parent construct.
        construct_id: construct id.
        model: the model artifact (one S3 object, e.g. ``model.onnx`` or ``model.tar.gz``).
        component_name: the model component's name, e.g. ``com.example.churn.Model``.
        component_version: its semantic version (``1.0.0``); a new model needs a new version.
        thing_group_name: the IoT thing group of the core devices.
        key: the KMS key the artifacts are encrypted with (the bucket's key): none (SSE-S3 artifacts).
        inference: the inference application: none (the model component only, for your own components to
            depend on).
        additional_components: other components of this thing group's deployment, by name and version (a
            deployment replaces the group's component set: list every component the devices keep running,
            e.g. ``{"aws.greengrass.Nucleus": "2.14.3"}``): none.
        token_exchange_role: the devices' :class:`TokenExchangeRole`: a new one (role, alias, device policy).
        deployment_name: the deployment's name: derived from the construct path.
        failure_threshold_percentage: cancel the rollout when this share of devices failed (0..100): 10.
        rollout_per_minute: devices notified per minute (1..1000): 10.
        permissions_boundary: a boundary for a new token-exchange role: none.

    Raises:
        ValidationError: bad names or versions, an artifact that is a prefix rather than an object,
            a component in ``additional_components`` that clashes with ours.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model: S3Path,
        component_name: str,
        component_version: str,
        thing_group_name: str,
        key: kms.IKey | None = None,
        inference: EdgeInference | None = None,
        additional_components: Mapping[str, str] | None = None,
        token_exchange_role: TokenExchangeRole | None = None,
        deployment_name: str | None = None,
        failure_threshold_percentage: float = 10,
        rollout_per_minute: int = 10,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        extra = dict(additional_components or {})
        inference_name = f"{component_name}.Inference"
        problems.require(
            bool(_COMPONENT.match(component_name)) and not component_name.startswith("aws.greengrass"),
            "component_name",
            component_name,
            "1..128 letters, digits, '.', '_' and '-', not starting with 'aws.greengrass' (reserved)",
        )
        problems.require(
            bool(_VERSION.match(component_version)),
            "component_version",
            component_version,
            "a semantic version 'major.minor.patch' (e.g. '1.0.0')",
        )
        problems.require(
            bool(_THING_GROUP.match(thing_group_name)) or is_unresolved(thing_group_name),
            "thing_group_name",
            thing_group_name,
            "1..128 letters, digits, ':', '_' and '-'",
        )
        for prop, path in (("model", model), *((("inference.code", inference.code),) if inference else ())):
            key_name = path.clean_prefix
            problems.require(
                bool(key_name) and not path.prefix.endswith("/") and path.prefix_problem() is None,
                prop,
                path.prefix,
                "an object key (e.g. 'edge/churn/1/model.onnx'), not a prefix",
            )
        for name, version in extra.items():
            problems.require(
                name not in (component_name, inference_name),
                "additional_components",
                name,
                f"other components than {component_name} and {inference_name}",
            )
            problems.require(
                bool(_VERSION.match(version)),
                f"additional_components[{name!r}]",
                version,
                "a semantic version 'major.minor.patch'",
            )
        problems.require_range("failure_threshold_percentage", failure_threshold_percentage, 0, 100)
        problems.require_range("rollout_per_minute", rollout_per_minute, 1, 1000)
        problems.raise_if_any()

        stack = stack_of(self)
        self.token_exchange_role = token_exchange_role or TokenExchangeRole(
            self, "TokenExchange", permissions_boundary=permissions_boundary
        )
        artifacts = [model, *([inference.code] if inference else [])]
        self.token_exchange_role.allow_artifacts(artifacts, key)

        self.model_component = greengrass.CfnComponentVersion(
            self,
            "ModelComponent",
            inline_recipe=stack.to_json_string(model_recipe(component_name, component_version, _s3_uri(model))),
        )
        components: dict[str, greengrass.CfnDeployment.ComponentDeploymentSpecificationProperty] = {
            component_name: greengrass.CfnDeployment.ComponentDeploymentSpecificationProperty(
                component_version=self.model_component.attr_component_version
            )
        }
        self.inference_component: greengrass.CfnComponentVersion | None = None
        if inference is not None:
            self.inference_component = greengrass.CfnComponentVersion(
                self,
                "InferenceComponent",
                inline_recipe=stack.to_json_string(
                    inference_recipe(
                        inference_name, component_version, component_name, inference, _s3_uri(inference.code)
                    )
                ),
            )
            components[inference_name] = greengrass.CfnDeployment.ComponentDeploymentSpecificationProperty(
                component_version=self.inference_component.attr_component_version
            )
        for name, version in sorted(extra.items()):
            components[name] = greengrass.CfnDeployment.ComponentDeploymentSpecificationProperty(
                component_version=version
            )
        self.thing_group_arn = stack.format_arn(service="iot", resource="thinggroup", resource_name=thing_group_name)
        self.resource = greengrass.CfnDeployment(
            self,
            "Resource",
            target_arn=self.thing_group_arn,
            deployment_name=deployment_name or physical_name(self, max_length=256),
            components=components,
            deployment_policies=greengrass.CfnDeployment.DeploymentPoliciesProperty(
                failure_handling_policy="ROLLBACK",
                component_update_policy=greengrass.CfnDeployment.DeploymentComponentUpdatePolicyProperty(
                    action="NOTIFY_COMPONENTS", timeout_in_seconds=60
                ),
            ),
            iot_job_configuration=greengrass.CfnDeployment.DeploymentIoTJobConfigurationProperty(
                abort_config=greengrass.CfnDeployment.IoTJobAbortConfigProperty(
                    criteria_list=[
                        greengrass.CfnDeployment.IoTJobAbortCriteriaProperty(
                            action="CANCEL",
                            failure_type="ALL",
                            min_number_of_executed_things=1,
                            threshold_percentage=failure_threshold_percentage,
                        )
                    ]
                ),
                job_executions_rollout_config=greengrass.CfnDeployment.IoTJobExecutionsRolloutConfigProperty(
                    maximum_per_minute=rollout_per_minute
                ),
            ),
        )
        self.component_name = component_name
        self.component_version = component_version
        self.model = model

    @property
    def model_component_arn(self) -> str:
        return self.model_component.attr_arn

    @property
    def deployment_id(self) -> str:
        return self.resource.attr_deployment_id


def _s3_uri(path: S3Path) -> str:
    return f"s3://{path.bucket.bucket_name}/{path.clean_prefix}"


def model_recipe(name: str, version: str, model_uri: str) -> dict[str, object]:
    """The model component's recipe: the model object as its only artifact, readable by the component's user."""
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


def inference_recipe(
    name: str, version: str, model_component: str, inference: EdgeInference, code_uri: str
) -> dict[str, object]:
    """The inference component's recipe: the application artifact, install/run, a hard dependency on the model."""
    unarchive = "ZIP" if code_uri.lower().endswith(".zip") else "NONE"
    return {
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": name,
        "ComponentVersion": version,
        "ComponentDescription": f"Inference application of {model_component} (constructs_ml EdgeDeployment)",
        "ComponentPublisher": "constructs-ml",
        "ComponentDependencies": {model_component: {"VersionRequirement": f"={version}", "DependencyType": "HARD"}},
        "Manifests": [
            {
                "Platform": {"os": "linux"},
                "Artifacts": [
                    {"URI": code_uri, "Unarchive": unarchive, "Permission": {"Read": "OWNER", "Execute": "OWNER"}}
                ],
                "Lifecycle": {"install": inference.install, "run": inference.run},
            }
        ],
    }


__all__ = ["EdgeDeployment", "EdgeInference", "inference_recipe", "model_recipe"]
