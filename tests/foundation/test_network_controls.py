"""NET-01..11 on the synthesized foundation template."""

from __future__ import annotations

from typing import Any

from tests.support import resources_of

REQUIRED_ENDPOINTS = {"sagemaker.api", "sagemaker.runtime", "sts", "logs", "monitoring", "ecr.api", "ecr.dkr", "kms"}


def _service_suffix(name: Any) -> str:
    """'com.amazonaws.eu-west-1.sagemaker.api' (possibly as Fn::Join) -> 'sagemaker.api'."""
    if isinstance(name, dict) and "Fn::Join" in name:
        name = "".join(p if isinstance(p, str) else "<token>" for p in name["Fn::Join"][1])
    assert isinstance(name, str)
    parts = name.split(".")
    if parts[0] == "aws" and parts[1] == "sagemaker":  # aws.sagemaker.<region>.studio
        return parts[-1]
    return ".".join(parts[3:])


def test_net01_no_internet_gateway_nat_or_eip(template: dict[str, Any]) -> None:
    types = {r["Type"] for r in template["Resources"].values()}
    assert not types & {
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::VPCGatewayAttachment",
    }


def test_net02_no_public_ip_subnets_and_at_least_two(template: dict[str, Any]) -> None:
    subnets = resources_of(template, "AWS::EC2::Subnet")
    assert len(subnets) >= 2
    azs = {str(s["Properties"]["AvailabilityZone"]) for s in subnets.values()}
    assert len(azs) >= 2
    assert all(s["Properties"].get("MapPublicIpOnLaunch") is not True for s in subnets.values())


def test_net03_no_default_route(template: dict[str, Any]) -> None:
    for route in resources_of(template, "AWS::EC2::Route").values():
        assert route["Properties"].get("DestinationCidrBlock") != "0.0.0.0/0"
        assert route["Properties"].get("DestinationIpv6CidrBlock") != "::/0"


def test_net04_flow_logs_all_traffic_to_encrypted_group(template: dict[str, Any]) -> None:
    vpcs = resources_of(template, "AWS::EC2::VPC")
    logs = resources_of(template, "AWS::EC2::FlowLog")
    assert len(vpcs) == 1
    (vpc_id,) = vpcs
    (flow,) = logs.values()
    assert flow["Properties"]["ResourceType"] == "VPC"
    assert flow["Properties"]["ResourceId"] == {"Ref": vpc_id}
    assert flow["Properties"]["TrafficType"] == "ALL"
    group_id = flow["Properties"]["LogGroupName"]["Ref"]
    group = template["Resources"][group_id]
    assert "KmsKeyId" in group["Properties"] and group["Properties"]["RetentionInDays"] == 365


def test_net05_default_security_group_closed(template: dict[str, Any]) -> None:
    (vpc_id,) = resources_of(template, "AWS::EC2::VPC")
    restrict = resources_of(template, "Custom::VpcRestrictDefaultSG")
    assert [r["Properties"]["DefaultSecurityGroupId"] for r in restrict.values()] == [
        {"Fn::GetAtt": [vpc_id, "DefaultSecurityGroup"]}
    ]


def _all_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for sg in resources_of(template, "AWS::EC2::SecurityGroup").values():
        rules += sg["Properties"].get("SecurityGroupIngress", []) + sg["Properties"].get("SecurityGroupEgress", [])
    for t in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        rules += [r["Properties"] for r in resources_of(template, t).values()]
    return rules


def test_net06_no_rule_to_or_from_anywhere(template: dict[str, Any]) -> None:
    rules = _all_rules(template)
    assert rules
    for rule in rules:
        assert rule.get("CidrIp") not in ("0.0.0.0/0",), rule
        assert rule.get("CidrIpv6") != "::/0", rule
    for sg in resources_of(template, "AWS::EC2::SecurityGroup").values():
        for egress in sg["Properties"].get("SecurityGroupEgress", []):
            # CDK's "no egress" placeholder: ICMP 252-86 to 255.255.255.255/32 matches nothing.
            assert egress.get("CidrIp") in (None, "255.255.255.255/32")


def test_net07_every_rule_described(template: dict[str, Any]) -> None:
    for rule in _all_rules(template):
        assert rule.get("Description"), rule


def test_net08_required_endpoints_with_private_dns(template: dict[str, Any]) -> None:
    endpoints = resources_of(template, "AWS::EC2::VPCEndpoint").values()
    interface = [e for e in endpoints if e["Properties"].get("VpcEndpointType") == "Interface"]
    gateway = [e for e in endpoints if e["Properties"].get("VpcEndpointType") == "Gateway"]
    services = {_service_suffix(e["Properties"]["ServiceName"]) for e in interface}
    assert services >= REQUIRED_ENDPOINTS | {"studio", "events", "ssm"}
    assert all(e["Properties"]["PrivateDnsEnabled"] is True for e in interface)
    assert sorted(_service_suffix(g["Properties"]["ServiceName"]) for g in gateway) == ["dynamodb", "s3"]


