"""SageMaker Debugger on training steps: built-in debugging and profiling rules, the hook, the profiler.

Amazon SageMaker Debugger is closed to new customers since 2026-07-30 (AWS: "Debugger availability
change"); accounts that already use it can keep using it, and this module is for them. A training step with
``debugger=Debugger(...)`` renders, in its ``CreateTrainingJob`` arguments:

* ``DebugHookConfig``: the tensors the hook saves (the collections the chosen rules read, plus yours),
  written to ``<artifacts>/<step>/debug-output/`` (the pipeline's prefix on the artifacts bucket);
* ``DebugRuleConfigurations`` / ``ProfilerRuleConfigurations``: one entry per built-in rule, evaluated by
  AWS's rule image of the stack's region (``sagemaker-debugger-rules:latest``; registry accounts in
  :data:`~constructs_ml.develop.image_accounts.DEBUGGER_ACCOUNTS`, generated from the SageMaker Python
  SDK's ``debugger.json``), with their reports under ``<artifacts>/<step>/rule-output/<execution id>/<rule>``;
* ``ProfilerConfig``: system metrics to ``<artifacts>/<step>/profiler-output/``.

What the API does not let a caller set: the rule jobs' volumes have no KMS key field
(``DebugRuleConfiguration``/``ProfilerRuleConfiguration`` have none) and no VPC settings (SageMaker runs
them as processing jobs on its side). The outputs carry no key field either: they are encrypted by the
bucket's default encryption (``PlatformBuckets``: SSE-KMS with the platform key, puts with another key
denied). The job role reads and writes them under the artifact prefix, which it already may.

Example::

    TrainingStep("Train", image=..., inputs=[...],
        debugger=Debugger(rules=[
            DebuggerRuleConfig(DebuggerRule.LOSS_NOT_DECREASING, {"num_steps": 10}),
            DebuggerRule.OVERFIT,
            DebuggerRule.PROFILER_REPORT,
        ]))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_of
from constructs_ml.develop.image_accounts import image_account
from constructs_ml.develop.pipeline.properties import ExecutionVariables, Join, S3Location, render_value
from constructs_ml.errors import Problems
from constructs_ml.instance_types import InstanceType

#: Debugger's reference: the rule evaluator images per region, and rules run as SageMaker Processing jobs.
RULE_IMAGES_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/debugger-reference.html"
RULE_JOBS_DOC = RULE_IMAGES_DOC
#: The repository and tag of the built-in rule evaluator.
RULE_IMAGE_REPOSITORY = "sagemaker-debugger-rules:latest"
#: Where the hook writes tensors inside the training container (the SDK's default).
HOOK_LOCAL_PATH = "/opt/ml/output/tensors"
#: Intervals ``ProfilerConfig.ProfilingIntervalInMilliseconds`` accepts (SageMaker Python SDK validation).
PROFILING_INTERVALS_MS: tuple[int, ...] = (100, 200, 500, 1000, 5000, 60000)
#: API limits: at most 20 debug rules and 20 profiler rules per job, 20 hook collections, 20 hook parameters.
MAX_RULES = 20
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class DebuggerRule(Enum):
    """Debugger's built-in rules (``rule_to_invoke`` of the rule evaluator image).

    Debugging rules read the tensors the hook saves; profiling rules read the profiler's system and
    framework metrics. Names and profiling-rule parameters are those of AWS's ``smdebug-rulesconfig``.
    """

    # debugging rules
    VANISHING_GRADIENT = "VanishingGradient"
    EXPLODING_TENSOR = "ExplodingTensor"
    POOR_WEIGHT_INITIALIZATION = "PoorWeightInitialization"
    SATURATED_ACTIVATION = "SaturatedActivation"
    DEAD_RELU = "DeadRelu"
    CLASS_IMBALANCE = "ClassImbalance"
    LOSS_NOT_DECREASING = "LossNotDecreasing"
    OVERFIT = "Overfit"
    OVERTRAINING = "Overtraining"
    STALLED_TRAINING = "StalledTrainingRule"
    TENSOR_VARIANCE = "TensorVariance"
    UNCHANGED_TENSOR = "UnchangedTensor"
    WEIGHT_UPDATE_RATIO = "WeightUpdateRatio"
    ALL_ZERO = "AllZero"
    CHECK_INPUT_IMAGES = "CheckInputImages"
    NLP_SEQUENCE_RATIO = "NLPSequenceRatio"
    CONFUSION = "Confusion"
    FEATURE_IMPORTANCE_OVERWEIGHT = "FeatureImportanceOverweight"
    TREE_DEPTH = "TreeDepth"
    CREATE_XGBOOST_REPORT = "CreateXgboostReport"
    # profiling rules
    PROFILER_REPORT = "ProfilerReport"
    BATCH_SIZE = "BatchSize"
    CPU_BOTTLENECK = "CPUBottleneck"
    DATALOADER = "Dataloader"
    GPU_MEMORY_INCREASE = "GPUMemoryIncrease"
    IO_BOTTLENECK = "IOBottleneck"
    LOAD_BALANCING = "LoadBalancing"
    LOW_GPU_UTILIZATION = "LowGPUUtilization"
    MAX_INITIALIZATION_TIME = "MaxInitializationTime"
    OVERALL_SYSTEM_USAGE = "OverallSystemUsage"
    STEP_OUTLIER = "StepOutlier"

    @property
    def is_profiler_rule(self) -> bool:
        """True for the rules that go in ``ProfilerRuleConfigurations``."""
        return self.value in PROFILER_RULE_PARAMETERS

    @property
    def collections(self) -> tuple[str, ...]:
        """The hook collections the rule reads (saved whenever the rule is configured)."""
        return _RULE_COLLECTIONS.get(self.value, ())


#: Profiling rules and the parameters each accepts (``smdebug_rulesconfig.profiler_rules``);
#: ``None``: any parameters (ProfilerReport passes them on to the rules it runs).
PROFILER_RULE_PARAMETERS: dict[str, frozenset[str] | None] = {
    "ProfilerReport": None,
    "BatchSize": frozenset(
        {"cpu_threshold_p95", "gpu_threshold_p95", "gpu_memory_threshold_p95", "patience", "window", "scan_interval_us"}
    ),
    "CPUBottleneck": frozenset({"threshold", "gpu_threshold", "cpu_threshold", "patience", "scan_interval_us"}),
    "Dataloader": frozenset({"min_threshold", "max_threshold", "scan_interval_us"}),
    "GPUMemoryIncrease": frozenset({"increase", "patience", "window", "scan_interval_us"}),
    "IOBottleneck": frozenset({"threshold", "gpu_threshold", "io_threshold", "patience", "scan_interval_us"}),
    "LoadBalancing": frozenset({"threshold", "patience", "scan_interval_us"}),
    "LowGPUUtilization": frozenset({"threshold_p95", "threshold_p5", "window", "patience", "scan_interval_us"}),
    "MaxInitializationTime": frozenset({"threshold", "scan_interval_us"}),
    "OverallSystemUsage": frozenset({"scan_interval_us"}),
    "StepOutlier": frozenset({"stddev", "mode", "n_outliers", "scan_interval_us"}),
}

#: Debugging rules that read one of smdebug's framework-independent default collections
#: (``smdebug-rulesconfig`` ruleConfigs.json); other rules read the collections you configure.
_RULE_COLLECTIONS: dict[str, tuple[str, ...]] = {
    "VanishingGradient": ("gradients",),
    "LossNotDecreasing": ("losses",),
    "WeightUpdateRatio": ("weights",),
}
#: Save interval of the default collections (``smdebug-rulesconfig`` collections.json).
DEFAULT_SAVE_INTERVAL = 500


def rule_value(value: str | int | float | bool) -> str:
    """Rule and hook parameters are strings: booleans as ``True``/``False`` (as smdebug reads them)."""
    return str(value)


@dataclass(frozen=True)
class DebuggerRuleConfig:
    """A built-in rule with parameters.

    Attributes:
        rule: the built-in rule.
        parameters: the rule's parameters (names as in the Debugger built-in rules list; profiling rules'
            names are checked): none (the rule's defaults).
        name: the rule configuration name, unique in the step: the rule's name.
        instance_type: the rule job's instance type: chosen by SageMaker (built-in rules run on
            instances SageMaker provides).
        volume_size_gb: the rule job's volume: chosen by SageMaker.
    """

    rule: DebuggerRule
    parameters: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    name: str | None = None
    instance_type: InstanceType | None = None
    volume_size_gb: int | None = None

    @property
    def configuration_name(self) -> str:
        return self.name or self.rule.value

    def to_definition(self, image: str, output: S3Location) -> dict[str, Any]:
        parameters = {"rule_to_invoke": self.rule.value, **{k: rule_value(v) for k, v in self.parameters.items()}}
        out: dict[str, Any] = {
            "RuleConfigurationName": self.configuration_name,
            "RuleEvaluatorImage": image,
            "RuleParameters": parameters,
            # One prefix per execution and rule (a retried job overwrites its own reports only).
            "S3OutputPath": render_value(
                Join(
                    [output.uri.rstrip("/"), ExecutionVariables.PIPELINE_EXECUTION_ID, self.configuration_name],
                    on="/",
                )
            ),
        }
        if self.instance_type is not None:
            out["InstanceType"] = self.instance_type.name
        if self.volume_size_gb is not None:
            out["VolumeSizeInGB"] = self.volume_size_gb
        return out

    def validate(self, problems: Problems, prop: str) -> None:
        for name, value in self.parameters.items():
            problems.require(
                bool(_PARAM_NAME.match(name)) and name != "rule_to_invoke",
                f"{prop}.parameters",
                name,
                "parameter names of letters, digits and '_' (rule_to_invoke is set from the rule)",
            )
            problems.require(
                isinstance(value, str | int | float | bool) and not is_unresolved(value),
                f"{prop}.parameters[{name}]",
                value,
                "a literal string, number or boolean",
            )
        allowed = PROFILER_RULE_PARAMETERS.get(self.rule.value)
        if allowed is not None:
            for name in self.parameters:
                if name not in allowed:
                    problems.add(
                        f"{prop}.parameters[{name}]",
                        name,
                        "",
                        what=f"is not a parameter of {self.rule.value}; it takes: {', '.join(sorted(allowed))}",
                    )
        problems.require(
            1 <= len(self.configuration_name) <= 256, f"{prop}.name", self.configuration_name, "1..256 characters"
        )
        if self.instance_type is not None:
            problems.require(self.instance_type.is_valid, f"{prop}.instance_type", self.instance_type.name, "ml.*")
        problems.require_range(f"{prop}.volume_size_gb", self.volume_size_gb, 1, 16384)


@dataclass(frozen=True)
class TensorCollection:
    """A tensor collection the hook saves (``CollectionConfiguration``).

    Attributes:
        name: the collection (``weights``, ``gradients``, ``losses``, or one of yours).
        parameters: e.g. ``{"save_interval": 100, "include_regex": ".*relu_output"}``: none.
    """

    name: str
    parameters: Mapping[str, str | int | float | bool] = field(default_factory=dict)

    def to_definition(self) -> dict[str, Any]:
        out: dict[str, Any] = {"CollectionName": self.name}
        if self.parameters:
            out["CollectionParameters"] = {k: rule_value(v) for k, v in self.parameters.items()}
        return out


@dataclass(frozen=True)
class Debugger:
    """Debugger on a training step: built-in rules, the hook's collections, the profiler.

    Attributes:
        rules: built-in rules (a :class:`DebuggerRule`, or a :class:`DebuggerRuleConfig` for parameters);
            at most 20 debugging and 20 profiling rules: none.
        collections: tensor collections to save besides those the rules read: none.
        hook_parameters: the hook's parameters (e.g. ``{"save_interval": 100}``): none.
        profiling_interval_ms: the profiler's sampling interval, one of :data:`PROFILING_INTERVALS_MS`:
            the service default (500 ms).
        profiler: collect system metrics (``ProfilerConfig``): on when a profiling rule is configured; not
            set otherwise (the service's default); ``False`` sends ``DisableProfiler``.
    """

    rules: Sequence[DebuggerRule | DebuggerRuleConfig] = ()
    collections: Sequence[TensorCollection] = ()
    hook_parameters: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    profiling_interval_ms: int | None = None
    profiler: bool | None = None

    @property
    def rule_configs(self) -> list[DebuggerRuleConfig]:
        return [r if isinstance(r, DebuggerRuleConfig) else DebuggerRuleConfig(r) for r in self.rules]

    @property
    def debug_rules(self) -> list[DebuggerRuleConfig]:
        return [r for r in self.rule_configs if not r.rule.is_profiler_rule]

    @property
    def profiler_rules(self) -> list[DebuggerRuleConfig]:
        return [r for r in self.rule_configs if r.rule.is_profiler_rule]

    @property
    def profiling(self) -> bool:
        return self.profiler if self.profiler is not None else bool(self.profiler_rules)

    @property
    def uses_hook(self) -> bool:
        """The job saves tensors (debugging rules, collections or hook parameters are configured)."""
        return bool(self.debug_rules or self.collections or self.hook_parameters)

    def hook_collections(self) -> list[TensorCollection]:
        """Your collections, then the default collections the rules read that you did not configure."""
        out = list(self.collections)
        names = {c.name for c in out}
        for rule in self.debug_rules:
            for name in rule.rule.collections:
                if name not in names:
                    names.add(name)
                    out.append(TensorCollection(name, {"save_interval": DEFAULT_SAVE_INTERVAL}))
        return out

    def arguments(self, scope: Construct, *, step: str, output_of: Callable[[str], S3Location]) -> dict[str, Any]:
        """The Debugger members of the ``CreateTrainingJob`` request.

        Args:
            scope: resolves the rule image's registry account (the pipeline).
            step: the step's name (for messages).
            output_of: ``output_of(name) -> S3Location``: the step's output location ``name``.
        """
        out: dict[str, Any] = {}
        image = rule_image_uri(scope, prop=f"steps[{step}].debugger.rules") if self.rules else ""
        rule_output: S3Location = output_of("rule-output")
        if self.uses_hook:
            hook: dict[str, Any] = {"S3OutputPath": output_of("debug-output").uri, "LocalPath": HOOK_LOCAL_PATH}
            if self.hook_parameters:
                hook["HookParameters"] = {k: rule_value(v) for k, v in self.hook_parameters.items()}
            collections = self.hook_collections()
            if collections:
                hook["CollectionConfigurations"] = [c.to_definition() for c in collections]
            out["DebugHookConfig"] = hook
        if self.debug_rules:
            out["DebugRuleConfigurations"] = [r.to_definition(image, rule_output) for r in self.debug_rules]
        if self.profiling:
            profiler: dict[str, Any] = {"S3OutputPath": output_of("profiler-output").uri}
            if self.profiling_interval_ms is not None:
                profiler["ProfilingIntervalInMilliseconds"] = self.profiling_interval_ms
            out["ProfilerConfig"] = profiler
        elif self.profiler is False:
            out["ProfilerConfig"] = {"DisableProfiler": True}
        if self.profiler_rules:
            out["ProfilerRuleConfigurations"] = [r.to_definition(image, rule_output) for r in self.profiler_rules]
        return out

    def validate(self, problems: Problems, prop: str) -> None:
        configs = self.rule_configs
        problems.unique(f"{prop}.rules[].name", [r.configuration_name for r in configs])
        problems.require(
            len(self.debug_rules) <= MAX_RULES, f"{prop}.rules", len(self.debug_rules), "at most 20 debugging rules"
        )
        problems.require(
            len(self.profiler_rules) <= MAX_RULES,
            f"{prop}.rules",
            len(self.profiler_rules),
            "at most 20 profiling rules",
        )
        for r in configs:
            r.validate(problems, f"{prop}.rules[{r.configuration_name}]")
        problems.unique(f"{prop}.collections[].name", [c.name for c in self.collections])
        problems.require(len(self.hook_collections()) <= 20, f"{prop}.collections", len(self.collections), "<= 20")
        problems.require(len(self.hook_parameters) <= 20, f"{prop}.hook_parameters", len(self.hook_parameters), "<= 20")
        if self.profiling_interval_ms is not None:
            problems.require_one_of(f"{prop}.profiling_interval_ms", self.profiling_interval_ms, PROFILING_INTERVALS_MS)
        if self.profiler is False and self.profiler_rules:
            problems.add(
                f"{prop}.profiler",
                False,
                "on (or no profiling rules)",
                what="must stay on: profiling rules "
                + ", ".join(r.configuration_name for r in self.profiler_rules)
                + " read the profiler's metrics",
            )


def rule_image_uri(scope: Construct, *, prop: str) -> str:
    """The built-in rule evaluator image of ``scope``'s region (a ``FindInMap`` for an agnostic stack).

    Raises:
        ValidationError: the stack's region has no Debugger rule registry (the message lists those that do).
    """
    account = image_account(
        scope,
        "Debugger",
        prop=prop,
        image=RULE_IMAGE_REPOSITORY,
        remedy=f"leave Debugger rules out there (see {RULE_IMAGES_DOC})",
    )
    stack = stack_of(scope)
    env = env_of(stack)
    return f"{account}.dkr.ecr.{env.region}.{env.url_suffix}/{RULE_IMAGE_REPOSITORY}"


__all__ = [
    "DEFAULT_SAVE_INTERVAL",
    "HOOK_LOCAL_PATH",
    "PROFILER_RULE_PARAMETERS",
    "PROFILING_INTERVALS_MS",
    "RULE_IMAGE_REPOSITORY",
    "RULE_JOBS_DOC",
    "Debugger",
    "DebuggerRule",
    "DebuggerRuleConfig",
    "TensorCollection",
    "rule_image_uri",
]
