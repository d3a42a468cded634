"""Deny-only guardrail policy for SageMaker, and the platform permissions boundary.

:class:`SageMakerGuardrail` (control SM-11) is a customer-managed policy of Deny statements attached
to every persona and execution role: SageMaker resources cannot be created without the platform's VPC
subnets, without the platform's KMS keys, without network isolation or inter-container encryption
where IAM offers the condition key (a request that leaves a flag out counts as off: ``BoolIfExists``),
instance endpoint configs outside the VPC, monitoring schedules, HyperPod clusters, AutoML, labeling,
notebook and domain creation outside the same controls, and job types IAM cannot bind to a VPC or key
(compilation, optimization, inference recommendation, edge packaging) are denied outright. Studio
domains cannot be anything but VPC-only. Every condition key and action is checked in the tests
against AWS's Service Authorization Reference data.

:class:`PermissionsBoundary` is the ceiling for every role the platform creates (control IAM-06):
no IAM user or access-key management, no role creation or policy change that escapes the boundary,
no tampering with CloudTrail, the organization or the boundary itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from constructs_ml._jsii_cache import env_of, key_arn, stack_of
from constructs_ml.contracts.sources import DEFAULT_SG_RULE_ACTIONS
from constructs_ml.errors import Problems
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.foundation.roles import policy_document
from constructs_ml.governance.acknowledgements import acknowledge

#: Create calls that accept a VPC config (sagemaker:VpcSubnets) and must carry one.
VPC_REQUIRED_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateModel",
    "sagemaker:CreateDataQualityJobDefinition",
    "sagemaker:CreateModelQualityJobDefinition",
    "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateAutoMLJob",
    "sagemaker:CreateAutoMLJobV2",
    "sagemaker:CreateMonitoringSchedule",
    "sagemaker:UpdateMonitoringSchedule",
    "sagemaker:CreateCluster",
)

#: Create calls that carry sagemaker:VolumeKmsKey.
VOLUME_KMS_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateDataQualityJobDefinition",
    "sagemaker:CreateModelQualityJobDefinition",
    "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition",
    "sagemaker:CreateMonitoringSchedule",
    "sagemaker:UpdateMonitoringSchedule",
    "sagemaker:CreateAutoMLJob",
    "sagemaker:CreateAutoMLJobV2",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateDomain",
)

#: Labeling jobs name a volume key only with automated labeling: a named key must be the platform's.
LABELING_ACTIONS: tuple[str, ...] = ("sagemaker:CreateLabelingJob",)

#: Endpoint configs carry sagemaker:VolumeKmsKey too, except serverless ones, which AWS does not let
#: name a key (they carry sagemaker:ServerlessMemorySize instead).
ENDPOINT_CONFIG_ACTIONS: tuple[str, ...] = ("sagemaker:CreateEndpointConfig",)

#: Create calls that carry sagemaker:OutputKmsKey.
OUTPUT_KMS_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateDataQualityJobDefinition",
    "sagemaker:CreateModelQualityJobDefinition",
    "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition",
    "sagemaker:CreateMonitoringSchedule",
    "sagemaker:UpdateMonitoringSchedule",
    "sagemaker:CreateLabelingJob",
    "sagemaker:CreateAutoMLJob",
    "sagemaker:CreateAutoMLJobV2",
)

_MONITORING_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateDataQualityJobDefinition",
    "sagemaker:CreateModelQualityJobDefinition",
    "sagemaker:CreateModelBiasJobDefinition",
    "sagemaker:CreateModelExplainabilityJobDefinition",
    "sagemaker:CreateMonitoringSchedule",
    "sagemaker:UpdateMonitoringSchedule",
)

#: Create calls that carry sagemaker:NetworkIsolation.
NETWORK_ISOLATION_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateModel",
    *_MONITORING_ACTIONS,
)

#: Create calls that carry sagemaker:InterContainerTrafficEncryption.
INTER_CONTAINER_ENCRYPTION_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateAutoMLJob",
    "sagemaker:CreateAutoMLJobV2",
    *_MONITORING_ACTIONS,
)

#: Jobs IAM cannot bind to a VPC or the platform's keys (no condition keys for either): denied outright.
UNCONSTRAINABLE_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateCompilationJob",
    "sagemaker:CreateOptimizationJob",
    "sagemaker:CreateInferenceRecommendationsJob",
    "sagemaker:CreateEdgePackagingJob",
)

DOMAIN_ACTIONS: tuple[str, ...] = ("sagemaker:CreateDomain", "sagemaker:UpdateDomain")


#: The name prefix of SageMaker Clarify's temporary (shadow) endpoints and their configs.
CLARIFY_SHADOW_PREFIX = "sm-clarify-"


def _deny(sid: str, actions: Sequence[str], conditions: dict[str, Any]) -> dict[str, Any]:
    """A guardrail statement (IAM JSON): deny ``actions`` on every resource when ``conditions`` hold (always if empty).

    Plain data: the guardrail hands its whole document to CDK in one call (:func:`policy_document`),
    not one ``PolicyStatement`` object per statement.
    """
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": list(actions), "Resource": "*"}
    if conditions:
        statement["Condition"] = conditions
    return statement


class SageMakerGuardrail(Construct):
    """A deny-only customer-managed policy that keeps SageMaker workloads inside the platform's controls.

    Args:
        scope: parent construct.
        construct_id: construct id.
        keys: the KMS keys that SageMaker volumes and outputs must use; requests naming another key
            are denied. At least one.
        require_network_isolation: deny CreateTrainingJob/CreateProcessingJob/CreateModel... without
            network isolation. On by default; turn off only for workloads that must reach the network
            (e.g. a training script that downloads packages), which is loud (a warning).
        subnet_ids: if given, VPC configs must use only these subnets (``ForAnyValue`` deny on others).
        clarify_shadow_endpoints: exempt endpoint configs named ``sm-clarify-*`` from the volume-key deny
            (every other deny, including a foreign key and a config outside the VPC, still holds): SageMaker
            Clarify's SHAP analysis serves the model on such a temporary endpoint and its model config
            takes no KMS key. Off; on only for the role Clarify jobs run with (``ModelMonitor`` with an
            explainability monitor), which is loud (a ``constructs-ml:guardrail-clarify-shadow-endpoint``
            warning; see docs/operate.md, "Explainability and bias need their Clarify setup").
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        keys: Sequence[kms.IKey],
        require_network_isolation: bool = True,
        subnet_ids: Sequence[str] | None = None,
        clarify_shadow_endpoints: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.require(len(keys) >= 1, "keys", list(keys), "at least one KMS key")
        problems.raise_if_any()
        key_arns = [key_arn(k) for k in keys]
        #: the subnets jobs must use (None: any subnet, as long as there is one).
        self.subnet_ids: list[str] | None = list(subnet_ids) if subnet_ids else None
        statements = [
            _deny("DenyWithoutVpc", VPC_REQUIRED_ACTIONS, {"Null": {"sagemaker:VpcSubnets": "true"}}),
            _deny(
                "DenyWithoutSecurityGroups", VPC_REQUIRED_ACTIONS, {"Null": {"sagemaker:VpcSecurityGroupIds": "true"}}
            ),
            _deny("DenyWithoutVolumeKey", VOLUME_KMS_ACTIONS, {"Null": {"sagemaker:VolumeKmsKey": "true"}}),
            # Both null: neither a volume key nor serverless (which cannot take a key).
            _deny(
                "DenyInstanceEndpointConfigWithoutVolumeKey",
                ENDPOINT_CONFIG_ACTIONS,
                {"Null": {"sagemaker:VolumeKmsKey": "true", "sagemaker:ServerlessMemorySize": "true"}},
            ),
            # Endpoint configs: the models' VPC, unless serverless (which cannot be in a VPC).
            _deny(
                "DenyInstanceEndpointConfigOutsideVpc",
                ENDPOINT_CONFIG_ACTIONS,
                {"Null": {"sagemaker:VpcSubnets": "true", "sagemaker:ServerlessMemorySize": "true"}},
            ),
            # Foreign keys only when a key is named (a missing key is denied above, or allowed for serverless).
            _deny(
                "DenyForeignVolumeKey",
                (*VOLUME_KMS_ACTIONS, *ENDPOINT_CONFIG_ACTIONS, *LABELING_ACTIONS),
                {"ArnNotEquals": {"sagemaker:VolumeKmsKey": key_arns}, "Null": {"sagemaker:VolumeKmsKey": "false"}},
            ),
            _deny("DenyWithoutOutputKey", OUTPUT_KMS_ACTIONS, {"Null": {"sagemaker:OutputKmsKey": "true"}}),
            _deny(
                "DenyForeignOutputKey",
                OUTPUT_KMS_ACTIONS,
                {"ArnNotEquals": {"sagemaker:OutputKmsKey": key_arns}, "Null": {"sagemaker:OutputKmsKey": "false"}},
            ),
            # ...IfExists: a request that leaves the flag out (SDK default: off) is denied like one that sets it off.
            _deny(
                "DenyInterContainerTrafficInClear",
                INTER_CONTAINER_ENCRYPTION_ACTIONS,
                {"BoolIfExists": {"sagemaker:InterContainerTrafficEncryption": "false"}},
            ),
            _deny("DenyJobsIamCannotConstrain", UNCONSTRAINABLE_ACTIONS, {}),
            _deny(
                "DenyDomainWithInternet",
                DOMAIN_ACTIONS,
                {"StringNotEquals": {"sagemaker:AppNetworkAccessType": "VpcOnly"}},
            ),
            _deny(
                "DenyNotebookInternetAndRoot",
                ("sagemaker:CreateNotebookInstance", "sagemaker:UpdateNotebookInstance"),
                {"StringNotEquals": {"sagemaker:RootAccess": "Disabled"}},
            ),
            _deny(
                "DenyNotebookDirectInternet",
                ("sagemaker:CreateNotebookInstance",),
                {"StringNotEquals": {"sagemaker:DirectInternetAccess": "Disabled"}},
            ),
        ]
        if clarify_shadow_endpoints:
            (no_key,) = [st for st in statements if st["Sid"] == "DenyInstanceEndpointConfigWithoutVolumeKey"]
            no_key.pop("Resource")
            no_key["NotResource"] = sagemaker_arn(self, "endpoint-config", f"{CLARIFY_SHADOW_PREFIX}*")
            Annotations.of(self).add_warning_v2(
                "constructs-ml:guardrail-clarify-shadow-endpoint",
                f"SageMakerGuardrail: endpoint configs named {CLARIFY_SHADOW_PREFIX}* may omit the volume key "
                "(SageMaker Clarify's shadow endpoint takes none); their volumes use AWS-managed encryption.",
            )
        if require_network_isolation:
            statements.append(
                _deny(
                    "DenyWithoutNetworkIsolation",
                    NETWORK_ISOLATION_ACTIONS,
                    {"BoolIfExists": {"sagemaker:NetworkIsolation": "false"}},
                )
            )
        else:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:guardrail-network-isolation-off",
                "SageMakerGuardrail: network isolation is not enforced; jobs and models may reach the network.",
            )
        if subnet_ids:
            statements.append(
                _deny(
                    "DenyForeignSubnets",
                    VPC_REQUIRED_ACTIONS,
                    {"ForAnyValue:StringNotEquals": {"sagemaker:VpcSubnets": list(subnet_ids)}},
                )
            )
        self.policy = iam.ManagedPolicy(
            self,
            "Resource",
            description="constructs-ml SageMaker guardrail: deny creates outside the platform's VPC/KMS/isolation",
            document=policy_document(statements),
        )

    @property
    def managed_policy_arn(self) -> str:
        return self.policy.managed_policy_arn


