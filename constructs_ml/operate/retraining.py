"""RetrainingTrigger: start a training pipeline on new data, on a schedule, or on drift.

Triggers and how they reach the pipeline (every EventBridge target has a dead-letter queue and a
retry policy, EVT-01):

==========================  ===============================================  =========================
Trigger                     EventBridge rule                                 Target
==========================  ===============================================  =========================
new data (``new_data``)     ``aws.s3`` / ``Object Created`` in the bucket,   the retraining function
                            key prefix
schedule (``schedule``)     ``Schedule``                                     the pipeline directly
                                                                             (``direct=True``) or the
                                                                             function
drift (``drift_alarms``)    ``aws.cloudwatch`` / ``CloudWatch Alarm State    the retraining function
                            Change`` to ``ALARM`` of those alarms
violations                  ``aws.sagemaker`` / ``SageMaker Processing Job   the retraining function
(``monitoring_schedules``)  State Change`` of those schedules, ``Completed``
                            with ``CompletedWithViolations``
==========================  ===============================================  =========================

The function (``lambdas/retraining_trigger``, a :class:`~constructs_ml.operate.GlueFunction`) judges:
idempotent on the event id, no start while an execution runs (debounce), no start within
``cooldown`` of the last one, maps the event to pipeline parameters (the new object's S3 URI, the
trigger kind), and logs one JSON decision line per event. Its state lives in a DynamoDB table
(on-demand, KMS, point-in-time recovery, TTL on ``expires_at``). A direct schedule target uses
:class:`~constructs_ml.operate.pipeline_target.SageMakerPipelineTarget`, which fills a gap in
aws-cdk's ``aws_events_targets`` (it has no SageMaker pipeline target).

Network: the function runs in the platform's isolated subnets and reaches DynamoDB through the
VPC's DynamoDB gateway endpoint; security groups cannot name a gateway endpoint, so pass the region's
DynamoDB prefix list id (``dynamodb_prefix_list_id``) to allow HTTPS egress to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.develop.pipeline_target import SageMakerPipelineTarget, pipeline_target_role_statement
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.operate.glue_function import GlueFunction
from constructs_ml.operate.retraining_parts import (
    PIPELINE_ARN,
    SCHEDULE_EXPRESSION,
    MonitoringScheduleLike,
    NewDataTrigger,
    PipelineRef,
    ScheduleTrigger,
    alarm_pattern,
    check_new_data,
    direct_dead_letter_queue,
    monitoring_pattern,
    monitoring_schedule_arn,
    new_data_pattern,
    retraining_function,
    warn_if_bucket_events_unknown,
)
from constructs_ml.schedules import schedule_problems

__all__ = ["MonitoringScheduleLike", "NewDataTrigger", "PipelineRef", "RetrainingTrigger", "ScheduleTrigger"]

_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,256}$")
_MAX_COOLDOWN = Duration.days(30)


class RetrainingTrigger(Construct):
    """Start a training pipeline on new data, a schedule, a drift alarm or a monitoring violation.

    Example::

        RetrainingTrigger(self, "Retraining",
            pipeline=pipeline,
            new_data=NewDataTrigger(buckets.data, "churn/incoming/"),
            schedule=ScheduleTrigger(events.Schedule.rate(Duration.days(7))),
            drift_alarms=[feature_drift_alarm],
            vpc=network.vpc, endpoint_security_group=network.endpoint_security_group,
            dynamodb_prefix_list_id="pl-...", key=keys.messaging, log_key=keys.logs, alarm_topic=alerts)

    Args:
        scope: parent construct.
        construct_id: construct id.
        pipeline: the pipeline to start (an object with ``pipeline_arn``, or the ARN). A direct
            schedule target needs it in this stack's account and region; the function may start a
            pipeline of another account that lets its role do so.
        vpc: the VPC the function runs in.
        key: KMS key of the dead-letter queue and, unless ``table_key`` is given, of the table.
        alarm_topic: SNS topic of the function's error and dead-letter alarms.
        new_data: retrain on new objects in a bucket prefix: off.
        schedule: retrain on a schedule: off.
        drift_alarms: retrain when one of these alarms goes to ``ALARM``: none.
        monitoring_schedules: retrain when a job of one of these monitoring schedules completes with
            violations (schedules or their ARNs): none.
        cooldown: no new start within this long of the last start (0..30 days): one hour.
        input_data_parameter: pipeline parameter receiving the new object's S3 URI; None passes none:
            ``InputDataUrl``.
        trigger_reason_parameter: pipeline parameter receiving the trigger kind (``new-data``,
            ``schedule``, ``drift-alarm``, ``monitoring-violation``); None passes none: ``TriggerReason``.
        pipeline_parameter_names: the parameters the pipeline declares, to check the names above at
            synth: read from ``pipeline.parameter_names`` when it has them, else not checked.
        idempotency_ttl: how long event ids are remembered (1 h..365 days; longer than EventBridge's
            24 h retry window): 7 days.
        vpc_subnets: subnets of the function: the isolated subnets.
        endpoint_security_group: the VPC interface endpoints' security group (HTTPS egress goes to it):
            the VPC CIDR on 443.
        dynamodb_prefix_list_id: the region's DynamoDB managed prefix list (``pl-...``), for HTTPS egress
            to the DynamoDB gateway endpoint: none, with a warning (the function then cannot reach
            its table unless another rule allows it).
        log_key: KMS key of the function's log group: ``key``.
        table_key: KMS key of the table: ``key``.
        table_removal_policy: what stack deletion does to the table: destroyed. It only holds
            idempotency records that expire within ``idempotency_ttl`` and the time of the last
            start; nothing in it outlives the function that reads it, so retaining it would only
            leave an orphan. Point-in-time recovery still covers mistakes while the stack lives.
        guardrail: the platform's SageMaker guardrail, attached to every role created: none.
        permissions_boundary: permissions boundary of every role created: none.
        reserved_concurrency: reserved concurrency of the function (1..1000): none, so stack creation
            works in accounts with a low concurrency quota. Decisions stay one-at-a-time in effect
            without it: the event claim and the start gate are conditional writes and the start is
            idempotent on the event id.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline: PipelineRef | str,
        vpc: ec2.IVpc,
        key: kms.IKey,
        alarm_topic: sns.ITopic,
        new_data: NewDataTrigger | None = None,
        schedule: ScheduleTrigger | None = None,
        drift_alarms: Sequence[cloudwatch.IAlarm] = (),
        monitoring_schedules: Sequence[MonitoringScheduleLike | str] = (),
        cooldown: Duration | None = None,
        input_data_parameter: str | None = "InputDataUrl",
        trigger_reason_parameter: str | None = "TriggerReason",
        pipeline_parameter_names: Sequence[str] | None = None,
        idempotency_ttl: Duration | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        endpoint_security_group: ec2.ISecurityGroup | None = None,
        dynamodb_prefix_list_id: str | None = None,
        log_key: kms.IKey | None = None,
        table_key: kms.IKey | None = None,
        table_removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        guardrail: iam.IManagedPolicy | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.pipeline_arn = pipeline if isinstance(pipeline, str) else pipeline.pipeline_arn
        self.cooldown = cooldown if cooldown is not None else Duration.hours(1)
        idempotency_ttl = idempotency_ttl or Duration.days(7)
        if pipeline_parameter_names is None and not isinstance(pipeline, str):
            known = getattr(pipeline, "parameter_names", None)
            pipeline_parameter_names = list(known) if isinstance(known, list | tuple) else None
        self.monitoring_schedule_arns = [monitoring_schedule_arn(self, s) for s in monitoring_schedules]
        self.drift_alarm_arns = [a.alarm_arn for a in drift_alarms]
        direct = schedule is not None and schedule.direct
        self.direct_parameters: dict[str, str] = dict(schedule.parameters) if schedule is not None and direct else {}
        if direct and trigger_reason_parameter:
            self.direct_parameters.setdefault(trigger_reason_parameter, "schedule")
        judged = bool(new_data or drift_alarms or monitoring_schedules or (schedule is not None and not direct))

        problems = Problems(self)
        problems.require(
            bool(new_data or schedule or drift_alarms or monitoring_schedules),
            "new_data/schedule/drift_alarms/monitoring_schedules",
            None,
            "at least one trigger",
            what="are all empty: give at least one trigger",
        )
        problems.require(
            bool(PIPELINE_ARN.match(self.pipeline_arn)),
            "pipeline",
            self.pipeline_arn,
            "a pipeline ARN arn:<partition>:sagemaker:<region>:<account>:pipeline/<name>",
        )
        problems.require_range("cooldown (seconds)", self.cooldown.to_seconds(), 0, _MAX_COOLDOWN.to_seconds())
        problems.require_range("idempotency_ttl (seconds)", idempotency_ttl.to_seconds(), 3600, 365 * 24 * 3600)
        if new_data is not None:
            check_new_data(problems, new_data)
            warn_if_bucket_events_unknown(self, new_data)
        if schedule is not None:
            expression = schedule.schedule.expression_string
            if problems.require(
                bool(SCHEDULE_EXPRESSION.match(expression)),
                "schedule.schedule",
                expression,
                "rate(<n> <unit>) or cron(<6 fields>) (events.Schedule.rate / events.Schedule.cron)",
            ):
                for problem in schedule_problems(expression):
                    problems.add(
                        "schedule.schedule", expression, "", what=f"must be a valid EventBridge schedule: {problem}"
                    )
        for prop, name in (
            ("input_data_parameter", input_data_parameter),
            ("trigger_reason_parameter", trigger_reason_parameter),
        ):
            if name is not None:
                problems.require(
                    bool(_PARAMETER_NAME.match(name)), prop, name, "a pipeline parameter name [A-Za-z0-9-_]{1,256}"
                )
        if pipeline_parameter_names is not None:
            used = list(self.direct_parameters)
            if new_data is not None and input_data_parameter:
                used.append(input_data_parameter)
            if judged and trigger_reason_parameter:
                used.append(trigger_reason_parameter)
            declared = ", ".join(pipeline_parameter_names) or "none"
            for name in dict.fromkeys(used):
                problems.require(
                    name in pipeline_parameter_names,
                    "pipeline parameters",
                    name,
                    f"declared by the pipeline ({declared})",
                    what=f"name a parameter the pipeline does not declare ({declared}): declare it or pass None",
                )
        for name in self.direct_parameters:
            problems.require(
                bool(_PARAMETER_NAME.match(name)), "schedule.parameters", name, "pipeline parameter names [A-Za-z0-9-_]"
            )
        if direct:
            self._check_direct_target(problems)
        if reserved_concurrency is not None:
            problems.require_range("reserved_concurrency", reserved_concurrency, 1, 1000)
        if dynamodb_prefix_list_id is not None:
            problems.require(
                dynamodb_prefix_list_id.startswith("pl-"),
                "dynamodb_prefix_list_id",
                dynamodb_prefix_list_id,
                "a prefix list id 'pl-...'",
            )
        problems.raise_if_any()

        self.function: GlueFunction | None = None
        self.table: dynamodb.Table | None = None
        self.pipeline_target_role: ManagedPolicyRole | None = None
        self.new_data_rule: events.Rule | None = None
        self.schedule_rule: events.Rule | None = None
        self.drift_rule: events.Rule | None = None
        self.monitoring_rule: events.Rule | None = None
        self.dead_letter_alarm: cloudwatch.Alarm | None = None

        if judged:
            self.table, self.function = retraining_function(
                self,
                pipeline_arn=self.pipeline_arn,
                key=key,
                table_key=table_key or key,
                log_key=log_key,
                alarm_topic=alarm_topic,
                vpc=vpc,
                vpc_subnets=vpc_subnets,
                endpoint_security_group=endpoint_security_group,
                dynamodb_prefix_list_id=dynamodb_prefix_list_id,
                table_removal_policy=table_removal_policy,
                guardrail=guardrail,
                permissions_boundary=permissions_boundary,
                environment=self._environment(
                    new_data, input_data_parameter, trigger_reason_parameter, idempotency_ttl
                ),
                reserved_concurrency=reserved_concurrency,
            )
        if self.function is not None:
            self.dead_letter_queue: sqs.IQueue = self.function.dead_letter_queue
        else:
            queue, self.dead_letter_alarm = direct_dead_letter_queue(self, key, alarm_topic)
            self.dead_letter_queue = queue

        if new_data is not None:
            self.new_data_rule = self._rule(
                "NewDataRule",
                f"New data under {new_data.prefix or '/'} starts the retraining decision",
                event_pattern=new_data_pattern(new_data.bucket.bucket_name, new_data.prefix),
            )
        if schedule is not None:
            self.schedule_rule = events.Rule(
                self,
                "ScheduleRule",
                description=f"Scheduled retraining ({schedule.schedule.expression_string})"[:512],
                schedule=schedule.schedule,
            )
            if direct:
                self.pipeline_target_role = ManagedPolicyRole(
                    self,
                    "PipelineTargetRole",
                    assumed_by=iam.ServicePrincipal(
                        "events.amazonaws.com",
                        conditions={"StringEquals": {"aws:SourceAccount": stack_env(self).account}},
                    ),
                    description=f"EventBridge starts the pipeline on schedule ({self.node.path})",
                    statements=[pipeline_target_role_statement(self.pipeline_arn)],
                    guardrail=guardrail,
                    permissions_boundary=permissions_boundary,
                )
                self.schedule_rule.add_target(
                    SageMakerPipelineTarget(
                        pipeline_arn=self.pipeline_arn,
                        role=self.pipeline_target_role.immutable_role,
                        dead_letter_queue=self.dead_letter_queue,
                        parameters=self.direct_parameters,
                    )
                )
            else:
                self._add_function_target(self.schedule_rule)
        if drift_alarms:
            self.drift_rule = self._rule(
                "DriftAlarmRule",
                "A drift alarm going to ALARM starts the retraining decision",
                event_pattern=alarm_pattern(self.drift_alarm_arns),
            )
        if self.monitoring_schedule_arns:
            self.monitoring_rule = self._rule(
                "MonitoringViolationRule",
                "A monitoring job with violations starts the retraining decision",
                event_pattern=monitoring_pattern(self.monitoring_schedule_arns),
            )

    # -- construction ---------------------------------------------------------------------------------

    def _check_direct_target(self, problems: Problems) -> None:
        stack = stack_of(self)
        env = env_of(stack)
        parts = self.pipeline_arn.split(":")
        if len(parts) < 6 or is_unresolved(self.pipeline_arn):
            return
        for label, arn_value, own in (
            ("region", parts[3], env.region),
            ("account", parts[4], env.account),
        ):
            if not is_unresolved(own):
                problems.require(
                    arn_value == own,
                    f"pipeline ({label})",
                    arn_value,
                    f"this stack's {label} {own} for a direct schedule target (or ScheduleTrigger(direct=False))",
                )

    def _environment(
        self,
        new_data: NewDataTrigger | None,
        input_data_parameter: str | None,
        trigger_reason_parameter: str | None,
        idempotency_ttl: Duration,
    ) -> dict[str, str]:
        env = {
            "PIPELINE_ARN": self.pipeline_arn,
            "COOLDOWN_SECONDS": str(int(self.cooldown.to_seconds())),
            "IDEMPOTENCY_TTL_SECONDS": str(int(idempotency_ttl.to_seconds())),
            "INPUT_DATA_PARAMETER": input_data_parameter or "",
            "TRIGGER_REASON_PARAMETER": trigger_reason_parameter or "",
        }
        if new_data is not None:
            env["DATA_BUCKET"] = new_data.bucket.bucket_name
            env["DATA_PREFIX"] = new_data.prefix
        if self.drift_alarm_arns:
            env["ALARM_ARNS"] = ",".join(self.drift_alarm_arns)
        if self.monitoring_schedule_arns:
            env["MONITORING_SCHEDULE_ARNS"] = ",".join(self.monitoring_schedule_arns)
        return env

    def _rule(self, construct_id: str, description: str, *, event_pattern: events.EventPattern) -> events.Rule:
        rule = events.Rule(self, construct_id, description=description[:512], event_pattern=event_pattern)
        self._add_function_target(rule)
        return rule

    def _add_function_target(self, rule: events.Rule) -> None:
        assert self.function is not None  # judged triggers always create the function
        rule.add_target(self.function.rule_target())

    # -- API --------------------------------------------------------------------------------------------

    @property
    def rules(self) -> list[events.Rule]:
        """Every EventBridge rule of the trigger."""
        return [
            r for r in (self.new_data_rule, self.schedule_rule, self.drift_rule, self.monitoring_rule) if r is not None
        ]

    def metric_decisions_failed(self, **props: object) -> cloudwatch.Metric:
        """Failed invocations of the retraining function (sum); raises if every trigger is direct."""
        if self.function is None:
            raise ValueError(f"{self.node.path}: no retraining function (every trigger is a direct target)")
        return self.function.metric_errors(**props)
