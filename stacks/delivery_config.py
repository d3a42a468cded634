"""The ``delivery`` section of the platform config: accounts, stages, source and model promotion.

Example (``config/multi-account.json``)::

    "delivery": {
      "tooling_account": "111111111111",
      "region": "eu-west-1",
      "source": {"repository": "example-org/ml-platform", "branch": "main",
                 "connection_arn": "arn:aws:codeconnections:eu-west-1:111111111111:connection/..."},
      "stages": [{"name": "dev", "account": "222222222222"},
                 {"name": "staging", "account": "333333333333"},
                 {"name": "prod", "account": "444444444444", "manual_approval": true}],
      "registry_stage": "dev",
      "prod_promotion": "manual-gate"
    }

Every problem is reported at once, naming the key, the value and what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from constructs_ml.delivery.source import CONNECTION_ARN
from constructs_ml.develop.image_accounts import supported_regions

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,20}$")
_PACKAGE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):model-package/[a-z0-9-]+/\d+$")

#: The image families the platform's stacks pull (training, processing, monitors, Clarify).
IMAGE_FAMILIES = ("XGBoost", "ModelMonitor", "Clarify")


class ProdPromotion(Enum):
    """How an approved model reaches production.

    ``MANUAL_GATE``: approvals deploy to staging only; production serves the package version pinned in the
    config (``prod_model_package_arn``, reviewed in Git), rolled out by the pipeline after its manual
    approval. ``LIFECYCLE_APPROVAL``: production also deploys on approval, but only packages whose model
    life cycle stage is ``Production`` with status ``Approved`` (a second approval in the registry).
    """

    MANUAL_GATE = "manual-gate"
    LIFECYCLE_APPROVAL = "lifecycle-approval"


@dataclass(frozen=True)
class StageConfig:
    """One deployment stage (an account; one region).

    Attributes:
        name: short name (``dev``, ``staging``, ``prod``): the stage's construct id and stack-name infix.
        account: the stage's account.
        region: the stage's region: the delivery region.
        manual_approval: a person approves in the pipeline before the stage deploys.
        production: the production stage (needs ``manual_approval``): true for the stage named ``prod``.
        availability_zones: the account's availability zones in the region, recorded instead of looked up (the
            pipeline's synth has no credentials for the stage accounts, and a recorded value keeps synth
            reproducible): ``<region>a``, ``<region>b``, ``<region>c``; the VPC uses the first ``network.max_azs``.
    """

    name: str
    account: str
    region: str
    manual_approval: bool = False
    production: bool = False
    availability_zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceConfig:
    """The pipeline's source: a CodeConnections repository (``connection_arn``) or an S3 object."""

    repository: str | None = None
    branch: str = "main"
    connection_arn: str | None = None
    bucket_name: str | None = None
    object_key: str | None = None


@dataclass(frozen=True)
class DeliveryConfig:
    """Multi-account delivery.

    Attributes:
        tooling_account: the account of the pipeline (and its artifact bucket and key).
        region: the pipeline's region, and every stage's unless the stage names one.
        source: where the pipeline takes the app from.
        stages: the stages, deployed in this order.
        registry_stage: the stage whose account holds the central model registry (it trains and registers;
            the others deploy its approved packages): the first stage.
        prod_promotion: how approved models reach production.
        prod_model_package_arn: with ``manual-gate``: the package version production serves (none: the
            initial model).
        qualifier: the CDK bootstrap qualifier in every account.
        config_file: the config file the pipeline's synth passes to ``cdk synth``.
    """

    tooling_account: str
    region: str
    source: SourceConfig
    stages: tuple[StageConfig, ...]
    registry_stage: str
    prod_promotion: ProdPromotion = ProdPromotion.MANUAL_GATE
    prod_model_package_arn: str | None = None
    qualifier: str = "hnb659fds"
    config_file: str = "config/multi-account.json"

    def stage(self, name: str) -> StageConfig:
        """The stage called ``name``."""
        return next(s for s in self.stages if s.name == name)

    @property
    def registry(self) -> StageConfig:
        """The stage of the central registry."""
        return self.stage(self.registry_stage)


_KEYS = {
    "tooling_account",
    "region",
    "source",
    "stages",
    "registry_stage",
    "prod_promotion",
    "prod_model_package_arn",
    "qualifier",
    "config_file",
}
_STAGE_KEYS = {"name", "account", "region", "manual_approval", "production", "availability_zones"}
_SOURCE_KEYS = {"repository", "branch", "connection_arn", "bucket_name", "object_key"}


def _unknown(raw: dict[str, Any], allowed: set[str], prefix: str, problems: list[str]) -> None:
    for key in raw:
        if key not in allowed:
            problems.append(
                f"config: {prefix}{key} is not a known key (got {raw[key]!r}); "
                f"allowed keys: {', '.join(sorted(allowed))}"
            )


