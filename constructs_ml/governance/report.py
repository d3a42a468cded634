"""Compliance report: read a cloud assembly and write it as Markdown, HTML and a platform picture.

The parts, each in its own module:

* :mod:`~constructs_ml.governance.report_data` reads the assembly (templates, acknowledgements,
  validation report), re-runs the SageMaker rules and evaluates every GOVERNANCE.md control;
* :mod:`~constructs_ml.governance.report_views` derives what the report shows, in order: verdict,
  control matrix (per stack), findings, acknowledgements grouped by allowlist entry;
* :mod:`~constructs_ml.governance.report_markdown` and :mod:`~constructs_ml.governance.report_html`
  write it (same order and grouping);
* :mod:`~constructs_ml.governance.platform_picture` and :mod:`~constructs_ml.governance.picture_render`
  draw what the platform deploys, laid out by Graphviz.

Usage::

    python -m constructs_ml.governance report cdk.out
    # writes cdk.out/compliance-report.md, cdk.out/compliance-report.html, cdk.out/platform.svg
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from constructs_ml.governance.controls import NAG_PLUGINS
from constructs_ml.governance.picture_render import RenderedPicture, render
from constructs_ml.governance.platform_picture import PlatformPicture, build_picture
from constructs_ml.governance.report_data import ComplianceReport, Finding, PackCounts, read_assembly
from constructs_ml.governance.report_html import render_html
from constructs_ml.governance.report_markdown import PICTURE_FILE, render_markdown

REPORT_NAME = "compliance-report"


@dataclass(frozen=True)
class WrittenReport:
    """What :func:`write_report` wrote.

    Attributes:
        report: the facts.
        markdown: ``compliance-report.md``.
        html: ``compliance-report.html`` (self-contained: the picture is embedded).
        picture: ``platform.svg``, or None when Graphviz is missing (``picture_problem`` says so).
        rendered: the picture, its SVG and its node count.
    """

    report: ComplianceReport
    markdown: Path
    html: Path
    picture: Path | None
    rendered: RenderedPicture

    @property
    def picture_problem(self) -> str:
        """Why there is no picture ("" when there is one)."""
        return self.rendered.problem


def platform_picture(report: ComplianceReport) -> PlatformPicture:
    """The picture of the report's assembly (not laid out yet)."""
    return build_picture(report.facts.templates, report.stacks, report.display, report.stack_names)


def write_report(
    outdir: str | Path, dest: str | Path | None = None, *, packs: Sequence[str] = NAG_PLUGINS
) -> WrittenReport:
    """Read ``outdir`` and write the report and the picture into ``dest`` (default: ``outdir``)."""
    report = read_assembly(outdir, packs=packs)
    target = Path(dest) if dest is not None else Path(outdir)
    target.mkdir(parents=True, exist_ok=True)
    rendered = render(platform_picture(report))
    md = target / f"{REPORT_NAME}.md"
    page = target / f"{REPORT_NAME}.html"
    svg = target / PICTURE_FILE
    md.write_text(render_markdown(report, rendered))
    page.write_text(render_html(report, rendered))
    if rendered.svg:
        svg.write_text(rendered.svg_file)
    else:
        svg.unlink(missing_ok=True)  # a stale picture must not pass for this assembly's
    return WrittenReport(report, md, page, svg if rendered.svg else None, rendered)


def control_statuses(report: ComplianceReport) -> Mapping[str, str]:
    """Control id -> status."""
    return {c.id: r.status for c, r in report.controls}


__all__ = [
    "REPORT_NAME",
    "ComplianceReport",
    "Finding",
    "PackCounts",
    "WrittenReport",
    "control_statuses",
    "platform_picture",
    "read_assembly",
    "render_html",
    "render_markdown",
    "write_report",
]
