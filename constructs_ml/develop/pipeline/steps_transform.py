"""Transform steps: batch transform with a model (e.g. from a CreateModel step), KMS-encrypted.

Example::

    model = CreateModelStep("CreateModel", image=xgboost, model_data=train.model_artifacts)
    score = TransformStep("Score", model_name=model.model_name, input_data=S3Location(data, "score/"))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from constructs import Construct

from constructs_ml.develop.pipeline.properties import PipelineValue, S3Location, StepProperty, render_value
from constructs_ml.develop.pipeline.steps_base import (
    InstanceType,
    RenderContext,
    ResourceAccess,
    Step,
    instance_type_value,
    validate_instance,
)
from constructs_ml.develop.pipeline.steps_processing import per_execution
from constructs_ml.errors import Problems


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


__all__ = ["TransformStep"]
