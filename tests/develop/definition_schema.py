"""Validate generated pipeline definitions: the published JSON schema, and botocore where the schema trails.

The published schema (``../shared/schemas/sagemaker-pipeline-definition.schema.json``, last changed
2025-04-03) trails the service in a few places our definitions use. Each gap is patched here with the
reason; ``test_schema_gaps`` proves every patch is needed (the unpatched schema rejects it). Those parts,
and every job step's ``Arguments``, are also checked against the SageMaker API shapes in botocore
(``CreateTrainingJobRequest``, ``CreateProcessingJobRequest``, ...), which is what the service
validates the arguments against when it starts the job.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import jsonschema

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "sagemaker-pipeline-definition.schema.json"
PLACEHOLDER = "__TOKEN_{}__"
_PLACEHOLDER = re.compile(r"__TOKEN_\d+__")


def body_and_tokens(resource: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The definition of an ``AWS::SageMaker::Pipeline`` resource with every CloudFormation value
    (``Ref``/``GetAtt``...) replaced by a placeholder string, and the placeholders' values."""
    body = resource["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]
    if isinstance(body, str):
        return dict(json.loads(body)), {}
    sep, parts = body["Fn::Join"]
    tokens = {PLACEHOLDER.format(i): p for i, p in enumerate(parts) if not isinstance(p, str)}
    text = sep.join(p if isinstance(p, str) else PLACEHOLDER.format(i) for i, p in enumerate(parts))
    return dict(json.loads(text)), tokens


def body_of(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The definition of an ``AWS::SageMaker::Pipeline`` resource, tokens replaced by placeholder strings."""
    return body_and_tokens(resource)[0]


def _join_function() -> dict[str, Any]:
    value = {"oneOf": [{"type": "string"}, {"type": "number"}, {"$ref": "#/definitions/GetFunction"}]}
    return {
        "type": "object",
        "properties": {
            "Std:Join": {
                "type": "object",
                "properties": {"On": {"type": "string"}, "Values": {"type": "array", "items": value}},
                "required": ["Values"],
                "additionalProperties": False,
            }
        },
        "required": ["Std:Join"],
        "additionalProperties": False,
    }


def _json_get_function() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "Std:JsonGet": {
                "type": "object",
                "properties": {"PropertyFile": {"$ref": "#/definitions/GetFunction"}, "Path": {"type": "string"}},
                "required": ["PropertyFile", "Path"],
                "additionalProperties": False,
            }
        },
        "required": ["Std:JsonGet"],
        "additionalProperties": False,
    }


def _patch_join(d: dict[str, Any]) -> None:
    """``Std:Join`` wherever a string argument is accepted: the schema defines ``JoinFunction`` (malformed:
    its ``Values`` sits directly under ``properties``) but never references it, while the service and the
    SageMaker SDK (``sagemaker.workflow.functions.Join``) accept it for any string argument."""
    d["JoinFunction"] = _join_function()
    d["StringArgumentValue"]["oneOf"].append({"$ref": "#/definitions/JoinFunction"})


def _patch_json_get(d: dict[str, Any]) -> None:
    """``Std:JsonGet`` (a value read from a property file) as a condition operand: the SDK's ``JsonGet``
    renders it there; the schema's condition operands only know ``Get``."""
    d["JsonGetFunction"] = _json_get_function()
    ref = {"$ref": "#/definitions/JsonGetFunction"}
    d["BinaryCondition"]["properties"]["LeftValue"]["anyOf"].append(ref)
    d["BinaryCondition"]["properties"]["RightValue"]["anyOf"].append(ref)
    d["InCondition"]["properties"]["Value"]["oneOf"].append(ref)


def _patch_retry(d: dict[str, Any]) -> None:
    """``RetryPolicy.ExceptionType`` is a list of strings (developer guide, "Retry Policy for Pipeline Steps":
    ``"ExceptionType": [String]``); the schema says a single string."""
    enum = d["RetryPolicy"]["properties"]["ExceptionType"]["enum"]
    d["RetryPolicy"]["properties"]["ExceptionType"] = {"type": "array", "items": {"type": "string", "enum": enum}}


def _patch_property_files(d: dict[str, Any]) -> None:
    """Processing steps declare ``PropertyFiles`` (SDK ``ProcessingStep(property_files=...)``, read by
    ``Std:JsonGet``); the schema's ProcessingStep lacks the field."""
    d["ProcessingStep"]["properties"]["PropertyFiles"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {n: {"type": "string"} for n in ("PropertyFileName", "OutputName", "FilePath")},
            "required": ["PropertyFileName", "OutputName", "FilePath"],
            "additionalProperties": False,
        },
    }


def _patch_tuning(d: dict[str, Any]) -> None:
    """Tuning strategies ``Grid`` and ``Hyperband`` (with ``StrategyConfig``), and ``ResourceLimits``
    without ``MaxNumberOfTrainingJobs`` (Grid runs every combination): botocore's
    ``HyperParameterTuningJobStrategyType`` has Bayesian/Random/Hyperband/Grid and ``ResourceLimits``
    requires only ``MaxParallelTrainingJobs``; the schema knows Bayesian/Random only."""
    config = d["TuningStep"]["properties"]["Arguments"]["properties"]["HyperParameterTuningJobConfig"]
    config["properties"]["Strategy"]["enum"] = ["Bayesian", "Random", "Grid", "Hyperband"]
    config["properties"]["StrategyConfig"] = {"type": "object"}
    config["properties"]["ResourceLimits"]["required"] = ["MaxParallelTrainingJobs"]


def _patch_model_data_url(d: dict[str, Any]) -> None:
    """A CreateModel step's ``ModelDataUrl`` is usually a step property (``Get``); the schema's
    ``ContainerDefinition.ModelDataUrl`` only allows a literal s3/https URL (botocore: a string)."""
    d["ContainerDefinition"]["properties"]["ModelDataUrl"] = {"$ref": "#/definitions/StringArgumentValue"}


def _patch_app_managed(d: dict[str, Any]) -> None:
    """``AppManaged`` on processing inputs and outputs: the SageMaker SDK renders ``"AppManaged": false``
    (botocore ``ProcessingInput``/``ProcessingOutput`` members); the schema's items forbid it."""
    args = d["ProcessingArgs"]["properties"]
    args["ProcessingInputs"]["items"]["properties"]["AppManaged"] = {"type": "boolean"}
    args["ProcessingOutputConfig"]["properties"]["Outputs"]["items"]["properties"]["AppManaged"] = {"type": "boolean"}


def _patch_register_model(d: dict[str, Any]) -> None:
    """RegisterModel ``Arguments`` are a CreateModelPackage request: the schema allows only six of its
    members and rejects ``ModelApprovalStatus`` (which the SDK's ``RegisterModel(approval_status=...)``
    renders), ``CustomerMetadataProperties``, ``ModelCard``, ``DriftCheckBaselines``... Those members are
    checked against botocore's ``CreateModelPackageInput`` instead (see :func:`botocore_errors`)."""
    args = d["RegisterModelStep"]["properties"]["Arguments"]["properties"]
    for member in ("ModelApprovalStatus", "CustomerMetadataProperties", "ModelCard", "DriftCheckBaselines"):
        args[member] = {}


def _patch_in_condition(d: dict[str, Any]) -> None:
    """``In``/``NotIn`` with a pipeline value (``{"Get": "Parameters.X"}``) as ``Value``: the schema's
    ``oneOf`` over String/Boolean/Integer/Float argument values matches a ``Get`` four times, so it can
    never validate (a ``oneOf`` needs exactly one match); ``anyOf`` is what the schema means."""
    props = d["InCondition"]["properties"]
    props["Value"] = {"anyOf": props["Value"]["oneOf"]}
    props["In"]["items"] = {"anyOf": props["In"]["items"]["oneOf"]}


def _patch_training_at_scale(d: dict[str, Any]) -> None:
    """Training jobs' ``ProfilerConfig``/``ProfilerRuleConfigurations`` (Debugger's profiler and profiling
    rules) and ``ResourceConfig.KeepAlivePeriodInSeconds`` (managed warm pools): members of botocore's
    ``CreateTrainingJobRequest``/``ResourceConfig`` that the SDK's estimators render; the schema's training
    arguments forbid them. Their contents are checked against botocore (see :func:`botocore_errors`)."""
    args = d["TrainingStep"]["properties"]["Arguments"]["properties"]
    args["ProfilerConfig"] = {"type": "object"}
    args["ProfilerRuleConfigurations"] = {"type": "array", "items": {"type": "object"}}
    args["ResourceConfig"]["properties"]["KeepAlivePeriodInSeconds"] = {"$ref": "#/definitions/IntegerArgumentValue"}


#: Every gap: (name, patch). Each patch's docstring says what the service accepts that the schema lacks.
SCHEMA_GAPS: tuple[tuple[str, Callable[[dict[str, Any]], None]], ...] = (
    ("join", _patch_join),
    ("json-get", _patch_json_get),
    ("retry-exception-list", _patch_retry),
    ("property-files", _patch_property_files),
    ("tuning-strategies", _patch_tuning),
    ("model-data-url", _patch_model_data_url),
    ("app-managed", _patch_app_managed),
    ("register-model-arguments", _patch_register_model),
    ("in-condition-oneof", _patch_in_condition),
    ("training-at-scale", _patch_training_at_scale),
)


def published_schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_FILE.read_text()))


