"""The README's Studio example (docs/studio.md) is the file docs/examples/studio_example.py, and it runs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from botocore.validate import ParamValidator

from constructs_ml.studio import CanvasSettings
from constructs_ml.studio.settings import canvas_request_json
from tests.support import doc_shows_example_verbatim, load_example

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "studio_example.py"
DOC = ROOT / "docs" / "studio.md"


def test_the_doc_shows_the_example_verbatim() -> None:
    assert doc_shows_example_verbatim(EXAMPLE, DOC)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    outdir = tempfile.mkdtemp(prefix="cdkout-")
    app = load_example(EXAMPLE).build_app(outdir)
    app.synth()  # governed: raises if any cdk-nag or SageMaker-pack finding is left
    return dict(json.loads((Path(outdir) / "StudioExample.template.json").read_text()))


def test_the_example_synthesizes_a_governed_domain_with_two_users(template: dict[str, Any]) -> None:
    types = [r["Type"] for r in template["Resources"].values()]
    assert types.count("AWS::SageMaker::Domain") == 1
    assert types.count("AWS::SageMaker::UserProfile") == 2
    assert types.count("AWS::SageMaker::MlflowTrackingServer") == 1


def test_the_canvas_request_is_a_valid_update_domain_call() -> None:
    stack = Stack(App(), "Canvas", env=Environment(account="111111111111", region="eu-west-1"))
    canvas = CanvasSettings(
        workspace_bucket=s3.Bucket.from_bucket_name(stack, "B", "platform-artifacts"),
        workspace_key=kms.Key.from_key_arn(stack, "K", "arn:aws:kms:eu-west-1:111111111111:key/1234abcd"),
    )
    request = json.loads(stack.resolve(canvas_request_json(stack, "d-abc123", canvas)))
    model = botocore.session.get_session().get_service_model("sagemaker")
    report = ParamValidator().validate(request, model.operation_model("UpdateDomain").input_shape)
    assert not report.has_errors(), report.generate_report()
    settings = request["DefaultUserSettings"]["CanvasAppSettings"]
    assert settings["KendraSettings"] == {"Status": "DISABLED"}
    assert settings["DirectDeploySettings"] == {"Status": "DISABLED"}
    assert settings["WorkspaceSettings"] == {
        "S3ArtifactPath": "s3://platform-artifacts/canvas/",
        "S3KmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/1234abcd",
    }
