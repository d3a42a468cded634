"""SageMaker pack rules for pipelines (parsed definition JSON) and model monitoring jobs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from constructs_ml.governance.rules_base import (
    NOT_APPLICABLE,
    PASS,
    Outcome,
    ResourceView,
    Rule,
    Status,
    equals,
    fail,
    get,
    is_intrinsic,
    list_items,
    presence,
    short,
    unknown,
)
from constructs_ml.governance.rules_hosting import vpc_config_status

PIPELINE = frozenset({"AWS::SageMaker::Pipeline"})
_OUTPUT_CONFIG = {
    "AWS::SageMaker::DataQualityJobDefinition": "DataQualityJobOutputConfig",
    "AWS::SageMaker::ModelQualityJobDefinition": "ModelQualityJobOutputConfig",
    "AWS::SageMaker::ModelBiasJobDefinition": "ModelBiasJobOutputConfig",
    "AWS::SageMaker::ModelExplainabilityJobDefinition": "ModelExplainabilityJobOutputConfig",
}
_SCHEDULE = "AWS::SageMaker::MonitoringSchedule"
MONITORING = frozenset({*_OUTPUT_CONFIG, _SCHEDULE})

_PLACEHOLDER = "__CDK_TOKEN_{}__"
_PLACEHOLDER_RE = re.compile(r"__CDK_TOKEN_\d+__")
_SUB_VAR = re.compile(r"\$\{[^}]+\}")
_JOB_STEPS = ("Training", "Processing", "Tuning")


@dataclass(frozen=True)
class ParsedPipeline:
    """A pipeline definition read from a template.

    Attributes:
        state: ``ok``, ``invalid`` (not a pipeline definition), or ``unverifiable`` (S3 location or
            a body built from values unknown at synth).
        steps: every step, including those nested in Condition steps (``ok`` only).
        detail: why the definition is invalid or unverifiable.
    """

    state: str
    steps: tuple[Mapping[str, Any], ...] = ()
    detail: str = ""


def _body_text(body: Any) -> tuple[str, int] | None:
    """The body as JSON text with placeholders for intrinsic parts, and the number of placeholders."""
    if isinstance(body, str):
        return body, 0
    join = get(body, "Fn::Join")
    if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
        sep = join[0] if isinstance(join[0], str) else ""
        parts: list[str] = []
        count = 0
        for part in join[1]:
            if isinstance(part, str):
                parts.append(part)
            else:
                parts.append(_PLACEHOLDER.format(count))
                count += 1
        return sep.join(parts), count
    sub = get(body, "Fn::Sub")
    template = sub[0] if isinstance(sub, list) and sub else sub
    if isinstance(template, str):
        counter = iter(range(1_000_000))
        text = _SUB_VAR.sub(lambda _m: _PLACEHOLDER.format(next(counter)), template)
        return text, len(_SUB_VAR.findall(template))
    return None


def _collect_steps(steps: Any, out: list[Mapping[str, Any]]) -> None:
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, Mapping):
            continue
        out.append(step)
        if step.get("Type") == "Condition":
            for branch in ("IfSteps", "ElseSteps"):
                _collect_steps(get(step, "Arguments", branch), out)


def parse_pipeline(view: ResourceView) -> ParsedPipeline:
    """Parse (and cache) the pipeline definition of an ``AWS::SageMaker::Pipeline`` view."""
    cached = view.memo.get("pipeline")
    if isinstance(cached, ParsedPipeline):
        return cached
    result = _parse(get(view.props, "PipelineDefinition"))
    view.memo["pipeline"] = result
    return result


def _parse(definition: Any) -> ParsedPipeline:
    if definition is None:
        return ParsedPipeline("invalid", detail="PipelineDefinition is not set")
    if get(definition, "PipelineDefinitionS3Location") is not None:
        return ParsedPipeline("unverifiable", detail="the definition is read from S3 at deploy time")
    body = get(definition, "PipelineDefinitionBody")
    if body is None:
        return ParsedPipeline("invalid", detail="PipelineDefinition has no PipelineDefinitionBody")
    text = _body_text(body)
    if text is None:
        return ParsedPipeline("unverifiable", detail=f"the definition body is an unresolved value ({short(body)})")
    raw, tokens = text
    doc: Any = None
    attempts = [raw]
    if tokens:  # a token outside a JSON string: retry with the placeholders quoted
        attempts.append(_PLACEHOLDER_RE.sub(lambda m: json.dumps(m.group(0)), raw))
    error = ""
    for attempt in attempts:
        try:
            doc = json.loads(attempt)
            break
        except ValueError as err:
            error = str(err)
    if doc is None:
        if tokens:
            return ParsedPipeline("unverifiable", detail=f"the definition mixes JSON and tokens ({error})")
        return ParsedPipeline("invalid", detail=f"the definition body is not valid JSON ({error})")
    steps_value = get(doc, "Steps")
    if not isinstance(steps_value, list):
        return ParsedPipeline("invalid", detail="the definition has no Steps list")
    steps: list[Mapping[str, Any]] = []
    _collect_steps(steps_value, steps)
    return ParsedPipeline("ok", tuple(steps))


def _runtime_value(value: Any) -> bool:
    """A value only known when the pipeline runs (a token or a pipeline expression like ``Get``)."""
    if isinstance(value, str):
        return bool(_PLACEHOLDER_RE.search(value))
    return is_intrinsic(value) or (isinstance(value, Mapping) and any(k in value for k in ("Get", "Std:Join")))


def _is_true(value: Any) -> bool | None:
    return None if _runtime_value(value) else equals(value, True)


def _jobs(step: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(kind, job request) pairs of a Training/Processing/Tuning step."""
    args = step.get("Arguments")
    kind = step.get("Type")
    if kind == "Tuning":
        jobs = [get(args, "TrainingJobDefinition")] + (list_items(get(args, "TrainingJobDefinitions")) or [])
        return [("Training", j) for j in jobs if j is not None]
    return [(str(kind), args)]


