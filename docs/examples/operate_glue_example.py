"""Operate glue example of the README (docs/operate-glue.md): retraining trigger and deploy-on-approval."""

from __future__ import annotations

from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events

from constructs_ml.develop import TrainingPipeline
from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, SageMakerGuardrail
from constructs_ml.governance import apply_governance
from constructs_ml.operate import DeployOnApproval, NewDataTrigger, RetrainingTrigger, ScheduleTrigger
from constructs_ml.serve import (
    AlarmTopic,
    ApprovedPackageParameter,
    ApprovedPackageRecord,
    ContainerImage,
    DataCapture,
    DeploymentConfig,
    Endpoint,
    InstanceType,
    InstanceVariant,
    Model,
    ModelData,
    S3Path,
)

ENV = Environment(account="111111111111", region="eu-west-1")
REGISTRY = "arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/churn"  # a central registry account


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    apply_governance(app)

    # -- build stack: the platform pieces, the retraining trigger, and the deployed-package record ----
    build = Stack(app, "GlueBuild", env=ENV)
    keys = PlatformKeys(build, "Keys")
    network = MlNetwork(build, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    buckets = PlatformBuckets(build, "Buckets", key=keys.data)  # the data bucket sends events to EventBridge
    guardrail = SageMakerGuardrail(build, "Guardrail", keys=[keys.data])
    alerts = AlarmTopic(build, "Alerts", master_key=keys.messaging)
    pipeline = TrainingPipeline.from_pipeline_name(build, "Pipeline", "churn-training")

    RetrainingTrigger(
        build,
        "Retraining",
        pipeline=pipeline,
        new_data=NewDataTrigger(buckets.data, "churn/incoming/"),  # through the function: debounced
        schedule=ScheduleTrigger(events.Schedule.rate(Duration.days(7))),  # direct EventBridge -> pipeline
        monitoring_schedules=["arn:aws:sagemaker:eu-west-1:111111111111:monitoring-schedule/churn-data-quality"],
        cooldown=Duration.hours(6),
        vpc=network.vpc,
        endpoint_security_group=network.endpoint_security_group,
        dynamodb_prefix_list_id="pl-6ea54007",  # com.amazonaws.eu-west-1.dynamodb
        key=keys.messaging,
        log_key=keys.logs,
        alarm_topic=alerts.topic,
        guardrail=guardrail.policy,
    )
    # The record must exist before the serving stack is deployed: it is created here, with "none".
    approved = ApprovedPackageParameter("/ml/churn/deployed-package")
    ApprovedPackageRecord(build, "DeployedPackage", parameter=approved)

    # -- serving stack: the endpoint serves the recorded package (the initial model until an approval) --
    serving = Stack(app, "GlueServing", env=ENV)
    serving.add_stack_dependency(build)  # the record and the network come first
    model = Model(
        serving,
        "Model",
        approved_package=approved,  # read from SSM at every deploy: a later `cdk deploy` keeps the approval
        image=ContainerImage.from_ecr_repository(ecr.Repository.from_repository_name(serving, "Repo", "churn"), "1.0"),
        model_data=ModelData.from_bucket(buckets.artifacts.bucket, "churn/initial/model.tar.gz"),
        vpc=network.vpc,
        vpc_subnets=network.subnet_selection,
        security_groups=[network.workload_security_group],
        guardrail=guardrail.policy,
    )
    endpoint = Endpoint(
        serving,
        "Churn",
        endpoint_name="churn-prod",
        variants=[InstanceVariant(model=model, instance_type=InstanceType.ML_M5_LARGE, initial_instance_count=2)],
        kms_key=keys.data,
        alarm_topic=alerts.topic,
        data_capture=DataCapture(destination=S3Path(buckets.capture.bucket, "churn"), sampling_percentage=20),
        deployment=DeploymentConfig.canary(10),
    )
    assert model.execution_role is not None
    DeployOnApproval.for_endpoint(  # rollback alarms, canary config, key and names come from the endpoint
        serving,
        "DeployOnApproval",
        endpoint=endpoint,
        model_package_group=REGISTRY,
        execution_role=model.execution_role,
        deployed_package_parameter=approved,
        vpc=network.vpc,
        model_security_groups=[network.workload_security_group],
        endpoint_security_group=network.endpoint_security_group,
        allow_events_from_accounts=["222222222222"],  # the registry account forwards its approval events
        key=keys.messaging,
        log_key=keys.logs,
        alarm_topic=alerts.topic,
        guardrail=guardrail.policy,
    )
    return app
