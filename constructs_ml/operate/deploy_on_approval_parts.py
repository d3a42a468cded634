"""Parts of :class:`~constructs_ml.operate.DeployOnApproval`: event patterns, ARNs, checks, IAM statements."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Arn, ArnFormat
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.errors import Problems, is_token
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.serve.components import RollingUpdate
from constructs_ml.serve.deployment import DeploymentConfig, TrafficRouting

#: A model package group ARN (the registry may be in another account).
GROUP_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package-group/(?P<name>(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*)$"
)
#: A versioned model package ARN.
PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/(?P<group>(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*)/[1-9][0-9]*$"
)
NAME = re.compile(r"^(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
SSM_NAME = re.compile(r"^/[a-zA-Z0-9_.\-/]{1,1010}$")
ACCOUNT = re.compile(r"^\d{12}$")

PACKAGE_STATE_CHANGE = ("aws.sagemaker", "SageMaker Model Package State Change")
ENDPOINT_STATE_CHANGE = ("aws.sagemaker", "SageMaker Endpoint State Change")
PARAMETER_CHANGE = ("aws.ssm", "Parameter Store Change")
#: The value of the deployed-package parameter before any approval (``ApprovedPackageParameter``'s placeholder).
NOT_YET_APPROVED = "none"


@dataclass(frozen=True)
class GroupRef:
    """A model package group's ARN split into what the policies and patterns need (tokens allowed)."""

    arn: str
    name: str
    account: str
    packages_arn: str

    @classmethod
    def of(cls, scope: Construct, arn: str, name: str | None = None) -> GroupRef:
        match = GROUP_ARN.match(arn)
        if match is not None:
            # The stack's partition token (not the literal) keeps the finding id the allowlist reviewed.
            return cls(
                arn,
                name or match["name"],
                match["account"],
                f"arn:{stack_env(scope).partition}:sagemaker:{match['region']}:{match['account']}:"
                f"model-package/{match['name'].lower()}/*",
            )
        if not is_unresolved(arn):  # not a group ARN: validate_props reports it
            return cls(arn, name or arn, stack_env(scope).account, arn)
        parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME)
        group = name or parts.resource_name or arn
        return cls(
            arn,
            group,
            parts.account or stack_env(scope).account,
            f"arn:{parts.partition}:sagemaker:{parts.region}:{parts.account}:model-package/{group}/*",
        )


def approval_pattern(group: GroupRef) -> events.EventPattern:
    """Packages of ``group`` that became ``Approved`` (events of the registry's account)."""
    return events.EventPattern(
        source=[PACKAGE_STATE_CHANGE[0]],
        detail_type=[PACKAGE_STATE_CHANGE[1]],
        account=[group.account],
        detail={"ModelPackageGroupName": [group.name], "ModelApprovalStatus": ["Approved"]},
    )


def endpoint_in_service_pattern(endpoint_name: str) -> events.EventPattern:
    """The endpoint back ``IN_SERVICE`` (after an update or a rollback): the record is reconciled."""
    return events.EventPattern(
        source=[ENDPOINT_STATE_CHANGE[0]],
        detail_type=[ENDPOINT_STATE_CHANGE[1]],
        detail={"EndpointName": [endpoint_name], "EndpointStatus": ["IN_SERVICE"]},
    )


def record_change_pattern(parameter_name: str) -> events.EventPattern:
    """Any write to the deployed-package parameter (the function reconciles it with the endpoint)."""
    return events.EventPattern(
        source=[PARAMETER_CHANGE[0]],
        detail_type=[PARAMETER_CHANGE[1]],
        detail={"name": [parameter_name], "operation": ["Create", "Update"]},
    )


def deployment_environment(deployment: DeploymentConfig) -> dict[str, str]:
    """The function's blue/green variables, equal to the endpoint's own ``DeploymentConfig``."""
    env = {
        "TRAFFIC_ROUTING": deployment.traffic_routing.value,
        "WAIT_INTERVAL_SECONDS": str(int(deployment.wait_interval.to_seconds())),
        "TERMINATION_WAIT_SECONDS": str(int(deployment.termination_wait.to_seconds())),
    }
    if deployment.traffic_routing == TrafficRouting.CANARY and deployment.step_percent is not None:
        env["CANARY_PERCENT"] = str(deployment.step_percent)
    if deployment.traffic_routing == TrafficRouting.LINEAR and deployment.step_percent is not None:
        env["LINEAR_STEP_PERCENT"] = str(deployment.step_percent)
    if deployment.maximum_execution_timeout is not None:
        env["MAXIMUM_EXECUTION_TIMEOUT_SECONDS"] = str(int(deployment.maximum_execution_timeout.to_seconds()))
    return env


