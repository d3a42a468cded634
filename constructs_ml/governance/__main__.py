"""Command line: ``python -m constructs_ml.governance report cdk.out [--out DIR] [--strict]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from constructs_ml.governance.controls import NAG_PLUGINS
from constructs_ml.governance.report import write_report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m constructs_ml.governance")
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser(
        "report", help="write the compliance report (Markdown and HTML) and the platform picture (SVG)"
    )
    rep.add_argument("assembly", help="the cloud assembly directory, e.g. cdk.out")
    rep.add_argument("--out", help="where to write the report (default: the assembly directory)")
    rep.add_argument(
        "--packs",
        nargs="*",
        default=list(NAG_PLUGINS),
        help="plugin names that ran (default: the baseline cdk-nag packs and SageMaker)",
    )
    rep.add_argument("--strict", action="store_true", help="exit 1 when a finding is unacknowledged or a control fails")
    args = parser.parse_args(argv)
    written = write_report(args.assembly, args.out, packs=args.packs)
    report = written.report
    if report.problems:
        print("\n".join(report.problems), file=sys.stderr)
    print(f"Compliance report: {written.html.resolve()} (open it in a browser; Markdown: {written.markdown})")
    if written.picture is not None:
        print(f"Platform picture: {written.picture.resolve()} ({written.rendered.node_count} boxes)")
    else:
        print(f"Platform picture: not drawn ({written.picture_problem})", file=sys.stderr)
    if not report.stacks:
        print(f"no stacks found in {args.assembly}", file=sys.stderr)
        return 2
    return 1 if args.strict and not report.clean else 0


if __name__ == "__main__":
    sys.exit(main())