#: Services (and single actions) the permissions boundary lets platform roles use at most: what the
#: workload contracts of the platform's roles need (the tests check every contract through this ceiling).
CEILING_ACTIONS: tuple[str, ...] = (
    "sagemaker:*",
    "s3:*",
    "kms:*",
    "logs:*",
    "cloudwatch:*",
    # EC2: only placing workloads in the VPC (network interfaces) and reading the network.
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "ec2:Describe*",
    "ecr:*",
    "events:*",
    "sns:*",
    "sqs:*",
    "ssm:*",
    "xray:*",
    # Item-level DynamoDB access only: the glue functions' idempotency tables (no table management).
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:Query",
    "dynamodb:DescribeTable",
    # Glue: the feature store's offline-store tables and reading the catalog (Athena queries from Studio).
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreateTable",
    "glue:UpdateTable",
    "athena:*",
    "application-autoscaling:*",
    "elasticfilesystem:*",
    "servicecatalog:*",
    "tag:GetResources",
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
    "sts:SetSourceIdentity",
    "sts:TagSession",
    "iam:GetRole",
    "iam:ListRoles",
    "iam:PassRole",
    "iam:CreateServiceLinkedRole",
)

#: The only services a bounded role may pass a role to (``iam:PassedToService``).
PASS_ROLE_SERVICES: tuple[str, ...] = ("sagemaker.amazonaws.com",)

