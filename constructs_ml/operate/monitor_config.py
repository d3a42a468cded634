"""Typed configuration of :class:`~constructs_ml.operate.ModelMonitor`: the four monitors, their
schedules and drift alarms, and the URI of AWS's monitoring images (region data:
:mod:`constructs_ml.develop.image_accounts`).

Baselines come from the model package version deployed to the endpoint (:class:`PackageBaselines`: the
``DriftCheckBaselines`` the build pipeline's ``QualityCheck``/``ClarifyCheck`` steps recorded when it
registered the version), or from S3 prefixes holding the same files (``statistics.json`` +
``constraints.json`` for data quality, ``constraints.json`` for model quality, Clarify's ``analysis.json``
for bias and explainability); see docs/operate.md.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Aws
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.develop.image_accounts import image_account
from constructs_ml.errors import Problems
from constructs_ml.foundation.arns import sagemaker_arn, sagemaker_arn_name
from constructs_ml.operate.monitor_schedule import eventbridge_schedule_problems, sagemaker_schedule_problems
from constructs_ml.serve.common import S3Path
from constructs_ml.serve.model_parts import ApprovedPackageParameter

_GROUP_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

#: Model-quality metrics that are fractions (an alarm threshold outside [0, 1] can never be crossed).
FRACTION_METRICS = frozenset(
    {
        "accuracy",
        "precision",
        "recall",
        "f1",
        "f0_5",
        "f2",
        "auc",
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
        "balanced_accuracy",
        "weighted_f1",
        "weighted_precision",
        "weighted_recall",
    }
)
_OFFSET = re.compile(r"^-P(?=\d|T\d)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$")


class MonitoringType(enum.Enum):
    """The four SageMaker Model Monitor types (the ``MonitoringType`` of a schedule)."""

    DATA_QUALITY = "DataQuality"
    MODEL_QUALITY = "ModelQuality"
    MODEL_BIAS = "ModelBias"
    MODEL_EXPLAINABILITY = "ModelExplainability"

    @property
    def namespace(self) -> str:
        """The CloudWatch namespace the monitor publishes its metrics to."""
        return {
            MonitoringType.DATA_QUALITY: "aws/sagemaker/Endpoints/data-metrics",
            MonitoringType.MODEL_QUALITY: "aws/sagemaker/Endpoints/model-metrics",
            MonitoringType.MODEL_BIAS: "aws/sagemaker/Endpoints/bias-metrics",
            MonitoringType.MODEL_EXPLAINABILITY: "aws/sagemaker/Endpoints/explainability-metrics",
        }[self]


class MonitorBackend(enum.Enum):
    """What runs the monitors.

    ``PIPELINE`` (default): one SageMaker pipeline per monitor, started on its schedule by an EventBridge
    rule; its processing jobs select the window of captured data, run AWS's analyzer or Clarify image on
    it against the baseline, and publish the metrics. It uses no Model Monitor API, so it works in
    accounts that cannot use Model Monitor (closed to new customers on 2026-07-30, see docs/operate.md).
    ``MODEL_MONITOR``: ``AWS::SageMaker::*JobDefinition`` + ``AWS::SageMaker::MonitoringSchedule``, for
    accounts that already use Model Monitor.
    """

    PIPELINE = "Pipeline"
    MODEL_MONITOR = "ModelMonitor"


class ProblemType(enum.Enum):
    """The model's problem type (model quality monitoring)."""

    BINARY_CLASSIFICATION = "BinaryClassification"
    MULTICLASS_CLASSIFICATION = "MulticlassClassification"
    REGRESSION = "Regression"


@dataclass(frozen=True)
class MonitorSchedule:
    """When a monitor runs (use :meth:`hourly`, :meth:`daily` or :meth:`cron`).

    Attributes:
        expression: a SageMaker schedule expression, e.g. ``cron(0 * ? * * *)``.
    """

    expression: str

    @classmethod
    def hourly(cls) -> MonitorSchedule:
        return cls("cron(0 * ? * * *)")

    @classmethod
    def daily(cls, hour: int = 0) -> MonitorSchedule:
        return cls(f"cron(0 {hour} ? * * *)")

    @classmethod
    def every_hours(cls, hours: int, start_hour: int = 0) -> MonitorSchedule:
        """Every ``hours`` hours from ``start_hour`` (both backends accept it)."""
        return cls(f"cron(0 {start_hour}/{hours} ? * * *)")

    @classmethod
    def cron(cls, expression: str) -> MonitorSchedule:
        """Any expression the backend accepts, at most hourly (checked field by field at synth, see
        :mod:`constructs_ml.operate.monitor_schedule`)."""
        return cls(expression)

    def problems(self, backend: MonitorBackend) -> list[str]:
        """What the backend would reject in this expression (empty when valid)."""
        if backend is MonitorBackend.MODEL_MONITOR:
            return sagemaker_schedule_problems(self.expression)
        return eventbridge_schedule_problems(self.expression)


