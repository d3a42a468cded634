"""Synth-time check: no stack holds more resources than CloudFormation accepts (500).

CDK fails such a stack late with a bare count; this check runs in the validation phase, before any
template is written, and names every stack over the limit, its count and the fix (an
``EndpointFleet`` for many endpoints, or moving constructs to another stack).
"""

from __future__ import annotations

from collections.abc import Callable

import jsii
from aws_cdk import CfnResource, Stack
from constructs import IConstruct, IValidation

from constructs_ml._jsii_cache import stack_of

#: CloudFormation's hard limit of resources per stack.
CLOUDFORMATION_MAX_RESOURCES = 500

#: How to fix a stack over the limit (any stack, any construct).
SPLIT_THE_STACK = (
    "spread endpoints over stacks with constructs_ml.serve.EndpointFleet (see docs/serve.md), "
    "or move constructs to another stack"
)

_CHECKED = "_constructs_ml_resource_limit_checked"


def count_resources(stack: Stack) -> int:
    """CloudFormation resources in ``stack``'s own template (not those of its nested stacks).

    One jsii call for the whole tree: the proxies' classes answer ``isinstance`` in Python.
    """
    everything = stack.node.find_all()
    count = sum(1 for c in everything if isinstance(c, CfnResource))
    for nested in (c for c in everything if isinstance(c, Stack) and c is not stack):
        scope = nested.node.scope
        if scope is not None and stack_of(scope) is stack:  # directly nested: its resources are its own
            count -= sum(1 for c in nested.node.find_all() if isinstance(c, CfnResource))
    return count


def resource_limit_problems(
    stack: Stack, limit: int = CLOUDFORMATION_MAX_RESOURCES, fix: str | Callable[[int], str] = SPLIT_THE_STACK
) -> list[str]:
    """One message if ``stack`` holds more than ``limit`` resources, else none."""
    count = count_resources(stack)
    if count <= limit:
        return []
    return [
        f"{stack.node.path}: {count} resources, more than the {limit} a stack may hold here "
        f"(CloudFormation accepts at most {CLOUDFORMATION_MAX_RESOURCES} per stack): "
        f"{fix if isinstance(fix, str) else fix(count)}"
    ]


@jsii.implements(IValidation)
class StackResourceLimit:
    """``node.add_validation`` check of one stack against ``limit`` resources."""

    def __init__(
        self,
        stack: Stack,
        limit: int = CLOUDFORMATION_MAX_RESOURCES,
        fix: str | Callable[[int], str] = SPLIT_THE_STACK,
    ) -> None:
        setattr(stack, _CHECKED, True)  # the app-wide check leaves this stack to this one
        self._stack = stack
        self._limit = limit
        self._fix = fix

    def validate(self) -> list[str]:
        """The problem, if any (CDK reports it and fails the synth)."""
        return resource_limit_problems(self._stack, self._limit, self._fix)


@jsii.implements(IValidation)
class AppResourceLimit:
    """``node.add_validation`` check of every stack under a stage (stacks added later included)."""

    def __init__(self, stage: IConstruct) -> None:
        self._stage = stage

    def validate(self) -> list[str]:
        """One message per stack over CloudFormation's limit."""
        problems: list[str] = []
        for stack in (c for c in self._stage.node.find_all() if isinstance(c, Stack)):
            if getattr(stack, _CHECKED, False):
                continue
            problems.extend(resource_limit_problems(stack))
        return problems
