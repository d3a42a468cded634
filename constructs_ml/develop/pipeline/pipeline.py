"""TrainingPipeline: an ``AWS::SageMaker::Pipeline`` generated from typed steps, with least-privilege roles.

CloudFormation has no training, tuning or transform job resources: in infrastructure as code, training
lives in a SageMaker pipeline definition. This construct renders that definition from typed Python
steps (no SageMaker SDK at synth), checks it (duplicate names, unknown references, cycles, spot
settings, tuning ranges...), and creates the pipeline role and the job role scoped to what the steps
use. Every job runs in the given VPC, with the given KMS key for volumes and outputs, network
isolation and inter-container traffic encryption: so it passes the platform guardrail's Deny
conditions (``SageMakerGuardrail``), which is attached to both roles when given.

Example::

    pipeline = TrainingPipeline(self, "Churn",
        steps=[prep, train, evaluate, gate],
        parameters=[threshold],
        vpc=network.vpc, security_groups=[network.workload_security_group],
        encryption_key=keys.data, artifacts_bucket=buckets.artifacts.bucket,
        guardrail=guardrail.policy)
    pipeline.grant_start_execution(trigger_role)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Annotations, Duration, RemovalPolicy, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import env_of, key_arn, security_group_id, select_subnets, stack_of
from constructs_ml.develop.naming import resource_name
from constructs_ml.develop.pipeline.definition import (
    ExternalDefinition,
    all_steps,
    check_definition,
    insecure_job_steps,
    render_definition,
)
from constructs_ml.develop.pipeline.parameters import Parameter
from constructs_ml.develop.pipeline.properties import S3Location
from constructs_ml.develop.pipeline.roles import grant_job_role, grant_pipeline_role, record_contracts
from constructs_ml.develop.pipeline.steps_base import RenderContext, ResourceAccess, Step
from constructs_ml.develop.pipeline.training_distribution import add_network_check, multi_instance_jobs
from constructs_ml.errors import Problems
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.foundation.buckets import PIPELINE_JOB_ROLE_PATH
from constructs_ml.foundation.roles import ManagedPolicyRole

#: Pipeline names (CloudFormation schema).
PIPELINE_NAME_PATTERN = r"^(?=[a-zA-Z0-9-]{1,256}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*$"


class PipelineBase(Construct):
    """What owned and imported pipelines share: ARN, name, grants, metrics and events."""

    pipeline_name: str
    pipeline_arn: str

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Start executions of this pipeline (e.g. a retraining trigger's role)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:StartPipelineExecution"], resource_arns=[self.pipeline_arn]
        )

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Describe the pipeline and its executions."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "sagemaker:DescribePipeline",
                "sagemaker:DescribePipelineDefinitionForExecution",
                "sagemaker:DescribePipelineExecution",
                "sagemaker:ListPipelineExecutionSteps",
                "sagemaker:ListPipelineExecutions",
            ],
            resource_arns=[self.pipeline_arn, f"{self.pipeline_arn}/execution/*"],
        )

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """A metric of this pipeline (namespace ``AWS/Sagemaker/ModelBuildingPipeline``)."""
        return cloudwatch.Metric(
            namespace="AWS/Sagemaker/ModelBuildingPipeline",
            metric_name=metric_name,
            dimensions_map={"PipelineName": self.pipeline_name},
            **{"statistic": "Sum", "period": Duration.minutes(5), **props},
        )

    def metric_execution_failed(self, **props: Any) -> cloudwatch.Metric:
        return self.metric("ExecutionFailed", **props)

    def metric_execution_succeeded(self, **props: Any) -> cloudwatch.Metric:
        return self.metric("ExecutionSucceeded", **props)

    def metric_execution_duration(self, **props: Any) -> cloudwatch.Metric:
        return self.metric("ExecutionDuration", **{"statistic": "Average", **props})

    def on_execution_status_change(
        self,
        construct_id: str,
        *,
        target: events.IRuleTarget | None = None,
        statuses: Sequence[str] | None = None,
        description: str | None = None,
    ) -> events.Rule:
        """An EventBridge rule on "SageMaker Model Building Pipeline Execution Status Change" of this pipeline.

        Args:
            construct_id: the rule's construct id.
            target: where matching events go: none (add targets later).
            statuses: only these ``currentPipelineExecutionStatus`` values (``Failed``, ``Succeeded``...): any.
            description: the rule's description: generated.
        """
        detail: dict[str, Any] = {"pipelineArn": [self.pipeline_arn]}
        if statuses:
            detail["currentPipelineExecutionStatus"] = list(statuses)
        rule = events.Rule(
            self,
            construct_id,
            description=description or f"Execution status changes of {self.node.path}",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Model Building Pipeline Execution Status Change"],
                detail=detail,
            ),
        )
        if target is not None:
            rule.add_target(target)
        return rule


class _ImportedPipeline(PipelineBase):
    def __init__(self, scope: Construct, construct_id: str, name: str) -> None:
        super().__init__(scope, construct_id)
        self.pipeline_name = name
        self.pipeline_arn = sagemaker_arn(self, "pipeline", name)


class TrainingPipeline(PipelineBase):
    """A SageMaker pipeline from typed steps (or a definition produced elsewhere), secure by default.

    Args:
        scope: parent construct.
        construct_id: construct id.
        steps: the pipeline's steps (steps in Condition branches are listed in their Condition
            only); exclusive with ``definition``.
        definition: a definition produced elsewhere (SageMaker SDK JSON) instead of ``steps``; checked
            the same way, and every job step must carry the VPC, KMS, isolation and encryption settings
            (use the ``${SubnetIds}``/``${KmsKeyArn}``... placeholders of :class:`ExternalDefinition`).
        parameters: execution parameters: none.
        vpc: the VPC jobs and models run in.
        vpc_subnets: which subnets: the VPC's private subnets.
        security_groups: security groups of the jobs (e.g. ``MlNetwork.workload_security_group``).
        encryption_key: KMS key for job volumes and outputs: the artifacts bucket's key when it is known
            (a platform bucket, or one imported with ``encryption_key``); else a new key with rotation, which
            is an error with ``guardrail`` (the guardrail admits platform keys only).
        artifacts_bucket: where step outputs, models and checkpoints go (e.g. ``PlatformBuckets.artifacts``).
        artifacts_prefix: prefix in that bucket: ``pipelines/<pipeline name>/``.
        job_role: the role jobs run as: a new least-privilege role under the IAM path
            :data:`~constructs_ml.foundation.PIPELINE_JOB_ROLE_PATH`, the only roles the platform's artifacts
            bucket lets write under ``pipelines/`` (``PlatformBuckets``' write-once prefix). A role of your
            own must be under that path to write there.
        guardrail: the platform guardrail policy, attached to the pipeline and job roles: none.
        pipeline_name: the physical name (letters, digits, hyphens): generated, lower case.
        display_name: shown in Studio: the name.
        description: the pipeline's description: none.
        max_parallel_steps: at most this many steps at once: the service default (50).
        tags: tags for the pipeline and its roles.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        security_groups: Sequence[ec2.ISecurityGroup],
        artifacts_bucket: s3.IBucket,
        steps: Sequence[Step] = (),
        definition: ExternalDefinition | None = None,
        parameters: Sequence[Parameter] = (),
        vpc_subnets: ec2.SubnetSelection | None = None,
        encryption_key: kms.IKey | None = None,
        artifacts_prefix: str | None = None,
        job_role: ManagedPolicyRole | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        pipeline_name: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        max_parallel_steps: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        name = resource_name(self, pipeline_name, max_length=80)
        problems.require(
            bool(re.match(PIPELINE_NAME_PATTERN, name)),
            "pipeline_name",
            name,
            "1..256 letters, digits and hyphens, starting and ending with a letter or digit",
        )
        if not steps and definition is None:
            problems.add("steps", [], "at least one step, or a definition", what="are missing")
        if steps and definition is not None:
            problems.exclusive("steps", [s.name for s in steps], "definition", "ExternalDefinition")
        groups_ok = problems.require_sequence(
            "security_groups", security_groups, "security_group_id", "a list of security groups"
        )
        if groups_ok:
            problems.require(bool(security_groups), "security_groups", [], "at least one security group")
        if encryption_key is None:
            encryption_key = artifacts_bucket.encryption_key
            problems.require(
                encryption_key is not None or guardrail is None,
                "encryption_key",
                None,
                "the platform key (PlatformKeys.data)",
                what=(
                    "must be given with guardrail when artifacts_bucket has no known key (the guardrail denies "
                    "jobs whose volume key is not a platform key, so a new key would fail every job); pass "
                    "PlatformKeys.data, or import the bucket with s3.Bucket.from_bucket_attributes(encryption_key=...)"
                ),
            )
        if artifacts_prefix is not None:
            problems.require(
                not artifacts_prefix.startswith("/"),
                "artifacts_prefix",
                artifacts_prefix,
                "a prefix without a leading '/'",
            )
        problems.require_range("max_parallel_steps", max_parallel_steps, 1, None)
        if display_name is not None:
            problems.require(
                bool(re.match(PIPELINE_NAME_PATTERN, display_name)) and len(display_name) <= 256,
                "display_name",
                display_name,
                "1..256 letters, digits and hyphens",
            )
        problems.unique("parameters[].name", [p.name for p in parameters])
        for p in parameters:
            p.validate(problems)
        every_step = all_steps(steps)
        for s in every_step:
            s.validate(self, problems)

        stack = stack_of(self)
        env = env_of(stack)
        self.pipeline_name = name
        self.pipeline_arn = sagemaker_arn(self, "pipeline", name)
        self.parameters: dict[str, Parameter] = {p.name: p for p in parameters}
        self.steps = list(steps)
        self.vpc = vpc
        self.security_groups = list(security_groups) if groups_ok else []
        self.encryption_key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            description=f"Job volumes and outputs of pipeline {self.node.path}",
        )
        prefix = artifacts_prefix if artifacts_prefix is not None else f"pipelines/{name}/"
        self.artifacts = S3Location(artifacts_bucket, prefix)
        self.subnet_ids = list(select_subnets(vpc, **_selection(vpc_subnets)).subnet_ids)

        sagemaker_principal = iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
            {"StringEquals": {"aws:SourceAccount": env.account}}
        )
        self.job_role = job_role or ManagedPolicyRole(
            self,
            "JobRole",
            assumed_by=sagemaker_principal,
            description=f"Jobs of SageMaker pipeline {self.node.path}",
            guardrail=guardrail,
        )
        if job_role is None:
            # The write-once artifacts prefix admits writers by IAM path (see PlatformBuckets).
            cfn_job_role = self.job_role.role.node.default_child
            assert isinstance(cfn_job_role, iam.CfnRole)
            cfn_job_role.path = PIPELINE_JOB_ROLE_PATH
        self.pipeline_role = ManagedPolicyRole(
            self,
            "PipelineRole",
            assumed_by=sagemaker_principal,
            description=f"Execution role of SageMaker pipeline {self.node.path}",
            guardrail=guardrail,
        )
        ctx = RenderContext(
            scope=self,
            role_arn=self.job_role.role_arn,
            subnet_ids=self.subnet_ids,
            security_group_ids=[security_group_id(g) for g in self.security_groups],
            key_arn=key_arn(self.encryption_key),
            artifacts=self.artifacts,
        )
        access = ResourceAccess()
        if definition is not None:
            self.definition: dict[str, Any] = definition.resolve(ctx)
            access.reads.extend(definition.reads)
            access.writes.extend(definition.writes)
            access.images.extend(definition.images)
            access.register_into.extend(definition.registries)
            access.job_kinds |= definition.derived_job_kinds()
            access.property_files = True
            for step, what in insecure_job_steps(self.definition):
                problems.add(f"definition.steps[{step}]", what, "set (the platform's controls)", what="lacks a control")
        else:
            # Rendering resolves images (registry accounts per region): report the props' problems first.
            problems.raise_if_any()
            self.definition = render_definition(steps, parameters, ctx)
            for s in every_step:
                s.collect(access)
        self.dependencies = check_definition(self.definition, problems)
        problems.raise_if_any()

        for s in every_step:
            for protection in s.disabled_protections():
                Annotations.of(self).add_warning_v2(
                    "constructs-ml:pipeline-step-protection-off",
                    f"TrainingPipeline step {s.name}: {protection} is turned off.",
                )
        # Multi-instance jobs need all TCP (+ UDP 500 and ESP with encryption) between their instances.
        # Typed steps and definitions produced elsewhere alike: read from the rendered definition.
        multi = multi_instance_jobs(self.definition)
        unreadable = add_network_check(self, self.security_groups, multi)
        if multi and unreadable:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:pipeline-distributed-network-unverified",
                f"TrainingPipeline steps {', '.join(n for n, _ in multi)} run several instances; the rules of "
                f"imported security groups {', '.join(unreadable)} cannot be read at synth: make sure they allow "
                "all TCP, UDP 500 and ESP between their members.",
            )
        grant_job_role(self, self.job_role, access=access, artifacts=self.artifacts, key=self.encryption_key)
        grant_pipeline_role(
            self,
            self.pipeline_role,
            job_role=self.job_role,
            access=access,
            artifacts=self.artifacts,
            key=self.encryption_key,
        )
        record_contracts(
            self,
            pipeline_role=self.pipeline_role,
            job_role=self.job_role,
            access=access,
            artifacts=self.artifacts,
            key=self.encryption_key,
            security_groups=self.security_groups,
            subnet_ids=self.subnet_ids,
        )
        self.access = access

        self.resource = sagemaker.CfnPipeline(
            self,
            "Resource",
            pipeline_name=name,
            pipeline_display_name=display_name,
            pipeline_description=description,
            role_arn=self.pipeline_role.role_arn,
            pipeline_definition={"PipelineDefinitionBody": stack.to_json_string(self.definition)},
            parallelism_configuration=(
                {"MaxParallelExecutionSteps": max_parallel_steps} if max_parallel_steps is not None else None
            ),
        )
        self.resource.node.add_dependency(self.pipeline_role)
        for k, v in (tags or {}).items():
            Tags.of(self).add(k, v)

    @property
    def parameter_names(self) -> list[str]:
        """Names of the pipeline's parameters (what an execution may set)."""
        return list(self.parameters)

    @property
    def role(self) -> iam.IRole:
        """The pipeline (execution) role."""
        return self.pipeline_role.immutable_role

    @staticmethod
    def from_pipeline_name(scope: Construct, construct_id: str, pipeline_name: str) -> PipelineBase:
        """A pipeline of this stack's account and region, by name."""
        return _ImportedPipeline(scope, construct_id, pipeline_name)


def _selection(selection: ec2.SubnetSelection | None) -> dict[str, Any]:
    if selection is None:
        return {}
    out: dict[str, Any] = {}
    for attr in ("availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnets", "subnet_type"):
        value = getattr(selection, attr, None)
        if value is not None:
            out[attr] = value
    return out


__all__ = ["PIPELINE_NAME_PATTERN", "PipelineBase", "TrainingPipeline"]
