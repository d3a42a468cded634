"""The labeling example (docs/labeling.md) synthesizes governed, cfn-lint clean, with honoured contracts, and
its state machine sends SageMaker and S3 requests that botocore's request shapes accept."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker
from tests.support import GovernedSynth, cfn_lint_errors, doc_shows_example_verbatim, load_example, resources_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "labeling_example.py"
DOC = ROOT / "docs" / "labeling.md"


@pytest.fixture(scope="module")
def outdir() -> Path:
    out = tempfile.mkdtemp(prefix="cdkout-label-")
    load_example(EXAMPLE).build_app(out).synth()  # governed: raises on any unacknowledged finding
    return Path(out)


@pytest.fixture(scope="module")
def template(outdir: Path) -> dict[str, Any]:
    return dict(json.loads((outdir / "LabelingExample.template.json").read_text()))


def _definition(template: dict[str, Any]) -> dict[str, Any]:
    """The state machine's ASL with every CloudFormation reference replaced by a placeholder string."""
    (machine,) = resources_of(template, "AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else _placeholder(p) for p in parts)
    return dict(json.loads(text))


def _placeholder(ref: dict[str, Any]) -> str:
    if ref.get("Ref") == "AWS::Partition":
        return "aws"
    if "Fn::GetAtt" in ref:
        name, attr = ref["Fn::GetAtt"]
        if attr == "Arn" and "Key" in name:
            return "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        if attr == "Arn":
            return "arn:aws:iam::111111111111:role/job-role"
        if attr == "WorkteamArn":
            return "arn:aws:sagemaker:eu-west-1:111111111111:workteam/private-crowd/labelers"
        return "sg-0123456789abcdef0"
    return "subnet-0123456789abcdef0" if "Subnet" in str(ref) else "platform-bucket"


def _concrete(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the service receives them: ``X.$`` paths become a job name."""
    out: dict[str, Any] = {}
    for k, v in parameters.items():
        if k.endswith(".$"):
            out[k[:-2]] = "labelingeelimages-ff3197ec-0f8a7c1e-3b2d-4c5e-9f60-7a8b9c0d1e2f"
        elif isinstance(v, dict):
            out[k] = _concrete(v)
        else:
            out[k] = v
    return out


def test_the_doc_shows_the_example_verbatim() -> None:
    assert doc_shows_example_verbatim(EXAMPLE, DOC)


def test_the_example_is_cfn_lint_clean_and_has_the_labeling_resources(template: dict[str, Any]) -> None:
    assert cfn_lint_errors(template) == []
    for kind in ("AWS::SageMaker::Workforce", "AWS::SageMaker::Workteam", "AWS::Cognito::UserPool"):
        assert len(resources_of(template, kind)) == 1, kind
    assert len(resources_of(template, "AWS::StepFunctions::StateMachine")) == 1


def test_the_user_pool_requires_mfa_and_admits_no_self_sign_up(template: dict[str, Any]) -> None:
    (pool,) = resources_of(template, "AWS::Cognito::UserPool").values()
    props = pool["Properties"]
    assert props["MfaConfiguration"] == "ON"
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["DeletionPolicy"] == "Retain"
    (workforce,) = resources_of(template, "AWS::SageMaker::Workforce").values()
    assert workforce["Properties"]["SourceIpConfig"] == {"Cidrs": ["203.0.113.0/24"]}


def test_the_state_machine_logs_everything_encrypted_and_traces(template: dict[str, Any]) -> None:
    (machine,) = resources_of(template, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}
    (group,) = [
        g
        for g in resources_of(template, "AWS::Logs::LogGroup").values()
        if str(g["Properties"].get("LogGroupName", "")).startswith("/aws/vendedlogs/states/")
    ]
    assert "KmsKeyId" in group["Properties"] and "RetentionInDays" in group["Properties"]


def test_the_labeling_task_uses_the_optimized_sync_integration_with_keys_and_vpc(template: dict[str, Any]) -> None:
    states = _definition(template)["States"]
    label = states["Label"]
    assert label["Resource"] == "arn:aws:states:::sagemaker:createLabelingJob.sync"
    request = label["Parameters"]
    key = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert request["OutputConfig"]["KmsKeyId"] == key
    resource = request["LabelingJobAlgorithmsConfig"]["LabelingJobResourceConfig"]
    assert resource["VolumeKmsKeyId"] == key
    assert len(resource["VpcConfig"]["Subnets"]) == 2
    human = request["HumanTaskConfig"]
    assert human["PreHumanTaskLambdaArn"] == "arn:aws:lambda:eu-west-1:568282634449:function:PRE-BoundingBox"
    assert human["AnnotationConsolidationConfig"]["AnnotationConsolidationLambdaArn"].endswith(":ACS-BoundingBox")
    assert label["Catch"][0]["Next"] == "Labeling failed"


def test_the_requests_are_valid_sagemaker_and_s3_calls(template: dict[str, Any]) -> None:
    states = _definition(template)["States"]
    session = botocore.session.get_session()
    for service, operation, parameters in (
        ("sagemaker", "CreateLabelingJob", states["Label"]["Parameters"]),
        ("s3", "CopyObject", states["Publish manifest"]["Parameters"]),
    ):
        shape = session.get_service_model(service).operation_model(operation).input_shape
        report = ParamValidator().validate(_concrete(parameters), shape)
        assert not report.has_errors(), report.generate_report()


def test_the_labeled_manifest_is_copied_to_the_new_data_prefix(template: dict[str, Any]) -> None:
    states = _definition(template)["States"]
    publish = states["Publish manifest"]
    assert publish["Resource"] == "arn:aws:states:::aws-sdk:s3:copyObject"
    params = publish["Parameters"]
    assert params["Key.$"].startswith("States.Format('churn/incoming/{}.manifest'")
    assert re.search(r"churn/labeling/output/\{\}/manifests/output/output\.manifest", params["CopySource.$"])
    assert params["ServerSideEncryption"] == "aws:kms"
    assert states["Label"]["Next"] == "Publish manifest" and publish["Next"] == "Labeled"


def test_the_roles_contracts_hold_on_the_templates(outdir: Path) -> None:
    report = ContractChecker(Assembly(str(outdir))).check()
    ours = [r for r in report.roles if "/LabelImages/" in r]
    assert len(ours) == 2, sorted(report.roles)
    assert not [f for f in report.findings if "/LabelImages/" in f.role], report.summary()


def test_without_pass_role_the_state_machine_contract_fails(outdir: Path) -> None:
    assembly = Assembly(str(outdir))
    for view in assembly.stacks.values():
        for res in view.resources.values():
            if res["Type"] == "AWS::IAM::ManagedPolicy":
                statements = res["Properties"]["PolicyDocument"]["Statement"]
                statements[:] = [s for s in statements if s.get("Action") != "iam:PassRole"]
    findings = ContractChecker(assembly).check().findings
    assert any("/LabelImages/StateMachineRole" in f.role and f.entry["action"] == "iam:PassRole" for f in findings)


def test_governed_synth_has_no_findings(outdir: Path) -> None:
    report = outdir / "validation-report.json"
    result = GovernedSynth(
        assembly=None, outdir=outdir, report=json.loads(report.read_text()) if report.exists() else {}
    )  # type: ignore[arg-type]
    assert result.findings() == []
    assert result.unlisted_acknowledgements() == []
