"""Policy statements every SageMaker workload role needs, scoped as tightly as IAM allows.

Used by the execution roles here and by the build/serve/operate constructs for their own roles.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from constructs import IConstruct

from constructs_ml._jsii_cache import env_of, stack_of

#: EC2 actions SageMaker uses to place jobs, models and apps in a VPC: the ENI actions (on network
#: interfaces, subnets and security groups of this account and region) ...
ENI_ACTIONS: tuple[str, ...] = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)

#: ... and the describes, which have no resource-level permissions.
VPC_DESCRIBE_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
)

#: ECR pull actions on repositories.
ECR_PULL_ACTIONS: tuple[str, ...] = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


def sagemaker_log_group_arn(scope: IConstruct, kind: str = "*") -> str:
    """ARN pattern of SageMaker's log groups (``/aws/sagemaker/<kind>``) and their streams."""
    stack = stack_of(scope)
    env = env_of(stack)
    return f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:/aws/sagemaker/{kind}"


def workload_statements(
    scope: IConstruct,
    *,
    log_kinds: Sequence[str] = ("*",),
    ecr_repository_arns: Sequence[str] | None = None,
    vpc: bool = True,
    pull_images: bool = True,
) -> list[iam.PolicyStatement]:
    """Statements a SageMaker job/model/app role needs to run: logs, metrics, image pull, VPC ENIs.

    Args:
        scope: any construct in the stack (for partition/region/account).
        log_kinds: SageMaker log-group kinds it writes (``TrainingJobs``, ``ProcessingJobs``,
            ``Endpoints/<name>``, ...): all SageMaker log groups of the account when omitted.
        ecr_repository_arns: repositories it pulls images from: any repository in this region
            (SageMaker's built-in images live in AWS-owned accounts) when omitted.
        vpc: add the VPC/ENI actions.
        pull_images: add the ECR statements (leave them out for a role that pulls no image).
    """
    stack = stack_of(scope)
    env = env_of(stack)
    log_arns = [sagemaker_log_group_arn(scope, k) for k in log_kinds]
    statements = [
        iam.PolicyStatement(
            sid="WriteSageMakerLogs",
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[*log_arns, *[f"{a}:log-stream:*" for a in log_arns]],
        ),
        iam.PolicyStatement(
            sid="PublishSageMakerMetrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
        ),
    ]
    if pull_images:
        statements.append(
            iam.PolicyStatement(sid="EcrAuthorization", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        )
        statements.append(
            iam.PolicyStatement(
                sid="PullImages",
                actions=list(ECR_PULL_ACTIONS),
                resources=list(ecr_repository_arns)
                if ecr_repository_arns is not None
                else [f"arn:{env.partition}:ecr:{env.region}:*:repository/*"],
            )
        )
    if vpc:
        statements.append(iam.PolicyStatement(sid="DescribeVpc", actions=list(VPC_DESCRIBE_ACTIONS), resources=["*"]))
        statements.append(
            iam.PolicyStatement(
                sid="PlaceInVpc",
                actions=list(ENI_ACTIONS),
                resources=[
                    f"arn:{env.partition}:ec2:{env.region}:{env.account}:{t}/*"
                    for t in ("network-interface", "subnet", "security-group")
                ],
            )
        )
    return statements
