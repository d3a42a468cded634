"""GlueFunction: a hardened Lambda function for the platform's glue code (LMB-01..03, LOG-01, MSG-03/04, CW-01).

The code comes from the library's packaged ``lambdas/`` folder (see :mod:`constructs_ml.operate.glue_code`).

What every GlueFunction has:

- Python 3.14 (the newest runtime in aws-cdk-lib 2.275), arm64, a chosen timeout and memory size,
  X-Ray tracing active; the timeout is passed to the handler as ``FUNCTION_TIMEOUT_SECONDS`` (client
  timeouts, retries and idempotency leases derive from it);
- no reserved concurrency unless asked for: reserving capacity fails stack creation in accounts whose
  concurrency quota is low (new accounts often have 10, and Lambda keeps 10 unreserved), and the
  handlers are safe when invocations overlap (conditional writes, idempotent starts, SageMaker's
  refusal of a second concurrent endpoint update);
- a VPC attachment in isolated subnets with its own security group: no ``0.0.0.0/0`` egress, only
  HTTPS to the VPC endpoints' security group (or to the VPC CIDR when none is given);
- an SQS dead-letter queue encrypted with the given KMS key, TLS-only, kept 14 days, with an alarm
  as soon as a message lands in it (the queue is terminal, so it has no redrive policy itself);
- an explicit ``logs.LogGroup`` with a KMS key and a retention (no ``log_retention=`` custom resource);
- an error alarm (``Errors > 0`` over one minute) that notifies the given SNS topic;
- a role whose permissions are only customer-managed policies (no inline, no AWS-managed): the
  runtime needs (ENIs, X-Ray) in one policy, the logs, DLQ and every grant in another; a permissions
  boundary when given.

Example::

    glue = GlueFunction(self, "RetrainingTrigger",
        code="retraining_trigger",
        description="Starts the churn pipeline on new data, drift and schedules",
        vpc=network.vpc, endpoint_security_group=network.endpoint_security_group,
        key=keys.messaging, log_key=keys.logs, alarm_topic=alerts,
        environment={"PIPELINE_ARN": pipeline.pipeline_arn, ...})
    table.grant_read_write_data(glue)          # lands in the role's customer-managed policy
    rule.add_target(glue.rule_target())        # DLQ + retry policy on the target, SourceArn-scoped permission
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml._jsii_cache import select_subnets, stack_env
from constructs_ml.errors import Problems
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.operate.glue_code import (
    ENV_NAME,
    FUNCTION_TIMEOUT_VARIABLE,
    LAMBDAS_PACKAGE,
    RESERVED_ENVIRONMENT,
    SHARED_PACKAGE,
    available_functions,
    function_code,
    lambda_code_root,
)
from constructs_ml.operate.glue_role import execution_role, glue_runtime_contract

__all__ = [
    "FUNCTION_TIMEOUT_VARIABLE",
    "LAMBDAS_PACKAGE",
    "RESERVED_ENVIRONMENT",
    "RUNTIME",
    "SHARED_PACKAGE",
    "GlueFunction",
    "available_functions",
    "function_code",
    "lambda_code_root",
]

#: The runtime every GlueFunction uses.
RUNTIME = lambda_.Runtime.PYTHON_3_14
_FOLDER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _selection(selection: ec2.SubnetSelection) -> dict[str, Any]:
    keys = ("availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnets", "subnet_type")
    return {k: getattr(selection, k) for k in keys if getattr(selection, k, None) is not None}


@jsii.implements(iam.IGrantable)
class GlueFunction(Construct):
    """A hardened Lambda function running one of the library's glue handlers.

    The construct is ``IGrantable``: ``bucket.grant_read(glue)`` adds the statement to the role's
    customer-managed policy.

    Args:
        scope: parent construct.
        construct_id: construct id.
        code: the packaged function folder, e.g. ``"retraining_trigger"`` (see :func:`available_functions`).
        description: what the function does; shown in the console.
        vpc: the VPC to run in.
        key: KMS key of the dead-letter queue and the environment variables (the platform's messaging
            key). For an imported key, its policy must let ``events.amazonaws.com`` use it if
            :meth:`rule_target` is used, and this account's principals through ``lambda`` and ``sqs``.
        alarm_topic: SNS topic the error and dead-letter alarms notify.
        environment: environment variables (the handler's contract, see its module docstring).
        vpc_subnets: where to place the ENIs: the isolated subnets when omitted.
        endpoint_security_group: security group of the VPC interface endpoints; HTTPS egress goes
            only to it (and it gets the matching ingress rule). Egress to the VPC CIDR on 443 when omitted.
        log_key: KMS key of the log group; ``key`` when omitted. Its policy must let the
            ``logs.<region>.amazonaws.com`` principal use it for this account's log groups.
        timeout: how long one invocation may run (3 s..15 min): 1 minute when omitted.
        memory_size: memory in MB (128..10240): 256 when omitted.
        reserved_concurrent_executions: reserved (and maximum) concurrency, 1..1000: none when omitted
            (the function shares the account's unreserved pool; see the module docstring).
        retry_attempts: retries of a failed asynchronous invocation (0..2): 2 when omitted.
        max_event_age: how long an asynchronous event may wait (1 min..6 h): 6 hours when omitted.
        log_retention: log retention: one year when omitted.
        dead_letter_retention: how long failed events stay in the DLQ (1 min..14 days): 14 days.
        permissions_boundary: permissions boundary of the role; none when omitted (the reference
            app sets one on every role through an Aspect).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: str,
        description: str,
        vpc: ec2.IVpc,
        key: kms.IKey,
        alarm_topic: sns.ITopic,
        environment: Mapping[str, str] | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        endpoint_security_group: ec2.ISecurityGroup | None = None,
        log_key: kms.IKey | None = None,
        timeout: Duration | None = None,
        memory_size: int = 256,
        reserved_concurrent_executions: int | None = None,
        retry_attempts: int = 2,
        max_event_age: Duration | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        dead_letter_retention: Duration | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = timeout or Duration.minutes(1)
        max_event_age = max_event_age or Duration.hours(6)
        dead_letter_retention = dead_letter_retention or Duration.days(14)
        env = dict(environment or {})
        self._validate(
            code,
            description,
            env,
            timeout,
            memory_size,
            reserved_concurrent_executions,
            retry_attempts,
            max_event_age,
            dead_letter_retention,
        )
        self._key = key

        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=dead_letter_retention,
        )
        acknowledge(self.dead_letter_queue, "terminal-dead-letter-queue")
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=log_key or key,
            retention=log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            allow_all_outbound=False,
            description=f"{self.node.path}: HTTPS to AWS APIs through the VPC endpoints only",
        )
        if endpoint_security_group is not None:
            self.security_group.connections.allow_to(
                endpoint_security_group, ec2.Port.tcp(443), "HTTPS to the VPC interface endpoints"
            )
        else:
            self.security_group.add_egress_rule(
                ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.tcp(443), "HTTPS to the VPC endpoints (VPC CIDR)"
            )

        self.role, self.runtime_policy = execution_role(
            self,
            code,
            key=key,
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
            permissions_boundary=permissions_boundary,
        )

        subnets = vpc_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.function = lambda_.Function(
            self,
            "Resource",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            code=function_code(code),
            handler=f"{code}.handler.handler",
            description=description,
            environment={**env, FUNCTION_TIMEOUT_VARIABLE: str(int(timeout.to_seconds()))},
            # Environment variables at rest under the platform key (the role may decrypt it through Lambda).
            environment_encryption=key,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrent_executions,
            tracing=lambda_.Tracing.ACTIVE,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            role=self.role.immutable_role,
            dead_letter_queue=self.dead_letter_queue,
            log_group=self.log_group,
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
        )
        if reserved_concurrent_executions is None:
            acknowledge(self.function, "glue-function-no-reserved-concurrency")
        event_invoke_config = self.function.node.try_find_child("EventInvokeConfig")
        if event_invoke_config is not None:
            acknowledge(event_invoke_config, "lambda-dlq-instead-of-failure-destination")
        # ENIs are created when the function is; its permissions must exist first.
        self.function.node.add_dependency(self.runtime_policy, self.role.policy)

        self.error_alarm = cloudwatch.Alarm(
            self,
            "ErrorAlarm",
            alarm_description=f"{self.node.path}: the function failed (see its log group and dead-letter queue)",
            metric=self.metric_errors(period=Duration.minutes(1)),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.dead_letter_alarm = cloudwatch.Alarm(
            self,
            "DeadLetterAlarm",
            alarm_description=f"{self.node.path}: an event landed in the dead-letter queue; inspect and redrive it",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for alarm in (self.error_alarm, self.dead_letter_alarm):
            alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))
        #: The subnets the function's ENIs are in (for its contract's network paths).
        self.subnets: list[ec2.ISubnet] = list(select_subnets(vpc, **_selection(subnets)).subnets)
        #: The workload contract of the function's role; the constructs using it add their calls.
        self.contract = glue_runtime_contract(self, key.key_arn)

    def reaches(self, *services: str, why: str, source: str) -> None:
        """Record in the contract that the handler reaches ``services`` from the function's security group."""
        self.contract.reaches(
            list(services), security_groups=[self.security_group], subnets=self.subnets, why=why, source=source
        )

    def _validate(
        self,
        code: str,
        description: str,
        env: dict[str, str],
        timeout: Duration,
        memory_size: int,
        reserved: int | None,
        retry_attempts: int,
        max_event_age: Duration,
        dead_letter_retention: Duration,
    ) -> None:
        problems = Problems(self)
        if not _FOLDER_NAME.match(code):
            problems.add("code", code, "a packaged function folder name ([a-z][a-z0-9_]*)")
        else:
            available = available_functions()
            problems.require(code in available, "code", code, "one of " + ", ".join(available))
        problems.require(bool(description.strip()), "description", description, "a non-empty string")
        problems.require(len(description) <= 256, "description", description, "at most 256 characters")
        problems.require_range("timeout (seconds)", timeout.to_seconds(), 3, 900)
        problems.require_range("memory_size", memory_size, 128, 10240)
        if reserved is not None:
            problems.require_range("reserved_concurrent_executions", reserved, 1, 1000)
        problems.require_range("retry_attempts", retry_attempts, 0, 2)
        problems.require_range("max_event_age (seconds)", max_event_age.to_seconds(), 60, 21600)
        problems.require_range("dead_letter_retention (seconds)", dead_letter_retention.to_seconds(), 60, 1209600)
        for name in env:
            problems.require(
                bool(ENV_NAME.match(name)) and name not in RESERVED_ENVIRONMENT and name != FUNCTION_TIMEOUT_VARIABLE,
                "environment",
                name,
                f"names matching [a-zA-Z][a-zA-Z0-9_]* that Lambda does not reserve (nor {FUNCTION_TIMEOUT_VARIABLE}, "
                "which GlueFunction sets from timeout)",
            )
        problems.raise_if_any()

    # -- identity -----------------------------------------------------------------------------

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The principal to grant to; statements go to the role's customer-managed policy."""
        return self.role.grant_principal

    @property
    def function_arn(self) -> str:
        return self.function.function_arn

    @property
    def function_name(self) -> str:
        return self.function.function_name

    @property
    def connections(self) -> ec2.Connections:
        """The function's network connections (e.g. ``glue.connections.allow_to(peer, port)``)."""
        return self.security_group.connections

    def add_to_role_policy(self, *statements: iam.PolicyStatement) -> None:
        """Add statements to the role's customer-managed policy (in one call to Node however many)."""
        self.role.add_to_policy(*statements)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to invoke the function."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["lambda:InvokeFunction"], resource_arns=[self.function_arn]
        )

    # -- events -------------------------------------------------------------------------------

    def allow_invoke_from_rule(self, rule: events.IRule) -> lambda_.CfnPermission:
        """A ``Lambda::Permission`` for EventBridge, scoped to ``rule`` (SourceArn) and this account (LMB-03)."""
        return lambda_.CfnPermission(
            self,
            f"InvokeFrom{rule.node.id}",
            action="lambda:InvokeFunction",
            function_name=self.function_arn,
            principal="events.amazonaws.com",
            source_arn=rule.rule_arn,
            source_account=stack_env(self).account,
        )

    def rule_target(
        self,
        *,
        event: events.RuleTargetInput | None = None,
        retry_attempts: int = 8,
        max_event_age: Duration | None = None,
    ) -> targets.LambdaFunction:
        """An EventBridge target for this function with a retry policy and this function's DLQ (EVT-01).

        The target adds a ``Lambda::Permission`` scoped to the rule's ARN when it is bound. Events
        EventBridge cannot deliver land in the same dead-letter queue as failed invocations.

        Args:
            event: input transformation; the matched event when omitted (what the handlers expect).
            retry_attempts: delivery retries (0..185): 8 when omitted.
            max_event_age: how long EventBridge keeps retrying (1 min..24 h): 24 hours when omitted.
        """
        problems = Problems(self)
        problems.require_range("rule_target retry_attempts", retry_attempts, 0, 185)
        problems.raise_if_any()
        self._key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEventBridgeToDeadLetter",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack_env(self).account}},
            )
        )
        return targets.LambdaFunction(
            self.function,
            event=event,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=retry_attempts,
            max_event_age=max_event_age or Duration.hours(24),
        )

    # -- metrics ------------------------------------------------------------------------------

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """A metric of this function in the ``AWS/Lambda`` namespace."""
        return self.function.metric(metric_name, **props)

    def metric_errors(self, **props: Any) -> cloudwatch.Metric:
        """Invocations that failed (sum)."""
        return self.function.metric_errors(**props)

    def metric_throttles(self, **props: Any) -> cloudwatch.Metric:
        """Invocations throttled by the reserved concurrency (sum)."""
        return self.function.metric_throttles(**props)

    def metric_duration(self, **props: Any) -> cloudwatch.Metric:
        """Invocation duration (average unless ``statistic`` is given)."""
        return self.function.metric_duration(**props)
