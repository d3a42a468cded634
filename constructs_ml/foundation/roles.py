"""Roles whose permissions live only in customer-managed policies.

CDK's L2 grants add statements to a role's inline ``DefaultPolicy``; HIPAA, NIST 800-53 and PCI
flag every inline policy (control IAM-02). :class:`ManagedPolicyRole` is ``IGrantable``: any
``bucket.grant_read(role)`` or ``key.grant_decrypt(role)`` lands in the role's own customer-managed
policy instead. Hand L2 constructs :attr:`ManagedPolicyRole.immutable_role` so they cannot add
inline policies behind your back (and add what they would have added to the role yourself).

Example::

    role = ManagedPolicyRole(self, "TrainingRole",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="SageMaker training jobs of the churn model",
        guardrail=guardrail.policy)
    data_bucket.grant_read(role)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Duration, Tags
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from constructs_ml._jsii_cache import by_reference, env_of, memo, stack_of
from constructs_ml.errors import Problems
from constructs_ml.governance.iam_wildcards import acknowledge_reviewed_wildcards


@functools.cache
def _one_hour() -> Duration:
    """The default maximum session (a ``Duration`` never changes: one object per process, not per role)."""
    return Duration.hours(1)


@jsii.implements(iam.IPrincipal)
class _ManagedPolicyPrincipal:
    """The principal of a :class:`ManagedPolicyRole`: statements go to its managed policy."""

    def __init__(self, owner: ManagedPolicyRole) -> None:
        self._owner = owner

    @property
    def assume_role_action(self) -> str:
        return self._owner.role.assume_role_action

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._owner.role.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._owner.role.principal_account

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        policy = self._owner.policy
        policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=policy)


@jsii.implements(iam.IGrantable)
class ManagedPolicyRole(Construct):
    """An IAM role whose permissions are only customer-managed policies.

    Grants on this construct (it is ``IGrantable``) add statements to :attr:`policy`, a customer-managed
    policy created on first use. Attach the platform guardrail with ``guardrail``. Wildcards in the policy
    that a reviewed allowlist entry covers (by finding pattern and exact actions) are acknowledged at
    synth with that entry's reason; any other wildcard remains a cdk-nag finding.

    Args:
        scope: parent construct.
        construct_id: construct id.
        assumed_by: who may assume the role (a service principal for execution roles).
        description: what the role is for; shown in IAM.
        statements: initial statements of the role's policy.
        guardrail: a guardrail policy (deny-only) attached as well, e.g. ``SageMakerGuardrail.policy``.
        managed_policies: further customer-managed policies to attach. AWS-managed policies
            (``arn:aws:iam::aws:policy/...``) are rejected.
        permissions_boundary: a permissions boundary for this role; the reference app sets one on
            every role through :func:`constructs_ml.foundation.apply_permissions_boundary` instead.
        role_name: a physical name; a generated one when omitted (recommended).
        max_session_duration: maximum session length: one hour when omitted.
        tags: tags for the role, e.g. ``{"constructs-ml:persona": "data-scientist"}``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        assumed_by: iam.IPrincipal,
        description: str,
        statements: Sequence[iam.PolicyStatement] = (),
        guardrail: iam.IManagedPolicy | None = None,
        managed_policies: Sequence[iam.IManagedPolicy] = (),
        permissions_boundary: iam.IManagedPolicy | None = None,
        role_name: str | None = None,
        max_session_duration: Duration | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.require(bool(description and description.strip()), "description", description, "a non-empty string")
        for p in managed_policies:
            # The ARN is usually a token (partition): look at what it resolves to.
            rendered = json.dumps(stack_of(self).resolve(p.managed_policy_arn))
            if ":iam::aws:policy/" in rendered:
                problems.add("managed_policies", rendered, "customer-managed policies only (IAM-03)")
        problems.raise_if_any()

        policies = [*managed_policies]
        if guardrail is not None:
            policies.append(guardrail)
        self.role = iam.Role(
            self,
            "Resource",
            assumed_by=assumed_by,
            description=description,
            managed_policies=policies,
            permissions_boundary=permissions_boundary,
            role_name=role_name,
            max_session_duration=max_session_duration or _one_hour(),
        )
        for k, v in (tags or {}).items():
            Tags.of(self.role).add(k, v)
        self._policy: iam.ManagedPolicy | None = None
        self._principal = _ManagedPolicyPrincipal(self)
        self._description = description
        self.add_to_policy(*statements)

    @property
    def policy(self) -> iam.ManagedPolicy:
        """The role's own customer-managed policy (created on first use)."""
        if self._policy is None:
            self._policy = iam.ManagedPolicy(
                self,
                "Policy",
                description=f"Permissions of: {self._description}"[:1000],
                roles=[self.role],
            )
            acknowledge_reviewed_wildcards(self._policy)
        return self._policy

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The principal to grant to; statements go to :attr:`policy`."""
        return by_reference(self._principal)

    @property
    def immutable_role(self) -> iam.IRole:
        """This role, for L2 constructs: they cannot add (inline) policies to it."""
        return self.role.without_policy_updates()

    @property
    def role_arn(self) -> str:
        return memo(self, "role_arn", lambda: self.role.role_arn)

    @property
    def role_name(self) -> str:
        return self.role.role_name

    def add_to_policy(self, *statements: iam.PolicyStatement) -> None:
        """Add statements to the role's managed policy (in one call to Node however many)."""
        if statements:
            self.policy.add_statements(*statements)

    def attach(self, policy: iam.IManagedPolicy) -> None:
        """Attach another customer-managed policy."""
        self.role.add_managed_policy(policy)

    def grant_pass_role(self, grantee: iam.IGrantable, service: str = "sagemaker.amazonaws.com") -> iam.Grant:
        """Allow ``grantee`` to pass this role, only to ``service`` (IAM-08)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["iam:PassRole"],
            resource_arns=[self.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": service}},
        )


def grant_statements(grantee: iam.IGrantable, statements: Sequence[GrantStatement]) -> iam.Grant:
    """Grant ``statements`` (actions, resources, conditions) to ``grantee``, in order, as one grant.

    The same policy as one ``iam.Grant.add_to_principal`` per statement, combined. When ``grantee`` is a
    :class:`ManagedPolicyRole` (or its ``grant_principal``), the statements after the first are added to
    its policy in one call: each ``Grant.add_to_principal`` on a principal written in Python costs
    Node two calls back into Python. The returned grant then holds the first statement; every
    statement is in the role's policy, the grant's dependable.
    """
    if not statements:
        raise ValueError("grant_statements: no statement to grant")
    first, rest = statements[0], statements[1:]
    grant = iam.Grant.add_to_principal(
        grantee=grantee, actions=list(first.actions), resource_arns=list(first.resources), conditions=first.conditions
    )
    owner = managed_policy_role_of(grantee)
    if owner is not None:
        owner.add_to_policy(*(s.to_policy_statement() for s in rest))
        return grant
    for s in rest:
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee, actions=list(s.actions), resource_arns=list(s.resources), conditions=s.conditions
            )
        )
    return grant


@dataclass(frozen=True)
class GrantStatement:
    """One statement of :func:`grant_statements`."""

    actions: Sequence[str]
    resources: Sequence[str]
    conditions: dict[str, Any] | None = None

    def to_policy_statement(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=list(self.actions), resources=list(self.resources), conditions=self.conditions
        )


def managed_policy_role_of(grantee: iam.IGrantable) -> ManagedPolicyRole | None:
    """The :class:`ManagedPolicyRole` that ``grantee`` is (or is the principal of), else ``None``."""
    if isinstance(grantee, ManagedPolicyRole):
        return grantee
    if isinstance(grantee, _ManagedPolicyPrincipal):
        return grantee._owner
    return None


def policy_document(statements: Sequence[dict[str, Any]]) -> iam.PolicyDocument:
    """A policy document from IAM JSON statements, in one call to CDK however many statements.

    The same document as one ``iam.PolicyStatement`` per statement added to it (CDK builds each with
    ``PolicyStatement.from_json``), for policies whose statements are all known up front.
    """
    return iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": list(statements)})


def stack_arn(scope: IConstruct, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    """An ARN in the scope's partition/region/account, e.g. ``stack_arn(self, "sagemaker", "pipeline/x")``."""
    stack = stack_of(scope)
    env = env_of(stack)
    return f"arn:{env.partition}:{service}:{env.region if region else ''}:{env.account if account else ''}:{resource}"
