"""The compliance report on the L1-only platform (one governed synth with every pack, findings included).

What the report says and in which order; the browser checks of the page are in test_report_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from constructs_ml.governance.__main__ import main
from constructs_ml.governance.control_checks import ACKED, FAIL, PASS
from constructs_ml.governance.controls import CONTROLS
from constructs_ml.governance.report import ComplianceReport, control_statuses, read_assembly, write_report
from constructs_ml.governance.report_views import matrix, verdict
from tests.governance.test_sagemaker_checks_platform import MONITOR_ACK_REASON, build_l1_platform
from tests.support import governed_synth, new_app

GOVERNANCE_MD = Path(__file__).resolve().parents[3] / "shared" / "GOVERNANCE.md"
CONTROL_IDS = (
    [f"NET-{i:02d}" for i in range(1, 12)]
    + [f"SM-{i:02d}" for i in range(1, 13)]
    + ["KMS-01", "KMS-02", "KMS-03"]
    + [f"S3-{i:02d}" for i in range(1, 10)]
    + [f"IAM-{i:02d}" for i in range(1, 9)]
    + ["LMB-01", "LMB-02", "LMB-03", "LOG-01", "MSG-01", "MSG-02", "MSG-03", "MSG-04", "EVT-01", "SFN-01", "CW-01"]
    + [f"META-{i:02d}" for i in range(1, 6)]
)


@pytest.fixture(scope="module")
def assembly() -> Path:
    app = new_app(governed=True, validate_cfn=True)
    build_l1_platform(app)
    return governed_synth(app).outdir


@pytest.fixture(scope="module")
def written(assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert main(["report", str(assembly), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def report(assembly: Path) -> ComplianceReport:
    return read_assembly(assembly)


def _counts(report: ComplianceReport, stack: str, pack: str) -> tuple[int, int, int]:
    c = next(c for c in report.counts if c.stack == stack and c.pack == pack)
    return c.passed, c.failed, c.acknowledged


def test_command_writes_markdown_and_html(written: Path) -> None:
    md = (written / "compliance-report.md").read_text()
    page = (written / "compliance-report.html").read_text()
    assert md.startswith("# Compliance report")
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "| Serving | SageMaker | 8 | 1 | 1 |" in md
    svg = (written / "platform.svg").read_text()
    assert svg.startswith("<?xml") and 'class="node kind_Model"' in svg
    assert 'kind_Endpoint"' not in svg  # the L1 platform has an endpoint config but no endpoint
    assert all(f'id="stack_{s}"' in svg for s in ("Network", "Platform", "Build", "Serving"))


def test_markdown_keeps_the_page_order(written: Path, report: ComplianceReport) -> None:
    md = (written / "compliance-report.md").read_text()
    headings = [
        "## Verdict",
        "## Control matrix",
        "## Security Hub controls",
        "## Findings",
        "## Acknowledgements by allowlist entry",
        "## Platform picture",
        "## Counts per stack and pack",
        "## Control details",
    ]
    positions = [md.index(h + "\n") for h in headings]
    assert positions == sorted(positions)
    failed = sum(1 for _, r in report.controls if r.status == FAIL)
    assert f"**Not clean: {len(report.findings)} unacknowledged findings, {failed} failed controls.**" in md
    failed_ids = [c.id for c, r in report.controls if r.status == FAIL]
    assert md.index(f"Failed controls: {', '.join(failed_ids)}.") < md.index("## Control matrix")


def test_security_hub_controls_table(written: Path) -> None:
    """Each Security Hub SageMaker control -> the pack's rule -> its result on this assembly."""
    md = (written / "compliance-report.md").read_text()
    section = md[md.index("## Security Hub controls") : md.index("## Findings")]
    rows = [line for line in section.splitlines() if line.startswith("| SageMaker.")]
    assert len(rows) == 25
    assert any(r.startswith("| SageMaker.4 |") and "OPT-IN" in r for r in rows)
    page = (written / "compliance-report.html").read_text()
    assert 'id="security-hub"' in page and "SageMaker.25" in page