def _str(raw: dict[str, Any], key: str, prefix: str, problems: list[str]) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"config: {prefix}{key} must be of type str (got {value!r})")
        return None
    return value


def _bool(raw: dict[str, Any], key: str, prefix: str, problems: list[str]) -> bool | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        problems.append(f"config: {prefix}{key} must be true or false (got {value!r})")
        return None
    return value


def _source(raw: Any, region: str, account: str, problems: list[str]) -> SourceConfig:
    p = "delivery.source."
    if not isinstance(raw, dict):
        problems.append(
            f"config: delivery.source must be an object with repository, branch and connection_arn, or bucket_name "
            f"and object_key (got {raw!r})"
        )
        return SourceConfig()
    _unknown(raw, _SOURCE_KEYS, p, problems)
    bucket, key = _str(raw, "bucket_name", p, problems), _str(raw, "object_key", p, problems)
    if bucket is not None or key is not None:
        if raw.get("repository") is not None or raw.get("connection_arn") is not None:
            problems.append("config: delivery.source names both an S3 object and a repository: choose one")
        if not bucket or not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            problems.append(f"config: {p}bucket_name must be an S3 bucket name (got {bucket!r})")
        if not key or key.startswith("/"):
            problems.append(f"config: {p}object_key must be an S3 key of the source zip (got {key!r})")
        return SourceConfig(bucket_name=bucket, object_key=key)
    repository = _str(raw, "repository", p, problems)
    branch = _str(raw, "branch", p, problems) or "main"
    arn = _str(raw, "connection_arn", p, problems)
    if not repository or not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        problems.append(f"config: {p}repository must be 'owner/name' (got {repository!r})")
    if arn is None:
        problems.append(
            f"config: {p}connection_arn is missing: a repository source needs the CodeConnections connection ARN "
            f"(create the connection in the tooling account {account} and complete it in the console), or use "
            f"bucket_name and object_key for an S3 source"
        )
    elif not CONNECTION_ARN.match(arn):
        problems.append(
            f"config: {p}connection_arn must be arn:aws:codeconnections:<region>:<account>:connection/<id> "
            f"(got {arn!r})"
        )
    elif arn.split(":")[3] != region or arn.split(":")[4] != account:
        problems.append(
            f"config: {p}connection_arn must be a connection of the tooling account {account} in {region} (got {arn!r})"
        )
    return SourceConfig(repository=repository, branch=branch, connection_arn=arn)


def _stages(raw: Any, region: str, problems: list[str]) -> tuple[StageConfig, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"config: delivery.stages must be a non-empty list of stages (got {raw!r})")
        return ()
    out: list[StageConfig] = []
    names: dict[str, int] = {}
    accounts: dict[str, str] = {}
    for i, s in enumerate(raw):
        p = f"delivery.stages[{i}]."
        if not isinstance(s, dict):
            problems.append(f"config: delivery.stages[{i}] must be an object with name and account (got {s!r})")
            continue
        _unknown(s, _STAGE_KEYS, p, problems)
        name = _str(s, "name", p, problems) or ""
        account = _str(s, "account", p, problems) or ""
        stage_region = _str(s, "region", p, problems) or region
        approval = _bool(s, "manual_approval", p, problems) or False
        production = _bool(s, "production", p, problems)
        if production is None:
            production = name == "prod"
        if not _STAGE_NAME.match(name):
            problems.append(f"config: {p}name must be 1..21 lowercase letters, digits, hyphens (got {name!r})")
        elif name in names:
            problems.append(f"config: {p}name must be unique among stages (got {name!r} twice)")
        names.setdefault(name, i)
        if not _ACCOUNT.match(account):
            problems.append(f"config: {p}account must be a 12-digit AWS account id (got {account!r})")
        elif account in accounts:
            problems.append(
                f"config: {p}account {account} is already the account of stage {accounts[account]!r}: each stage "
                f"needs its own account (got {account!r} for {name!r})"
            )
        else:
            accounts[account] = name
        if not _REGION.match(stage_region):
            problems.append(f"config: {p}region must be an AWS region name like 'eu-west-1' (got {stage_region!r})")
        else:
            for family in IMAGE_FAMILIES:
                if stage_region not in supported_regions(family):
                    problems.append(
                        f"config: {p}region {stage_region!r} has no SageMaker {family} images (the platform's "
                        f"training, monitoring and Clarify jobs need them); regions with them: "
                        f"{', '.join(supported_regions(family))}"
                    )
        azs_raw = s.get("availability_zones")
        azs: tuple[str, ...] = tuple(f"{stage_region}{letter}" for letter in "abc")
        if azs_raw is not None:
            if (
                not isinstance(azs_raw, list)
                or len(azs_raw) < 2
                or not all(isinstance(a, str) and re.fullmatch(rf"{re.escape(stage_region)}[a-z]", a) for a in azs_raw)
                or len(set(azs_raw)) != len(azs_raw)
            ):
                problems.append(
                    f"config: {p}availability_zones must be at least two distinct zones of {stage_region!r}, "
                    f"e.g. ['{stage_region}a', '{stage_region}b'] (got {azs_raw!r})"
                )
            else:
                azs = tuple(azs_raw)
        if production and not approval:
            problems.append(
                f"config: {p}manual_approval must be true for the production stage {name!r} (got {approval!r}): "
                f"a person approves every production deployment"
            )
        out.append(StageConfig(name, account, stage_region, approval, production, azs))
    if sum(1 for s in out if s.production) > 1:
        problems.append(
            f"config: delivery.stages must have at most one production stage "
            f"(got {[s.name for s in out if s.production]!r})"
        )
    return tuple(out)


