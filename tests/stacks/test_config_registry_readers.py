"""Registry reader accounts in the platform config: none by default, validated, wired into the build stack."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App

from stacks.app import build_platform
from stacks.config import ConfigError, PlatformConfig, load_config, parse_config
from tests.support import cfn_lint_errors, new_app


def test_no_reader_account_by_default() -> None:
    assert parse_config({}).registry_reader_accounts == ()
    assert PlatformConfig().registry_reader_accounts == ()


def test_reader_accounts_are_parsed_in_order() -> None:
    config = parse_config({"account": "111111111111", "registry_reader_accounts": ["444455556666", "777788889999"]})
    assert config.registry_reader_accounts == ("444455556666", "777788889999")


def test_bad_reader_accounts_are_each_reported() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(
            {
                "account": "111111111111",
                "registry_reader_accounts": ["12345", "111111111111", "444455556666", "444455556666", 444455556666],
            }
        )
    assert list(err.value.problems) == [
        "config: registry_reader_accounts[0] must be a 12-digit AWS account id (got '12345')",
        "config: registry_reader_accounts[1] must be another account than the platform's own "
        "(got '111111111111', the config's account)",
        "config: registry_reader_accounts[3] must be unique (got '444455556666' twice)",
        "config: registry_reader_accounts[4] must be a 12-digit AWS account id (got 444455556666)",
    ]


def test_reader_accounts_must_be_a_list() -> None:
    with pytest.raises(ConfigError, match=r"registry_reader_accounts must be of type list \(got '444455556666'\)"):
        load_config({"constructs-ml:registry_reader_accounts": "444455556666"})


def test_configured_readers_reach_the_registry_and_its_artifacts() -> None:
    default = build_platform(App(), PlatformConfig(), governed=False)
    assert default.build.registry.cross_account_ids == () and default.build.registry_artifacts_grant is None
    app = new_app(governed=False, validate_cfn=False)
    platform = build_platform(app, parse_config({"registry_reader_accounts": ["444455556666"]}), governed=False)
    assert platform.build.registry.cross_account_ids == ("444455556666",)
    grant = platform.build.registry_artifacts_grant
    assert grant is not None and grant.decrypt is not None
    # The key (network stack) and the bucket (platform stack) get the statements in their own templates,
    # without a reference back to a later stack (which would be a dependency cycle).
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    where = {name: json.dumps(t).count("444455556666") for name, t in templates.items()}
    assert where == {"mlplatform-network": 1, "mlplatform-platform": 2, "mlplatform-build": 2, "mlplatform-serving": 0}
    assert "Fn::ImportValue" not in json.dumps(templates["mlplatform-network"])
    assert all(cfn_lint_errors(t) == [] for t in templates.values())
