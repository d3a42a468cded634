"""Inference components: several models on the shared instances of one endpoint.

An endpoint in component mode has :class:`ComponentVariant` variants (instances, no model) and one
``AWS::SageMaker::InferenceComponent`` per :class:`InferenceComponent`: each reserves CPU cores,
accelerators and memory per copy, runs ``copies`` copies, scales its copy count with Application
Auto Scaling (``sagemaker:inference-component:DesiredCopyCount``; to zero with ``min_copies=0``) and
rolls a new model out copy by copy, rolling back when one of its alarms fires.

Example::

    endpoint = Endpoint(self, "Llms",
        variants=[ComponentVariant(instance_type=InstanceType.of("ml.g5.12xlarge"),
                                   min_instance_count=0, max_instance_count=2)],
        components=[InferenceComponent("Summarize", model=summarize,
                                       compute=ComputeRequirements(memory_mb=24576, accelerators=2),
                                       autoscaling=ComponentAutoscaling(max_copies=2, min_copies=0))],
        vpc=network.vpc, security_groups=[network.workload_security_group],
        kms_key=keys.data, guardrail=guardrail.policy)
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Duration, Token
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml.errors import Problems
from constructs_ml.instance_types import InstanceType
from constructs_ml.serve.autoscaling import _PolicyAction
from constructs_ml.serve.common import NAME_PATTERN, physical_name
from constructs_ml.serve.model import ModelBase

if TYPE_CHECKING:
    from constructs_ml.serve.endpoint_base import EndpointBase

__all__ = [
    "BatchUnit",
    "ComponentAutoscaling",
    "ComponentVariant",
    "ComputeRequirements",
    "EndpointComponent",
    "InferenceComponent",
    "RollingUpdate",
]

#: Namespace and dimension of an inference component's invocation metrics.
COMPONENT_NAMESPACE = "AWS/SageMaker"
COMPONENT_DIMENSION = "InferenceComponentName"

_ONE_MINUTE = Duration.minutes(1)
_TWO_MINUTES = Duration.minutes(2)
_FIVE_MINUTES = Duration.minutes(5)


@dataclass(frozen=True)
class ComputeRequirements:
    """What one copy of a component reserves on an instance (``ComputeResourceRequirements``).

    Attributes:
        memory_mb: the memory reserved per copy, in MB (``MinMemoryRequiredInMb``, at least 128).
        cpu_cores: CPU cores reserved per copy (``NumberOfCpuCoresRequired``, at least 0.25): none
            reserved (copies share the cores).
        accelerators: GPUs/Neuron devices per copy (``NumberOfAcceleratorDevicesRequired``): none
            (a CPU model).
        max_memory_mb: the most memory a copy may use (``MaxMemoryRequiredInMb``): no limit.
    """

    memory_mb: int
    cpu_cores: float | None = None
    accelerators: int | None = None
    max_memory_mb: int | None = None

    def problems(self, prop: str) -> list[tuple[str, object, str]]:
        out: list[tuple[str, object, str]] = []
        if self.memory_mb < 128:
            out.append((f"{prop}.memory_mb", self.memory_mb, "at least 128"))
        if self.cpu_cores is not None and self.cpu_cores < 0.25:
            out.append((f"{prop}.cpu_cores", self.cpu_cores, "at least 0.25"))
        if self.accelerators is not None and self.accelerators < 1:
            out.append((f"{prop}.accelerators", self.accelerators, "at least 1 (or None for a CPU model)"))
        if self.max_memory_mb is not None and self.max_memory_mb < self.memory_mb:
            out.append((f"{prop}.max_memory_mb", self.max_memory_mb, f">= memory_mb ({self.memory_mb})"))
        return out

    def to_cfn(self) -> sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty:
        return sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
            min_memory_required_in_mb=self.memory_mb,
            max_memory_required_in_mb=self.max_memory_mb,
            number_of_cpu_cores_required=self.cpu_cores,
            number_of_accelerator_devices_required=self.accelerators,
        )


class BatchUnit(enum.Enum):
    """How a rolling update counts its batch: copies, or a percentage of the component's capacity."""

    COPY_COUNT = "COPY_COUNT"
    CAPACITY_PERCENT = "CAPACITY_PERCENT"