def test_net09_endpoint_security_group_admits_only_https_from_groups(template: dict[str, Any]) -> None:
    endpoint_sgs = {
        sg_id
        for e in resources_of(template, "AWS::EC2::VPCEndpoint").values()
        for sg in e["Properties"].get("SecurityGroupIds", [])
        for sg_id in [sg["Fn::GetAtt"][0]]
    }
    assert len(endpoint_sgs) == 1
    (sg_id,) = endpoint_sgs
    ingress = [
        r["Properties"]
        for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [sg_id, "GroupId"]}
    ]
    ingress += template["Resources"][sg_id]["Properties"].get("SecurityGroupIngress", [])
    assert ingress
    for rule in ingress:
        assert (rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) == (443, 443, "tcp")
        assert "SourceSecurityGroupId" in rule and "CidrIp" not in rule


def test_net10_endpoint_policies_restrict_principals_and_buckets(template: dict[str, Any]) -> None:
    for e in resources_of(template, "AWS::EC2::VPCEndpoint").values():
        props = e["Properties"]
        service = _service_suffix(props["ServiceName"])
        statements = props["PolicyDocument"]["Statement"]
        if service == "studio":
            # AWS's documented shape: CreateApp (required) and CreatePresignedDomainUrl, this account's only.
            allowed = {s["Action"]: s["Resource"]["Fn::Join"][1][-1] for s in statements}
            assert allowed == {
                "sagemaker:CreateApp": ":sagemaker:eu-west-1:111111111111:app/*",
                "sagemaker:CreatePresignedDomainUrl": ":sagemaker:eu-west-1:111111111111:user-profile/*",
            }
            assert all(s["Effect"] == "Allow" for s in statements)
            continue
        if props["VpcEndpointType"] == "Gateway" and service == "dynamodb":
            (tables,) = statements
            assert tables["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}
            assert all(a.startswith("dynamodb:") and "*" not in a for a in tables["Action"])
            assert tables["Resource"]["Fn::Join"][1][-1] == ":dynamodb:eu-west-1:111111111111:table/*"
        elif props["VpcEndpointType"] == "Gateway":
            layers = [s for s in statements if s.get("Sid") == "AwsOwnedImageLayers"]
            own = [s for s in statements if s.get("Sid") == "OnlyThisAccountsBuckets"]
            assert layers and layers[0]["Action"] == "s3:GetObject"
            assert own and set(own[0]["Condition"]["StringEquals"]) == {"aws:PrincipalAccount", "aws:ResourceAccount"}
            assert "s3:*" not in own[0]["Action"]
        else:
            assert all(s["Condition"]["StringEquals"]["aws:PrincipalAccount"] for s in statements), service


def test_net11_workload_group_rules_match_the_docs(template: dict[str, Any]) -> None:
    workload = [
        sg_id
        for sg_id, sg in resources_of(template, "AWS::EC2::SecurityGroup").items()
        if "SageMaker jobs" in sg["Properties"]["GroupDescription"]
    ]
    assert len(workload) == 1
    ref = {"Fn::GetAtt": [workload[0], "GroupId"]}
    self_ingress = [
        (r["Properties"]["IpProtocol"], r["Properties"].get("FromPort"), r["Properties"].get("ToPort"))
        for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == ref and r["Properties"].get("SourceSecurityGroupId") == ref
    ]
    # TCP between members (Studio apps, distributed jobs), NFS to EFS, and IPsec for inter-container
    # traffic encryption (IKE on UDP 500, ESP = IP protocol 50).
    assert sorted(self_ingress, key=str) == sorted(
        [("tcp", 0, 65535), ("tcp", 2049, 2049), ("udp", 500, 500), ("50", None, None)], key=str
    )
    egress_targets = [
        r["Properties"].get("DestinationSecurityGroupId") or r["Properties"].get("DestinationPrefixListId")
        for r in resources_of(template, "AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"]["GroupId"] == ref
    ]
    assert "pl-6da54004" in egress_targets  # HTTPS to S3 through the gateway
    assert ref in egress_targets


def test_every_endpoint_service_maps_to_cdks_service_of_the_same_name() -> None:
    """``EndpointService.aws_service()`` (looked up once per process) is CDK's service for the enum's value."""
    from constructs_ml.foundation.network import EndpointService

    for endpoint in EndpointService:
        service = endpoint.aws_service()
        assert service.short_name == endpoint.value, endpoint
        assert endpoint.aws_service() is service  # cached: one round trip to Node per service
