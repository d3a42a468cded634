"""Workload contracts of the glue functions: what the Lambda runtime and each handler call, and reach.

Every glue role's contract starts with the runtime's needs (:func:`glue_runtime_contract`: logs, the
dead-letter queue and its key, the VPC network interfaces, X-Ray); ``RetrainingTrigger`` and
``DeployOnApproval`` add their handlers' calls next to the grants that allow them. Each entry cites the
AWS page that says the workload needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Stack

from constructs_ml.contracts.model import WorkloadContract

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
#: KMS condition keys (kms:ViaService, kms:GrantIsForAWSResource).
KMS_CONDITIONS = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html"


def glue_runtime_contract(glue: GlueFunction, dead_letter_key_arn: str) -> WorkloadContract:
    """The calls every glue function's role makes for the Lambda runtime, recorded on its role."""
    stack = Stack.of(glue)
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
        context={"kms:ViaService": f"sqs.{stack.region}.amazonaws.com"},
        why="the dead-letter queue is encrypted with SSE-KMS",
        source=SQS_KMS,
    )
    contract.allows(
        ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        "*",
        why="Lambda looks up the function's subnets and network interfaces (no resource-level permissions)",
        source=LAMBDA_VPC,
    )
    contract.allows(
        ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
        f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:network-interface/eni-contract-check",
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


def retraining_contract(glue: GlueFunction, *, pipeline_arn: str, table_arn: str, table_key_arn: str) -> None:
    """The retraining handler's calls: its pipeline, its idempotency table (and key), and their endpoints."""
    stack = Stack.of(glue)
    contract = glue.contract
    contract.allows(
        ["sagemaker:ListPipelineExecutions", "sagemaker:StartPipelineExecution"],
        pipeline_arn,
        why="debounce and cooldown read the pipeline's executions; a decision to retrain starts one",
        source=PIPELINE_API,
    )
    contract.denies(
        "sagemaker:StartPipelineExecution",
        f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:pipeline/another-pipeline",
        why="the function starts only the pipeline it was built for",
        source=SAGEMAKER_SAR,
    )
    contract.allows(
        ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        table_arn,
        why="event claims, decisions and the start gate are conditional writes to the idempotency table",
        source=DYNAMODB_CONDITIONAL,
    )
    contract.allows(
        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        table_key_arn,
        context={"kms:ViaService": f"dynamodb.{stack.region}.amazonaws.com"},
        why="the table is encrypted with a customer-managed key",
        source=DYNAMODB_KMS,
    )
    glue.reaches("sagemaker.api", why="the SageMaker API (pipeline executions)", source=LAMBDA_VPC)
    glue.reaches("dynamodb", why="the idempotency table through the DynamoDB gateway endpoint", source=DYNAMODB_GATEWAY)


def deploy_on_approval_contract(
    glue: GlueFunction,
    *,
    package_arn: str,
    endpoint_arn: str,
    name_prefix: str,
    execution_role_arn: str,
    parameter_arn: str,
    endpoint_key_arn: str | None,
    model_subnet_ids: list[str],
    model_security_group_ids: list[str],
    network_isolation: bool,
) -> None:
    """The deploy-on-approval handler's calls: registry, endpoint, derived model/config, record, key."""
    stack = Stack.of(glue)
    arn = f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}"
    derived = f"{name_prefix.lower()}-v1-contract"
    contract = glue.contract
    contract.allows(
        "sagemaker:DescribeModelPackage",
        package_arn,
        why="an approval is re-checked in the registry before it deploys",
        source=REGISTRY_DEPLOY,
    )
    contract.allows(
        ["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint"],
        endpoint_arn,
        why="ordering and reconciliation read what the endpoint serves; a deployment updates it blue/green",
        source=UPDATE_ENDPOINT,
    )
    contract.allows(
        "sagemaker:CreateModel",
        f"{arn}:model/{derived}",
        context={
            "sagemaker:VpcSubnets": model_subnet_ids,
            "sagemaker:VpcSecurityGroupIds": model_security_group_ids,
            "sagemaker:NetworkIsolation": "true" if network_isolation else "false",
        },
        why="the model built from the approved package, in the endpoint's VPC (name derived from the package)",
        source=REGISTRY_DEPLOY,
    )
    contract.allows(
        ["sagemaker:AddTags", "sagemaker:DescribeModel"],
        f"{arn}:model/{derived}",
        why="the derived model is tagged with its package and read back on a retry",
        source=REGISTRY_DEPLOY,
    )
    contract.allows(
        "sagemaker:CreateEndpointConfig",
        f"{arn}:endpoint-config/{derived}",
        context={"sagemaker:VolumeKmsKey": endpoint_key_arn} if endpoint_key_arn else {},
        why="the endpoint config copied from the current one (its KMS key included)",
        source=UPDATE_ENDPOINT,
    )
    contract.allows(
        [
            "sagemaker:AddTags",
            "sagemaker:DescribeEndpointConfig",
            "sagemaker:ListTags",
            "sagemaker:UpdateEndpoint",
        ],
        f"{arn}:endpoint-config/{derived}",
        why="the endpoint config copied from the current one, tagged with the approval event that rolled it out",
        source=UPDATE_ENDPOINT,
    )
    contract.allows(
        "iam:PassRole",
        execution_role_arn,
        context={"iam:PassedToService": "sagemaker.amazonaws.com"},
        why="CreateModel passes the model's execution role to SageMaker",
        source=PASS_ROLE,
    )
    contract.denies(
        "iam:PassRole",
        execution_role_arn,
        context={"iam:PassedToService": "lambda.amazonaws.com"},
        why="the execution role goes to SageMaker only",
        source=PASS_ROLE,
    )
    contract.allows(
        ["ssm:GetParameter", "ssm:PutParameter"],
        parameter_arn,
        why="the deployed-package record: read for ordering, written after a roll-out or a reconciliation",
        source=PARAMETER_STORE,
    )
    if endpoint_key_arn is not None:
        via = {"kms:ViaService": f"sagemaker.{stack.region}.amazonaws.com"}
        contract.allows(
            "kms:CreateGrant",
            endpoint_key_arn,
            context={**via, "kms:GrantIsForAWSResource": "true"},
            why="an endpoint config with a KMS key: SageMaker creates a grant for the caller",
            source=KMS_CONDITIONS,
        )
        contract.allows(
            "kms:DescribeKey", endpoint_key_arn, context=via, why="SageMaker checks the key", source=KMS_CONDITIONS
        )
    glue.reaches("sagemaker.api", why="the SageMaker API (registry, endpoint, models, configs)", source=LAMBDA_VPC)
    glue.reaches("ssm", why="Parameter Store (the deployed-package record)", source=LAMBDA_VPC)