def _set(value: Any) -> bool | None:
    return True if _runtime_value(value) else presence(value)


def _step_vpc(kind: str, job: Any) -> bool | None:
    vpc = get(job, "VpcConfig") if kind == "Training" else get(job, "NetworkConfig", "VpcConfig")
    return vpc_config_status(vpc, "VpcConfig").status is Status.COMPLIANT


def _step_kms(kind: str, job: Any) -> bool | None:
    if kind == "Training":
        keys = [get(job, "OutputDataConfig", "KmsKeyId"), get(job, "ResourceConfig", "VolumeKmsKeyId")]
    else:
        keys = [get(job, "ProcessingResources", "ClusterConfig", "VolumeKmsKeyId")]
        if get(job, "ProcessingOutputConfig") is not None:
            keys.append(get(job, "ProcessingOutputConfig", "KmsKeyId"))
    states = [_set(k) for k in keys]
    return False if False in states else None if None in states else True


def _step_isolation(kind: str, job: Any) -> bool | None:
    path = ("EnableNetworkIsolation",) if kind == "Training" else ("NetworkConfig", "EnableNetworkIsolation")
    return _is_true(get(job, *path))


def _step_ice(kind: str, job: Any) -> bool | None:
    name = "EnableInterContainerTrafficEncryption"
    return _is_true(get(job, name) if kind == "Training" else get(job, "NetworkConfig", name))


