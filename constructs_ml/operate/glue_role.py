"""The execution role of a glue function: the role, the runtime's grants, and their workload contract.

Every glue role holds only customer-managed policies: the runtime needs (network interfaces, X-Ray)
in one policy, the logs, the dead-letter queue and every later grant in the role's own policy. Its
contract starts with the runtime's calls (:func:`glue_runtime_contract`); ``RetrainingTrigger`` and
``DeployOnApproval`` add their handlers' calls next to the grants that allow them. Each contract entry
cites the AWS page that says the workload needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_of
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.governance.acknowledgements import acknowledge

if TYPE_CHECKING:
    from constructs_ml.operate.glue_function import GlueFunction

#: The execution role of a Lambda function: trust, and the logs it writes.
LAMBDA_EXECUTION_ROLE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
#: Dead-letter queues of asynchronous invocations: the function's role sends the failed event.
LAMBDA_DLQ = "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
#: Lambda in a VPC: the ENI permissions, and AWS services reached through VPC endpoints.
LAMBDA_VPC = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"
#: Active tracing.
LAMBDA_XRAY = "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html"
#: SQS with SSE-KMS: the sender needs GenerateDataKey and Decrypt on the queue's key.
SQS_KMS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html"
#: SageMaker's actions, resources and condition keys (Service Authorization Reference).
SAGEMAKER_SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html"
#: StartPipelineExecution / ListPipelineExecutions.
PIPELINE_API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StartPipelineExecution.html"
#: DynamoDB conditional writes (the claims and the start gate).
DYNAMODB_CONDITIONAL = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html"
#: DynamoDB encryption at rest with a customer-managed key: the caller's KMS permissions.
DYNAMODB_KMS = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html"
#: DynamoDB through a gateway endpoint.
DYNAMODB_GATEWAY = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/vpc-endpoints-dynamodb.html"
#: UpdateEndpoint (blue/green, RetainAllVariantProperties).
UPDATE_ENDPOINT = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html"
#: Deploying a model package from the registry (CreateModel with ModelPackageName).
REGISTRY_DEPLOY = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-deploy.html"
#: Passing a role to SageMaker (iam:PassRole with iam:PassedToService).
PASS_ROLE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"
#: Parameter Store GetParameter / PutParameter permissions.
PARAMETER_STORE = "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html"
#: Lambda environment variables encrypted with a customer managed key.
LAMBDA_ENV_ENCRYPTION = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html"
#: KMS condition keys (kms:ViaService, kms:GrantIsForAWSResource).
KMS_CONDITIONS = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html"


def glue_runtime_contract(glue: GlueFunction, dead_letter_key_arn: str) -> WorkloadContract:
    """The calls every glue function's role makes for the Lambda runtime, recorded on its role."""
    stack = stack_of(glue)
    env = env_of(stack)
    contract = WorkloadContract.of(glue.role)
    contract.allows(
        "sts:AssumeRole",
        glue.role.role_arn,
        caller="service:lambda.amazonaws.com",
        why="Lambda assumes the execution role to run the function",
        source=LAMBDA_EXECUTION_ROLE,
    )
    contract.allows(
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        glue.log_group.log_group_arn,
        why="the runtime writes the function's decision log to its own log group",
        source=LAMBDA_EXECUTION_ROLE,
    )
    contract.allows(
        "sqs:SendMessage",
        glue.dead_letter_queue.queue_arn,
        why="Lambda sends an event that failed every retry to the function's dead-letter queue",
        source=LAMBDA_DLQ,
    )
    contract.allows(
        ["kms:GenerateDataKey", "kms:Decrypt"],
        dead_letter_key_arn,
        context={"kms:ViaService": f"sqs.{env.region}.amazonaws.com"},
        why="the dead-letter queue is encrypted with SSE-KMS",
        source=SQS_KMS,
    )
    contract.allows(
        "kms:Decrypt",
        dead_letter_key_arn,
        context={"kms:ViaService": f"lambda.{env.region}.amazonaws.com"},
        why="Lambda decrypts the function's environment variables (encrypted with the platform key) at start",
        source=LAMBDA_ENV_ENCRYPTION,
    )
    contract.allows(
        ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        "*",
        why="Lambda looks up the function's subnets and network interfaces (no resource-level permissions)",
        source=LAMBDA_VPC,
    )
    contract.allows(
        ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
        f"arn:{env.partition}:ec2:{env.region}:{env.account}:network-interface/eni-contract-check",
        why="Lambda creates and removes the function's network interfaces in its subnets",
        source=LAMBDA_VPC,
    )
    contract.allows(
        ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        "*",
        why="active tracing sends segments to X-Ray",
        source=LAMBDA_XRAY,
    )
    return contract


def _nag_ec2_any(stack: Stack) -> str:
    """``arn:<partition>:ec2:<region>:<account>:*/*`` as cdk-nag renders it (tokens as ``<AWS::...>``)."""
    env = env_of(stack)

    def show(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if is_unresolved(value) else value

    return (
        f"arn:{show(env.partition, 'Partition')}:ec2:{show(env.region, 'Region')}:{show(env.account, 'AccountId')}:*/*"
    )


def execution_role(
    scope: Construct,
    code: str,
    *,
    key: kms.IKey,
    log_group: logs.ILogGroup,
    dead_letter_queue: sqs.IQueue,
    permissions_boundary: iam.IManagedPolicy | None,
) -> tuple[ManagedPolicyRole, iam.ManagedPolicy]:
    """The function's role (``Role``) and its runtime policy (``RuntimePolicy``), with the runtime's grants.

    Returns:
        ``(role, runtime_policy)``: the role's own policy holds the logs and dead-letter grants and takes
        every later grant; the runtime policy holds the network-interface and X-Ray permissions.
    """
    stack = stack_of(scope)
    env = env_of(stack)
    role = ManagedPolicyRole(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Execution role of the {code} glue function ({scope.node.path})",
        permissions_boundary=permissions_boundary,
    )
    runtime_policy = iam.ManagedPolicy(
        scope,
        "RuntimePolicy",
        description=f"VPC ENI management and X-Ray tracing of {scope.node.path}",
        roles=[role.role],
        statements=[
            iam.PolicyStatement(
                sid="DescribeForVpcAttachment",
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="ManageFunctionEnis",
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=[f"arn:{env.partition}:ec2:{env.region}:{env.account}:*/*"],
            ),
            iam.PolicyStatement(
                sid="XRayTracing",
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            ),
        ],
    )
    acknowledge(
        runtime_policy,
        "lambda-vpc-eni-and-xray",
        rules=("AwsSolutions-IAM5[Resource::*]", f"AwsSolutions-IAM5[Resource::{_nag_ec2_any(stack)}]"),
    )
    key_arn = key.key_arn
    role.add_to_policy(
        iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        ),
        iam.PolicyStatement(
            sid="SendToDeadLetterQueue",
            actions=["sqs:SendMessage"],
            resources=[dead_letter_queue.queue_arn],
        ),
        iam.PolicyStatement(
            sid="EncryptDeadLetters",
            actions=["kms:GenerateDataKey", "kms:Decrypt"],
            resources=[key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"sqs.{env.region}.{env.url_suffix}"}},
        ),
        iam.PolicyStatement(
            sid="DecryptEnvironment",
            actions=["kms:Decrypt"],
            resources=[key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"lambda.{env.region}.{env.url_suffix}"}},
        ),
    )
    return role, runtime_policy
