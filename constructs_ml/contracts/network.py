"""Network reachability on synthesized templates: security groups, VPC endpoints and routes.

A workload (its security groups and subnets) reaches a service when:

- interface endpoint services (``sagemaker.api``, ``sts``, ``logs``, ...): an interface endpoint for the
  service exists in the subnets' VPC with private DNS on, the workload's egress rules allow the port to
  one of the endpoint's security groups (or a CIDR that holds the VPC), and the endpoint's security
  groups admit the port from one of the workload's groups (or a CIDR that holds the subnets);
- gateway services (``s3``, ``dynamodb``): a gateway endpoint for the service is associated with the
  route table of every workload subnet, and the egress rules allow the port to a prefix list or to
  ``0.0.0.0/0`` (which, in subnets without an internet route, leaves the VPC only through the gateway
  endpoints' routes);
- ``self``: the workload's groups allow the protocol and port to and from themselves.

It also reports any route of the workload's subnets that leaves the VPC for the internet (an internet
gateway, NAT gateway, egress-only gateway, transit gateway or peering connection).
Sources: https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html,
https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html,
https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs_ml.contracts.assembly import Assembly, StackView

_PROTOCOLS = {"tcp": "6", "udp": "17", "esp": "50", "icmp": "1"}
_INTERNET_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "EgressOnlyInternetGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "CarrierGatewayId",
)


@dataclass(frozen=True)
class Rule:
    """One security-group rule, resolved: direction, protocol, ports and the peer."""

    group: str
    egress: bool
    protocol: str
    from_port: int
    to_port: int
    cidr: str | None = None
    peer_group: str | None = None
    prefix_list: str | None = None

    def covers(self, protocol: str, port: int) -> bool:
        proto = _PROTOCOLS.get(self.protocol, self.protocol)
        if proto == "-1":
            return True
        if proto != _PROTOCOLS.get(protocol, protocol):
            return False
        if protocol in ("esp",) or proto in ("50",):
            return True
        return self.from_port <= port <= self.to_port


def _rule(assembly: Assembly, group: str, egress: bool, props: dict[str, Any]) -> Rule:
    return Rule(
        group=group,
        egress=egress,
        protocol=str(props.get("IpProtocol", "-1")).lower(),
        from_port=int(props.get("FromPort", -1) if props.get("FromPort") is not None else -1),
        to_port=int(props.get("ToPort", -1) if props.get("ToPort") is not None else -1),
        cidr=props.get("CidrIp"),
        peer_group=props.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"),
        prefix_list=props.get("DestinationPrefixListId" if egress else "SourcePrefixListId"),
    )


class Network:
    """The network resources of an assembly, indexed for reachability questions."""

    def __init__(self, assembly: Assembly) -> None:
        self.assembly = assembly
        self.rules: list[Rule] = []
        self.groups: dict[str, tuple[StackView, str]] = {}
        for view, lid, _ in assembly.resources("AWS::EC2::SecurityGroup"):
            gid = str(assembly.ref(view, lid))
            self.groups[gid] = (view, lid)
            props = assembly.properties(view, lid)
            for r in props.get("SecurityGroupEgress", []):
                self.rules.append(_rule(assembly, gid, True, r))
            for r in props.get("SecurityGroupIngress", []):
                self.rules.append(_rule(assembly, gid, False, r))
        for rtype, egress in (("AWS::EC2::SecurityGroupEgress", True), ("AWS::EC2::SecurityGroupIngress", False)):
            for view, lid, _ in assembly.resources(rtype):
                props = assembly.properties(view, lid)
                self.rules.append(_rule(assembly, str(props.get("GroupId")), egress, props))
        self.subnets: dict[str, dict[str, Any]] = {}
        for view, lid, _ in assembly.resources("AWS::EC2::Subnet"):
            self.subnets[str(assembly.ref(view, lid))] = assembly.properties(view, lid)
        self.route_table_of: dict[str, str] = {}
        for view, lid, _ in assembly.resources("AWS::EC2::SubnetRouteTableAssociation"):
            props = assembly.properties(view, lid)
            self.route_table_of[str(props.get("SubnetId"))] = str(props.get("RouteTableId"))
        self.routes: list[dict[str, Any]] = [
            assembly.properties(v, lid) for v, lid, _ in assembly.resources("AWS::EC2::Route")
        ]
        self.vpc_cidrs: dict[str, str] = {}
        for view, lid, _ in assembly.resources("AWS::EC2::VPC"):
            self.vpc_cidrs[str(assembly.ref(view, lid))] = str(assembly.properties(view, lid).get("CidrBlock", ""))
        self.endpoints: list[tuple[StackView, str, dict[str, Any]]] = [
            (v, lid, assembly.properties(v, lid)) for v, lid, _ in assembly.resources("AWS::EC2::VPCEndpoint")
        ]

    def endpoint_for(self, service: str, vpc: str) -> tuple[StackView, str, dict[str, Any]] | None:
        """The VPC endpoint for ``service`` in ``vpc``."""
        for view, lid, props in self.endpoints:
            if str(props.get("ServiceName", "")).endswith(f".{service}") and props.get("VpcId") == vpc:
                return view, lid, props
        return None

    def _cidr_holds(self, cidr: str | None, inner: str) -> bool:
        if not cidr or not inner:
            return False
        try:
            return ipaddress.ip_network(inner, strict=False).subnet_of(ipaddress.ip_network(cidr, strict=False))  # type: ignore[arg-type]
        except ValueError:
            return False

    def reach(
        self, service: str, groups: Sequence[str], subnets: Sequence[str], *, protocol: str = "tcp", port: int = 443
    ) -> list[str]:
        """Why ``service`` is *not* reachable from ``groups`` in ``subnets`` (empty: reachable)."""
        problems: list[str] = []
        unknown = [g for g in groups if g not in self.groups]
        if unknown:
            return [f"security group(s) {unknown} are not in the assembly: their rules cannot be verified"]
        if not groups:
            return ["the workload has no security group"]
        missing_subnets = [s for s in subnets if s not in self.subnets]
        if missing_subnets or not subnets:
            return [f"subnet(s) {missing_subnets or '[]'} are not in the assembly: routes cannot be verified"]
        vpcs = {str(self.subnets[s].get("VpcId")) for s in subnets}
        if len(vpcs) != 1:
            return [f"the workload's subnets span {len(vpcs)} VPCs"]
        vpc = vpcs.pop()
        egress = [r for r in self.rules if r.egress and r.group in groups and r.covers(protocol, port)]
        for s in subnets:
            rt = self.route_table_of.get(s)
            for route in self.routes:
                if route.get("RouteTableId") == rt and any(route.get(k) for k in _INTERNET_TARGETS):
                    problems.append(f"subnet {s} has a route out of the VPC ({route})")
        if service == "self":
            ingress = [r for r in self.rules if not r.egress and r.group in groups and r.covers(protocol, port)]
            if not any(r.peer_group in groups for r in egress):
                problems.append(f"no egress rule allows {protocol}/{port} to the workload's own security group")
            if not any(r.peer_group in groups for r in ingress):
                problems.append(f"no ingress rule admits {protocol}/{port} from the workload's own security group")
            return problems
        found = self.endpoint_for(service, vpc)
        if found is None:
            return [*problems, f"no VPC endpoint for {service!r} in the workload's VPC"]
        _, lid, ep = found
        if ep.get("VpcEndpointType") == "Gateway":
            tables = set(ep.get("RouteTableIds", []))
            for s in subnets:
                if self.route_table_of.get(s) not in tables:
                    problems.append(f"the {service} gateway endpoint is not on the route table of subnet {s}")
            if not any(r.prefix_list or r.cidr == "0.0.0.0/0" for r in egress):
                problems.append(
                    f"no egress rule allows {protocol}/{port} to the {service} gateway endpoint "
                    "(its prefix list, or 0.0.0.0/0 in subnets without an internet route)"
                )
            return problems
        if ep.get("PrivateDnsEnabled") is not True:
            problems.append(f"the {service} endpoint {lid} has private DNS off: SDK calls would not use it")
        ep_groups = [str(g) for g in ep.get("SecurityGroupIds", [])]
        vpc_cidr = self.vpc_cidrs.get(vpc, "")
        if not any(r.peer_group in ep_groups or self._cidr_holds(r.cidr, vpc_cidr) for r in egress):
            problems.append(f"no egress rule allows {protocol}/{port} to the {service} endpoint's security groups")
        ingress = [r for r in self.rules if not r.egress and r.group in ep_groups and r.covers(protocol, port)]
        subnet_cidrs = [str(self.subnets[s].get("CidrBlock", "")) for s in subnets]
        if not any(r.peer_group in groups or all(self._cidr_holds(r.cidr, c) for c in subnet_cidrs) for r in ingress):
            problems.append(
                f"the {service} endpoint's security groups do not admit {protocol}/{port} from the workload"
            )
        return problems

    def endpoint_policy(self, service: str, subnets: Sequence[str]) -> dict[str, Any] | None:
        """The policy of the endpoint a workload in ``subnets`` uses for ``service`` (None: full access)."""
        vpcs = {str(self.subnets[s].get("VpcId")) for s in subnets if s in self.subnets}
        for vpc in vpcs:
            found = self.endpoint_for(service, vpc)
            if found is not None and found[2].get("PolicyDocument"):
                doc: dict[str, Any] = found[2]["PolicyDocument"]
                return doc
        return None
