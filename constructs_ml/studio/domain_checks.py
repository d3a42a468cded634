"""The prop checks of :class:`~constructs_ml.studio.domain.StudioDomain` that look at more than one prop:
the network (VPC-only on private subnets) and the curated hub, custom images and hidden tools.

Split from :mod:`constructs_ml.studio.domain` (which builds the domain) along the check/build seam.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2

from constructs_ml.errors import Problems
from constructs_ml.foundation.network import MlNetwork
from constructs_ml.studio.hub import CuratedHubBase
from constructs_ml.studio.image import StudioImageBase
from constructs_ml.studio.settings import StudioMlTool


def check_hub_and_images(
    problems: Problems,
    curated_hub: CuratedHubBase | None,
    custom_images: Sequence[StudioImageBase],
    hidden_ml_tools: Sequence[StudioMlTool] | None,
) -> None:
    """The curated hub, the custom images and the hidden tools fit together."""
    for t in hidden_ml_tools or ():
        problems.require(isinstance(t, StudioMlTool), "hidden_ml_tools", t, "StudioMlTool values")
    if curated_hub is not None and hidden_ml_tools is not None:
        problems.require(
            StudioMlTool.JUMP_START not in hidden_ml_tools,
            "hidden_ml_tools",
            "JumpStart",
            "JumpStart shown when a curated_hub is given (the hub is browsed in JumpStart)",
            what="hides JumpStart, where users would browse the curated_hub",
        )
    for img in custom_images:
        problems.require(isinstance(img, StudioImageBase), "custom_images", img, "StudioImage objects")
    problems.unique("custom_images", [i.image_name for i in custom_images if isinstance(i, StudioImageBase)])
    problems.require(len(custom_images) <= 30, "custom_images", len(custom_images), "at most 30 images")


def check_network(
    problems: Problems,
    network: MlNetwork | None,
    vpc: ec2.IVpc | None,
    subnets: Sequence[ec2.ISubnet] | None,
    security_groups: Sequence[ec2.ISecurityGroup] | None,
) -> None:
    """VPC-only on at least two private subnets, from ``network`` or ``vpc`` + ``subnets`` + groups."""
    if not problems.exclusive("network", network, "vpc", vpc):
        return
    if network is None and vpc is None:
        problems.add("network", None, "an MlNetwork, or vpc and subnets", what="is required (or vpc and subnets)")
        return
    if vpc is not None:
        problems.require(subnets is not None, "subnets", subnets, "the private subnets of vpc")
        problems.require(bool(security_groups), "security_groups", security_groups, "at least one security group")
    chosen = list(network.subnets if network is not None else subnets or [])
    the_vpc = network.vpc if network is not None else vpc
    assert the_vpc is not None
    problems.require(len(chosen) >= 2, "subnets", [s.node.path for s in chosen], "at least two subnets")
    public_ids = [s.subnet_id for s in the_vpc.public_subnets]
    public = [s.node.path for s in chosen if s.subnet_id in public_ids or isinstance(s, ec2.PublicSubnet)]
    problems.require(
        not public,
        "subnets",
        public,
        "private subnets (a VpcOnly domain on public subnets would give apps a route to the internet)",
        what="must not be public subnets with AppNetworkAccessType VpcOnly",
    )
    if security_groups is not None:
        problems.require(
            1 <= len(security_groups) <= 5, "security_groups", len(security_groups), "1..5 security groups"
        )
