"""Typed parts of an endpoint: variants, data capture and asynchronous inference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from constructs_ml.instance_types import InstanceType
from constructs_ml.serve.autoscaling import Autoscaling
from constructs_ml.serve.common import S3Path
from constructs_ml.serve.model import ModelBase

#: Memory sizes serverless inference accepts.
SERVERLESS_MEMORY_SIZES: tuple[int, ...] = (1024, 2048, 3072, 4096, 5120, 6144)


class RoutingStrategy:
    """How SageMaker routes requests among a variant's instances (escape hatch: ``RoutingStrategy("...")``)."""

    LEAST_OUTSTANDING_REQUESTS: RoutingStrategy
    RANDOM: RoutingStrategy

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"RoutingStrategy({self.value!r})"


RoutingStrategy.LEAST_OUTSTANDING_REQUESTS = RoutingStrategy("LEAST_OUTSTANDING_REQUESTS")
RoutingStrategy.RANDOM = RoutingStrategy("RANDOM")


@dataclass(frozen=True)
class InstanceVariant:
    """A production (or shadow) variant on dedicated instances.

    Attributes:
        model: the model it serves.
        variant_name: the variant's name: ``AllTraffic``. Keep it stable: blue/green deployments
            require the same variant names in the new config.
        instance_type: ``ml.*`` instance type: ``ml.m5.large``.
        initial_instance_count: instances at creation (autoscaling takes over later): 1. Use at least
            two in production so one AZ failure does not take the variant down.
        initial_weight: relative traffic weight (for a shadow variant: share of traffic mirrored): 1.
        volume_size_in_gb: ML storage volume per instance (1..512, only on types without NVMe
            instance storage): SageMaker's default.
        model_data_download_timeout: 60..3600 s: SageMaker's default.
        container_startup_health_check_timeout: 60..3600 s: SageMaker's default.
        inference_ami_version: the accelerator driver/AMI version for GPU types, e.g.
            ``al2-ami-sagemaker-inference-gpu-2``: SageMaker's default. (Elastic Inference
            accelerators were retired by AWS and are not offered; use GPU or Inferentia types.)
        routing_strategy: request routing among instances: SageMaker's default (random).
        autoscaling: Application Auto Scaling for this variant: none (fixed count).
    """

    model: ModelBase
    variant_name: str = "AllTraffic"
    instance_type: InstanceType = InstanceType.ML_M5_LARGE
    initial_instance_count: int = 1
    initial_weight: float = 1.0
    volume_size_in_gb: int | None = None
    model_data_download_timeout: Duration | None = None
    container_startup_health_check_timeout: Duration | None = None
    inference_ami_version: str | None = None
    routing_strategy: RoutingStrategy | None = None
    autoscaling: Autoscaling | None = None


@dataclass(frozen=True)
class ServerlessVariant:
    """A serverless variant: SageMaker manages the compute, scaling to zero between requests.

    AWS does not support VPC config, network isolation, data capture, multiple variants, async
    inference or a volume KMS key with serverless inference: the model must be built with
    ``Model(serverless=True)`` and the endpoint must have this one variant only.

    Attributes:
        model: the model it serves (``Model(..., serverless=True)``).
        variant_name: the variant's name: ``AllTraffic``.
        memory_size_in_mb: 1024..6144 in steps of 1024: 2048.
        max_concurrency: concurrent invocations (1..200): 20.
        provisioned_concurrency: pre-warmed capacity (1..max_concurrency): none (cold starts).
        autoscaling: scales provisioned concurrency (needs ``provisioned_concurrency``): none.
    """

    model: ModelBase
    variant_name: str = "AllTraffic"
    memory_size_in_mb: int = 2048
    max_concurrency: int = 20
    provisioned_concurrency: int | None = None
    autoscaling: Autoscaling | None = None


Variant = InstanceVariant | ServerlessVariant


@dataclass(frozen=True)
class DataCapture:
    """Capture of requests and responses to S3 with KMS, the input of model monitoring (SM-07).

    Attributes:
        destination: where captured data goes, e.g. ``S3Path(buckets.capture.bucket, "churn")``.
        sampling_percentage: share of requests captured, 0..100: 100.
        capture_request: capture inputs: yes.
        capture_response: capture outputs: yes.
        csv_content_types: content types treated as CSV: SageMaker's default.
        json_content_types: content types treated as JSON: SageMaker's default.
        kms_key: key for captured objects: the endpoint's key. It must be the capture bucket's key
            when the bucket denies other keys (``SecureBucket`` does).
    """

    destination: S3Path
    sampling_percentage: int = 100
    capture_request: bool = True
    capture_response: bool = True
    csv_content_types: Sequence[str] = ()
    json_content_types: Sequence[str] = ()
    kms_key: kms.IKey | None = None


@dataclass(frozen=True)
class AsyncInference:
    """Asynchronous inference: requests queue, results go to S3 (KMS), notifications to SNS.

    Scale to zero when idle with ``Autoscaling.async_backlog(min_capacity=0, ...)`` on the variant.

    Attributes:
        output_path: where results go (required).
        failure_path: where failures go: SageMaker writes none separately.
        success_topic: SNS topic notified on success: none.
        error_topic: SNS topic notified on error: none.
        include_inference_response_in: ``SUCCESS_NOTIFICATION_TOPIC`` and/or
            ``ERROR_NOTIFICATION_TOPIC``: responses only in S3.
        max_concurrent_invocations_per_instance: 1..1000: SageMaker chooses.
        kms_key: key for results: the endpoint's key.
    """

    output_path: S3Path | None = None
    failure_path: S3Path | None = None
    success_topic: sns.ITopic | None = None
    error_topic: sns.ITopic | None = None
    include_inference_response_in: Sequence[str] = field(default_factory=tuple)
    max_concurrent_invocations_per_instance: int | None = None
    kms_key: kms.IKey | None = None
