"""Acknowledge only the IAM wildcard findings that the allowlist reviewed, statement by statement.

cdk-nag's ``AwsSolutions-IAM5`` reports every ``*`` in an Allow statement's actions or resources as a
finding whose id embeds the flattened resource (``AwsSolutions-IAM5[Resource::<BucketX.Arn>/*]``). Those
ids depend on logical ids and account/region rendering, so they cannot be written by hand in a
library. :func:`acknowledge_reviewed_wildcards` computes them the way cdk-nag does, at synth, and
acknowledges a finding only when an allowlist entry marked ``auto`` matches its id **and** every Allow
statement that produces it uses only the entry's reviewed actions. Anything else stays a finding and
fails the governance gate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import jsii
from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IValidation

from constructs_ml._jsii_cache import memo, stack_of
from constructs_ml.governance.acknowledgements import ALLOWLIST, AllowedAcknowledgement

IAM5 = "AwsSolutions-IAM5"


def flatten_cfn_reference(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag flattens it (``{"Ref": "X"}`` → ``<X>``)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(flatten_cfn_reference(i) for i in items)
        if "Fn::Sub" in node:
            return flatten_cfn_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_cfn_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_cfn_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statement_findings(statement: dict[str, Any]) -> list[str]:
    """The IAM5 finding suffixes (``Action::x``/``Resource::y``) of one resolved statement."""
    if statement.get("Effect") != "Allow":
        return []
    out = [f"Action::{a}" for a in _as_list(statement.get("Action")) if isinstance(a, str) and "*" in a]
    for r in _as_list(statement.get("Resource")):
        flat = flatten_cfn_reference(r)
        if "*" in flat:
            out.append(f"Resource::{flat}")
    return out


def _action_covered(action: str, allowed: Iterable[str]) -> bool:
    return any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), action) for p in allowed)


def _has_conditions(statement: dict[str, Any], keys: Iterable[str]) -> bool:
    """``statement`` has a condition on each of ``keys`` (any operator; keys compare case-insensitively)."""
    present = {k.lower() for block in (statement.get("Condition") or {}).values() for k in block}
    return all(k.lower() in present for k in keys)


def reviewed_entry(finding_id: str, statements: list[dict[str, Any]]) -> tuple[str, AllowedAcknowledgement] | None:
    """The auto allowlist entry that covers ``finding_id`` for all of ``statements``, if any."""
    actions = [a for s in statements for a in _as_list(s.get("Action"))]
    for key, entry in ALLOWLIST.items():
        if not entry.auto or not entry.matches(finding_id):
            continue
        if entry.actions is not None and not all(_action_covered(a, entry.actions) for a in actions):
            continue
        if entry.conditions is not None and not all(_has_conditions(s, entry.conditions) for s in statements):
            continue
        return key, entry
    return None


@jsii.implements(IValidation)
class _ReviewedWildcards:
    """The reviewed-wildcard acknowledgements of every registered policy of one stack, at synth.

    One validation per stack (not per policy): each validation Node runs is a call back into Python.
    """

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self.policies: list[iam.CfnManagedPolicy] = []
        self._done = 0

    def validate(self) -> list[str]:
        pending = self.policies[self._done :]
        self._done = len(self.policies)
        if not pending:
            return []
        # every pending document resolved in one call
        documents = self._stack.resolve([p.policy_document for p in pending])
        for policy, document in zip(pending, documents, strict=True):
            acks = _acknowledgements(document)
            if acks:
                Validations.of(policy).acknowledge(*acks)
        return []


def _acknowledgements(document: Any) -> list[Acknowledgment]:
    by_finding: dict[str, list[dict[str, Any]]] = {}
    for statement in _as_list(document.get("Statement") if isinstance(document, dict) else None):
        for suffix in statement_findings(statement):
            by_finding.setdefault(f"{IAM5}[{suffix}]", []).append(statement)
    acks = []
    for finding_id, statements in sorted(by_finding.items()):
        match = reviewed_entry(finding_id, statements)
        if match is not None:
            acks.append(Acknowledgment(id=finding_id, reason=match[1].reason))
    return acks


def acknowledge_reviewed_wildcards(policy: iam.ManagedPolicy | iam.CfnManagedPolicy) -> None:
    """At synth, acknowledge the IAM5 findings of ``policy`` that reviewed allowlist entries cover."""
    cfn = policy if isinstance(policy, iam.CfnManagedPolicy) else policy.node.default_child
    assert isinstance(cfn, iam.CfnManagedPolicy)
    stack = stack_of(cfn)
    memo(stack, "reviewed_wildcards", lambda: _add_to(stack)).policies.append(cfn)


def _add_to(stack: Stack) -> _ReviewedWildcards:
    validation = _ReviewedWildcards(stack)
    stack.node.add_validation(validation)
    return validation
