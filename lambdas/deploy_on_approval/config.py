"""Configuration of deploy-on-approval, read from environment variables and validated once.

See the module docstring of :mod:`deploy_on_approval.handler` for the contract. Every problem is
reported at once in one :class:`ConfigError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from glue_common import environment

GROUP_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package-group/(?P<name>(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*)$"
)
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
ENDPOINT_NAME_RE = re.compile(r"^(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
SUBNET_RE = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP_RE = re.compile(r"^sg-[0-9a-f]{8,17}$")
SSM_NAME_RE = re.compile(r"^/[a-zA-Z0-9_.\-/]{1,1010}$")
ALARM_NAME_RE = re.compile(r"^[^,]{1,255}$")
ARTIFACT_LOCATION_RE = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^,]*)?$")
METRIC_NAMESPACE_RE = re.compile(r"^(?!AWS/)[^:]{1,255}$")

TRAFFIC_ROUTING_TYPES = ("ALL_AT_ONCE", "CANARY", "LINEAR")
ROLLING_BATCH_TYPES = ("COPY_COUNT", "CAPACITY_PERCENT")


class ConfigError(environment.ConfigError):
    """The function's environment is invalid; the message lists every problem."""

    function = "deploy-on-approval"


@dataclass(frozen=True)
class Config:
    """Validated configuration (see the handler's module docstring for each variable).

    Attributes:
        endpoint_name: the endpoint to update.
        group_arn: the model package group whose approvals deploy.
        group_name: its name.
        group_account: the registry's account (may differ from the function's).
        group_region: the registry's region.
        execution_role_arn: the execution role of the models created.
        subnet_ids: the models' VPC subnets.
        security_group_ids: the models' security groups.
        deployed_parameter: the SSM parameter recording the deployed package ARN.
        rollback_alarm_names: alarms that roll the deployment back.
        traffic_routing: ``ALL_AT_ONCE``, ``CANARY`` or ``LINEAR``.
        canary_percent: canary size (``CANARY``).
        linear_step_percent: step size (``LINEAR``).
        wait_interval_seconds: wait between traffic shifts.
        termination_wait_seconds: baking time before the old fleet is terminated.
        max_execution_timeout_seconds: deployment timeout (None: SageMaker's default).
        variant_names: production variants that receive the new model (empty: all).
        model_name_prefix: prefix of the model and endpoint config names created.
        network_isolation: create models with network isolation.
        function_timeout_seconds: the function's configured timeout (``FUNCTION_TIMEOUT_SECONDS``).
        artifact_locations: ``s3://bucket/prefix`` locations packages' artifacts must be in; when set,
            every package's artifact is verified before it is served (``deploy_on_approval.integrity``).
        metric_namespace: namespace of the ``ArtifactIntegrityFailures`` metric.
        component_name: an inference component of the endpoint: when set, a package is rolled onto
            this component (``UpdateInferenceComponent``, rolling) instead of the endpoint's variants.
        rolling_batch_type: ``COPY_COUNT`` or ``CAPACITY_PERCENT`` (component mode).
        rolling_batch_size: copies (or percent) replaced per batch (component mode).
    """

    endpoint_name: str
    group_arn: str
    group_name: str
    group_account: str
    group_region: str
    execution_role_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    deployed_parameter: str
    rollback_alarm_names: tuple[str, ...] = ()
    traffic_routing: str = "ALL_AT_ONCE"
    canary_percent: int = 10
    linear_step_percent: int = 20
    wait_interval_seconds: int = 600
    termination_wait_seconds: int = 600
    max_execution_timeout_seconds: int | None = None
    variant_names: tuple[str, ...] = ()
    model_name_prefix: str = ""
    network_isolation: bool = True
    function_timeout_seconds: int = 120
    artifact_locations: tuple[str, ...] = ()
    metric_namespace: str = "constructs-ml/DeployOnApproval"
    component_name: str | None = None
    rolling_batch_type: str = "COPY_COUNT"
    rolling_batch_size: int = 1

    def component_deployment_config(self) -> dict[str, Any]:
        """The ``DeploymentConfig`` of ``UpdateInferenceComponent``: a rolling update and auto-rollback alarms."""
        policy: dict[str, Any] = {
            "MaximumBatchSize": {"Type": self.rolling_batch_type, "Value": self.rolling_batch_size},
            "WaitIntervalInSeconds": self.wait_interval_seconds,
        }
        if self.max_execution_timeout_seconds is not None:
            policy["MaximumExecutionTimeoutInSeconds"] = self.max_execution_timeout_seconds
        config: dict[str, Any] = {"RollingUpdatePolicy": policy}
        if self.rollback_alarm_names:
            config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": n} for n in self.rollback_alarm_names]}
        return config

    def deployment_config(self) -> dict[str, Any]:
        """The ``DeploymentConfig`` of ``UpdateEndpoint``: blue/green routing and auto-rollback alarms."""
        routing: dict[str, Any] = {"Type": self.traffic_routing, "WaitIntervalInSeconds": self.wait_interval_seconds}
        if self.traffic_routing == "CANARY":
            routing["CanarySize"] = {"Type": "CAPACITY_PERCENT", "Value": self.canary_percent}
        elif self.traffic_routing == "LINEAR":
            routing["LinearStepSize"] = {"Type": "CAPACITY_PERCENT", "Value": self.linear_step_percent}
        policy: dict[str, Any] = {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": self.termination_wait_seconds,
        }
        if self.max_execution_timeout_seconds is not None:
            policy["MaximumExecutionTimeoutInSeconds"] = self.max_execution_timeout_seconds
        config: dict[str, Any] = {"BlueGreenUpdatePolicy": policy}
        if self.rollback_alarm_names:
            config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": n} for n in self.rollback_alarm_names]}
        return config


