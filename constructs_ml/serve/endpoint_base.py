"""What owned and imported endpoints share: grants and metrics.

Metrics follow SageMaker's CloudWatch documentation: invocation metrics in ``AWS/SageMaker`` by
``EndpointName`` + ``VariantName``, instance metrics in ``/aws/sagemaker/Endpoints``, async backlog
metrics in ``AWS/SageMaker`` by ``EndpointName`` only. Alarms, dashboards and autoscaling use these
methods; nothing builds an endpoint metric by hand.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Arn, ArnFormat, Duration, Resource
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_ml._jsii_cache import stack_of
from constructs_ml.foundation.arns import sagemaker_arn_name
from constructs_ml.serve.common import S3Path

INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
DEFAULT_VARIANT = "AllTraffic"


class EndpointBase(Resource):
    """An endpoint you can grant on and read metrics of, owned (:class:`Endpoint`) or imported.

    Attributes:
        endpoint_name: the endpoint's name.
        endpoint_arn: the endpoint's ARN.
        variant_names: the production variants, when known (owned endpoints).
        data_capture_path: where captured data goes, when the endpoint captures (and it is known).
    """

    endpoint_name: str
    endpoint_arn: str
    variant_names: tuple[str, ...] = ()
    data_capture_path: S3Path | None = None

    @property
    def has_data_capture(self) -> bool:
        """Whether the endpoint captures data (as far as this construct knows)."""
        return self.data_capture_path is not None

    @property
    def data_capture_uri(self) -> str | None:
        """``s3://...`` of the captured data, when known."""
        return self.data_capture_path.uri if self.data_capture_path else None

    # -- grants -------------------------------------------------------------------------------------

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the endpoint (real-time, async and streaming)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "sagemaker:InvokeEndpoint",
                "sagemaker:InvokeEndpointAsync",
                "sagemaker:InvokeEndpointWithResponseStream",
            ],
            resource_arns=[self.endpoint_arn],
        )

    def grant_describe(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to describe the endpoint."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:DescribeEndpoint"], resource_arns=[self.endpoint_arn]
        )

    # -- metrics ------------------------------------------------------------------------------------

    def metric(
        self,
        metric_name: str,
        variant_name: str | None = DEFAULT_VARIANT,
        *,
        namespace: str = INVOCATION_NAMESPACE,
        statistic: str = "Sum",
        period: Duration | None = None,
        **props: Any,
    ) -> cloudwatch.Metric:
        """Any metric of this endpoint (``variant_name=None``: endpoint-level dimensions only)."""
        dims: dict[str, str] = {"EndpointName": self.endpoint_name}
        if variant_name is not None:
            dims["VariantName"] = variant_name
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map=dims,
            statistic=statistic,
            period=period or Duration.minutes(1),
            **props,
        )

    def metric_invocations(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """Requests sent to the variant (Sum)."""
        return self.metric("Invocations", variant_name, **props)

    def metric_invocation_4xx_errors(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """Requests answered with a 4xx (Sum)."""
        return self.metric("Invocation4XXErrors", variant_name, **props)

    def metric_invocation_5xx_errors(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """Requests answered with a 5xx (Sum)."""
        return self.metric("Invocation5XXErrors", variant_name, **props)

    def metric_invocations_per_instance(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """Invocations per instance (Sum): what the invocations autoscaling preset tracks."""
        return self.metric("InvocationsPerInstance", variant_name, **props)

    def metric_model_latency(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """Time the model took to respond, in microseconds (Average)."""
        props.setdefault("statistic", "Average")
        return self.metric("ModelLatency", variant_name, **props)

    def metric_overhead_latency(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """SageMaker's own overhead, in microseconds (Average)."""
        props.setdefault("statistic", "Average")
        return self.metric("OverheadLatency", variant_name, **props)

    def metric_model_setup_time(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """Serverless cold-start time, in microseconds (Average)."""
        props.setdefault("statistic", "Average")
        return self.metric("ModelSetupTime", variant_name, **props)

    def _instance_metric(self, name: str, variant_name: str, props: dict[str, Any]) -> cloudwatch.Metric:
        props.setdefault("statistic", "Average")
        return self.metric(name, variant_name, namespace=INSTANCE_NAMESPACE, **props)

    def metric_cpu_utilization(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """CPU utilization in percent, summed over cores (Average over instances)."""
        return self._instance_metric("CPUUtilization", variant_name, props)

    def metric_memory_utilization(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """Memory utilization in percent (Average)."""
        return self._instance_metric("MemoryUtilization", variant_name, props)

    def metric_disk_utilization(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """Disk utilization in percent (Average)."""
        return self._instance_metric("DiskUtilization", variant_name, props)

    def metric_gpu_utilization(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """GPU utilization in percent, summed over GPUs (Average)."""
        return self._instance_metric("GPUUtilization", variant_name, props)

    def metric_gpu_memory_utilization(self, variant_name: str = DEFAULT_VARIANT, **props: Any) -> cloudwatch.Metric:
        """GPU memory utilization in percent (Average)."""
        return self._instance_metric("GPUMemoryUtilization", variant_name, props)

    def metric_approximate_backlog_size(self, **props: Any) -> cloudwatch.Metric:
        """Async requests queued (Average)."""
        props.setdefault("statistic", "Average")
        return self.metric("ApproximateBacklogSize", None, **props)

    def metric_approximate_backlog_size_per_instance(self, **props: Any) -> cloudwatch.Metric:
        """Async requests queued per instance (Average): what the async autoscaling preset tracks."""
        props.setdefault("statistic", "Average")
        return self.metric("ApproximateBacklogSizePerInstance", None, **props)

    def metric_has_backlog_without_capacity(self, **props: Any) -> cloudwatch.Metric:
        """1 while async requests wait and no instance runs (Average): wakes a variant scaled to zero."""
        props.setdefault("statistic", "Average")
        return self.metric("HasBacklogWithoutCapacity", None, **props)


class ImportedEndpoint(EndpointBase):
    """An endpoint defined elsewhere (see :meth:`Endpoint.from_endpoint_name`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        endpoint_arn: str,
        variant_names: tuple[str, ...] = (),
        data_capture_path: S3Path | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        self.endpoint_arn = endpoint_arn
        self.variant_names = variant_names
        self.data_capture_path = data_capture_path


def endpoint_arn_for(scope: Construct, endpoint_name: str) -> str:
    """The ARN of an endpoint in the scope's account and region."""
    return stack_of(scope).format_arn(
        service="sagemaker", resource="endpoint", resource_name=sagemaker_arn_name("endpoint", endpoint_name)
    )


def endpoint_name_from_arn(scope: Construct, endpoint_arn: str) -> str:
    """The name part of an endpoint ARN (works for tokens too)."""
    name = Arn.split(endpoint_arn, ArnFormat.SLASH_RESOURCE_NAME).resource_name
    return name or endpoint_arn.rsplit("/", 1)[-1]
