"""The shared cfn-lint helper reports what ``cfnlint.api.lint`` reports, however often it is called."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from tests.support import REGION, cfn_lint_errors

BAD: dict[str, Any] = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": "soon", "Bogus": 1}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "Missing"}}},
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]},
            },
        },
    },
    "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Queue", "NoSuchAttribute"]}}},
}

GOOD: dict[str, Any] = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 5, "SqsManagedSseEnabled": True}},
    },
    "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}}},
}


def _reference(template: dict[str, Any]) -> list[str]:
    matches = lint(json.dumps(template), config=ManualArgs(regions=[REGION]))
    return [
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path or []))})" for m in matches if m.rule.id.startswith("E")
    ]


def test_the_helper_reports_exactly_the_errors_cfn_lint_reports() -> None:
    errors = cfn_lint_errors(BAD)
    assert sorted(errors) == sorted(_reference(BAD))
    codes = {e.split()[0] for e in errors}
    # an unknown property, a wrong type, a dangling Ref, a malformed policy statement, a bad GetAtt output
    assert {"E3002", "E3012", "E1020", "E3530", "E6101"} <= codes, errors


def test_a_clean_template_stays_clean_between_bad_ones() -> None:
    """The rule collection is shared across calls: no finding of one template leaks into the next."""
    assert cfn_lint_errors(GOOD) == []
    assert cfn_lint_errors(BAD)
    assert cfn_lint_errors(GOOD) == [] == _reference(GOOD)


def test_a_changed_template_is_linted_again() -> None:
    first = cfn_lint_errors(GOOD)
    changed = json.loads(json.dumps(GOOD))
    changed["Resources"]["Queue"]["Properties"]["DelaySeconds"] = "later"
    assert first == [] and any(e.startswith("E3012") for e in cfn_lint_errors(changed))


def test_the_suite_hands_out_modules_in_the_measured_order(pytestconfig: pytest.Config) -> None:
    """xdist keeps the heaviest-first order of ``conftest.py`` only with its reorder switched off."""
    import tomllib

    from tests.conftest import ROOT, module_weights

    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert "--dist loadfile" in addopts and "--no-loadscope-reorder" in addopts
    if hasattr(pytestconfig.option, "loadscopereorder"):  # xdist is installed (it is, from requirements-dev)
        assert pytestconfig.option.loadscopereorder is False
    assert module_weights(), "benchmarks/test_durations.json is missing: make bench BENCH_ARGS=--tests writes it"


def test_the_test_processes_collect_cyclic_garbage_rarely() -> None:
    """``conftest.py``'s collector settings hold in the process running the tests (a worker under xdist)."""
    import gc

    from tests.conftest import GC_THRESHOLDS

    assert gc.get_threshold() == GC_THRESHOLDS and GC_THRESHOLDS[0] > 700  # Python's default is (700, 10, 10)
    assert gc.get_freeze_count() > 0  # what collection imported is out of every later collection
    assert gc.isenabled()  # rarer, not off: cycles are still collected
