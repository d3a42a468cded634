"""Model monitoring: data quality, model quality, bias and explainability schedules (control SM-10).

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

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.instance_types import InstanceType
from constructs_ml.operate.monitor_config import (
    BatchTransformCapture,
    BiasMonitor,
    DataQualityMonitor,
    ExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorConfig,
    MonitoringType,
    monitoring_image_uri,
)
from constructs_ml.operate.schedule import PREFIX as _PREFIX
from constructs_ml.operate.schedule import MonitoringScheduleRef
from constructs_ml.serve.common import S3Path, kms_statements
from constructs_ml.serve.endpoint_base import EndpointBase
from constructs_ml.serve.model_parts import execution_role_statements

_ONE_HOUR = Duration.hours(1)


class ModelMonitor(Construct):
    """Model Monitor schedules on an endpoint's captured data (or a batch transform's), encrypted and isolated.

    Every job definition writes its reports under ``output/<type>`` encrypted with ``kms_key``,
    encrypts its volumes with it, runs in the VPC with network isolation and inter-container traffic
    encryption, and publishes CloudWatch metrics; drift alarms notify ``alarm_topic``. One
    least-privilege role (read captured data, baselines, configs and ground truth; write reports)
    serves all four jobs. AWS's analyzer and Clarify images are looked up per region (see
    :func:`~constructs_ml.operate.monitor_config.monitoring_image_uri`).

    Args:
        scope: parent construct.
        construct_id: construct id.
        endpoint: the monitored endpoint; it must capture data (``Endpoint(data_capture=...)``).
        batch_transform: monitor a batch transform's captured data instead of an endpoint.
        output: where reports go.
        kms_key: the key for reports and volumes (and reading captured data).
        vpc / vpc_subnets / security_groups: where the jobs run (required).
        data_quality / model_quality / bias / explainability: the monitors to create (at least one).
        alarm_topic: where drift alarms notify (required when any monitor has alarms).
        instance_type: monitoring job instance: ``ml.m5.xlarge``.
        instance_count: instances per job: 1.
        volume_size_in_gb: ML storage per instance: 20.
        max_runtime: per execution (at most one hour for hourly schedules): one hour.
        role: an existing role instead of a new one (then no permissions are added).
        guardrail: the platform guardrail policy, attached to the new role: none.
        image_uris: override the AWS image per monitoring type (e.g. for a region not in the table).
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
        instance_type: InstanceType = InstanceType.ML_M5_XLARGE,
        instance_count: int = 1,
        volume_size_in_gb: int = 20,
        max_runtime: Duration = _ONE_HOUR,
        role: iam.IRole | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        image_uris: Mapping[MonitoringType, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        configs: list[MonitorConfig] = [c for c in (data_quality, model_quality, bias, explainability) if c]
        problems = Problems(self)
        problems.require(
            len(configs) >= 1, "data_quality/model_quality/bias/explainability", None, "at least one monitor"
        )
        if (endpoint is None) == (batch_transform is None):
            problems.add("endpoint/batch_transform", (endpoint, batch_transform), "exactly one of them")
        if endpoint is not None:
            problems.require(
                endpoint.has_data_capture,
                "endpoint",
                endpoint.node.path,
                "an endpoint with data capture (Endpoint(data_capture=DataCapture(...)))",
                what="must capture data to be monitored: give it data_capture=DataCapture(...)",
            )
        if batch_transform is not None:
            problems.require_one_of(
                "batch_transform.dataset_format", batch_transform.dataset_format, ("csv", "json", "parquet")
            )
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
        if any(c.alarms for c in configs):
            problems.require(alarm_topic is not None, "alarm_topic", None, "a topic when monitors have alarms")
        problems.exclusive("role", role, "guardrail", guardrail)
        for c in configs:
            bad = c.schedule.expression
            problems.require(
                bad.startswith("cron(") or bad.startswith("rate("),
                "schedule",
                bad,
                "cron(...) (e.g. MonitorSchedule.hourly())",
            )
        problems.raise_if_any()

        self.endpoint = endpoint
        self.batch_transform = batch_transform
        self.output = output
        self.kms_key = kms_key
        subnets = vpc.select_subnets(**({} if vpc_subnets is None else _selection(vpc_subnets))).subnets
        network = {
            "EnableInterContainerTrafficEncryption": True,
            "EnableNetworkIsolation": True,
            "VpcConfig": {
                "SecurityGroupIds": [sg.security_group_id for sg in security_groups],
                "Subnets": [s.subnet_id for s in subnets],
            },
        }
        if role is None:
            self.role: ManagedPolicyRole | None = ManagedPolicyRole(
                self,
                "Role",
                assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                    {"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
                ),
                description=f"Model monitoring jobs of {self.node.path}",
                guardrail=guardrail,
            )
            role_arn = self.role.role_arn
            self._grant_baseline(configs, vpc)
        else:
            self.role = None
            role_arn = role.role_arn

        self.schedules: dict[MonitoringType, MonitoringScheduleRef] = {}
        action = cw_actions.SnsAction(alarm_topic) if alarm_topic is not None else None
        depends: list[Construct] = [endpoint] if endpoint is not None else []
        if self.role is not None:
            depends.append(self.role)
        for c in configs:
            t = c.monitoring_type
            image = (image_uris or {}).get(t) or monitoring_image_uri(self, t)
            props = self._job_properties(
                c, image, role_arn, network, kms_key, instance_type, instance_count, volume_size_in_gb, max_runtime
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
            for a in c.alarms:
                assert action is not None
                ref.add_drift_alarm(a, action)
            self.schedules[t] = ref

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        """Every drift alarm of every schedule."""
        return [a for s in self.schedules.values() for a in s.alarms]

    def schedule(self, monitoring_type: MonitoringType) -> MonitoringScheduleRef:
        """The schedule of one monitor (KeyError if it was not configured)."""
        return self.schedules[monitoring_type]

    # -- internals ----------------------------------------------------------------------------------

    def _grant_baseline(self, configs: Sequence[MonitorConfig], vpc: ec2.IVpc) -> None:
        assert self.role is not None
        role = self.role
        stack = Stack.of(self)
        for stmt in execution_role_statements(self, vpc=vpc):
            role.add_to_policy(stmt)
        logs = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws/sagemaker/ProcessingJobs*"
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                resources=[logs],
            )
        )
        reads: list[S3Path] = []
        if self.endpoint is not None and self.endpoint.data_capture_path is not None:
            reads.append(self.endpoint.data_capture_path)
        if self.batch_transform is not None:
            reads.append(self.batch_transform.captured)
        objects: list[S3Path] = []
        for c in configs:
            reads += [p for p in (c.baseline, getattr(c, "ground_truth", None)) if p is not None]
            if isinstance(c, BiasMonitor | ExplainabilityMonitor):
                objects.append(c.analysis_config)
        for path in reads:
            for stmt in path.read_statements():
                role.add_to_policy(stmt)
        for path in objects:
            for stmt in path.object_read_statements():
                role.add_to_policy(stmt)
        for stmt in [
            *self.output.write_statements(),
            *self.output.read_statements(),
            *kms_statements(self.kms_key.key_arn, encrypt=True, decrypt=True),
        ]:
            role.add_to_policy(stmt)

    def _input(self, c: MonitorConfig) -> dict[str, Any]:
        attrs = getattr(c, "attributes", None)
        extra: dict[str, Any] = {}
        if attrs is not None:
            for key, value in (
                ("FeaturesAttribute", attrs.features_attribute),
                ("InferenceAttribute", attrs.inference_attribute),
                ("ProbabilityAttribute", attrs.probability_attribute),
                ("ProbabilityThresholdAttribute", attrs.probability_threshold),
                ("StartTimeOffset", attrs.start_time_offset),
                ("EndTimeOffset", attrs.end_time_offset),
            ):
                if value is not None:
                    extra[key] = value
        if not isinstance(c, BiasMonitor | ExplainabilityMonitor):
            extra.pop("FeaturesAttribute", None)
        if isinstance(c, ExplainabilityMonitor):
            for k in ("ProbabilityThresholdAttribute", "StartTimeOffset", "EndTimeOffset"):
                extra.pop(k, None)
        base = {
            "LocalPath": "/opt/ml/processing/input/endpoint",
            "S3DataDistributionType": "FullyReplicated",
            "S3InputMode": "File",
        }
        if self.endpoint is not None:
            return {"EndpointInput": {"EndpointName": self.endpoint.endpoint_name, **base, **extra}}
        assert self.batch_transform is not None
        return {
            "BatchTransformInput": {
                "DataCapturedDestinationS3Uri": self.batch_transform.captured.uri,
                "DatasetFormat": self.batch_transform.format_property(),
                **base,
                "LocalPath": "/opt/ml/processing/input/batch",
                **extra,
            }
        }

    def _job_properties(
        self,
        c: MonitorConfig,
        image: str,
        role_arn: str,
        network: dict[str, Any],
        key: kms.IKey,
        instance_type: InstanceType,
        instance_count: int,
        volume: int,
        max_runtime: Duration,
    ) -> dict[str, Any]:
        t = c.monitoring_type
        prefix = _PREFIX[t]
        app: dict[str, Any] = {"ImageUri": image, "Environment": {"publish_cloudwatch_metrics": "Enabled"}}
        job_input: dict[str, Any] = self._input(c)
        baseline: dict[str, Any] | None = None
        if isinstance(c, DataQualityMonitor):
            if c.baseline is not None:
                baseline = {
                    "ConstraintsResource": {"S3Uri": c.baseline.child("constraints.json").uri},
                    "StatisticsResource": {"S3Uri": c.baseline.child("statistics.json").uri},
                }
        elif isinstance(c, ModelQualityMonitor):
            app["ProblemType"] = c.problem_type.value
            job_input["GroundTruthS3Input"] = {"S3Uri": c.ground_truth.uri}
            if c.baseline is not None:
                baseline = {"ConstraintsResource": {"S3Uri": c.baseline.child("constraints.json").uri}}
        else:
            app["ConfigUri"] = c.analysis_config.uri
            if isinstance(c, BiasMonitor):
                job_input["GroundTruthS3Input"] = {"S3Uri": c.ground_truth.uri}
            if c.baseline is not None:
                baseline = {"ConstraintsResource": {"S3Uri": c.baseline.child("analysis.json").uri}}
        props: dict[str, Any] = {
            f"{prefix}AppSpecification": app,
            f"{prefix}JobInput": job_input,
            f"{prefix}JobOutputConfig": {
                "KmsKeyId": key.key_arn,
                "MonitoringOutputs": [
                    {
                        "S3Output": {
                            "LocalPath": "/opt/ml/processing/output",
                            "S3Uri": self.output.child(t.value).uri,
                            "S3UploadMode": "EndOfJob",
                        }
                    }
                ],
            },
            "JobResources": {
                "ClusterConfig": {
                    "InstanceCount": instance_count,
                    "InstanceType": instance_type.name,
                    "VolumeSizeInGB": volume,
                    "VolumeKmsKeyId": key.key_arn,
                }
            },
            "NetworkConfig": network,
            "RoleArn": role_arn,
            "StoppingCondition": {"MaxRuntimeInSeconds": int(max_runtime.to_seconds())},
        }
        if baseline is not None:
            props[f"{prefix}BaselineConfig"] = baseline
        if self.endpoint is not None:
            props["EndpointName"] = self.endpoint.endpoint_name
        return props


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
