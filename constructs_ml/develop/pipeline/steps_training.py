"""Training steps: a SageMaker training job, with spot, checkpoints, warm pools, Debugger and distribution.

Secure by default: the job runs in the pipeline's VPC, its volume and model output are encrypted with
the pipeline key, network isolation and inter-container traffic encryption are on. Training at scale:
``instance_count > 1`` with a :class:`~constructs_ml.develop.pipeline.training_distribution.Distribution`
(the pipeline checks its security groups allow what the instances need between them), managed warm
pools (``keep_alive``), checkpoints on the artifact prefix, and Debugger rules
(:mod:`~constructs_ml.develop.pipeline.training_debugger`).

Example::

    train = TrainingStep("Train",
        image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1"),
        inputs=[TrainingInput("train", prep.output("train"), content_type="text/csv")],
        hyperparameters={"objective": "binary:logistic", "num_round": 100},
        use_spot_instances=True, max_runtime=Duration.hours(1), max_wait=Duration.hours(2))
    train.model_artifacts  # the model.tar.gz URI, for evaluation and registration
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from constructs import Construct

from constructs_ml.develop.images import ContainerImage
from constructs_ml.develop.pipeline.parameters import Parameter, ParameterString
from constructs_ml.develop.pipeline.properties import Join, PipelineValue, S3Location, StepProperty, render_value
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
from constructs_ml.develop.pipeline.steps_processing import per_execution
from constructs_ml.develop.pipeline.training_debugger import Debugger
from constructs_ml.develop.pipeline.training_distribution import Distribution, S3DataDistribution, is_multi_instance
from constructs_ml.errors import Problems

#: Longest training run the service accepts (28 days).
MAX_TRAINING_SECONDS = 28 * 24 * 3600
#: Longest managed warm pool keep-alive the API accepts (botocore ``KeepAlivePeriodInSeconds``).
MAX_KEEP_ALIVE_SECONDS = 21600
#: Where the container writes checkpoints (SageMaker syncs it with the checkpoint S3 URI).
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"


@dataclass(frozen=True)
class TrainingInput:
    """A training channel.

    Attributes:
        channel: the channel name (``train``, ``validation``...), unique in the step.
        source: an S3 location (the job role gets read access) or a pipeline value such as a
            processing step's output.
        content_type: the MIME type of the data, e.g. ``text/csv``: not set.
        input_mode: ``File`` (default), ``Pipe`` or ``FastFile``.
        distribution: ``FullyReplicated`` (default) or ``ShardedByS3Key``.
        s3_data_type: ``S3Prefix`` (default), ``ManifestFile`` or ``AugmentedManifestFile``.
    """

    channel: str
    source: S3Location | PipelineValue
    content_type: str | None = None
    input_mode: str = "File"
    distribution: str = "FullyReplicated"
    s3_data_type: str = "S3Prefix"

    def to_definition(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ChannelName": self.channel,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": self.s3_data_type,
                    "S3Uri": render_value(self.source),
                    "S3DataDistributionType": self.distribution,
                }
            },
            "InputMode": self.input_mode,
        }
        if self.content_type:
            out["ContentType"] = self.content_type
        return out


@dataclass(frozen=True)
class MetricDefinition:
    """A metric parsed from the training log: ``name`` and the ``regex`` whose first group is the value."""

    name: str
    regex: str

    def to_definition(self) -> dict[str, Any]:
        return {"Name": self.name, "Regex": self.regex}


def hyperparameter_value(value: str | int | float | bool | PipelineValue) -> Any:
    """Hyperparameters are strings: numbers are formatted, non-string parameters joined into a string."""
    if isinstance(value, ParameterString):
        return value.to_expression()
    if isinstance(value, Parameter):
        return Join([value]).to_expression()
    if isinstance(value, PipelineValue):
        return value.to_expression()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class TrainingJobStep(Step):
    """Settings shared by Training and Tuning steps (one training job definition). See :class:`TrainingStep`."""

    def __init__(
        self,
        name: str,
        *,
        image: ContainerImage,
        inputs: Sequence[TrainingInput] = (),
        hyperparameters: Mapping[str, str | int | float | bool | PipelineValue] | None = None,
        instance_type: InstanceType | PipelineValue = InstanceType.ML_M5_XLARGE,
        instance_count: int | PipelineValue = 1,
        volume_size_gb: int = 30,
        max_runtime: Duration | None = None,
        use_spot_instances: bool = False,
        max_wait: Duration | None = None,
        checkpoints: S3Location | None = None,
        checkpointing: bool | None = None,
        checkpoint_local_path: str = CHECKPOINT_LOCAL_PATH,
        output: S3Location | None = None,
        metric_definitions: Sequence[MetricDefinition] = (),
        network_isolation: bool = True,
        inter_container_encryption: bool = True,
        distribution: Distribution | None = None,
        keep_alive: Duration | None = None,
        debugger: Debugger | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.image = image
        self.inputs = list(inputs)
        self.hyperparameters = dict(hyperparameters or {})
        self.instance_type = instance_type
        self.instance_count = instance_count
        self.volume_size_gb = volume_size_gb
        self.max_runtime = max_runtime or Duration.hours(24)
        self.use_spot_instances = use_spot_instances
        self.max_wait = max_wait
        self.checkpoints = checkpoints
        self.checkpointing = (
            checkpointing if checkpointing is not None else (use_spot_instances or checkpoints is not None)
        )
        self.checkpoint_local_path = checkpoint_local_path
        self.distribution = distribution
        self.keep_alive = keep_alive
        self.debugger = debugger
        self.output_location = output
        self.metric_definitions = list(metric_definitions)
        self.network_isolation = network_isolation
        self.inter_container_encryption = inter_container_encryption

    def model_output(self, ctx: RenderContext) -> S3Location:
        """Where model artifacts go: ``output`` or ``<artifacts>/<step>/model/``."""
        return self.output_location or ctx.output_location(self.name, "model")

    def checkpoint_location(self, ctx: RenderContext) -> S3Location:
        return self.checkpoints or ctx.output_location(self.name, "checkpoints")

    @property
    def multi_instance(self) -> bool:
        """More than one instance (or a pipeline parameter that may say so at run time)."""
        return is_multi_instance(self.instance_count)

    def job_definition(self, ctx: RenderContext) -> dict[str, Any]:
        """The training job request (CreateTrainingJob without the name the pipeline assigns)."""
        algorithm: dict[str, Any] = {"TrainingImage": self.image.bind(ctx.scope), "TrainingInputMode": "File"}
        if self.metric_definitions:
            algorithm["MetricDefinitions"] = [m.to_definition() for m in self.metric_definitions]
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": seconds(self.max_runtime)}
        resources = job_instances(ctx, self.instance_type, self.instance_count, self.volume_size_gb)
        if self.keep_alive is not None:
            resources["KeepAlivePeriodInSeconds"] = seconds(self.keep_alive)
        job: dict[str, Any] = {
            "AlgorithmSpecification": algorithm,
            "RoleArn": ctx.role_arn,
            "OutputDataConfig": {"S3OutputPath": self.model_output(ctx).uri, "KmsKeyId": ctx.key_arn},
            "ResourceConfig": resources,
            "StoppingCondition": stopping,
            "VpcConfig": ctx.vpc_config(),
            "EnableNetworkIsolation": self.network_isolation,
            "EnableInterContainerTrafficEncryption": self.inter_container_encryption,
            "EnableManagedSpotTraining": self.use_spot_instances,
        }
        if self.inputs:
            job["InputDataConfig"] = [i.to_definition() for i in self.inputs]
        if self.use_spot_instances and self.max_wait is not None:
            stopping["MaxWaitTimeInSeconds"] = seconds(self.max_wait)
        if self.checkpointing:
            # One checkpoint prefix per execution: a retried job resumes, a new execution starts fresh.
            job["CheckpointConfig"] = {
                "S3Uri": render_value(per_execution(self.checkpoint_location(ctx))),
                "LocalPath": self.checkpoint_local_path,
            }
        return job

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        p = self.prop
        problems.unique(p("inputs[].channel"), [i.channel for i in self.inputs])
        problems.require_range(p("volume_size_gb"), self.volume_size_gb, 1, 16384)
        runtime = self.max_runtime.to_seconds()
        problems.require_range(p("max_runtime (s)"), runtime, 1, MAX_TRAINING_SECONDS)
        validate_job_instances(problems, self, self.instance_type, self.instance_count)
        self.image.validate(scope, problems, p("image"))
        if self.use_spot_instances:
            if self.max_wait is None:
                problems.add(
                    p("max_wait"),
                    None,
                    f">= max_runtime ({int(runtime)} s)",
                    what="is required with use_spot_instances (MaxWaitTimeInSeconds must be >= MaxRuntimeInSeconds)",
                )
            else:
                problems.require(
                    self.max_wait.to_seconds() >= runtime,
                    p("max_wait (s)"),
                    self.max_wait.to_seconds(),
                    f">= max_runtime ({int(runtime)} s)",
                )
                problems.require_range(p("max_wait (s)"), self.max_wait.to_seconds(), 1, MAX_TRAINING_SECONDS)
        elif self.max_wait is not None:
            problems.add(
                p("max_wait"),
                self.max_wait.to_seconds(),
                "only with use_spot_instances=True",
                what="is only valid for managed spot training",
            )
        if self.checkpoints is not None and self.checkpointing is False:
            problems.add(p("checkpoints"), self.checkpoints.uri, "not set with checkpointing=False", what="is unused")
        problems.require(
            self.checkpoint_local_path.startswith("/") and len(self.checkpoint_local_path) <= 4096,
            p("checkpoint_local_path"),
            self.checkpoint_local_path,
            "an absolute path in the container",
        )
        if self.keep_alive is not None:
            problems.require_range(p("keep_alive (s)"), self.keep_alive.to_seconds(), 1, MAX_KEEP_ALIVE_SECONDS)
        for i, channel in enumerate(self.inputs):
            problems.require_one_of(p(f"inputs[{i}].distribution"), channel.distribution, S3DataDistribution.ALL)
        if self.distribution is not None:
            self.distribution.validate(problems, p("distribution"))
            problems.require(
                self.multi_instance,
                p("distribution"),
                self.distribution.strategy.name,
                f"with instance_count > 1 (got instance_count {self.instance_count})",
                what="needs several instances",
            )
        if self.debugger is not None:
            self.debugger.validate(problems, p("debugger"))
            if self.debugger.uses_hook and self.distribution is not None and self.checkpointing:
                # AWS's Debugger considerations page: no Debugger for a job that is both distributed and
                # checkpointed (debugger-considerations.html).
                problems.add(
                    p("debugger"),
                    "tensor rules/collections",
                    "",
                    what=(
                        "cannot save tensors in a distributed job with checkpoints (AWS: Debugger is not available "
                        "when both distributed training and checkpoints are enabled); keep profiling rules only, "
                        "or turn checkpointing off"
                    ),
                )

    def collect(self, access: ResourceAccess) -> None:
        access.job_kinds.add("training-job")
        if self.debugger is not None and self.debugger.rules:
            access.rule_jobs = True
        if self.keep_alive is not None:
            access.keep_alive_seconds = max(access.keep_alive_seconds, seconds(self.keep_alive))
        access.images.append(self.image)
        access.reads.extend(i.source for i in self.inputs if isinstance(i.source, S3Location))
        for loc in (self.output_location, self.checkpoints):
            if loc is not None:
                access.writes.append(loc)
                access.reads.append(loc)

    def disabled_protections(self) -> list[str]:
        off = job_protections_off(
            network_isolation=self.network_isolation, inter_container_encryption=self.inter_container_encryption
        )
        if self.use_spot_instances and not self.checkpointing:
            off.append("checkpoints with managed spot training (an interrupted job starts over)")
        return off


class TrainingStep(TrainingJobStep):
    """A SageMaker training job.

    Args:
        name: the step's name.
        image: the training image (``ContainerImage.builtin``, ``from_uri``, ``from_ecr_repository``).
        inputs: the training channels: none.
        hyperparameters: hyperparameters (numbers and booleans are formatted as strings; pipeline
            parameters may be used): none.
        instance_type: ``ml.m5.xlarge``.
        instance_count: 1.
        volume_size_gb: the ML storage volume, encrypted with the pipeline key: 30 GB.
        max_runtime: stop the job after this long (<= 28 days): 24 hours.
        use_spot_instances: managed spot training: off. With spot, ``max_wait`` is required and must be
            >= ``max_runtime``, and checkpoints are kept (one prefix per execution) so an interrupted job
            resumes.
        max_wait: with spot: how long to wait for spot capacity plus run time.
        checkpoints: where checkpoints go: ``<artifacts>/<step>/checkpoints/<execution id>``.
        checkpointing: sync ``checkpoint_local_path`` with ``checkpoints`` (``CheckpointConfig``): on with spot
            or when ``checkpoints`` is given, off otherwise. Spot without checkpoints is allowed but warned:
            AWS advises checkpoints with spot, since an interrupted job otherwise starts over.
        checkpoint_local_path: where the container writes checkpoints: ``/opt/ml/checkpoints``.
        output: where model artifacts go: ``<artifacts>/<step>/model/`` (each job writes below its name).
        metric_definitions: metrics parsed from the log (built-in algorithms emit their own): none.
        network_isolation: no network access from the container: on (turning it off is a warning).
        inter_container_encryption: encrypt traffic between instances: on (off is a warning).
        distribution: how a framework image spreads training over ``instance_count > 1`` instances
            (``Distribution.torch_distributed()``, ``Distribution.mpi(...)``): none. A multi-instance step
            makes the pipeline check, at synth, that its security groups allow all TCP, UDP 500 and ESP
            between their members (:mod:`~constructs_ml.develop.pipeline.training_distribution`).
        keep_alive: keep the instances in a managed warm pool this long after the job (billed while
            kept; a later job with the same settings starts on them): none.
        debugger: Debugger rules, hook and profiler (:class:`~constructs_ml.develop.pipeline.Debugger`):
            none (no Debugger member in the request).
        **kwargs: ``display_name``, ``description``, ``depends_on``, ``retry_policies``, ``cache``.
    """

    step_type = "Training"

    @property
    def model_artifacts(self) -> StepProperty:
        """The S3 URI of the trained ``model.tar.gz``."""
        return self.property("ModelArtifacts.S3ModelArtifacts")

    @property
    def training_job_name(self) -> StepProperty:
        return self.property("TrainingJobName")

    def final_metric(self, metric_name: str) -> StepProperty:
        """The final value of a training metric (``FinalMetricDataList['<name>'].Value``)."""
        return self.property(f"FinalMetricDataList['{metric_name}'].Value")

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        job = self.job_definition(ctx)
        hyperparameters = {k: hyperparameter_value(v) for k, v in self.hyperparameters.items()}
        if self.distribution is not None:
            hyperparameters = {**self.distribution.hyperparameters(self.instance_type), **hyperparameters}
        if hyperparameters:
            job["HyperParameters"] = hyperparameters
        if self.debugger is not None:
            job.update(
                self.debugger.arguments(
                    ctx.scope, step=self.name, output_of=lambda name: ctx.output_location(self.name, name)
                )
            )
        return job


__all__ = [
    "CHECKPOINT_LOCAL_PATH",
    "MAX_KEEP_ALIVE_SECONDS",
    "MAX_TRAINING_SECONDS",
    "MetricDefinition",
    "TrainingInput",
    "TrainingJobStep",
    "TrainingStep",
    "hyperparameter_value",
]
