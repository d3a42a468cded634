"""Processing steps: data preparation and evaluation jobs, with property files for later conditions.

Every processing job runs in the pipeline's VPC, encrypts its volume and outputs with the pipeline's
KMS key, and has network isolation and inter-container traffic encryption on unless turned off
(loudly) per step.

Example::

    prep = ProcessingStep("Prepare",
        image=ContainerImage.from_uri(SKLEARN_IMAGE),
        code=S3Location(buckets.artifacts.bucket, "code/prepare.py"),
        inputs=[ProcessingInput("raw", S3Location(buckets.data.bucket, "raw/"))],
        outputs=[ProcessingOutput("train"), ProcessingOutput("test")])
    prep.output("train")  # the S3 URI of the "train" output, for a later step
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from constructs import Construct

from constructs_ml.develop.images import ContainerImage
from constructs_ml.develop.pipeline.properties import (
    ExecutionVariables,
    Join,
    PipelineValue,
    PropertyFile,
    PropertyFileRef,
    S3Location,
    StepProperty,
    render_value,
)
from constructs_ml.develop.pipeline.steps_base import (
    InstanceType,
    RenderContext,
    ResourceAccess,
    Step,
    job_instances,
    job_protections_off,
    seconds,
    validate_job_instances,
)
from constructs_ml.errors import Problems

_INPUT_ROOT = "/opt/ml/processing/input"
_OUTPUT_ROOT = "/opt/ml/processing/output"


@dataclass(frozen=True)
class ProcessingInput:
    """An input of a processing job, copied to ``destination`` in the container.

    Attributes:
        name: the input's name (unique in the step).
        source: an S3 location (the job role gets read access to it) or a pipeline value such as
            another step's output.
        destination: the local path: ``/opt/ml/processing/input/<name>``.
        s3_data_type: ``S3Prefix`` (default) or ``ManifestFile``.
        input_mode: ``File`` (default) or ``Pipe``.
        distribution: ``FullyReplicated`` (default) or ``ShardedByS3Key``.
    """

    name: str
    source: S3Location | PipelineValue
    destination: str | None = None
    s3_data_type: str = "S3Prefix"
    input_mode: str = "File"
    distribution: str = "FullyReplicated"

    def to_definition(self) -> dict[str, Any]:
        return {
            "InputName": self.name,
            "S3Input": {
                "S3Uri": render_value(self.source),
                "LocalPath": self.destination or f"{_INPUT_ROOT}/{self.name}",
                "S3DataType": self.s3_data_type,
                "S3InputMode": self.input_mode,
                "S3DataDistributionType": self.distribution,
                "S3CompressionType": "None",
            },
        }


@dataclass(frozen=True)
class ProcessingOutput:
    """An output of a processing job, uploaded from ``source`` in the container.

    Attributes:
        name: the output's name (unique in the step); later steps use ``step.output(name)``.
        destination: an S3 location: ``<pipeline artifacts>/<step>/<name>/<execution id>`` (one
            prefix per execution, so concurrent executions never overwrite each other).
        source: the local path: ``/opt/ml/processing/output/<name>``.
        upload_mode: ``EndOfJob`` (default) or ``Continuous``.
    """

    name: str
    destination: S3Location | None = None
    source: str | None = None
    upload_mode: str = "EndOfJob"

    def location(self, ctx: RenderContext, step: str) -> S3Location:
        return self.destination or ctx.output_location(step, self.name)

    def to_definition(self, ctx: RenderContext, step: str) -> dict[str, Any]:
        uri: Any = (
            self.destination.uri
            if self.destination is not None
            else per_execution(ctx.output_location(step, self.name))
        )
        return {
            "OutputName": self.name,
            "S3Output": {
                "S3Uri": render_value(uri),
                "LocalPath": self.source or f"{_OUTPUT_ROOT}/{self.name}",
                "S3UploadMode": self.upload_mode,
            },
        }


def per_execution(location: S3Location) -> Join:
    """``<location>/<execution id>``: a prefix of its own for every pipeline execution."""
    return Join([location.uri.rstrip("/"), ExecutionVariables.PIPELINE_EXECUTION_ID], on="/")


class ProcessingJobStep(Step):
    """Shared shape of Processing, QualityCheck and ClarifyCheck steps (a SageMaker processing job)."""

    def __init__(
        self,
        name: str,
        *,
        image: ContainerImage,
        inputs: Sequence[ProcessingInput] = (),
        outputs: Sequence[ProcessingOutput] = (),
        entrypoint: Sequence[str | PipelineValue] | None = None,
        arguments: Sequence[str | PipelineValue] | None = None,
        environment: Mapping[str, str | PipelineValue] | None = None,
        instance_type: InstanceType | PipelineValue = InstanceType.ML_M5_XLARGE,
        instance_count: int | PipelineValue = 1,
        volume_size_gb: int = 30,
        max_runtime: Duration | None = None,
        network_isolation: bool = True,
        inter_container_encryption: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.image = image
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.entrypoint = list(entrypoint) if entrypoint is not None else None
        self.container_arguments = list(arguments) if arguments is not None else None
        self.environment = dict(environment or {})
        self.instance_type = instance_type
        self.instance_count = instance_count
        self.volume_size_gb = volume_size_gb
        self.max_runtime = max_runtime or Duration.hours(24)
        self.network_isolation = network_isolation
        self.inter_container_encryption = inter_container_encryption

    def output(self, name: str) -> StepProperty:
        """The S3 URI an output was uploaded to, for later steps."""
        return self.property(f"ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri")

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        app: dict[str, Any] = {"ImageUri": self.image.bind(ctx.scope)}
        if self.entrypoint is not None:
            app["ContainerEntrypoint"] = render_value(self.entrypoint)
        if self.container_arguments is not None:
            app["ContainerArguments"] = render_value(self.container_arguments)
        args: dict[str, Any] = {
            "ProcessingResources": {
                "ClusterConfig": job_instances(ctx, self.instance_type, self.instance_count, self.volume_size_gb)
            },
            "AppSpecification": app,
            "RoleArn": ctx.role_arn,
            "StoppingCondition": {"MaxRuntimeInSeconds": seconds(self.max_runtime)},
            "NetworkConfig": {
                "EnableNetworkIsolation": self.network_isolation,
                "EnableInterContainerTrafficEncryption": self.inter_container_encryption,
                "VpcConfig": ctx.vpc_config(),
            },
            "ProcessingOutputConfig": {
                "Outputs": [o.to_definition(ctx, self.name) for o in self.outputs],
                "KmsKeyId": ctx.key_arn,
            },
        }
        if self.inputs:
            args["ProcessingInputs"] = [i.to_definition() for i in self.inputs]
        if self.environment:
            args["Environment"] = render_value(self.environment)
        return args

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        p = self.prop
        problems.unique(p("inputs[].name"), [i.name for i in self.inputs])
        problems.unique(p("outputs[].name"), [o.name for o in self.outputs])
        problems.require_range(p("volume_size_gb"), self.volume_size_gb, 1, 16384)
        problems.require_range(p("max_runtime (s)"), seconds(self.max_runtime), 1, 777600)
        validate_job_instances(problems, self, self.instance_type, self.instance_count)
        self.image.validate(scope, problems, p("image"))

    def collect(self, access: ResourceAccess) -> None:
        access.job_kinds.add("processing-job")
        access.images.append(self.image)
        access.reads.extend(i.source for i in self.inputs if isinstance(i.source, S3Location))
        access.writes.extend(o.destination for o in self.outputs if o.destination is not None)

    def disabled_protections(self) -> list[str]:
        return job_protections_off(
            network_isolation=self.network_isolation, inter_container_encryption=self.inter_container_encryption
        )


class ProcessingStep(ProcessingJobStep):
    """A SageMaker processing job: data preparation, feature engineering, evaluation.

    Args:
        name: the step's name (see :class:`~constructs_ml.develop.pipeline.steps_base.Step`).
        image: the processing image (e.g. a scikit-learn framework image by URI).
        code: a script in S3, made available at ``/opt/ml/processing/input/code/`` and run with
            ``python3`` unless ``entrypoint`` is given: no script (the image's entrypoint runs).
        inputs: inputs copied into the container: none.
        outputs: outputs uploaded after the job: none.
        property_files: JSON files written to an output that later steps read with
            ``step.property_file(name).json_get(path)``: none.
        entrypoint: the container entrypoint: ``python3 <code>`` when ``code`` is given, else the image's.
        arguments: arguments for the entrypoint: none.
        environment: environment variables: none.
        instance_type: ``ml.m5.xlarge``.
        instance_count: 1.
        volume_size_gb: the ML storage volume, encrypted with the pipeline key: 30 GB.
        max_runtime: stop the job after this long: 24 hours.
        network_isolation: no network access from the container: on (turning it off is a warning).
        inter_container_encryption: encrypt traffic between instances: on (off is a warning).
        **kwargs: ``display_name``, ``description``, ``depends_on``, ``retry_policies``, ``cache``.
    """

    step_type = "Processing"

    def __init__(
        self,
        name: str,
        *,
        image: ContainerImage,
        code: S3Location | None = None,
        inputs: Sequence[ProcessingInput] = (),
        outputs: Sequence[ProcessingOutput] = (),
        property_files: Sequence[PropertyFile] = (),
        entrypoint: Sequence[str | PipelineValue] | None = None,
        **kwargs: Any,
    ) -> None:
        all_inputs = list(inputs)
        script = None
        if code is not None:
            script = code.prefix.rstrip("/").rsplit("/", 1)[-1]
            all_inputs.append(ProcessingInput("code", code, destination=f"{_INPUT_ROOT}/code"))
            if entrypoint is None:
                entrypoint = ["python3", f"{_INPUT_ROOT}/code/{script}"]
        super().__init__(name, image=image, inputs=all_inputs, outputs=outputs, entrypoint=entrypoint, **kwargs)
        self.code = code
        self.property_files = list(property_files)

    def property_file(self, name: str) -> PropertyFileRef:
        """A property file of this step, by name; ``.json_get(path)`` reads a value from it."""
        for f in self.property_files:
            if f.name == name:
                return PropertyFileRef(self.name, f)
        return PropertyFileRef(self.name, PropertyFile(name, output_name="", path=""))

    def step_fields(self, ctx: RenderContext) -> dict[str, Any]:
        if not self.property_files:
            return {}
        return {"PropertyFiles": [f.to_definition() for f in self.property_files]}

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        problems.unique(self.prop("property_files[].name"), [f.name for f in self.property_files])
        outputs = {o.name for o in self.outputs}
        for f in self.property_files:
            problems.require(
                f.output_name in outputs,
                self.prop(f"property_files[{f.name}].output_name"),
                f.output_name,
                "the name of one of the step's outputs: " + ", ".join(sorted(outputs)),
            )
        if self.code is not None:
            problems.require(
                bool(self.code.prefix) and not self.code.prefix.endswith("/"),
                self.prop("code"),
                self.code.prefix,
                "the S3 key of a script (not a prefix)",
            )

    def collect(self, access: ResourceAccess) -> None:
        super().collect(access)
        if self.property_files:
            access.property_files = True


__all__ = ["ProcessingInput", "ProcessingJobStep", "ProcessingOutput", "ProcessingStep", "per_execution"]
