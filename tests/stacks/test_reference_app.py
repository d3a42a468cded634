"""The reference platform, synthesized once with every governance check (the golden, validating synth).

It is the run's shared synth (``reference_assembly`` in tests/conftest.py), which the report tests read too.

META-01 (cdk-nag packs and our SageMaker pack clean), META-02 (every acknowledgement in the reviewed
allowlist), META-04 (CDK's CloudFormation validation as errors, clean), META-05 (no unexpected
Lambda-backed custom resources), cfn-lint with no errors on every template.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, read_governed_synth

ROOT = Path(__file__).resolve().parents[2]

#: The only Lambda-backed custom resources allowed in the reference app, with the reason.
ALLOWED_CUSTOM_RESOURCES = {
    "Custom::VpcRestrictDefaultSG": "CDK's way to strip the default security group's rules (NET-05); no CFN-native way",
}


#: Construct warnings the environment-agnostic reference app is expected to carry, and why.
EXPECTED_WARNINGS = {
    "constructs-ml:network-no-s3-egress": (
        "the S3 managed prefix list id is region-specific; set network.s3_prefix_list_id in cdk.json for the "
        "target region (README, 'Network')"
    ),
    "constructs-ml:retraining-no-dynamodb-egress": (
        "the DynamoDB managed prefix list id is region-specific; set network.dynamodb_prefix_list_id in cdk.json"
    ),
    "constructs-ml:pipeline-step-protection-off": (
        "the monitoring pipelines' Window/Publish steps list S3 and put CloudWatch metrics, and the explainability "
        "analysis uses a Clarify shadow endpoint (docs/operate.md); only on the serving stack's Monitor"
    ),
    "constructs-ml:guardrail-clarify-shadow-endpoint": (
        "the explainability monitor's jobs role may create Clarify's sm-clarify-* shadow endpoint configs without "
        "a volume key (their model config takes none; docs/operate.md); only on the serving stack's Monitor"
    ),
    "constructs-ml:guardrail-network-isolation-off": (
        "the monitoring pipelines' roles get the platform guardrail minus the isolation deny, for those steps "
        "(VPC, subnets, keys, inter-container encryption still enforced); only on the serving stack's Monitor"
    ),
}


@pytest.fixture(scope="module")
def platform(reference_assembly: Path) -> GovernedSynth:
    return read_governed_synth(reference_assembly)


def test_meta01_02_04_governance_clean(platform: GovernedSynth) -> None:
    result = platform
    assert_governance_clean(result)
    assert result.failed_plugins() == []
    # Packs with no finding are left out of the report or listed without violations; only our
    # constructs' own warnings (the annotations plugin) may remain.
    for report in result.report.get("pluginReports", []):
        if report["pluginName"] != "Construct Annotations":
            assert report["violations"] == [], report["pluginName"]
    assert {w for w, _ in result.warnings()} <= set(EXPECTED_WARNINGS)
    monitor_only = (
        "constructs-ml:pipeline-step-protection-off",
        "constructs-ml:guardrail-network-isolation-off",
        "constructs-ml:guardrail-clarify-shadow-endpoint",
    )
    step_off = [path for w, path in result.warnings() if w in monitor_only]
    assert all("/Serving/Monitor/" in f"/{path}" for path in step_off), step_off


def test_meta01_all_six_packs_ran(platform: GovernedSynth) -> None:
    result = platform
    acked_packs = {rule.split("-", 1)[0] for _, rule, _ in result.acknowledgements()}
    # Acknowledgements exist for findings of these packs, which proves they ran on this app.
    assert {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"} <= acked_packs


def test_acknowledgements_are_few_and_reviewed(platform: GovernedSynth) -> None:
    result = platform
    acks = result.acknowledgements()
    assert acks and not result.unlisted_acknowledgements()
    assert all(len(reason) >= 60 for _, _, reason in acks)


def test_cfn_lint_clean(platform: GovernedSynth) -> None:
    result = platform
    templates = result.templates()
    assert set(templates) >= {"Network", "Platform"}
    for name, template in templates.items():
        assert cfn_lint_errors(template) == [], name


def test_meta05_only_allowlisted_custom_resources(platform: GovernedSynth) -> None:
    result = platform
    for name, template in result.templates().items():
        for logical_id, resource in template["Resources"].items():
            t = resource["Type"]
            if t.startswith("Custom::") or t == "AWS::CloudFormation::CustomResource":
                assert t in ALLOWED_CUSTOM_RESOURCES, f"{name}/{logical_id}: {t}"


def test_stack_names_and_tags(platform: GovernedSynth) -> None:
    result = platform
    manifest = json.loads((result.outdir / "manifest.json").read_text())
    names = {
        artifact_id: artifact["properties"]["stackName"]
        for artifact_id, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert names == {
        "Network": "mlplatform-network",
        "Platform": "mlplatform-platform",
        "Build": "mlplatform-build",
        "Serving": "mlplatform-serving",
    }
    vpc = next(r for r in result.template("Network")["Resources"].values() if r["Type"] == "AWS::EC2::VPC")
    assert {"Key": "constructs-ml:platform", "Value": "mlplatform"} in vpc["Properties"]["Tags"]
    assert {"Key": "project", "Value": "constructs-ml-reference"} in vpc["Properties"]["Tags"]


def test_glue_functions_reserve_no_concurrency_and_the_record_is_frozen(
    platform: GovernedSynth,
) -> None:
    # Issue 9.5: reserved concurrency fails stack creation in low-quota accounts; 9.8: an update of the
    # record resource (e.g. after a tag change) would reset the deployed package.
    result = platform
    functions = [
        r["Properties"]
        for template in result.templates().values()
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    ]
    assert functions and all("ReservedConcurrentExecutions" not in p for p in functions)
    records = [
        r["Properties"] for r in result.template("Build")["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"
    ]
    assert records and all("Tags" not in p for p in records)


def test_the_monitors_compare_with_the_deployed_versions_baselines(
    platform: GovernedSynth,
) -> None:
    """Issue 11, the loop: the build pipeline registers baselines; the serving monitors read the deployed one's."""
    from tests.develop.definition_schema import body_of
    from tests.support import resources_of

    result = platform
    serving = result.template("Serving")
    bodies = [body_of(r) for r in resources_of(serving, "AWS::SageMaker::Pipeline").values()]
    windows = {b["Steps"][0]["Arguments"]["Environment"]["MONITOR_KIND"]: b["Steps"][0] for b in bodies}
    assert set(windows) == {"DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"}
    for kind, window in windows.items():
        env = window["Arguments"]["Environment"]
        assert env["BASELINE_PARAMETER"] == "/constructs-ml/churn/deployed-package", kind
        assert "/baselines/churn/" in env["BASELINE_URI"], kind  # the ML engineer's, until a version is deployed
    build = body_of(next(iter(resources_of(result.template("Build"), "AWS::SageMaker::Pipeline").values())))
    (gate,) = [s for s in build["Steps"] if s["Type"] == "Condition"]
    (register,) = gate["Arguments"]["IfSteps"]
    assert set(register["Arguments"]["DriftCheckBaselines"]) == {"ModelDataQuality", "ModelQuality"}
