"""Endpoint fleets: many endpoints spread over sibling stacks, each within CloudFormation's limit.

A stack holds at most 500 resources, and each endpoint brings several (its model, the model's role,
the endpoint config, the endpoint, two rollback alarms per variant, autoscaling, monitors): one stack
holds a few dozen endpoints. :class:`EndpointFleet` places its members ``endpoints_per_stack`` at a
time in sibling stacks (``<fleet>/Stack0``, ``<fleet>/Stack1``, ...) and checks each stack's resource
count at synth, naming the stack, the count and the fix instead of CDK's raw error.

Example::

    def churn_endpoint(scope: Construct, segment: str) -> Endpoint:
        model = Model(scope, "Model", image=image, model_data=ModelData.from_bucket(bucket, f"{segment}/model.tar.gz"),
                      vpc=network.vpc, security_groups=[network.workload_security_group])
        return Endpoint(scope, "Endpoint", variants=[InstanceVariant(model=model)],
                        kms_key=keys.data, alarm_topic=topic.topic)

    fleet = EndpointFleet(app, "Fleet", env=env, endpoints_per_stack=30)
    for segment in segments:
        fleet.add(segment, functools.partial(churn_endpoint, segment=segment))

Why sibling stacks and not nested stacks: every gate of the platform reads the cloud assembly's
stacks (the workload contracts, the governance report, cfn-lint of each template), and a nested
stack's template is a file asset that those gates do not see as a stack; sibling stacks also deploy
and roll back independently (a failed endpoint update rolls back one stack, not the fleet) and in
parallel (``cdk deploy --concurrency``). Shared resources (keys, network, buckets, topic) stay in the
platform's stacks and reach the fleet's stacks as cross-stack references.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from aws_cdk import Environment, Stack, Tags
from constructs import Construct

from constructs_ml.errors import Problems
from constructs_ml.governance.resource_limit import CLOUDFORMATION_MAX_RESOURCES, StackResourceLimit

T = TypeVar("T")


class EndpointFleet(Construct):
    """Endpoints spread over sibling stacks, ``endpoints_per_stack`` per stack.

    Members are placed in the order they are added: the first ``endpoints_per_stack`` in
    ``Stack0``, the next in ``Stack1``, and so on; a new stack is created when the last one is full.
    Adding members at the end never moves existing ones. Removing or reordering members moves the
    later ones to other stacks, which replaces them: their resources are created in the new stack
    under new names (names derived from the construct path include the stack) and deleted from the
    old one, so callers of the old endpoint name break. Remove members only from the end, or give a
    removed member's place to a new one.

    Each stack checks at synth that it holds at most ``max_resources_per_stack`` resources and
    otherwise fails the synth with a message naming the stack, the count and an
    ``endpoints_per_stack`` that fits.

    Args:
        scope: the app or stage (stacks are created under this construct).
        construct_id: construct id (the prefix of the stacks' paths).
        endpoints_per_stack: members per stack: 30 (measured: an endpoint of one variant with
            autoscaling brings 9 resources, 13 with data capture and a data-quality monitor; see
            docs/serve.md).
        max_resources_per_stack: the synth-time limit per stack: CloudFormation's 500.
        env: account and region of the stacks: environment-agnostic. Give the env of the stack
            that holds the shared resources (keys, network, topic) the members reference.
        stack_name_prefix: physical stack names ``<prefix>-<n>``: derived from the construct path.
        tags: tags on every stack of the fleet (and so on their resources): none.

    Raises:
        ValidationError: ``endpoints_per_stack`` below 1, ``max_resources_per_stack`` outside
            1..500, or a member id used twice.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoints_per_stack: int = 30,
        max_resources_per_stack: int = CLOUDFORMATION_MAX_RESOURCES,
        env: Environment | None = None,
        stack_name_prefix: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.require(
            isinstance(endpoints_per_stack, int) and endpoints_per_stack >= 1,
            "endpoints_per_stack",
            endpoints_per_stack,
            "an int >= 1",
        )
        problems.require(
            isinstance(max_resources_per_stack, int) and 1 <= max_resources_per_stack <= CLOUDFORMATION_MAX_RESOURCES,
            "max_resources_per_stack",
            max_resources_per_stack,
            f"an int between 1 and {CLOUDFORMATION_MAX_RESOURCES}",
        )
        problems.raise_if_any()
        self.endpoints_per_stack = endpoints_per_stack
        self.max_resources_per_stack = max_resources_per_stack
        self._env = env
        self._stack_name_prefix = stack_name_prefix
        self._tags = dict(tags or {})
        #: the fleet's stacks, in order.
        self.stacks: list[Stack] = []
        #: member id -> what its builder returned (usually the :class:`Endpoint`).
        self.members: dict[str, object] = {}

    def add(self, member_id: str, build: Callable[[Construct], T]) -> T:
        """Add one member: ``build`` creates its endpoint (and model, alarms, monitor) in a scope.

        Args:
            member_id: construct id of the member's scope in its stack (unique in the fleet).
            build: called once with the member's scope; what it returns is returned and recorded
                in :attr:`members`.

        Returns:
            What ``build`` returned.

        Raises:
            ValidationError: ``member_id`` already used in this fleet.
        """
        problems = Problems(self)
        problems.require(member_id not in self.members, "member_id", member_id, "unique in the fleet")
        problems.raise_if_any()
        index = len(self.members) // self.endpoints_per_stack
        stack = self.stacks[index] if index < len(self.stacks) else self._new_stack(index)
        member = build(Construct(stack, member_id))
        self.members[member_id] = member
        return member

    def stack_for(self, member_id: str) -> Stack:
        """The stack that holds ``member_id``.

        Raises:
            KeyError: no such member.
        """
        position = list(self.members).index(member_id) if member_id in self.members else -1
        if position < 0:
            raise KeyError(member_id)
        return self.stacks[position // self.endpoints_per_stack]

    def _fix_for(self, stack: Stack) -> Callable[[int], str]:
        def fix(count: int) -> str:
            members = sum(1 for m in self.members if self.stack_for(m) is stack)
            fits = max(1, self.max_resources_per_stack * members // count) if count else members
            return (
                f"lower endpoints_per_stack of {self.node.path} (now {self.endpoints_per_stack}; "
                f"{members} members hold {count} resources here, so about {fits} fit)"
            )

        return fix

    def _new_stack(self, index: int) -> Stack:
        name = f"{self._stack_name_prefix}-{index}" if self._stack_name_prefix else None
        stack = Stack(self, f"Stack{index}", env=self._env, stack_name=name)
        for key, value in self._tags.items():
            Tags.of(stack).add(key, value)
        stack.node.add_validation(StackResourceLimit(stack, self.max_resources_per_stack, self._fix_for(stack)))
        self.stacks.append(stack)
        return stack
