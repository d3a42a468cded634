"""The reference platform's config: typed, validated, every problem named with key, value and what is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config import ConfigError, PlatformConfig, UserConfig, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    config = parse_config({})
    assert config == PlatformConfig()
    assert config.stack_name("network") == "mlplatform-network"
    assert config.network.max_azs == 2 and config.permissions_boundary is True


def test_cdk_json_config_is_valid() -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    config = load_config(context, base_dir=ROOT)
    assert config.name == "mlplatform"
    assert [u.persona for u in config.users] == ["data-scientist", "ml-engineer"]
    assert context["@aws-cdk/core:validateAgainstDefaultRules"] is True


def test_every_problem_is_reported_with_key_value_and_allowed() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(
            {
                "name": "ML Platform",
                "account": "12345",
                "region": "Europe",
                "colour": "blue",
                "network": {
                    "cidr": "10.0.0.0/8",
                    "max_azs": 1,
                    "s3_prefix_list_id": "prefix",
                    "flow_log_retention_days": 42,
                },
                "users": [{"name": "ann", "persona": "wizard"}, {"name": "ann"}, "bob"],
                "permissions_boundary": "yes",
            }
        )
    problems = err.value.problems
    expected = [
        "config: colour is not a known key (got 'blue'); allowed keys:",
        "config: name must be 3..32 lowercase letters, digits and hyphens, starting with a letter (got 'ML Platform')",
        "config: account must be a 12-digit AWS account id (got '12345')",
        "config: region must be an AWS region name like 'eu-west-1' (got 'Europe')",
        "config: permissions_boundary must be of type bool (got 'yes')",
        "config: network.cidr must be an IPv4 CIDR with a /16../24 mask (got '10.0.0.0/8')",
        "config: network.max_azs must be between 2 and 6 (got 1)",
        "config: network.s3_prefix_list_id must be a prefix list id 'pl-...' (got 'prefix')",
        "config: network.flow_log_retention_days must be one of 1, 3, 5,",
        "config: users[0].persona must be one of 'data-scientist', 'ml-engineer' (got 'wizard')",
        "config: users[1].name must be unique among users (got 'ann' twice)",
        "config: users[2] must be an object with name and persona (got 'bob')",
    ]
    for e in expected:
        assert any(p.startswith(e) for p in problems), (e, problems)
    assert len(problems) == len(expected)


def test_boolean_is_not_an_integer() -> None:
    with pytest.raises(ConfigError, match=r"network.max_azs must be of type int \(got True\)"):
        parse_config({"network": {"max_azs": True}})


def test_context_overrides_and_config_file(tmp_path: Path) -> None:
    file = tmp_path / "platform.json"
    file.write_text(json.dumps({"name": "teamplatform", "users": [{"name": "eve", "persona": "ml-engineer"}]}))
    config = load_config({"constructs-ml:config-file": str(file), "constructs-ml:region": "eu-west-1"})
    assert config.name == "teamplatform" and config.region == "eu-west-1"
    assert config.users == (UserConfig(name="eve", persona="ml-engineer"),)


def test_unreadable_config_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match=r"constructs-ml:config-file '.*bad.json' cannot be read as JSON"):
        load_config({"constructs-ml:config-file": str(bad)})
    with pytest.raises(ConfigError, match=r"constructs-ml must be a JSON object \(got 'x'\)"):
        load_config({"constructs-ml": "x"})


def test_app_exits_with_a_clear_message_on_bad_config(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, CDK_CONTEXT_JSON=json.dumps({"constructs-ml": {"name": "X"}}))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "constructs-ml: invalid platform config:" in proc.stderr
    assert "config: name must be 3..32 lowercase letters" in proc.stderr and "(got 'X')" in proc.stderr
