"""The serving stack of the reference platform: an endpoint for the approved model (the initial model
until an approval is recorded), data capture, autoscaling, all four monitors (scheduled SageMaker
pipelines by default: no Model Monitor resource, see docs/operate.md), alarms and a dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, apply_permissions_boundary
from constructs_ml.operate import (
    AlarmTopic,
    BiasMonitor,
    CaptureAttributes,
    DataQualityMonitor,
    DeployOnApproval,
    DriftAlarm,
    EndpointAlarms,
    ExplainabilityMonitor,
    MlDashboard,
    ModelMonitor,
    ModelQualityMonitor,
    MonitorBackend,
    NewDataTrigger,
    PackageBaselines,
    ProblemType,
    RetrainingTrigger,
)
from constructs_ml.operate.deploy_on_approval import ModelPackageGroupRef
from constructs_ml.operate.retraining_parts import PipelineRef
from constructs_ml.serve import (
    ApprovedPackageParameter,
    Autoscaling,
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


@dataclass(frozen=True)
class RegistryArtifacts:
    """The central registry's artifacts bucket, as another account's serving stack names it.

    Attributes:
        bucket_name: the bucket's physical name (the registry stage gives it one).
        account: the registry's account (the bucket's and its key's).
        region: the registry's region.
    """

    bucket_name: str
    account: str
    region: str


@dataclass(frozen=True)
class ServingConfig:
    """What the serving stack serves and how it watches it.

    Attributes:
        name: short name of the served model (prefixes in the buckets): ``churn``.
        initial_image_repository: ECR repository of the initial inference image.
        initial_image_tag: its tag.
        initial_model_data_key: the initial model artifact's key in the artifacts bucket.
        approved_package_parameter: SSM parameter recording the approved/deployed package (created
            earlier, e.g. by the build stack with ``ApprovedPackageRecord``); None: the initial model only.
        package_artifacts_prefix: where registered packages' model data lives in the artifacts bucket.
        instance_type / initial_instance_count / max_instance_count: hosting capacity.
        invocations_per_instance: autoscaling target.
        sampling_percentage: data capture sampling.
        problem_type: for model quality.
        inference_attribute / probability_attribute / features_attribute: where predictions and
            features are in captured records. The churn model is a binary classifier that returns the
            churn probability (CSV column 0): model quality reads it as a probability and derives the
            label with ``probability_threshold``, instead of taking the score for a label.
        probability_threshold: probability at or above which the label is 1.
        ground_truth_start_offset / ground_truth_end_offset: the window of captured data that model
            quality and bias join with ground truth; labels arrive late, so the window lies in the past
            (``-P1D`` .. ``-PT23H``: the predictions of the same hour yesterday).
        monitor_backend: what runs the monitors: scheduled pipelines (works in every account; with a
            ``model_package_group`` they compare with the baselines the deployed version records);
            ``MonitorBackend.MODEL_MONITOR`` for accounts that already use Model Monitor (static baselines).
        drift_features: features whose drift raises an alarm.
        min_accuracy: model quality alarm threshold (classification).
        retrain_on_new_data_prefix: retrain when objects land under this prefix of the data bucket: off
            when None.
        retraining_cooldown_hours: no new retraining run sooner than this after the last one.
        pinned_model_package_arn: serve exactly this model package version (e.g. production behind a manual
            promotion gate, docs/delivery.md) instead of the initial model and the approved-package record:
            not pinned.
    """

    name: str = "churn"
    initial_image_repository: str = "churn-inference"
    initial_image_tag: str = "initial"
    initial_model_data_key: str = "models/churn/initial/model.tar.gz"
    approved_package_parameter: str | None = "/constructs-ml/churn/deployed-package"
    package_artifacts_prefix: str = "pipelines"
    instance_type: str = "ml.m5.large"
    initial_instance_count: int = 2
    max_instance_count: int = 4
    invocations_per_instance: int = 200
    sampling_percentage: int = 20
    problem_type: str = "BinaryClassification"
    inference_attribute: str | None = None
    probability_attribute: str | None = "0"
    probability_threshold: float | None = 0.5
    ground_truth_start_offset: str = "-P1D"
    ground_truth_end_offset: str = "-PT23H"
    features_attribute: str | None = None
    drift_features: tuple[str, ...] = ()
    min_accuracy: float = 0.8
    retrain_on_new_data_prefix: str | None = "churn/raw/"
    retraining_cooldown_hours: int = 24
    monitor_backend: MonitorBackend = MonitorBackend.PIPELINE
    pinned_model_package_arn: str | None = None


class ServingStack(Stack):
    """Endpoint, monitors, alarms and dashboard of the reference platform.

    Deploys before any approval: the model serves ``initial_image_*`` + ``initial_model_data_key`` while
    the approved-package parameter holds its placeholder, and the recorded package afterwards (see
    :class:`~constructs_ml.serve.ApprovedPackageParameter`).

    Args:
        scope: parent construct.
        construct_id: construct id.
        config: what to serve.
        keys: platform keys (data: volumes, capture, reports; messaging: alarm topic).
        network: the isolated VPC.
        buckets: platform buckets (artifacts: models, baselines; capture: captured data and reports;
            data: ground truth).
        guardrail: the platform guardrail, attached to every role: none.
        permissions_boundary: applied to every role of the stack: none.
        model_package_group: the registry group whose approvals roll onto the endpoint (deploy on
            approval, blue/green with the endpoint's rollback alarms): no deploy-on-approval when omitted.
        pipeline: the training pipeline to start on drift, monitoring violations and new data: no
            retraining trigger when omitted.
        dynamodb_prefix_list_id: the region's DynamoDB prefix list, for the retraining function's
            egress to its idempotency table through the gateway endpoint.
        approval_events_from_accounts: the accounts (a central registry's) whose forwarded approval events
            this account's default bus accepts, for deploy-on-approval from a registry in another account:
            none.
        registry_artifacts: where the central registry's packages keep their model data, when the registry
            is another account's (delivery stages): approved packages are checked against that bucket and
            the model role reads and decrypts it (the registry grants this account with
            ``ModelRegistry.grant_cross_account_read``); the S3 gateway endpoint admits it. None (this
            account's artifacts bucket).
        **kwargs: ``Stack`` props (env, ...).

    Attributes:
        model, endpoint, alarm_topic, monitor, alarms, dashboard, deploy_on_approval, retraining.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ServingConfig,
        keys: PlatformKeys,
        network: MlNetwork,
        buckets: PlatformBuckets,
        guardrail: iam.IManagedPolicy | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
        model_package_group: ModelPackageGroupRef | str | None = None,
        pipeline: PipelineRef | str | None = None,
        dynamodb_prefix_list_id: str | None = None,
        approval_events_from_accounts: Sequence[str] = (),
        registry_artifacts: RegistryArtifacts | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description="constructs-ml reference platform: serving", **kwargs)
        if permissions_boundary is not None:
            apply_permissions_boundary(self, permissions_boundary)
        c = config
        art = buckets.artifacts.bucket
        # Registered packages' model data: this account's artifacts bucket, or the central registry's.
        self.package_artifacts = S3Path(art, c.package_artifacts_prefix)
        foreign_key_account: str | None = None
        if registry_artifacts is not None:
            registry_bucket = s3.Bucket.from_bucket_attributes(
                self,
                "RegistryArtifacts",
                bucket_name=registry_artifacts.bucket_name,
                account=registry_artifacts.account,
                region=registry_artifacts.region,
            )
            self.package_artifacts = S3Path(registry_bucket, c.package_artifacts_prefix)
            foreign_key_account = registry_artifacts.account
            network.allow_s3_buckets(registry_bucket)
        repository = ecr.Repository.from_repository_name(self, "InitialImageRepository", c.initial_image_repository)
        self.model = (
            Model(
                self,
                "Model",
                model_package_arn=c.pinned_model_package_arn,
                package_artifacts=self.package_artifacts if foreign_key_account else None,
                package_artifacts_key_account=foreign_key_account,
                vpc=network.vpc,
                vpc_subnets=network.subnet_selection,
                security_groups=[network.workload_security_group],
                guardrail=guardrail,
            )
            if c.pinned_model_package_arn
            else self._initial_model(c, repository, art, keys, network, guardrail, foreign_key_account)
        )
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", master_key=keys.messaging)
        self.endpoint = Endpoint(
            self,
            "Endpoint",
            variants=[
                InstanceVariant(
                    model=self.model,
                    instance_type=InstanceType.of(c.instance_type),
                    initial_instance_count=c.initial_instance_count,
                    autoscaling=Autoscaling.invocations_per_instance(
                        c.invocations_per_instance,
                        max_capacity=c.max_instance_count,
                        min_capacity=min(c.initial_instance_count, c.max_instance_count),
                    ),
                )
            ],
            kms_key=keys.data,
            data_capture=DataCapture(
                destination=S3Path(buckets.capture.bucket, f"capture/{c.name}"),
                sampling_percentage=c.sampling_percentage,
            ),
            deployment=DeploymentConfig.canary(10),
            alarm_topic=self.alarm_topic.topic,
        )
        attributes = CaptureAttributes(
            inference_attribute=c.inference_attribute,
            probability_attribute=c.probability_attribute,
            probability_threshold=c.probability_threshold,
            features_attribute=c.features_attribute,
            start_time_offset=c.ground_truth_start_offset,
            end_time_offset=c.ground_truth_end_offset,
        )
        ground_truth = S3Path(buckets.data.bucket, f"ground-truth/{c.name}")
        # Monitors compare with the baselines the deployed version records (the build pipeline computes and
        # registers them); the ML engineer's baselines/<model>/<type>/ serve until a version is deployed.
        baselines = S3Path(art, f"baselines/{c.name}")
        # Monitors compare with the deployed version's recorded baselines: in this account, or in the central
        # registry's (a group given by another account's ARN, with its artifacts bucket) when it is in this
        # region; otherwise they use their own baseline prefix.
        group_name = (
            model_package_group
            if isinstance(model_package_group, str)
            else model_package_group.model_package_group_name
            if model_package_group is not None
            else None
        )
        registry_account: str | None = None
        if group_name is not None and group_name.startswith("arn:"):
            arn_parts = group_name.split(":")
            group_name = arn_parts[5].split("/", 1)[1]
            if arn_parts[4] != self.account:
                same_region = registry_artifacts is not None and registry_artifacts.region == arn_parts[3]
                same_region = same_region and arn_parts[3] == self.region
                registry_account = arn_parts[4] if same_region else None
                group_name = group_name if same_region else None
        package_baselines = (
            PackageBaselines(
                deployed_package=ApprovedPackageParameter(c.approved_package_parameter),
                model_package_group_name=group_name,
                artifacts=self.package_artifacts,
                registry_account=registry_account,
            )
            if group_name is not None and c.approved_package_parameter and c.monitor_backend is MonitorBackend.PIPELINE
            else None
        )
        classification = c.problem_type != ProblemType.REGRESSION.value
        self.monitor = ModelMonitor(
            self,
            "Monitor",
            backend=c.monitor_backend,
            endpoint=self.endpoint,
            output=S3Path(buckets.capture.bucket, f"monitoring/{c.name}"),
            kms_key=keys.data,
            dead_letter_key=keys.messaging,
            vpc=network.vpc,
            vpc_subnets=network.subnet_selection,
            security_groups=[network.workload_security_group],
            guardrail=guardrail,
            alarm_topic=self.alarm_topic.topic,
            baselines_from=package_baselines,
            data_quality=DataQualityMonitor(
                baseline=baselines.child("data-quality"), alarms=[DriftAlarm.feature_drift(f) for f in c.drift_features]
            ),
            model_quality=ModelQualityMonitor(
                problem_type=ProblemType(c.problem_type),
                ground_truth=ground_truth,
                attributes=attributes,
                baseline=baselines.child("model-quality"),
                alarms=[DriftAlarm.below("accuracy", c.min_accuracy)] if classification else [],
            ),
            bias=BiasMonitor(
                analysis_config=baselines.child("bias/analysis_config.json"),
                ground_truth=ground_truth,
                attributes=attributes,
                baseline=baselines.child("bias"),
            ),
            explainability=ExplainabilityMonitor(
                analysis_config=baselines.child("explainability/analysis_config.json"),
                attributes=CaptureAttributes(features_attribute=c.features_attribute),
                baseline=baselines.child("explainability"),
            ),
        )
        self.alarms = EndpointAlarms(self, "Alarms", endpoint=self.endpoint, alarm_topic=self.alarm_topic.topic)
        self.dashboard = MlDashboard(
            self,
            "Dashboard",
            endpoint=self.endpoint,
            monitor=self.monitor,
            alarms=[
                *self.endpoint.rollback_alarms,
                *self.alarms.alarms.values(),
                *self.monitor.alarms,
                *self.monitor.operational_alarms,
            ],
        )

        # The MLOps loop: approvals roll onto the endpoint; drift, violations and new data retrain.
        self.deploy_on_approval: DeployOnApproval | None = None
        if model_package_group is not None and c.approved_package_parameter and not c.pinned_model_package_arn:
            self.deploy_on_approval = DeployOnApproval.for_endpoint(
                self,
                "DeployOnApproval",
                endpoint=self.endpoint,
                model_package_group=model_package_group,
                execution_role=self.model.execution_role,
                deployed_package_parameter=ApprovedPackageParameter(c.approved_package_parameter),
                allow_events_from_accounts=approval_events_from_accounts,
                vpc=network.vpc,
                vpc_subnets=network.subnet_selection,
                model_subnets=network.subnet_selection,
                model_security_groups=[network.workload_security_group],
                endpoint_security_group=network.endpoint_security_group,
                key=keys.messaging,
                log_key=keys.logs,
                alarm_topic=self.alarm_topic.topic,
                guardrail=guardrail,
                permissions_boundary=permissions_boundary,
                # Approved packages are served only if their artifact is the one the pipeline wrote.
                package_artifacts=self.package_artifacts,
            )
        if self.deploy_on_approval is not None:
            # Workload network paths: the interface endpoints and the gateway endpoints (artifact checks).
            network.connect(self.deploy_on_approval.function.security_group, s3=True)
        self.retraining: RetrainingTrigger | None = None
        if pipeline is not None:
            self.retraining = RetrainingTrigger(
                self,
                "Retraining",
                pipeline=pipeline,
                new_data=(
                    NewDataTrigger(buckets.data.bucket, c.retrain_on_new_data_prefix)
                    if c.retrain_on_new_data_prefix
                    else None
                ),
                drift_alarms=self.monitor.alarms,
                # Model Monitor schedules signal violations by event; the pipeline backend by alarm (above).
                monitoring_schedules=self.monitor.monitoring_schedules,
                cooldown=Duration.hours(c.retraining_cooldown_hours),
                input_data_parameter=None,  # the pipeline retrains on the whole data prefix
                vpc=network.vpc,
                vpc_subnets=network.subnet_selection,
                endpoint_security_group=network.endpoint_security_group,
                dynamodb_prefix_list_id=dynamodb_prefix_list_id,
                key=keys.messaging,
                log_key=keys.logs,
                table_key=keys.data,
                alarm_topic=self.alarm_topic.topic,
                guardrail=guardrail,
                permissions_boundary=permissions_boundary,
            )
            if self.retraining.function is not None:
                # The idempotency table is reached through the DynamoDB gateway endpoint.
                network.connect(self.retraining.function.security_group, s3=True, dynamodb=True)

    def _initial_model(
        self,
        c: ServingConfig,
        repository: ecr.IRepository,
        art: s3.IBucket,
        keys: PlatformKeys,
        network: MlNetwork,
        guardrail: iam.IManagedPolicy | None,
        foreign_key_account: str | None = None,
    ) -> Model:
        """The initial model, replaced by the package recorded in the approved-package parameter once there is one."""
        return Model(
            self,
            "Model",
            image=ContainerImage.from_ecr_repository(repository, c.initial_image_tag),
            model_data=ModelData.from_bucket(art, c.initial_model_data_key, encryption_key=keys.data),
            approved_package=(
                ApprovedPackageParameter(c.approved_package_parameter) if c.approved_package_parameter else None
            ),
            package_artifacts=self.package_artifacts,
            package_artifacts_key=None if foreign_key_account else keys.data,
            package_artifacts_key_account=foreign_key_account,
            vpc=network.vpc,
            vpc_subnets=network.subnet_selection,
            security_groups=[network.workload_security_group],
            guardrail=guardrail,
        )
