"""An EventBridge rule target that starts a SageMaker pipeline, with a dead-letter queue and retries.

aws-cdk-lib 2.275's ``aws_events_targets`` has no SageMaker pipeline target (EventBridge supports one:
``Targets[].SageMakerPipelineParameters``; only the EventBridge *Scheduler* targets package has an
equivalent), and ``events.RuleTargetConfig`` has no field for the pipeline parameters.
:class:`SageMakerPipelineTarget` fills that gap for ``events.Rule``: the target's ``Arn`` is the
pipeline, its ``RoleArn`` a role that may only ``sagemaker:StartPipelineExecution`` on that pipeline,
its ``DeadLetterConfig`` and ``RetryPolicy`` are always set (EVT-01), and the parameters are written
to the rule's ``Targets[<n>].SageMakerPipelineParameters`` (a validation checks at synth that
``<n>`` is this target's entry).

It lives in ``build`` (it targets a pipeline) so that both ``serve`` (scheduled
:class:`~constructs_ml.serve.BatchTransform`) and ``operate`` (direct
:class:`~constructs_ml.operate.RetrainingTrigger` schedules) can use it; ``constructs_ml.operate``
re-exports it. Its dead-letter queue is the caller's: acknowledge the queue's missing redrive policy
with the allowlist entry ``pipeline-target-dead-letter-queue`` (it is itself the terminal queue).

Example::

    rule = events.Rule(self, "Nightly", schedule=events.Schedule.cron(hour="2", minute="0"))
    rule.add_target(SageMakerPipelineTarget(
        pipeline_arn=pipeline.pipeline_arn, role=role.immutable_role, dead_letter_queue=dlq,
        parameters={"TriggerReason": "schedule"}))

Use it for triggers that need no judgement (a plain schedule): EventBridge starts the pipeline even
while a run is in flight. Triggers that must be debounced go through
:class:`~constructs_ml.operate.RetrainingTrigger`'s function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces import aws_events as events_refs
from constructs import IConstruct, IValidation

from constructs_ml._jsii_cache import stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import contract_for
from constructs_ml.errors import Problems

_TARGET_ID = re.compile(r"^Target(\d+)$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,256}$")


@jsii.implements(events.IRuleTarget)
class SageMakerPipelineTarget:
    """Start a SageMaker pipeline from an ``events.Rule`` (direct target, no Lambda).

    Args:
        pipeline_arn: the pipeline to start; it must be in the rule's account and region (EventBridge
            does not deliver to pipelines of other accounts).
        role: the role EventBridge assumes; it must allow ``sagemaker:StartPipelineExecution`` on the
            pipeline (nothing else is needed) and trust ``events.amazonaws.com``.
        dead_letter_queue: where events go that EventBridge could not deliver (EVT-01). Its policy
            gets a statement letting this rule (``aws:SourceArn``) send messages; a KMS-encrypted queue's
            key must let ``events.amazonaws.com`` use it.
        parameters: pipeline parameters of every execution started (names must be declared by the
            pipeline): none.
        retry_attempts: delivery retries (0..185): 8.
        max_event_age: how long EventBridge keeps retrying (1 min..24 h): 24 hours.
    """

    def __init__(
        self,
        *,
        pipeline_arn: str,
        role: iam.IRole,
        dead_letter_queue: sqs.IQueue,
        parameters: Mapping[str, str] | None = None,
        retry_attempts: int = 8,
        max_event_age: Duration | None = None,
    ) -> None:
        self.pipeline_arn = pipeline_arn
        self.role = role
        self.dead_letter_queue = dead_letter_queue
        self.parameters = dict(parameters or {})
        self.retry_attempts = retry_attempts
        self.max_event_age = max_event_age or Duration.hours(24)

    def problems(self, scope: Any) -> Problems:
        """The problems of these props, recorded against ``scope`` (not raised)."""
        problems = Problems(scope)
        problems.require_range("retry_attempts", self.retry_attempts, 0, 185)
        problems.require_range("max_event_age (seconds)", self.max_event_age.to_seconds(), 60, 86400)
        problems.require(len(self.parameters) <= 200, "parameters", len(self.parameters), "at most 200 parameters")
        for name in self.parameters:
            problems.require(bool(_PARAMETER_NAME.match(name)), "parameters", name, "names of [A-Za-z0-9-_]{1,256}")
        return problems

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        """Called by ``rule.add_target``: the target's config, plus the parameters on the L1 rule."""
        self.problems(rule).raise_if_any()
        self.dead_letter_queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"AllowEventRule{rule.node.addr}",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letter_queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.rule_ref.rule_arn}},
            )
        )
        if self.parameters:
            match = _TARGET_ID.match(id or "")
            cfn = rule.node.default_child
            if match is None or not isinstance(cfn, events.CfnRule):
                raise ValueError(
                    f"{rule.node.path}: SageMakerPipelineTarget with parameters needs an events.Rule in this "
                    f"account (got target id {id!r})"
                )
            index = int(match.group(1))
            cfn.add_property_override(
                f"Targets.{index}.SageMakerPipelineParameters",
                {"PipelineParameterList": [{"Name": k, "Value": v} for k, v in sorted(self.parameters.items())]},
            )
            rule.node.add_validation(_TargetIndexCheck(cfn, index, id or "", self.pipeline_arn))
        return events.RuleTargetConfig(
            arn=self.pipeline_arn,
            role=self.role,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self.dead_letter_queue.queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=self.retry_attempts,
                maximum_event_age_in_seconds=int(self.max_event_age.to_seconds()),
            ),
        )


