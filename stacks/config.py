"""Typed, validated configuration of the reference platform.

The config lives in ``cdk.json`` under the context key ``constructs-ml`` (or in a JSON file named by the
context key ``constructs-ml:config-file``); ``-c constructs-ml:<key>=<value>`` overrides single values.
Every problem is reported at once, naming the key, the value and what is allowed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from constructs_ml.errors import ValidationError
from stacks.delivery_config import DeliveryConfig, parse_delivery

CONTEXT_KEY = "constructs-ml"
CONFIG_FILE_KEY = "constructs-ml:config-file"

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


@dataclass(frozen=True)
class NetworkConfig:
    """The platform VPC.

    Attributes:
        cidr: CIDR of the new VPC.
        max_azs: availability zones (2..6).
        s3_prefix_list_id: the region's S3 managed prefix list (``pl-...``), for workload egress to S3.
        dynamodb_prefix_list_id: the region's DynamoDB managed prefix list, for the retraining
            function's egress to its idempotency table.
        flow_log_retention_days: retention of the flow-log group (a CloudWatch Logs retention value).
    """

    cidr: str = "10.20.0.0/16"
    max_azs: int = 2
    s3_prefix_list_id: str | None = None
    dynamodb_prefix_list_id: str | None = None
    flow_log_retention_days: int = 365


@dataclass(frozen=True)
class UserConfig:
    """A Studio user.

    Attributes:
        name: the user-profile name.
        persona: ``data-scientist`` or ``ml-engineer``.
    """

    name: str
    persona: str = "data-scientist"


@dataclass(frozen=True)
class PlatformConfig:
    """The reference platform's configuration.

    Attributes:
        name: prefix of stack names and resource names (3..32 lowercase letters, digits, hyphens).
        account: the AWS account; environment-agnostic (or ``CDK_DEFAULT_ACCOUNT``) when omitted.
        region: the AWS region; environment-agnostic (or ``CDK_DEFAULT_REGION``) when omitted.
        network: the VPC.
        permissions_boundary: apply the platform permissions boundary to every role (on by default).
        users: Studio users.
        tags: tags on every resource.
        registry_reader_accounts: other accounts (12-digit ids) that may read the model registry, create
            models from its packages and read (decrypt) the packages' artifacts: none (no cross-account
            access). Not the platform's own account.
        delivery: multi-account delivery (a CDK Pipelines pipeline and one platform per stage account, see
            ``stacks/delivery_config.py`` and docs/delivery.md): none (the single-account platform).
        artifacts_bucket_name: a physical name for the artifacts bucket (set by the delivery for the
            central registry's stage, whose readers in other accounts name the bucket): generated.
    """

    name: str = "mlplatform"
    account: str | None = None
    region: str | None = None
    network: NetworkConfig = field(default_factory=NetworkConfig)
    permissions_boundary: bool = True
    users: tuple[UserConfig, ...] = (
        UserConfig(name="data-scientist-1", persona="data-scientist"),
        UserConfig(name="ml-engineer-1", persona="ml-engineer"),
    )
    tags: dict[str, str] = field(default_factory=dict)
    registry_reader_accounts: tuple[str, ...] = ()
    delivery: DeliveryConfig | None = None
    artifacts_bucket_name: str | None = None

    def stack_name(self, part: str) -> str:
        """The name of one of the platform's stacks, e.g. ``mlplatform-network``."""
        return f"{self.name}-{part}"


class ConfigError(ValidationError):
    """The platform config is invalid; every problem names its key, value and what is allowed."""


def _check_keys(raw: dict[str, Any], cls: type, prefix: str, problems: list[str]) -> None:
    allowed = {f.name for f in fields(cls)}
    for key in raw:
        if key not in allowed:
            problems.append(
                f"config: {prefix}{key} is not a known key (got {raw[key]!r}); "
                f"allowed keys: {', '.join(sorted(allowed))}"
            )


def _typed(raw: dict[str, Any], key: str, kind: type | tuple[type, ...], prefix: str, problems: list[str]) -> bool:
    if key not in raw or raw[key] is None:
        return False
    value = raw[key]
    if (isinstance(value, bool) and kind is int) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        problems.append(f"config: {prefix}{key} must be of type {names} (got {value!r})")
        return False
    return True


def parse_config(raw: dict[str, Any]) -> PlatformConfig:
    """Build and validate a :class:`PlatformConfig` from plain JSON data.

    Raises:
        ConfigError: with every problem found.
    """
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ConfigError([f"config: must be a JSON object (got {raw!r})"])
    _check_keys(raw, PlatformConfig, "", problems)
    kwargs: dict[str, Any] = {}

    if _typed(raw, "name", str, "", problems):
        if not _NAME.match(raw["name"]):
            problems.append(
                f"config: name must be 3..32 lowercase letters, digits and hyphens, starting with a letter "
                f"(got {raw['name']!r})"
            )
        kwargs["name"] = raw["name"]
    if _typed(raw, "account", str, "", problems):
        if not _ACCOUNT.match(raw["account"]):
            problems.append(f"config: account must be a 12-digit AWS account id (got {raw['account']!r})")
        kwargs["account"] = raw["account"]
    if _typed(raw, "region", str, "", problems):
        if not _REGION.match(raw["region"]):
            problems.append(f"config: region must be an AWS region name like 'eu-west-1' (got {raw['region']!r})")
        kwargs["region"] = raw["region"]
    if _typed(raw, "permissions_boundary", bool, "", problems):
        kwargs["permissions_boundary"] = raw["permissions_boundary"]
    if _typed(raw, "tags", dict, "", problems):
        for k, v in raw["tags"].items():
            if not isinstance(v, str) or not (1 <= len(k) <= 128) or k.startswith("aws:"):
                problems.append(
                    f"config: tags.{k} must map a 1..128-character key not starting with 'aws:' to a string (got {v!r})"
                )
        kwargs["tags"] = dict(raw["tags"])

    if _typed(raw, "registry_reader_accounts", list, "", problems):
        readers = raw["registry_reader_accounts"]
        for i, reader in enumerate(readers):
            if not isinstance(reader, str) or not _ACCOUNT.match(reader):
                problems.append(
                    f"config: registry_reader_accounts[{i}] must be a 12-digit AWS account id (got {reader!r})"
                )
            elif reader == raw.get("account"):
                problems.append(
                    f"config: registry_reader_accounts[{i}] must be another account than the platform's own "
                    f"(got {reader!r}, the config's account)"
                )
            elif readers.index(reader) != i:
                problems.append(f"config: registry_reader_accounts[{i}] must be unique (got {reader!r} twice)")
        kwargs["registry_reader_accounts"] = tuple(str(r) for r in readers)

    if _typed(raw, "network", dict, "", problems):
        net = raw["network"]
        _check_keys(net, NetworkConfig, "network.", problems)
        nkw: dict[str, Any] = {}
        if _typed(net, "cidr", str, "network.", problems):
            m = re.fullmatch(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/(\d{1,2})", net["cidr"])
            if not m or not all(int(o) <= 255 for o in m.groups()[:4]) or not 16 <= int(m.group(5)) <= 24:
                problems.append(f"config: network.cidr must be an IPv4 CIDR with a /16../24 mask (got {net['cidr']!r})")
            nkw["cidr"] = net["cidr"]
        if _typed(net, "max_azs", int, "network.", problems):
            if not 2 <= net["max_azs"] <= 6:
                problems.append(f"config: network.max_azs must be between 2 and 6 (got {net['max_azs']!r})")
            nkw["max_azs"] = net["max_azs"]
        for key in ("s3_prefix_list_id", "dynamodb_prefix_list_id"):
            if _typed(net, key, str, "network.", problems):
                if not re.fullmatch(r"pl-[0-9a-f]{8,17}", net[key]):
                    problems.append(f"config: network.{key} must be a prefix list id 'pl-...' (got {net[key]!r})")
                nkw[key] = net[key]
        if _typed(net, "flow_log_retention_days", int, "network.", problems):
            if net["flow_log_retention_days"] not in _RETENTION_DAYS:
                problems.append(
                    f"config: network.flow_log_retention_days must be one of {', '.join(map(str, _RETENTION_DAYS))} "
                    f"(got {net['flow_log_retention_days']!r})"
                )
            nkw["flow_log_retention_days"] = net["flow_log_retention_days"]
        kwargs["network"] = NetworkConfig(**nkw)

    if _typed(raw, "users", list, "", problems):
        users = []
        seen: set[str] = set()
        for i, u in enumerate(raw["users"]):
            where = f"users[{i}]."
            if not isinstance(u, dict):
                problems.append(f"config: users[{i}] must be an object with name and persona (got {u!r})")
                continue
            _check_keys(u, UserConfig, where, problems)
            name = u.get("name")
            persona = u.get("persona", "data-scientist")
            if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name):
                problems.append(
                    f"config: {where}name must be 1..63 letters, digits and hyphens, not starting or ending with "
                    f"a hyphen (got {name!r})"
                )
            elif name in seen:
                problems.append(f"config: {where}name must be unique among users (got {name!r} twice)")
            else:
                seen.add(name)
            if persona not in ("data-scientist", "ml-engineer"):
                problems.append(
                    f"config: {where}persona must be one of 'data-scientist', 'ml-engineer' (got {persona!r})"
                )
            users.append(UserConfig(name=str(name), persona=str(persona)))
        kwargs["users"] = tuple(users)

    if raw.get("delivery") is not None:
        kwargs["delivery"] = parse_delivery(raw["delivery"], raw, problems)

    if problems:
        raise ConfigError(problems)
    return PlatformConfig(**kwargs)


def load_config(context: dict[str, Any], *, base_dir: Path | None = None) -> PlatformConfig:
    """The config from CDK context: ``constructs-ml`` (object), or the file named by
    ``constructs-ml:config-file``, then single-value overrides ``constructs-ml:<key>``.
    """
    raw: dict[str, Any] = {}
    file_name = context.get(CONFIG_FILE_KEY)
    if file_name:
        path = Path(str(file_name))
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            raw = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ConfigError([f"config: {CONFIG_FILE_KEY} {str(file_name)!r} cannot be read as JSON ({err})"]) from err
    elif isinstance(context.get(CONTEXT_KEY), dict):
        raw = dict(context[CONTEXT_KEY])
    elif context.get(CONTEXT_KEY) is not None:
        raise ConfigError([f"config: {CONTEXT_KEY} must be a JSON object (got {context[CONTEXT_KEY]!r})"])
    for key, value in context.items():
        if key.startswith(CONTEXT_KEY + ":") and key != CONFIG_FILE_KEY:
            raw[key.split(":", 1)[1]] = value
    return parse_config(raw)