@dataclass(frozen=True)
class RollingUpdate:
    """How a new model replaces a component's copies (``DeploymentConfig.RollingUpdatePolicy``).

    SageMaker replaces ``batch_size`` copies at a time, waits ``wait_interval`` watching the rollback
    alarms, and, when one fires, rolls the updated copies back ``rollback_batch_size`` at a time.

    Attributes:
        batch_size: copies (or percent of capacity) replaced per batch: 1 copy.
        unit: the unit of ``batch_size`` and ``rollback_batch_size``: copies.
        wait_interval: time between batches (0..3600 s): 2 minutes.
        rollback_batch_size: copies rolled back per batch: SageMaker's default (all at once).
        maximum_execution_timeout: the whole update's limit (600..28800 s): SageMaker's default.
    """

    batch_size: int = 1
    unit: BatchUnit = BatchUnit.COPY_COUNT
    wait_interval: Duration = _TWO_MINUTES
    rollback_batch_size: int | None = None
    maximum_execution_timeout: Duration | None = None

    def problems(self, prop: str) -> list[tuple[str, object, str]]:
        out: list[tuple[str, object, str]] = []
        high = 100 if self.unit == BatchUnit.CAPACITY_PERCENT else None
        for name, value in (("batch_size", self.batch_size), ("rollback_batch_size", self.rollback_batch_size)):
            if value is not None and (value < 1 or (high is not None and value > high)):
                out.append((f"{prop}.{name}", value, f"1..{high}" if high else "at least 1"))
        wait = self.wait_interval.to_seconds()
        if not 0 <= wait <= 3600:
            out.append((f"{prop}.wait_interval", f"{wait} s", "0..3600 s"))
        if self.maximum_execution_timeout is not None:
            t = self.maximum_execution_timeout.to_seconds()
            if not 600 <= t <= 28800:
                out.append((f"{prop}.maximum_execution_timeout", f"{t} s", "600..28800 s"))
        return out

    def to_cfn(
        self, alarm_names: Sequence[str]
    ) -> sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty:
        ic = sagemaker.CfnInferenceComponent

        def size(value: int) -> sagemaker.CfnInferenceComponent.InferenceComponentCapacitySizeProperty:
            return ic.InferenceComponentCapacitySizeProperty(type=self.unit.value, value=value)

        return ic.InferenceComponentDeploymentConfigProperty(
            rolling_update_policy=ic.InferenceComponentRollingUpdatePolicyProperty(
                maximum_batch_size=size(self.batch_size),
                wait_interval_in_seconds=self.wait_interval.to_seconds(),
                rollback_maximum_batch_size=size(self.rollback_batch_size) if self.rollback_batch_size else None,
                maximum_execution_timeout_in_seconds=(
                    self.maximum_execution_timeout.to_seconds() if self.maximum_execution_timeout else None
                ),
            ),
            auto_rollback_configuration=ic.AutoRollbackConfigurationProperty(
                alarms=[ic.AlarmProperty(alarm_name=n) for n in alarm_names]
            ),
        )


@dataclass(frozen=True)
class ComponentAutoscaling:
    """Target tracking of a component's copy count on ``InvocationsPerCopy``.

    With ``min_copies=0`` the component scales to zero when idle; a step policy on the alarm
    ``NoCapacityInvocationFailures`` (a request arrived with no copy) adds a copy again. The endpoint
    releases its instances only when its variant allows ``min_instance_count=0``.

    Attributes:
        max_copies: the most copies.
        min_copies: the fewest copies: 1 (0: scale to zero).
        invocations_per_copy: the target of invocations per copy per minute: 10.
        scale_in_cooldown: wait after a scale-in: 5 minutes.
        scale_out_cooldown: wait after a scale-out: 1 minute.
    """

    max_copies: int
    min_copies: int = 1
    invocations_per_copy: float = 10
    scale_in_cooldown: Duration = _FIVE_MINUTES
    scale_out_cooldown: Duration = _ONE_MINUTE

    def problems(self, prop: str) -> list[tuple[str, object, str]]:
        out: list[tuple[str, object, str]] = []
        if self.min_copies < 0:
            out.append((f"{prop}.min_copies", self.min_copies, "at least 0"))
        if self.max_copies < max(1, self.min_copies):
            out.append((f"{prop}.max_copies", self.max_copies, f"at least 1 and >= min_copies ({self.min_copies})"))
        if self.invocations_per_copy <= 0:
            out.append((f"{prop}.invocations_per_copy", self.invocations_per_copy, "greater than 0"))
        return out


