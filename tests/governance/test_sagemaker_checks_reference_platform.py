"""The reference platform under the SageMaker pack and the Security Hub control table (one synth).

The platform must pass every default rule (the Security Hub ones included) with no acknowledgement
of a Security Hub rule; the control table shows no FAIL and no CANNOT VERIFY; of the opt-in rules,
only SageMaker.16 fails, for the reason that makes it opt-in (the model image is in Amazon ECR).
"""

from __future__ import annotations

import pytest
from aws_cdk import Validations

from constructs_ml.governance import SageMakerChecks
from constructs_ml.governance.rules_security_hub import OptInRule
from constructs_ml.governance.sagemaker_checks import OPT_IN_RULE_IDS
from constructs_ml.governance.security_hub import (
    CANNOT_VERIFY_STATUS,
    FAIL,
    NOT_APPLICABLE,
    NOT_ENABLED,
    PASS,
    ControlResult,
    evaluate_assembly,
)
from stacks.app import build_platform
from stacks.config import PlatformConfig
from tests.support import GovernedSynth, governed_synth, new_app

#: Rules this change added to the pack; the reference platform must pass them without acknowledgement.
NEW_RULES = {
    "SageMaker-NotebookVpc",
    "SageMaker-NotebookKms",
    "SageMaker-NotebookPlatformSupported",
    "SageMaker-AppImageConfigTagged",
    "SageMaker-ImageTagged",
    "SageMaker-DomainTagged",
    "SageMaker-FeatureGroupTagged",
    "SageMaker-ImageDescription",
    "SageMaker-InferenceExperimentKms",
    "SageMaker-InferenceExperimentDataCaptureKms",
    *OPT_IN_RULE_IDS,
}


@pytest.fixture(scope="module")
def result() -> GovernedSynth:
    app = new_app(governed=False, validate_cfn=False)
    build_platform(app, PlatformConfig(), governed=False)
    Validations.of(app).add_plugins(SageMakerChecks(app))
    return governed_synth(app)


@pytest.fixture(scope="module")
def controls(result: GovernedSynth) -> dict[str, ControlResult]:
    return {r.control.control_id: r for r in evaluate_assembly(result.outdir)}


def test_no_sagemaker_finding(result: GovernedSynth) -> None:
    assert result.findings("SageMaker") == []


def test_no_acknowledgement_of_a_new_rule(result: GovernedSynth) -> None:
    acked = {rule.split("[")[0] for _, rule, _ in result.acknowledgements()}
    assert not acked & NEW_RULES


def test_security_hub_table_has_no_fail_and_checks_the_platforms_resources(
    controls: dict[str, ControlResult],
) -> None:
    assert not [c for c, r in controls.items() if r.status in (FAIL, CANNOT_VERIFY_STATUS)]
    # the platform has models, endpoint configs, feature groups and a domain; its monitors run as pipelines
    # (Model Monitor closed to new customers), so the controls on Model Monitor job definitions do not apply
    for control in ("SageMaker.5", "SageMaker.17", "SageMaker.18", "sagemaker-model-in-vpc"):
        assert controls[control].status == PASS, control
    for control in ("SageMaker.9", "SageMaker.10", "SageMaker.11", "SageMaker.12", "SageMaker.13", "SageMaker.20"):
        assert controls[control].status == NOT_APPLICABLE, control
    assert {c for c, r in controls.items() if r.status == NOT_ENABLED} == {
        "SageMaker.4",
        "SageMaker.16",
        "SageMaker.19",
        "sagemaker-domain-tagged",
        "sagemaker-feature-group-tagged",
    }


def test_opt_in_rules_on_the_platform(result: GovernedSynth) -> None:
    rules = SageMakerChecks(opt_in_rules=list(OptInRule)).rules
    results = {r.control.control_id: r for r in evaluate_assembly(result.outdir, rules=rules)}
    assert results["SageMaker.4"].status == PASS
    # the reference app tags everything (Tags.of(app)), so the opt-in tagging rules pass too
    assert results["sagemaker-domain-tagged"].status == PASS
    assert results["sagemaker-feature-group-tagged"].status == PASS
    assert results["SageMaker.16"].status == FAIL
    assert "PrimaryContainer.ImageConfig is not set" in results["SageMaker.16"].detail


def test_exported_guard_rules_pass_the_platform_templates(result: GovernedSynth) -> None:
    import json

    from cfn_guard_rs.cfn_guard_rs import run_checks_rs

    from constructs_ml.governance.guard import guard_rules

    rules = guard_rules()
    compliant: set[str] = set()
    for name, template in result.templates().items():
        out = json.loads(run_checks_rs(json.dumps(template), rules, False))
        assert [x["Rule"]["name"] for x in out["not_compliant"]] == [], name
        compliant |= set(out["compliant"])
    # the platform's SageMaker resources were really evaluated
    assert {"sagemaker_5", "sagemaker_17", "sagemaker_domain_in_vpc"} <= compliant
