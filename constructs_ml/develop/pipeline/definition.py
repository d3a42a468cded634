"""The pipeline definition document: rendering, graph checks and definitions produced elsewhere.

:func:`check_definition` works on the rendered document, so the same checks (duplicate step names,
references to unknown steps, parameters or property files, dependency cycles, job steps without
VPC/KMS/isolation/encryption) apply to typed steps and to a definition produced by the SageMaker SDK.

Example (a definition exported with ``pipeline.definition()`` from the SageMaker SDK)::

    definition = ExternalDefinition.from_file("pipeline.json",
        reads=[S3Location(buckets.data.bucket, "churn/")], images=[ContainerImage.builtin(...)])
    TrainingPipeline(self, "Pipeline", definition=definition, ...)

Placeholders in an external definition are replaced by the pipeline's values: a string equal to
``${JobRoleArn}`` or ``${KmsKeyArn}``, a string starting with ``${ArtifactsUri}`` (the pipeline's
artifact prefix, ``s3://<bucket>/<prefix>``), and a list element ``${SubnetIds}`` or
``${SecurityGroupIds}`` (expanded into the ids).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_ml.develop.images import ContainerImage
from constructs_ml.develop.pipeline.parameters import Parameter
from constructs_ml.develop.pipeline.properties import S3Location
from constructs_ml.develop.pipeline.steps_base import RenderContext, Step
from constructs_ml.develop.registry import ModelRegistryBase
from constructs_ml.errors import Problems

DEFINITION_VERSION = "2020-12-01"
_STEP_REF = re.compile(r"^Steps\.([A-Za-z0-9\-_]+)(?:\.(.*))?$")
_PARAM_REF = re.compile(r"^Parameters\.([A-Za-z0-9\-_]+)")
_BRANCHES = ("IfSteps", "ElseSteps")


def all_steps(steps: Sequence[Step]) -> list[Step]:
    """Steps and their nested (Condition branch) steps, depth first."""
    out: list[Step] = []
    for s in steps:
        out.append(s)
        out.extend(all_steps(s.children()))
    return out


def render_definition(steps: Sequence[Step], parameters: Sequence[Parameter], ctx: RenderContext) -> dict[str, Any]:
    """The definition document for typed steps (values may hold CDK tokens)."""
    for s in all_steps(steps):
        s.prepare(ctx)
    doc: dict[str, Any] = {"Version": DEFINITION_VERSION, "Metadata": {}}
    if parameters:
        doc["Parameters"] = [p.to_definition() for p in parameters]
    doc["Steps"] = [s.render(ctx) for s in steps]
    return doc


def walk_steps(steps: Any, parent: str | None = None) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    """Every step dict of a definition with the name of the Condition step it is nested in."""
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, Mapping):
            continue
        yield step, parent
        if step.get("Type") == "Condition":
            args = step.get("Arguments") or {}
            for branch in _BRANCHES:
                yield from walk_steps(args.get(branch), str(step.get("Name")))


def _gets(value: Any, skip_branches: bool = False) -> Iterator[str]:
    """Every ``Get`` path in a value (not descending into Condition branches when asked)."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k == "Get" and isinstance(v, str):
                yield v
            elif skip_branches and k in _BRANCHES:
                continue
            else:
                yield from _gets(v, skip_branches)
    elif isinstance(value, list):
        for v in value:
            yield from _gets(v, skip_branches)