@dataclass(frozen=True)
class DriftAlarm:
    """An alarm on a metric the monitor publishes.

    Attributes:
        metric_name: the metric, e.g. ``feature_baseline_drift_age`` (data quality; see
            :meth:`feature_drift`), ``accuracy`` / ``f1`` / ``rmse`` (model quality), a Clarify bias
            metric such as ``DPPL`` (bias) or a feature attribution (explainability).
        threshold: the threshold.
        comparison: how the value compares to the threshold: greater than.
        dimensions: further dimensions besides ``Endpoint`` and ``MonitoringSchedule`` (e.g.
            ``{"Feature": "age"}``, ``{"BiasStage": "post_training", "Label": "label", ...}``): none.
    """

    metric_name: str
    threshold: float
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
    dimensions: dict[str, str] = field(default_factory=dict)

    def validate(self, problems: Problems, prop: str) -> None:
        """Record a threshold no value of the metric can cross (drift distances and fractions are in [0, 1])."""
        bounded = self.metric_name.startswith("feature_baseline_drift_") or self.metric_name in FRACTION_METRICS
        if bounded:
            problems.require(
                0.0 <= self.threshold <= 1.0,
                f"{prop}.threshold",
                self.threshold,
                f"a value in [0, 1] ({self.metric_name} is a distance or a fraction)",
            )

    @classmethod
    def feature_drift(cls, feature: str, threshold: float = 0.1) -> DriftAlarm:
        """Data quality: the distance between the feature's distribution and its baseline."""
        return cls(f"feature_baseline_drift_{feature}", threshold, dimensions={"Feature": feature})

    @classmethod
    def below(cls, metric_name: str, threshold: float, **dimensions: str) -> DriftAlarm:
        """Alarm when the metric falls below ``threshold`` (e.g. model quality ``accuracy``)."""
        return cls(metric_name, threshold, cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD, dict(dimensions))


@dataclass(frozen=True)
class CaptureAttributes:
    """Where the monitor finds features, predictions and probabilities in captured records.

    Attributes:
        features_attribute: JSONPath/index of the features (bias, explainability): none (CSV).
        inference_attribute: index or JSONPath of the prediction: none.
        probability_attribute: index or JSONPath of the probability: none.
        probability_threshold: threshold turning probabilities into labels: none.
        start_time_offset / end_time_offset: the window of captured data joined with ground truth,
            e.g. ``-PT2H`` / ``-PT1H``: SageMaker's default.
    """

    features_attribute: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold: float | None = None
    start_time_offset: str | None = None
    end_time_offset: str | None = None

    def validate(self, problems: Problems, prop: str) -> None:
        """Record bad values: a threshold outside [0, 1], a threshold without a probability (and the
        reverse), offsets that are not negative ISO-8601 durations or do not make a window."""
        t = self.probability_threshold
        if t is not None:
            problems.require(0.0 <= t <= 1.0, f"{prop}.probability_threshold", t, "a probability in [0, 1]")
        if (t is None) != (self.probability_attribute is None):
            problems.add(
                f"{prop}.probability_attribute/probability_threshold",
                (self.probability_attribute, t),
                "both (a model that returns probabilities: the label is probability >= threshold) or neither",
            )
        for name, value in (("start_time_offset", self.start_time_offset), ("end_time_offset", self.end_time_offset)):
            if value is not None:
                problems.require(
                    bool(_OFFSET.match(value)),
                    f"{prop}.{name}",
                    value,
                    "a negative ISO-8601 duration, e.g. -PT2H, -P1D",
                )
        if (self.start_time_offset is None) != (self.end_time_offset is None):
            problems.add(
                f"{prop}.start_time_offset/end_time_offset",
                (self.start_time_offset, self.end_time_offset),
                "both or neither (the window of captured data joined with late ground truth)",
            )
        elif self.start_time_offset is not None and self.end_time_offset is not None:
            start, end = offset_seconds(self.start_time_offset), offset_seconds(self.end_time_offset)
            if start is not None and end is not None:
                problems.require(
                    start < end,
                    f"{prop}.start_time_offset/end_time_offset",
                    f"{self.start_time_offset} / {self.end_time_offset}",
                    "a start offset earlier than the end offset (e.g. -PT2H / -PT1H)",
                )