def test_verdict_counts_findings_and_controls(report: ComplianceReport) -> None:
    v = verdict(report)
    assert not v.clean and v.findings == len(report.findings) > 0
    assert sum(v.controls.values()) == len(CONTROL_IDS)
    assert (v.acknowledgements, v.groups) == (1, 1)


def test_matrix_shows_each_control_per_stack(report: ComplianceReport, written: Path) -> None:
    m = matrix(report)
    assert m.stacks == ("Network", "Platform", "Build", "Serving")
    rows = {r.control.id: r for r in m.rows}
    status = {cid: [x.status if x else None for x in r.per_stack] for cid, r in rows.items()}
    assert rows["SM-03"].overall.status == FAIL and status["SM-03"] == ["N/A", PASS, FAIL, "N/A"]  # admin profile
    assert status["SM-10"] == ["N/A", "N/A", FAIL, ACKED]  # Build's pipeline step; Serving's acked monitor
    assert status["NET-04"][0] == FAIL and status["KMS-02"][1] == FAIL
    # guardrail policies live in one stack and cover the others: one result for the whole assembly
    assert status["SM-11"] == [None] * 4 and status["SM-12"] == [None] * 4
    md = (written / "compliance-report.md").read_text()
    na = "\u2013 Not applicable"
    assert f"| SM-03 | Domain and user profiles carry persona roles | ✗ Fail | {na} | ✓ Pass | ✗ Fail | {na} |" in md
    assert re.search(r"^\| SM-11 \|.*\| whole assembly only \| whole assembly only \|", md, re.M)


def test_per_stack_per_pack_counts(report: ComplianceReport) -> None:
    assert _counts(report, "Build", "SageMaker") == (9, 2, 0)
    assert _counts(report, "Serving", "SageMaker") == (8, 1, 1)
    assert _counts(report, "Platform", "SageMaker") == (11, 0, 0)
    # cdk-nag reads L1 props, not overrides: it flags the endpoint config whose key was overridden
    assert _counts(report, "Serving", "HIPAA.Security")[1] == 1
    assert {c.stack for c in report.counts} == {"Network", "Platform", "Build", "Serving"}
    assert {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321", "Serverless", "SageMaker"} <= {
        c.pack for c in report.counts
    }


def test_findings_name_rule_and_construct_path(report: ComplianceReport) -> None:
    sm = {(f.rule, f.path) for f in report.findings if f.plugin == "SageMaker"}
    assert sm == {
        ("SageMaker-UserProfileNotAdminRole", "Build/AdminProfile"),
        ("SageMaker-PipelineStepInterContainerEncryption[Train]", "Build/Pipeline"),
        ("SageMaker-NoFullAccess", "Serving/LegacyRole"),
    }


def test_acknowledgements_are_grouped_with_their_reason_once(report: ComplianceReport, written: Path) -> None:
    assert [(a.path, a.rule, a.reason) for a in report.facts.acks] == [
        ("Serving/Monitor", "SageMaker-MonitoringNetworkIsolation[CannotVerify]", MONITOR_ACK_REASON)
    ]
    md = (written / "compliance-report.md").read_text()
    group = md[md.index("## Acknowledgements by allowlist entry") : md.index("## Platform picture")]
    assert "### Not in the allowlist: 1 acknowledgement" in group
    assert group.count(MONITOR_ACK_REASON) == 1 and f"**Reason:** {MONITOR_ACK_REASON}" in group
    details = group[group.index("<details>") : group.index("</details>")]
    assert "| Serving | Serving/Monitor | SageMaker-MonitoringNetworkIsolation[CannotVerify] |" in details
    page = (written / "compliance-report.html").read_text()
    assert page.count(MONITOR_ACK_REASON) == 1 and '<article class="ack-group unlisted">' in page


