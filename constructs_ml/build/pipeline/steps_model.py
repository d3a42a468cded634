"""Model steps: register a model version in a ModelRegistry, create a model, run a batch transform.

Example::

    register = RegisterModelStep("Register",
        registry=registry,
        model_data=train.model_artifacts,
        image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1"),
        model_metrics=ModelMetrics(model_quality_statistics=MetricsSource(evaluate.output("evaluation"))))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from constructs import Construct

from constructs_ml.build.images import ContainerImage
from constructs_ml.build.pipeline.properties import PipelineValue, S3Location, StepProperty, render_value
from constructs_ml.build.pipeline.steps_base import (
    InstanceType,
    RenderContext,
    ResourceAccess,
    Step,
    instance_type_value,
    validate_instance,
)
from constructs_ml.build.pipeline.steps_processing import per_execution
from constructs_ml.build.registry import ApprovalStatus, ModelRegistryBase
from constructs_ml.errors import Problems

if TYPE_CHECKING:
    from constructs_ml.build.model_card import ModelCard, ModelCardContent


@dataclass(frozen=True)
class MetricsSource:
    """A metrics/report file: an S3 location or a step output, and its content type (``application/json``)."""

    s3_uri: S3Location | PipelineValue
    content_type: str = "application/json"

    def to_definition(self) -> dict[str, Any]:
        return {"S3Uri": render_value(self.s3_uri), "ContentType": self.content_type}


@dataclass(frozen=True)
class ModelMetrics:
    """Metrics recorded with a model version (shown in the registry and used by model monitoring)."""

    model_quality_statistics: MetricsSource | None = None
    model_quality_constraints: MetricsSource | None = None
    data_quality_statistics: MetricsSource | None = None
    data_quality_constraints: MetricsSource | None = None
    bias_report: MetricsSource | None = None
    explainability_report: MetricsSource | None = None

    def to_definition(self) -> dict[str, Any]:
        out: dict[str, Any] = {}

        def put(section: str, key: str, source: MetricsSource | None) -> None:
            if source is not None:
                out.setdefault(section, {})[key] = source.to_definition()

        put("ModelQuality", "Statistics", self.model_quality_statistics)
        put("ModelQuality", "Constraints", self.model_quality_constraints)
        put("ModelDataQuality", "Statistics", self.data_quality_statistics)
        put("ModelDataQuality", "Constraints", self.data_quality_constraints)
        put("Bias", "Report", self.bias_report)
        put("Explainability", "Report", self.explainability_report)
        return out

    def sources(self) -> list[MetricsSource]:
        return [
            s
            for s in (
                self.model_quality_statistics,
                self.model_quality_constraints,
                self.data_quality_statistics,
                self.data_quality_constraints,
                self.bias_report,
                self.explainability_report,
            )
            if s is not None
        ]


class RegisterModelStep(Step):
    """Register the trained model as a new version in a :class:`~constructs_ml.build.ModelRegistry` group.

    Args:
        name: the step's name.
        registry: the model package group (owned or imported).
        model_data: the ``model.tar.gz`` (e.g. ``train.model_artifacts``).
        image: the inference image.
        content_types: accepted request MIME types: ``["text/csv"]``.
        response_types: response MIME types: ``["text/csv"]``.
        inference_instance_types: instance types for real-time inference: ``ml.m5.large``.
        transform_instance_types: instance types for batch transform: ``ml.m5.large``.
        approval_status: the version's initial status: ``PendingManualApproval`` (only the approver
            may approve it). ``Approved`` skips manual approval and is a warning.
        description: the version's description: none.
        model_metrics: evaluation / quality / bias / explainability reports: none.
        model_card: a :class:`~constructs_ml.build.ModelCard` to link (its ARN is recorded in the
            version's customer metadata as ``ModelCardArn``): none.
        model_card_content: a model card embedded in the version itself (CreateModelPackage
            ``ModelCard``), with ``model_card_status``: none.
        model_card_status: status of the embedded card: ``Draft``.
        customer_metadata: key-value metadata recorded with the version: none.
        environment: environment variables of the inference container: none.
        **kwargs: ``display_name``, ``description``, ``depends_on``, ``retry_policies``.
    """

    step_type = "RegisterModel"
    supports_cache = False

    def __init__(
        self,
        name: str,
        *,
        registry: ModelRegistryBase,
        model_data: S3Location | PipelineValue,
        image: ContainerImage,
        content_types: Sequence[str] = ("text/csv",),
        response_types: Sequence[str] = ("text/csv",),
        inference_instance_types: Sequence[InstanceType] = (InstanceType.ML_M5_LARGE,),
        transform_instance_types: Sequence[InstanceType] = (InstanceType.ML_M5_LARGE,),
        approval_status: str = ApprovalStatus.PENDING_MANUAL_APPROVAL,
        model_package_description: str | None = None,
        model_metrics: ModelMetrics | None = None,
        model_card: ModelCard | None = None,
        model_card_content: ModelCardContent | None = None,
        model_card_status: str = "Draft",
        customer_metadata: Mapping[str, str] | None = None,
        environment: Mapping[str, str | PipelineValue] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.registry = registry
        self.model_data = model_data
        self.image = image
        self.content_types = list(content_types)
        self.response_types = list(response_types)
        self.inference_instance_types = list(inference_instance_types)
        self.transform_instance_types = list(transform_instance_types)
        self.approval_status = approval_status
        self.model_package_description = model_package_description
        self.model_metrics = model_metrics
        self.model_card = model_card
        self.model_card_content = model_card_content
        self.model_card_status = model_card_status
        self.customer_metadata = dict(customer_metadata or {})
        self.environment = dict(environment or {})

    @property
    def model_package_arn(self) -> StepProperty:
        return self.property("ModelPackageArn")

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        container: dict[str, Any] = {"Image": self.image.bind(ctx.scope), "ModelDataUrl": render_value(self.model_data)}
        if self.environment:
            container["Environment"] = render_value(self.environment)
        args: dict[str, Any] = {
            "ModelPackageGroupName": self.registry.model_package_group_name,
            "InferenceSpecification": {
                "Containers": [container],
                "SupportedContentTypes": self.content_types,
                "SupportedResponseMIMETypes": self.response_types,
                "SupportedRealtimeInferenceInstanceTypes": [i.name for i in self.inference_instance_types],
                "SupportedTransformInstanceTypes": [i.name for i in self.transform_instance_types],
            },
            "ModelApprovalStatus": self.approval_status,
        }
        if self.model_package_description:
            args["ModelPackageDescription"] = self.model_package_description
        if self.model_metrics is not None:
            args["ModelMetrics"] = self.model_metrics.to_definition()
        metadata = dict(self.customer_metadata)
        if self.model_card is not None:
            metadata["ModelCardArn"] = self.model_card.model_card_arn
        if metadata:
            args["CustomerMetadataProperties"] = metadata
        if self.model_card_content is not None:
            args["ModelCard"] = {
                "ModelCardContent": json.dumps(self.model_card_content.to_api_content(), separators=(",", ":")),
                "ModelCardStatus": self.model_card_status,
            }
        return args

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        p = self.prop
        problems.require_one_of(
            p("approval_status"),
            self.approval_status,
            (ApprovalStatus.PENDING_MANUAL_APPROVAL, ApprovalStatus.APPROVED, ApprovalStatus.REJECTED),
        )
        problems.require_one_of(
            p("model_card_status"), self.model_card_status, ("Draft", "PendingReview", "Approved", "Archived")
        )
        problems.require(bool(self.content_types), p("content_types"), self.content_types, "at least one MIME type")
        problems.require(bool(self.response_types), p("response_types"), self.response_types, "at least one MIME type")
        for i in [*self.inference_instance_types, *self.transform_instance_types]:
            validate_instance(problems, p("inference_instance_types"), i)
        for key in self.customer_metadata:
            problems.require(
                1 <= len(key) <= 128 and not key.startswith("aws:"),
                p("customer_metadata"),
                key,
                "keys of 1..128 characters, not starting with 'aws:'",
            )
        self.image.validate(scope, problems, p("image"))

    def collect(self, access: ResourceAccess) -> None:
        access.register_into.append(self.registry)
        if self.approval_status == ApprovalStatus.APPROVED:
            access.auto_approve = True
        if isinstance(self.model_data, S3Location):
            access.reads.append(self.model_data)

    def disabled_protections(self) -> list[str]:
        if self.approval_status == ApprovalStatus.APPROVED:
            return ["manual approval (model versions are registered Approved)"]
        return []


class CreateModelStep(Step):
    """Create a SageMaker model (for a later Transform step): in the VPC, network-isolated by default.

    Args:
        name: the step's name.
        image: the inference image.
        model_data: the ``model.tar.gz`` (e.g. ``train.model_artifacts``).
        environment: environment variables: none.
        network_isolation: no network access from the container: on (off is a warning).
        **kwargs: ``display_name``, ``description``, ``depends_on``, ``retry_policies``.
    """

    step_type = "Model"
    supports_cache = False

    def __init__(
        self,
        name: str,
        *,
        image: ContainerImage,
        model_data: S3Location | PipelineValue,
        environment: Mapping[str, str | PipelineValue] | None = None,
        network_isolation: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.image = image
        self.model_data = model_data
        self.environment = dict(environment or {})
        self.network_isolation = network_isolation

    @property
    def model_name(self) -> StepProperty:
        return self.property("ModelName")

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        container: dict[str, Any] = {"Image": self.image.bind(ctx.scope), "ModelDataUrl": render_value(self.model_data)}
        if self.environment:
            container["Environment"] = render_value(self.environment)
        return {
            "ExecutionRoleArn": ctx.role_arn,
            "PrimaryContainer": container,
            "VpcConfig": ctx.vpc_config(),
            "EnableNetworkIsolation": self.network_isolation,
        }

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        self.image.validate(scope, problems, self.prop("image"))

    def collect(self, access: ResourceAccess) -> None:
        access.job_kinds.add("model")
        access.images.append(self.image)
        if isinstance(self.model_data, S3Location):
            access.reads.append(self.model_data)

    def disabled_protections(self) -> list[str]:
        return [] if self.network_isolation else ["network isolation"]


class TransformStep(Step):
    """A batch transform job with a model (e.g. ``CreateModelStep.model_name``).

    Args:
        name: the step's name.
        model_name: the model to run.
        input_data: the data to transform.
        output: where results go: ``<artifacts>/<step>/output/<execution id>``.
        content_type: the input's MIME type: ``text/csv``.
        split_type: how records are split: ``Line``.
        accept: the output MIME type: the model's default.
        assemble_with: how results are assembled: ``Line``.
        instance_type: ``ml.m5.large``.
        instance_count: 1.
        max_payload_mb: maximum request size (MB): the service default.
        max_concurrent_transforms: parallel requests per instance: the service default.
        batch_strategy: ``MultiRecord`` or ``SingleRecord``: the service default.
        input_filter / output_filter / join_source: JSONPath filters and joining of input and output:
            none.
        environment: environment variables: none.
        **kwargs: ``display_name``, ``description``, ``depends_on``, ``retry_policies``, ``cache``.
    """

    step_type = "Transform"

    def __init__(
        self,
        name: str,
        *,
        model_name: str | PipelineValue,
        input_data: S3Location | PipelineValue,
        output: S3Location | None = None,
        content_type: str = "text/csv",
        split_type: str = "Line",
        accept: str | None = None,
        assemble_with: str = "Line",
        instance_type: InstanceType | PipelineValue = InstanceType.ML_M5_LARGE,
        instance_count: int | PipelineValue = 1,
        max_payload_mb: int | None = None,
        max_concurrent_transforms: int | None = None,
        batch_strategy: str | None = None,
        input_filter: str | None = None,
        output_filter: str | None = None,
        join_source: str | None = None,
        environment: Mapping[str, str | PipelineValue] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.model_name = model_name
        self.input_data = input_data
        self.output = output
        self.content_type = content_type
        self.split_type = split_type
        self.accept = accept
        self.assemble_with = assemble_with
        self.instance_type = instance_type
        self.instance_count = instance_count
        self.max_payload_mb = max_payload_mb
        self.max_concurrent_transforms = max_concurrent_transforms
        self.batch_strategy = batch_strategy
        self.input_filter = input_filter
        self.output_filter = output_filter
        self.join_source = join_source
        self.environment = dict(environment or {})

    @property
    def output_path(self) -> StepProperty:
        return self.property("TransformOutput.S3OutputPath")

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        default = per_execution(ctx.output_location(self.name, "output"))
        out_uri = self.output.uri if self.output is not None else default
        output: dict[str, Any] = {
            "S3OutputPath": render_value(out_uri),
            "KmsKeyId": ctx.key_arn,
            "AssembleWith": self.assemble_with,
        }
        if self.accept:
            output["Accept"] = self.accept
        args: dict[str, Any] = {
            "ModelName": render_value(self.model_name),
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": render_value(self.input_data)}},
                "ContentType": self.content_type,
                "SplitType": self.split_type,
            },
            "TransformOutput": output,
            "TransformResources": {
                "InstanceType": instance_type_value(self.instance_type),
                "InstanceCount": render_value(self.instance_count),
                "VolumeKmsKeyId": ctx.key_arn,
            },
        }
        for key, value in (
            ("MaxPayloadInMB", self.max_payload_mb),
            ("MaxConcurrentTransforms", self.max_concurrent_transforms),
            ("BatchStrategy", self.batch_strategy),
        ):
            if value is not None:
                args[key] = value
        processing = {
            k: v
            for k, v in (
                ("InputFilter", self.input_filter),
                ("OutputFilter", self.output_filter),
                ("JoinSource", self.join_source),
            )
            if v is not None
        }
        if processing:
            args["DataProcessing"] = processing
        if self.environment:
            args["Environment"] = render_value(self.environment)
        return args

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        p = self.prop
        validate_instance(problems, p("instance_type"), self.instance_type)
        if isinstance(self.instance_count, int):
            problems.require_range(p("instance_count"), self.instance_count, 1, 100)
        problems.require_range(p("max_payload_mb"), self.max_payload_mb, 0, 100)
        problems.require_one_of(p("split_type"), self.split_type, ("None", "Line", "RecordIO", "TFRecord"))
        problems.require_one_of(p("assemble_with"), self.assemble_with, ("None", "Line"))
        if self.batch_strategy is not None:
            problems.require_one_of(p("batch_strategy"), self.batch_strategy, ("MultiRecord", "SingleRecord"))
        if self.join_source is not None:
            problems.require_one_of(p("join_source"), self.join_source, ("Input", "None"))

    def collect(self, access: ResourceAccess) -> None:
        access.job_kinds.add("transform-job")
        if isinstance(self.input_data, S3Location):
            access.reads.append(self.input_data)
        if self.output is not None:
            access.writes.append(self.output)


__all__ = ["CreateModelStep", "MetricsSource", "ModelMetrics", "RegisterModelStep", "TransformStep"]