@cache
def _validator(skip: str | None = None) -> jsonschema.Draft7Validator:
    schema = published_schema()
    for name, patch in SCHEMA_GAPS:
        if name != skip:
            patch(schema["definitions"])
    return jsonschema.Draft7Validator(schema)


def schema_errors(doc: Mapping[str, Any], *, skip_gap: str | None = None) -> list[str]:
    """Schema errors of a definition (patched for the documented gaps, except ``skip_gap``)."""
    return [_describe(e) for e in _validator(skip_gap).iter_errors(copy.deepcopy(dict(doc)))]


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]


def _describe(error: jsonschema.ValidationError) -> str:
    """The error, or for a oneOf/anyOf the deepest sub-error (the branch that got furthest)."""
    best = max(_leaves(error), key=lambda e: len(e.absolute_path))
    return f"{'/'.join(map(str, best.absolute_path))}: {best.message[:300]}"


# -- botocore -----------------------------------------------------------------------------------------

#: The API request each step type's ``Arguments`` is (QualityCheck/ClarifyCheck run processing jobs).
STEP_REQUESTS = {
    "Training": "CreateTrainingJobRequest",
    "Processing": "CreateProcessingJobRequest",
    "QualityCheck": "CreateProcessingJobRequest",
    "ClarifyCheck": "CreateProcessingJobRequest",
    "Tuning": "CreateHyperParameterTuningJobRequest",
    "Transform": "CreateTransformJobRequest",
    "Model": "CreateModelInput",
    "RegisterModel": "CreateModelPackageInput",
}
#: Required request members the pipeline fills in itself (it names the jobs it starts).
ASSIGNED_BY_PIPELINE = {
    "TrainingJobName",
    "ProcessingJobName",
    "HyperParameterTuningJobName",
    "TransformJobName",
    "ModelName",
}