@dataclass(frozen=True)
class ComponentVariant:
    """A production variant of a component-mode endpoint: instances that host the components.

    It names no model (the components do). ``min_instance_count``/``max_instance_count`` turn on
    managed instance scaling: SageMaker adds instances when the components' copies no longer fit and
    removes idle ones, down to zero with ``min_instance_count=0`` (then components with
    ``min_copies=0`` cost nothing while idle).

    Attributes:
        variant_name: the variant's name: ``AllTraffic``.
        instance_type: ``ml.*`` instance type: ``ml.m5.large``.
        initial_instance_count: instances at creation: 1.
        min_instance_count: managed instance scaling's floor: no managed instance scaling.
        max_instance_count: managed instance scaling's ceiling (with ``min_instance_count``).
        volume_size_in_gb: ML storage volume per instance (1..512): SageMaker's default.
        routing_strategy: request routing among instances (a
            :class:`~constructs_ml.serve.RoutingStrategy`): SageMaker's default.
    """

    variant_name: str = "AllTraffic"
    instance_type: InstanceType = InstanceType.ML_M5_LARGE
    initial_instance_count: int = 1
    min_instance_count: int | None = None
    max_instance_count: int | None = None
    volume_size_in_gb: int | None = None
    routing_strategy: object | None = None

    def problems(self) -> list[tuple[str, object, str]]:
        p = f"variants[{self.variant_name}]"
        out: list[tuple[str, object, str]] = []
        if not self.instance_type.is_valid:
            out.append((f"{p}.instance_type", self.instance_type.name, "an ML instance type 'ml.<family>.<size>'"))
        if self.initial_instance_count < 1:
            out.append((f"{p}.initial_instance_count", self.initial_instance_count, "at least 1"))
        if (self.min_instance_count is None) != (self.max_instance_count is None):
            out.append(
                (
                    f"{p}.min_instance_count/max_instance_count",
                    (self.min_instance_count, self.max_instance_count),
                    "both given (managed instance scaling) or both omitted",
                )
            )
        elif self.min_instance_count is not None and self.max_instance_count is not None:
            if self.min_instance_count < 0:
                out.append((f"{p}.min_instance_count", self.min_instance_count, "at least 0"))
            if self.max_instance_count < max(1, self.min_instance_count, self.initial_instance_count):
                out.append(
                    (
                        f"{p}.max_instance_count",
                        self.max_instance_count,
                        "at least 1, min_instance_count and initial_instance_count",
                    )
                )
        if self.volume_size_in_gb is not None and not 1 <= self.volume_size_in_gb <= 512:
            out.append((f"{p}.volume_size_in_gb", self.volume_size_in_gb, "1..512"))
        return out

    def to_cfn(self) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        ec = sagemaker.CfnEndpointConfig
        scaling = None
        if self.min_instance_count is not None and self.max_instance_count is not None:
            scaling = ec.ManagedInstanceScalingProperty(
                status="ENABLED", min_instance_count=self.min_instance_count, max_instance_count=self.max_instance_count
            )
        strategy = getattr(self.routing_strategy, "value", None)
        return ec.ProductionVariantProperty(
            variant_name=self.variant_name,
            instance_type=self.instance_type.name,
            initial_instance_count=self.initial_instance_count,
            volume_size_in_gb=self.volume_size_in_gb,
            managed_instance_scaling=scaling,
            routing_config=ec.RoutingConfigProperty(routing_strategy=strategy) if strategy else None,
        )