def test_every_governance_control_is_listed(report: ComplianceReport, written: Path) -> None:
    assert [c.id for c in CONTROLS] == CONTROL_IDS
    md = (written / "compliance-report.md").read_text()
    for cid in CONTROL_IDS:
        assert re.search(rf"^\| {cid} \|", md, re.M), cid


@pytest.mark.skipif(not GOVERNANCE_MD.exists(), reason="GOVERNANCE.md lives outside the repository (../shared)")
def test_controls_match_governance_md() -> None:
    ids = re.findall(r"^\| ([A-Z0-9]+-\d\d) \|", GOVERNANCE_MD.read_text(), re.M)
    assert ids == CONTROL_IDS


def test_control_statuses_reflect_the_templates(report: ComplianceReport) -> None:
    status = control_statuses(report)
    assert status["SM-01"] == "PASS"
    assert status["SM-03"] == "FAIL"  # the admin profile
    assert status["SM-10"] == "FAIL"  # the pipeline step
    assert status["SM-09"] == "N/A"  # no notebook instances
    assert status["NET-04"] == "FAIL"  # no flow log
    assert status["KMS-01"] == "PASS"
    assert status["KMS-02"] == "FAIL"  # key not retained
    assert status["IAM-03"] == "FAIL"  # AmazonSageMakerFullAccess
    assert status["META-02"] == "FAIL"  # the test acknowledgement is not in the allowlist
    assert status["META-03"] == "NOT CHECKED"


def test_strict_mode_fails_on_findings(assembly: Path, tmp_path: Path) -> None:
    assert main(["report", str(assembly), "--out", str(tmp_path), "--strict"]) == 1


def test_bad_input_is_reported_not_raised(assembly: Path, tmp_path: Path) -> None:
    assert main(["report", str(tmp_path / "missing"), "--out", str(tmp_path / "o1")]) == 2
    broken = tmp_path / "broken"
    shutil.copytree(assembly, broken)
    (broken / "validation-report.json").write_text("{not json")
    (broken / "Build.template.json").write_text("[]")
    serving = json.loads((broken / "Serving.template.json").read_text())
    serving["Resources"]["Model"]["Properties"] = "oops"
    (broken / "Serving.template.json").write_text(json.dumps(serving))
    rep = read_assembly(broken)
    assert rep.stacks == ["Network", "Platform", "Serving"]
    assert any("validation-report.json" in p for p in rep.problems) and not rep.findings
    model = [e for e in rep.facts.evaluations if e.path == "Serving/Model"]
    assert model and all(e.outcome.status.value == "cannot-verify" for e in model)
    assert main(["report", str(broken), "--out", str(tmp_path / "o2")]) == 0


def test_html_is_one_self_contained_file(written: Path) -> None:
    page = (written / "compliance-report.html").read_text()
    assert "<link" not in page and "@import" not in page and "url(" not in page and "<img" not in page
    assert not re.search(r"<script[^>]*\bsrc=", page) and not re.search(r"\b(?:src|href)=\"(?:https?:)?//", page)
    assert '<svg class="platform-picture"' in page  # the picture is embedded, not linked


def test_without_graphviz_the_report_says_why_there_is_no_picture(
    assembly: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "platform.svg").write_text("stale")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on the PATH
    written = write_report(assembly, tmp_path)
    assert written.picture is None and "Graphviz" in written.picture_problem
    assert not (tmp_path / "platform.svg").exists()  # a stale picture is not left to pass for this one
    assert "<p>Not drawn: Graphviz could not draw the picture" in written.html.read_text()


def test_html_escapes_content(report: ComplianceReport) -> None:
    from constructs_ml.governance.report import render_html

    report.problems.append("<script>alert(1)</script>")
    try:
        assert "<script>alert" not in render_html(report)
    finally:
        report.problems.pop()
