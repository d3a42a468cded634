"""Check steps: QualityCheck (data/model quality baselines and drift checks) and ClarifyCheck (bias,
explainability), both processing jobs with the platform's VPC, KMS, isolation and encryption settings.

The images default to AWS's analyzer / Clarify image of the stack's region (the registry account from
:func:`~constructs_ml.develop.image_accounts.image_account`); the results go under the pipeline's
artifacts prefix (write-once ``pipelines/`` in the platform bucket), one prefix per execution.

Example::

    quality = QualityCheckStep("DataQuality",
        check_type=QualityCheckType.DATA_QUALITY,
        baseline_dataset=prep.output("train"),
        skip_check=True, register_new_baseline=True)
    DriftCheckBaselines(data_quality_statistics=MetricsSource(quality.calculated_baseline_statistics),
                        data_quality_constraints=MetricsSource(quality.calculated_baseline_constraints))
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved
from constructs_ml.develop.images import BuiltinAlgorithm, ContainerImage
from constructs_ml.develop.pipeline.properties import PipelineValue, S3Location, StepProperty, render_value
from constructs_ml.develop.pipeline.steps_base import RenderContext, ResourceAccess
from constructs_ml.develop.pipeline.steps_processing import (
    ProcessingInput,
    ProcessingJobStep,
    ProcessingOutput,
    per_execution,
)
from constructs_ml.develop.registry import ModelRegistryBase
from constructs_ml.errors import Problems

_DATASET = "/opt/ml/processing/input/baseline_dataset_input"
_OUTPUT = "/opt/ml/processing/output"

#: The Model Monitor analyzer (QualityCheck's image): the SDK's ``model-monitor`` image config names no tag.
MODEL_MONITOR_ANALYZER = BuiltinAlgorithm.of("sagemaker-model-monitor-analyzer", "ModelMonitor", "latest")
#: The Clarify processing image (ClarifyCheck's image), version 1.0 as in the SDK's ``clarify`` image config.
CLARIFY_PROCESSING = BuiltinAlgorithm.of("sagemaker-clarify-processing", "Clarify", "1.0")


class QualityCheckType:
    DATA_QUALITY = "DATA_QUALITY"
    MODEL_QUALITY = "MODEL_QUALITY"


class ClarifyCheckType:
    DATA_BIAS = "DATA_BIAS"
    MODEL_BIAS = "MODEL_BIAS"
    MODEL_EXPLAINABILITY = "MODEL_EXPLAINABILITY"


@dataclass(frozen=True)
class DatasetFormat:
    """The baseline dataset's format: ``DatasetFormat.csv(header=True)`` or ``DatasetFormat.json(lines=True)``."""

    value: dict[str, Any]

    @staticmethod
    def csv(header: bool = True) -> DatasetFormat:
        return DatasetFormat({"csv": {"header": header, "output_columns_position": "START"}})

    @staticmethod
    def json(lines: bool = True) -> DatasetFormat:
        return DatasetFormat({"json": {"lines": lines}})


