"""SageMaker endpoints: real-time, serverless or asynchronous, with data capture, autoscaling and
blue/green deployments that roll back on alarms (controls SM-06, SM-07, CW-01).

Example::

    endpoint = Endpoint(self, "Churn",
        variants=[InstanceVariant(model=model, initial_instance_count=2,
                                  autoscaling=Autoscaling.invocations_per_instance(200, max_capacity=6))],
        kms_key=keys.data,
        data_capture=DataCapture(destination=S3Path(buckets.capture.bucket, "churn")),
        deployment=DeploymentConfig.canary(10),
        alarm_topic=alarm_topic.topic)
    endpoint.grant_invoke(api_role)
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.serve.autoscaling import VariantAutoscaling
from constructs_ml.serve.common import NAME_PATTERN, S3Path, kms_statements, physical_name
from constructs_ml.serve.component_role import ComponentNetwork, component_endpoint_role
from constructs_ml.serve.components import ComponentVariant, InferenceComponent, validate_components
from constructs_ml.serve.deployment import DeploymentConfig
from constructs_ml.serve.endpoint_base import (
    EndpointBase,
    ImportedEndpoint,
    endpoint_arn_for,
    endpoint_name_from_arn,
)
from constructs_ml.serve.endpoint_component import EndpointComponent
from constructs_ml.serve.endpoint_config import EndpointConfig, validate, validate_capture
from constructs_ml.serve.topic import AlarmTopic
from constructs_ml.serve.variants import AsyncInference, DataCapture, InstanceVariant, Variant


class Endpoint(EndpointBase):
    """A SageMaker endpoint with typed variants, secure by default.

    Volumes, captured data and async results are encrypted with ``kms_key`` (a new rotated key when
    omitted). Every config change is deployed blue/green with ``deployment`` (all at once by
    default) and rolled back automatically when a rollback alarm fires: by default the endpoint
    creates, per variant, an alarm on 5xx errors and one on model latency, notifying ``alarm_topic``
    (a new KMS-encrypted, TLS-only topic when omitted).

    The endpoint has a deterministic physical name (from its path, or ``endpoint_name``) so that its
    alarms and autoscaling targets can name it without a dependency cycle with the deployment
    config; renaming it replaces the endpoint.

    Serving the approved model: build the variant's model with
    ``Model(approved_package=ApprovedPackageParameter("/ml/churn/deployed-package"), image=..., model_data=...)``.
    The model package then comes from that SSM parameter at every deploy (the initial model until an
    approval is recorded), so a ``cdk deploy`` after deploy-on-approval keeps the approved package,
    and deploy-on-approval's own update and CloudFormation's agree on the same model (see
    :class:`~constructs_ml.serve.ApprovedPackageParameter`).

    Component mode (inference components): give :class:`ComponentVariant` variants (instances, no
    model) and ``components`` (one :class:`InferenceComponent` per model, each with its reserved
    compute, copies, autoscaling and rolling update), plus ``vpc`` and ``security_groups``. The
    endpoint config then carries the VPC config and an execution role the endpoint creates (with
    ``guardrail``), and network isolation when every model is isolated. Each component rolls a new
    model out copy by copy and rolls back on its own 5xx and latency alarms; ``deployment``
    (blue/green of the endpoint config) does not apply and must be omitted. Shadow variants and
    async inference are not available in component mode; data capture is configured on the endpoint
    config as for the other modes.

    Args:
        scope: parent construct.
        construct_id: construct id.
        variants: production variants (see :class:`InstanceVariant`, :class:`ServerlessVariant`,
            :class:`ComponentVariant`).
        shadow_variants: instance variants that receive a copy of the traffic (shadow tests): none.
        kms_key: the key for volumes, captured data and async results: the key of the data capture
            (or async output) bucket when that bucket's key is known (a platform bucket, or one imported
            with ``encryption_key``), since such buckets deny objects under other keys; else a new key
            with rotation.
        data_capture: capture requests/responses (needed for model monitoring): off.
        async_inference: asynchronous inference: off (real-time).
        deployment: blue/green traffic shifting and rollback alarms: all at once, with the default
            5xx and latency alarms.
        alarm_topic: where the endpoint's alarms notify: a new :class:`AlarmTopic`.
        endpoint_name: physical name: derived from the construct path (lowercase).
        removal_policy: what happens to the endpoint on stack deletion: destroyed (it holds no data;
            captured data stays in the capture bucket).
        components: component mode: the inference components (at least one): none.
        vpc: component mode: the platform VPC (required there, rejected otherwise).
        vpc_subnets: component mode: subnets of ``vpc`` in at least two AZs: its private subnets.
        security_groups: component mode: the instances' security groups (at least one).
        guardrail: component mode: the guardrail policy on the endpoint's execution role: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        variants: Sequence[Variant | ComponentVariant],
        shadow_variants: Sequence[InstanceVariant] = (),
        kms_key: kms.IKey | None = None,
        data_capture: DataCapture | None = None,
        async_inference: AsyncInference | None = None,
        deployment: DeploymentConfig | None = None,
        alarm_topic: sns.ITopic | None = None,
        endpoint_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        components: Sequence[InferenceComponent] = (),
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        guardrail: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        listed = variants if isinstance(variants, list | tuple) else ()  # a single variant: validate() says so
        component_mode = bool(components) or any(isinstance(v, ComponentVariant) for v in listed)
        problems = Problems(self)
        network: ComponentNetwork | None = None
        if component_mode:
            problems.require(
                all(isinstance(v, ComponentVariant) for v in variants) and len(variants) >= 1,
                "variants",
                [type(v).__name__ for v in variants],
                "ComponentVariant variants only (at least one) with components",
            )
            validate_components(problems, [v for v in variants if isinstance(v, ComponentVariant)], list(components))
            problems.require(
                deployment is None,
                "deployment",
                deployment,
                "omitted in component mode (each component rolls out with its rolling_update)",
            )
            problems.require(
                not shadow_variants,
                "shadow_variants",
                [v.variant_name for v in shadow_variants],
                "empty in component mode",
            )
            problems.require(async_inference is None, "async_inference", async_inference, "None in component mode")
            validate_capture(problems, data_capture)
            network = ComponentNetwork.select(problems, vpc, vpc_subnets, security_groups)
        else:
            for prop, value in (("vpc", vpc), ("vpc_subnets", vpc_subnets), ("guardrail", guardrail)):
                problems.require(value is None, prop, value, "omitted outside component mode (the models carry it)")
            problems.require(
                not security_groups,
                "security_groups",
                f"{len(security_groups)} group(s)",
                "omitted outside component mode",
            )
            validate(problems, variants, shadow_variants, data_capture, async_inference)  # type: ignore[arg-type]
        deployment = deployment or DeploymentConfig()
        deployment.validate(problems)
        if endpoint_name is not None:
            problems.require(
                bool(NAME_PATTERN.match(endpoint_name)) or is_unresolved(endpoint_name),
                "endpoint_name",
                endpoint_name,
                "[a-zA-Z0-9](-*[a-zA-Z0-9])*, at most 63 characters",
            )
        if deployment.rollback_alarms is None and not component_mode and isinstance(variants, list | tuple):
            problems.require(
                2 * len(variants) <= 10,
                "deployment.rollback_alarms",
                None,
                "given explicitly for more than 5 variants (at most 10 rollback alarms)",
            )
        problems.raise_if_any()

        self.endpoint_name = endpoint_name or physical_name(self)
        self.endpoint_arn = endpoint_arn_for(self, self.endpoint_name)
        self.variant_names = tuple(v.variant_name for v in variants)
        self.deployment = deployment

        if kms_key is None:
            kms_key = derived_key(data_capture, async_inference)
        if kms_key is None:
            kms_key = kms.Key(
                self,
                "Key",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN,
                description=f"Key of endpoint {self.node.path}: volumes, captured data, async results",
            )
        self.key = kms_key
        self.component_mode = component_mode
        self.network = network
        self.execution_role: iam.IRole | None = None
        self.role: ManagedPolicyRole | None = None
        if network is not None:
            self.role = component_endpoint_role(self, network=network, key=kms_key, guardrail=guardrail)
            self.execution_role = self.role.role
        self.config = EndpointConfig(
            self,
            "Config",
            variants=variants,
            shadow_variants=shadow_variants,
            kms_key=kms_key,
            data_capture=data_capture,
            async_inference=async_inference,
            execution_role=self.execution_role,
            vpc_config=network.to_cfn() if network is not None else None,
            network_isolation=(all(c.model.network_isolation is True for c in components) if component_mode else None),
        )
        if self.role is not None:
            if data_capture is not None:  # in component mode the endpoint's role writes captured data
                capture_key = data_capture.kms_key or kms_key
                for stmt in [
                    *data_capture.destination.write_statements(),
                    *kms_statements(capture_key.key_arn, encrypt=True, decrypt=True),
                ]:
                    self.role.add_to_policy(stmt)
            self.config.node.add_dependency(self.role)
        self.data_capture = data_capture
        self.data_capture_path = data_capture.destination if data_capture else None
        self.async_inference = async_inference

        self.alarm_topic: sns.ITopic
        if alarm_topic is None:
            self.owned_alarm_topic: AlarmTopic | None = AlarmTopic(self, "AlarmTopic")
            self.alarm_topic = self.owned_alarm_topic.topic
        else:
            self.owned_alarm_topic = None
            self.alarm_topic = alarm_topic

        self.rollback_alarms: list[cloudwatch.IAlarm] = list(deployment.rollback_alarms or [])
        if deployment.rollback_alarms is None and not component_mode and isinstance(variants, list | tuple):
            self.rollback_alarms = self._default_rollback_alarms(deployment)

        self.resource = sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.config.endpoint_config_name,
        )
        if not component_mode:
            # Raw CloudFormation (PascalCase), the shape the schema documents.
            self.resource.add_property_override(
                "DeploymentConfig", deployment.to_cfn([a.alarm_name for a in self.rollback_alarms])
            )
        if is_unresolved(self.endpoint_name):
            # A name known only at deploy cannot be lower-cased here: use the ARN SageMaker returns.
            self.endpoint_arn = self.resource.attr_endpoint_arn
        self.resource.apply_removal_policy(removal_policy)
        for alarm in self.rollback_alarms:
            self.resource.node.add_dependency(alarm)

        self.components: dict[str, EndpointComponent] = {}
        for c in components:
            self.components[c.name] = EndpointComponent(
                self,
                f"Component-{c.name}",
                endpoint=self,
                endpoint_resource=self.resource,
                component=c,
                alarm_topic=self.alarm_topic,
                latency_threshold=deployment.latency_threshold,
                error_threshold=deployment.error_threshold,
            )
            self.rollback_alarms.extend(self.components[c.name].rollback_alarms)

        self.autoscaling: dict[str, VariantAutoscaling] = {}
        for v in variants:
            if not isinstance(v, ComponentVariant) and v.autoscaling is not None:
                scaling = VariantAutoscaling(
                    self,
                    f"Autoscaling-{v.variant_name}",
                    endpoint=self,
                    variant_name=v.variant_name,
                    config=v.autoscaling,
                )
                scaling.node.add_dependency(self.resource)
                self.autoscaling[v.variant_name] = scaling

    @property
    def rollback_alarm_names(self) -> list[str]:
        """Names of the rollback alarms (for deploy-on-approval's ``ROLLBACK_ALARM_NAMES``)."""
        return [a.alarm_name for a in self.rollback_alarms]

    def _default_rollback_alarms(self, deployment: DeploymentConfig) -> list[cloudwatch.IAlarm]:
        action = cw_actions.SnsAction(self.alarm_topic)
        alarms: list[cloudwatch.IAlarm] = []
        latency_us = deployment.latency_threshold.to_milliseconds() * 1000
        for name in self.variant_names:
            errors = cloudwatch.Alarm(
                self,
                f"Errors5xx-{name}",
                alarm_description=f"{self.endpoint_name}/{name}: 5xx errors (rolls back blue/green deployments)",
                metric=self.metric_invocation_5xx_errors(name, period=Duration.minutes(1)),
                threshold=deployment.error_threshold,
                evaluation_periods=deployment.evaluation_periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            latency = cloudwatch.Alarm(
                self,
                f"Latency-{name}",
                alarm_description=f"{self.endpoint_name}/{name}: model latency (rolls back blue/green deployments)",
                metric=self.metric_model_latency(name, period=Duration.minutes(1)),
                threshold=latency_us,
                evaluation_periods=deployment.evaluation_periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for alarm in (errors, latency):
                alarm.add_alarm_action(action)
                alarms.append(alarm)
        return alarms

    # -- imports ------------------------------------------------------------------------------------

    @classmethod
    def from_endpoint_name(cls, scope: Construct, construct_id: str, endpoint_name: str) -> EndpointBase:
        """An existing endpoint by name: grant on it and read its metrics."""
        return ImportedEndpoint(
            scope, construct_id, endpoint_name=endpoint_name, endpoint_arn=endpoint_arn_for(scope, endpoint_name)
        )

    @classmethod
    def from_endpoint_arn(cls, scope: Construct, construct_id: str, endpoint_arn: str) -> EndpointBase:
        """An existing endpoint by ARN."""
        return ImportedEndpoint(
            scope, construct_id, endpoint_name=endpoint_name_from_arn(scope, endpoint_arn), endpoint_arn=endpoint_arn
        )

    @classmethod
    def from_endpoint_attributes(
        cls,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_names: Sequence[str] = (),
        data_capture: S3Path | None = None,
    ) -> EndpointBase:
        """An existing endpoint with what monitors and dashboards need (variants, where it captures data)."""
        return ImportedEndpoint(
            scope,
            construct_id,
            endpoint_name=endpoint_name,
            endpoint_arn=endpoint_arn_for(scope, endpoint_name),
            variant_names=tuple(variant_names),
            data_capture_path=data_capture,
        )


def derived_key(data_capture: DataCapture | None, async_inference: AsyncInference | None) -> kms.IKey | None:
    """The key an endpoint uses when none is given: that of its capture or async output bucket, if known."""
    if data_capture is not None:
        key = data_capture.kms_key or data_capture.destination.bucket.encryption_key
        if key is not None:
            return key
    if async_inference is not None:
        if async_inference.kms_key is not None:
            return async_inference.kms_key
        if async_inference.output_path is not None:
            return async_inference.output_path.bucket.encryption_key
    return None
