"""What the compliance report shows, in the order it shows it; shared by the Markdown and HTML pages.

1. the verdict (unacknowledged findings, controls by status, acknowledgements),
2. the control matrix: every control, its status on the whole assembly and on each stack alone,
3. the findings (unacknowledged, and SageMaker rule checks that did not pass),
4. the acknowledgements grouped by allowlist entry (the reason once, the count, the resources),
5. the platform picture, then the reference tables (counts per stack and pack, control details).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_ml.governance.acknowledgements import ALLOWLIST, find_entry
from constructs_ml.governance.control_checks import (
    ACKED,
    FAIL,
    NA,
    NOT_CHECKED,
    PASS,
    UNKNOWN,
    Ack,
    AssemblyFacts,
    Control,
    ControlResult,
)
from constructs_ml.governance.controls import evaluate_controls
from constructs_ml.governance.report_data import ComplianceReport, in_stack, strip_path
from constructs_ml.governance.rules_base import Status
from constructs_ml.governance.template_view import TemplateSet

#: Status order in the verdict (worst first), the word each badge shows and a symbol beside it.
STATUSES = (FAIL, UNKNOWN, ACKED, PASS, NA, NOT_CHECKED)
WORDS: Mapping[str, str] = {
    FAIL: "Fail",
    UNKNOWN: "Cannot verify",
    ACKED: "Acknowledged",
    PASS: "Pass",
    NA: "Not applicable",
    NOT_CHECKED: "Not checked",
}
SYMBOLS: Mapping[str, str] = {FAIL: "✗", UNKNOWN: "?", ACKED: "!", PASS: "✓", NA: "\u2013", NOT_CHECKED: "○"}
CSS_CLASS: Mapping[str, str] = {
    FAIL: "fail",
    UNKNOWN: "unknown",
    ACKED: "acked",
    PASS: "pass",
    NA: "na",
    NOT_CHECKED: "notchecked",
}


@dataclass(frozen=True)
class Verdict:
    """The first thing the report says."""

    clean: bool
    findings: int
    warnings: int
    controls: Mapping[str, int]  # status -> number of controls
    acknowledgements: int
    groups: int
    problems: tuple[str, ...]

    @property
    def headline(self) -> str:
        """``Clean`` or ``Not clean``, with what makes it so."""
        if self.clean:
            return "Clean: no unacknowledged finding, no failed control"
        failed = self.controls.get(FAIL, 0)
        return (
            f"Not clean: {self.findings} unacknowledged finding{'s' if self.findings != 1 else ''}, "
            f"{failed} failed control{'s' if failed != 1 else ''}"
        )


@dataclass(frozen=True)
class MatrixRow:
    """One control: its result on the whole assembly, and per stack (None: assembly-wide only)."""

    control: Control
    overall: ControlResult
    per_stack: tuple[ControlResult | None, ...]


@dataclass(frozen=True)
class Matrix:
    """Controls x stacks."""

    stacks: tuple[str, ...]  # display names, in assembly order
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True)
class AckGroup:
    """The acknowledgements that one allowlist entry covers (or one unlisted reason)."""

    key: str | None  # the allowlist key; None when the reason is in no entry
    reason: str
    scope: str
    acks: tuple[Ack, ...] = field(default=())

    @property
    def rules(self) -> tuple[str, ...]:
        """The distinct rule ids acknowledged, in first-seen order."""
        return tuple(dict.fromkeys(a.rule for a in self.acks))


def verdict(report: ComplianceReport) -> Verdict:
    """Counts for the top of the report."""
    counts: dict[str, int] = {}
    for _, res in report.controls:
        counts[res.status] = counts.get(res.status, 0) + 1
    return Verdict(
        clean=report.clean,
        findings=len(report.findings),
        warnings=len(report.warnings),
        controls={s: counts[s] for s in STATUSES if s in counts},
        acknowledgements=len(report.facts.acks),
        groups=len(ack_groups(report)),
        problems=tuple(report.problems),
    )


def stack_facts(report: ComplianceReport, stack: str) -> AssemblyFacts:
    """The facts of one stack alone: its template, acknowledgements, rule checks and findings."""
    facts = report.facts
    templates = TemplateSet()
    templates.add(stack, facts.templates.templates[stack], facts.templates.paths.get(stack))
    path = report.display.get(stack, stack)
    plugin_reports: list[Mapping[str, Any]] = []
    for rep in facts.plugin_reports:
        violations = []
        for v in rep.get("violations", []):
            constructs = [
                c for c in v.get("violatingConstructs", []) if in_stack(strip_path(str(c.get("constructPath"))), path)
            ]
            if constructs:
                violations.append({**v, "violatingConstructs": constructs})
        plugin_reports.append(
            {**rep, "violations": violations, "conclusion": rep.get("conclusion") if violations else "success"}
        )
    return AssemblyFacts(
        templates,
        acks=[a for a in facts.acks if a.stack == stack],
        plugin_reports=plugin_reports,
        evaluations=[e for e in facts.evaluations if e.stack == stack],
    )


def matrix(report: ComplianceReport) -> Matrix:
    """Every control on the whole assembly (the verdict's basis) and on each stack alone."""
    per_stack = {stack: {c.id: r for c, r in evaluate_controls(stack_facts(report, stack))} for stack in report.stacks}
    rows = tuple(
        MatrixRow(
            control,
            result,
            tuple(None if control.assembly_wide else per_stack[s][control.id] for s in report.stacks),
        )
        for control, result in report.controls
    )
    return Matrix(tuple(report.display.get(s, s) for s in report.stacks), rows)


def ack_groups(report: ComplianceReport) -> list[AckGroup]:
    """Acknowledgements by allowlist entry: unlisted reasons first (they fail META-02), then the largest."""
    grouped: dict[tuple[str | None, str], list[Ack]] = {}
    for ack in report.facts.acks:
        key = find_entry(ack.rule, ack.reason)
        grouped.setdefault((key, "" if key else ack.reason), []).append(ack)
    groups = [
        AckGroup(
            key,
            ALLOWLIST[key].reason if key else reason,
            ALLOWLIST[key].scope if key else "not in the allowlist: needs review (META-02)",
            tuple(acks),
        )
        for (key, reason), acks in grouped.items()
    ]
    return sorted(groups, key=lambda g: (g.key is not None, -len(g.acks), g.key or g.reason))


def rule_checks_not_passed(report: ComplianceReport) -> list[tuple[str, str, str, str, str, str]]:
    """(stack, construct path, rule, outcome, acknowledged, detail) of SageMaker checks that did not pass."""
    return [
        (
            report.display.get(e.stack, e.stack),
            e.path,
            e.rule,
            e.outcome.status.value,
            "yes" if e.acknowledged else "no",
            e.outcome.detail,
        )
        for e in report.facts.evaluations
        if e.outcome.status in (Status.NON_COMPLIANT, Status.CANNOT_VERIFY)
    ]


__all__ = [
    "CSS_CLASS",
    "STATUSES",
    "SYMBOLS",
    "WORDS",
    "AckGroup",
    "Matrix",
    "MatrixRow",
    "Verdict",
    "ack_groups",
    "matrix",
    "rule_checks_not_passed",
    "stack_facts",
    "verdict",
]


def security_hub_rows(report: ComplianceReport) -> list[dict[str, str]]:
    """The Security Hub control -> rule -> result table for the report's assembly (empty if it cannot be read)."""
    from constructs_ml.governance.security_hub import control_table, evaluate_assembly

    try:
        return control_table(evaluate_assembly(report.source))
    except (OSError, ValueError, KeyError):
        return []