def offset_seconds(offset: str) -> int | None:
    """Seconds of a negative ISO-8601 duration such as ``-P1DT2H`` (None when it is not one)."""
    m = _OFFSET.match(offset)
    if m is None:
        return None
    days = int((m.group(1) or "0D")[:-1])
    hours = int((m.group(3) or "0H")[:-1])
    minutes = int((m.group(4) or "0M")[:-1])
    return -(days * 86400 + hours * 3600 + minutes * 60)


@dataclass(frozen=True)
class DataQualityMonitor:
    """Drift of the input data against a baseline (statistics + constraints).

    Attributes:
        baseline: prefix holding ``statistics.json`` and ``constraints.json``: no baseline (the job
            only computes statistics).
        schedule: when to run: hourly.
        alarms: alarms on published metrics (e.g. ``DriftAlarm.feature_drift("age")``): none.
    """

    baseline: S3Path | None = None
    schedule: MonitorSchedule = field(default_factory=MonitorSchedule.hourly)
    alarms: Sequence[DriftAlarm] = ()

    monitoring_type = MonitoringType.DATA_QUALITY


@dataclass(frozen=True)
class ModelQualityMonitor:
    """Prediction quality against ground truth labels.

    Attributes:
        problem_type: binary, multiclass or regression.
        ground_truth: prefix where labelled ground truth is written (required).
        attributes: where predictions/probabilities are in captured records.
        baseline: prefix holding ``constraints.json``: none.
        schedule: when to run: hourly.
        alarms: e.g. ``DriftAlarm.below("accuracy", 0.8)``: none.
    """

    problem_type: ProblemType
    ground_truth: S3Path
    attributes: CaptureAttributes = field(default_factory=CaptureAttributes)
    baseline: S3Path | None = None
    schedule: MonitorSchedule = field(default_factory=MonitorSchedule.hourly)
    alarms: Sequence[DriftAlarm] = ()

    monitoring_type = MonitoringType.MODEL_QUALITY


@dataclass(frozen=True)
class BiasMonitor:
    """Bias drift of predictions (SageMaker Clarify).

    Attributes:
        analysis_config: the Clarify ``analysis_config.json`` object (label, facets, metrics).
        ground_truth: prefix where labelled ground truth is written (required).
        attributes: where features/predictions are in captured records.
        baseline: prefix holding the ClarifyCheck step's ``analysis.json``: none.
        schedule: when to run: daily.
        alarms: e.g. ``DriftAlarm("DPPL", 0.2, dimensions={...})``: none.
    """

    analysis_config: S3Path
    ground_truth: S3Path
    attributes: CaptureAttributes = field(default_factory=CaptureAttributes)
    baseline: S3Path | None = None
    schedule: MonitorSchedule = field(default_factory=MonitorSchedule.daily)
    alarms: Sequence[DriftAlarm] = ()

    monitoring_type = MonitoringType.MODEL_BIAS


@dataclass(frozen=True)
class ExplainabilityMonitor:
    """Drift of feature attributions (SageMaker Clarify SHAP).

    Attributes:
        analysis_config: the Clarify ``analysis_config.json`` object (SHAP baseline and settings).
        attributes: where features/predictions are in captured records.
        baseline: prefix holding the ClarifyCheck step's ``analysis.json``: none.
        schedule: when to run: daily.
        alarms: alarms on attribution metrics: none.
    """

    analysis_config: S3Path
    attributes: CaptureAttributes = field(default_factory=CaptureAttributes)
    baseline: S3Path | None = None
    schedule: MonitorSchedule = field(default_factory=MonitorSchedule.daily)
    alarms: Sequence[DriftAlarm] = ()

    monitoring_type = MonitoringType.MODEL_EXPLAINABILITY


MonitorConfig = DataQualityMonitor | ModelQualityMonitor | BiasMonitor | ExplainabilityMonitor