def _step_rule(check: Callable[[str, Any], bool | None], what: str) -> Callable[[ResourceView], Outcome]:
    def rule(view: ResourceView) -> Outcome:
        parsed = parse_pipeline(view)
        if parsed.state == "invalid":
            return NOT_APPLICABLE  # reported once by PipelineDefinitionValid
        if parsed.state == "unverifiable":
            return unknown(parsed.detail)
        failed: list[str] = []
        unverified: list[str] = []
        relevant = False
        for index, step in enumerate(parsed.steps):
            if step.get("Type") not in _JOB_STEPS:
                continue
            relevant = True
            name = str(step.get("Name") or f"step{index}")
            states = [check(kind, job) for kind, job in _jobs(step)]
            if False in states or not states:
                failed.append(name)
            elif None in states:
                unverified.append(name)
        if failed:
            return Outcome(
                Status.NON_COMPLIANT, tuple(failed), f"step(s) {', '.join(failed)}: {what}", tuple(unverified)
            )
        if unverified:
            return Outcome(
                Status.CANNOT_VERIFY, (), f"step(s) {', '.join(unverified)} use runtime values", tuple(unverified)
            )
        return PASS if relevant else NOT_APPLICABLE

    return rule


def _definition_valid(view: ResourceView) -> Outcome:
    parsed = parse_pipeline(view)
    if parsed.state == "invalid":
        return fail(parsed.detail)
    if parsed.state == "unverifiable":
        return unknown(parsed.detail)
    return PASS


# --- monitoring ------------------------------------------------------------------------------------


def _monitor_parts(view: ResourceView) -> tuple[Any, Any, Any] | None:
    """(output config, cluster config, network config) of a monitoring job, or None if not inline."""
    if view.type == _SCHEDULE:
        job = get(view.props, "MonitoringScheduleConfig", "MonitoringJobDefinition")
        if job is None:
            return None  # uses a named job definition, checked as its own resource
        return (
            get(job, "MonitoringOutputConfig"),
            get(job, "MonitoringResources", "ClusterConfig"),
            get(job, "NetworkConfig"),
        )
    return (
        get(view.props, _OUTPUT_CONFIG[view.type]),
        get(view.props, "JobResources", "ClusterConfig"),
        get(view.props, "NetworkConfig"),
    )


def _monitor_rule(pick: Callable[[tuple[Any, Any, Any]], Outcome]) -> Callable[[ResourceView], Outcome]:
    def rule(view: ResourceView) -> Outcome:
        parts = _monitor_parts(view)
        return NOT_APPLICABLE if parts is None else pick(parts)

    return rule


def _set_outcome(value: Any, where: str) -> Outcome:
    state = presence(value)
    if state is None:
        return unknown(f"{where} depends on a condition")
    return PASS if state else fail(f"{where} is not set")


def _true_outcome(value: Any, where: str) -> Outcome:
    state = equals(value, True) if value is not None else False
    if state is None:
        return unknown(f"{where} is an unresolved value ({short(value)})")
    return PASS if state else fail(f"{where} is not true")


_STEP_FIX = "Pass vpc/kms/network settings to the step (TrainingPipeline steps do so by default)"

