"""ApprovalForwarding: send a central registry's approval events to the accounts that deploy its models.

SageMaker emits "SageMaker Model Package State Change" in the registry's account only. This construct,
in the registry account, puts one rule per target account on the default bus: packages of the group
that became ``Approved`` (optionally only those whose model life cycle reached a given stage, the
"second approval" for production) are sent to the target account's default bus, with a role that may
``events:PutEvents`` on exactly those buses and a KMS-encrypted dead-letter queue with an alarm. The
receiving side is :class:`~constructs_ml.operate.DeployOnApproval` with ``allow_events_from_accounts``
(a bus policy limited to ``aws.sagemaker`` events of the registry account).

Example::

    ApprovalForwarding(registry_stack, "ForwardApprovals", model_package_group=registry,
        targets=[ForwardingTarget("333333333333", "eu-west-1"),
                 ForwardingTarget("444444444444", "eu-west-1", lifecycle_stage="Production")],
        key=keys.messaging, alarm_topic=topic)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.errors import Problems
from constructs_ml.foundation.dead_letter import TargetDeadLetterQueue
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.operate.deploy_on_approval import ModelPackageGroupRef

#: Sending events to an event bus in another account (the rule's role needs events:PutEvents on it).
CROSS_ACCOUNT_EVENTS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html"
#: EventBridge's role for targets (trust to events.amazonaws.com).
EVENTS_ROLE = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html"
#: SageMaker model registry events.
REGISTRY_EVENTS = "https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html"
#: Model life cycle stages of a model package (the "second approval" for production).
MODEL_LIFECYCLE = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-staging-construct.html"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


@dataclass(frozen=True)
class ForwardingTarget:
    """An account whose default bus receives the approvals.

    Attributes:
        account: the target account.
        region: the target region (its default bus).
        lifecycle_stage: forward only packages whose ``ModelLifeCycle.Stage`` is this value and whose
            ``StageStatus`` is ``Approved`` (a second, stage-level approval): every approval when None.
    """

    account: str
    region: str
    lifecycle_stage: str | None = None


class ApprovalForwarding(Construct):
    """Rules on the registry account's default bus that forward a group's approvals to other accounts.

    Args:
        scope: parent construct (a stack in the registry's account and region).
        construct_id: construct id.
        model_package_group: the registry group (``ModelRegistry``, or anything with its name and ARN).
        targets: the accounts (and regions) to forward to; not the registry's own account.
        key: the KMS key of the dead-letter queue (the platform messaging key).
        alarm_topic: where the dead-letter alarm notifies.

    Raises:
        ValidationError: no target, a target in the registry's own account, duplicate targets, bad
            account ids or regions.

    Attributes:
        role: the role EventBridge uses to put events on the target buses (``events:PutEvents`` on
            exactly those buses).
        rules: one rule per target, in the order given.
        dead_letter_queue / dead_letter_alarm: events that could not be delivered, and the alarm on them.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_package_group: ModelPackageGroupRef,
        targets: Sequence[ForwardingTarget],
        key: kms.IKey,
        alarm_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = stack_of(self)
        env = env_of(stack)
        problems = Problems(self)
        problems.require(bool(targets), "targets", list(targets), "at least one account to forward to")
        seen: set[tuple[str, str]] = set()
        for i, t in enumerate(targets):
            problems.require(
                bool(_ACCOUNT.match(t.account)), f"targets[{i}].account", t.account, "a 12-digit account id"
            )
            problems.require(bool(_REGION.match(t.region)), f"targets[{i}].region", t.region, "a region like eu-west-1")
            problems.require(
                t.account != env.account,
                f"targets[{i}].account",
                t.account,
                "",
                what="is the registry's own account: its rules see the events already",
            )
            problems.require((t.account, t.region) not in seen, f"targets[{i}]", t, "each account and region once")
            seen.add((t.account, t.region))
        problems.raise_if_any()
        group_name = model_package_group.model_package_group_name
        self.targets = tuple(targets)
        self.bus_arns = [f"arn:{env.partition}:events:{t.region}:{t.account}:event-bus/default" for t in self.targets]
        self.managed_role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": env.account}}
            ),
            description="EventBridge: forward model approvals to the deploying accounts' default buses",
        )
        self.managed_role.add_to_policy(
            iam.PolicyStatement(actions=["events:PutEvents"], resources=list(dict.fromkeys(self.bus_arns)))
        )
        self.role = self.managed_role.role
        # The foundation's terminal dead-letter queue for EventBridge targets (KMS, TLS, 14 days, alarm).
        dead_letter = TargetDeadLetterQueue(self, "DeadLetterQueue", key=key, alarm_topic=alarm_topic)
        self.dead_letter_queue = dead_letter.queue
        self.dead_letter_alarm = dead_letter.alarm

        self.rules: list[events.Rule] = []
        for target, bus_arn in zip(self.targets, self.bus_arns, strict=True):
            detail: dict[str, object] = {"ModelPackageGroupName": [group_name], "ModelApprovalStatus": ["Approved"]}
            if target.lifecycle_stage:
                detail["ModelLifeCycle"] = {"Stage": [target.lifecycle_stage], "StageStatus": ["Approved"]}
            rule = events.Rule(
                self,
                f"To{target.account}{target.region.replace('-', '')}",
                description=f"Forward approvals of {group_name} to {target.account} ({target.region})",
                event_pattern=events.EventPattern(
                    source=["aws.sagemaker"],
                    detail_type=["SageMaker Model Package State Change"],
                    account=[env.account],
                    detail=detail,
                ),
            )
            rule.add_target(
                events_targets.EventBus(
                    events.EventBus.from_event_bus_arn(self, f"Bus{target.account}{target.region}", bus_arn),
                    # immutable: the policy above already allows PutEvents on exactly these buses.
                    role=self.managed_role.immutable_role,
                    dead_letter_queue=self.dead_letter_queue,
                )
            )
            self.rules.append(rule)
        self._contract(group_name)

    def _contract(self, group_name: str) -> None:
        stack = stack_of(self)
        env = env_of(stack)
        contract = WorkloadContract.of(self.managed_role)
        contract.allows(
            "sts:AssumeRole",
            self.role.role_arn,
            caller="service:events.amazonaws.com",
            context={"aws:SourceAccount": env.account},
            why="EventBridge assumes the role to deliver to the other accounts' buses",
            source=EVENTS_ROLE,
        )
        for bus_arn in dict.fromkeys(self.bus_arns):
            contract.allows(
                "events:PutEvents",
                bus_arn,
                why=f"forward approvals of {group_name} to a deploying account's default bus",
                source=CROSS_ACCOUNT_EVENTS,
            )
        contract.denies(
            "events:PutEvents",
            f"arn:{env.partition}:events:{env.region}:999999999999:event-bus/default",
            why="only the configured accounts' buses receive the registry's events",
            source=CROSS_ACCOUNT_EVENTS,
        )