def load(env: Mapping[str, str]) -> Config:
    """Read and validate the configuration.

    Args:
        env: the environment (``os.environ``).

    Returns:
        The validated configuration.

    Raises:
        ConfigError: listing every missing or invalid variable.
    """
    problems: list[str] = []
    endpoint = environment.required(env, "ENDPOINT_NAME", ENDPOINT_NAME_RE, "a SageMaker endpoint name", problems)
    group_arn = environment.required(
        env,
        "MODEL_PACKAGE_GROUP_ARN",
        GROUP_ARN_RE,
        "arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>",
        problems,
    )
    role = environment.required(env, "EXECUTION_ROLE_ARN", ROLE_ARN_RE, "an IAM role ARN", problems)
    parameter = environment.required(
        env, "DEPLOYED_PACKAGE_PARAMETER", SSM_NAME_RE, "an SSM parameter name starting with /", problems
    )
    subnets = environment.csv(env, "SUBNET_IDS")
    if len(subnets) < 2:
        problems.append(f"SUBNET_IDS must list at least 2 subnets in different AZs (got {list(subnets)!r})")
    problems.extend(f"SUBNET_IDS: {s!r} is not a subnet id" for s in subnets if not SUBNET_RE.match(s))
    groups = environment.csv(env, "SECURITY_GROUP_IDS")
    if not groups:
        problems.append("SECURITY_GROUP_IDS must list at least 1 security group")
    problems.extend(
        f"SECURITY_GROUP_IDS: {g!r} is not a security group id" for g in groups if not SECURITY_GROUP_RE.match(g)
    )
    alarms = environment.csv(env, "ROLLBACK_ALARM_NAMES")
    problems.extend(f"ROLLBACK_ALARM_NAMES: {a!r} is not an alarm name" for a in alarms if not ALARM_NAME_RE.match(a))
    if len(alarms) > 10:
        problems.append(f"ROLLBACK_ALARM_NAMES allows at most 10 alarms (got {len(alarms)})")
    routing = env.get("TRAFFIC_ROUTING", "ALL_AT_ONCE").strip().upper() or "ALL_AT_ONCE"
    if routing not in TRAFFIC_ROUTING_TYPES:
        problems.append(f"TRAFFIC_ROUTING must be one of {', '.join(TRAFFIC_ROUTING_TYPES)} (got {routing!r})")
    canary = environment.integer(env, "CANARY_PERCENT", 10, 1, 50, problems)
    linear = environment.integer(env, "LINEAR_STEP_PERCENT", 20, 1, 50, problems)
    wait = environment.integer(env, "WAIT_INTERVAL_SECONDS", 600, 0, 3600, problems)
    termination = environment.integer(env, "TERMINATION_WAIT_SECONDS", 600, 0, 3600, problems)
    timeout_raw = env.get("MAXIMUM_EXECUTION_TIMEOUT_SECONDS", "").strip()
    timeout = (
        environment.integer(env, "MAXIMUM_EXECUTION_TIMEOUT_SECONDS", 0, 600, 28800, problems) if timeout_raw else None
    )
    isolation_raw = env.get("ENABLE_NETWORK_ISOLATION", "true").strip().lower()
    if isolation_raw not in ("true", "false"):
        problems.append(f"ENABLE_NETWORK_ISOLATION must be true or false (got {isolation_raw!r})")
    prefix = env.get("MODEL_NAME_PREFIX", "").strip() or endpoint
    if prefix and not ENDPOINT_NAME_RE.match(prefix):
        problems.append(f"MODEL_NAME_PREFIX must match [a-zA-Z0-9](-*[a-zA-Z0-9])* (got {prefix!r})")
    function_timeout = environment.function_timeout(env, problems)
    locations = environment.csv(env, "ARTIFACT_LOCATIONS")
    for location in locations:
        if not ARTIFACT_LOCATION_RE.match(location):
            problems.append(f"ARTIFACT_LOCATIONS must be s3://bucket[/prefix] URLs (got {location!r})")
    namespace = env.get("METRIC_NAMESPACE", "").strip() or "constructs-ml/DeployOnApproval"
    if not METRIC_NAMESPACE_RE.match(namespace):
        problems.append(f"METRIC_NAMESPACE must be 1..255 characters without ':' or 'AWS/' (got {namespace!r})")
    component = env.get("INFERENCE_COMPONENT_NAME", "").strip() or None
    if component is not None and not ENDPOINT_NAME_RE.match(component):
        problems.append(f"INFERENCE_COMPONENT_NAME must be an inference component name (got {component!r})")
    batch_type = env.get("ROLLING_BATCH_TYPE", "COPY_COUNT").strip().upper() or "COPY_COUNT"
    if batch_type not in ROLLING_BATCH_TYPES:
        problems.append(f"ROLLING_BATCH_TYPE must be one of {', '.join(ROLLING_BATCH_TYPES)} (got {batch_type!r})")
    batch_size = environment.integer(
        env, "ROLLING_BATCH_SIZE", 1, 1, 100 if batch_type == "CAPACITY_PERCENT" else 1000, problems
    )
    match = GROUP_ARN_RE.match(group_arn)
    if problems or match is None:
        raise ConfigError(problems)
    return Config(
        endpoint_name=endpoint,
        group_arn=group_arn,
        group_name=match["name"],
        group_account=match["account"],
        group_region=match["region"],
        execution_role_arn=role,
        subnet_ids=subnets,
        security_group_ids=groups,
        deployed_parameter=parameter,
        rollback_alarm_names=alarms,
        traffic_routing=routing,
        canary_percent=canary,
        linear_step_percent=linear,
        wait_interval_seconds=wait,
        termination_wait_seconds=termination,
        max_execution_timeout_seconds=timeout,
        variant_names=environment.csv(env, "VARIANT_NAMES"),
        model_name_prefix=prefix[:40].rstrip("-"),
        network_isolation=isolation_raw == "true",
        function_timeout_seconds=function_timeout,
        artifact_locations=locations,
        metric_namespace=namespace,
        component_name=component,
        rolling_batch_type=batch_type,
        rolling_batch_size=batch_size,
    )
