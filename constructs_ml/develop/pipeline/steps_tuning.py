"""Tuning steps: hyperparameter tuning (Bayesian, random, grid, Hyperband) over a training job.

Example::

    tune = TuningStep("Tune",
        image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST),
        inputs=[TrainingInput("train", prep.output("train"), content_type="text/csv"),
                TrainingInput("validation", prep.output("validation"), content_type="text/csv")],
        hyperparameters={"objective": "binary:logistic"},
        objective=TuningObjective.maximize("validation:auc"),
        ranges=[IntegerRange("max_depth", 3, 10), ContinuousRange("eta", 0.01, 0.3)],
        max_jobs=20, max_parallel_jobs=2)
    tune.top_model_artifacts(0)  # the best model's model.tar.gz
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from constructs import Construct

from constructs_ml.develop.pipeline.properties import Join, StepProperty
from constructs_ml.develop.pipeline.steps_base import RenderContext, ResourceAccess
from constructs_ml.develop.pipeline.steps_training import TrainingJobStep, hyperparameter_value
from constructs_ml.errors import Problems


class ScalingType:
    """How a range is searched."""

    AUTO = "Auto"
    LINEAR = "Linear"
    LOGARITHMIC = "Logarithmic"
    REVERSE_LOGARITHMIC = "ReverseLogarithmic"


def _bounded_range(name: str, min_value: float, max_value: float, scaling: str) -> dict[str, Any]:
    """An integer or continuous parameter range (the two have one shape; the bounds are strings)."""
    return {"Name": name, "MinValue": str(min_value), "MaxValue": str(max_value), "ScalingType": scaling}


@dataclass(frozen=True)
class IntegerRange:
    """An integer hyperparameter range ``[min_value, max_value]``."""

    name: str
    min_value: int
    max_value: int
    scaling: str = ScalingType.AUTO

    def to_definition(self) -> dict[str, Any]:
        return _bounded_range(self.name, self.min_value, self.max_value, self.scaling)


@dataclass(frozen=True)
class ContinuousRange:
    """A continuous hyperparameter range ``[min_value, max_value]``."""

    name: str
    min_value: float
    max_value: float
    scaling: str = ScalingType.AUTO

    def to_definition(self) -> dict[str, Any]:
        return _bounded_range(self.name, self.min_value, self.max_value, self.scaling)


@dataclass(frozen=True)
class CategoricalRange:
    """A categorical hyperparameter: one of ``values``."""

    name: str
    values: Sequence[str]

    def to_definition(self) -> dict[str, Any]:
        return {"Name": self.name, "Values": [str(v) for v in self.values]}


Range = IntegerRange | ContinuousRange | CategoricalRange


@dataclass(frozen=True)
class TuningObjective:
    """The metric to optimise: ``TuningObjective.maximize("validation:auc")``."""

    metric_name: str
    type: str

    @staticmethod
    def maximize(metric_name: str) -> TuningObjective:
        return TuningObjective(metric_name, "Maximize")

    @staticmethod
    def minimize(metric_name: str) -> TuningObjective:
        return TuningObjective(metric_name, "Minimize")

    def to_definition(self) -> dict[str, Any]:
        return {"Type": self.type, "MetricName": self.metric_name}


class TuningStrategy:
    """The search strategy."""

    BAYESIAN = "Bayesian"
    RANDOM = "Random"
    GRID = "Grid"
    HYPERBAND = "Hyperband"

    ALL: ClassVar[tuple[str, ...]] = (BAYESIAN, RANDOM, GRID, HYPERBAND)


class TuningStep(TrainingJobStep):
    """A hyperparameter tuning job over one training job definition.

    Takes every argument of :class:`~constructs_ml.develop.pipeline.steps_training.TrainingStep` (the
    hyperparameters, with a ``distribution``'s, become the static ones) except ``debugger`` and
    ``keep_alive``: a tuning job's training job definition has no Debugger members, and this library
    offers managed warm pools on training steps only. Plus:

    Args:
        objective: the metric to optimise.
        ranges: the hyperparameter ranges (min <= max; Grid accepts categorical ranges only).
        strategy: a :class:`TuningStrategy`: Bayesian.
        max_jobs: training jobs in total (not with Grid, which runs every combination): 10.
        max_parallel_jobs: training jobs at once: 2.
        early_stopping: stop poorly performing jobs early (``Auto``): on, except with Hyperband, which
            stops jobs by itself (there it must stay off).
        hyperband_min_resource / hyperband_max_resource: Hyperband's resource bounds (epochs): the
            service defaults.
        target_objective_value: stop tuning once the objective reaches this value: not set.
    """

    step_type = "Tuning"

    def __init__(
        self,
        name: str,
        *,
        objective: TuningObjective,
        ranges: Sequence[Range],
        strategy: str = TuningStrategy.BAYESIAN,
        max_jobs: int | None = 10,
        max_parallel_jobs: int = 2,
        early_stopping: bool | None = None,
        hyperband_min_resource: int | None = None,
        hyperband_max_resource: int | None = None,
        target_objective_value: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.objective = objective
        self.ranges = list(ranges)
        self.strategy = strategy
        self.max_jobs = max_jobs
        self.max_parallel_jobs = max_parallel_jobs
        self.early_stopping = early_stopping if early_stopping is not None else strategy != TuningStrategy.HYPERBAND
        self.hyperband_min_resource = hyperband_min_resource
        self.hyperband_max_resource = hyperband_max_resource
        self.target_objective_value = target_objective_value
        self._top_models: list[_TopModel] = []

    @property
    def best_training_job_name(self) -> StepProperty:
        return self.property("BestTrainingJob.TrainingJobName")

    def top_model_artifacts(self, rank: int = 0) -> Join:
        """The ``model.tar.gz`` of the ``rank``-th best training job (0 = best)."""
        top = _TopModel(self, rank)
        self._top_models.append(top)
        return top

    def prepare(self, ctx: RenderContext) -> None:
        for top in self._top_models:
            top.bind_output(self.model_output(ctx).uri)

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        job = self.job_definition(ctx)
        static = {k: hyperparameter_value(v) for k, v in self.hyperparameters.items()}
        if self.distribution is not None:
            static = {**self.distribution.hyperparameters(self.instance_type), **static}
        if static:
            job["StaticHyperParameters"] = static
        ranges: dict[str, list[dict[str, Any]]] = {}
        for r in self.ranges:
            key = {
                IntegerRange: "IntegerParameterRanges",
                ContinuousRange: "ContinuousParameterRanges",
                CategoricalRange: "CategoricalParameterRanges",
            }[type(r)]
            ranges.setdefault(key, []).append(r.to_definition())
        limits: dict[str, Any] = {"MaxParallelTrainingJobs": self.max_parallel_jobs}
        if self.strategy != TuningStrategy.GRID and self.max_jobs is not None:
            limits["MaxNumberOfTrainingJobs"] = self.max_jobs
        config: dict[str, Any] = {
            "Strategy": self.strategy,
            "HyperParameterTuningJobObjective": self.objective.to_definition(),
            "ResourceLimits": limits,
            "ParameterRanges": ranges,
            "TrainingJobEarlyStoppingType": "Auto" if self.early_stopping else "Off",
        }
        if self.strategy == TuningStrategy.HYPERBAND and (self.hyperband_min_resource or self.hyperband_max_resource):
            hyperband: dict[str, Any] = {}
            if self.hyperband_min_resource is not None:
                hyperband["MinResource"] = self.hyperband_min_resource
            if self.hyperband_max_resource is not None:
                hyperband["MaxResource"] = self.hyperband_max_resource
            config["StrategyConfig"] = {"HyperbandStrategyConfig": hyperband}
        if self.target_objective_value is not None:
            config["TuningJobCompletionCriteria"] = {"TargetObjectiveMetricValue": self.target_objective_value}
        return {"HyperParameterTuningJobConfig": config, "TrainingJobDefinition": job}

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        p = self.prop
        if self.debugger is not None:
            problems.add(
                p("debugger"), "Debugger(...)", "", what="is not supported on a Tuning step (use a TrainingStep)"
            )
        if self.keep_alive is not None:
            problems.add(
                p("keep_alive"),
                self.keep_alive.to_seconds(),
                "",
                what="is not supported on a Tuning step (managed warm pools: TrainingStep only)",
            )
        problems.require_one_of(p("strategy"), self.strategy, TuningStrategy.ALL)
        problems.require_one_of(p("objective.type"), self.objective.type, ("Maximize", "Minimize"))
        problems.require(bool(self.ranges), p("ranges"), self.ranges, "at least one range")
        problems.unique(p("ranges[].name"), [r.name for r in self.ranges])
        for r in self.ranges:
            if isinstance(r, IntegerRange | ContinuousRange):
                problems.require(
                    r.min_value <= r.max_value,
                    p(f"ranges[{r.name}]"),
                    f"{r.min_value}..{r.max_value}",
                    "min_value <= max_value",
                )
                if r.scaling == ScalingType.LOGARITHMIC:
                    problems.require(
                        r.min_value > 0, p(f"ranges[{r.name}].min_value"), r.min_value, "> 0 with logarithmic scaling"
                    )
            else:
                problems.require(bool(r.values), p(f"ranges[{r.name}].values"), list(r.values), "non-empty")
        problems.require_range(p("max_parallel_jobs"), self.max_parallel_jobs, 1, 100)
        if self.strategy == TuningStrategy.GRID:
            problems.require(
                all(isinstance(r, CategoricalRange) for r in self.ranges),
                p("ranges"),
                [type(r).__name__ for r in self.ranges],
                "categorical ranges only with the Grid strategy",
            )
        elif self.max_jobs is not None:
            problems.require_range(p("max_jobs"), self.max_jobs, 1, 10000)
            problems.require(
                self.max_parallel_jobs <= self.max_jobs,
                p("max_parallel_jobs"),
                self.max_parallel_jobs,
                f"<= max_jobs ({self.max_jobs})",
            )
        if self.strategy == TuningStrategy.HYPERBAND:
            problems.require(
                not self.early_stopping,
                p("early_stopping"),
                self.early_stopping,
                "off with Hyperband (it stops jobs itself)",
            )
        elif self.hyperband_min_resource is not None or self.hyperband_max_resource is not None:
            problems.add(
                p("hyperband_min_resource"),
                self.hyperband_min_resource,
                "only with the Hyperband strategy",
                what="is only valid",
            )
        if self.hyperband_min_resource is not None and self.hyperband_max_resource is not None:
            problems.require(
                self.hyperband_min_resource <= self.hyperband_max_resource,
                p("hyperband_min_resource"),
                self.hyperband_min_resource,
                f"<= hyperband_max_resource ({self.hyperband_max_resource})",
            )

    def collect(self, access: ResourceAccess) -> None:
        super().collect(access)
        access.job_kinds.add("hyper-parameter-tuning-job")


class _TopModel(Join):
    """``<output>/<k-th best job name>/output/model.tar.gz``, resolved with the step's output location."""

    def __init__(self, step: TuningStep, rank: int) -> None:
        super().__init__([], on="/")
        self.step = step
        self.rank = rank

    def bind_output(self, output_uri: str) -> None:
        self.values = [
            output_uri.rstrip("/"),
            self.step.property(f"TrainingJobSummaries[{self.rank}].TrainingJobName"),
            "output/model.tar.gz",
        ]

    def to_expression(self) -> Any:
        if not self.values:
            raise ValueError(
                f"top_model_artifacts of tuning step {self.step.name} used outside a TrainingPipeline render"
            )
        return super().to_expression()


__all__ = [
    "CategoricalRange",
    "ContinuousRange",
    "IntegerRange",
    "Range",
    "ScalingType",
    "TuningObjective",
    "TuningStep",
    "TuningStrategy",
]
