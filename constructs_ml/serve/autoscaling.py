"""Autoscaling presets for endpoint variants, through Application Auto Scaling.

The scalable target uses Application Auto Scaling's service-linked role (no role is created), and
custom metrics come from the endpoint's ``metric_*`` methods.

Example::

    InstanceVariant(model=model, autoscaling=Autoscaling.invocations_per_instance(200, max_capacity=8))
    InstanceVariant(model=model, autoscaling=Autoscaling.async_backlog(5, min_capacity=0, max_capacity=4))
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jsii
from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

if TYPE_CHECKING:
    from constructs_ml.serve.endpoint_base import EndpointBase


_ONE_MINUTE = Duration.minutes(1)
_FIVE_MINUTES = Duration.minutes(5)
_TEN_MINUTES = Duration.minutes(10)


class ScalingMetric(enum.Enum):
    """What a variant scales on."""

    INVOCATIONS_PER_INSTANCE = "invocations-per-instance"
    CPU_UTILIZATION = "cpu-utilization"
    GPU_UTILIZATION = "gpu-utilization"
    ASYNC_BACKLOG_PER_INSTANCE = "async-backlog-per-instance"
    PROVISIONED_CONCURRENCY_UTILIZATION = "provisioned-concurrency-utilization"


@dataclass(frozen=True)
class Autoscaling:
    """Target tracking for one variant (use the class methods for the presets).

    Attributes:
        metric: what to track.
        target_value: the target: invocations per instance per minute, utilization percent (summed
            over the instance's cores/GPUs, as SageMaker publishes it), backlog per instance, or the
            provisioned-concurrency utilization (0..1).
        max_capacity: most instances (or provisioned concurrency).
        min_capacity: fewest instances: 1. Zero only for the async backlog preset (scale to zero):
            then a step policy on ``HasBacklogWithoutCapacity`` wakes the variant up.
        scale_in_cooldown: wait after a scale-in before the next: 5 minutes.
        scale_out_cooldown: wait after a scale-out before the next: 1 minute.
        disable_scale_in: never scale in (for spiky traffic): no.
    """

    metric: ScalingMetric
    target_value: float
    max_capacity: int
    min_capacity: int = 1
    scale_in_cooldown: Duration = _FIVE_MINUTES
    scale_out_cooldown: Duration = _ONE_MINUTE
    disable_scale_in: bool = False

    @classmethod
    def invocations_per_instance(
        cls,
        target: float = 100,
        *,
        max_capacity: int,
        min_capacity: int = 1,
        scale_in_cooldown: Duration = _FIVE_MINUTES,
    ) -> Autoscaling:
        """Track ``InvocationsPerInstance`` (per minute)."""
        return cls(ScalingMetric.INVOCATIONS_PER_INSTANCE, target, max_capacity, min_capacity, scale_in_cooldown)

    @classmethod
    def cpu_utilization(
        cls,
        target: float = 70,
        *,
        max_capacity: int,
        min_capacity: int = 1,
        scale_in_cooldown: Duration = _FIVE_MINUTES,
    ) -> Autoscaling:
        """Track average ``CPUUtilization`` of the variant's instances."""
        return cls(ScalingMetric.CPU_UTILIZATION, target, max_capacity, min_capacity, scale_in_cooldown)

    @classmethod
    def gpu_utilization(
        cls,
        target: float = 70,
        *,
        max_capacity: int,
        min_capacity: int = 1,
        scale_in_cooldown: Duration = _FIVE_MINUTES,
    ) -> Autoscaling:
        """Track average ``GPUUtilization`` (GPU instance types only)."""
        return cls(ScalingMetric.GPU_UTILIZATION, target, max_capacity, min_capacity, scale_in_cooldown)

    @classmethod
    def async_backlog(
        cls,
        target: float = 5,
        *,
        max_capacity: int,
        min_capacity: int = 0,
        scale_in_cooldown: Duration = _TEN_MINUTES,
    ) -> Autoscaling:
        """Track ``ApproximateBacklogSizePerInstance`` (async endpoints); ``min_capacity=0`` scales to zero."""
        return cls(ScalingMetric.ASYNC_BACKLOG_PER_INSTANCE, target, max_capacity, min_capacity, scale_in_cooldown)

    @classmethod
    def provisioned_concurrency(
        cls,
        target: float = 0.7,
        *,
        max_capacity: int,
        min_capacity: int = 1,
        scale_in_cooldown: Duration = _FIVE_MINUTES,
    ) -> Autoscaling:
        """Track provisioned-concurrency utilization (serverless variants with provisioned concurrency)."""
        return cls(
            ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION, target, max_capacity, min_capacity, scale_in_cooldown
        )

    def problems(self, variant_name: str) -> list[tuple[str, object, str]]:
        """(prop, value, allowed) for each problem."""
        out: list[tuple[str, object, str]] = []
        prop = f"variants[{variant_name}].autoscaling"
        if self.min_capacity > self.max_capacity:
            out.append((f"{prop}.min_capacity", (self.min_capacity, self.max_capacity), "<= max_capacity"))
        floor = 0 if self.metric == ScalingMetric.ASYNC_BACKLOG_PER_INSTANCE else 1
        if self.min_capacity < floor:
            out.append(
                (
                    f"{prop}.min_capacity",
                    self.min_capacity,
                    f">= {floor} (only the async backlog preset scales to zero)",
                )
            )
        if self.max_capacity < 1:
            out.append((f"{prop}.max_capacity", self.max_capacity, ">= 1"))
        if self.target_value <= 0:
            out.append((f"{prop}.target_value", self.target_value, "> 0"))
        return out


@jsii.implements(cloudwatch.IAlarmAction)
class _PolicyAction:
    def __init__(self, policy_arn: str) -> None:
        self._arn = policy_arn

    def bind(self, _scope: Construct, _alarm: cloudwatch.IAlarm) -> cloudwatch.AlarmActionConfig:
        return cloudwatch.AlarmActionConfig(alarm_action_arn=self._arn)


class VariantAutoscaling(Construct):
    """The scalable target and policies of one variant (created by :class:`Endpoint`).

    Attributes:
        target: the ``AWS::ApplicationAutoScaling::ScalableTarget``.
        policy: the target-tracking policy.
        wake_up_policy / wake_up_alarm: for scale to zero, the step policy and its alarm on
            ``HasBacklogWithoutCapacity`` (None otherwise).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, endpoint: EndpointBase, variant_name: str, config: Autoscaling
    ) -> None:
        super().__init__(scope, construct_id)
        serverless = config.metric == ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION
        dimension = (
            "sagemaker:variant:DesiredProvisionedConcurrency"
            if serverless
            else "sagemaker:variant:DesiredInstanceCount"
        )
        resource_id = f"endpoint/{endpoint.endpoint_name}/variant/{variant_name}"
        self.target = appscaling.CfnScalableTarget(
            self,
            "Resource",
            service_namespace="sagemaker",
            resource_id=resource_id,
            scalable_dimension=dimension,
            min_capacity=config.min_capacity,
            max_capacity=config.max_capacity,
        )
        tracking = appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
            target_value=config.target_value,
            scale_in_cooldown=config.scale_in_cooldown.to_seconds(),
            scale_out_cooldown=config.scale_out_cooldown.to_seconds(),
            disable_scale_in=config.disable_scale_in,
            predefined_metric_specification=_predefined(config.metric),
            customized_metric_specification=_customized_for(endpoint, variant_name, config.metric),
        )
        self.policy = appscaling.CfnScalingPolicy(
            self,
            "TargetTracking",
            policy_name=f"{variant_name}-{config.metric.value}",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.target.ref,
            target_tracking_scaling_policy_configuration=tracking,
        )
        self.wake_up_policy: appscaling.CfnScalingPolicy | None = None
        self.wake_up_alarm: cloudwatch.Alarm | None = None
        if config.metric == ScalingMetric.ASYNC_BACKLOG_PER_INSTANCE and config.min_capacity == 0:
            self.wake_up_policy = appscaling.CfnScalingPolicy(
                self,
                "WakeUp",
                policy_name=f"{variant_name}-wake-up-from-zero",
                policy_type="StepScaling",
                scaling_target_id=self.target.ref,
                step_scaling_policy_configuration=appscaling.CfnScalingPolicy.StepScalingPolicyConfigurationProperty(
                    adjustment_type="ChangeInCapacity",
                    cooldown=config.scale_out_cooldown.to_seconds(),
                    metric_aggregation_type="Average",
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
                alarm_description=f"{endpoint.endpoint_name}: requests queued with no instance; scale out from zero",
                metric=endpoint.metric_has_backlog_without_capacity(period=Duration.minutes(1)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            self.wake_up_alarm.add_alarm_action(_PolicyAction(self.wake_up_policy.ref))


def _predefined(metric: ScalingMetric) -> appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty | None:
    names = {
        ScalingMetric.INVOCATIONS_PER_INSTANCE: "SageMakerVariantInvocationsPerInstance",
        ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION: "SageMakerVariantProvisionedConcurrencyUtilization",
    }
    if metric not in names:
        return None
    return appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(predefined_metric_type=names[metric])


def _customized_for(
    endpoint: EndpointBase, variant_name: str, metric: ScalingMetric
) -> appscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty | None:
    if metric == ScalingMetric.CPU_UTILIZATION:
        return _customized(endpoint.metric_cpu_utilization(variant_name))
    if metric == ScalingMetric.GPU_UTILIZATION:
        return _customized(endpoint.metric_gpu_utilization(variant_name))
    if metric == ScalingMetric.ASYNC_BACKLOG_PER_INSTANCE:
        return _customized(endpoint.metric_approximate_backlog_size_per_instance())
    return None


def _customized(metric: cloudwatch.Metric) -> appscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty:
    return appscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty(
        metric_name=metric.metric_name,
        namespace=metric.namespace,
        statistic=metric.statistic,
        dimensions=[
            appscaling.CfnScalingPolicy.MetricDimensionProperty(name=k, value=str(v))
            for k, v in (metric.dimensions or {}).items()
        ],
    )
