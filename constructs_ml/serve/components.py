"""Inference components: several models on the shared instances of one endpoint (the typed parts;
the construct that renders one is :class:`~constructs_ml.serve.endpoint_component.EndpointComponent`).

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

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker

from constructs_ml.errors import Problems
from constructs_ml.instance_types import InstanceType
from constructs_ml.serve.common import NAME_PATTERN
from constructs_ml.serve.model import ModelBase
from constructs_ml.serve.variants import RoutingStrategy

__all__ = [
    "BatchUnit",
    "ComponentAutoscaling",
    "ComponentVariant",
    "ComputeRequirements",
    "InferenceComponent",
    "RollingUpdate",
]

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
        routing_strategy: request routing among instances: SageMaker's default.
    """

    variant_name: str = "AllTraffic"
    instance_type: InstanceType = InstanceType.ML_M5_LARGE
    initial_instance_count: int = 1
    min_instance_count: int | None = None
    max_instance_count: int | None = None
    volume_size_in_gb: int | None = None
    routing_strategy: RoutingStrategy | None = None

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
        strategy = self.routing_strategy.value if self.routing_strategy is not None else None
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
