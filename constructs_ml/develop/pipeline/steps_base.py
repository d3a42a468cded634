"""The step model shared by every step type: names, dependencies, retries, caching, instance types.

:class:`InstanceType` is re-exported from :mod:`constructs_ml.instance_types` (one class for build and serve).

Steps are plain Python objects (not constructs). A :class:`~constructs_ml.develop.TrainingPipeline`
validates them (all problems at once, under the pipeline's construct path), renders them with the
pipeline's job settings (role, VPC, KMS key, artifact location) and derives its roles' permissions
from what they read, write and run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from aws_cdk import Duration
from constructs import Construct

from constructs_ml._jsii_cache import duration_seconds
from constructs_ml.develop.images import ContainerImage
from constructs_ml.develop.pipeline.properties import PipelineValue, S3Location, StepProperty, render_value
from constructs_ml.errors import Problems
from constructs_ml.instance_types import InstanceType

if TYPE_CHECKING:
    from constructs_ml.develop.registry import IModelRegistry

#: Step names (schema ``StepName``).
STEP_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")


def instance_type_value(value: InstanceType | PipelineValue) -> Any:
    return value.name if isinstance(value, InstanceType) else render_value(value)


class RetryException:
    """Exception types a retry policy can retry (values as the pipeline definition names them)."""

    SERVICE_FAULT = "Step.SERVICE_FAULT"
    THROTTLING = "Step.THROTTLING"
    JOB_INTERNAL_ERROR = "SageMaker.JOB_INTERNAL_ERROR"
    CAPACITY_ERROR = "SageMaker.CAPACITY_ERROR"
    RESOURCE_LIMIT = "SageMaker.RESOURCE_LIMIT"

    ALL: ClassVar[tuple[str, ...]] = (
        SERVICE_FAULT,
        THROTTLING,
        JOB_INTERNAL_ERROR,
        CAPACITY_ERROR,
        RESOURCE_LIMIT,
    )


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a step on the given exception types.

    Attributes:
        exception_types: values of :class:`RetryException`.
        interval: wait before the first retry: 1 second.
        backoff_rate: multiplier of the interval per attempt: 2.0.
        max_attempts: at most this many retries (1..20): 5 when neither this nor ``expire_after`` is set.
        expire_after: stop retrying this long after the step started (<= 14400 minutes); exclusive
            with ``max_attempts``.
    """

    exception_types: Sequence[str]
    interval: Duration = field(default_factory=lambda: Duration.seconds(1))
    backoff_rate: float = 2.0
    max_attempts: int | None = None
    expire_after: Duration | None = None

    def validate(self, problems: Problems, prop: str) -> None:
        problems.require(bool(self.exception_types), f"{prop}.exception_types", list(self.exception_types), "non-empty")
        for e in self.exception_types:
            problems.require_one_of(f"{prop}.exception_types", e, RetryException.ALL)
        problems.exclusive(f"{prop}.max_attempts", self.max_attempts, f"{prop}.expire_after", self.expire_after)
        problems.require_range(f"{prop}.max_attempts", self.max_attempts, 0, 20)
        problems.require_range(f"{prop}.interval (s)", self.interval.to_seconds(), 1, 43200)
        problems.require_range(f"{prop}.backoff_rate", self.backoff_rate, 1.0, None)
        if self.expire_after is not None:
            problems.require_range(f"{prop}.expire_after (min)", self.expire_after.to_minutes(), 0, 14400)

    def to_definition(self) -> dict[str, Any]:
        # The service takes ExceptionType as a list (developer guide, "Retry Policy for Pipeline Steps");
        # the published JSON schema still says string: see tests/develop/definition_schema.py.
        out: dict[str, Any] = {
            "ExceptionType": list(self.exception_types),
            "IntervalSeconds": int(self.interval.to_seconds()),
            "BackoffRate": self.backoff_rate,
        }
        if self.expire_after is not None:
            out["ExpireAfterMin"] = int(self.expire_after.to_minutes())
        else:
            out["MaxAttempts"] = self.max_attempts if self.max_attempts is not None else 5
        return out


@dataclass(frozen=True)
class CacheConfig:
    """Reuse a previous successful run of the step with the same arguments.

    Attributes:
        expire_after: how long a cached result stays valid, e.g. ``Duration.days(30)``.
    """

    expire_after: Duration

    def to_definition(self) -> dict[str, Any]:
        return {"Enabled": True, "ExpireAfter": self.expire_after.to_iso_string()}


