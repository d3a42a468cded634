"""MlNetwork: an isolated VPC for SageMaker with the endpoints it needs (controls NET-01..11).

Example::

    keys = PlatformKeys(self, "Keys")
    network = MlNetwork(self, "Network", logs_key=keys.logs)
    # SageMaker jobs, models and Studio use:
    network.vpc, network.subnet_selection, network.workload_security_group
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from collections.abc import Sequence

from aws_cdk import Annotations, CfnResource, RemovalPolicy, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from constructs_ml._jsii_cache import env_of, select_subnets, stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.errors import Problems, is_token
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.governance.acknowledgements import acknowledge


class EndpointService(enum.Enum):
    """VPC interface endpoints MlNetwork can create; value = the CDK service."""

    SAGEMAKER_API = "sagemaker.api"
    SAGEMAKER_RUNTIME = "sagemaker.runtime"
    SAGEMAKER_STUDIO = "studio"
    SAGEMAKER_FEATURESTORE_RUNTIME = "sagemaker.featurestore-runtime"
    SAGEMAKER_EXPERIMENTS = "experiments"
    STS = "sts"
    LOGS = "logs"
    MONITORING = "monitoring"
    ECR_API = "ecr.api"
    ECR_DKR = "ecr.dkr"
    KMS = "kms"
    EVENTS = "events"
    SSM = "ssm"
    GLUE = "glue"
    ATHENA = "athena"
    SERVICE_CATALOG = "servicecatalog"
    GREENGRASS = "greengrass"

    def aws_service(self) -> ec2.InterfaceVpcEndpointAwsService:
        """CDK's service object for this endpoint (read from aws-cdk-lib once per process, not per call)."""
        return _aws_service(self)


#: CDK's ``InterfaceVpcEndpointAwsService`` attribute for each endpoint.
_CDK_SERVICE_NAMES: dict[str, str] = {
    "SAGEMAKER_API": "SAGEMAKER_API",
    "SAGEMAKER_RUNTIME": "SAGEMAKER_RUNTIME",
    "SAGEMAKER_STUDIO": "SAGEMAKER_STUDIO",
    "SAGEMAKER_FEATURESTORE_RUNTIME": "SAGEMAKER_FEATURESTORE_RUNTIME",
    "SAGEMAKER_EXPERIMENTS": "SAGEMAKER_EXPERIMENTS",
    "STS": "STS",
    "LOGS": "CLOUDWATCH_LOGS",
    "MONITORING": "CLOUDWATCH_MONITORING",
    "ECR_API": "ECR",
    "ECR_DKR": "ECR_DOCKER",
    "KMS": "KMS",
    "EVENTS": "EVENTBRIDGE",
    "SSM": "SSM",
    "GLUE": "GLUE",
    "ATHENA": "ATHENA",
    "SERVICE_CATALOG": "SERVICE_CATALOG",
    "GREENGRASS": "IOT_GREENGRASS",
}


@functools.cache
def _aws_service(endpoint: EndpointService) -> ec2.InterfaceVpcEndpointAwsService:
    service: ec2.InterfaceVpcEndpointAwsService = getattr(
        ec2.InterfaceVpcEndpointAwsService, _CDK_SERVICE_NAMES[endpoint.name]
    )
    return service


#: The endpoints a VPC-only SageMaker platform needs (the S3 and DynamoDB gateway endpoints are always
#: created). Add ``GLUE``/``ATHENA`` for offline feature-store queries from the VPC and
#: ``SERVICE_CATALOG`` for SageMaker Projects.
DEFAULT_ENDPOINTS: tuple[EndpointService, ...] = (
    EndpointService.SAGEMAKER_API,
    EndpointService.SAGEMAKER_RUNTIME,
    EndpointService.SAGEMAKER_STUDIO,
    EndpointService.SAGEMAKER_FEATURESTORE_RUNTIME,
    EndpointService.STS,
    EndpointService.LOGS,
    EndpointService.MONITORING,
    EndpointService.ECR_API,
    EndpointService.ECR_DKR,
    EndpointService.KMS,
    EndpointService.EVENTS,
    EndpointService.SSM,
)

