"""Gateway-endpoint egress: the default (no prefix lists) works and stays inside the VPC; prefix lists narrow it.

Regression for the real-AWS review: with no prefix-list ids (the environment-agnostic default) the workload
security group had no egress to S3 at all, so jobs, monitors and Studio could not reach S3.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.network import Network
from constructs_ml.errors import ValidationError
from constructs_ml.foundation import MlNetwork, PlatformKeys
from constructs_ml.governance.control_checks import sg_open
from tests.fixtures import ENV
from tests.support import new_app, resources_of

PL_S3 = "pl-6da54004"
PL_DDB = "pl-02cd2c6b"


@pytest.fixture(scope="module")
def synthesized() -> tuple[Assembly, dict[str, Any], dict[str, Any]]:
    app = new_app(governed=False, validate_cfn=False)
    default = Stack(app, "Default", env=ENV)
    keys = PlatformKeys(default, "Keys")
    net = MlNetwork(default, "Net", logs_key=keys.logs)
    glue = ec2.SecurityGroup(default, "Glue", vpc=net.vpc, allow_all_outbound=False, description="glue")
    net.connect(glue, s3=True, dynamodb=True)
    pinned = Stack(app, "Pinned", env=ENV)
    keys2 = PlatformKeys(pinned, "Keys")
    net2 = MlNetwork(pinned, "Net", logs_key=keys2.logs, s3_prefix_list_id=PL_S3, dynamodb_prefix_list_id=PL_DDB)
    glue2 = ec2.SecurityGroup(pinned, "Glue", vpc=net2.vpc, allow_all_outbound=False, description="glue")
    net2.connect(glue2, s3=True, dynamodb=True)
    assembly = app.synth()
    out = Assembly(assembly.directory)
    return out, out.stacks["Default"].template, out.stacks["Pinned"].template


def _egress(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every egress rule: standalone resources and the groups' inline rules."""
    rules = [r["Properties"] for r in resources_of(template, "AWS::EC2::SecurityGroupEgress").values()]
    for sg in resources_of(template, "AWS::EC2::SecurityGroup").values():
        rules += sg["Properties"].get("SecurityGroupEgress", [])
    return rules


def test_default_egress_to_gateways_is_https_only(synthesized: tuple[Assembly, dict[str, Any], dict[str, Any]]) -> None:
    _, template, _ = synthesized
    anywhere = [r for r in _egress(template) if r.get("CidrIp") == "0.0.0.0/0"]
    # One rule per group (workload and glue), TCP 443 only.
    assert len(anywhere) == 2
    assert all((r["IpProtocol"], r["FromPort"], r["ToPort"]) == ("tcp", 443, 443) for r in anywhere)
    assert not resources_of(template, "AWS::EC2::InternetGateway")
    assert not resources_of(template, "AWS::EC2::NatGateway")


def test_default_network_reaches_s3_and_dynamodb_without_an_internet_route(
    synthesized: tuple[Assembly, dict[str, Any], dict[str, Any]],
) -> None:
    assembly, _, _ = synthesized
    network = Network(assembly)
    view = assembly.stacks["Default"]
    subnets = [str(assembly.ref(view, lid)) for lid, r in view.resources.items() if r["Type"] == "AWS::EC2::Subnet"]
    for group_path in ("Net/WorkloadSecurityGroup", "Glue"):
        (gid,) = [
            g
            for g, (v, lid) in network.groups.items()
            if v is view and v.paths.get(lid, "").startswith(f"/Default/{group_path}")
        ]
        for service in ("s3", "sagemaker.api", "sts"):
            assert network.reach(service, [gid], subnets) == [], (group_path, service)
    (glue,) = [
        g for g, (v, lid) in network.groups.items() if v is view and v.paths.get(lid, "").startswith("/Default/Glue")
    ]
    assert network.reach("dynamodb", [glue], subnets) == []


def test_prefix_lists_replace_the_open_rule(synthesized: tuple[Assembly, dict[str, Any], dict[str, Any]]) -> None:
    _, _, template = synthesized
    egress = _egress(template)
    assert not [r for r in egress if r.get("CidrIp") == "0.0.0.0/0"]
    assert {r.get("DestinationPrefixListId") for r in egress} >= {PL_S3, PL_DDB}


def test_the_network_check_catches_the_old_default(
    synthesized: tuple[Assembly, dict[str, Any], dict[str, Any]],
) -> None:
    """Without the HTTPS egress (the behaviour before the fix) S3 is unreachable: the check says so."""
    assembly, _, _ = synthesized
    network = Network(assembly)
    view = assembly.stacks["Default"]
    subnets = [str(assembly.ref(view, lid)) for lid, r in view.resources.items() if r["Type"] == "AWS::EC2::Subnet"]
    (gid,) = [
        g for g, (v, lid) in network.groups.items() if v is view and v.paths.get(lid, "").startswith("/Default/Glue")
    ]
    network.rules = [r for r in network.rules if not (r.group == gid and r.cidr == "0.0.0.0/0")]
    problems = network.reach("dynamodb", [gid], subnets)
    assert problems and "no egress rule allows tcp/443 to the dynamodb gateway endpoint" in problems[0]


def test_an_internet_route_is_reported(synthesized: tuple[Assembly, dict[str, Any], dict[str, Any]]) -> None:
    assembly, _, _ = synthesized
    network = Network(assembly)
    view = assembly.stacks["Default"]
    subnets = [str(assembly.ref(view, lid)) for lid, r in view.resources.items() if r["Type"] == "AWS::EC2::Subnet"]
    network.routes.append(
        {"RouteTableId": network.route_table_of[subnets[0]], "GatewayId": "igw-1", "DestinationCidrBlock": "0.0.0.0/0"}
    )
    (gid,) = [
        g for g, (v, lid) in network.groups.items() if v is view and v.paths.get(lid, "").startswith("/Default/Glue")
    ]
    assert any("route out of the VPC" in p for p in network.reach("s3", [gid], subnets))


def test_net06_allows_only_https_egress_to_anywhere() -> None:
    def sg(egress: list[dict[str, Any]], ingress: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        return {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"SecurityGroupEgress": egress, "SecurityGroupIngress": list(ingress)},
        }

    https = {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    assert sg_open(sg([https])) is None
    assert sg_open(sg([{**https, "FromPort": 22, "ToPort": 22}])) == "rule open to the internet"
    assert sg_open(sg([{**https, "IpProtocol": "-1"}])) == "rule open to the internet"
    assert sg_open(sg([], [https])) == "rule open to the internet"
    assert sg_open({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": https}) == "rule open to the internet"
    assert sg_open({"Type": "AWS::EC2::SecurityGroupEgress", "Properties": https}) is None


def test_bad_prefix_list_ids_are_rejected() -> None:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Bad", env=ENV)
    keys = PlatformKeys(stack, "Keys")
    with pytest.raises(ValidationError) as err:
        MlNetwork(stack, "Net", logs_key=keys.logs, dynamodb_prefix_list_id="dynamodb")
    assert list(err.value.problems) == [
        "Bad/Net: dynamodb_prefix_list_id must be a prefix list id 'pl-' + 8..17 hex digits (got 'dynamodb')"
    ]