def component_environment(component_name: str, rolling_update: RollingUpdate) -> dict[str, str]:
    """The function's variables for rolling a package onto an inference component."""
    env = {
        "INFERENCE_COMPONENT_NAME": component_name,
        "ROLLING_BATCH_TYPE": rolling_update.unit.value,
        "ROLLING_BATCH_SIZE": str(rolling_update.batch_size),
        "WAIT_INTERVAL_SECONDS": str(int(rolling_update.wait_interval.to_seconds())),
    }
    if rolling_update.maximum_execution_timeout is not None:
        env["MAXIMUM_EXECUTION_TIMEOUT_SECONDS"] = str(int(rolling_update.maximum_execution_timeout.to_seconds()))
    return env


def check_parameter_props(
    problems: Problems,
    *,
    parameter_given: bool,
    parameter_name: str | None,
    initial_model_package_arn: str | None,
    group: GroupRef,
) -> None:
    """Either an existing parameter, or a name (and initial value) for a new one."""
    if parameter_given:
        problems.exclusive("deployed_package_parameter", "an existing parameter", "parameter_name", parameter_name)
        problems.exclusive(
            "deployed_package_parameter",
            "an existing parameter",
            "initial_model_package_arn",
            initial_model_package_arn,
        )
    if parameter_name is not None:
        problems.require(
            bool(SSM_NAME.match(parameter_name)), "parameter_name", parameter_name, "an SSM parameter name '/...'"
        )
    if initial_model_package_arn is not None:
        match = PACKAGE_ARN.match(initial_model_package_arn)
        problems.require(
            match is not None,
            "initial_model_package_arn",
            initial_model_package_arn,
            "a versioned model package ARN arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<n>",
        )
        if match is not None and not is_unresolved(group.name):
            problems.require(
                match["group"].lower() == group.name.lower(),
                "initial_model_package_arn",
                initial_model_package_arn,
                f"a package of the group {group.name}",
            )


def check_deployment(problems: Problems, deployment: DeploymentConfig, rollback_alarms: Sequence[object]) -> None:
    """Rollback alarms (1..10) and the ranges the function accepts."""
    problems.require(
        len(rollback_alarms) >= 1,
        "rollback_alarms",
        list(rollback_alarms),
        "at least one alarm",
        what="must not be empty: an approval rolled out without rollback alarms cannot roll back",
    )
    problems.require(len(rollback_alarms) <= 10, "rollback_alarms", len(rollback_alarms), "at most 10 alarms")
    if deployment.traffic_routing in (TrafficRouting.CANARY, TrafficRouting.LINEAR):
        problems.require_range("deployment.step_percent", deployment.step_percent or 0, 1, 50)
    problems.require_range("deployment.wait_interval (seconds)", deployment.wait_interval.to_seconds(), 0, 3600)
    problems.require_range("deployment.termination_wait (seconds)", deployment.termination_wait.to_seconds(), 0, 3600)
    if deployment.maximum_execution_timeout is not None:
        problems.require_range(
            "deployment.maximum_execution_timeout (seconds)",
            deployment.maximum_execution_timeout.to_seconds(),
            600,
            28800,
        )


def sagemaker_statements(
    scope: Construct,
    *,
    group: GroupRef,
    endpoint_arn: str,
    name_prefix: str,
    endpoint_config_names: Sequence[str],
    model_names: Sequence[str],
    read_arns: Sequence[str] = (),
) -> list[iam.PolicyStatement]:
    """SageMaker permissions: the group's packages, the endpoint, and the names the function derives.

    The derived names are ``<prefix>-v<version>-<hash>`` for both the model and the endpoint config.
    ``endpoint_config_names`` / ``model_names`` are the ones CloudFormation created for the endpoint
    (read only: the function copies the current config and reads which package it serves); ``read_arns``
    the same by ARN (for names CloudFormation generates: only the resource's ARN attribute is in SageMaker's case).
    """
    stack = stack_of(scope)

    def arn(kind: str, name: str) -> str:
        env = env_of(stack)
        return f"arn:{env.partition}:sagemaker:{env.region}:{env.account}:{kind}/{name}"

    derived_config = derived_config_arn(scope, name_prefix)
    derived_model = arn("model", f"{name_prefix.lower()}-v*")
    configs = [derived_config, *(sagemaker_arn(scope, "endpoint-config", n) for n in endpoint_config_names)]
    models = [derived_model, *(sagemaker_arn(scope, "model", n) for n in model_names)]
    return [
        iam.PolicyStatement(
            sid="DescribeApprovedPackages",
            actions=["sagemaker:DescribeModelPackage"],
            resources=[group.packages_arn],
        ),
        iam.PolicyStatement(
            sid="ReadAndUpdateTheEndpoint",
            actions=["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint"],
            resources=[endpoint_arn],
        ),
        iam.PolicyStatement(
            sid="CreateDerivedModelsAndConfigs",
            actions=["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:AddTags"],
            resources=[derived_model, derived_config],
        ),
        iam.PolicyStatement(
            sid="RollOutDerivedConfigs",
            actions=["sagemaker:UpdateEndpoint"],
            resources=[derived_config],
        ),
        iam.PolicyStatement(
            sid="ReadEndpointConfigsAndModels",
            actions=["sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel", "sagemaker:ListTags"],
            resources=[*configs, *models, *read_arns],
        ),
    ]