#: The stack-level provider CDK adds for ``restrict_default_security_group`` (one per stack).
RESTRICT_DEFAULT_SG_PROVIDER = "Custom::VpcRestrictDefaultSGCustomResourceProvider"

#: The Studio endpoint's policy: AWS's documented shape (SageMaker developer guide, "Connect to Studio
#: Through an Interface VPC Endpoint", "Create a VPC Endpoint Policy for SageMaker Studio": the policy
#: must allow ``CreateApp``; the example scopes ``CreatePresignedDomainUrl`` to user profiles), limited
#: to this account and region's apps and user profiles so the endpoint cannot reach another account's
#: Studio domain. The principal stays ``*`` as in AWS's examples: Studio's browser traffic is
#: authorized by the presigned URL, not by a signed request of this account.
STUDIO_ENDPOINT_POLICY_SOURCE = "https://docs.aws.amazon.com/sagemaker/latest/dg/studio-interface-endpoint.html"

#: DynamoDB item actions allowed through the gateway endpoint (the glue's idempotency tables).
DYNAMODB_ENDPOINT_ACTIONS: tuple[str, ...] = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)

#: S3 actions allowed through the gateway endpoint on platform buckets.
S3_ENDPOINT_ACTIONS: tuple[str, ...] = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:GetBucketLocation",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:ListBucketMultipartUploads",
)


#: Netmask of each subnet of a new VPC (one isolated subnet per AZ).
SUBNET_MASK = 20


def _check_cidr(problems: Problems, cidr: str, max_azs: int) -> None:
    """The new VPC's block: a valid IPv4 CIDR, /16../28 (the VPC limits), with room for one /20 per AZ."""
    if is_token(cidr):
        return
    try:
        net = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as e:
        problems.add("cidr", cidr, "an IPv4 CIDR block", what=f"must be an IPv4 CIDR block like 10.20.0.0/16 ({e})")
        return
    need = max_azs * 2 ** (32 - SUBNET_MASK)
    problems.require(
        16 <= net.prefixlen <= SUBNET_MASK and net.num_addresses >= need,
        "cidr",
        cidr,
        f"a block of /16../{SUBNET_MASK - (max_azs - 1).bit_length()} (one /{SUBNET_MASK} subnet per AZ, "
        f"{max_azs} AZs)",
    )


def _has_route_table(subnet: ec2.ISubnet) -> bool:
    """False for an imported subnet whose route table id was not given (gateway endpoints need it)."""
    try:
        return bool(subnet.route_table.route_table_id)
    except RuntimeError:  # jsii: the imported subnet's route table id is undefined
        return False


def public_subnet_paths(vpc: ec2.IVpc, subnets: Sequence[ec2.ISubnet]) -> list[str]:
    """The construct paths of ``subnets`` that are public subnets of ``vpc`` (or ``ec2.PublicSubnet``s).

    Paths, not ids: the ids of subnets created in the app are tokens, which a problem never reports.
    """
    public = {s.subnet_id for s in vpc.public_subnets}
    return [s.node.path for s in subnets if s.subnet_id in public or isinstance(s, ec2.PublicSubnet)]


