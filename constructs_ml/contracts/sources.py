"""The AWS pages workload contracts cite, and contract pieces that many roles share."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from constructs import IConstruct

from constructs_ml._jsii_cache import env_of, stack_env, stack_of
from constructs_ml.contracts.model import WorkloadContract

_DG = "https://docs.aws.amazon.com/sagemaker/latest/dg"
#: Execution-role permissions per SageMaker API (CreateTrainingJob, CreateProcessingJob, CreateModel...).
SAGEMAKER_ROLES = f"{_DG}/sagemaker-roles.html"
#: The actions, resources and condition keys of SageMaker (Service Authorization Reference).
SAGEMAKER_SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html"
#: Training jobs in a VPC: S3 gateway endpoint, security groups for distributed training.
TRAINING_VPC = f"{_DG}/train-vpc.html"
#: Processing jobs in a VPC.
PROCESSING_VPC = f"{_DG}/process-vpc.html"
#: Hosted endpoints in a VPC: model artifacts come from S3 through the VPC.
HOSTING_VPC = f"{_DG}/host-vpc.html"
#: Inter-container traffic encryption (IPsec between instances: UDP 500, ESP).
INTER_CONTAINER_ENCRYPTION = f"{_DG}/train-encrypt.html"
#: Studio in VPC-only mode: the endpoints Studio apps need.
STUDIO_VPC = f"{_DG}/studio-notebooks-and-internet-access.html"
#: Opening Studio with CreatePresignedDomainUrl through an interface endpoint.
STUDIO_PRESIGNED = f"{_DG}/studio-interface-endpoint.html"
#: Pipelines: the pipeline role creates the steps' jobs and passes their roles.
PIPELINES_ROLE = f"{_DG}/build-and-manage-access.html"
#: Managed MLflow: the tracking server's role.
MLFLOW = f"{_DG}/mlflow-create-tracking-server-iam.html"
#: Model registry: registering and approving model packages.
MODEL_REGISTRY = f"{_DG}/model-registry-approve.html"
#: Feature Store offline store writes.
FEATURE_STORE = f"{_DG}/feature-store-adding-policies.html"
#: SageMaker condition keys (sagemaker:ModelApprovalStatus, VpcSubnets, VolumeKmsKey...).
SAGEMAKER_CONDITIONS = f"{_DG}/security_iam_id-based-policy-examples.html"
#: Session tags in AssumeRole and the trust-policy conditions on them.
SESSION_TAGS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html"
#: KMS grants AWS services create for their resources (kms:GrantIsForAWSResource).
KMS_GRANTS = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html"
#: VPC flow logs to CloudWatch Logs: the delivery role.
FLOW_LOGS = "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html"
#: ``restrictDefaultSecurityGroup``: CDK's custom resource removes every rule of the VPC's default security
#: group (aws-cdk-lib ec2.VpcProps); the calls are EC2's Revoke/AuthorizeSecurityGroup* (rollback re-adds them).
RESTRICT_DEFAULT_SG = (
    "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ec2.VpcProps.html#restrictdefaultsecuritygroup"
)
#: The security-group actions the default-SG provider calls.
DEFAULT_SG_RULE_ACTIONS: tuple[str, ...] = (
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
)
#: Lambda functions in a VPC reach AWS services through VPC endpoints.
LAMBDA_VPC = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html"
#: S3 default encryption and the SSE condition keys of PutObject.
S3_DEFAULT_ENCRYPTION = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"
#: DynamoDB through a gateway endpoint.
DYNAMODB_GATEWAY = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/vpc-endpoints-dynamodb.html"


def region_of(scope: IConstruct) -> str:
    return stack_env(scope).region


def job_runtime(
    contract: WorkloadContract,
    scope: IConstruct,
    *,
    key_arn: str | None,
    security_groups: Sequence[ec2.ISecurityGroup | str] = (),
    subnets: Sequence[ec2.ISubnet | str] = (),
    log_kind: str = "TrainingJobs",
    source: str = SAGEMAKER_ROLES,
    network_source: str = TRAINING_VPC,
    distributed: bool = True,
    writes: bool = True,
    vpc_arn: str | None = None,
) -> WorkloadContract:
    """What every SageMaker job/model role needs to run: logs, metrics, ENIs, volume-key grants, S3 reach."""
    stack = stack_of(scope)
    env = env_of(stack)
    assumed_by_service(contract, scope, contract.role_arn, "sagemaker.amazonaws.com", source)
    group = f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:/aws/sagemaker/{log_kind}"
    contract.allows(
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        f"{group}:log-stream:contract-check",
        why="the container's stdout/stderr go to CloudWatch Logs",
        source=source,
    )
    contract.allows(
        "cloudwatch:PutMetricData",
        "*",
        context={"cloudwatch:namespace": "/aws/sagemaker/" + log_kind},
        why="SageMaker publishes the job's metrics",
        source=source,
    )
    eni = f"arn:{env.partition}:ec2:{env.region}:{env.account}:network-interface/contract-check"
    contract.allows(
        ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
        eni,
        context={"aws:RequestedRegion": env.region, **({"ec2:Vpc": vpc_arn} if vpc_arn else {})},
        why="SageMaker places the job's instances in the VPC (elastic network interfaces)",
        source=source,
    )
    contract.allows(
        ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        "*",
        why="SageMaker reads the VPC configuration it places the instances in",
        source=source,
    )
    if key_arn is not None:
        contract.allows(
            "kms:CreateGrant",
            key_arn,
            context={
                "kms:GrantIsForAWSResource": "true",
                "kms:ViaService": f"sagemaker.{env.region}.amazonaws.com",
            },
            why="a volume KMS key is given (the guardrail requires one): SageMaker creates a grant for the volumes",
            source=KMS_GRANTS,
        )
        contract.allows(
            ["kms:Decrypt", "kms:GenerateDataKey"] if writes else ["kms:Decrypt"],
            key_arn,
            context={"kms:ViaService": f"s3.{env.region}.amazonaws.com"},
            why="inputs and outputs in S3 are encrypted with the platform key (SSE-KMS)",
            source=source,
        )
    if subnets:
        contract.reaches(
            "s3",
            security_groups=security_groups,
            subnets=subnets,
            why="inputs, outputs and model artifacts move between the instances and S3 in the VPC",
            source=network_source,
        )
        if distributed:
            for protocol, port in (("tcp", 443), ("udp", 500), ("esp", 0)):
                contract.reaches(
                    "self",
                    security_groups=security_groups,
                    subnets=subnets,
                    protocol=protocol,
                    port=port,
                    why="multi-instance jobs talk to each other; with inter-container encryption over IPsec",
                    source=INTER_CONTAINER_ENCRYPTION,
                )
    return contract


def sse_kms(key_arn: str) -> dict[str, str]:
    """The request context of an S3 write that SageMaker encrypts with ``key_arn`` (OutputKmsKey)."""
    return {"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}


def compliant_job(key_arn: str, subnet_ids: Sequence[str] | None) -> dict[str, object]:
    """The SageMaker condition keys of a job request inside the platform's controls (SM-11)."""
    return {
        "sagemaker:VpcSubnets": list(subnet_ids or ["subnet-contract-check"]),
        "sagemaker:VpcSecurityGroupIds": ["sg-contract-check"],
        "sagemaker:VolumeKmsKey": key_arn,
        "sagemaker:OutputKmsKey": key_arn,
        "sagemaker:NetworkIsolation": "true",
        "sagemaker:InterContainerTrafficEncryption": "true",
    }


def assumed_by_service(contract: WorkloadContract, scope: IConstruct, role_arn: str, service: str, source: str) -> None:
    """The service assumes the role for this account only (confused-deputy protection, ``aws:SourceAccount``)."""
    account = stack_env(scope).account
    contract.allows(
        "sts:AssumeRole",
        role_arn,
        caller=f"service:{service}",
        context={"aws:SourceAccount": account},
        why=f"{service} assumes the role to act for this account",
        source=source,
    ).denies(
        "sts:AssumeRole",
        role_arn,
        caller=f"service:{service}",
        context={"aws:SourceAccount": "999999999999"},
        why="not on behalf of another account (confused deputy)",
        source="https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    )


#: EventBridge targets that start a SageMaker pipeline.
EVENTBRIDGE_PIPELINE_TARGET = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html"
