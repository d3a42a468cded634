"""The compliance report as one self-contained HTML page (no external script, font, style or image).

Readable at 1280 px without horizontal scrolling (long construct paths and rule ids wrap), printable
(every ``<details>`` prints open), accessible: real headings, table captions and header cells,
status badges that say their status in words (colour only repeats it), text contrast above 7:1.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from constructs_ml.governance.control_checks import FAIL
from constructs_ml.governance.picture_render import RenderedPicture
from constructs_ml.governance.report_data import ComplianceReport
from constructs_ml.governance.report_views import (
    CSS_CLASS,
    STATUSES,
    SYMBOLS,
    WORDS,
    ack_groups,
    matrix,
    rule_checks_not_passed,
    security_hub_rows,
    verdict,
)

e = html.escape

CSS = """
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;
 color:#1b1b1b;background:#fff}
main{max-width:1200px;margin:0 auto;padding:.5rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.6rem 0 .1rem}
h2{font-size:1.3rem;margin:2rem 0 .5rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1rem 0 .3rem}
p{margin:.3rem 0 .6rem}
a{color:#0a3069}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.source{color:#444;margin:0 0 .5rem;overflow-wrap:anywhere}
.verdict{border:2px solid;border-radius:8px;padding:.6rem 1rem .8rem;margin:.6rem 0 1rem}
.verdict.clean{border-color:#1a7f37;background:#eefbf1}
.verdict.not-clean{border-color:#b3261e;background:#fdf0ef}
.verdict h2{border:0;margin:0 0 .5rem;padding:0;font-size:1.4rem}
.tiles{display:flex;flex-wrap:wrap;gap:.5rem;margin:0;padding:0}
.tile{border:1px solid #c6ccd2;border-radius:6px;padding:.2rem .7rem;background:#fff;min-width:8rem}
.tile dt{font-size:.8rem;color:#444}
.tile dd{margin:0;font-size:1.3rem;font-weight:700}
nav ul{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;list-style:none;padding:0;margin:.7rem 0 0}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid #c6ccd2;padding:.2rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
thead th{background:#f3f5f7}
code,.path{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.86em;
 overflow-wrap:anywhere}
.badge{display:inline-block;white-space:nowrap;border:1px solid;border-radius:999px;padding:0 .55em;
 font-size:.85rem;font-weight:600;line-height:1.45;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.badge.pass{background:#dafbe1;color:#0f5323;border-color:#4ac26b}
.badge.fail{background:#ffebe9;color:#82071e;border-color:#ff8182}
.badge.acked{background:#fff8c5;color:#5c4000;border-color:#d4a72c}
.badge.unknown{background:#fbefff;color:#5e1a7a;border-color:#c297ff}
.badge.na{background:#f3f5f7;color:#3d444d;border-color:#c6ccd2}
.badge.notchecked{background:#ddf4ff;color:#0a3069;border-color:#80ccff}
.matrix th[scope=row]{font-weight:normal}
.matrix .cid{font-weight:700;margin-right:.4em}
.matrix td{width:9.5rem}
.assembly-wide{color:#444;font-style:italic;text-align:center}
.ack-group{border:1px solid #c6ccd2;border-radius:6px;padding:.4rem .9rem .5rem;margin:.7rem 0}
.ack-group h3{margin:.2rem 0 .3rem}
.count{font-weight:600;color:#444}
.unlisted{border-color:#b3261e}
details>summary{cursor:pointer;font-weight:600;color:#0a3069;padding:.1rem 0}
figure{margin:.5rem 0}
.picture svg{width:100%;height:auto;display:block}
@media print{
 body{font-size:10.5pt}
 main{max-width:none;padding:0}
 nav{display:none}
 .verdict,.ack-group,tr,figure{break-inside:avoid}
 details::details-content{content-visibility:visible;display:contents}
 a{color:inherit;text-decoration:none}
}
"""

#: Prints every collapsed group open (browsers without ``::details-content`` in print CSS).
PRINT_SCRIPT = (
    'addEventListener("beforeprint",()=>document.querySelectorAll("details").forEach(d=>{'
    'if(!d.open){d.open=true;d.dataset.printed="1"}}));'
    'addEventListener("afterprint",()=>document.querySelectorAll("details[data-printed]").forEach(d=>{'
    "d.open=false;delete d.dataset.printed}));"
)


def badge(status: str) -> str:
    """A status badge: symbol (decorative) and the status in words."""
    symbol = SYMBOLS.get(status, "")
    return (
        f'<span class="badge {CSS_CLASS.get(status, "na")}">'
        f'<span aria-hidden="true">{e(symbol)}</span> {e(WORDS.get(status, status))}</span>'
    )


def _table(
    caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]], *, raw: Sequence[int] = (), cls: str = ""
) -> str:
    """A table with a caption and header cells; columns in ``raw`` are HTML already, others escaped."""
    body = [
        "<tr>" + "".join(f"<td>{c if i in raw else e(c)}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows
    ]
    if not body:
        return f"<p>{e(caption)}: none.</p>"
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headers)
    return (
        f'<table class="{cls}"><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _verdict(report: ComplianceReport) -> str:
    v = verdict(report)
    tiles = [("Unacknowledged findings", v.findings)]
    tiles += [(f"Controls {WORDS[s].lower()}", v.controls.get(s, 0)) for s in STATUSES]
    tiles += [("Acknowledgements", v.acknowledgements), ("Construct warnings", v.warnings)]
    dl = "".join(f'<div class="tile"><dt>{e(k)}</dt><dd>{n}</dd></div>' for k, n in tiles)
    problems = (
        "<p><strong>Problems reading the assembly</strong> (the verdict may be incomplete):</p><ul>"
        + "".join(f"<li>{e(p)}</li>" for p in v.problems)
        + "</ul>"
        if v.problems
        else ""
    )
    nav = (
        '<nav aria-label="Contents"><ul>'
        '<li><a href="#controls">Control matrix</a></li><li><a href="#findings">Findings</a></li>'
        f'<li><a href="#acknowledgements">Acknowledgements ({v.groups} groups)</a></li>'
        '<li><a href="#picture">Platform picture</a></li><li><a href="#counts">Counts per pack</a></li>'
        '<li><a href="#control-details">Control details</a></li></ul></nav>'
    )
    failed = [c.id for c, r in report.controls if r.status == FAIL]
    if failed:
        links = ", ".join(f'<a href="#control-{e(cid)}">{e(cid)}</a>' for cid in failed)
        problems = f"<p><strong>Failed controls:</strong> {links}</p>{problems}"
    state = "clean" if v.clean else "not-clean"
    return (
        f'<section id="verdict" class="verdict {state}" aria-labelledby="verdict-title">'
        f'<h2 id="verdict-title">Verdict: {e(v.headline)}</h2>'
        f'<dl class="tiles">{dl}</dl>{problems}{nav}</section>'
    )


def _matrix(report: ComplianceReport) -> str:
    m = matrix(report)
    head = '<th scope="col">Control</th><th scope="col">All stacks</th>' + "".join(
        f'<th scope="col">{e(s)}</th>' for s in m.stacks
    )
    rows = []
    for row in m.rows:
        cells = [f"<td>{badge(row.overall.status)}</td>"]
        if row.control.assembly_wide:
            cells.append(f'<td class="assembly-wide" colspan="{len(m.stacks)}">whole assembly only</td>')
        else:
            cells += [f"<td>{badge(r.status)}</td>" for r in row.per_stack if r is not None]
        cid = e(row.control.id)
        rows.append(
            f'<tr id="matrix-{cid}"><th scope="row"><a class="cid" href="#control-{cid}">{cid}</a>'
            f"{e(row.control.title)}</th>{''.join(cells)}</tr>"
        )
    return (
        '<section id="controls" aria-labelledby="controls-title"><h2 id="controls-title">Control matrix</h2>'
        "<p>Each control of the governance baseline on the whole assembly (which the verdict counts) and on each "
        "stack alone. <em>Whole assembly only</em>: the control relates resources across stacks. The badge says the "
        "status in words; its colour repeats it.</p>"
        f'<table class="matrix"><caption>Controls by stack</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _security_hub(report: ComplianceReport) -> str:
    rows = security_hub_rows(report)
    table = _table(
        "AWS Security Hub SageMaker controls and AWS Config rules, decided by the SageMaker pack's rules",
        ("Control", "Title", "Rule", "Result", "Detail"),
        [(r["control"], r["title"], r["rules"], badge(r["result"]), r["detail"]) for r in rows],
        raw=(3,),
    )
    return (
        '<section id="security-hub" aria-labelledby="security-hub-title">'
        '<h2 id="security-hub-title">Security Hub controls</h2>'
        f"{table}</section>"
    )


def _findings(report: ComplianceReport) -> str:
    findings = _table(
        "Unacknowledged findings (validation-report.json)",
        ("Pack", "Rule", "Severity", "Construct path", "Finding"),
        [(f.plugin, f.rule, f.severity, f.path, f.description) for f in report.findings],
    )
    warnings = _table(
        "Construct warnings (not pack findings: a setting to review, e.g. for the target region)",
        ("Warning", "Construct path", "Message"),
        [(w.rule.removeprefix("Annotation::"), w.path, w.description) for w in report.warnings],
    )
    checks = _table(
        "SageMaker rule checks that did not pass (re-run on the templates)",
        ("Stack", "Construct path", "Rule", "Outcome", "Acknowledged", "Detail"),
        rule_checks_not_passed(report),
    )
    return (
        '<section id="findings" aria-labelledby="findings-title"><h2 id="findings-title">Findings</h2>'
        f"{findings}{warnings}{checks}</section>"
    )


def _acknowledgements(report: ComplianceReport) -> str:
    groups = ack_groups(report)
    total = sum(len(g.acks) for g in groups)
    parts = [
        '<section id="acknowledgements" aria-labelledby="acks-title">'
        '<h2 id="acks-title">Acknowledgements by allowlist entry</h2>'
        f"<p>{_plural(total, 'acknowledgement')} in {_plural(len(groups), 'group')}; each reason was reviewed "
        "once, in <code>constructs_ml/governance/acknowledgements.py</code>.</p>"
    ]
    for g in groups:
        title = f"<code>{e(g.key)}</code>" if g.key else "Not in the allowlist"
        rows = [(report.display.get(a.stack, a.stack), a.path, a.rule) for a in g.acks]
        resources = "".join(
            f'<tr><td>{e(s)}</td><td class="path">{e(p)}</td><td><code>{e(r)}</code></td></tr>' for s, p, r in rows
        )
        parts.append(
            f'<article class="ack-group{"" if g.key else " unlisted"}">'
            f'<h3>{title} <span class="count">{_plural(len(g.acks), "acknowledgement")}</span></h3>'
            f"<p><strong>Reason:</strong> {e(g.reason)}</p>"
            f"<p><strong>Scope:</strong> {e(g.scope)}. <strong>Rules:</strong> {_rules(g.rules)}</p>"
            f"<details><summary>The {_plural(len(g.acks), 'acknowledged resource')}</summary>"
            '<table><thead><tr><th scope="col">Stack</th><th scope="col">Construct path</th>'
            f'<th scope="col">Rule</th></tr></thead><tbody>{resources}</tbody></table></details></article>'
        )
    if not groups:
        parts.append("<p>None.</p>")
    parts.append("</section>")
    return "".join(parts)


def _rules(rules: Sequence[str]) -> str:
    """Up to three rule ids inline; more are listed with their resources."""
    if len(rules) <= 3:
        return ", ".join(f"<code>{e(r)}</code>" for r in rules)
    packs = sorted({r.split("-", 1)[0] for r in rules})
    return f"{len(rules)} rule ids of {', '.join(e(p) for p in packs)} (each listed with its resource below)"


def _picture(picture: RenderedPicture | None) -> str:
    if picture is None:
        return ""
    pic = picture.picture
    flows = "".join(
        f"<li>{e(pic.nodes[x.src].title)} → {e(pic.nodes[x.dst].title)}: {e(x.label)}</li>" for x in pic.event_edges
    )
    summary = (
        f"{_plural(picture.node_count, 'box')} in {_plural(len(pic.stacks), 'stack')}, "
        f"{_plural(len(pic.event_edges), 'event flow')} (red, labelled with the events), "
        f"{_plural(len(pic.edges) - len(pic.event_edges), 'other reference')} (dashed)."
    ).replace("boxs", "boxes")
    body = (
        f'<figure><div class="picture" role="img" aria-label="Platform picture: {e(summary)}">{picture.svg}</div>'
        f"<figcaption>{e(summary)} Also written next to this report as <code>platform.svg</code>.</figcaption>"
        "</figure>"
        if picture.svg
        else f"<p>Not drawn: {e(picture.problem)}.</p>"
    )
    return (
        '<section id="picture" aria-labelledby="picture-title"><h2 id="picture-title">Platform picture</h2>'
        "<p>Generated from the cloud assembly and laid out by Graphviz: one box per stack and layer; supporting "
        "resources (IAM, security groups, log groups, queues) are counted, not drawn one by one.</p>"
        f"{body}<h3>Event flows of the MLOps loop</h3><ul>{flows or '<li>none</li>'}</ul></section>"
    )


def _reference(report: ComplianceReport) -> str:
    counts = _table(
        "Per stack and pack: resources (cdk-nag) or rule checks (SageMaker)",
        ("Stack", "Pack", "Passed", "Failed", "Acknowledged"),
        [(c.stack, c.pack, str(c.passed), str(c.failed), str(c.acknowledged)) for c in report.counts],
    )
    rows = "".join(
        f'<tr id="control-{e(c.id)}"><th scope="row">{e(c.id)}</th><td>{e(c.title)}</td><td>{badge(r.status)}</td>'
        f"<td>{e(c.how)}</td><td>{e(r.detail)}</td></tr>"
        for c, r in report.controls
    )
    details = (
        "<table><caption>How each control is checked, and what was found</caption><thead><tr>"
        + "".join(f'<th scope="col">{h}</th>' for h in ("Control", "Title", "Status", "How it is checked", "Detail"))
        + f"</tr></thead><tbody>{rows}</tbody></table>"
    )
    return (
        '<section id="counts" aria-labelledby="counts-title"><h2 id="counts-title">Counts per stack and pack</h2>'
        f"{counts}</section>"
        '<section id="control-details" aria-labelledby="details-title">'
        f'<h2 id="details-title">Control details</h2>{details}</section>'
    )


def render_html(report: ComplianceReport, picture: RenderedPicture | None = None) -> str:
    """The report as a self-contained HTML page; ``picture`` embeds the platform picture (SVG)."""
    v = verdict(report)
    stacks = ", ".join(report.display.get(s, s) for s in report.stacks) or "none"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Compliance report: {e('clean' if v.clean else 'not clean')}</title>",
            f"<style>{CSS}</style></head><body><main>",
            "<h1>Compliance report</h1>",
            f'<p class="source">Cloud assembly <code>{e(report.source)}</code>; stacks: {e(stacks)}.</p>',
            _verdict(report),
            _matrix(report),
            _security_hub(report),
            _findings(report),
            _acknowledgements(report),
            _picture(picture),
            _reference(report),
            f"</main><script>{PRINT_SCRIPT}</script></body></html>",
        ]
    )