class _CheckStep(ProcessingJobStep):
    check_types: tuple[str, ...] = ()

    def __init__(
        self,
        name: str,
        *,
        check_type: str,
        registry: ModelRegistryBase | None,
        skip_check: bool | PipelineValue,
        register_new_baseline: bool | PipelineValue,
        supplied_baseline_constraints: S3Location | PipelineValue | None,
        output: S3Location | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.output_location = output
        self.check_type = check_type
        self.registry = registry
        self.skip_check = skip_check
        self.register_new_baseline = register_new_baseline
        self.supplied_baseline_constraints = supplied_baseline_constraints

    @property
    def calculated_baseline_constraints(self) -> StepProperty:
        return self.property("CalculatedBaselineConstraints")

    @property
    def baseline_used_for_drift_check_constraints(self) -> StepProperty:
        return self.property("BaselineUsedForDriftCheckConstraints")

    def optional_fields(self) -> list[tuple[str, object | None]]:
        """The step's own optional fields, in definition order: (key, value), rendered when the value is set."""
        return []

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        args = super().arguments(ctx)
        if self.output_location is not None:
            # One prefix per execution under the given location: results are never overwritten.
            uri = render_value(per_execution(self.output_location))
            args["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] = uri
        return args

    def step_fields(self, ctx: RenderContext) -> dict[str, Any]:
        out: dict[str, Any] = {
            "CheckType": self.check_type,
            "SkipCheck": render_value(self.skip_check),
            "RegisterNewBaseline": render_value(self.register_new_baseline),
        }
        if self.registry is not None:
            out["ModelPackageGroupName"] = self.registry.model_package_group_name
        for key, value in self.optional_fields():
            if value is not None:
                out[key] = render_value(value)
        return out

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        problems.require_one_of(self.prop("check_type"), self.check_type, self.check_types)
        out = self.output_location
        if out is not None and not is_unresolved(out.prefix):
            problems.require(
                bool(out.prefix.strip("/")) and not out.prefix.startswith("/") and "//" not in out.prefix,
                self.prop("output"),
                out.prefix,
                "a prefix below the bucket's root, without a leading '/' or empty segments "
                "(e.g. pipelines/<pipeline>/baselines/data-quality)",
            )

    def collect(self, access: ResourceAccess) -> None:
        super().collect(access)
        if self.output_location is not None:
            access.writes.append(self.output_location)
        if self.registry is not None:
            access.read_registries.append(self.registry)
        # The job reads a supplied baseline (both check kinds): the role must be able to.
        if isinstance(self.supplied_baseline_constraints, S3Location):
            access.reads.append(self.supplied_baseline_constraints)


class QualityCheckStep(_CheckStep):
    """A data- or model-quality check: computes a baseline and checks drift against the registered one.

    Args:
        name: the step's name.
        check_type: a :class:`QualityCheckType`.
        image: AWS's Model Monitor analyzer image of the stack's region
            (``<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-model-monitor-analyzer``, the account from
            the region table; a ``ValidationError`` where AWS does not publish it).
        baseline_dataset: the dataset to baseline (e.g. a processing output).
        dataset_format: its format: CSV with a header.
        registry: the model package group whose latest approved baseline is the drift reference: none.
        skip_check: compute the baseline only, no drift check: off.
        register_new_baseline: make the computed baseline the new reference: off.
        supplied_baseline_statistics / supplied_baseline_constraints: a baseline to check against
            instead of the registry's: none.
        problem_type / inference_attribute / probability_attribute / ground_truth_attribute: for
            MODEL_QUALITY: the problem (``BinaryClassification``...) and the dataset's columns.
        output: where the job writes ``statistics.json`` and ``constraints.json``, below a prefix of its own
            per execution (``<output>/<execution id>/``; the job role may write there): the pipeline's
            step output location (``<artifacts prefix><step>/quality_check_output/<execution id>/``).
        **kwargs: the processing job settings of :class:`ProcessingStep` (instance type, network...).
    """

    step_type = "QualityCheck"
    check_types = (QualityCheckType.DATA_QUALITY, QualityCheckType.MODEL_QUALITY)

    def __init__(
        self,
        name: str,
        *,
        check_type: str,
        baseline_dataset: S3Location | PipelineValue,
        image: ContainerImage | None = None,
        dataset_format: DatasetFormat | None = None,
        registry: ModelRegistryBase | None = None,
        skip_check: bool | PipelineValue = False,
        register_new_baseline: bool | PipelineValue = False,
        supplied_baseline_statistics: S3Location | PipelineValue | None = None,
        supplied_baseline_constraints: S3Location | PipelineValue | None = None,
        problem_type: str | None = None,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        ground_truth_attribute: str | None = None,
        output: S3Location | None = None,
        **kwargs: Any,
    ) -> None:
        env: dict[str, str | PipelineValue] = {
            "dataset_format": json.dumps((dataset_format or DatasetFormat.csv()).value),
            "dataset_source": _DATASET,
            "output_path": _OUTPUT,
            "publish_cloudwatch_metrics": "Disabled",
        }
        if check_type == QualityCheckType.MODEL_QUALITY:
            env["analysis_type"] = "MODEL_QUALITY"
            for key, value in (
                ("problem_type", problem_type),
                ("inference_attribute", inference_attribute),
                ("probability_attribute", probability_attribute),
                ("ground_truth_attribute", ground_truth_attribute),
            ):
                if value is not None:
                    env[key] = value
        super().__init__(
            name,
            check_type=check_type,
            registry=registry,
            skip_check=skip_check,
            register_new_baseline=register_new_baseline,
            supplied_baseline_constraints=supplied_baseline_constraints,
            output=output,
            image=image or ContainerImage.builtin(MODEL_MONITOR_ANALYZER),
            inputs=[ProcessingInput("baseline_dataset_input", baseline_dataset, destination=_DATASET)],
            outputs=[ProcessingOutput("quality_check_output", source=_OUTPUT)],
            environment=env,
            **kwargs,
        )
        self.supplied_baseline_statistics = supplied_baseline_statistics
        self.problem_type = problem_type

    @property
    def calculated_baseline_statistics(self) -> StepProperty:
        return self.property("CalculatedBaselineStatistics")

    @property
    def baseline_used_for_drift_check_statistics(self) -> StepProperty:
        return self.property("BaselineUsedForDriftCheckStatistics")

    def optional_fields(self) -> list[tuple[str, object | None]]:
        return [
            ("SuppliedBaselineStatistics", self.supplied_baseline_statistics),
            ("SuppliedBaselineConstraints", self.supplied_baseline_constraints),
        ]

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        if self.check_type == QualityCheckType.MODEL_QUALITY:
            problems.require_one_of(
                self.prop("problem_type"),
                self.problem_type,
                ("BinaryClassification", "MulticlassClassification", "Regression"),
            )

    def collect(self, access: ResourceAccess) -> None:
        super().collect(access)
        if isinstance(self.supplied_baseline_statistics, S3Location):
            access.reads.append(self.supplied_baseline_statistics)


class ClarifyCheckStep(_CheckStep):
    """A SageMaker Clarify check: data bias, model bias or model explainability.

    Args:
        name: the step's name.
        check_type: a :class:`ClarifyCheckType`.
        image: AWS's Clarify image of the stack's region
            (``<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-clarify-processing:1.0``, the account from
            the region table; a ``ValidationError`` where AWS does not publish it).
        analysis_config: the Clarify ``analysis_config.json`` in S3 (label, facets, methods...).
        dataset: the dataset to analyse.
        registry: the model package group whose baseline is the drift reference: none.
        skip_check / register_new_baseline: as for :class:`QualityCheckStep`: off.
        supplied_baseline_constraints: a baseline to check against instead of the registry's: none.
        model_name: for MODEL_BIAS / MODEL_EXPLAINABILITY: the model Clarify serves on a shadow endpoint.
            Those checks call SageMaker from inside the job, so they need ``network_isolation=False``
            (given explicitly; it is a warning, and the platform guardrail must allow it).
        output: where the job writes ``analysis.json`` (and its reports), below a prefix of its own per
            execution (``<output>/<execution id>/``): the pipeline's step output location
            (``<artifacts prefix><step>/analysis_result/<execution id>/``).
        **kwargs: the processing job settings of :class:`ProcessingStep`.
    """

    step_type = "ClarifyCheck"
    check_types = (ClarifyCheckType.DATA_BIAS, ClarifyCheckType.MODEL_BIAS, ClarifyCheckType.MODEL_EXPLAINABILITY)

    def __init__(
        self,
        name: str,
        *,
        check_type: str,
        analysis_config: S3Location,
        dataset: S3Location | PipelineValue,
        image: ContainerImage | None = None,
        registry: ModelRegistryBase | None = None,
        skip_check: bool | PipelineValue = False,
        register_new_baseline: bool | PipelineValue = False,
        supplied_baseline_constraints: S3Location | PipelineValue | None = None,
        model_name: str | PipelineValue | None = None,
        output: S3Location | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            name,
            check_type=check_type,
            registry=registry,
            skip_check=skip_check,
            register_new_baseline=register_new_baseline,
            supplied_baseline_constraints=supplied_baseline_constraints,
            output=output,
            image=image or ContainerImage.builtin(CLARIFY_PROCESSING),
            inputs=[
                ProcessingInput("analysis_config", analysis_config, destination="/opt/ml/processing/input/config"),
                ProcessingInput("dataset", dataset, destination="/opt/ml/processing/input/data"),
            ],
            outputs=[ProcessingOutput("analysis_result", source=_OUTPUT)],
            **kwargs,
        )
        self.analysis_config = analysis_config
        self.model_name = model_name

    def optional_fields(self) -> list[tuple[str, object | None]]:
        return [
            ("SuppliedBaselineConstraints", self.supplied_baseline_constraints),
            ("ModelName", self.model_name),
        ]

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        if self.check_type in (ClarifyCheckType.MODEL_BIAS, ClarifyCheckType.MODEL_EXPLAINABILITY):
            problems.require(
                self.model_name is not None, self.prop("model_name"), None, f"a model for {self.check_type}"
            )
            problems.require(
                not self.network_isolation,
                self.prop("network_isolation"),
                True,
                "False, given explicitly (the job serves the model on a shadow endpoint through the SageMaker API)",
                what=f"must be off for {self.check_type}",
            )

    def collect(self, access: ResourceAccess) -> None:
        super().collect(access)
        if self.check_type != ClarifyCheckType.DATA_BIAS:
            access.shadow_endpoints = True


__all__ = [
    "CLARIFY_PROCESSING",
    "MODEL_MONITOR_ANALYZER",
    "ClarifyCheckStep",
    "ClarifyCheckType",
    "DatasetFormat",
    "QualityCheckStep",
    "QualityCheckType",
]