@dataclass(frozen=True)
class InferenceComponent:
    """One model hosted on a component-mode endpoint, with its reserved compute and copies.

    Attributes:
        name: the component's construct id under the endpoint (its physical name is derived from the
            endpoint's name and this one; keep it stable, renaming replaces the component).
        model: the model (a :class:`~constructs_ml.serve.Model` in the VPC; its role pulls the image
            and reads the artifact). Changing it rolls the new model out with ``rolling_update``.
        compute: what each copy reserves.
        copies: copies at creation (autoscaling takes over afterwards): 1.
        variant_name: the variant it runs on: ``AllTraffic``.
        autoscaling: copy-count autoscaling: none (fixed ``copies``).
        rolling_update: how model changes roll out: one copy at a time, 2 minutes apart.
        rollback_alarms: alarms that roll an update back: the component's own 5xx and model latency
            alarms (created by the endpoint). An empty list is an error.
        model_data_download_timeout: 60..3600 s: SageMaker's default.
        container_startup_health_check_timeout: 60..3600 s: SageMaker's default.
    """

    name: str
    model: ModelBase
    compute: ComputeRequirements
    copies: int = 1
    variant_name: str = "AllTraffic"
    autoscaling: ComponentAutoscaling | None = None
    rolling_update: RollingUpdate = RollingUpdate()
    rollback_alarms: Sequence[cloudwatch.IAlarm] | None = None
    model_data_download_timeout: Duration | None = None
    container_startup_health_check_timeout: Duration | None = None


def validate_components(
    problems: Problems, variants: Sequence[ComponentVariant], components: Sequence[InferenceComponent]
) -> None:
    """Record every problem with a component-mode endpoint's variants and components."""
    problems.require(len(components) >= 1, "components", [], "at least one InferenceComponent in component mode")
    problems.unique("components.name", [c.name for c in components])
    variant_names = [v.variant_name for v in variants]
    for v in variants:
        for prop, value, allowed in v.problems():
            problems.add(prop, value, allowed)
    for c in components:
        p = f"components[{c.name}]"
        problems.require(bool(NAME_PATTERN.match(c.name)), f"{p}.name", c.name, "[a-zA-Z0-9](-*[a-zA-Z0-9])*")
        problems.require(
            c.variant_name in variant_names, f"{p}.variant_name", c.variant_name, f"one of {variant_names}"
        )
        problems.require(
            c.model.in_vpc is not False,
            f"{p}.model",
            c.model.node.path,
            "a model in the VPC (component-mode endpoints run in the endpoint config's VPC)",
        )
        problems.require(
            not c.model.multi_model,
            f"{p}.model",
            c.model.node.path,
            "a single-model container (a component hosts one model)",
        )
        for prop, value, allowed in c.compute.problems(f"{p}.compute"):
            problems.add(prop, value, allowed)
        problems.require_range(
            f"{p}.copies", c.copies, 0 if c.autoscaling and c.autoscaling.min_copies == 0 else 1, None
        )
        if c.autoscaling is not None:
            for prop, value, allowed in c.autoscaling.problems(f"{p}.autoscaling"):
                problems.add(prop, value, allowed)
            if c.autoscaling.min_copies <= c.autoscaling.max_copies:
                problems.require_range(f"{p}.copies", c.copies, c.autoscaling.min_copies, c.autoscaling.max_copies)
        for prop, value, allowed in c.rolling_update.problems(f"{p}.rolling_update"):
            problems.add(prop, value, allowed)
        if c.rollback_alarms is not None:
            problems.require(
                len(c.rollback_alarms) >= 1,
                f"{p}.rollback_alarms",
                [],
                "at least one alarm (omit it for the default 5xx and latency alarms)",
                what="must not be empty (a rolling update without alarms cannot roll back)",
            )
        for name, d in (
            ("model_data_download_timeout", c.model_data_download_timeout),
            ("container_startup_health_check_timeout", c.container_startup_health_check_timeout),
        ):
            if d is not None:
                problems.require_range(f"{p}.{name}", d.to_seconds(), 60, 3600)