@dataclass
class RenderContext:
    """What the pipeline gives its steps to render: the scope, job role, VPC, key and artifact root."""

    scope: Construct
    role_arn: str
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    key_arn: str
    artifacts: S3Location

    def vpc_config(self) -> dict[str, Any]:
        return {"SecurityGroupIds": list(self.security_group_ids), "Subnets": list(self.subnet_ids)}

    def output_location(self, step: str, output: str) -> S3Location:
        """The default location of a step's output: ``<artifacts>/<step>/<output>/``."""
        return self.artifacts.child(step, output)


@dataclass
class ResourceAccess:
    """What the steps of a pipeline use, collected to scope the pipeline and job roles."""

    reads: list[S3Location] = field(default_factory=list)
    writes: list[S3Location] = field(default_factory=list)
    images: list[ContainerImage] = field(default_factory=list)
    register_into: list[IModelRegistry] = field(default_factory=list)
    read_registries: list[IModelRegistry] = field(default_factory=list)
    job_kinds: set[str] = field(default_factory=set)
    property_files: bool = False
    shadow_endpoints: bool = False
    auto_approve: bool = False
    #: Debugger rules run as SageMaker processing jobs under the job role (their logs).
    rule_jobs: bool = False
    #: The longest managed warm pool keep-alive of the training steps (0: none).
    keep_alive_seconds: int = 0


class Step:
    """Base of every step. Not used directly: see the step types.

    Args:
        name: 1..64 of ``[A-Za-z0-9-_]``, unique in the pipeline (part of its ``Get`` paths).
        display_name: shown in Studio: the name.
        description: a description: none.
        depends_on: steps (or step names) to wait for besides those whose outputs this step uses
            (those dependencies are implicit).
        retry_policies: how to retry on failure (not for Condition/Fail steps): the service's default.
        cache: reuse earlier results (Processing/Training/Tuning/Transform and the check steps only): off.
    """

    step_type: ClassVar[str] = ""
    supports_retry: ClassVar[bool] = True
    supports_cache: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        depends_on: Sequence[Step | str] = (),
        retry_policies: Sequence[RetryPolicy] = (),
        cache: CacheConfig | None = None,
    ) -> None:
        self.name = name
        self.display_name = display_name
        self.description = description
        self.depends_on = list(depends_on)
        self.retry_policies = list(retry_policies)
        self.cache = cache

    # -- typed references -----------------------------------------------------------------------

    def property(self, path: str) -> StepProperty:
        """A property of this step by path (escape hatch), e.g. ``step.property("ModelArtifacts.S3ModelArtifacts")``."""
        return StepProperty(self.name, path)

    # -- rendering ------------------------------------------------------------------------------

    def prepare(self, ctx: RenderContext) -> None:
        """Called for every step before any is rendered (e.g. to bind output locations)."""
        return None

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        """The step's ``Arguments``."""
        return {}

    def step_fields(self, ctx: RenderContext) -> dict[str, Any]:
        """Step-level fields besides Name/Type/Arguments (e.g. CheckType, PropertyFiles)."""
        return {}

    def render(self, ctx: RenderContext) -> dict[str, Any]:
        """The step's entry in the definition."""
        out: dict[str, Any] = {"Name": self.name, "Type": self.step_type, "Arguments": self.arguments(ctx)}
        deps = [d.name if isinstance(d, Step) else d for d in self.depends_on]
        if deps:
            out["DependsOn"] = deps
        if self.display_name:
            out["DisplayName"] = self.display_name
        if self.description:
            out["Description"] = self.description
        if self.retry_policies:
            out["RetryPolicies"] = [r.to_definition() for r in self.retry_policies]
        if self.cache is not None:
            out["CacheConfig"] = self.cache.to_definition()
        out.update(self.step_fields(ctx))
        return out

    # -- checks and permissions -----------------------------------------------------------------

    def children(self) -> list[Step]:
        """Steps nested in this one (Condition branches)."""
        return []

    def validate(self, scope: Construct, problems: Problems) -> None:
        """Record problems with this step's props."""
        p = self.prop
        problems.require(bool(STEP_NAME.match(self.name)), p("name"), self.name, "1..64 of [A-Za-z0-9-_]")
        if self.display_name is not None:
            problems.require(
                bool(STEP_NAME.match(self.display_name)), p("display_name"), self.display_name, "1..64 of [A-Za-z0-9-_]"
            )
        if self.retry_policies and not self.supports_retry:
            problems.add(p("retry_policies"), "...", f"not set on a {self.step_type} step", what="is not supported")
        if self.cache is not None and not self.supports_cache:
            problems.add(p("cache"), self.cache, f"not set on a {self.step_type} step", what="is not supported")
        for i, r in enumerate(self.retry_policies):
            r.validate(problems, p(f"retry_policies[{i}]"))

    def collect(self, access: ResourceAccess) -> None:
        """Record what this step reads, writes and runs."""
        return None

    def disabled_protections(self) -> list[str]:
        """Protections turned off on this step (each becomes a warning on the pipeline)."""
        return []

    def prop(self, name: str) -> str:
        """A prop name for messages: ``steps[<name>].<prop>``."""
        return f"steps[{self.name}].{name}"


