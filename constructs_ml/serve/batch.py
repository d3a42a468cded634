"""Batch inference: a one-step SageMaker pipeline running a transform job on new data, optionally on a schedule.

The pipeline is the build package's :class:`~constructs_ml.develop.pipeline.TrainingPipeline` with a
:class:`~constructs_ml.develop.pipeline.TransformStep` (the same step a training pipeline can use after
``CreateModelStep``); results are KMS-encrypted, volumes too, and the job inherits the model's VPC
config and network isolation. A schedule starts it through a direct EventBridge → SageMaker pipeline
target (:class:`~constructs_ml.develop.pipeline_target.SageMakerPipelineTarget`, no Lambda) with a retry
policy and a KMS-encrypted, TLS-only dead-letter queue whose first message raises an alarm.

Example::

    BatchTransform(self, "Nightly", model=model,
        input_data=S3Path(buckets.data.bucket, "scoring/incoming"),
        output=S3Path(buckets.artifacts.bucket, "scoring/results"),
        vpc=network.vpc, security_groups=[network.workload_security_group],
        encryption_key=keys.data, schedule=events.Schedule.cron(hour="2", minute="0"),
        alarm_topic=topic.topic)
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.develop.pipeline import ParameterString, S3Location, TrainingPipeline, TransformStep
from constructs_ml.develop.pipeline_target import SageMakerPipelineTarget, record_target_contract
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.schedules import schedule_problems
from constructs_ml.serve.common import InstanceType, S3Path, kms_statements
from constructs_ml.serve.model import ModelBase

INPUT_PARAMETER = "InputDataUri"


class BatchTransform(Construct):
    """Batch inference with a model on the data under an S3 prefix, output encrypted with KMS.

    Args:
        scope: parent construct.
        construct_id: construct id.
        model: the model (its VPC config and network isolation apply to the transform job).
        input_data: the default data to transform (a pipeline parameter ``InputDataUri`` overrides it
            per execution).
        output: where results go (``<output>/<execution id>/`` is not added: one prefix per run is the
            caller's choice through the parameter).
        vpc / vpc_subnets / security_groups: where the pipeline's jobs run.
        encryption_key: the key for results and volumes.
        content_type: the input's MIME type: ``text/csv``.
        split_type: how records are split: ``Line``.
        instance_type: transform instances: ``ml.m5.large``.
        instance_count: 1.
        schedule: run on this schedule: never (start executions yourself or from another rule).
        alarm_topic: notified when a scheduled start fails to reach the pipeline (required with ``schedule``).
        guardrail: the platform guardrail policy, attached to the pipeline and trigger roles: none.

    Attributes:
        pipeline: the pipeline; ``step``: its transform step; ``rule``, ``dead_letter_queue``,
            ``trigger_role`` when scheduled.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model: ModelBase,
        input_data: S3Path,
        output: S3Path,
        vpc: ec2.IVpc,
        security_groups: Sequence[ec2.ISecurityGroup],
        encryption_key: kms.IKey,
        vpc_subnets: ec2.SubnetSelection | None = None,
        content_type: str = "text/csv",
        split_type: str = "Line",
        instance_type: InstanceType = InstanceType.ML_M5_LARGE,
        instance_count: int = 1,
        schedule: events.Schedule | None = None,
        alarm_topic: sns.ITopic | None = None,
        guardrail: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        if problems.require_type(
            "instance_type", instance_type, InstanceType, "an InstanceType (InstanceType.of('ml.m5.xlarge'))"
        ):
            problems.require(instance_type.is_valid, "instance_type", instance_type.name, "an ML instance type 'ml.*'")
        problems.require_range("instance_count", instance_count, 1, 100)
        if schedule is not None:
            problems.require(alarm_topic is not None, "alarm_topic", None, "a topic when a schedule is given")
            for problem in schedule_problems(schedule.expression_string):
                problems.add(
                    "schedule", schedule.expression_string, "", what=f"must be a valid EventBridge schedule: {problem}"
                )
        problems.raise_if_any()

        self.input_parameter = ParameterString(INPUT_PARAMETER, default_value=input_data.uri)
        self.step = TransformStep(
            "BatchTransform",
            model_name=model.model_name,
            input_data=self.input_parameter,
            output=S3Location(output.bucket, output.clean_prefix + "/"),
            content_type=content_type,
            split_type=split_type,
            instance_type=instance_type,
            instance_count=instance_count,
        )
        self.pipeline = TrainingPipeline(
            self,
            "Pipeline",
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
            artifacts_bucket=output.bucket,
            artifacts_prefix=f"{output.clean_prefix}/pipeline/",
            encryption_key=encryption_key,
            steps=[self.step],
            parameters=[self.input_parameter],
            guardrail=guardrail,
            description=f"Batch inference with {model.node.path}",
        )
        # The transform job runs as the model's execution role: it reads the default input prefix (other
        # prefixes passed through the parameter need the caller's grant) and writes the results.
        granted = all(
            [
                model.add_to_role_policy(stmt)
                for stmt in [
                    *input_data.read_statements(),
                    *output.write_statements(),
                    *kms_statements(encryption_key.key_arn, encrypt=True, decrypt=True),
                ]
            ]
        )
        if not granted:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:batch-model-role-not-granted",
                f"BatchTransform: model {model.node.path} has no owned role; grant it read on {input_data.uri}, "
                f"write on {output.uri} and use of the key yourself.",
            )
        self.rule: events.Rule | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        self.trigger_role: ManagedPolicyRole | None = None
        if schedule is not None and alarm_topic is not None:
            self._schedule(schedule, alarm_topic, guardrail)

    def _schedule(self, schedule: events.Schedule, topic: sns.ITopic, guardrail: iam.IManagedPolicy | None) -> None:
        stack = stack_of(self)
        env = env_of(stack)
        key = kms.Key(
            self, "DeadLetterKey", enable_key_rotation=True, description=f"Dead-letter queue of {self.node.path}"
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": env.account}},
            )
        )
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(self.dead_letter_queue, "pipeline-target-dead-letter-queue")
        self.trigger_role = ManagedPolicyRole(
            self,
            "TriggerRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": env.account}}
            ),
            description=f"EventBridge starts the batch inference pipeline of {self.node.path}",
            guardrail=guardrail,
        )
        self.pipeline.grant_start_execution(self.trigger_role)
        record_target_contract(self.trigger_role, self.pipeline.pipeline_arn)
        self.rule = events.Rule(
            self, "Schedule", description=f"Scheduled batch inference ({self.node.path})", schedule=schedule
        )
        # The shared direct target sets the DLQ (and lets only this rule send to it) and the retry policy;
        # no parameters: scheduled runs transform the default input.
        self.rule.add_target(
            SageMakerPipelineTarget(
                pipeline_arn=self.pipeline.pipeline_arn,
                role=self.trigger_role.immutable_role,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=3,
                max_event_age=Duration.hours(1),
            )
        )
        alarm = cloudwatch.Alarm(
            self,
            "DeadLetterAlarm",
            alarm_description=f"{self.node.path}: a scheduled batch inference could not be started",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