def derived_config_arn(scope: Construct, name_prefix: str) -> str:
    """``endpoint-config/<prefix>-v*`` in the scope's account and region: the configs the function creates."""
    stack = stack_of(scope)
    env = env_of(stack)
    return f"arn:{env.partition}:sagemaker:{env.region}:{env.account}:endpoint-config/{name_prefix.lower()}-v*"


def event_bus_statement(scope: Construct, account: str) -> dict[str, object]:
    """A default-bus policy statement letting ``account`` forward SageMaker events to this account."""
    stack = stack_of(scope)
    env = env_of(stack)
    return {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{env.partition}:iam::{account}:root"},
        "Action": "events:PutEvents",
        "Resource": f"arn:{env.partition}:events:{env.region}:{env.account}:event-bus/default",
        "Condition": {"StringEquals": {"events:source": ["aws.sagemaker"]}},
    }


DEFAULT_DEPLOYMENT = DeploymentConfig()


def validate_props(
    scope: Construct,
    *,
    group: GroupRef,
    endpoint_name: str,
    model_name_prefix: str,
    deployment: DeploymentConfig,
    rollback_alarms: Sequence[cloudwatch.IAlarm],
    model_security_groups: Sequence[ec2.ISecurityGroup],
    subnets: ec2.SelectedSubnets,
    parameter_given: bool,
    parameter_name: str | None,
    initial_model_package_arn: str | None,
    variant_names: Sequence[str],
    allow_events_from_accounts: Sequence[str],
) -> Problems:
    """Every problem of DeployOnApproval's props (recorded, not raised)."""
    problems = Problems(scope)
    problems.require(
        bool(GROUP_ARN.match(group.arn)),
        "model_package_group",
        group.arn,
        "a model package group ARN arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>",
    )
    problems.require(
        bool(NAME.match(endpoint_name)),
        "endpoint",
        endpoint_name,
        "an endpoint name (1..63 of [a-zA-Z0-9-])",
    )
    if is_unresolved(endpoint_name):
        problems.require(bool(model_name_prefix), "model_name_prefix", None, "given when the endpoint name is a token")
        problems.require(
            parameter_given or parameter_name is not None,
            "parameter_name",
            None,
            "given when the endpoint name is a token (the serving stack needs a literal name)",
        )
    else:
        problems.require(
            bool(NAME.match(model_name_prefix)) and len(model_name_prefix) <= 40,
            "model_name_prefix",
            model_name_prefix,
            "1..40 of [a-zA-Z0-9-], starting and ending with a letter or digit",
        )
    check_deployment(problems, deployment, rollback_alarms)
    check_parameter_props(
        problems,
        parameter_given=parameter_given,
        parameter_name=parameter_name,
        initial_model_package_arn=initial_model_package_arn,
        group=group,
    )
    problems.require(
        len(model_security_groups) >= 1, "model_security_groups", list(model_security_groups), "at least one"
    )
    problems.require(
        len(subnets.subnet_ids) >= 2,
        "model_subnets",
        f"{len(subnets.subnet_ids)} subnet(s)",
        "at least two subnets in different AZs",
    )
    azs = list(subnets.availability_zones)
    if azs and not is_token(azs):
        problems.require(len(set(azs)) >= 2, "model_subnets", azs, "subnets in at least two availability zones")
    problems.unique("variant_names", variant_names)
    for v in variant_names:
        problems.require(bool(NAME.match(v)), "variant_names", v, "variant names of [a-zA-Z0-9-]")
    for account in allow_events_from_accounts:
        problems.require(bool(ACCOUNT.match(account)), "allow_events_from_accounts", account, "12-digit account ids")
    return problems


def subnet_selection(selection: ec2.SubnetSelection | None) -> dict[str, Any]:
    if selection is None:
        return {"subnet_type": ec2.SubnetType.PRIVATE_ISOLATED}
    out: dict[str, Any] = {}
    for attr in ("availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnets", "subnet_type"):
        value = getattr(selection, attr, None)
        if value is not None:
            out[attr] = value
    return out


def parameter_arn(scope: Construct, name: str) -> str:
    stack = stack_of(scope)
    env = env_of(stack)
    return f"arn:{env.partition}:ssm:{env.region}:{env.account}:parameter/{name.lstrip('/')}"