def check_definition(doc: Mapping[str, Any], problems: Problems) -> dict[str, set[str]]:
    """Check a definition's graph; returns each step's dependencies (step name -> names it waits for)."""
    steps = list(walk_steps(doc.get("Steps")))
    names = [str(s.get("Name")) for s, _ in steps]
    problems.unique("steps[].name", names)
    known = set(names)
    params = {str(p.get("Name")) for p in doc.get("Parameters") or [] if isinstance(p, Mapping)}
    property_files = {
        str(s.get("Name")): {str(f.get("PropertyFileName")) for f in s.get("PropertyFiles") or []} for s, _ in steps
    }
    deps: dict[str, set[str]] = {}
    for step, parent in steps:
        name = str(step.get("Name"))
        mine = deps.setdefault(name, set())
        if parent is not None:
            mine.add(parent)
        for dep in step.get("DependsOn") or []:
            if dep not in known:
                problems.add(
                    f"steps[{name}].depends_on",
                    dep,
                    "a step of this pipeline",
                    what="refers to a step that is not in the pipeline",
                )
            mine.add(str(dep))
        for path in _gets(step.get("Arguments"), skip_branches=True):
            if (m := _STEP_REF.match(path)) is not None:
                target, rest = m.group(1), m.group(2) or ""
                if target not in known:
                    problems.add(
                        f"steps[{name}]",
                        path,
                        "a step of this pipeline",
                        what="refers to a step that is not in the pipeline",
                    )
                    continue
                if rest.startswith("PropertyFiles."):
                    pf = rest.removeprefix("PropertyFiles.")
                    if pf not in property_files.get(target, set()):
                        problems.add(
                            f"steps[{name}]",
                            path,
                            f"a property file of step {target}",
                            what="refers to a property file that step does not declare",
                        )
                mine.add(target)
            elif (pm := _PARAM_REF.match(path)) is not None and pm.group(1) not in params:
                problems.add(
                    f"steps[{name}]",
                    path,
                    "a parameter of this pipeline",
                    what="refers to a parameter that is not declared",
                )
    cycle = find_cycle(deps)
    if cycle:
        problems.add("steps", " -> ".join(cycle), "an acyclic graph", what="form a dependency cycle")
    return deps


def find_cycle(deps: Mapping[str, set[str]]) -> list[str]:
    """A dependency cycle as a list of step names (first == last), or ``[]``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(deps.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if state.get(nxt) is None and nxt in deps:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(deps):
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return []


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def insecure_job_steps(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(step, what is missing) for Training/Processing/Tuning/Model/Transform steps that lack a control."""
    out: list[tuple[str, str]] = []
    for step, _ in walk_steps(doc.get("Steps")):
        kind, name, args = step.get("Type"), str(step.get("Name")), step.get("Arguments") or {}
        jobs: list[Mapping[str, Any]] = []
        if kind == "Tuning":
            jobs = [j for j in [args.get("TrainingJobDefinition"), *(args.get("TrainingJobDefinitions") or [])] if j]
            kind = "Training"
        elif kind in ("Training", "Processing", "Model", "Transform"):
            jobs = [args]
        for job in jobs:
            if kind == "Training":
                checks = {
                    "VpcConfig": bool((job.get("VpcConfig") or {}).get("Subnets")),
                    "ResourceConfig.VolumeKmsKeyId": bool((job.get("ResourceConfig") or {}).get("VolumeKmsKeyId")),
                    "OutputDataConfig.KmsKeyId": bool((job.get("OutputDataConfig") or {}).get("KmsKeyId")),
                    "EnableNetworkIsolation": _is_true(job.get("EnableNetworkIsolation")),
                    "EnableInterContainerTrafficEncryption": _is_true(job.get("EnableInterContainerTrafficEncryption")),
                }
            elif kind == "Processing":
                net = job.get("NetworkConfig") or {}
                checks = {
                    "NetworkConfig.VpcConfig": bool((net.get("VpcConfig") or {}).get("Subnets")),
                    "ClusterConfig.VolumeKmsKeyId": bool(
                        ((job.get("ProcessingResources") or {}).get("ClusterConfig") or {}).get("VolumeKmsKeyId")
                    ),
                    "ProcessingOutputConfig.KmsKeyId": "ProcessingOutputConfig" not in job
                    or bool((job.get("ProcessingOutputConfig") or {}).get("KmsKeyId")),
                    "NetworkConfig.EnableNetworkIsolation": _is_true(net.get("EnableNetworkIsolation")),
                    "NetworkConfig.EnableInterContainerTrafficEncryption": _is_true(
                        net.get("EnableInterContainerTrafficEncryption")
                    ),
                }
            elif kind == "Model":
                checks = {
                    "VpcConfig": bool((job.get("VpcConfig") or {}).get("Subnets")),
                    "EnableNetworkIsolation": _is_true(job.get("EnableNetworkIsolation")),
                }
            else:
                checks = {
                    "TransformOutput.KmsKeyId": bool((job.get("TransformOutput") or {}).get("KmsKeyId")),
                    "TransformResources.VolumeKmsKeyId": bool(
                        (job.get("TransformResources") or {}).get("VolumeKmsKeyId")
                    ),
                }
            out.extend((name, what) for what, ok in checks.items() if not ok)
    return out