class EndpointComponent(Construct):
    """The ``AWS::SageMaker::InferenceComponent`` of one :class:`InferenceComponent`, its rollback
    alarms and autoscaling (created by :class:`~constructs_ml.serve.Endpoint` in component mode).

    Attributes:
        resource: the ``AWS::SageMaker::InferenceComponent``.
        inference_component_name: its physical name (deterministic: the endpoint's name and the
            component's, so alarms and the scalable target can name it).
        rollback_alarms: the alarms that roll an update back.
        scalable_target / scaling_policy: Application Auto Scaling (None without autoscaling).
        wake_up_policy / wake_up_alarm: with ``min_copies=0``, the step policy and its alarm on
            ``NoCapacityInvocationFailures`` (None otherwise).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointBase,
        endpoint_resource: sagemaker.CfnEndpoint,
        component: InferenceComponent,
        alarm_topic: sns.ITopic,
        latency_threshold: Duration,
        error_threshold: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.component = component
        base = endpoint.endpoint_name if not Token.is_unresolved(endpoint.endpoint_name) else physical_name(self)
        self.inference_component_name = _component_name(base, component.name)
        if component.rollback_alarms is None:
            self.rollback_alarms = self._default_alarms(endpoint, alarm_topic, latency_threshold, error_threshold)
        else:
            self.rollback_alarms = list(component.rollback_alarms)
        ic = sagemaker.CfnInferenceComponent
        startup = None
        if component.model_data_download_timeout or component.container_startup_health_check_timeout:
            startup = ic.InferenceComponentStartupParametersProperty(
                model_data_download_timeout_in_seconds=(
                    component.model_data_download_timeout.to_seconds()
                    if component.model_data_download_timeout
                    else None
                ),
                container_startup_health_check_timeout_in_seconds=(
                    component.container_startup_health_check_timeout.to_seconds()
                    if component.container_startup_health_check_timeout
                    else None
                ),
            )
        self.resource = ic(
            self,
            "Resource",
            inference_component_name=self.inference_component_name,
            endpoint_name=endpoint.endpoint_name,
            variant_name=component.variant_name,
            specification=ic.InferenceComponentSpecificationProperty(
                model_name=component.model.model_name,
                compute_resource_requirements=component.compute.to_cfn(),
                startup_parameters=startup,
            ),
            runtime_config=ic.InferenceComponentRuntimeConfigProperty(copy_count=component.copies),
            deployment_config=component.rolling_update.to_cfn([a.alarm_name for a in self.rollback_alarms]),
        )
        self.resource.node.add_dependency(endpoint_resource)
        self.resource.node.add_dependency(component.model)
        for alarm in self.rollback_alarms:
            self.resource.node.add_dependency(alarm)

        self.scalable_target: appscaling.CfnScalableTarget | None = None
        self.scaling_policy: appscaling.CfnScalingPolicy | None = None
        self.wake_up_policy: appscaling.CfnScalingPolicy | None = None
        self.wake_up_alarm: cloudwatch.Alarm | None = None
        if component.autoscaling is not None:
            self._autoscaling(component.autoscaling)

    @property
    def inference_component_arn(self) -> str:
        return self.resource.attr_inference_component_arn

    def metric(self, metric_name: str, *, statistic: str = "Sum", period: Duration | None = None) -> cloudwatch.Metric:
        """A metric of this component (``AWS/SageMaker`` by ``InferenceComponentName``)."""
        return component_metric(self.inference_component_name, metric_name, statistic=statistic, period=period)

    def metric_invocation_5xx_errors(self, period: Duration | None = None) -> cloudwatch.Metric:
        return self.metric("Invocation5XXErrors", period=period)

    def metric_model_latency(self, period: Duration | None = None) -> cloudwatch.Metric:
        """Time the model took to respond, in microseconds (Average)."""
        return self.metric("ModelLatency", statistic="Average", period=period)

    def metric_no_capacity_invocation_failures(self, period: Duration | None = None) -> cloudwatch.Metric:
        """Requests that found no copy (the scale-from-zero signal, Maximum)."""
        return self.metric("NoCapacityInvocationFailures", statistic="Maximum", period=period)

    def _default_alarms(
        self, endpoint: EndpointBase, topic: sns.ITopic, latency: Duration, errors: int
    ) -> list[cloudwatch.IAlarm]:
        name = self.component.name
        minute = Duration.minutes(1)
        alarms: list[cloudwatch.IAlarm] = [
            cloudwatch.Alarm(
                self,
                "Errors5xx",
                alarm_description=f"{endpoint.endpoint_name}/{name}: 5xx errors (rolls back component updates)",
                metric=self.metric_invocation_5xx_errors(minute),
                threshold=errors,
                evaluation_periods=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "Latency",
                alarm_description=f"{endpoint.endpoint_name}/{name}: model latency (rolls back component updates)",
                metric=self.metric_model_latency(minute),
                threshold=latency.to_milliseconds() * 1000,
                evaluation_periods=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        ]
        for a in alarms:
            assert isinstance(a, cloudwatch.Alarm)
            a.add_alarm_action(cw_actions.SnsAction(topic))
        return alarms

    def _autoscaling(self, config: ComponentAutoscaling) -> None:
        self.scalable_target = appscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace="sagemaker",
            resource_id=f"inference-component/{self.inference_component_name}",
            scalable_dimension="sagemaker:inference-component:DesiredCopyCount",
            min_capacity=config.min_copies,
            max_capacity=config.max_copies,
        )
        self.scalable_target.node.add_dependency(self.resource)
        self.scaling_policy = appscaling.CfnScalingPolicy(
            self,
            "TargetTracking",
            policy_name=f"{self.component.name}-invocations-per-copy",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.scalable_target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=config.invocations_per_copy,
                scale_in_cooldown=config.scale_in_cooldown.to_seconds(),
                scale_out_cooldown=config.scale_out_cooldown.to_seconds(),
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerInferenceComponentInvocationsPerCopy"
                ),
            ),
        )
        if config.min_copies == 0:
            self.wake_up_policy = appscaling.CfnScalingPolicy(
                self,
                "WakeUp",
                policy_name=f"{self.component.name}-wake-up-from-zero",
                policy_type="StepScaling",
                scaling_target_id=self.scalable_target.ref,
                step_scaling_policy_configuration=appscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty(
                    adjustment_type="ChangeInCapacity",
                    cooldown=config.scale_out_cooldown.to_seconds(),
                    metric_aggregation_type="Maximum",
                    step_adjustments=[
                        appscaling.CfnScalingPolicy.StepAdjustmentProperty(
                            metric_interval_lower_bound=0, scaling_adjustment=1
                        )
                    ],
                ),
            )
            self.wake_up_alarm = cloudwatch.Alarm(
                self,
                "WakeUpAlarm",
                alarm_description=f"{self.inference_component_name}: a request found no copy; scale out from zero",
                metric=self.metric_no_capacity_invocation_failures(Duration.minutes(1)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            self.wake_up_alarm.add_alarm_action(_PolicyAction(self.wake_up_policy.ref))


def component_metric(
    component_name: str, metric_name: str, *, statistic: str = "Sum", period: Duration | None = None
) -> cloudwatch.Metric:
    """A metric of an inference component by name (``AWS/SageMaker``, ``InferenceComponentName``)."""
    return cloudwatch.Metric(
        namespace=COMPONENT_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={COMPONENT_DIMENSION: component_name},
        statistic=statistic,
        period=period or Duration.minutes(1),
    )


def _component_name(endpoint_name: str, name: str) -> str:
    """``<endpoint>-<name>``, lowercase, at most 63 characters (the endpoint part is cut first)."""
    suffix = "-" + name.lower()
    return (endpoint_name[: 63 - len(suffix)].rstrip("-") + suffix)[:63]
