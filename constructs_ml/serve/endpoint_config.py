"""The endpoint configuration: variants, volume KMS, data capture, async inference (SM-06, SM-07)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved
from constructs_ml.errors import Problems
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.instance_types import HOST_INSTANCE_STORAGE, InstanceType
from constructs_ml.serve.autoscaling import ScalingMetric
from constructs_ml.serve.common import NAME_PATTERN, S3Path, kms_statements
from constructs_ml.serve.components import ComponentVariant
from constructs_ml.serve.variants import (
    SERVERLESS_MEMORY_SIZES,
    AsyncInference,
    DataCapture,
    InstanceVariant,
    ServerlessVariant,
    Variant,
)

_ASYNC_INCLUDE = ("SUCCESS_NOTIFICATION_TOPIC", "ERROR_NOTIFICATION_TOPIC")


class EndpointConfig(Construct):
    """An ``AWS::SageMaker::EndpointConfig`` (immutable: any change creates a new one, which the
    endpoint then rolls out with its deployment config).

    Volumes are encrypted with ``kms_key``; captured data and async results with the data capture's
    or async config's key (the endpoint key by default). Serverless variants have no customer volume
    and AWS rejects ``KmsKeyId`` for them: an all-serverless config omits it, and the cdk-nag findings
    that ask for it are acknowledged through the allowlist entry ``serverless-endpoint-config-no-kms``.

    The execution roles of the variants' models get what SageMaker does with them: write captured
    data and async results under the given prefixes, use the keys, publish to the async topics.

    In component mode (:class:`ComponentVariant` variants, models in inference components) the
    config names no model: it carries the endpoint's ``execution_role`` and ``vpc_config`` (AWS
    requires both for inference components), network isolation when every component's model is
    isolated. The owner of the role (the endpoint) grants it what data capture needs.

    Args:
        scope: parent construct.
        construct_id: construct id.
        variants: production variants (at least one; one serverless variant alone, instance
            variants, or component variants).
        kms_key: the key of the instances' ML storage volumes.
        shadow_variants: instance variants that receive a copy of production traffic: none.
        data_capture: capture requests/responses: off.
        async_inference: make the endpoint asynchronous: real-time.
        execution_role: component mode only: the endpoint's execution role.
        vpc_config: component mode only: the subnets and security groups of the instances.
        network_isolation: component mode only: isolate every container: SageMaker's default (off).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        variants: Sequence[Variant | ComponentVariant],
        kms_key: kms.IKey,
        shadow_variants: Sequence[InstanceVariant] = (),
        data_capture: DataCapture | None = None,
        async_inference: AsyncInference | None = None,
        execution_role: iam.IRole | None = None,
        vpc_config: sagemaker.CfnEndpointConfig.VpcConfigProperty | None = None,
        network_isolation: bool | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        component_variants = [v for v in variants if isinstance(v, ComponentVariant)]
        self.component_mode = bool(component_variants)
        if self.component_mode:
            problems.require(
                len(component_variants) == len(variants),
                "variants",
                [type(v).__name__ for v in variants],
                "only ComponentVariant variants in component mode",
            )
            problems.require(execution_role is not None, "execution_role", None, "a role in component mode")
            problems.require(vpc_config is not None, "vpc_config", None, "the VPC config in component mode")
            problems.require(
                not shadow_variants,
                "shadow_variants",
                [v.variant_name for v in shadow_variants],
                "empty in component mode",
            )
            problems.require(async_inference is None, "async_inference", async_inference, "None in component mode")
            validate_capture(problems, data_capture)
        else:
            validate(problems, variants, shadow_variants, data_capture, async_inference)  # type: ignore[arg-type]
        problems.raise_if_any()

        self.variants = tuple(variants)
        self.shadow_variants = tuple(shadow_variants)
        self.data_capture = data_capture
        self.async_inference = async_inference
        self.kms_key = kms_key
        serverless = any(isinstance(v, ServerlessVariant) for v in variants)
        self.serverless = serverless
        models = {id(v.model): v.model for v in (*variants, *shadow_variants) if not isinstance(v, ComponentVariant)}
        self.execution_role = execution_role

        capture_cfg = None
        if data_capture is not None:
            capture_key = data_capture.kms_key or kms_key
            options = [
                {"CaptureMode": m}
                for m, on in (("Input", data_capture.capture_request), ("Output", data_capture.capture_response))
                if on
            ]
            header: dict[str, Any] = {}
            if data_capture.csv_content_types:
                header["CsvContentTypes"] = list(data_capture.csv_content_types)
            if data_capture.json_content_types:
                header["JsonContentTypes"] = list(data_capture.json_content_types)
            capture_cfg = sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                enable_capture=True,
                initial_sampling_percentage=data_capture.sampling_percentage,
                destination_s3_uri=data_capture.destination.uri,
                kms_key_id=capture_key.key_arn,
                capture_options=[
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=o["CaptureMode"]) for o in options
                ],
                capture_content_type_header=(
                    sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                        csv_content_types=header.get("CsvContentTypes"),
                        json_content_types=header.get("JsonContentTypes"),
                    )
                    if header
                    else None
                ),
            )
            self._grant_models(models.values(), data_capture.destination, capture_key)

        async_cfg = None
        if async_inference is not None and async_inference.output_path is not None:
            a = async_inference
            async_key = a.kms_key or kms_key
            notification = None
            if a.success_topic or a.error_topic or a.include_inference_response_in:
                notification = sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                    success_topic=a.success_topic.topic_arn if a.success_topic else None,
                    error_topic=a.error_topic.topic_arn if a.error_topic else None,
                    include_inference_response_in=list(a.include_inference_response_in) or None,
                )
            async_cfg = sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
                output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                    s3_output_path=a.output_path.uri,  # type: ignore[union-attr]  # checked in validate()
                    s3_failure_path=a.failure_path.uri if a.failure_path else None,
                    kms_key_id=async_key.key_arn,
                    notification_config=notification,
                ),
                client_config=(
                    sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                        max_concurrent_invocations_per_instance=a.max_concurrent_invocations_per_instance
                    )
                    if a.max_concurrent_invocations_per_instance
                    else None
                ),
            )
            for path in (a.output_path, a.failure_path):
                if path is not None:
                    self._grant_models(models.values(), path, async_key)
            for topic in (a.success_topic, a.error_topic):
                if topic is None:
                    continue
                for m in models.values():
                    m.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn]))
                    topic_key = getattr(topic, "master_key", None)
                    if topic_key is not None:
                        for stmt in kms_statements(topic_key.key_arn, encrypt=True, decrypt=True):
                            m.add_to_role_policy(stmt)

        self.resource = sagemaker.CfnEndpointConfig(
            self,
            "Resource",
            production_variants=[_variant(v) for v in variants],
            shadow_production_variants=[_variant(v) for v in shadow_variants] or None,
            kms_key_id=None if serverless else kms_key.key_arn,
            data_capture_config=capture_cfg,
            async_inference_config=async_cfg,
            execution_role_arn=execution_role.role_arn if execution_role is not None else None,
            vpc_config=vpc_config,
            enable_network_isolation=network_isolation,
        )
        for m in models.values():
            self.resource.node.add_dependency(m)
        if serverless:
            acknowledge(self.resource, "serverless-endpoint-config-no-kms")
        self.endpoint_config_name = self.resource.attr_endpoint_config_name

    def _grant_models(self, models: Any, path: S3Path, key: kms.IKey) -> None:
        for m in models:
            stmts = [*path.write_statements(), *kms_statements(key.key_arn, encrypt=True, decrypt=True)]
            granted = all([m.add_to_role_policy(s) for s in stmts])
            if not granted:
                Annotations.of(self).add_warning_v2(
                    "constructs-ml:endpoint-model-role-not-granted",
                    f"EndpointConfig: model {m.node.path} has no owned role; grant it write access to {path.uri} "
                    "and use of the key yourself.",
                )