def parse_delivery(raw: Any, platform: dict[str, Any], problems: list[str]) -> DeliveryConfig | None:
    """The ``delivery`` section (``platform`` is the whole raw config, for cross-checks); problems are appended."""
    if not isinstance(raw, dict):
        problems.append(f"config: delivery must be an object (got {raw!r})")
        return None
    p = "delivery."
    _unknown(raw, _KEYS, p, problems)
    for key in ("account", "registry_reader_accounts"):
        if platform.get(key):
            problems.append(
                f"config: {key} must not be set with delivery (got {platform[key]!r}): each stage names its account "
                f"and the registry's readers are the other stages"
            )
    tooling = _str(raw, "tooling_account", p, problems) or ""
    if not _ACCOUNT.match(tooling):
        problems.append(f"config: {p}tooling_account must be a 12-digit AWS account id (got {tooling!r})")
    region = _str(raw, "region", p, problems) or platform.get("region") or ""
    if not isinstance(region, str) or not _REGION.match(region):
        problems.append(f"config: {p}region (or region) must be an AWS region name like 'eu-west-1' (got {region!r})")
        region = ""
    source = _source(raw.get("source"), region, tooling, problems)
    stages = _stages(raw.get("stages"), region, problems)
    names = [s.name for s in stages]
    registry = _str(raw, "registry_stage", p, problems) or (names[0] if names else "")
    if names and registry not in names:
        problems.append(f"config: {p}registry_stage must name a stage, one of {names!r} (got {registry!r})")
    elif names and next(s for s in stages if s.name == registry).production:
        problems.append(f"config: {p}registry_stage must not be the production stage (got {registry!r})")
    promotion_raw = _str(raw, "prod_promotion", p, problems) or ProdPromotion.MANUAL_GATE.value
    allowed = [m.value for m in ProdPromotion]
    promotion = ProdPromotion.MANUAL_GATE
    if promotion_raw not in allowed:
        problems.append(f"config: {p}prod_promotion must be one of {', '.join(allowed)} (got {promotion_raw!r})")
    else:
        promotion = ProdPromotion(promotion_raw)
    package = _str(raw, "prod_model_package_arn", p, problems)
    if package is not None:
        match = _PACKAGE_ARN.match(package)
        reg = next((s for s in stages if s.name == registry), None)
        if promotion is not ProdPromotion.MANUAL_GATE:
            problems.append(
                f"config: {p}prod_model_package_arn is only used with prod_promotion 'manual-gate' (got {package!r})"
            )
        elif match is None:
            problems.append(
                f"config: {p}prod_model_package_arn must be a model package version ARN "
                f"arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version> (got {package!r})"
            )
        elif reg is not None and (match.group(2), match.group(1)) != (reg.account, reg.region):
            problems.append(
                f"config: {p}prod_model_package_arn must be a package of the central registry ({reg.account}, "
                f"{reg.region}) (got {package!r})"
            )
    qualifier = _str(raw, "qualifier", p, problems) or "hnb659fds"
    if not re.fullmatch(r"[a-z0-9]{1,10}", qualifier):
        problems.append(f"config: {p}qualifier must be 1..10 lowercase letters and digits (got {qualifier!r})")
    config_file = _str(raw, "config_file", p, problems) or "config/multi-account.json"
    if not re.fullmatch(r"[A-Za-z0-9_./-]+\.json", config_file) or ".." in config_file:
        problems.append(f"config: {p}config_file must be a relative path to a .json file (got {config_file!r})")
    return DeliveryConfig(
        tooling_account=tooling,
        region=region,
        source=source,
        stages=stages,
        registry_stage=registry,
        prod_promotion=promotion,
        prod_model_package_arn=package,
        qualifier=qualifier,
        config_file=config_file,
    )