@dataclass(frozen=True)
class PackageBaselines:
    """Compare against the baselines of the model package version deployed to the endpoint.

    Each run's ``Window`` step reads the deployed version's ARN from ``deployed_package`` (written by
    deploy-on-approval), describes the version and copies the files its ``DriftCheckBaselines`` records for
    the monitor (data quality: statistics and constraints; model quality: constraints; bias: post-training
    constraints; explainability: constraints) for the analysis. While the parameter holds its placeholder,
    or the version records nothing for a monitor, the monitor's own ``baseline`` prefix is used if its
    files exist; with neither, the run analyses nothing and says so in its log (``"baseline": 0``).
    Pipeline backend only.

    Attributes:
        deployed_package: the SSM parameter holding the deployed version's ARN.
        model_package_group_name: the registry group of the deployed versions (the role may describe
            only its versions).
        artifacts: where the registered versions' baseline files are (the jobs' role may read under it,
            decrypting with the monitor's ``kms_key``), e.g. ``S3Path(artifacts_bucket, "pipelines")``.
        registry_account: the account of the group and of ``artifacts`` when they are a central registry's
            in another account of the same region (a delivery stage): the role describes that account's
            versions and decrypts the files with that account's key only through S3 and only for
            ``artifacts``' bucket, which then needs a literal name. None (this account).
    """

    deployed_package: ApprovedPackageParameter
    model_package_group_name: str
    artifacts: S3Path
    registry_account: str | None = None

    def version_arn(self, scope: Construct, version: str) -> str:
        """The ARN of a version (or ``*``) of the group, in the registry's account."""
        name = sagemaker_arn_name("model-package", f"{self.model_package_group_name}/{version}")
        if self.registry_account is None:
            return sagemaker_arn(scope, "model-package", f"{self.model_package_group_name}/{version}")
        stack = stack_of(scope)
        env = env_of(stack)
        return f"arn:{env.partition}:sagemaker:{env.region}:{self.registry_account}:model-package/{name}"

    def validate(self, problems: Problems, prop: str) -> None:
        """Record a bad parameter, group name or artifacts prefix."""
        for problem in self.deployed_package.problems():
            problems.add(f"{prop}.deployed_package", self.deployed_package.parameter_name, problem, what=problem)
        problems.require(
            bool(_GROUP_NAME.match(self.model_package_group_name)),
            f"{prop}.model_package_group_name",
            self.model_package_group_name,
            "a model package group name (1..63 letters, digits and hyphens)",
        )
        reason = self.artifacts.prefix_problem()
        if reason is not None:
            problems.add(f"{prop}.artifacts", self.artifacts.prefix, reason)
        if self.registry_account is not None:
            problems.require(
                isinstance(self.registry_account, str) and re.fullmatch(r"\d{12}", self.registry_account) is not None,
                f"{prop}.registry_account",
                self.registry_account,
                "a 12-digit AWS account id",
            )
            problems.require(
                not is_unresolved(self.artifacts.bucket.bucket_name),
                f"{prop}.artifacts",
                f"bucket {self.artifacts.bucket.node.path}",
                "a bucket with a literal name (e.g. s3.Bucket.from_bucket_name) with registry_account",
            )


@dataclass(frozen=True)
class BatchTransformCapture:
    """Monitor a batch transform's captured data instead of an endpoint's.

    Attributes:
        captured: the transform job's ``DataCaptureConfig.DestinationS3Uri`` prefix.
        dataset_format: ``csv`` (with header), ``json`` (JSON lines) or ``parquet``: csv.
    """

    captured: S3Path
    dataset_format: str = "csv"

    def format_property(self) -> dict[str, object]:
        formats: dict[str, dict[str, object]] = {
            "csv": {"Csv": {"Header": True}},
            "json": {"Json": {"Line": True}},
            "parquet": {"Parquet": True},
        }
        return formats[self.dataset_format]


def monitoring_image_uri(scope: Construct, monitoring_type: MonitoringType) -> str:
    """The AWS monitoring image for ``monitoring_type`` in the scope's region.

    The registry account comes from :func:`~constructs_ml.develop.image_accounts.image_account` (the region
    data of every AWS image, generated from the SageMaker Python SDK): a literal for a concrete region, a
    ``ValidationError`` naming ``scope`` where AWS does not publish the image, ``Fn::FindInMap`` on
    ``AWS::Region`` in an environment-agnostic stack.
    """
    clarify = monitoring_type in (MonitoringType.MODEL_BIAS, MonitoringType.MODEL_EXPLAINABILITY)
    repo = "sagemaker-clarify-processing:1.0" if clarify else "sagemaker-model-monitor-analyzer"
    remedy = f"or pass image_uris={{MonitoringType.{monitoring_type.name}: <image URI>}}"
    family = "Clarify" if clarify else "ModelMonitor"
    account = image_account(scope, family, prop=f"{monitoring_type.value} image", image=repo, remedy=remedy)
    return f"{account}.dkr.ecr.{stack_env(scope).region}.{Aws.URL_SUFFIX}/{repo}"
