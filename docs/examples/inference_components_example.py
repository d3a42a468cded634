"""Inference components example (docs/serve.md): two models on the shared GPU instances of one endpoint."""

from __future__ import annotations

from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_ecr as ecr

from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, SageMakerGuardrail
from constructs_ml.governance import apply_governance
from constructs_ml.serve import (
    AlarmTopic,
    ComponentAutoscaling,
    ComponentVariant,
    ComputeRequirements,
    ContainerImage,
    DataCapture,
    Endpoint,
    InferenceComponent,
    InstanceType,
    Model,
    ModelData,
    RollingUpdate,
    S3Path,
)

ENV = Environment(account="111111111111", region="eu-west-1")


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    apply_governance(app)
    stack = Stack(app, "Components", env=ENV)
    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    guardrail = SageMakerGuardrail(stack, "Guardrail", keys=[keys.data])
    alerts = AlarmTopic(stack, "Alerts", master_key=keys.messaging)
    repo = ecr.Repository.from_repository_name(stack, "Repo", "llm-inference")

    def model(name: str, key: str) -> Model:  # isolated, in the VPC, a role scoped to its artifact
        return Model(
            stack,
            name,
            image=ContainerImage.from_ecr_repository(repo, "2.1"),
            model_data=ModelData.from_bucket(buckets.artifacts.bucket, key),
            vpc=network.vpc,
            vpc_subnets=network.subnet_selection,
            security_groups=[network.workload_security_group],
            guardrail=guardrail.policy,
        )

    endpoint = Endpoint(
        stack,
        "Assistants",
        endpoint_name="assistants",
        # Instances without a model; managed instance scaling may release them all when idle.
        variants=[
            ComponentVariant(
                instance_type=InstanceType.of("ml.g5.12xlarge"), min_instance_count=0, max_instance_count=3
            )
        ],
        components=[
            InferenceComponent(
                "Summarize",
                model=model("Summarize", "llm/summarize/model.tar.gz"),
                compute=ComputeRequirements(memory_mb=24576, cpu_cores=4, accelerators=2),
                autoscaling=ComponentAutoscaling(max_copies=4, min_copies=0, invocations_per_copy=5),
                rolling_update=RollingUpdate(batch_size=1, wait_interval=Duration.minutes(5)),
            ),
            InferenceComponent(
                "Classify",
                model=model("Classify", "llm/classify/model.tar.gz"),
                compute=ComputeRequirements(memory_mb=8192, cpu_cores=2, accelerators=1),
                copies=2,
                autoscaling=ComponentAutoscaling(max_copies=4, min_copies=1),
            ),
        ],
        vpc=network.vpc,
        vpc_subnets=network.subnet_selection,
        security_groups=[network.workload_security_group],
        guardrail=guardrail.policy,
        kms_key=keys.data,
        alarm_topic=alerts.topic,
        data_capture=DataCapture(destination=S3Path(buckets.capture.bucket, "assistants"), sampling_percentage=10),
    )
    assert len(endpoint.components) == 2 and len(endpoint.rollback_alarms) == 4
    return app


if __name__ == "__main__":
    build_app().synth()
