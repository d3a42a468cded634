"""Workload contracts: what a role's workload must be able to do, recorded next to the role.

A contract lists the AWS calls a role's workload makes (action, resource, request context), each with
the AWS page that says the workload needs it, the calls the platform's guardrails must stop, and the
network destinations the workload must reach from its security groups and subnets. Contracts are
recorded in the cloud assembly (construct metadata of type :data:`METADATA_TYPE`) and evaluated offline
on the synthesized templates by :func:`constructs_ml.contracts.check_assembly`.

Example::

    contract = WorkloadContract.of(role)
    contract.allows("s3:GetObject", bucket.arn_for_objects("train/*"),
        why="training reads its input channel",
        source="https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html")
    contract.reaches("s3", security_groups=[sg], subnets=network.subnets, why="input channel download",
        source="https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsii
from aws_cdk import IStableAnyProducer, Lazy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from constructs_ml._jsii_cache import security_group_id, subnet_id
from constructs_ml.errors import ValidationError

#: The construct-metadata type contracts are recorded under.
METADATA_TYPE = "constructs-ml:workload-contract"

#: Network destinations a contract can name: interface endpoint services, the two gateway services,
#: and ``self`` (the workload's own security group, e.g. between distributed-training instances).
GATEWAY_SERVICES = ("s3", "dynamodb")


@dataclass(frozen=True)
class Call:
    """One AWS call of the workload: allowed (``expect="allow"``) or stopped by policy (``"deny"``)."""

    action: str
    resource: str
    why: str
    source: str
    context: Mapping[str, Any] = field(default_factory=dict)
    expect: str = "allow"
    principal_tags: Mapping[str, str] = field(default_factory=dict)
    #: a caller other than the role (e.g. a person's IAM user assuming it): only the resource policy
    #: (the role's trust policy) decides; the caller's own identity policies are assumed to allow.
    caller: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "call",
            "caller": self.caller,
            "action": self.action,
            "resource": self.resource,
            "context": dict(self.context),
            "expect": self.expect,
            "why": self.why,
            "source": self.source,
            "principalTags": dict(self.principal_tags),
        }


@dataclass(frozen=True)
class Reach:
    """A network destination of the workload: a service (through its VPC endpoint) or ``self``."""

    service: str
    security_group_ids: Sequence[str]
    subnet_ids: Sequence[str]
    why: str
    source: str
    protocol: str = "tcp"
    port: int = 443

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "reach",
            "service": self.service,
            "securityGroups": list(self.security_group_ids),
            "subnets": list(self.subnet_ids),
            "protocol": self.protocol,
            "port": self.port,
            "why": self.why,
            "source": self.source,
        }


_CONTRACT = "_constructs_ml_workload_contract"


def _principal_arn(principal: Any) -> str:
    for attr in ("role_arn",):
        value = getattr(principal, attr, None)
        if isinstance(value, str):
            return value
    raise ValidationError([f"WorkloadContract: {principal!r} is not a role (no role_arn)"])


@jsii.implements(IStableAnyProducer)
class _EntriesProducer:
    def __init__(self, contract: WorkloadContract) -> None:
        self._contract = contract

    def produce(self) -> Any:
        return [e.to_json() for e in self._contract.entries]


class WorkloadContract:
    """The contract of one role's workload. Get it with :meth:`of`; one per role.

    Entries are recorded in the role's construct metadata when the app is synthesized.
    """

    def __init__(self, anchor: IConstruct, role_arn: str) -> None:
        self.anchor = anchor
        self.role_arn = role_arn
        self.entries: list[Call | Reach] = []
        anchor.node.add_metadata(
            METADATA_TYPE,
            {
                "role": role_arn,
                "entries": Lazy.any(_EntriesProducer(self)),
            },
        )

    @classmethod
    def of(cls, role: IConstruct) -> WorkloadContract:
        """The contract of ``role`` (an ``iam.Role`` or a :class:`ManagedPolicyRole`), created on first use."""
        anchor: IConstruct = getattr(role, "role", role)
        existing = anchor.__dict__.get(_CONTRACT)  # one per role, kept on the role's Python object
        if isinstance(existing, WorkloadContract):
            return existing
        contract = cls(anchor, _principal_arn(role))
        anchor.__dict__[_CONTRACT] = contract
        return contract

    # -- recording ------------------------------------------------------------------------------

    def allows(
        self,
        actions: str | Sequence[str],
        resources: str | Sequence[str],
        *,
        why: str,
        source: str,
        context: Mapping[str, Any] | None = None,
        principal_tags: Mapping[str, str] | None = None,
        caller: str | None = None,
    ) -> WorkloadContract:
        """The workload calls ``actions`` on ``resources`` (with ``context``), and must be allowed."""
        return self._calls("allow", actions, resources, why, source, context, principal_tags, caller)

    def denies(
        self,
        actions: str | Sequence[str],
        resources: str | Sequence[str],
        *,
        why: str,
        source: str,
        context: Mapping[str, Any] | None = None,
        principal_tags: Mapping[str, str] | None = None,
        caller: str | None = None,
    ) -> WorkloadContract:
        """A call the platform's guardrails, boundary or resource policies must stop for this role."""
        return self._calls("deny", actions, resources, why, source, context, principal_tags, caller)

    def _calls(
        self,
        expect: str,
        actions: str | Sequence[str],
        resources: str | Sequence[str],
        why: str,
        source: str,
        context: Mapping[str, Any] | None,
        principal_tags: Mapping[str, str] | None,
        caller: str | None = None,
    ) -> WorkloadContract:
        if not source.startswith("https://docs.aws.amazon.com/"):
            raise ValidationError(
                [
                    f"{self.anchor.node.path}: WorkloadContract source must be an AWS documentation page "
                    f"(https://docs.aws.amazon.com/...), got {source!r}"
                ]
            )
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                self.entries.append(
                    Call(
                        action=action,
                        resource=resource,
                        why=why,
                        source=source,
                        context=dict(context or {}),
                        expect=expect,
                        principal_tags=dict(principal_tags or {}),
                        caller=caller,
                    )
                )
        return self

    def reaches(
        self,
        services: str | Sequence[str],
        *,
        security_groups: Sequence[ec2.ISecurityGroup | str],
        subnets: Sequence[ec2.ISubnet | str],
        why: str,
        source: str,
        protocol: str = "tcp",
        port: int = 443,
    ) -> WorkloadContract:
        """The workload reaches ``services`` (``"s3"``, ``"sagemaker.api"``, ..., or ``"self"``) over the network."""
        sg_ids = [s if isinstance(s, str) else security_group_id(s) for s in security_groups]
        subnet_ids = [s if isinstance(s, str) else subnet_id(s) for s in subnets]
        for service in [services] if isinstance(services, str) else services:
            self.entries.append(
                Reach(
                    service=service,
                    security_group_ids=sg_ids,
                    subnet_ids=subnet_ids,
                    why=why,
                    source=source,
                    protocol=protocol,
                    port=port,
                )
            )
        return self


def contract_for(principal: object) -> WorkloadContract | None:
    """The contract of ``principal`` if it is a role this app creates (an ``iam.Role`` or a
    ``ManagedPolicyRole``), else None: imported roles' workloads are their owners' to state."""
    anchor = getattr(principal, "role", principal)
    if isinstance(anchor, iam.Role):
        return WorkloadContract.of(principal)  # type: ignore[arg-type]
    return None
