"""The ``delivery`` config section: parsed from config/multi-account.json; bad configs get one clear error each."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from stacks.config import ConfigError, load_config, parse_config
from stacks.delivery_config import ProdPromotion

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE: dict[str, Any] = json.loads((ROOT / "config" / "multi-account.json").read_text())


def _problems(change: dict[str, Any], *, drop: tuple[str, ...] = ()) -> list[str]:
    raw = copy.deepcopy(EXAMPLE)
    for key, value in change.items():
        raw["delivery"][key] = value
    for key in drop:
        raw["delivery"]["source"].pop(key)
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    return list(err.value.problems)


def _stages(*stages: dict[str, Any]) -> dict[str, Any]:
    return {"stages": list(stages)}


def test_the_example_config_file_is_the_documented_topology() -> None:
    config = load_config({"constructs-ml:config-file": "config/multi-account.json"}, base_dir=ROOT)
    delivery = config.delivery
    assert delivery is not None
    assert delivery.tooling_account == "111111111111" and delivery.region == "eu-west-1"
    assert all(s.availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c") for s in delivery.stages)
    assert [(s.name, s.account, s.region, s.manual_approval, s.production) for s in delivery.stages] == [
        ("dev", "222222222222", "eu-west-1", False, False),
        ("staging", "333333333333", "eu-west-1", False, False),
        ("prod", "444444444444", "eu-west-1", True, True),
    ]
    assert delivery.registry.name == "dev"
    assert delivery.prod_promotion is ProdPromotion.MANUAL_GATE
    assert delivery.source.connection_arn is not None and delivery.source.repository == "example-org/ml-platform"


def test_the_single_account_default_has_no_delivery() -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert load_config(context, base_dir=ROOT).delivery is None


def test_duplicate_accounts_for_different_stages() -> None:
    problems = _problems(
        _stages(
            {"name": "dev", "account": "222222222222"},
            {"name": "staging", "account": "222222222222"},
            {"name": "prod", "account": "444444444444", "manual_approval": True},
        )
    )
    assert problems == [
        "config: delivery.stages[1].account 222222222222 is already the account of stage 'dev': each stage needs its "
        "own account (got '222222222222' for 'staging')"
    ]


def test_a_prod_stage_without_approval() -> None:
    problems = _problems(
        _stages({"name": "dev", "account": "222222222222"}, {"name": "prod", "account": "444444444444"})
    )
    assert problems == [
        "config: delivery.stages[1].manual_approval must be true for the production stage 'prod' (got False): a "
        "person approves every production deployment"
    ]
    # Another name marked production needs it too.
    problems = _problems(
        _stages(
            {"name": "dev", "account": "222222222222"}, {"name": "live", "account": "444444444444", "production": True}
        )
    )
    assert len(problems) == 1 and "production stage 'live'" in problems[0]


def test_a_region_without_the_images() -> None:
    problems = _problems(
        _stages(
            {"name": "dev", "account": "222222222222", "region": "ap-southeast-7"},
            {"name": "prod", "account": "444444444444", "manual_approval": True},
        )
    )
    assert problems and all(
        p.startswith("config: delivery.stages[0].region 'ap-southeast-7' has no SageMaker") for p in problems
    )
    assert any("XGBoost images" in p for p in problems)


def test_a_missing_connection_arn() -> None:
    problems = _problems({}, drop=("connection_arn",))
    assert problems == [
        "config: delivery.source.connection_arn is missing: a repository source needs the CodeConnections connection "
        "ARN (create the connection in the tooling account 111111111111 and complete it in the console), or use "
        "bucket_name and object_key for an S3 source"
    ]


def test_a_connection_of_another_account_or_a_malformed_arn() -> None:
    other = "arn:aws:codeconnections:eu-west-1:222222222222:connection/abc"
    assert _problems({"source": {"repository": "o/r", "connection_arn": other}}) == [
        f"config: delivery.source.connection_arn must be a connection of the tooling account 111111111111 in "
        f"eu-west-1 (got {other!r})"
    ]
    assert "must be arn:aws:codeconnections" in _problems({"source": {"repository": "o/r", "connection_arn": "x"}})[0]


def test_an_s3_source_for_air_gapped_setups() -> None:
    raw = copy.deepcopy(EXAMPLE)
    raw["delivery"]["source"] = {"bucket_name": "ml-platform-source", "object_key": "source/ml-platform.zip"}
    delivery = parse_config(raw).delivery
    assert delivery is not None
    assert (delivery.source.bucket_name, delivery.source.object_key) == ("ml-platform-source", "source/ml-platform.zip")
    assert _problems({"source": {"bucket_name": "b", "object_key": "/k", "repository": "o/r"}}) == [
        "config: delivery.source names both an S3 object and a repository: choose one",
        "config: delivery.source.bucket_name must be an S3 bucket name (got 'b')",
        "config: delivery.source.object_key must be an S3 key of the source zip (got '/k')",
    ]


def test_registry_stage_promotion_and_pinned_package() -> None:
    assert _problems({"registry_stage": "qa"}) == [
        "config: delivery.registry_stage must name a stage, one of ['dev', 'staging', 'prod'] (got 'qa')"
    ]
    assert _problems({"registry_stage": "prod"}) == [
        "config: delivery.registry_stage must not be the production stage (got 'prod')"
    ]
    assert _problems({"prod_promotion": "auto"}) == [
        "config: delivery.prod_promotion must be one of manual-gate, lifecycle-approval (got 'auto')"
    ]
    foreign = "arn:aws:sagemaker:eu-west-1:999999999999:model-package/churn/3"
    assert _problems({"prod_model_package_arn": foreign}) == [
        f"config: delivery.prod_model_package_arn must be a package of the central registry (222222222222, "
        f"eu-west-1) (got {foreign!r})"
    ]
    pinned = "arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/3"
    assert _problems({"prod_model_package_arn": pinned, "prod_promotion": "lifecycle-approval"}) == [
        f"config: delivery.prod_model_package_arn is only used with prod_promotion 'manual-gate' (got {pinned!r})"
    ]


def test_single_account_keys_conflict_and_unknown_keys() -> None:
    raw = copy.deepcopy(EXAMPLE)
    raw["account"] = "222222222222"
    raw["delivery"]["stagez"] = []
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert list(err.value.problems) == [
        "config: delivery.stagez is not a known key (got []); allowed keys: config_file, prod_model_package_arn, "
        "prod_promotion, qualifier, region, registry_stage, source, stages, tooling_account",
        "config: account must not be set with delivery (got '222222222222'): each stage names its account and the "
        "registry's readers are the other stages",
    ]


def test_availability_zones_are_recorded_not_looked_up() -> None:
    raw = copy.deepcopy(EXAMPLE)
    raw["delivery"]["stages"][0]["availability_zones"] = ["eu-west-1b", "eu-west-1c"]
    delivery = parse_config(raw).delivery
    assert delivery is not None and delivery.stages[0].availability_zones == ("eu-west-1b", "eu-west-1c")
    problems = _problems(
        _stages(
            {"name": "dev", "account": "222222222222", "availability_zones": ["eu-west-1a", "us-east-1b"]},
            {"name": "prod", "account": "444444444444", "manual_approval": True, "availability_zones": ["eu-west-1a"]},
        )
    )
    assert problems == [
        "config: delivery.stages[0].availability_zones must be at least two distinct zones of 'eu-west-1', "
        "e.g. ['eu-west-1a', 'eu-west-1b'] (got ['eu-west-1a', 'us-east-1b'])",
        "config: delivery.stages[1].availability_zones must be at least two distinct zones of 'eu-west-1', "
        "e.g. ['eu-west-1a', 'eu-west-1b'] (got ['eu-west-1a'])",
    ]
