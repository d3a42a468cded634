"""The README's operate-glue example (docs/operate-glue.md) is docs/examples/operate_glue_example.py, and it runs.

The example app is synthesized with the governance packs (synth raises on any unacknowledged
finding) and its templates pass cfn-lint.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support import cfn_lint_errors, doc_shows_example_verbatim, load_example

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "operate_glue_example.py"
DOC = ROOT / "docs" / "operate-glue.md"


def test_the_doc_shows_the_example_verbatim() -> None:
    assert doc_shows_example_verbatim(EXAMPLE, DOC)


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    outdir = tempfile.mkdtemp(prefix="cdkout-")
    load_example(EXAMPLE).build_app(outdir).synth()  # governed: raises if any finding is left
    return {
        name: json.loads((Path(outdir) / f"{name}.template.json").read_text()) for name in ("GlueBuild", "GlueServing")
    }


def types(template: dict[str, Any]) -> list[str]:
    return [r["Type"] for r in template["Resources"].values()]


def test_the_build_stack_has_the_trigger_and_the_record(templates: dict[str, dict[str, Any]]) -> None:
    build = templates["GlueBuild"]
    assert types(build).count("AWS::DynamoDB::Table") == 1
    assert types(build).count("AWS::Events::Rule") == 3  # new data, direct schedule, violations
    (record,) = [r for r in build["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"]
    assert record["Properties"]["Name"] == "/ml/churn/deployed-package" and record["Properties"]["Value"] == "none"
    assert "Tags" not in record["Properties"]  # frozen: no tag change ever updates (and resets) it


def test_the_serving_stack_reads_the_record_and_deploys_on_approval(templates: dict[str, dict[str, Any]]) -> None:
    serving = templates["GlueServing"]
    assert {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/ml/churn/deployed-package"} in serving[
        "Parameters"
    ].values()
    assert types(serving).count("AWS::Events::Rule") == 3  # approvals, endpoint back in service, record written
    assert types(serving).count("AWS::Events::EventBusPolicy") == 1
    assert types(serving).count("AWS::SSM::Parameter") == 0


@pytest.mark.parametrize("name", ["GlueBuild", "GlueServing"])
def test_cfn_lint_clean(templates: dict[str, dict[str, Any]], name: str) -> None:
    assert cfn_lint_errors(templates[name]) == []
