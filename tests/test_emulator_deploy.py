"""The main job end to end: synth with governance, deploy to moto server with the real CDK CLI, destroy.

Runs the same code as ``make platform`` (``scripts.platform.run_platform``), once per module, on the
reference app when the repo has one (``cdk.json`` and ``app.py`` at the root), else on the small
stand-in app in ``tests/fixtures/emulator_app``. ``EMULATOR_TEST_APP=fixture|reference`` forces one.

The reference app is not synthesized again here: the job deploys a copy of the run's shared,
governed synth of it (``reference_assembly``, the assembly the golden governance tests check) with
``synthesized=True``, as ``make platform --synthesized`` would. The CLI's own synth step, and the
job stopping on a governance finding, run on the fixture app below.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from scripts.deploy_report import CREATED, MISSING, SKIPPED, DeployReport
from scripts.emulator import supported_types
from scripts.platform import (
    REPO,
    REPORT_NAME,
    GovernanceFailed,
    JobError,
    Options,
    ToolingMissing,
    cdk_cli,
    check_synthesized,
    emulator_env,
    parse_args,
    run_platform,
)

pytestmark = pytest.mark.emulator

FIXTURE_APP = Path(__file__).parent / "fixtures" / "emulator_app"


def app_under_test() -> Path:
    """The reference app once it exists in the repo, else the stand-in fixture app."""
    choice = os.environ.get("EMULATOR_TEST_APP", "")
    if choice == "fixture":
        return FIXTURE_APP
    if choice == "reference" or ((REPO / "cdk.json").exists() and (REPO / "app.py").exists()):
        return REPO
    return FIXTURE_APP


def require_tooling() -> None:
    """Fail (not skip) with the fix when the CDK CLI or Node is missing."""
    try:
        cdk_cli()
    except ToolingMissing as err:
        pytest.fail(f"emulator deploy test cannot run: {err}", pytrace=False)


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("platform-cdkout")


@pytest.fixture(scope="module")
def report(outdir: Path, request: pytest.FixtureRequest) -> DeployReport:
    require_tooling()
    app = app_under_test()
    if app != REPO:
        return run_platform(Options(app_dir=app, outdir=outdir, echo=False))
    # the run's shared synth is only read: the job writes its report and the emulator log into a copy
    shutil.copytree(request.getfixturevalue("reference_assembly"), outdir, dirs_exist_ok=True)
    return run_platform(Options(app_dir=app, outdir=outdir, echo=False, synthesized=True))


def test_deploy_and_destroy_raised_no_error(report: DeployReport) -> None:
    assert not report.errors, "\n\n".join(report.errors)
    assert report.ok, report.table()


def test_every_stack_reached_create_complete(report: DeployReport) -> None:
    assert report.stacks, "the app has no stacks"
    assert all(status == "CREATE_COMPLETE" for status in report.stacks.values()), report.stacks


def test_every_type_moto_implements_was_created(report: DeployReport) -> None:
    implemented = supported_types()
    not_created = [
        f"{r.stack}/{r.logical_id} {r.type}: {r.outcome} {r.reason}"
        for r in report.resources
        if r.type in implemented and r.outcome != CREATED
    ]
    assert not not_created, "\n".join(not_created)
    assert not [r for r in report.resources if r.outcome == MISSING]


def test_skipped_types_are_reported_as_skipped_not_created(report: DeployReport) -> None:
    implemented = supported_types()
    for res in report.resources:
        if res.type not in implemented:
            assert res.outcome == SKIPPED, res
            assert res.reason, res
    rows = {row.type: row for row in report.rows()}
    for row in rows.values():
        assert row.declared == row.created + row.skipped + row.missing, row
        if row.type not in implemented:
            assert row.created == 0 and row.skipped == row.declared, row
    skipped = {r.type for r in report.resources if r.outcome == SKIPPED}
    assert skipped, "the platform declares types moto lacks (bucket policies, custom resources): none skipped?"
    table = report.table()
    assert "Skipped by the emulator" in table
    assert all(t in table for t in skipped)


def test_smoke_checks_cover_the_platform_and_pass(report: DeployReport) -> None:
    failed = [c for c in report.checks if c.status == "fail"]
    assert not failed, failed
    checked = {c.type for c in report.checks if c.name == "exists" and c.ok}
    assert {"AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "AWS::KMS::Key", "AWS::S3::Bucket", "AWS::IAM::Role"} <= checked
    names = {(c.type, c.name) for c in report.checks if c.status == "pass"}
    assert ("AWS::KMS::Key", "rotation enabled") in names
    assert ("AWS::S3::Bucket", "encryption") in names
    assert ("AWS::IAM::Role", "permissions boundary") in names


def test_destroy_leaves_no_stacks(report: DeployReport) -> None:
    assert report.destroyed
    assert report.remaining_stacks == []


def test_report_json_matches(report: DeployReport, outdir: Path) -> None:
    data = json.loads((outdir / REPORT_NAME).read_text())
    assert data["ok"] is True
    assert data["totals"]["declared"] == len(report.resources)
    assert data["totals"]["created"] + data["totals"]["skipped"] == data["totals"]["declared"]
    assert set(data["skipped_types"]) == {r.type for r in report.resources if r.outcome == SKIPPED}
    phases = list(data["phases_seconds"])
    assert {"synth + governance", "deploy", "destroy", "emulator stop"} <= set(phases)
    # the offline checks run before the emulator starts (a finding there never starts it)
    assert phases.index("compliance report") < phases.index("emulator start") < phases.index("bootstrap")
    assert data["endpoint"].startswith("http://localhost:")


def test_governance_failure_stops_the_job_before_deploy(tmp_path: Path) -> None:
    require_tooling()
    # the packs' findings are what must stop the job; CDK's template validation is not needed for that
    switches = {"EMULATOR_APP_GOVERNED": "1", "CDK_VALIDATION": "false"}
    opts = Options(app_dir=FIXTURE_APP, outdir=tmp_path, echo=False, extra_env=switches)
    with pytest.raises(GovernanceFailed) as caught:
        run_platform(opts)
    assert any("AwsSolutions" in f for f in caught.value.findings), caught.value.findings
    assert not (tmp_path / REPORT_NAME).exists()
    # the job stops before it starts the emulator: no server ran, so it wrote no log
    assert not (tmp_path / "emulator.log").exists()


def test_a_presynthesized_assembly_is_deployed_only_without_findings(tmp_path: Path) -> None:
    with pytest.raises(JobError, match=r"no cloud assembly in .* \(manifest.json is missing\)"):
        check_synthesized(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    check_synthesized(tmp_path)  # no validation report: nothing failed
    violation = {
        "ruleName": "AwsSolutions-S1",
        "violatingConstructs": [{"constructPath": "Platform/Data/Resource"}],
    }
    report = {"pluginReports": [{"pluginName": "AwsSolutions", "conclusion": "failure", "violations": [violation]}]}
    (tmp_path / "validation-report.json").write_text(json.dumps(report))
    with pytest.raises(GovernanceFailed, match="1 unacknowledged governance finding") as caught:
        check_synthesized(tmp_path)
    assert caught.value.findings == ["AwsSolutions AwsSolutions-S1 Platform/Data/Resource"]


def test_emulator_env_drops_real_aws_settings(tmp_path: Path) -> None:
    polluted = {
        "PATH": "/bin",
        "AWS_PROFILE": "prod",
        "AWS_ACCESS_KEY_ID": "AKIAREAL",
        "AWS_SECRET_ACCESS_KEY": "real",
        "AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/x",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/token",
        "AWS_ENDPOINT_URL_S3": "https://s3.amazonaws.com",
        "CDK_DEFAULT_ACCOUNT": "999999999999",
    }
    env = emulator_env(polluted, "http://localhost:1234", "us-east-1", tmp_path)
    assert "AWS_PROFILE" not in env and "AWS_ROLE_ARN" not in env and "AWS_WEB_IDENTITY_TOKEN_FILE" not in env
    assert "AWS_ENDPOINT_URL_S3" not in env
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["AWS_ENDPOINT_URL"] == "http://localhost:1234"
    assert env["CDK_DEFAULT_ACCOUNT"] == "123456789012"
    assert Path(env["AWS_CONFIG_FILE"]).read_text() == ""


def test_real_aws_is_opt_in_and_destroy_is_opt_in_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEPLOY_TARGET", raising=False)
    default = parse_args([])
    assert default.target == "emulator" and default.destroy
    monkeypatch.setenv("DEPLOY_TARGET", "aws")
    aws = parse_args([])
    assert aws.target == "aws" and not aws.destroy
    assert parse_args(["--destroy"]).destroy
    assert parse_args(["--synthesized"]).synthesized and not default.synthesized
    assert parse_args(["--target", "emulator"]).target == "emulator"
