"""The network and execution role of a component-mode endpoint, with the role's workload contract.

An endpoint that hosts inference components names no model in its config, so AWS requires the
endpoint config itself to carry an execution role and the VPC config ("ExecutionRoleArn" and
"VpcConfig" of CreateEndpointConfig). The role lets SageMaker place the instances' network
interfaces in that VPC, write the endpoint's logs and metrics, and use the volume key; the models'
own roles still fetch their images and artifacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, select_subnets, stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import ManagedPolicyRole, stack_arn
from constructs_ml.serve.model import _selection_kwargs
from constructs_ml.serve.model_parts import execution_role_statements

__all__ = ["ComponentNetwork", "component_endpoint_role"]

#: CreateEndpointConfig: "ExecutionRoleArn ... to deploy inference components" and "VpcConfig".
CREATE_ENDPOINT_CONFIG = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html"


@dataclass(frozen=True)
class ComponentNetwork:
    """Where a component-mode endpoint's instances run: the VPC, two or more subnets, security groups."""

    vpc: ec2.IVpc
    subnets: tuple[ec2.ISubnet, ...]
    security_groups: tuple[ec2.ISecurityGroup, ...]

    @classmethod
    def select(
        cls,
        problems: Problems,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup],
    ) -> ComponentNetwork | None:
        """The network of ``vpc``/``vpc_subnets``, recording what is missing or too small."""
        problems.require(
            len(security_groups) >= 1, "security_groups", f"{len(security_groups)} group(s)", "at least one group"
        )
        if not problems.require(vpc is not None, "vpc", vpc, "the platform VPC (MlNetwork.vpc) in component mode"):
            return None
        assert vpc is not None
        subnets = list(select_subnets(vpc, **_selection_kwargs(vpc_subnets)).subnets)
        problems.require(len(subnets) >= 2, "vpc_subnets", f"{len(subnets)} subnet(s)", "at least two subnets")
        azs = [s.availability_zone for s in subnets]
        if not any(is_unresolved(a) for a in azs) and len(subnets) >= 2:
            problems.require(len(set(azs)) >= 2, "vpc_subnets", azs, "subnets in at least two availability zones")
        return cls(vpc, tuple(subnets), tuple(security_groups))

    def to_cfn(self) -> sagemaker.CfnEndpointConfig.VpcConfigProperty:
        return sagemaker.CfnEndpointConfig.VpcConfigProperty(
            security_group_ids=[g.security_group_id for g in self.security_groups],
            subnets=[s.subnet_id for s in self.subnets],
        )


def component_endpoint_role(
    scope: Construct, *, network: ComponentNetwork, key: kms.IKey, guardrail: iam.IManagedPolicy | None
) -> ManagedPolicyRole:
    """The endpoint's execution role (id ``Role``), its permissions and its workload contract."""
    stack = stack_of(scope)
    env = env_of(stack)
    role = ManagedPolicyRole(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
            {"StringEquals": {"aws:SourceAccount": env.account}}
        ),
        description=f"Execution role of the inference-component endpoint {scope.node.path}",
        guardrail=guardrail,
    )
    role.add_to_policy(*execution_role_statements(scope, vpc=network.vpc))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["kms:CreateGrant"],
            resources=[key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    role.add_to_policy(iam.PolicyStatement(actions=["kms:Decrypt", "kms:DescribeKey"], resources=[key.key_arn]))
    contract = src.job_runtime(
        WorkloadContract.of(role),
        scope,
        key_arn=None,
        log_kind="Endpoints/contract-check",
        security_groups=network.security_groups,
        subnets=network.subnets,
        network_source=src.HOSTING_VPC,
        distributed=False,
        vpc_arn=stack_arn(scope, "ec2", f"vpc/{network.vpc.vpc_id}"),
    )
    via_sagemaker = {"kms:ViaService": f"sagemaker.{env.region}.amazonaws.com"}
    contract.allows(
        "kms:CreateGrant",
        key.key_arn,
        context={"kms:GrantIsForAWSResource": "true", **via_sagemaker},
        why="the endpoint config names a volume key: SageMaker creates a grant for the instances' volumes",
        source=src.KMS_GRANTS,
    )
    contract.denies(
        "kms:CreateGrant",
        key.key_arn,
        context={"kms:GrantIsForAWSResource": "false", **via_sagemaker},
        why="grants only for AWS resources (the volumes), never for a principal",
        source=src.KMS_GRANTS,
    )
    return role
