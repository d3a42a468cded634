"""The compliance report as Markdown: the same order and grouping as the HTML page.

Verdict, control matrix, findings, acknowledgements by allowlist entry (the reason once, the
resources in a ``<details>`` block, which GitHub and most viewers fold), the platform picture (a link
to the SVG written next to the report), then the reference tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs_ml.governance.control_checks import FAIL
from constructs_ml.governance.picture_render import RenderedPicture
from constructs_ml.governance.report_data import ComplianceReport
from constructs_ml.governance.report_views import (
    STATUSES,
    SYMBOLS,
    WORDS,
    ack_groups,
    matrix,
    rule_checks_not_passed,
    security_hub_rows,
    verdict,
)

PICTURE_FILE = "platform.svg"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return ["None.", ""]
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def badge(status: str) -> str:
    """A status in words with its symbol, e.g. ``✓ Pass``."""
    return f"{SYMBOLS.get(status, '')} {WORDS.get(status, status)}".strip()


def render_markdown(report: ComplianceReport, picture: RenderedPicture | None = None) -> str:
    """The report as Markdown; ``picture`` adds the platform picture section."""
    v = verdict(report)
    stacks = [report.display.get(s, s) for s in report.stacks]
    lines = [
        "# Compliance report",
        "",
        f"Cloud assembly: `{report.source}`; stacks: {', '.join(stacks) or 'none'}.",
        "",
        "## Verdict",
        "",
        f"**{v.headline}.**",
        "",
    ]
    lines += _table(
        (
            "Unacknowledged findings",
            *(f"Controls: {WORDS[s].lower()}" for s in STATUSES),
            "Acknowledgements",
            "Construct warnings",
        ),
        [
            (
                str(v.findings),
                *(str(v.controls.get(s, 0)) for s in STATUSES),
                f"{v.acknowledgements} in {v.groups} allowlist groups",
                str(v.warnings),
            )
        ],
    )
    failed = [c.id for c, r in report.controls if r.status == FAIL]
    if failed:
        lines += [f"Failed controls: {', '.join(failed)}.", ""]
    if v.problems:
        lines += ["Problems reading the assembly (the verdict may be incomplete):", ""]
        lines += [f"- {p}" for p in v.problems] + [""]

    m = matrix(report)
    lines += [
        "## Control matrix",
        "",
        "Each control of the governance baseline on the whole assembly (which the verdict counts) and on each "
        "stack alone. *Whole assembly only*: the control relates resources across stacks.",
        "",
    ]
    lines += _table(
        ("Control", "Title", "All stacks", *m.stacks),
        [
            (
                row.control.id,
                row.control.title,
                badge(row.overall.status),
                *(badge(r.status) if r else "whole assembly only" for r in row.per_stack),
            )
            for row in m.rows
        ],
    )

    lines += ["## Security Hub controls", "", "AWS Security Hub SageMaker controls and AWS Config rules.", ""]
    lines += _table(
        ("Control", "Title", "Rule", "Result", "Detail"),
        [(r["control"], r["title"], r["rules"], badge(r["result"]), r["detail"]) for r in security_hub_rows(report)],
    )
    lines += ["## Findings", "", "### Unacknowledged findings", "", "From validation-report.json.", ""]
    lines += _table(
        ("Pack", "Rule", "Severity", "Construct path", "Finding"),
        [(f.plugin, f.rule, f.severity, f.path, f.description) for f in report.findings],
    )
    lines += ["### Construct warnings", "", "Not pack findings: a setting to review, e.g. for the target region.", ""]
    lines += _table(
        ("Warning", "Construct path", "Message"),
        [(w.rule.removeprefix("Annotation::"), w.path, w.description) for w in report.warnings],
    )
    lines += ["### SageMaker rule checks that did not pass", "", "Re-run on the templates.", ""]
    lines += _table(
        ("Stack", "Construct path", "Rule", "Outcome", "Acknowledged", "Detail"), rule_checks_not_passed(report)
    )

    groups = ack_groups(report)
    lines += [
        "## Acknowledgements by allowlist entry",
        "",
        f"{v.acknowledgements} acknowledgements in {len(groups)} groups; each reason was reviewed once, in "
        "`constructs_ml/governance/acknowledgements.py`.",
        "",
    ]
    for g in groups:
        title = f"`{g.key}`" if g.key else "Not in the allowlist"
        lines += [
            f"### {title}: {len(g.acks)} acknowledgement{'s' if len(g.acks) != 1 else ''}",
            "",
            f"**Reason:** {_cell(g.reason)}",
            "",
            f"**Scope:** {_cell(g.scope)}. **Rules:** {_rules(g.rules)}",
            "",
            "<details>",
            f"<summary>The {len(g.acks)} acknowledged resource{'s' if len(g.acks) != 1 else ''}</summary>",
            "",
        ]
        rows = [(report.display.get(a.stack, a.stack), a.path, a.rule) for a in g.acks]
        lines += _table(("Stack", "Construct path", "Rule"), rows)
        lines += ["</details>", ""]
    if not groups:
        lines += ["None.", ""]

    if picture is not None:
        lines += ["## Platform picture", ""]
        if picture.svg:
            lines += [
                f"![What the platform deploys, by stack and layer]({PICTURE_FILE})",
                "",
                f"{picture.node_count} boxes, {len(picture.picture.event_edges)} event flows (red), "
                f"{len(picture.picture.edges) - len(picture.picture.event_edges)} uses (dashed).",
                "",
            ]
        else:
            lines += [f"Not drawn: {picture.problem}.", ""]
        lines += ["Event flows:", ""]
        nodes = picture.picture.nodes
        lines += [f"- {nodes[e.src].title} → {nodes[e.dst].title}: {e.label}" for e in picture.picture.event_edges] or [
            "- none"
        ]
        lines.append("")

    lines += ["## Counts per stack and pack", ""]
    lines += _table(
        ("Stack", "Pack", "Passed", "Failed", "Acknowledged"),
        [(c.stack, c.pack, str(c.passed), str(c.failed), str(c.acknowledged)) for c in report.counts],
    )
    lines += ["## Control details", "", "How each control is checked, and what was found.", ""]
    lines += _table(
        ("Control", "Title", "Status", "How it is checked", "Detail"),
        [(c.id, c.title, badge(r.status), c.how, r.detail) for c, r in report.controls],
    )
    return "\n".join(lines)


def _rules(rules: Sequence[str]) -> str:
    if len(rules) <= 3:
        return ", ".join(f"`{_cell(r)}`" for r in rules)
    packs = sorted({r.split("-", 1)[0] for r in rules})
    return f"{len(rules)} rule ids of {', '.join(packs)} (each listed with its resource below)"