class MlNetwork(Construct):
    """An isolated VPC (no internet gateway, no NAT) for SageMaker, or an existing VPC, made ready for it.

    Creates: private isolated subnets across ``max_azs`` AZs, the interface endpoints in ``endpoints``
    with private DNS and an endpoint security group that admits only HTTPS from the platform's
    security groups (``open=False``), the S3 gateway endpoint (its policy limited to the buckets named
    with :meth:`allow_s3_buckets`), VPC flow logs (all traffic) to a KMS-encrypted log group with
    retention, the default security group closed, and a workload security group for SageMaker jobs,
    models and Studio whose rules are exactly those SageMaker needs: traffic between its members
    (Studio apps, distributed training, inter-container encryption) incl. NFS 2049 for Studio's EFS,
    HTTPS to the endpoints and HTTPS to S3 through the gateway endpoint (see ``s3_prefix_list_id``), and
    IPsec (UDP 500, ESP) between its members for inter-container traffic encryption of multi-instance jobs.
    A DynamoDB gateway endpoint (this account's tables, item actions only) serves the glue functions'
    idempotency tables; :meth:`connect` gives any other security group the same paths.

    How gateway traffic is allowed: security groups name a gateway endpoint only by its managed prefix list
    (``pl-...``), whose id differs per region and which CloudFormation cannot look up. When the prefix-list
    ids are given, egress goes to them. When they are not (the environment-agnostic default), egress is
    HTTPS (TCP 443 only) to ``0.0.0.0/0``: in this VPC's isolated subnets, which have no internet gateway,
    NAT or other route out of the VPC, that traffic can only reach the VPC's own addresses (the interface
    endpoints) and the gateway endpoints, whose policies admit only this account's principals and
    buckets/tables. The isolation is carried by the routes, which the workload contracts check.

    Args:
        scope: parent construct.
        construct_id: construct id.
        logs_key: KMS key for the flow-log group (``PlatformKeys.logs``).
        vpc: an existing VPC to use instead of a new one; its ``subnets`` must then be given too.
        subnets: with ``vpc``: the private subnets SageMaker uses (at least two, in different AZs).
        cidr: the new VPC's CIDR block: ``10.20.0.0/16``.
        max_azs: AZs of the new VPC (2..6): 2.
        endpoints: interface endpoints to create: :data:`DEFAULT_ENDPOINTS`. Add
            ``SAGEMAKER_EXPERIMENTS`` when Studio users run a managed MLflow tracking server, and
            ``SAGEMAKER_FEATURESTORE_RUNTIME`` for online feature-store reads from the VPC.
        create_endpoints: create endpoints in an existing VPC too (turn off if it has them already).
        flow_log_retention: retention of the flow-log group: one year.
        s3_prefix_list_id: the region's S3 managed prefix list (``com.amazonaws.<region>.s3``,
            ``pl-...``): egress to S3 goes to it. HTTPS egress to ``0.0.0.0/0`` in the isolated subnets when
            omitted (see above).
        dynamodb_prefix_list_id: the region's DynamoDB managed prefix list, likewise, for :meth:`connect`
            with ``dynamodb=True``.
        s3_endpoint_scope: what the S3 gateway endpoint lets this account's principals reach: ``"account"``
            (default), buckets owned by this account (plus the AWS-owned ECR layer bucket); ``"buckets"``,
            only the buckets later named with :meth:`allow_s3_buckets` (tighter; the buckets must be in the
            same stack as the network, or cross-stack references would form a cycle).
        removal_policy: for the flow-log group: retained.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        logs_key: kms.IKey,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        cidr: str = "10.20.0.0/16",
        max_azs: int = 2,
        endpoints: Sequence[EndpointService] = DEFAULT_ENDPOINTS,
        create_endpoints: bool = True,
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        s3_prefix_list_id: str | None = None,
        dynamodb_prefix_list_id: str | None = None,
        s3_endpoint_scope: str = "account",
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        if problems.require_type("max_azs", max_azs, int, "an int"):
            problems.require_range("max_azs", max_azs, 2, 6)
            if vpc is None and problems.require_type("cidr", cidr, str, "an IPv4 CIDR block such as '10.20.0.0/16'"):
                _check_cidr(problems, cidr, max_azs)
        if vpc is not None:
            problems.require(subnets is not None, "subnets", subnets, "the private subnets of the given vpc")
            if subnets is not None and problems.require_sequence(
                "subnets", subnets, "subnet_id", "a list of subnets (ec2.ISubnet)"
            ):
                problems.require(len(subnets) >= 2, "subnets", f"{len(subnets)} subnet(s)", "at least two subnets")
                if create_endpoints:
                    no_routes = [sub.node.path for sub in subnets if not _has_route_table(sub)]
                    problems.require(
                        not no_routes,
                        "subnets",
                        no_routes,
                        "subnets with known route tables",
                        what=(
                            "must name their route tables for the S3 and DynamoDB gateway endpoints (import the VPC "
                            "with ec2.Vpc.from_vpc_attributes(..., isolated_subnet_route_table_ids=[...]), or pass "
                            "create_endpoints=False if it has its endpoints); without"
                        ),
                    )
                public = public_subnet_paths(vpc, subnets)
                problems.require(
                    not public,
                    "subnets",
                    public,
                    "private subnets",
                    what="must be private (SageMaker workloads never run in public subnets); public",
                )
                azs = [s.availability_zone for s in subnets]
                if not is_token(azs):
                    problems.require(
                        len(set(azs)) >= 2, "subnets", azs, "subnets in at least two different availability zones"
                    )
        elif subnets is not None:
            problems.add("subnets", f"{len(subnets)} subnet(s)", "only together with vpc")
        problems.unique("endpoints", [e.value for e in endpoints])
        for e in endpoints:
            problems.require(isinstance(e, EndpointService), "endpoints", e, "EndpointService members")
        for prop, pl in (
            ("s3_prefix_list_id", s3_prefix_list_id),
            ("dynamodb_prefix_list_id", dynamodb_prefix_list_id),
        ):
            if pl is not None and not is_token(pl):
                problems.require(
                    isinstance(pl, str) and re.fullmatch(r"pl-[0-9a-f]{8,17}", pl) is not None,
                    prop,
                    pl,
                    "a prefix list id 'pl-' + 8..17 hex digits",
                )
        problems.require_one_of("s3_endpoint_scope", s3_endpoint_scope, ("account", "buckets"))
        problems.raise_if_any()

        self.stack = stack_of(self)
        if vpc is None:
            self.vpc: ec2.IVpc = ec2.Vpc(
                self,
                "Vpc",
                ip_addresses=ec2.IpAddresses.cidr(cidr),
                max_azs=max_azs,
                nat_gateways=0,
                restrict_default_security_group=True,
                subnet_configuration=[
                    ec2.SubnetConfiguration(name="ml", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=20)
                ],
            )
            self.subnet_selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            self.owns_vpc = True
            # CDK's provider that closes the default security group (NET-05): reviewed exceptions.
            provider = self.stack.node.try_find_child(RESTRICT_DEFAULT_SG_PROVIDER)
            if provider is not None:
                acknowledge(provider, "cdk-restrict-default-sg-provider")
                self._default_sg_contract(provider)
        else:
            self.vpc = vpc
            self.subnet_selection = ec2.SubnetSelection(subnets=list(subnets or []))
            self.owns_vpc = False
        self.subnets: list[ec2.ISubnet] = _select(self.vpc, self.subnet_selection)

        # Flow logs: all traffic, to a KMS-encrypted log group with retention (NET-04, LOG-01).
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            encryption_key=logs_key,
            retention=flow_log_retention,
            removal_policy=removal_policy,
        )
        self.flow_log_role = ManagedPolicyRole(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": env_of(self.stack).account}}
            ),
            description="VPC flow logs delivery to the platform's flow-log group",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=[self.flow_log_group.log_group_arn],
                )
            ],
        )
        WorkloadContract.of(self.flow_log_role).allows(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            f"{self.flow_log_group.log_group_arn}:log-stream:contract-check",
            why="VPC flow logs delivers records to the flow-log group",
            source=src.FLOW_LOGS,
        )
        self.flow_log = ec2.FlowLog(
            self,
            "FlowLog",
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            traffic_type=ec2.FlowLogTrafficType.ALL,
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                self.flow_log_group, self.flow_log_role.immutable_role
            ),
        )

        # Security groups: workload (SageMaker) and endpoints.
        self.workload_security_group = ec2.SecurityGroup(
            self,
            "WorkloadSecurityGroup",
            vpc=self.vpc,
            description="SageMaker jobs, models and Studio apps of the ML platform",
            allow_all_outbound=False,
        )
        sg = self.workload_security_group
        sg.add_ingress_rule(sg, ec2.Port.all_tcp(), "Studio apps and distributed jobs talk to each other")
        sg.add_egress_rule(sg, ec2.Port.all_tcp(), "Studio apps and distributed jobs talk to each other")
        sg.add_ingress_rule(sg, ec2.Port.tcp(2049), "NFS from Studio apps to the domain's EFS volume")
        sg.add_egress_rule(sg, ec2.Port.tcp(2049), "NFS from Studio apps to the domain's EFS volume")
        # Inter-container traffic encryption runs IPsec between the instances of a job (ESP has no ports).
        for port, what in (
            (ec2.Port.udp(500), "IKE (UDP 500)"),
            (
                ec2.Port(protocol=ec2.Protocol.ESP, string_representation="ESP"),
                "ESP (IP protocol 50)",
            ),
        ):
            sg.add_ingress_rule(sg, port, f"{what} between instances: inter-container traffic encryption")
            sg.add_egress_rule(sg, port, f"{what} between instances: inter-container traffic encryption")
        self._gateway_prefix_lists = {"s3": s3_prefix_list_id, "dynamodb": dynamodb_prefix_list_id}
        if not self.owns_vpc and not (s3_prefix_list_id and dynamodb_prefix_list_id):
            Annotations.of(self).add_warning_v2(
                "constructs-ml:network-gateway-egress-any",
                "MlNetwork: prefix-list ids are not set for an existing VPC, so gateway-endpoint egress is HTTPS to "
                "0.0.0.0/0; it stays inside the VPC only if the given subnets have no route to the internet. Set "
                "s3_prefix_list_id and dynamodb_prefix_list_id (aws ec2 describe-managed-prefix-lists) to narrow it.",
            )

        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="VPC interface endpoints of the ML platform: HTTPS from platform security groups only",
            allow_all_outbound=False,
        )
        # An SG with no egress rule gets CDK's "disallow all" placeholder rule; keep it (no traffic out).
        self.interface_endpoints: dict[EndpointService, ec2.InterfaceVpcEndpoint] = {}
        self.s3_endpoint: ec2.GatewayVpcEndpoint | None = None
        self.dynamodb_endpoint: ec2.GatewayVpcEndpoint | None = None
        if self.owns_vpc or create_endpoints:
            for service in endpoints:
                ep = ec2.InterfaceVpcEndpoint(
                    self,
                    f"Endpoint-{service.name.replace('_', '-').lower()}",
                    vpc=self.vpc,
                    service=service.aws_service(),
                    subnets=self.subnet_selection,
                    security_groups=[self.endpoint_security_group],
                    private_dns_enabled=True,
                    open=False,
                )
                if service == EndpointService.SAGEMAKER_STUDIO:
                    self._studio_endpoint_policy(ep)
                else:
                    ep.add_to_policy(
                        iam.PolicyStatement(
                            sid="OnlyThisAccountsPrincipals",
                            principals=[iam.AnyPrincipal()],
                            actions=["*"],
                            resources=["*"],
                            conditions={"StringEquals": {"aws:PrincipalAccount": env_of(self.stack).account}},
                        )
                    )
                self.interface_endpoints[service] = ep
            self.s3_endpoint = ec2.GatewayVpcEndpoint(
                self,
                "S3Endpoint",
                vpc=self.vpc,
                service=ec2.GatewayVpcEndpointAwsService.S3,
                subnets=[self.subnet_selection],
            )
            self.dynamodb_endpoint = ec2.GatewayVpcEndpoint(
                self,
                "DynamoDbEndpoint",
                vpc=self.vpc,
                service=ec2.GatewayVpcEndpointAwsService.DYNAMODB,
                subnets=[self.subnet_selection],
            )
            self.dynamodb_endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="OnlyThisAccountsTables",
                    principals=[iam.AnyPrincipal()],
                    actions=list(DYNAMODB_ENDPOINT_ACTIONS),
                    resources=[
                        f"arn:{env_of(self.stack).partition}:dynamodb:{env_of(self.stack).region}:{env_of(self.stack).account}:table/*"
                    ],
                    conditions={"StringEquals": {"aws:PrincipalAccount": env_of(self.stack).account}},
                )
            )
        self.connect(self.workload_security_group, s3=True)
        if self.s3_endpoint is not None:
            # ECR image layers come from this AWS-owned bucket through the gateway endpoint.
            layers = f"arn:{env_of(self.stack).partition}:s3:::prod-{env_of(self.stack).region}-starport-layer-bucket/*"
            self.s3_endpoint.add_to_policy(
                iam.PolicyStatement(
                    sid="AwsOwnedImageLayers",
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:GetObject"],
                    resources=[layers],
                )
            )
            if s3_endpoint_scope == "account":
                self.s3_endpoint.add_to_policy(
                    iam.PolicyStatement(
                        sid="OnlyThisAccountsBuckets",
                        principals=[iam.AnyPrincipal()],
                        actions=list(S3_ENDPOINT_ACTIONS),
                        resources=["arn:" + env_of(self.stack).partition + ":s3:::*"],
                        conditions={
                            "StringEquals": {
                                "aws:PrincipalAccount": env_of(self.stack).account,
                                "aws:ResourceAccount": env_of(self.stack).account,
                            }
                        },
                    )
                )

    # -- public API -------------------------------------------------------------------------------

    @property
    def vpc_id(self) -> str:
        return self.vpc.vpc_id

    @property
    def subnet_ids(self) -> list[str]:
        """The ids of the private subnets SageMaker uses."""
        return [s.subnet_id for s in self.subnets]

    def endpoint(self, service: EndpointService) -> ec2.InterfaceVpcEndpoint:
        """The interface endpoint for ``service`` (KeyError if it was not created)."""
        return self.interface_endpoints[service]

    def _studio_endpoint_policy(self, endpoint: ec2.InterfaceVpcEndpoint) -> None:
        """Studio through this endpoint: this account and region's apps and user profiles only."""
        stack = self.stack
        env = env_of(stack)
        prefix = f"arn:{env.partition}:sagemaker:{env.region}:{env.account}"
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="StudioAppsOfThisAccount",
                principals=[iam.AnyPrincipal()],
                actions=["sagemaker:CreateApp"],
                resources=[f"{prefix}:app/*"],
            )
        )
        endpoint.add_to_policy(
            iam.PolicyStatement(
                sid="StudioUserProfilesOfThisAccount",
                principals=[iam.AnyPrincipal()],
                actions=["sagemaker:CreatePresignedDomainUrl"],
                resources=[f"{prefix}:user-profile/*"],
            )
        )

    @property
    def studio_endpoint_id(self) -> str | None:
        """The Studio endpoint's id (for ``aws:SourceVpce`` conditions), if created."""
        ep = self.interface_endpoints.get(EndpointService.SAGEMAKER_STUDIO)
        return ep.vpc_endpoint_id if ep else None

    @property
    def api_endpoint_id(self) -> str | None:
        """The SageMaker API endpoint's id (for ``aws:SourceVpce`` conditions), if created."""
        ep = self.interface_endpoints.get(EndpointService.SAGEMAKER_API)
        return ep.vpc_endpoint_id if ep else None

    def allow_endpoint_access(self, peer: ec2.ISecurityGroup) -> None:
        """Let members of ``peer`` reach the interface endpoints over HTTPS (and only that).

        The rules go into ``peer``'s stack when it is another one (no dependency of the network on it).
        """
        peer.connections.allow_to(
            self.endpoint_security_group, ec2.Port.tcp(443), f"HTTPS from {peer.node.path} to the VPC endpoints"
        )

    def connect(self, security_group: ec2.ISecurityGroup, *, s3: bool = True, dynamodb: bool = False) -> None:
        """Give ``security_group`` the network paths a platform workload needs, and nothing else.

        HTTPS to the interface endpoints, and HTTPS to the S3 (and, with ``dynamodb``, DynamoDB) gateway
        endpoints: to their prefix lists when their ids were given, else to ``0.0.0.0/0`` on TCP 443 only,
        which in the isolated subnets reaches nothing but the VPC and its gateway endpoints.
        """
        self.allow_endpoint_access(security_group)
        if not isinstance(security_group, ec2.SecurityGroup) or security_group.allow_all_outbound:
            return
        for service, wanted in (("s3", s3), ("dynamodb", dynamodb)):
            if not wanted:
                continue
            pl = self._gateway_prefix_lists[service]
            if pl:
                security_group.add_egress_rule(
                    ec2.Peer.prefix_list(pl), ec2.Port.tcp(443), f"HTTPS to {service} through its gateway endpoint"
                )
            else:
                security_group.add_egress_rule(
                    ec2.Peer.any_ipv4(),
                    ec2.Port.tcp(443),
                    "HTTPS to the S3/DynamoDB gateway endpoints; isolated subnets: no route leaves the VPC",
                )

    def allow_s3_buckets(self, *buckets: s3.IBucket) -> None:
        """Let this account's principals reach ``buckets`` (and their objects) through the S3 gateway endpoint.

        Meaningful with ``s3_endpoint_scope="buckets"``; with ``"account"`` the account's buckets are all
        reachable already.
        """
        if self.s3_endpoint is None or not buckets:
            return
        arns = [b.bucket_arn for b in buckets]
        self.s3_endpoint.add_to_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()],
                actions=list(S3_ENDPOINT_ACTIONS),
                resources=[*arns, *[f"{a}/*" for a in arns]],
                conditions={"StringEquals": {"aws:PrincipalAccount": env_of(self.stack).account}},
            )
        )

    @property
    def default_security_group_arn(self) -> str:
        """The ARN of the VPC's default security group (whose rules CDK's provider removes when this owns the VPC)."""
        env = env_of(self.stack)
        return (
            f"arn:{env.partition}:ec2:{env.region}:{env.account}:security-group/{self.vpc.vpc_default_security_group}"
        )

    def _default_sg_contract(self, provider: IConstruct) -> None:
        """The contract of CDK's provider role: it must be able to change the default security group's rules.

        The role is CDK's (a raw ``AWS::IAM::Role`` in the provider), so the contract is anchored on it
        directly. A permissions boundary on the stack must allow these calls
        (:meth:`PermissionsBoundary.allow_default_security_group_rules`), or the deployment fails.
        """
        role = provider.node.try_find_child("Role")
        if not isinstance(role, CfnResource):
            return
        contract = WorkloadContract(role, Token.as_string(role.get_att("Arn")))
        contract.allows(
            list(src.DEFAULT_SG_RULE_ACTIONS),
            self.default_security_group_arn,
            why="restrict_default_security_group: CDK's custom resource removes the default security group's "
            "rules at deploy (and restores them on delete)",
            source=src.RESTRICT_DEFAULT_SG,
        )


def _select(vpc: ec2.IVpc, selection: ec2.SubnetSelection) -> list[ec2.ISubnet]:
    """The subnets ``selection`` picks in ``vpc`` (jsii methods take struct fields as kwargs)."""
    if selection.subnets:
        return list(select_subnets(vpc, subnets=selection.subnets).subnets)
    return list(select_subnets(vpc, subnet_type=selection.subnet_type).subnets)