RULES: tuple[Rule, ...] = (
    Rule(
        "PipelineDefinitionValid",
        PIPELINE,
        "The pipeline definition is missing or is not valid pipeline JSON.",
        "The pack reads the definition to check each job step; SageMaker rejects an invalid one at deploy.",
        "Give PipelineDefinitionBody as a JSON document with a Steps list (TrainingPipeline renders one).",
        ("SM-10",),
        _definition_valid,
    ),
    Rule(
        "PipelineStepVpc",
        PIPELINE,
        "A Training/Processing/Tuning step of the pipeline does not run in the VPC.",
        "Pipeline jobs read training data and write models; outside the VPC they bypass endpoints and security groups.",
        _STEP_FIX + ": VpcConfig (Processing: NetworkConfig.VpcConfig) with subnets and security groups.",
        ("SM-10",),
        _step_rule(_step_vpc, "no VpcConfig with subnets and security groups"),
        per_item=True,
    ),
    Rule(
        "PipelineStepKms",
        PIPELINE,
        "A Training/Processing/Tuning step of the pipeline does not encrypt its volume or output with KMS.",
        "Job volumes and outputs hold training data and model artifacts.",
        _STEP_FIX + ": OutputDataConfig.KmsKeyId and ResourceConfig.VolumeKmsKeyId (Processing: "
        "ProcessingResources.ClusterConfig.VolumeKmsKeyId and ProcessingOutputConfig.KmsKeyId).",
        ("SM-10",),
        _step_rule(_step_kms, "volume or output KMS key missing"),
        per_item=True,
    ),
    Rule(
        "PipelineStepNetworkIsolation",
        PIPELINE,
        "A Training/Processing/Tuning step of the pipeline does not enable network isolation.",
        "Without isolation the job container can call out of the VPC's allowed endpoints.",
        _STEP_FIX + ": EnableNetworkIsolation true (Processing: NetworkConfig.EnableNetworkIsolation); "
        "acknowledge per step (finding id with the step name) where a container needs the network.",
        ("SM-10",),
        _step_rule(_step_isolation, "network isolation not enabled"),
        per_item=True,
    ),
    Rule(
        "PipelineStepInterContainerEncryption",
        PIPELINE,
        "A Training/Processing/Tuning step of the pipeline does not encrypt inter-container traffic.",
        "Distributed jobs exchange data and model state between instances.",
        _STEP_FIX + ": EnableInterContainerTrafficEncryption true (Processing: under NetworkConfig).",
        ("SM-10",),
        _step_rule(_step_ice, "inter-container traffic encryption not enabled"),
        per_item=True,
    ),
    Rule(
        "MonitoringOutputKms",
        MONITORING,
        "The monitoring job does not encrypt its output with a KMS key.",
        "Monitoring reports and constraint violations describe production data.",
        "Set the job output config's KmsKeyId to the platform key (ModelMonitor does by default).",
        ("SM-10",),
        _monitor_rule(lambda p: _set_outcome(get(p[0], "KmsKeyId"), "output KmsKeyId")),
    ),
    Rule(
        "MonitoringVolumeKms",
        MONITORING,
        "The monitoring job does not encrypt its processing volume with a KMS key.",
        "The monitoring instance's volume holds captured production data while the job runs.",
        "Set ClusterConfig.VolumeKmsKeyId to the platform key.",
        ("SM-10",),
        _monitor_rule(lambda p: _set_outcome(get(p[1], "VolumeKmsKeyId"), "VolumeKmsKeyId")),
    ),
    Rule(
        "MonitoringVpc",
        MONITORING,
        "The monitoring job does not run in the VPC.",
        "Monitoring jobs read captured data; outside the VPC they bypass endpoints and security groups.",
        "Set NetworkConfig.VpcConfig with subnets and security groups.",
        ("SM-10",),
        _monitor_rule(lambda p: vpc_config_status(get(p[2], "VpcConfig"), "NetworkConfig.VpcConfig")),
    ),
    Rule(
        "MonitoringNetworkIsolation",
        MONITORING,
        "The monitoring job does not enable network isolation.",
        "Without isolation the monitoring container can call out with production data.",
        "Set NetworkConfig.EnableNetworkIsolation to true.",
        ("SM-10",),
        _monitor_rule(
            lambda p: _true_outcome(get(p[2], "EnableNetworkIsolation"), "NetworkConfig.EnableNetworkIsolation")
        ),
    ),
    Rule(
        "MonitoringInterContainerEncryption",
        MONITORING,
        "The monitoring job does not encrypt inter-container traffic.",
        "Multi-instance monitoring jobs exchange captured data between instances.",
        "Set NetworkConfig.EnableInterContainerTrafficEncryption to true.",
        ("SM-10",),
        _monitor_rule(
            lambda p: _true_outcome(
                get(p[2], "EnableInterContainerTrafficEncryption"),
                "NetworkConfig.EnableInterContainerTrafficEncryption",
            )
        ),
    ),
)

__all__ = ["RULES", "ParsedPipeline", "parse_pipeline"]