def validate_instance(problems: Problems, prop: str, value: InstanceType | PipelineValue) -> None:
    """An instance type must look like ``ml.<family>.<size>``; a pipeline parameter or token is checked at run time."""
    if isinstance(value, InstanceType):
        problems.require(value.is_valid, prop, value.name, "an ML instance type like ml.m5.xlarge")
    else:
        check_pipeline_value(
            problems, prop, value, InstanceType, "String", "an InstanceType (InstanceType.of('ml.m5.xlarge'))"
        )


def check_pipeline_value(
    problems: Problems, prop: str, value: Any, expected: type, parameter_type: str, allowed: str
) -> bool:
    """A step prop that takes a Python value or a pipeline value: a wrong Python type, or a pipeline
    parameter of the wrong type (a ``ParameterString`` where an integer is needed), is a problem.

    Args:
        problems: where problems go.
        prop: the prop, for the message.
        value: what was given.
        expected: the Python type accepted.
        parameter_type: the pipeline parameter type accepted (``"Integer"``, ``"String"``...).
        allowed: what is allowed, in words.

    Returns:
        True if the value is acceptable (property references and other pipeline values are checked at run time).
    """
    parameter = getattr(value, "type_name", None)
    if isinstance(value, PipelineValue) and parameter is not None:
        return problems.require(
            parameter == parameter_type,
            prop,
            f"{type(value).__name__}({getattr(value, 'name', '?')!r})",
            f"{allowed} or a Parameter{parameter_type}",
        )
    if isinstance(value, PipelineValue):
        return True
    return problems.require_type(prop, value, expected, f"{allowed} or a Parameter{parameter_type}")


def seconds(value: Duration) -> int:
    return int(duration_seconds(value))


def job_instances(
    ctx: RenderContext,
    instance_type: InstanceType | PipelineValue,
    instance_count: int | PipelineValue,
    volume_size_gb: int,
) -> dict[str, Any]:
    """A job's instances with their ML storage volume encrypted with the pipeline key (a training job's
    ``ResourceConfig``, a processing job's ``ProcessingResources.ClusterConfig``)."""
    return {
        "InstanceType": instance_type_value(instance_type),
        "InstanceCount": render_value(instance_count),
        "VolumeSizeInGB": volume_size_gb,
        "VolumeKmsKeyId": ctx.key_arn,
    }


def validate_job_instances(
    problems: Problems, step: Step, instance_type: InstanceType | PipelineValue, instance_count: int | PipelineValue
) -> None:
    """A training or processing job runs 1 to 100 instances of an ML instance type (a pipeline parameter is
    checked at run time)."""
    if check_pipeline_value(problems, step.prop("instance_count"), instance_count, int, "Integer", "an int") and (
        isinstance(instance_count, int)
    ):
        problems.require_range(step.prop("instance_count"), instance_count, 1, 100)
    validate_instance(problems, step.prop("instance_type"), instance_type)


def job_protections_off(*, network_isolation: bool, inter_container_encryption: bool) -> list[str]:
    """The job protections a training or processing step turns off (see :meth:`Step.disabled_protections`)."""
    off = []
    if not network_isolation:
        off.append("network isolation")
    if not inter_container_encryption:
        off.append("inter-container traffic encryption")
    return off


__all__ = [
    "CacheConfig",
    "InstanceType",
    "RenderContext",
    "ResourceAccess",
    "RetryException",
    "RetryPolicy",
    "Step",
]
