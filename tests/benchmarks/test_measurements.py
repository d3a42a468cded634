"""The benchmark's instruments measure what they claim (each in a fresh process, as ``make bench`` runs them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.fleet import marginal
from benchmarks.run import app_context, make_empty_app

REPO = Path(__file__).resolve().parents[2]

COUNT = """
import json
from benchmarks.jsii_counter import install
counter = install()
from aws_cdk import App, Stack, CfnWaitConditionHandle
app = App()
stack = Stack(app, "S")
before = counter.summary()
for i in range(5):
    CfnWaitConditionHandle(stack, f"H{i}")
after = counter.summary()
print(json.dumps({"before": before, "after": after, "pid": counter.kernel_pid}))
"""


def test_the_counter_sees_every_round_trip_on_the_kernel_pipe() -> None:
    out = subprocess.run([sys.executable, "-c", COUNT], cwd=REPO, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    before, after = data["before"], data["after"]
    assert before["by_kind"]["load"] >= 1  # the assemblies the kernel loaded
    assert after["by_kind"]["create"] - before["by_kind"]["create"] == 5  # one per L1 created
    assert after["round_trips"] == sum(after["by_kind"].values())
    assert isinstance(data["pid"], int)


def test_the_import_probe_counts_modules() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.probe", "import"], cwd=REPO, capture_output=True, text=True, check=True
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["constructs_ml_modules"] >= 1
    assert data["aws_cdk_modules"] == 0  # lazy exports: the package alone imports no aws-cdk-lib module


def test_the_empty_app_has_the_reference_context(tmp_path: Path) -> None:
    empty = make_empty_app(REPO, tmp_path / "empty")
    assert json.loads((empty / "cdk.json").read_text())["context"] == app_context(REPO)
    assert "CfnWaitConditionHandle" in (empty / "app.py").read_text()


def test_marginal_cost_is_over_the_zero_endpoint_app() -> None:
    baseline = {"ok": True, "endpoints": 0, "resources_total": 58, "jsii": {"round_trips": 700}}
    results = [{"ok": True, "endpoints": 10, "resources_total": 148, "jsii": {"round_trips": 2700}}]
    marginal(results, baseline)
    assert results[0]["resources_per_endpoint"] == 9.0
    assert results[0]["round_trips_per_endpoint"] == 200.0


@pytest.mark.parametrize("governed", [False, True], ids=["plain", "governed"])
def test_the_rebuild_app_synthesizes_the_reference_templates_unchanged(
    tmp_path: Path, governed: bool, request: pytest.FixtureRequest
) -> None:
    from benchmarks.run import FIXTURE_APP, make_rebuild_app, python_synth_env

    # governed: the reference app (the run's shared synth of it), whose acknowledgements must clear the
    # packs on the rebuilt resources; plain: the small emulator fixture app, synthesized here by make_rebuild_app.
    # The rebuilt app is synthesized without CDK's template validation: what is checked here is that it
    # writes the same templates and clears the packs; the bench synthesizes it with validation on and off.
    if governed:
        assembly = request.getfixturevalue("reference_assembly")
        rebuild = make_rebuild_app(REPO, tmp_path / "rebuild", governed=True, assembly=assembly)
        assert (assembly / "manifest.json").exists()  # read, not consumed
    else:
        rebuild = make_rebuild_app(FIXTURE_APP, tmp_path / "rebuild")
    assert isinstance(rebuild, Path), rebuild
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "app.py"],
        cwd=rebuild,
        env=python_synth_env(rebuild, out, validation=False),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    built = {p.name: json.loads(p.read_text()) for p in out.glob("*.template.json")}
    sources = {p.stem: json.loads(p.read_text()) for p in (rebuild / "templates").glob("*.json")}
    assert sources and set(built) == {f"{name}.template.json" for name in sources}
    for name, source in sources.items():
        template = built[f"{name}.template.json"]
        for section in ("Resources", "Outputs", "Conditions", "Mappings"):
            assert template.get(section) == source.get(section), (name, section)
        # the synthesizer's own bootstrap check, and no other parameter lost
        assert set(template["Parameters"]) == {*source.get("Parameters", {}), "BootstrapVersion"}
    acknowledged = json.loads((rebuild / "acknowledgements.json").read_text())
    rules = {rule for by_id in acknowledged.values() for ids in by_id.values() for rule in ids}
    if governed:  # the packs ran (synth passed) with the reference's reviewed acknowledgements only
        assert any(r.startswith("Annotation::AwsSolutions-IAM5[") for r in rules)
    else:
        assert all(r.startswith("CloudFormation-Validate::") for r in rules)


def test_the_suite_figure_is_the_median_run_and_the_durations_the_median_per_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import run

    runs = iter(
        [
            {"wall_seconds": 150.0, "by_module": {"tests/a.py": 10.0, "tests/b.py": 2.0}, "summary": "slow"},
            {"wall_seconds": 130.0, "by_module": {"tests/a.py": 8.0, "tests/b.py": 3.0}, "summary": "fast"},
            {"wall_seconds": 140.0, "by_module": {"tests/a.py": 9.0}, "summary": "middle"},
        ]
    )

    def one_run() -> dict[str, object]:
        r = next(runs)
        return {**r, "exit_code": 0, "failed": [], "slowest": [], "test_seconds_total": sum(r["by_module"].values())}

    monkeypatch.setattr(run, "_run_suite", one_run)
    durations = tmp_path / "durations.json"
    result = run.time_tests(durations, reps=3)
    assert result["wall_seconds"] == 140.0 and result["summary"] == "middle"
    assert result["runs_wall_seconds"] == [150.0, 130.0, 140.0] and result["exit_code"] == 0
    written = json.loads(durations.read_text())
    assert written["seconds_by_module"] == {"tests/a.py": 9.0, "tests/b.py": 2.0}  # b: absent in one run counts 0
    assert "the median of 3 runs" in written["measured"]


def test_the_lint_probe_lints_every_template_of_an_assembly(tmp_path: Path) -> None:
    from benchmarks.probe import probe_lint

    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}
    (tmp_path / "Good.template.json").write_text(json.dumps({"Resources": {"Data": bucket}}))
    nested = tmp_path / "assembly-Stage"
    nested.mkdir()
    wrong = {"Type": "AWS::S3::Bucket", "Properties": {"NoSuchProperty": "x"}}  # E3002
    (nested / "Bad.template.json").write_text(json.dumps({"Resources": {"Data": bucket, "Wrong": wrong}}))
    result = probe_lint(tmp_path, reps=2)
    assert result["templates"] == 2 and result["resources"] == 3
    assert result["findings_by_level"] == {"E": 1}
    assert len(result["pass_seconds"]) == 2 and result["load_seconds"] > 0
    assert result["median_pass_seconds"] == pytest.approx(sum(result["pass_seconds"]) / 2, abs=1e-3)