def _variant(v: Variant | ComponentVariant) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
    if isinstance(v, ComponentVariant):
        return v.to_cfn()
    if isinstance(v, ServerlessVariant):
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=v.variant_name,
            model_name=v.model.model_name,
            serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                memory_size_in_mb=v.memory_size_in_mb,
                max_concurrency=v.max_concurrency,
                provisioned_concurrency=v.provisioned_concurrency,
            ),
        )
    return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name=v.variant_name,
        model_name=v.model.model_name,
        instance_type=v.instance_type.name,
        initial_instance_count=v.initial_instance_count,
        initial_variant_weight=v.initial_weight,
        volume_size_in_gb=v.volume_size_in_gb,
        model_data_download_timeout_in_seconds=(
            v.model_data_download_timeout.to_seconds() if v.model_data_download_timeout else None
        ),
        container_startup_health_check_timeout_in_seconds=(
            v.container_startup_health_check_timeout.to_seconds() if v.container_startup_health_check_timeout else None
        ),
        inference_ami_version=v.inference_ami_version,
        routing_config=(
            sagemaker.CfnEndpointConfig.RoutingConfigProperty(routing_strategy=v.routing_strategy.value)
            if v.routing_strategy
            else None
        ),
    )


def validate(
    problems: Problems,
    variants: Sequence[Variant],
    shadow_variants: Sequence[InstanceVariant],
    data_capture: DataCapture | None,
    async_inference: AsyncInference | None,
) -> None:
    """Record every problem with an endpoint's variants, capture and async settings."""
    listed = problems.require_sequence(
        "variants", variants, (InstanceVariant, ServerlessVariant), "a list of InstanceVariant/ServerlessVariant"
    )
    if not problems.require_sequence("shadow_variants", shadow_variants, InstanceVariant, "a list of InstanceVariant"):
        return
    if not listed:
        return
    problems.require(len(variants) >= 1, "variants", list(variants), "at least one variant")
    problems.require(
        len(variants) + len(shadow_variants) <= 10,
        "variants",
        len(variants) + len(shadow_variants),
        "at most 10 variants including shadows",
    )
    all_variants = [*variants, *shadow_variants]
    names = [v.variant_name for v in all_variants]
    problems.unique("variant_name", names)
    for n in names:
        problems.require(bool(NAME_PATTERN.match(n)), "variant_name", n, "[a-zA-Z0-9](-*[a-zA-Z0-9])*, at most 63")
    serverless = [x for x in variants if isinstance(x, ServerlessVariant)]
    instance = [v for v in all_variants if isinstance(v, InstanceVariant)]
    for sv in serverless:
        problems.require(
            sv.memory_size_in_mb in SERVERLESS_MEMORY_SIZES,
            f"variants[{sv.variant_name}].memory_size_in_mb",
            sv.memory_size_in_mb,
            "1024..6144 in steps of 1024",
        )
        problems.require_range(f"variants[{sv.variant_name}].max_concurrency", sv.max_concurrency, 1, 200)
        if sv.provisioned_concurrency is not None:
            problems.require_range(
                f"variants[{sv.variant_name}].provisioned_concurrency",
                sv.provisioned_concurrency,
                1,
                sv.max_concurrency,
            )
        problems.require(
            sv.model.serverless_compatible,
            f"variants[{sv.variant_name}].model",
            sv.model.node.path,
            "a Model(serverless=True): serverless inference supports no VPC config or network isolation",
        )
        if sv.autoscaling is not None:
            problems.require(
                sv.autoscaling.metric == ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION
                and sv.provisioned_concurrency is not None,
                f"variants[{sv.variant_name}].autoscaling",
                sv.autoscaling.metric.value,
                "Autoscaling.provisioned_concurrency(...) with provisioned_concurrency set",
            )
    if serverless:
        problems.require(
            len(variants) == 1 and not shadow_variants,
            "variants",
            names,
            "a serverless variant alone (serverless endpoints support one variant, no shadows)",
        )
        problems.require(
            data_capture is None,
            "data_capture",
            data_capture,
            "None with a serverless variant (AWS does not support data capture for serverless)",
        )
        problems.require(async_inference is None, "async_inference", async_inference, "None with a serverless variant")
    for v in instance:
        p = f"variants[{v.variant_name}]"
        if not problems.require_type(
            f"{p}.instance_type",
            v.instance_type,
            InstanceType,
            "an InstanceType (InstanceType.ML_M5_LARGE, InstanceType.of('ml.g6.xlarge'))",
        ):
            continue
        problems.require(
            v.instance_type.is_valid,
            f"{p}.instance_type",
            v.instance_type.name,
            "an ML instance type 'ml.<family>.<size>'",
        )
        problems.require_range(f"{p}.initial_instance_count", v.initial_instance_count, 1, None)
        problems.require_range(f"{p}.initial_weight", v.initial_weight, 0, None)
        problems.require_range(f"{p}.volume_size_in_gb", v.volume_size_in_gb, 1, 512)
        if v.volume_size_in_gb is not None:
            problems.require(
                not v.instance_type.has_instance_storage,
                f"{p}.volume_size_in_gb",
                f"{v.volume_size_in_gb} on {v.instance_type.name}",
                "",
                what=(
                    "must be omitted on instance types with NVMe instance storage (SageMaker attaches no EBS "
                    f"volume to them; {HOST_INSTANCE_STORAGE})"
                ),
            )
        for name, d in (
            ("model_data_download_timeout", v.model_data_download_timeout),
            ("container_startup_health_check_timeout", v.container_startup_health_check_timeout),
        ):
            if d is not None:
                problems.require_range(f"{p}.{name}", d.to_seconds(), 60, 3600)
        if v.autoscaling is not None:
            for prop, value, allowed in v.autoscaling.problems(v.variant_name):
                problems.add(prop, value, allowed)
            if v.autoscaling.metric == ScalingMetric.GPU_UTILIZATION and not is_unresolved(v.instance_type.name):
                problems.require(
                    v.instance_type.is_gpu,
                    f"{p}.autoscaling",
                    v.instance_type.name,
                    "a GPU instance type for the GPU utilization preset",
                )
            if v.autoscaling.metric == ScalingMetric.ASYNC_BACKLOG_PER_INSTANCE:
                problems.require(
                    async_inference is not None,
                    f"{p}.autoscaling",
                    v.autoscaling.metric.value,
                    "an async endpoint for the backlog preset",
                )
            problems.require(
                v.autoscaling.metric != ScalingMetric.PROVISIONED_CONCURRENCY_UTILIZATION,
                f"{p}.autoscaling",
                v.autoscaling.metric.value,
                "a serverless variant for this preset",
            )
    weights = [v.initial_weight for v in variants if isinstance(v, InstanceVariant)]
    if weights and len(weights) == len(variants):
        problems.require(
            any(w > 0 for w in weights),
            "variants.initial_weight",
            weights,
            "at least one weight > 0",
            what="must not all be zero (no variant would get traffic)",
        )
    if shadow_variants:
        problems.require(
            async_inference is None,
            "shadow_variants",
            [v.variant_name for v in shadow_variants],
            "empty with async inference (shadow tests do not support it)",
        )
        problems.require(
            not any(v.model.multi_model for v in all_variants),
            "shadow_variants",
            [v.variant_name for v in shadow_variants],
            "empty with multi-model containers",
        )
    validate_capture(problems, data_capture)
    if async_inference is not None:
        _validate_async(problems, async_inference)


def validate_capture(problems: Problems, data_capture: DataCapture | None) -> None:
    """Record every problem with a data capture setting."""
    if data_capture is not None:
        problems.require_range("data_capture.sampling_percentage", data_capture.sampling_percentage, 0, 100)
        problems.require(
            data_capture.capture_request or data_capture.capture_response,
            "data_capture",
            "capture_request=False, capture_response=False",
            "at least one of request/response",
        )
        bad = data_capture.destination.prefix_problem()
        if bad:
            problems.add("data_capture.destination.prefix", data_capture.destination.prefix, bad)


def _validate_async(problems: Problems, async_inference: AsyncInference) -> None:
    """Record every problem with an async inference setting."""
    problems.require(
        async_inference.output_path is not None,
        "async_inference.output_path",
        None,
        "an S3Path for results (async inference writes every result to S3)",
    )
    if async_inference.max_concurrent_invocations_per_instance is not None:
        problems.require_range(
            "async_inference.max_concurrent_invocations_per_instance",
            async_inference.max_concurrent_invocations_per_instance,
            1,
            1000,
        )
    for x in async_inference.include_inference_response_in:
        problems.require_one_of("async_inference.include_inference_response_in", x, _ASYNC_INCLUDE)