@jsii.implements(IValidation)
class _TargetIndexCheck:
    """Synth-time check that ``Targets[index]`` is the target the parameters were written for."""

    def __init__(self, cfn: events.CfnRule, index: int, target_id: str, pipeline_arn: str) -> None:
        self._cfn = cfn
        self._index = index
        self._id = target_id
        self._arn = pipeline_arn

    def validate(self) -> list[str]:
        stack = stack_of(self._cfn)
        rendered = stack.resolve(self._cfn.targets)
        if not isinstance(rendered, list) or len(rendered) <= self._index:
            return [f"SageMakerPipelineTarget: the rule has no target #{self._index} for the pipeline parameters"]
        target = rendered[self._index]
        target_id = target.get("id", target.get("Id")) if isinstance(target, dict) else None
        arn = target.get("arn", target.get("Arn")) if isinstance(target, dict) else None
        if target_id != self._id or arn != stack.resolve(self._arn):
            return [
                f"SageMakerPipelineTarget: target #{self._index} of the rule is {target_id!r}, not the pipeline "
                f"target {self._id!r}; its SageMakerPipelineParameters would land on the wrong target"
            ]
        return []


def pipeline_target_role_statement(pipeline_arn: str) -> iam.PolicyStatement:
    """The only permission a direct pipeline target's role needs."""
    return iam.PolicyStatement(
        sid="StartThisPipelineOnly", actions=["sagemaker:StartPipelineExecution"], resources=[pipeline_arn]
    )


def record_target_contract(role: IConstruct, pipeline_arn: str) -> None:
    """The workload contract of an EventBridge role that starts ``pipeline_arn`` (and nothing else)."""
    contract = contract_for(role)
    if contract is None:
        return
    src.assumed_by_service(contract, role, contract.role_arn, "events.amazonaws.com", src.EVENTBRIDGE_PIPELINE_TARGET)
    contract.allows(
        "sagemaker:StartPipelineExecution",
        pipeline_arn,
        why="the rule starts the pipeline",
        source=src.EVENTBRIDGE_PIPELINE_TARGET,
    ).denies(
        "sagemaker:StartPipelineExecution",
        stack_of(role).format_arn(service="sagemaker", resource="pipeline", resource_name="another-pipeline"),
        why="the target role starts only its own pipeline",
        source=src.EVENTBRIDGE_PIPELINE_TARGET,
    )
