"""Typed values of the pipeline definition language: step properties, joins, JSON lookups, S3 locations.

A SageMaker pipeline definition refers to values known only at run time with expressions such as
``{"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}``. Here those are Python objects returned by
the step that produces them (``train.model_artifacts``), never hand-written strings, so a reference to
a step that is not in the pipeline, or a cycle, is found at synth.

Example::

    train = TrainingStep("Train", ...)
    evaluate = ProcessingStep("Evaluate", inputs=[ProcessingInput("model", train.model_artifacts)], ...)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_s3 as s3

from constructs_ml._jsii_cache import bucket_name


class PipelineValue:
    """A value resolved by SageMaker Pipelines when the pipeline runs (an expression of the definition)."""

    def to_expression(self) -> Any:
        """The JSON expression, e.g. ``{"Get": "Parameters.InstanceType"}``."""
        raise TypeError(f"{type(self).__name__} has no expression")  # overridden by every value type

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_expression()!r})"


class Get(PipelineValue):
    """``{"Get": "<path>"}``: a step property, a parameter or an execution variable.

    Prefer the typed properties of steps and parameters; this class is the escape hatch for a property
    the library does not name, e.g. ``Get("Steps.Train.FinalMetricDataList['auc'].Value")``.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def to_expression(self) -> Any:
        return {"Get": self.path}


class StepProperty(Get):
    """A property of a step's output, e.g. ``Steps.Train.ModelArtifacts.S3ModelArtifacts``.

    Attributes:
        step_name: the producing step; the consumer depends on it.
        property_path: the path below the step, e.g. ``ModelArtifacts.S3ModelArtifacts``.
    """

    def __init__(self, step_name: str, property_path: str) -> None:
        super().__init__(f"Steps.{step_name}.{property_path}")
        self.step_name = step_name
        self.property_path = property_path


class ExecutionVariable(Get):
    """A variable of the running execution (``Execution.PipelineExecutionId`` ...)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Execution.{name}")
        self.name = name


class ExecutionVariables:
    """The execution variables SageMaker Pipelines defines."""

    PIPELINE_EXECUTION_ID = ExecutionVariable("PipelineExecutionId")
    PIPELINE_EXECUTION_ARN = ExecutionVariable("PipelineExecutionArn")
    PIPELINE_NAME = ExecutionVariable("PipelineName")
    PIPELINE_ARN = ExecutionVariable("PipelineArn")
    START_DATETIME = ExecutionVariable("StartDateTime")
    CURRENT_DATETIME = ExecutionVariable("CurrentDateTime")


class Join(PipelineValue):
    """``Std:Join``: concatenate values (strings, step properties, parameters) with a separator.

    Example::

        Join(["s3://bucket/prefix", ExecutionVariables.PIPELINE_EXECUTION_ID, "eval"], on="/")
    """

    def __init__(self, values: Sequence[str | int | float | PipelineValue], on: str = "") -> None:
        self.values = list(values)
        self.on = on

    def to_expression(self) -> Any:
        return {"Std:Join": {"On": self.on, "Values": [render_value(v) for v in self.values]}}


@dataclass(frozen=True)
class PropertyFile:
    """A JSON file a Processing step writes to one of its outputs, readable by later steps.

    Attributes:
        name: the property file's name (unique in its step).
        output_name: the processing output it is written to.
        path: the file's path relative to that output, e.g. ``evaluation.json``.
    """

    name: str
    output_name: str
    path: str

    def to_definition(self) -> dict[str, Any]:
        return {"PropertyFileName": self.name, "OutputName": self.output_name, "FilePath": self.path}


class PropertyFileRef:
    """A property file of a specific step; :meth:`json_get` reads a value from it."""

    def __init__(self, step_name: str, property_file: PropertyFile) -> None:
        self.step_name = step_name
        self.property_file = property_file

    def json_get(self, json_path: str) -> JsonGet:
        """The value at ``json_path`` (JsonPath without ``$.``, e.g. ``metrics.auc.value``)."""
        return JsonGet(self, json_path)


class JsonGet(PipelineValue):
    """``Std:JsonGet``: a value read from a step's property file when the pipeline runs."""

    def __init__(self, ref: PropertyFileRef, json_path: str) -> None:
        self.ref = ref
        self.json_path = json_path

    def to_expression(self) -> Any:
        return {
            "Std:JsonGet": {
                "PropertyFile": {"Get": f"Steps.{self.ref.step_name}.PropertyFiles.{self.ref.property_file.name}"},
                "Path": self.json_path,
            }
        }


@dataclass(frozen=True)
class S3Location:
    """An S3 prefix in a bucket the construct can grant on.

    Attributes:
        bucket: the bucket (e.g. ``PlatformBuckets.data.bucket``).
        prefix: the key prefix, without a leading ``/``; ``""`` means the whole bucket.
    """

    bucket: s3.IBucket
    prefix: str = ""

    @property
    def uri(self) -> str:
        """``s3://<bucket>/<prefix>``."""
        return f"s3://{bucket_name(self.bucket)}/{self.prefix}"

    @property
    def key_pattern(self) -> str:
        """The object-key pattern that grants use: ``<prefix>*``."""
        return f"{self.prefix}*"

    def child(self, *parts: str) -> S3Location:
        """A location below this one: ``child("a", "b")`` is ``<prefix>a/b/``."""
        base = self.prefix if not self.prefix or self.prefix.endswith("/") else self.prefix + "/"
        return S3Location(self.bucket, base + "".join(p.strip("/") + "/" for p in parts))


#: What a value in a step's arguments may be.
Value = str | int | float | bool | PipelineValue | S3Location


def render_value(value: Any) -> Any:
    """A value as it appears in the definition: expressions rendered, S3 locations as URIs, lists/maps recursed."""
    if isinstance(value, PipelineValue):
        return value.to_expression()
    if isinstance(value, S3Location):
        return value.uri
    if isinstance(value, Mapping):
        return {k: render_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(v) for v in value]
    return value


__all__ = [
    "ExecutionVariable",
    "ExecutionVariables",
    "Get",
    "Join",
    "JsonGet",
    "PipelineValue",
    "PropertyFile",
    "PropertyFileRef",
    "S3Location",
    "StepProperty",
    "Value",
    "render_value",
]