@cache
def _model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def _expression(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in ("Get", "Std:Join", "Std:JsonGet")


def _check(shape: Any, value: Any, path: str, errors: list[str], top: bool = False) -> None:
    if _expression(value):
        return  # resolved by the pipeline at run time
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected an object for {shape.name}, got {value!r}")
            return
        for key in value:
            if key not in shape.members:
                errors.append(f"{path}.{key}: not a member of {shape.name}")
        for req in shape.required_members:
            if req not in value and not (top and req in ASSIGNED_BY_PIPELINE):
                errors.append(f"{path}.{req}: required by {shape.name}")
        for key, member in shape.members.items():
            if key in value:
                _check(member, value[key], f"{path}.{key}", errors)
    elif kind == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {value!r}")
            return
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]", errors)
    elif kind == "map":
        if not isinstance(value, Mapping):
            errors.append(f"{path}: expected a map, got {value!r}")
            return
        for k, v in value.items():
            _check(shape.value, v, f"{path}.{k}", errors)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {value!r}")
        elif not _PLACEHOLDER.search(value):
            if shape.enum and value not in shape.enum:
                errors.append(f"{path}: {value!r} not in {shape.enum}")
            if "max" in shape.metadata and len(value) > shape.metadata["max"]:
                errors.append(f"{path}: longer than {shape.metadata['max']}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, got {value!r}")
        else:
            lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                errors.append(f"{path}: {value} outside [{lo}, {hi}]")
    elif kind in ("float", "double"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{path}: expected a boolean, got {value!r}")


def botocore_errors(doc: Mapping[str, Any]) -> list[str]:
    """Every step's ``Arguments`` checked against the SageMaker API request shape of its step type."""
    from constructs_ml.develop.pipeline.definition import walk_steps

    errors: list[str] = []
    for step, _ in walk_steps(doc.get("Steps")):
        request = STEP_REQUESTS.get(str(step.get("Type")))
        if request is not None:
            _check(_model().shape_for(request), step.get("Arguments"), f"{step['Name']}", errors, top=True)
    return errors


def steps_by_type(doc: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    from constructs_ml.develop.pipeline.definition import walk_steps

    out: dict[str, list[Mapping[str, Any]]] = {}
    for step, _ in walk_steps(doc.get("Steps")):
        out.setdefault(str(step.get("Type")), []).append(step)
    return out