@dataclass(frozen=True)
class ExternalDefinition:
    """A pipeline definition produced elsewhere (e.g. ``Pipeline.definition()`` of the SageMaker SDK).

    The construct cannot see what an arbitrary definition touches: declare it, and the pipeline and
    job roles are scoped to exactly that.

    Attributes:
        document: the definition (a dict; see :meth:`from_file` / :meth:`from_json`).
        reads: S3 locations the jobs read.
        writes: S3 locations the jobs write (the pipeline's artifact location is always writable).
        images: images the jobs run (ECR repositories get pull grants).
        registries: model registries its RegisterModel steps register into.
        job_kinds: SageMaker resources the pipeline creates: derived from the step types when omitted.
    """

    document: Mapping[str, Any]
    reads: Sequence[S3Location] = ()
    writes: Sequence[S3Location] = ()
    images: Sequence[ContainerImage] = ()
    registries: Sequence[ModelRegistryBase] = ()
    job_kinds: Sequence[str] | None = None

    @staticmethod
    def from_json(text: str, **kwargs: Any) -> ExternalDefinition:
        return ExternalDefinition(json.loads(text), **kwargs)

    @staticmethod
    def from_file(path: str | Path, **kwargs: Any) -> ExternalDefinition:
        return ExternalDefinition.from_json(Path(path).read_text(encoding="utf-8"), **kwargs)

    def resolve(self, ctx: RenderContext) -> dict[str, Any]:
        """The document with the placeholders replaced by the pipeline's values."""
        values = {"${JobRoleArn}": ctx.role_arn, "${KmsKeyArn}": ctx.key_arn, "${ArtifactsUri}": ctx.artifacts.uri}
        lists = {"${SubnetIds}": list(ctx.subnet_ids), "${SecurityGroupIds}": list(ctx.security_group_ids)}

        def sub(value: Any) -> Any:
            if isinstance(value, str):
                if value.startswith("${ArtifactsUri}"):
                    return ctx.artifacts.uri + value.removeprefix("${ArtifactsUri}")
                return values.get(value, value)
            if isinstance(value, Mapping):
                return {k: sub(v) for k, v in value.items()}
            if isinstance(value, list):
                out: list[Any] = []
                for v in value:
                    if isinstance(v, str) and v in lists:
                        out.extend(lists[v])
                    else:
                        out.append(sub(v))
                return out
            return value

        resolved: dict[str, Any] = sub(copy.deepcopy(dict(self.document)))
        return resolved

    def derived_job_kinds(self) -> set[str]:
        if self.job_kinds is not None:
            return set(self.job_kinds)
        kinds = {
            "Training": "training-job",
            "Processing": "processing-job",
            "Transform": "transform-job",
            "Model": "model",
            "QualityCheck": "processing-job",
            "ClarifyCheck": "processing-job",
        }
        out: set[str] = set()
        for step, _ in walk_steps(self.document.get("Steps")):
            t = str(step.get("Type"))
            if t == "Tuning":
                out |= {"training-job", "hyper-parameter-tuning-job"}
            elif t in kinds:
                out.add(kinds[t])
        return out


__all__ = [
    "DEFINITION_VERSION",
    "ExternalDefinition",
    "all_steps",
    "check_definition",
    "find_cycle",
    "insecure_job_steps",
    "render_definition",
    "walk_steps",
]
