"""Training at scale (docs/develop.md): Debugger rules, distributed training, a warm pool and checkpoints."""

from __future__ import annotations

from aws_cdk import App, Duration, Environment, Stack

from constructs_ml.develop import (
    ContainerImage,
    Debugger,
    DebuggerRule,
    DebuggerRuleConfig,
    Distribution,
    InstanceType,
    S3DataDistribution,
    S3Location,
    TrainingInput,
    TrainingPipeline,
    TrainingStep,
)
from constructs_ml.foundation import MlNetwork, Personas, PlatformBuckets, PlatformKeys
from constructs_ml.governance import apply_governance

PYTORCH = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311-cu121-ubuntu20.04-sagemaker"


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    stack = Stack(app, "TrainingScaleExample", env=Environment(account="111111111111", region="eu-west-1"))

    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    personas = Personas(stack, "Personas", keys=keys, buckets=buckets, network=network)
    images = S3Location(buckets.data.bucket, "images/train/")

    # One instance, Debugger's built-in rules; the reports land under the pipeline's artifact prefix.
    baseline = TrainingStep(
        "Baseline",
        image=ContainerImage.from_uri(PYTORCH),
        instance_type=InstanceType.of("ml.g5.2xlarge"),
        inputs=[TrainingInput("train", images)],
        hyperparameters={"epochs": 5},
        debugger=Debugger(
            rules=[
                DebuggerRuleConfig(DebuggerRule.LOSS_NOT_DECREASING, {"num_steps": 10}),
                DebuggerRule.VANISHING_GRADIENT,
                DebuggerRule.OVERFIT,
                DebuggerRuleConfig(DebuggerRule.LOW_GPU_UTILIZATION, {"threshold_p95": 80}),
                DebuggerRule.PROFILER_REPORT,
            ],
            profiling_interval_ms=500,
        ),
        keep_alive=Duration.minutes(30),  # the next job with these settings starts on the warm instances
    )
    # Four instances with torchrun, each reading its shard; spot, resuming from checkpoints.
    scaled = TrainingStep(
        "Distributed",
        image=ContainerImage.from_uri(PYTORCH),
        instance_type=InstanceType.of("ml.g5.12xlarge"),
        instance_count=4,
        distribution=Distribution.torch_distributed(),
        inputs=[TrainingInput("train", images, distribution=S3DataDistribution.SHARDED_BY_S3_KEY)],
        hyperparameters={"epochs": 20},
        use_spot_instances=True,
        max_runtime=Duration.hours(8),
        max_wait=Duration.hours(12),
        debugger=Debugger(rules=[DebuggerRule.PROFILER_REPORT]),
        depends_on=[baseline],
    )

    # The workload security group allows all TCP, UDP 500 and ESP between its members: a group that
    # does not fails synth, since multi-instance jobs (with inter-container encryption) need them.
    TrainingPipeline(
        stack,
        "Vision",
        steps=[baseline, scaled],
        vpc=network.vpc,
        security_groups=[network.workload_security_group],
        encryption_key=keys.data,
        artifacts_bucket=buckets.artifacts.bucket,
        guardrail=personas.guardrail.policy,
    )

    apply_governance(app)  # cdk-nag packs + the SageMaker pack: synth fails on any finding
    return app


if __name__ == "__main__":
    build_app().synth()
