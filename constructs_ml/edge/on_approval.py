"""EdgeDeployOnApproval: deploy each approved model package of a group to a thing group, as it is approved.

An EventBridge rule on "SageMaker Model Package State Change" (``Approved``, the group, the registry's
account) invokes the ``edge_deploy`` glue function (a :class:`~constructs_ml.operate.GlueFunction`: VPC, DLQ,
KMS log group, error alarm). The function describes the package, refuses an artifact outside
``artifacts`` (the devices' token-exchange role reads only there), creates the model component version
``<package version>.0.0`` (its recipe is :func:`~constructs_ml.edge.deployment.model_recipe`'s) and deploys it
(with ``additional_components``) to the thing group, idempotent on the event id; an older approval arriving
late is not deployed over a newer one. See ``lambdas/edge_deploy/handler.py`` for the function's contract.

Unlike :class:`~constructs_ml.edge.EdgeDeployment`, the deployed version is chosen at run time: a later
``cdk deploy`` does not touch it (CloudFormation owns no Greengrass resource here), and a CloudFormation
``EdgeDeployment`` of the same thing group would replace it, so use one path per thing group.

The function reaches the SageMaker and Greengrass APIs through the VPC's interface endpoints: give the
network ``EndpointService.GREENGRASS`` as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.edge.token_exchange import TokenExchangeRole
from constructs_ml.errors import Problems
from constructs_ml.operate.glue_function import GlueFunction
from constructs_ml.operate.glue_role import LAMBDA_VPC
from constructs_ml.serve.common import S3Path

_GROUP_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package-group/(?P<name>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)
_COMPONENT = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$")
_THING_GROUP = re.compile(r"^[a-zA-Z0-9:_-]{1,128}$")
_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

#: Greengrass V2 deployments: the caller's Greengrass and IoT permissions (developer guide).
GREENGRASS_DEPLOY_IAM = "https://docs.aws.amazon.com/greengrass/v2/developerguide/create-deployments.html"
#: CreateComponentVersion reads the S3 artifacts as the caller to record their digests.
GREENGRASS_COMPONENT_IAM = "https://docs.aws.amazon.com/greengrass/v2/developerguide/upload-components.html"
#: DescribeModelPackage on the registry.
REGISTRY_DESCRIBE = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-deploy.html"


class EdgeDeployOnApproval(Construct):
    """Deploy every approved model package of a group to a Greengrass thing group.

    Args:
        scope: parent construct.
        construct_id: construct id.
        model_package_group_arn: the model package group whose approvals deploy (this account and region).
        artifacts: where approved edge models live (a prefix): a package whose ``ModelDataUrl`` is
            elsewhere is refused.
        component_name: the model component (``com.example.churn.Model``).
        thing_group_name: the IoT thing group of the core devices.
        vpc: the VPC of the function.
        key: the KMS key of the function's dead-letter queue and environment (the platform messaging key).
        alarm_topic: where the function's error and dead-letter alarms go.
        artifact_key: the KMS key of the artifacts' bucket: none (SSE-S3).
        token_exchange_role: the devices' :class:`TokenExchangeRole`: a new one.
        additional_components: the deployment's other components by name and version: none.
        endpoint_security_group: the VPC interface endpoints' security group: HTTPS egress to the VPC CIDR.
        log_key: the KMS key of the function's log group: ``key``.
        timeout: the function's timeout: one minute.
        failure_threshold_percentage: cancel a rollout at this share of failed devices (0..100): 10.
        rollout_per_minute: devices notified per minute (1..1000): 10.
        permissions_boundary: a boundary for the new roles: none.

    Raises:
        ValidationError: a bad group ARN (or one of another account or region), component, thing group,
            artifact prefix or additional component.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_package_group_arn: str,
        artifacts: S3Path,
        component_name: str,
        thing_group_name: str,
        vpc: ec2.IVpc,
        key: kms.IKey,
        alarm_topic: sns.ITopic,
        artifact_key: kms.IKey | None = None,
        token_exchange_role: TokenExchangeRole | None = None,
        additional_components: Mapping[str, str] | None = None,
        endpoint_security_group: ec2.ISecurityGroup | None = None,
        log_key: kms.IKey | None = None,
        timeout: Duration | None = None,
        failure_threshold_percentage: int = 10,
        rollout_per_minute: int = 10,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = stack_of(self)
        env = env_of(stack)
        problems = Problems(self)
        match = _GROUP_ARN.match(model_package_group_arn)
        problems.require(
            match is not None and match.group("account") == env.account and match.group("region") == env.region,
            "model_package_group_arn",
            model_package_group_arn,
            f"a model package group ARN of this account and region ({env.account}, {env.region})",
        )
        problems.require(
            bool(_COMPONENT.match(component_name)) and not component_name.startswith("aws.greengrass"),
            "component_name",
            component_name,
            "1..128 letters, digits, '.', '_' and '-', not starting with 'aws.greengrass' (reserved)",
        )
        problems.require(
            bool(_THING_GROUP.match(thing_group_name)),
            "thing_group_name",
            thing_group_name,
            "1..128 letters, digits, ':', '_' and '-'",
        )
        problems.require(
            bool(artifacts.clean_prefix) and artifacts.prefix_problem() is None and "*" not in artifacts.prefix,
            "artifacts",
            artifacts.prefix,
            "a key prefix like 'edge/churn' (not the whole bucket, no wildcards)",
        )
        extra = dict(additional_components or {})
        for name, version in extra.items():
            problems.require(name != component_name, "additional_components", name, f"not {component_name}")
            problems.require(
                bool(_VERSION.match(version)), f"additional_components[{name!r}]", version, "'major.minor.patch'"
            )
        problems.require_range("failure_threshold_percentage", failure_threshold_percentage, 0, 100)
        problems.require_range("rollout_per_minute", rollout_per_minute, 1, 1000)
        problems.raise_if_any()
        assert match is not None
        group_name = match.group("name")

        self.token_exchange_role = token_exchange_role or TokenExchangeRole(
            self, "TokenExchange", permissions_boundary=permissions_boundary
        )
        self.token_exchange_role.allow_artifacts([artifacts], artifact_key, prefixes=True)
        self.thing_group_arn = stack.format_arn(service="iot", resource="thinggroup", resource_name=thing_group_name)
        self.function = GlueFunction(
            self,
            "Function",
            code="edge_deploy",
            description=f"Deploys approved packages of {group_name} to the {thing_group_name} thing group",
            vpc=vpc,
            key=key,
            alarm_topic=alarm_topic,
            endpoint_security_group=endpoint_security_group,
            log_key=log_key,
            timeout=timeout or Duration.minutes(1),
            permissions_boundary=permissions_boundary,
            environment={
                "MODEL_PACKAGE_GROUP_ARN": model_package_group_arn,
                "COMPONENT_NAME": component_name,
                "THING_GROUP_ARN": self.thing_group_arn,
                "ARTIFACT_LOCATION": f"{artifacts.uri}",
                "ADDITIONAL_COMPONENTS": json.dumps(extra, sort_keys=True),
                "FAILURE_THRESHOLD_PERCENTAGE": str(failure_threshold_percentage),
                "ROLLOUT_PER_MINUTE": str(rollout_per_minute),
            },
        )
        self._grant(stack, group_name, component_name, artifacts, artifact_key)
        self.approval_rule = events.Rule(
            self,
            "ApprovalRule",
            description=f"Approvals in {group_name} deploy to the {thing_group_name} thing group",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Model Package State Change"],
                account=[env.account],
                detail={"ModelPackageGroupName": [group_name], "ModelApprovalStatus": ["Approved"]},
            ),
        )
        self.approval_rule.add_target(self.function.rule_target())
        self.component_name = component_name

    def _grant(
        self,
        stack: Stack,
        group_name: str,
        component_name: str,
        artifacts: S3Path,
        artifact_key: kms.IKey | None,
    ) -> None:
        env = env_of(stack)
        fn = self.function
        packages = stack.format_arn(service="sagemaker", resource="model-package", resource_name=f"{group_name}/*")
        component = f"arn:{env.partition}:greengrass:{env.region}:{env.account}:components:{component_name}"
        deployments = f"arn:{env.partition}:greengrass:{env.region}:{env.account}:deployments:*"
        jobs = stack.format_arn(service="iot", resource="job", resource_name="*")
        things = stack.format_arn(service="iot", resource="thing", resource_name="*")
        statements = [
            iam.PolicyStatement(
                sid="DescribeGroupPackages", actions=["sagemaker:DescribeModelPackage"], resources=[packages]
            ),
            iam.PolicyStatement(
                sid="CreateModelComponent", actions=["greengrass:CreateComponentVersion"], resources=[component]
            ),
            iam.PolicyStatement(
                sid="Deployments",
                actions=["greengrass:CreateDeployment", "greengrass:ListDeployments"],
                resources=["*"],
            ),
            iam.PolicyStatement(sid="ReadDeployments", actions=["greengrass:GetDeployment"], resources=[deployments]),
            iam.PolicyStatement(
                sid="DeploymentJob",
                actions=["iot:CreateJob", "iot:DescribeJob", "iot:CancelJob", "iot:UpdateJob"],
                resources=[jobs, self.thing_group_arn],
            ),
            iam.PolicyStatement(
                sid="DescribeThingGroup", actions=["iot:DescribeThingGroup"], resources=[self.thing_group_arn]
            ),
            iam.PolicyStatement(
                sid="DeviceShadows",
                actions=["iot:DescribeThing", "iot:GetThingShadow", "iot:UpdateThingShadow", "iot:DeleteThingShadow"],
                resources=[things],
            ),
            iam.PolicyStatement(sid="ReadArtifacts", actions=["s3:GetObject"], resources=[artifacts.objects_arn]),
        ]
        if artifact_key is not None:
            statements.append(
                iam.PolicyStatement(
                    sid="DecryptArtifacts",
                    actions=["kms:Decrypt"],
                    resources=[artifact_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{env.region}.{env.url_suffix}"}},
                )
            )
        for statement in statements:
            fn.add_to_role_policy(statement)

        contract = fn.contract
        contract.allows(
            "sagemaker:DescribeModelPackage",
            stack.format_arn(service="sagemaker", resource="model-package", resource_name=f"{group_name}/1"),
            why="the function reads the approved package's status and model artifact",
            source=REGISTRY_DESCRIBE,
        )
        contract.allows(
            "greengrass:CreateComponentVersion",
            component,
            why="the function creates the model component version of the package",
            source=GREENGRASS_COMPONENT_IAM,
        )
        contract.allows(
            ["greengrass:CreateDeployment", "greengrass:ListDeployments"],
            "*",
            why="the function deploys to the thing group after checking its latest deployment",
            source=GREENGRASS_DEPLOY_IAM,
        )
        contract.allows(
            "iot:CreateJob",
            self.thing_group_arn,
            why="a Greengrass deployment to a thing group is an IoT job on that group",
            source=GREENGRASS_DEPLOY_IAM,
        )
        contract.allows(
            "s3:GetObject",
            artifacts.bucket.arn_for_objects(f"{artifacts.clean_prefix}/contract-check/model.onnx"),
            why="Greengrass reads the artifact as the caller to record its digest",
            source=GREENGRASS_COMPONENT_IAM,
        )
        contract.denies(
            "greengrass:CreateComponentVersion",
            f"arn:{env.partition}:greengrass:{env.region}:{env.account}:components:contract.check.Other",
            why="the function creates versions of its own component only",
            source=GREENGRASS_COMPONENT_IAM,
        )
        if artifact_key is not None:
            contract.allows(
                "kms:Decrypt",
                artifact_key.key_arn,
                context={"kms:ViaService": f"s3.{env.region}.amazonaws.com"},
                why="the artifacts are SSE-KMS: Greengrass reads them as the caller",
                source=GREENGRASS_COMPONENT_IAM,
            )
        fn.reaches("sagemaker.api", why="the SageMaker API (the registry)", source=LAMBDA_VPC)
        fn.reaches("greengrass", why="the Greengrass V2 API (components, deployments)", source=LAMBDA_VPC)


__all__ = ["EdgeDeployOnApproval"]
