"""The deploy-on-approval function's grants and workload contract, side by side.

:func:`grant_deployer` adds what the handler calls (see ``lambdas/deploy_on_approval``) to the
function's role; :func:`deploy_on_approval_contract` records the same calls, each with the AWS page
that says the workload needs it, for the offline contract check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.governance.iam_wildcards import flatten_cfn_reference
from constructs_ml.operate.deploy_on_approval_parts import derived_config_arn, sagemaker_statements
from constructs_ml.operate.glue_function import GlueFunction
from constructs_ml.operate.glue_role import (
    KMS_CONDITIONS,
    LAMBDA_VPC,
    PARAMETER_STORE,
    PASS_ROLE,
    REGISTRY_DEPLOY,
    UPDATE_ENDPOINT,
)
from constructs_ml.serve.common import S3Path

if TYPE_CHECKING:
    from constructs_ml.operate.deploy_on_approval import DeployOnApproval

#: Namespace of the function's ``ArtifactIntegrityFailures`` metric.
INTEGRITY_NAMESPACE = "constructs-ml/DeployOnApproval"
#: AWS pages for the artifact check's calls.
HEAD_OBJECT = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html"
PUT_METRIC_DATA = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html"
#: UpdateInferenceComponent: "Updates an inference component" (its model, compute and deployment config).
UPDATE_INFERENCE_COMPONENT = (
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponent.html"
)


def grant_component_update(deployer: DeployOnApproval, component_name: str) -> None:
    """Component mode: describe and update exactly the one inference component; with its contract."""
    stack = stack_of(deployer)
    env = env_of(stack)
    base = f"arn:{env.partition}:sagemaker:{env.region}:{env.account}:inference-component"
    component_arn = f"{base}/{component_name.lower()}"
    deployer.function.add_to_role_policy(
        iam.PolicyStatement(
            sid="ReadAndUpdateTheInferenceComponent",
            actions=["sagemaker:DescribeInferenceComponent", "sagemaker:UpdateInferenceComponent"],
            resources=[component_arn],
        )
    )
    contract = deployer.function.contract
    contract.allows(
        ["sagemaker:DescribeInferenceComponent", "sagemaker:UpdateInferenceComponent"],
        component_arn,
        why="ordering reads the model the component runs; a deployment rolls the new model onto it",
        source=UPDATE_INFERENCE_COMPONENT,
    )
    contract.denies(
        "sagemaker:UpdateInferenceComponent",
        f"{base}/another-component",
        why="only the configured component is updated",
        source=UPDATE_INFERENCE_COMPONENT,
    )


def grant_artifact_checks(deployer: DeployOnApproval, artifacts: S3Path) -> None:
    """What the artifact check calls: head the object, count a failure; with its contract.

    ``HeadObject`` needs ``s3:GetObject`` (``s3:GetObjectVersion`` for a given version); ``PutMetricData``
    has no resource and is bound to the function's namespace with ``cloudwatch:namespace``.
    """
    prefix = artifacts.clean_prefix
    deployer.function.add_to_role_policy(
        iam.PolicyStatement(
            sid="ReadPackageArtifactsForTheIntegrityCheck",
            actions=["s3:GetObject", "s3:GetObjectVersion"],
            resources=[artifacts.objects_arn],
        ),
        iam.PolicyStatement(
            sid="CountArtifactIntegrityFailures",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": INTEGRITY_NAMESPACE}},
        ),
    )
    key = f"{prefix}/contract-check/output/model.tar.gz" if prefix else "contract-check/output/model.tar.gz"
    contract = deployer.function.contract
    contract.allows(
        ["s3:GetObject", "s3:GetObjectVersion"],
        artifacts.bucket.arn_for_objects(key),
        why="HeadObject reads the artifact's current version id, ETag and checksum before it is served",
        source=HEAD_OBJECT,
    )
    contract.allows(
        "cloudwatch:PutMetricData",
        "*",
        context={"cloudwatch:namespace": INTEGRITY_NAMESPACE},
        why="a refused artifact is counted in ArtifactIntegrityFailures (the alarm's metric)",
        source=PUT_METRIC_DATA,
    )
    contract.denies(
        "cloudwatch:PutMetricData",
        "*",
        context={"cloudwatch:namespace": "AWS/SageMaker"},
        why="the function publishes only its own namespace",
        source=PUT_METRIC_DATA,
    )
    contract.denies(
        ["s3:PutObject", "s3:DeleteObject"],
        artifacts.bucket.arn_for_objects(key),
        why="the function that checks artifacts cannot change them",
        source=HEAD_OBJECT,
    )
    deployer.function.reaches("monitoring", why="CloudWatch (the integrity-failure metric)", source=LAMBDA_VPC)
    deployer.function.reaches("s3", why="S3 (the artifact check), through the gateway endpoint", source=LAMBDA_VPC)


def grant_deployer(
    deployer: DeployOnApproval,
    execution_role: iam.IRole,
    endpoint_key: kms.IKey | None,
    endpoint_config_names: Sequence[str],
    model_names: Sequence[str],
    read_arns: Sequence[str] = (),
) -> None:
    """Everything the handler calls: the group's packages, the endpoint, the derived names, the record, the key."""
    stack = stack_of(deployer)
    env = env_of(stack)
    statements = sagemaker_statements(
        deployer,
        group=deployer.group,
        endpoint_arn=deployer.endpoint_arn,
        name_prefix=deployer.model_name_prefix,
        endpoint_config_names=endpoint_config_names,
        model_names=model_names,
        read_arns=read_arns,
    )
    derived = flatten_cfn_reference(stack.resolve(derived_config_arn(deployer, deployer.model_name_prefix)))
    acknowledge(
        deployer.function.role.policy,
        "deploy-on-approval-derived-configs",
        rules=(f"AwsSolutions-IAM5[Resource::{derived}]",),
    )
    statements += [
        iam.PolicyStatement(
            sid="PassTheExecutionRoleToSageMaker",
            actions=["iam:PassRole"],
            resources=[execution_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="RecordTheDeployedPackage",
            actions=["ssm:GetParameter", "ssm:PutParameter"],
            resources=[deployer.parameter_arn],
        ),
    ]
    if endpoint_key is not None:
        via_sagemaker = {"kms:ViaService": f"sagemaker.{env.region}.{env.url_suffix}"}
        key_arn = endpoint_key.key_arn
        # kms:GrantIsForAWSResource applies to the grant operations only (KMS developer guide, "AWS KMS
        # condition keys"): under it DescribeKey would never be allowed, so it has its own statement.
        statements += [
            iam.PolicyStatement(
                sid="EndpointKeyForSageMaker",
                actions=["kms:CreateGrant"],
                resources=[key_arn],
                conditions={"StringEquals": via_sagemaker, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
            iam.PolicyStatement(
                sid="DescribeEndpointKeyViaSageMaker",
                actions=["kms:DescribeKey"],
                resources=[key_arn],
                conditions={"StringEquals": via_sagemaker},
            ),
        ]
    deployer.function.add_to_role_policy(*statements)


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
    stack = stack_of(glue)
    env = env_of(stack)
    arn = f"arn:{env.partition}:sagemaker:{env.region}:{env.account}"
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
        context={
            **({"sagemaker:VolumeKmsKey": endpoint_key_arn} if endpoint_key_arn else {}),
            # The new config's models are in the endpoint's VPC (the guardrail denies instance configs outside).
            **({"sagemaker:VpcSubnets": model_subnet_ids} if model_subnet_ids else {}),
        },
        why="the endpoint config copied from the current one (its KMS key and its models' VPC included)",
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
        via = {"kms:ViaService": f"sagemaker.{env.region}.amazonaws.com"}
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