#: Actions the permissions boundary never allows, whatever the identity policy says: escalation, and
#: tampering with the controls the platform relies on (bucket and key policies, encryption, flow logs,
#: VPC endpoints and their policies, log retention, CloudTrail, the organization).
BOUNDARY_DENIED_ACTIONS: tuple[str, ...] = (
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:CreateGroup",
    "iam:AddUserToGroup",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "organizations:LeaveOrganization",
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketLogging",
    "s3:DeleteBucket",
    "logs:DeleteLogGroup",
    "logs:PutRetentionPolicy",
    "logs:DeleteRetentionPolicy",
    "logs:DisassociateKmsKey",
    "ec2:CreateInternetGateway",
    "ec2:AttachInternetGateway",
    "ec2:CreateNatGateway",
    "ec2:AllocateAddress",
    "ec2:DeleteFlowLogs",
    "ec2:ModifyVpcEndpoint",
    "ec2:DeleteVpcEndpoints",
    "ec2:CreateVpcEndpoint",
)


class PermissionsBoundary(Construct):
    """The platform's permissions boundary: a ceiling, not a grant.

    It allows what the platform's workloads use (:data:`CEILING_ACTIONS`: services, and single actions
    where the service is broader than the workloads, e.g. EC2 network interfaces, Glue catalog tables,
    DynamoDB items), passing roles only to SageMaker, denies a fixed list of escalation and tampering
    actions even within them (bucket and key policies, encryption, flow logs, VPC endpoints, log
    retention), and denies creating roles without this same boundary. Extend it in a reviewed way with
    ``extra_allowed_actions``. (An ``Allow NotAction`` ceiling would be shorter, but cdk-nag's IAM5 rule crashes on
    ``NotAction`` and cfn-lint warns W2512 on it.) A boundary grants nothing by itself:
    effective permissions are the intersection with each role's least-privilege identity policies.

    Apply it to every role under a scope with :func:`apply_permissions_boundary`.

    Args:
        scope: parent construct.
        construct_id: construct id.
        extra_denied_actions: more actions no platform role may ever take.
        extra_allowed_actions: more actions (or ``service:*``) under the ceiling, beyond
            :data:`CEILING_ACTIONS`, for roles of your own that need other services.
        managed_policy_name: the policy's name; ``<stack name>-permissions-boundary`` when omitted. The
            name is fixed so that the policy can require the same boundary on roles it lets be created.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        extra_denied_actions: Sequence[str] = (),
        extra_allowed_actions: Sequence[str] = (),
        managed_policy_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        for prop, actions in (
            ("extra_denied_actions", extra_denied_actions),
            ("extra_allowed_actions", extra_allowed_actions),
        ):
            if problems.require_sequence(prop, actions, str, "a list of IAM actions like 'service:Action'"):
                for a in actions:
                    problems.require(":" in a and " " not in a, prop, a, "IAM actions like 'service:Action'")
        problems.raise_if_any()
        stack = stack_of(self)
        env = env_of(stack)
        name = managed_policy_name or f"{stack.stack_name}-permissions-boundary"
        self.policy = iam.ManagedPolicy(
            self,
            "Resource",
            managed_policy_name=name,
            description="constructs-ml permissions boundary: ceiling for every platform role",
        )
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="Ceiling",
                effect=iam.Effect.ALLOW,
                actions=[a for a in (*CEILING_ACTIONS, *extra_allowed_actions) if a != "iam:PassRole"],
                resources=["*"],
            ),
            # Roles are passed only to SageMaker (jobs, models, pipelines): a bounded role cannot hand a role
            # to Lambda, EC2 or CloudFormation to act beyond its own boundary.
            iam.PolicyStatement(
                sid="PassRolesOnlyToSageMaker",
                effect=iam.Effect.ALLOW,
                actions=["iam:PassRole"],
                resources=["*"],
                conditions={"StringEquals": {"iam:PassedToService": list(PASS_ROLE_SERVICES)}},
            ),
            iam.PolicyStatement(
                sid="DenyEscalation",
                effect=iam.Effect.DENY,
                actions=[*BOUNDARY_DENIED_ACTIONS, *extra_denied_actions],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="DenyRolesWithoutThisBoundary",
                effect=iam.Effect.DENY,
                actions=["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
                resources=["*"],
                conditions={
                    "ArnNotEquals": {"iam:PermissionsBoundary": f"arn:{env.partition}:iam::{env.account}:policy/{name}"}
                },
            ),
        )
        acknowledge(
            self.policy,
            "permissions-boundary-ceiling",
            rules=(
                "AwsSolutions-IAM5[Resource::*]",
                *(f"AwsSolutions-IAM5[Action::{a}]" for a in (*CEILING_ACTIONS, *extra_allowed_actions) if "*" in a),
                "HIPAA.Security-IAMPolicyNoStatementsWithFullAccess",
                "NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess",
                "PCI.DSS.321-IAMPolicyNoStatementsWithFullAccess",
            ),
        )

    @property
    def managed_policy_arn(self) -> str:
        return self.policy.managed_policy_arn

    def allow_default_security_group_rules(self, vpc: ec2.IVpc) -> None:
        """Let bounded roles change the rules of ``vpc``'s default security group, and no other group's.

        CDK's provider for ``restrict_default_security_group`` (which :class:`MlNetwork` turns on for a VPC
        it creates) removes those rules at deploy; when the boundary is applied to its stack, its role is
        bounded too, and without this the custom resource fails and the deployment rolls back. Identity
        policies still grant the calls: only that provider's role has them.
        """
        env = env_of(stack_of(self))
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="DefaultSecurityGroupRules",
                effect=iam.Effect.ALLOW,
                actions=list(DEFAULT_SG_RULE_ACTIONS),
                resources=[
                    f"arn:{env.partition}:ec2:{env.region}:{env.account}:security-group/{vpc.vpc_default_security_group}"
                ],
            )
        )


def apply_permissions_boundary(scope: IConstruct, boundary: iam.IManagedPolicy) -> None:
    """Set ``boundary`` as the permissions boundary of every IAM role under ``scope`` (IAM-06)."""
    iam.PermissionsBoundary.of(scope).apply(boundary)
