"""The construct of one inference component: the ``AWS::SageMaker::InferenceComponent``, its
rollback alarms, and its copy-count autoscaling (created by ``Endpoint`` in component mode).

Metrics follow SageMaker's CloudWatch documentation for inference components: invocation metrics in
``AWS/SageMaker`` by ``InferenceComponentName``; the scalable dimension is
``sagemaker:inference-component:DesiredCopyCount`` on ``inference-component/<name>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved
from constructs_ml.serve.autoscaling import _PolicyAction
from constructs_ml.serve.common import physical_name
from constructs_ml.serve.components import ComponentAutoscaling, InferenceComponent

if TYPE_CHECKING:
    from constructs_ml.serve.endpoint_base import EndpointBase

__all__ = ["COMPONENT_DIMENSION", "COMPONENT_NAMESPACE", "EndpointComponent", "component_metric"]

#: Namespace and dimension of an inference component's invocation metrics.
COMPONENT_NAMESPACE = "AWS/SageMaker"
COMPONENT_DIMENSION = "InferenceComponentName"


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
        base = endpoint.endpoint_name if not is_unresolved(endpoint.endpoint_name) else physical_name(self)
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

    def metric_invocations(self, period: Duration | None = None) -> cloudwatch.Metric:
        """Requests sent to the component (Sum)."""
        return self.metric("Invocations", period=period)

    def metric_invocation_5xx_errors(self, period: Duration | None = None) -> cloudwatch.Metric:
        """Requests answered with a 5xx (Sum)."""
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
