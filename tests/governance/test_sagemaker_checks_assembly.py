"""The pack reads a synth's assembly files, not the construct tree (issue 14: jsii round trips).

During a synth ``SageMakerChecks`` checks every resource from the templates and takes construct
paths and acknowledgements from the stacks' metadata, in Python. These tests hold it to the
tree-walking pass it replaced (same report), to cdk-nag's acknowledgement rule (the resource or any
ancestor, including the app and stages, which no stack's metadata holds), and to a round-trip
budget that does not grow with the number of resources.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import (
    Acknowledgment,
    IPolicyValidationContext,
    PolicyValidationPluginReport,
    Stack,
    Stage,
    Validations,
)
from aws_cdk import aws_iam as iam

from benchmarks.jsii_counter import install
from constructs_ml.governance import SageMakerChecks, assembly_index
from tests.governance.test_sagemaker_checks_platform import EXPECTED, _role, build_l1_platform
from tests.support import governed_synth, new_app

FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"


class _CountingChecks(SageMakerChecks):
    """The pack, counting the jsii round trips its ``validate`` makes."""

    round_trips: int = -1

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        counter = install()
        before = counter.round_trips
        try:
            return super().validate(context)
        finally:
            self.round_trips = counter.round_trips - before


def _violations(report: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    (pack,) = [r for r in report["pluginReports"] if r["pluginName"] == "SageMaker"]
    return sorted(
        (
            v["ruleName"],
            v["severity"],
            v["description"],
            tuple(sorted(c["constructPath"] for c in v["violatingConstructs"])),
        )
        for v in pack["violations"]
    )


def _synth_l1_platform(pack: SageMakerChecks) -> dict[str, Any]:
    app = new_app(governed=False, validate_cfn=False)
    build_l1_platform(app)
    Validations.of(app).add_plugins(pack)
    return governed_synth(app).report


@pytest.fixture(scope="module")
def counted() -> tuple[_CountingChecks, dict[str, Any]]:
    pack = _CountingChecks(verbose=True)
    return pack, _synth_l1_platform(pack)


def test_the_assembly_pass_reports_what_the_tree_walk_reported(
    counted: tuple[_CountingChecks, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, report = counted
    assert {(rule, path) for rule, _, _, paths in _violations(report) for path in paths} == EXPECTED
    # without the assembly index the pack walks the tree (the pass it had before): same report
    monkeypatch.setattr(assembly_index.AssemblyIndex, "load", classmethod(lambda cls, paths: None))
    walked = _CountingChecks(verbose=True)
    assert _violations(_synth_l1_platform(walked)) == _violations(report)
    assert walked.round_trips > 100  # the walk pays per resource; the assembly pass does not


def test_the_pass_costs_a_few_round_trips_whatever_the_resource_count(
    counted: tuple[_CountingChecks, dict[str, Any]],
) -> None:
    pack, _ = counted
    # the callback, the template paths, and the app's and stages' acknowledgements (findings remain)
    assert 0 < pack.round_trips <= 12
    bigger = _CountingChecks()
    app = new_app(governed=False, validate_cfn=False)
    build_l1_platform(app)
    extra = Stack(app, "Extra")
    for i in range(40):
        _legacy_role(extra, f"Legacy{i}")
    Validations.of(app).add_plugins(bigger)
    governed_synth(app)
    assert bigger.round_trips == pack.round_trips


def _legacy_role(scope: Stack, cid: str) -> iam.CfnRole:
    """A role with the AWS managed full-access policy: one SageMaker-NoFullAccess finding."""
    return _role(scope, cid, "legacy", managed_policy_arns=[FULL_ACCESS])


def test_acknowledgements_on_the_app_and_on_a_stage_count() -> None:
    app = new_app(governed=False, validate_cfn=False)
    stage = Stage(app, "Dev")
    stack = Stack(stage, "Serving")
    _legacy_role(stack, "ByStage")
    other = Stack(app, "Other")
    _legacy_role(other, "ByApp")
    _legacy_role(other, "Open")
    reason = "Legacy role kept until the migration of ADR-12; reviewed by the platform team."
    # NoFullAccess is acknowledged for the whole stage, and on the app only for one role's rule id
    Validations.of(stage).acknowledge(Acknowledgment(id="SageMaker-NoFullAccess", reason=reason))
    Validations.of(app).acknowledge(Acknowledgment(id="SageMaker-NoFullAccessToo", reason=reason))
    pack = _CountingChecks()
    Validations.of(app).add_plugins(pack)
    result = governed_synth(app)
    paths = {path for _, rule, path in result.findings("SageMaker") if rule == "SageMaker-NoFullAccess"}
    assert paths == {"Other/ByApp", "Other/Open"}  # the stage's acknowledgement covers Dev/Serving only

    app2 = new_app(governed=False, validate_cfn=False)
    _legacy_role(Stack(app2, "Other"), "ByApp")
    Validations.of(app2).acknowledge(Acknowledgment(id="SageMaker-NoFullAccess", reason=reason))
    Validations.of(app2).add_plugins(SageMakerChecks())
    assert governed_synth(app2).findings("SageMaker") == []


def test_an_unrecorded_resource_path_falls_back_to_the_tree_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    original = assembly_index.AssemblyIndex.path_of
    monkeypatch.setattr(
        assembly_index.AssemblyIndex,
        "path_of",
        lambda self, name, lid: None if lid.startswith("LegacyRole") else original(self, name, lid),
    )
    walked = _CountingChecks()
    report = _synth_l1_platform(walked)
    assert {(rule, path) for rule, _, _, paths in _violations(report) for path in paths} == EXPECTED
    assert walked.round_trips > 100


def test_an_assembly_without_a_manifest_is_not_indexed(tmp_path: Any) -> None:
    template = tmp_path / "Stack.template.json"
    template.write_text("{}")
    assert assembly_index.AssemblyIndex.load([template]) is None  # the pack then walks the tree
