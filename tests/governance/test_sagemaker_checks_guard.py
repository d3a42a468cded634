"""The exported CloudFormation Guard rules, run by the real Guard engine (cfn-guard-rs).

Same cases as the pack: for every control, the breaking raw resource is non-compliant and the
compliant one is compliant; the control scopes (SageMaker.4/14/15/18/22, serverless endpoint configs)
and the parameters (tag keys, platforms, opt-in) behave as in the pack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfn_guard_rs.cfn_guard_rs import run_checks_rs

from constructs_ml.governance.guard import guard_rule_name, guard_rules, main
from constructs_ml.governance.rules_security_hub import OptInRule
from constructs_ml.governance.security_hub import ALL_CONTROLS
from tests.governance.test_sagemaker_checks_security_hub import (
    CONTROL_CASES,
    DOMAIN,
    ENDPOINT_CONFIG,
    FEATURE_GROUP,
    NOTEBOOK,
    SM,
    _ice,
    _job,
    _with,
)

ALL_RULES_TEXT = guard_rules(opt_in_rules=list(OptInRule))
NAMES = {c.control_id: guard_rule_name(c) for c in ALL_CONTROLS}


def _run(rtype: str, props: dict[str, Any], rules: str = ALL_RULES_TEXT) -> dict[str, str]:
    """Guard rule name -> FAIL / PASS / SKIP for a template with one resource."""
    template = {"Resources": {"R": {"Type": rtype, "Properties": props}}}
    out = json.loads(run_checks_rs(json.dumps(template), rules, False))
    result = {x["Rule"]["name"]: "FAIL" for x in out["not_compliant"]}
    result |= {name: "PASS" for name in out["compliant"]}
    result |= {name: "SKIP" for name in out["not_applicable"]}
    return result


@pytest.mark.parametrize("control_id", sorted(CONTROL_CASES))
def test_guard_rule_fails_the_breaking_and_passes_the_compliant_resource(control_id: str) -> None:
    rtype, good, bad = CONTROL_CASES[control_id]
    name = NAMES[control_id]
    assert _run(rtype, bad)[name] == "FAIL"
    assert _run(rtype, good)[name] == "PASS"


def test_one_named_rule_per_control_with_its_message() -> None:
    assert [line.split()[1] for line in ALL_RULES_TEXT.splitlines() if line.startswith("rule ")] == list(NAMES.values())
    assert (
        "<< Security Hub SageMaker.14: SageMaker monitoring schedules should have network isolation" in ALL_RULES_TEXT
    )


def test_control_scopes() -> None:
    single_bias = _with(_ice(_job("ModelBias")), "JobResources", "ClusterConfig", "InstanceCount", 1)
    assert _run(SM + "ModelBiasJobDefinition", single_bias)[NAMES["SageMaker.15"]] == "SKIP"
    named = {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "dq"}}
    assert _run(SM + "MonitoringSchedule", named)[NAMES["SageMaker.14"]] == "SKIP"
    in_memory = _with(FEATURE_GROUP, "OnlineStoreConfig", {"EnableOnlineStore": True, "StorageType": "InMemory"})
    assert _run(SM + "FeatureGroup", in_memory)[NAMES["SageMaker.18"]] == "SKIP"
    serverless = _with(ENDPOINT_CONFIG, "ProductionVariants", [ENDPOINT_CONFIG["ProductionVariants"][1]])
    serverless = _with(serverless, "KmsKeyId", None)
    result = _run(SM + "EndpointConfig", serverless)
    assert result[NAMES["sagemaker-endpoint-configuration-kms-key-configured"]] == "SKIP"
    assert result[NAMES["SageMaker.4"]] == "SKIP"  # no instance-based variant to check
    no_count = _with(ENDPOINT_CONFIG, "ProductionVariants", 0, "InitialInstanceCount", None)
    assert _run(SM + "EndpointConfig", no_count)[NAMES["SageMaker.4"]] == "PASS"  # AWS Config fails only 1


def test_parameters_and_opt_in() -> None:
    default = guard_rules()
    assert "rule sagemaker_16 " not in default and "rule sagemaker_4 " not in default
    assert "rule sagemaker_domain_tagged " not in default
    owned = guard_rules(
        required_tag_keys=["owner"],
        supported_notebook_platforms=["notebook-al2-v3"],
        opt_in_rules=[OptInRule.DOMAIN_TAGGED],
    )
    assert _run(SM + "Domain", DOMAIN, owned)[NAMES["sagemaker-domain-tagged"]] == "FAIL"
    tagged = _with(DOMAIN, "Tags", [{"Key": "owner", "Value": "ml"}])
    assert _run(SM + "Domain", tagged, owned)[NAMES["sagemaker-domain-tagged"]] == "PASS"
    assert _run(SM + "NotebookInstance", NOTEBOOK, owned)[NAMES["SageMaker.8"]] == "FAIL"
    aws_only = _with(DOMAIN, "Tags", [{"Key": "aws:cloudformation:stack-name", "Value": "x"}])
    assert _run(SM + "Domain", aws_only)[NAMES["sagemaker-domain-tagged"]] == "FAIL"


def test_command_writes_the_rules(tmp_path: Path) -> None:
    out = tmp_path / "sagemaker.guard"
    assert main(["--out", str(out), "--opt-in", "ModelPrivateRegistry", "--tag-key", "owner"]) == 0
    text = out.read_text()
    assert "rule sagemaker_16 " in text and "rule sagemaker_19 " not in text
    assert "some Properties.Tags[*].Key == 'owner'" in text
