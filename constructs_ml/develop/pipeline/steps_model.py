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

from constructs_ml.develop.images import ContainerImage
from constructs_ml.develop.pipeline.properties import (
    ExecutionVariables,
    PipelineValue,
    S3Location,
    StepProperty,
    render_value,
)
from constructs_ml.develop.pipeline.steps_base import (
    InstanceType,
    RenderContext,
    ResourceAccess,
    Step,
    validate_instance,
)
from constructs_ml.develop.registry import ApprovalStatus, ModelRegistryBase
from constructs_ml.errors import Problems

if TYPE_CHECKING:
    from constructs_ml.develop.model_card import ModelCard, ModelCardContent

#: Customer-metadata keys of the artifact identity a :class:`RegisterModelStep` records (read by
#: deploy-on-approval, which verifies the artifact before it serves it; see docs/develop.md).
IDENTITY_MODEL_DATA_URL = "constructs-ml:model-data-url"
IDENTITY_EXECUTION_ARN = "constructs-ml:pipeline-execution-arn"
IDENTITY_TRAINING_JOB_ARN = "constructs-ml:training-job-arn"
IDENTITY_KEYS = (IDENTITY_MODEL_DATA_URL, IDENTITY_EXECUTION_ARN, IDENTITY_TRAINING_JOB_ARN)


def artifact_identity(model_data: S3Location | PipelineValue) -> dict[str, Any]:
    """What the pipeline definition can say about the artifact it registers: its S3 URI, the execution
    that produced it and, for a training step's output, the training job.

    The definition language has no expression for an S3 object's version id, ETag or checksum (no step
    property carries them), so those are checked at deploy time: the URI must name a key with exactly one
    version, written before the package was created (see ``lambdas/deploy_on_approval/integrity.py``).
    """
    identity: dict[str, Any] = {
        IDENTITY_MODEL_DATA_URL: render_value(model_data),
        IDENTITY_EXECUTION_ARN: ExecutionVariables.PIPELINE_EXECUTION_ARN.to_expression(),
    }
    if isinstance(model_data, StepProperty) and model_data.property_path == "ModelArtifacts.S3ModelArtifacts":
        identity[IDENTITY_TRAINING_JOB_ARN] = StepProperty(model_data.step_name, "TrainingJobArn").to_expression()
    return identity


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


@dataclass(frozen=True)
class DriftCheckBaselines:
    """The baselines a model version was checked with (CreateModelPackage ``DriftCheckBaselines``): what
    its monitoring compares captured data against (``ModelMonitor(baselines_from=...)`` reads them from
    the deployed version). Usually the check steps' ``calculated_baseline_*`` properties.

    Attributes:
        data_quality_statistics / data_quality_constraints: a data-quality ``QualityCheckStep``'s files.
        model_quality_statistics / model_quality_constraints: a model-quality ``QualityCheckStep``'s files.
        bias_config_file / bias_pre_training_constraints / bias_post_training_constraints: a bias
            ``ClarifyCheckStep``'s analysis config and ``analysis.json``.
        explainability_config_file / explainability_constraints: an explainability ``ClarifyCheckStep``'s.
    """

    data_quality_statistics: MetricsSource | None = None
    data_quality_constraints: MetricsSource | None = None
    model_quality_statistics: MetricsSource | None = None
    model_quality_constraints: MetricsSource | None = None
    bias_config_file: MetricsSource | None = None
    bias_pre_training_constraints: MetricsSource | None = None
    bias_post_training_constraints: MetricsSource | None = None
    explainability_config_file: MetricsSource | None = None
    explainability_constraints: MetricsSource | None = None

    def to_definition(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for section, key, source in (
            ("ModelDataQuality", "Statistics", self.data_quality_statistics),
            ("ModelDataQuality", "Constraints", self.data_quality_constraints),
            ("ModelQuality", "Statistics", self.model_quality_statistics),
            ("ModelQuality", "Constraints", self.model_quality_constraints),
            ("Bias", "ConfigFile", self.bias_config_file),
            ("Bias", "PreTrainingConstraints", self.bias_pre_training_constraints),
            ("Bias", "PostTrainingConstraints", self.bias_post_training_constraints),
            ("Explainability", "ConfigFile", self.explainability_config_file),
            ("Explainability", "Constraints", self.explainability_constraints),
        ):
            if source is not None:
                out.setdefault(section, {})[key] = source.to_definition()
        return out


class RegisterModelStep(Step):
    """Register the trained model as a new version in a :class:`~constructs_ml.develop.ModelRegistry` group.

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
        drift_check_baselines: the baselines the version was checked with, which its monitors compare
            captured data against (:class:`DriftCheckBaselines`): none.
        model_card: a :class:`~constructs_ml.develop.ModelCard` to link (its ARN is recorded in the
            version's customer metadata as ``ModelCardArn``): none.
        model_card_content: a model card embedded in the version itself (CreateModelPackage
            ``ModelCard``), with ``model_card_status``: none.
        model_card_status: status of the embedded card: ``Draft``.
        customer_metadata: key-value metadata recorded with the version: none. The step always adds the
            artifact's identity (:func:`artifact_identity`: ``constructs-ml:model-data-url``,
            ``constructs-ml:pipeline-execution-arn`` and, for a training step's model,
            ``constructs-ml:training-job-arn``), which deploy-on-approval verifies before serving.
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
        drift_check_baselines: DriftCheckBaselines | None = None,
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
        self.drift_check_baselines = drift_check_baselines
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
        if self.drift_check_baselines is not None and self.drift_check_baselines.to_definition():
            args["DriftCheckBaselines"] = self.drift_check_baselines.to_definition()
        metadata: dict[str, Any] = {**self.customer_metadata, **artifact_identity(self.model_data)}
        if self.model_card is not None:
            metadata["ModelCardArn"] = self.model_card.model_card_arn
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
                1 <= len(key) <= 128 and not key.startswith("aws:") and key not in IDENTITY_KEYS,
                p("customer_metadata"),
                key,
                f"keys of 1..128 characters, not starting with 'aws:', other than {', '.join(IDENTITY_KEYS)}",
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


__all__ = [
    "IDENTITY_EXECUTION_ARN",
    "IDENTITY_KEYS",
    "IDENTITY_MODEL_DATA_URL",
    "IDENTITY_TRAINING_JOB_ARN",
    "CreateModelStep",
    "DriftCheckBaselines",
    "MetricsSource",
    "ModelMetrics",
    "RegisterModelStep",
    "artifact_identity",
]
