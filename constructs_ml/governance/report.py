"""Compliance report: read a cloud assembly and write it as Markdown and HTML.

Reads ``manifest.json`` (stacks, nested stage assemblies), each stack's template and metadata
(acknowledgements with their reasons and construct paths), and ``validation-report.json`` (findings
of every validation plugin). It re-runs the SageMaker rules on the templates to count passed checks,
and evaluates every GOVERNANCE.md control (:mod:`constructs_ml.governance.controls`).

cdk-nag 3 records only findings, never passes, and ``validation-report.json`` omits packs without
findings. So for the cdk-nag packs "passed" counts the stack's resources with no finding and no
acknowledgement from that pack; for the SageMaker pack it counts rule checks (rule x resource) that
passed. Usage::

    python -m constructs_ml.governance report cdk.out            # writes cdk.out/compliance-report.{md,html}
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_ml.governance.acknowledgements import find_entry
from constructs_ml.governance.controls import (
    FAIL,
    NAG_PLUGINS,
    Ack,
    AssemblyFacts,
    Control,
    ControlResult,
    Evaluation,
    evaluate_controls,
)
from constructs_ml.governance.rules_base import CANNOT_VERIFY, PACK_NAME, Status, evaluate
from constructs_ml.governance.sagemaker_checks import RULES_BY_TYPE
from constructs_ml.governance.template_view import TemplateSet

REPORT_NAME = "compliance-report"


@dataclass(frozen=True)
class Finding:
    """One unacknowledged finding from ``validation-report.json``."""

    plugin: str
    rule: str
    severity: str
    path: str
    description: str


@dataclass(frozen=True)
class PackCounts:
    """Per stack, per pack counts."""

    stack: str
    pack: str
    passed: int
    failed: int
    acknowledged: int


@dataclass
class ComplianceReport:
    """Everything the report shows."""

    source: str
    stacks: list[str] = field(default_factory=list)
    facts: AssemblyFacts = field(default_factory=lambda: AssemblyFacts(TemplateSet()))
    findings: list[Finding] = field(default_factory=list)
    counts: list[PackCounts] = field(default_factory=list)
    controls: list[tuple[Control, ControlResult]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """No unacknowledged finding and no failed control."""
        return not self.findings and all(r.status != FAIL for _, r in self.controls)


def _load(path: Path, problems: list[str]) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        problems.append(f"cannot read {path}: {err}")
        return None


def _strip(path: str) -> str:
    return path.lstrip("/")


def _stack_artifacts(outdir: Path, problems: list[str]) -> list[tuple[str, str, Path, dict[str, Any]]]:
    """(artifact id, display name, template file, metadata) of every stack, nested assemblies included."""
    manifest = _load(outdir / "manifest.json", problems)
    out: list[tuple[str, str, Path, dict[str, Any]]] = []
    artifacts = manifest.get("artifacts", {}) if isinstance(manifest, dict) else {}
    for art_id, art in artifacts.items():
        props = art.get("properties", {}) if isinstance(art, dict) else {}
        if art.get("type") == "cdk:cloud-assembly" and props.get("directoryName"):
            out.extend(_stack_artifacts(outdir / props["directoryName"], problems))
        if art.get("type") != "aws:cloudformation:stack":
            continue
        metadata: dict[str, Any] = dict(art.get("metadata") or {})
        extra = art.get("additionalMetadataFile")
        if extra:
            loaded = _load(outdir / extra, problems)
            if isinstance(loaded, dict):
                metadata.update(loaded)
        out.append((art_id, art.get("displayName", art_id), outdir / props.get("templateFile", ""), metadata))
    return out


def read_assembly(outdir: str | Path, *, packs: Sequence[str] = NAG_PLUGINS) -> ComplianceReport:
    """Read a cloud assembly directory into a :class:`ComplianceReport`.

    Args:
        outdir: the ``cdk.out`` directory.
        packs: plugin names that ran (the report omits packs without findings); the baseline
            cdk-nag packs and the SageMaker pack by default.
    """
    root = Path(outdir)
    report = ComplianceReport(source=str(root))
    facts = report.facts
    display: dict[str, str] = {}
    for art_id, name, template_file, metadata in _stack_artifacts(root, report.problems):
        template = _load(template_file, report.problems)
        if not isinstance(template, dict):
            continue
        paths: dict[str, str] = {}
        for path, entries in metadata.items():
            for entry in entries if isinstance(entries, list) else []:
                if entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str):
                    paths[entry["data"]] = _strip(path)
                if entry.get("type") == "aws:cdk:acknowledged-rules" and isinstance(entry.get("data"), dict):
                    for rule, reason in entry["data"].items():
                        rule_id = rule.split("::", 1)[1] if rule.lower().startswith("annotation::") else rule
                        facts.acks.append(Ack(art_id, _strip(path), rule_id, str(reason)))
        facts.templates.add(art_id, template, paths)
        report.stacks.append(art_id)
        display[art_id] = _strip(name)

    report_file = root / "validation-report.json"
    validation = _load(report_file, report.problems) if report_file.exists() else {}
    plugin_reports = validation.get("pluginReports", []) if isinstance(validation, dict) else []
    facts.plugin_reports = [r for r in plugin_reports if isinstance(r, dict)]
    for rep in facts.plugin_reports:
        for v in rep.get("violations", []):
            for c in v.get("violatingConstructs", []):
                report.findings.append(
                    Finding(
                        str(rep.get("pluginName")),
                        str(v.get("ruleName")),
                        str(v.get("severity")),
                        _strip(str(c.get("constructPath"))),
                        str(v.get("description", "")),
                    )
                )

    _evaluate_sagemaker(facts)
    report.controls = evaluate_controls(facts)
    ran = list(dict.fromkeys([*packs, *(str(r.get("pluginName")) for r in facts.plugin_reports)]))
    report.counts = [_counts(report, stack, display[stack], pack) for stack in report.stacks for pack in ran]
    return report


def _acked(facts: AssemblyFacts, path: str, rule_ids: Iterable[str]) -> bool:
    ids = list(rule_ids)
    return bool(ids) and all(
        any(a.rule == rid and (path == a.path or path.startswith(a.path + "/")) for a in facts.acks) for rid in ids
    )


def _evaluate_sagemaker(facts: AssemblyFacts) -> None:
    for stack in facts.templates.templates:
        for view in facts.templates.views(stack):
            for rule in RULES_BY_TYPE.get(view.type, ()):
                outcome = evaluate(rule, view)
                ids: list[str] = []
                if outcome.status is Status.NON_COMPLIANT:
                    ids = (
                        [f"{rule.full_id}[{f}]" for f in outcome.findings]
                        if rule.per_item and outcome.findings
                        else [rule.full_id]
                    )
                if outcome.status is Status.CANNOT_VERIFY or outcome.unverified:
                    ids.append(f"{rule.full_id}[{CANNOT_VERIFY}]")
                facts.evaluations.append(
                    Evaluation(stack, view.path, rule.full_id, rule.controls, outcome, _acked(facts, view.path, ids))
                )


def _in_stack(path: str, stack_path: str) -> bool:
    return path == stack_path or path.startswith(stack_path + "/")


def _counts(report: ComplianceReport, stack: str, stack_path: str, pack: str) -> PackCounts:
    facts = report.facts
    failed = [f for f in report.findings if f.plugin == pack and _in_stack(f.path, stack_path)]
    acks = [a for a in facts.acks if a.stack == stack and a.rule.startswith(pack + "-")]
    if pack == PACK_NAME:
        passed = sum(1 for e in facts.evaluations if e.stack == stack and e.outcome.status is Status.COMPLIANT)
    else:
        flagged = {f.path for f in failed}
        ack_paths = [a.path for a in acks]
        passed = sum(
            1
            for lid in facts.templates.resources(stack)
            if (p := facts.templates.path_of(stack, lid)) not in flagged
            and not any(p == ap or p.startswith(ap + "/") for ap in ack_paths)
        )
    return PackCounts(stack, pack, passed, len(failed), len(acks))


# --- rendering -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    title: str
    intro: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]


def _sections(report: ComplianceReport) -> list[_Section]:
    facts = report.facts
    status_count: dict[str, int] = {}
    for _, res in report.controls:
        status_count[res.status] = status_count.get(res.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(status_count.items()))
    sections = [
        _Section(
            "Summary",
            f"Cloud assembly: {report.source}. Controls: {summary}. "
            f"Unacknowledged findings: {len(report.findings)}. Acknowledgements: {len(facts.acks)}.",
            ("Stack", "Pack", "Passed", "Failed", "Acknowledged"),
            [(c.stack, c.pack, str(c.passed), str(c.failed), str(c.acknowledged)) for c in report.counts],
        ),
        _Section(
            "Unacknowledged findings",
            "From validation-report.json.",
            ("Pack", "Rule", "Severity", "Construct path", "Finding"),
            [(f.plugin, f.rule, f.severity, f.path, f.description) for f in report.findings],
        ),
        _Section(
            "Acknowledgements",
            "Every acknowledgement recorded in the assembly, with its reason.",
            ("Stack", "Construct path", "Rule", "Reason", "In allowlist"),
            [(a.stack, a.path, a.rule, a.reason, find_entry(a.rule, a.reason) or "no") for a in facts.acks],
        ),
        _Section(
            "SageMaker rule results",
            "Every SageMaker rule check that did not pass, re-run on the templates.",
            ("Stack", "Construct path", "Rule", "Outcome", "Acknowledged", "Detail"),
            [
                (e.stack, e.path, e.rule, e.outcome.status.value, "yes" if e.acknowledged else "no", e.outcome.detail)
                for e in facts.evaluations
                if e.outcome.status in (Status.NON_COMPLIANT, Status.CANNOT_VERIFY)
            ],
        ),
        _Section(
            "Governance controls",
            "Every GOVERNANCE.md control and its status on these templates.",
            ("Control", "Title", "Status", "How it is checked", "Detail"),
            [(c.id, c.title, r.status, c.how, r.detail) for c, r in report.controls],
        ),
    ]
    if report.problems:
        sections.append(_Section("Problems reading the assembly", "", ("Problem",), [(p,) for p in report.problems]))
    return sections


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ComplianceReport) -> str:
    """The report as Markdown."""
    lines = ["# Compliance report", ""]
    for s in _sections(report):
        lines += [f"## {s.title}", ""]
        if s.intro:
            lines += [s.intro, ""]
        if not s.rows:
            lines += ["None.", ""]
            continue
        lines.append("| " + " | ".join(s.headers) + " |")
        lines.append("|" + "---|" * len(s.headers))
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in s.rows]
        lines.append("")
    return "\n".join(lines)


def render_html(report: ComplianceReport) -> str:
    """The report as a self-contained HTML page."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Compliance report</title>',
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
        ".FAIL{background:#fdd}.PASS{background:#dfd}</style></head><body>",
        "<h1>Compliance report</h1>",
    ]
    for s in _sections(report):
        parts.append(f"<h2>{e(s.title)}</h2>")
        if s.intro:
            parts.append(f"<p>{e(s.intro)}</p>")
        if not s.rows:
            parts.append("<p>None.</p>")
            continue
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in s.headers) + "</tr>")
        for row in s.rows:
            cells = "".join(
                f'<td class="{e(c)}">{e(c)}</td>' if c in ("PASS", "FAIL") else f"<td>{e(c)}</td>" for c in row
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    outdir: str | Path, dest: str | Path | None = None, *, packs: Sequence[str] = NAG_PLUGINS
) -> tuple[ComplianceReport, Path, Path]:
    """Read ``outdir`` and write ``compliance-report.md`` and ``.html`` into ``dest`` (default: ``outdir``)."""
    report = read_assembly(outdir, packs=packs)
    target = Path(dest) if dest is not None else Path(outdir)
    target.mkdir(parents=True, exist_ok=True)
    md = target / f"{REPORT_NAME}.md"
    page = target / f"{REPORT_NAME}.html"
    md.write_text(render_markdown(report))
    page.write_text(render_html(report))
    return report, md, page


def control_statuses(report: ComplianceReport) -> Mapping[str, str]:
    """Control id -> status."""
    return {c.id: r.status for c, r in report.controls}
