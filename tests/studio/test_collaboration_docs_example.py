"""The collaboration example of docs/studio.md is docs/examples/studio_collaboration_example.py; it runs governed."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support import cfn_lint_errors, doc_shows_example_verbatim, load_example

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "studio_collaboration_example.py"
DOC = ROOT / "docs" / "studio.md"


def test_the_doc_shows_the_example_verbatim() -> None:
    assert doc_shows_example_verbatim(EXAMPLE, DOC)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    outdir = tempfile.mkdtemp(prefix="cdkout-")
    app = load_example(EXAMPLE).build_app(outdir)
    app.synth()  # governed: raises if any cdk-nag or SageMaker-pack finding is left
    return dict(json.loads((Path(outdir) / "StudioCollaborationExample.template.json").read_text()))


def test_the_example_synthesizes_a_hub_spaces_and_a_custom_image(template: dict[str, Any]) -> None:
    types = [r["Type"] for r in template["Resources"].values()]
    for type_name, count in (
        ("AWS::SageMaker::Hub", 1),
        ("AWS::SageMaker::Space", 2),
        ("AWS::SageMaker::Image", 1),
        ("AWS::SageMaker::ImageVersion", 1),
        ("AWS::SageMaker::AppImageConfig", 1),
        ("AWS::SageMaker::Domain", 1),
    ):
        assert types.count(type_name) == count, type_name
    sharing = sorted(
        r["Properties"]["SpaceSharingSettings"]["SharingType"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::SageMaker::Space"
    )
    assert sharing == ["Private", "Shared"]
    assert len([k for k in template["Outputs"] if "Reference" in k]) == 2


def test_the_example_template_is_cfn_lint_clean(template: dict[str, Any]) -> None:
    assert cfn_lint_errors(template) == []
