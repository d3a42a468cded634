"""Model monitoring: data quality, model quality, bias and explainability on an endpoint's captured data.

Two backends behind one API (see :class:`~constructs_ml.operate.MonitorBackend` and docs/operate.md):
scheduled SageMaker pipelines (default; no Model Monitor API, so it works in accounts new to Model
Monitor, which closed to new customers on 2026-07-30) or Model Monitor schedules (opt-in).

Example::

    monitor = ModelMonitor(self, "ChurnMonitor",
        endpoint=endpoint,
        output=S3Path(buckets.capture.bucket, "monitoring/churn"),
        kms_key=keys.data,
        vpc=network.vpc, vpc_subnets=network.subnet_selection,
        security_groups=[network.workload_security_group],
        data_quality=DataQualityMonitor(baseline=S3Path(buckets.artifacts.bucket, "baselines/churn/data"),
                                        alarms=[DriftAlarm.feature_drift("tenure")]),
        alarm_topic=topic.topic)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml._jsii_cache import env_of, select_subnets, stack_of
from constructs_ml.develop.images import ContainerImage
from constructs_ml.errors import Problems
from constructs_ml.foundation.guardrails import SageMakerGuardrail
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.instance_types import InstanceType
from constructs_ml.operate.monitor_checks import validate_monitors
from constructs_ml.operate.monitor_config import (
    BatchTransformCapture,
    BiasMonitor,
    DataQualityMonitor,
    ExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorBackend,
    MonitorConfig,
    MonitoringType,
    PackageBaselines,
    monitoring_image_uri,
)
from constructs_ml.operate.monitor_jobdefs import job_properties
from constructs_ml.operate.monitor_metrics import MonitorMetrics
from constructs_ml.operate.monitor_pipeline import SKLEARN_PROCESSING, PipelineMonitor
from constructs_ml.operate.monitor_roles import (
    grant_monitor_role,
    record_monitor_contracts,
    record_shadow_endpoint_contract,
)
from constructs_ml.operate.retraining_parts import direct_dead_letter_queue
from constructs_ml.operate.schedule import PREFIX as _PREFIX
from constructs_ml.operate.schedule import MonitoringScheduleRef
from constructs_ml.serve.common import S3Path
from constructs_ml.serve.endpoint_base import EndpointBase

_ONE_HOUR = Duration.hours(1)


class ModelMonitor(Construct):
    """Monitors of an endpoint's captured data (or a batch transform's), encrypted, in the VPC.

    Every job writes its reports under ``output/<type>`` encrypted with ``kms_key``, encrypts its volumes
    with it, runs in the VPC with inter-container traffic encryption and network isolation (except where
    the job must call an AWS API: the pipeline backend's window and publish steps, and the explainability
    analysis, which serves the model on a Clarify shadow endpoint), and publishes CloudWatch metrics;
    drift alarms notify ``alarm_topic``. One least-privilege role (read captured data, baselines,
    configs and ground truth; write reports) serves every job. AWS's analyzer and Clarify images are
    looked up per region (:func:`~constructs_ml.operate.monitor_config.monitoring_image_uri`).

    Args:
        scope: parent construct.
        construct_id: construct id.
        endpoint: the monitored endpoint; it must capture data (``Endpoint(data_capture=...)``).
        batch_transform: monitor a batch transform's captured data instead (``MODEL_MONITOR`` backend only).
        output: where reports go.
        kms_key: the key for reports and volumes (and reading captured data).
        vpc / vpc_subnets / security_groups: where the jobs run (required).
        data_quality / model_quality / bias / explainability: the monitors to create (at least one).
        alarm_topic: where drift and violation alarms notify (required with the pipeline backend, whose
            schedule dead-letter queue alarms there, and whenever a monitor has alarms).
        dead_letter_key: the KMS key of the pipeline backend's schedule dead-letter queue (e.g.
            ``PlatformKeys.messaging``): a new key with rotation, retained, when omitted.
        backend: what runs the monitors: ``MonitorBackend.PIPELINE`` (scheduled SageMaker pipelines).
        helper_image: the pipeline backend's window/publish image (Python 3 with boto3): SageMaker's
            scikit-learn processing image of the region.
        instance_type: analysis job instance: ``ml.m5.xlarge``.
        instance_count: instances per analysis job: 1.
        volume_size_in_gb: ML storage per instance: 20.
        max_runtime: per job (at most one hour for hourly schedules): one hour.
        role: an existing role instead of a new one (``MODEL_MONITOR``: any role, nothing is added to it;
            ``PIPELINE``: a ``ManagedPolicyRole``, which gets what the monitors and their pipelines need).
        guardrail: the platform guardrail policy, attached to the new roles: none.
        image_uris: override the AWS image per monitoring type (e.g. for a region not in the table).
        baselines_from: compare against the baselines the deployed model package version records
            (:class:`~constructs_ml.operate.PackageBaselines`; the build pipeline's check steps write them,
            its register step records them), falling back to each monitor's ``baseline`` prefix: each
            monitor's static ``baseline`` only. Pipeline backend only.

    Attributes:
        schedules: one monitor per configured type (a ``MonitoringScheduleRef`` or a ``PipelineMonitor``).
        role: the jobs' role (None when ``role`` was given).
        job_guardrail: with an explainability monitor and ``guardrail``: the jobs' role's guardrail instead of
            the given one: the same controls with the monitor's key and subnets, except that Clarify's shadow
            endpoint configs (``sm-clarify-*``) may omit the volume key (None otherwise).
        trigger_role / dead_letter_queue: the pipeline backend's EventBridge role and dead-letter queue.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        output: S3Path,
        kms_key: kms.IKey,
        vpc: ec2.IVpc,
        security_groups: Sequence[ec2.ISecurityGroup],
        endpoint: EndpointBase | None = None,
        batch_transform: BatchTransformCapture | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        data_quality: DataQualityMonitor | None = None,
        model_quality: ModelQualityMonitor | None = None,
        bias: BiasMonitor | None = None,
        explainability: ExplainabilityMonitor | None = None,
        alarm_topic: sns.ITopic | None = None,
        dead_letter_key: kms.IKey | None = None,
        backend: MonitorBackend = MonitorBackend.PIPELINE,
        helper_image: ContainerImage | None = None,
        instance_type: InstanceType = InstanceType.ML_M5_XLARGE,
        instance_count: int = 1,
        volume_size_in_gb: int = 20,
        max_runtime: Duration = _ONE_HOUR,
        role: iam.IRole | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        image_uris: Mapping[MonitoringType, str] | None = None,
        baselines_from: PackageBaselines | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        configs: list[MonitorConfig] = [c for c in (data_quality, model_quality, bias, explainability) if c]
        problems = Problems(self)
        validate_monitors(problems, configs, endpoint, batch_transform, backend, role, alarm_topic)
        if problems.require_type("instance_type", instance_type, InstanceType, "an InstanceType"):
            problems.require(instance_type.is_valid, "instance_type", instance_type.name, "an ML instance type")
        problems.require_range("instance_count", instance_count, 1, 100)
        problems.require_range("volume_size_in_gb", volume_size_in_gb, 1, 16384)
        problems.require_range("max_runtime", max_runtime.to_seconds(), 1, 86400)
        problems.require(
            len(security_groups) >= 1,
            "security_groups",
            f"{len(security_groups)} group(s)",
            "at least one security group",
        )
        problems.exclusive("role", role, "guardrail", guardrail)
        if baselines_from is not None:
            baselines_from.validate(problems, "baselines_from")
            problems.require(
                backend is MonitorBackend.PIPELINE,
                "baselines_from",
                backend.value,
                "the pipeline backend (Model Monitor schedules read fixed baseline locations)",
                what="needs the pipeline backend",
            )
        problems.raise_if_any()

        self.backend = backend
        self.endpoint = endpoint
        self.batch_transform = batch_transform
        self.output = output
        self.kms_key = kms_key
        self.role: ManagedPolicyRole | None = None
        self.trigger_role: ManagedPolicyRole | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        self.operational_alarms: list[cloudwatch.Alarm] = []
        stack = stack_of(self)
        env = env_of(stack)
        subnet_ids = list(select_subnets(vpc, **({} if vpc_subnets is None else _selection(vpc_subnets))).subnet_ids)
        # Clarify's SHAP analysis serves the model on a shadow endpoint whose config takes no KMS key: the
        # jobs' role gets the platform guardrail's controls with that one exception (sm-clarify-* configs).
        self.job_guardrail: SageMakerGuardrail | None = None
        if role is None and guardrail is not None and explainability is not None:
            self.job_guardrail = SageMakerGuardrail(
                self, "JobGuardrail", keys=[kms_key], subnet_ids=subnet_ids, clarify_shadow_endpoints=True
            )
        if role is None:
            self.role = ManagedPolicyRole(
                self,
                "Role",
                assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                    {"StringEquals": {"aws:SourceAccount": env.account}}
                ),
                description=f"Model monitoring jobs of {self.node.path}",
                guardrail=self.job_guardrail.policy if self.job_guardrail is not None else guardrail,
            )
            if explainability is not None:
                record_shadow_endpoint_contract(self, self.role, subnet_ids=subnet_ids)
            grant_monitor_role(
                self,
                self.role,
                configs,
                vpc,
                endpoint=endpoint,
                batch=batch_transform,
                output=output,
                key=kms_key,
                baselines_from=baselines_from,
            )
        elif backend is MonitorBackend.PIPELINE and isinstance(role, ManagedPolicyRole):
            # The window step reads capture and ground truth through the S3 API, not as job inputs.
            grant_monitor_role(
                self,
                role,
                configs,
                vpc,
                endpoint=endpoint,
                batch=batch_transform,
                output=output,
                key=kms_key,
                baselines_from=baselines_from,
            )
        if backend is MonitorBackend.MODEL_MONITOR and explainability is not None:
            # (The pipeline backend's steps without isolation are announced by TrainingPipeline.)
            Annotations.of(self).add_warning_v2(
                "constructs-ml:monitor-network-access",
                "ModelMonitor: the explainability job runs without network isolation: Clarify serves the model on "
                "a shadow endpoint through the SageMaker API (reached through the VPC's endpoints).",
            )

        self.schedules: dict[MonitoringType, MonitorMetrics] = {}
        action = cw_actions.SnsAction(alarm_topic) if alarm_topic is not None else None
        images = {
            c.monitoring_type: (image_uris or {}).get(c.monitoring_type)
            or monitoring_image_uri(self, c.monitoring_type)
            for c in configs
        }
        if backend is MonitorBackend.PIPELINE:
            assert endpoint is not None and alarm_topic is not None and endpoint.data_capture_path is not None
            job_role = self.role if self.role is not None else role
            assert isinstance(job_role, ManagedPolicyRole)
            self._pipeline_schedule(guardrail, alarm_topic, dead_letter_key)
            assert self.trigger_role is not None and self.dead_letter_queue is not None
            # The platform guardrail denies jobs without network isolation; the helper steps need the S3 and
            # CloudWatch APIs. The monitoring pipelines' roles get the same guardrail minus that one deny
            # (VPC, subnets, keys and inter-container encryption still enforced); the job role keeps the given one.
            self.pipeline_guardrail: SageMakerGuardrail | None = None
            if guardrail is not None:
                self.pipeline_guardrail = SageMakerGuardrail(
                    self, "PipelineGuardrail", keys=[kms_key], require_network_isolation=False, subnet_ids=subnet_ids
                )
            monitors: list[PipelineMonitor] = []
            for c in configs:
                t = c.monitoring_type
                monitor = PipelineMonitor(
                    self,
                    _PREFIX[t],
                    config=c,
                    endpoint=endpoint,
                    capture=endpoint.data_capture_path.child(""),
                    output=output,
                    kms_key=kms_key,
                    vpc=vpc,
                    vpc_subnets=vpc_subnets,
                    security_groups=list(security_groups),
                    job_role=job_role,
                    guardrail=self.pipeline_guardrail.policy if self.pipeline_guardrail else None,
                    image=images[t],
                    helper_image=helper_image or ContainerImage.builtin(SKLEARN_PROCESSING),
                    instance_type=instance_type,
                    instance_count=instance_count,
                    volume_size_in_gb=volume_size_in_gb,
                    max_runtime=max_runtime,
                    schedule_role=self.trigger_role.immutable_role,
                    dead_letter_queue=self.dead_letter_queue,
                    alarm_action=action,
                    baselines_from=baselines_from,
                )
                monitor.pipeline.grant_start_execution(self.trigger_role)
                failed = cloudwatch.Alarm(
                    monitor,
                    "ExecutionFailed",
                    alarm_description=f"{monitor.monitoring_schedule_name}: the monitoring pipeline failed",
                    metric=monitor.metric_execution_failed(period=Duration.hours(1)),
                    threshold=0,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=1,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
                failed.add_alarm_action(cw_actions.SnsAction(alarm_topic))
                self.operational_alarms.append(failed)
                self._add_alarms(monitor, c, action)
                monitors.append(monitor)
            record_monitor_contracts(
                self,
                monitors=monitors,
                trigger_role=self.trigger_role,
                job_role=job_role,
                key=kms_key,
                capture=endpoint.data_capture_path,
                ground_truth=[g for c in configs if (g := getattr(c, "ground_truth", None)) is not None],
                security_groups=list(security_groups),
                subnet_ids=subnet_ids,
                baselines_from=baselines_from,
            )
            return

        role_arn = self.role.role_arn if self.role is not None else (role.role_arn if role else "")
        subnets = list(select_subnets(vpc, **({} if vpc_subnets is None else _selection(vpc_subnets))).subnets)
        network = {
            "EnableInterContainerTrafficEncryption": True,
            "VpcConfig": {
                "SecurityGroupIds": [sg.security_group_id for sg in security_groups],
                "Subnets": [s.subnet_id for s in subnets],
            },
        }
        depends: list[Construct] = [endpoint] if endpoint is not None else []
        if self.role is not None:
            depends.append(self.role)
        for c in configs:
            t = c.monitoring_type
            props = job_properties(
                c,
                endpoint=endpoint,
                batch=batch_transform,
                output=output,
                image=images[t],
                role_arn=role_arn,
                network=network,
                key=kms_key,
                instance_type=instance_type,
                instance_count=instance_count,
                volume=volume_size_in_gb,
                max_runtime=max_runtime,
            )
            ref = MonitoringScheduleRef(
                self,
                _PREFIX[t],
                monitoring_type=t,
                endpoint_name=endpoint.endpoint_name if endpoint is not None else None,
                job_properties=props,
                schedule_expression=c.schedule.expression,
                depends_on=depends,
            )
            if t is MonitoringType.MODEL_EXPLAINABILITY:
                acknowledge(
                    ref.job_definition, "monitor-jobs-need-aws-apis", rules=("SageMaker-MonitoringNetworkIsolation",)
                )
            self._add_alarms(ref, c, action)

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        """Every drift alarm of every monitor (and, with the pipeline backend, every violations alarm):
        what the retraining trigger listens to."""
        return [a for s in self.schedules.values() for a in s.alarms]

    @property
    def monitoring_schedules(self) -> list[MonitoringScheduleRef]:
        """The Model Monitor schedules (empty with the pipeline backend): for the retraining trigger's
        "completed with violations" rule; the pipeline backend signals violations through :attr:`alarms`."""
        return [s for s in self.schedules.values() if isinstance(s, MonitoringScheduleRef)]

    def schedule(self, monitoring_type: MonitoringType) -> MonitorMetrics:
        """The monitor of one type (KeyError if it was not configured)."""
        return self.schedules[monitoring_type]

    # -- internals ----------------------------------------------------------------------------------

    def _add_alarms(self, monitor: MonitorMetrics, c: MonitorConfig, action: cloudwatch.IAlarmAction | None) -> None:
        for a in c.alarms:
            assert action is not None
            monitor.add_drift_alarm(a, action)
        self.schedules[c.monitoring_type] = monitor

    def _pipeline_schedule(self, guardrail: iam.IManagedPolicy | None, topic: sns.ITopic, key: kms.IKey | None) -> None:
        """The EventBridge role that starts the monitoring pipelines and their shared dead-letter queue."""
        stack = stack_of(self)
        env = env_of(stack)
        if key is None:
            key = kms.Key(
                self,
                "DeadLetterKey",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN,
                description=f"Dead-letter queue of {self.node.path}",
            )
        self.dead_letter_queue, alarm = direct_dead_letter_queue(self, key, topic)
        self.operational_alarms.append(alarm)
        self.trigger_role = ManagedPolicyRole(
            self,
            "TriggerRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": env.account}}
            ),
            description=f"EventBridge starts the monitoring pipelines of {self.node.path}",
            guardrail=guardrail,
        )


def _selection(selection: ec2.SubnetSelection) -> dict[str, Any]:
    return {
        k: v
        for k, v in {
            "subnet_type": selection.subnet_type,
            "subnets": selection.subnets,
            "subnet_group_name": selection.subnet_group_name,
        }.items()
        if v is not None
    }
