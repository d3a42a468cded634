"""Inference components example (docs/serve.md): two models on the shared GPU instances of one endpoint."""

from __future__ import annotations

from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_ecr as ecr

from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, SageMakerGuardrail
from constructs_ml.governance import apply_governance
from constructs_ml.operate import DeployOnApproval
from constructs_ml.serve import (
    AlarmTopic,
    ApprovedPackageParameter,
    ApprovedPackageRecord,
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
REGISTRY = "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/summarize"


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    apply_governance(app)
    # The deployed-package record exists before the serving stack reads it (see docs/serve.md).
    record = Stack(app, "ComponentsRecord", env=ENV)
    approved = ApprovedPackageParameter("/ml/summarize/deployed-package")
    ApprovedPackageRecord(record, "DeployedPackage", parameter=approved)
    stack = Stack(app, "Components", env=ENV)
    stack.add_stack_dependency(record)
    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    guardrail = SageMakerGuardrail(stack, "Guardrail", keys=[keys.data])
    alerts = AlarmTopic(stack, "Alerts", master_key=keys.messaging)
    repo = ecr.Repository.from_repository_name(stack, "Repo", "llm-inference")

    network_props = {
        "vpc": network.vpc,
        "vpc_subnets": network.subnet_selection,
        "security_groups": [network.workload_security_group],
        "guardrail": guardrail.policy,
    }
    # Summarize serves the approved package recorded in SSM (the initial artifact until then), so a
    # later `cdk deploy` keeps what deploy-on-approval rolled out.
    summarize = Model(
        stack,
        "Summarize",
        approved_package=approved,
        image=ContainerImage.from_ecr_repository(repo, "2.1"),
        model_data=ModelData.from_bucket(buckets.artifacts.bucket, "llm/summarize/model.tar.gz"),
        package_artifacts=S3Path(buckets.artifacts.bucket, "pipelines"),
        package_artifacts_key=keys.data,
        **network_props,
    )
    classify = Model(
        stack,
        "Classify",
        image=ContainerImage.from_ecr_repository(repo, "2.1"),
        model_data=ModelData.from_bucket(buckets.artifacts.bucket, "llm/classify/model.tar.gz"),
        **network_props,
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
                model=summarize,
                compute=ComputeRequirements(memory_mb=24576, cpu_cores=4, accelerators=2),
                autoscaling=ComponentAutoscaling(max_copies=4, min_copies=0, invocations_per_copy=5),
                rolling_update=RollingUpdate(batch_size=1, wait_interval=Duration.minutes(5)),
            ),
            InferenceComponent(
                "Classify",
                model=classify,
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
    assert summarize.execution_role is not None
    # Approved packages of the group roll onto the Summarize component, copy by copy.
    deployer = DeployOnApproval.for_endpoint(
        stack,
        "DeploySummarize",
        endpoint=endpoint,
        component="Summarize",
        model_package_group=REGISTRY,
        execution_role=summarize.execution_role,
        deployed_package_parameter=approved,
        package_artifacts=S3Path(buckets.artifacts.bucket, "pipelines"),
        vpc=network.vpc,
        model_security_groups=[network.workload_security_group],
        endpoint_security_group=network.endpoint_security_group,
        key=keys.messaging,
        log_key=keys.logs,
        alarm_topic=alerts.topic,
        guardrail=guardrail.policy,
    )
    network.connect(deployer.function.security_group, s3=True)  # the artifact check reads S3
    return app


if __name__ == "__main__":
    build_app().synth()
