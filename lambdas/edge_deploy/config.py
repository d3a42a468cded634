"""Configuration of edge-deploy, read from environment variables and validated once.

See the module docstring of :mod:`edge_deploy.handler` for the contract. Every problem is reported at once
in one :class:`ConfigError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from glue_common import environment

GROUP_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package-group/(?P<name>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)
THING_GROUP_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:thinggroup/[a-zA-Z0-9:_-]{1,128}$")
COMPONENT_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$")
VERSION_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
LOCATION_RE = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<prefix>[^*?]+[^/*?])$")


class ConfigError(environment.ConfigError):
    """The function's environment is invalid; the message lists every problem."""

    function = "edge-deploy"


@dataclass(frozen=True)
class Config:
    """Validated configuration.

    Attributes:
        group_arn: the model package group whose approvals deploy.
        group_name: its name.
        component_name: the model component's name.
        thing_group_arn: the IoT thing group to deploy to.
        artifact_location: ``s3://bucket/prefix``: approved artifacts must be under it.
        additional_components: further components of the deployment (name -> version).
        failure_threshold_percentage: cancel the rollout when this share of devices failed.
        rollout_per_minute: devices notified per minute.
        function_timeout_seconds: the function's configured timeout.
    """

    group_arn: str
    group_name: str
    component_name: str
    thing_group_arn: str
    artifact_location: str
    function_timeout_seconds: int
    additional_components: Mapping[str, str] = field(default_factory=dict)
    failure_threshold_percentage: int = 10
    rollout_per_minute: int = 10


def load(env: Mapping[str, str]) -> Config:
    """Read and validate the configuration.

    Raises:
        ConfigError: naming every problem.
    """
    problems: list[str] = []
    group_arn = environment.required(
        env, "MODEL_PACKAGE_GROUP_ARN", GROUP_ARN_RE, "a model package group ARN", problems
    )
    match = GROUP_ARN_RE.match(group_arn)
    component = environment.required(
        env, "COMPONENT_NAME", COMPONENT_RE, "a Greengrass component name (letters, digits, . _ -)", problems
    )
    if component.startswith("aws.greengrass"):
        problems.append(f"COMPONENT_NAME must not be in the reserved aws.greengrass namespace (got {component!r})")
    thing_group = environment.required(env, "THING_GROUP_ARN", THING_GROUP_ARN_RE, "an IoT thing group ARN", problems)
    location = environment.required(
        env, "ARTIFACT_LOCATION", LOCATION_RE, "'s3://<bucket>/<prefix>' without a trailing '/' or wildcards", problems
    )
    extra: dict[str, str] = {}
    raw = env.get("ADDITIONAL_COMPONENTS", "").strip()
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and VERSION_RE.match(v) for k, v in parsed.items()
        ):
            problems.append(f"ADDITIONAL_COMPONENTS must be a JSON object of name -> 'major.minor.patch' (got {raw!r})")
        elif component in parsed:
            problems.append(f"ADDITIONAL_COMPONENTS must not list COMPONENT_NAME {component!r}")
        else:
            extra = dict(parsed)
    threshold = environment.integer(env, "FAILURE_THRESHOLD_PERCENTAGE", 10, 0, 100, problems)
    rollout = environment.integer(env, "ROLLOUT_PER_MINUTE", 10, 1, 1000, problems)
    timeout = environment.function_timeout(env, problems)
    if problems:
        raise ConfigError(problems)
    assert match is not None
    return Config(
        group_arn=group_arn,
        group_name=match.group("name"),
        component_name=component,
        thing_group_arn=thing_group,
        artifact_location=location,
        function_timeout_seconds=timeout,
        additional_components=extra,
        failure_threshold_percentage=threshold,
        rollout_per_minute=rollout,
    )
