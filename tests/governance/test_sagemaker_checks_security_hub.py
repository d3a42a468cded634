"""Security Hub SageMaker controls and AWS Config SageMaker rules: mapping, rules, per-control results.

For every template-decidable control: a raw L1 resource that breaks it is flagged by the mapped rule
and a compliant one is not (one ``validate_scope`` run, no synth), and the per-control evaluation
says FAIL / PASS for each (pure Python on template dicts). Then the control scopes that differ from
the pack rules (SageMaker.14/15/18/22), acknowledgements, opt-in rules and the pack's parameters.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import pytest
from aws_cdk import App, CfnResource, Stack

from constructs_ml.errors import ValidationError
from constructs_ml.governance import SageMakerChecks
from constructs_ml.governance.rules_security_hub import OPT_IN_RULES, OptInRule
from constructs_ml.governance.sagemaker_checks import OPT_IN_RULE_IDS, RULE_IDS, finding_info
from constructs_ml.governance.security_hub import (
    ACKNOWLEDGED,
    ALL_CONTROLS,
    CANNOT_VERIFY_STATUS,
    CONFIG_RULES,
    FAIL,
    NOT_APPLICABLE,
    NOT_ENABLED,
    PASS,
    SECURITY_HUB_CONTROLS,
    ControlResult,
    control_table,
    controls_of_rule,
    evaluate_controls,
)
from constructs_ml.governance.template_view import TemplateSet

KEY = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
ROLE = "arn:aws:iam::111111111111:role/data-scientist"
VPC = {"Subnets": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]}
TAGS = [{"Key": "team", "Value": "ml"}]
SM = "AWS::SageMaker::"

NOTEBOOK: dict[str, Any] = {
    "InstanceType": "ml.t3.medium",
    "RoleArn": ROLE,
    "RootAccess": "Disabled",
    "DirectInternetAccess": "Disabled",
    "SubnetId": "subnet-a",
    "SecurityGroupIds": ["sg-1"],
    "KmsKeyId": KEY,
    "PlatformIdentifier": "notebook-al2023-v1",
    "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
}
MODEL: dict[str, Any] = {
    "ExecutionRoleArn": ROLE,
    "EnableNetworkIsolation": True,
    "VpcConfig": VPC,
    "PrimaryContainer": {"Image": "registry.internal/m:1", "ImageConfig": {"RepositoryAccessMode": "Vpc"}},
}
MULTI_MODEL: dict[str, Any] = {
    "ExecutionRoleArn": ROLE,
    "EnableNetworkIsolation": True,
    "VpcConfig": VPC,
    "Containers": [
        {"Image": f"registry.internal/{n}:1", "ImageConfig": {"RepositoryAccessMode": "Vpc"}} for n in ("pre", "m")
    ],
}
ENDPOINT_CONFIG: dict[str, Any] = {
    "KmsKeyId": KEY,
    "ProductionVariants": [
        {"VariantName": "A", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2},
        {"VariantName": "S", "ModelName": "m", "ServerlessConfig": {"MaxConcurrency": 1, "MemorySizeInMB": 2048}},
    ],
}
NETWORK = {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True, "VpcConfig": VPC}
CLUSTER = {"InstanceCount": 2, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20, "VolumeKmsKeyId": KEY}


def _job(kind: str) -> dict[str, Any]:
    """A compliant monitoring job definition of ``kind`` (DataQuality, ModelQuality, ModelBias, ...)."""
    return {
        "RoleArn": ROLE,
        f"{kind}AppSpecification": {"ImageUri": "img"},
        f"{kind}JobInput": {"EndpointInput": {"EndpointName": "e", "LocalPath": "/opt/ml/processing/input"}},
        f"{kind}JobOutputConfig": {"KmsKeyId": KEY, "MonitoringOutputs": []},
        "JobResources": {"ClusterConfig": CLUSTER},
        "NetworkConfig": NETWORK,
    }


SCHEDULE: dict[str, Any] = {
    "MonitoringScheduleName": "s",
    "MonitoringScheduleConfig": {
        "MonitoringJobDefinition": {
            "MonitoringOutputConfig": {"KmsKeyId": KEY, "MonitoringOutputs": []},
            "MonitoringResources": {"ClusterConfig": CLUSTER},
            "NetworkConfig": NETWORK,
        }
    },
}
FEATURE_GROUP: dict[str, Any] = {
    "FeatureGroupName": "fg",
    "RecordIdentifierFeatureName": "id",
    "EventTimeFeatureName": "t",
    "FeatureDefinitions": [{"FeatureName": "id", "FeatureType": "String"}],
    "OnlineStoreConfig": {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": KEY}},
    "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": "s3://b/f", "KmsKeyId": KEY}},
    "Tags": TAGS,
}
EXPERIMENT: dict[str, Any] = {
    "Name": "shadow",
    "Type": "ShadowMode",
    "RoleArn": ROLE,
    "EndpointName": "e",
    "KmsKey": KEY,
    "ModelVariants": [],
    "DataStorageConfig": {"Destination": "s3://b/shadow", "KmsKey": KEY},
}
DOMAIN: dict[str, Any] = {
    "AuthMode": "IAM",
    "DomainName": "d",
    "VpcId": "vpc-1",
    "SubnetIds": ["subnet-a"],
    "AppNetworkAccessType": "VpcOnly",
    "KmsKeyId": KEY,
    "Tags": TAGS,
    "DefaultUserSettings": {
        "ExecutionRole": ROLE,
        "JupyterLabAppSettings": {"AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "ENABLED"}}},
    },
}
IMAGE: dict[str, Any] = {"ImageName": "i", "ImageRoleArn": ROLE, "ImageDescription": "team image", "Tags": TAGS}


def _with(base: dict[str, Any], *path_and_value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with one nested key set (value None deletes it; int keys index lists)."""
    out = copy.deepcopy(base)
    *path, value = path_and_value
    cur: Any = out
    for key in path[:-1]:
        cur = cur[key]
    if value is None:
        cur.pop(path[-1], None)
    else:
        cur[path[-1]] = value
    return out


def _ice(props: dict[str, Any], *prefix: str) -> dict[str, Any]:
    return _with(props, *prefix, "NetworkConfig", "EnableInterContainerTrafficEncryption", False)


def _iso(props: dict[str, Any], *prefix: str) -> dict[str, Any]:
    return _with(props, *prefix, "NetworkConfig", "EnableNetworkIsolation", False)


_INLINE = ("MonitoringScheduleConfig", "MonitoringJobDefinition")

#: control id -> (resource type, compliant properties, properties that break the control)
CONTROL_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "SageMaker.1": (SM + "NotebookInstance", NOTEBOOK, _with(NOTEBOOK, "DirectInternetAccess", "Enabled")),
    "SageMaker.2": (SM + "NotebookInstance", NOTEBOOK, _with(NOTEBOOK, "SubnetId", None)),
    "SageMaker.3": (SM + "NotebookInstance", NOTEBOOK, _with(NOTEBOOK, "RootAccess", None)),
    "SageMaker.4": (
        SM + "EndpointConfig",
        ENDPOINT_CONFIG,
        _with(ENDPOINT_CONFIG, "ProductionVariants", 0, "InitialInstanceCount", 1),
    ),
    "SageMaker.5": (SM + "Model", MODEL, _with(MODEL, "EnableNetworkIsolation", False)),
    "SageMaker.6": (SM + "AppImageConfig", {"AppImageConfigName": "c", "Tags": TAGS}, {"AppImageConfigName": "c"}),
    "SageMaker.7": (SM + "Image", IMAGE, _with(IMAGE, "Tags", [])),
    "SageMaker.8": (SM + "NotebookInstance", NOTEBOOK, _with(NOTEBOOK, "PlatformIdentifier", "notebook-al2-v2")),
    "SageMaker.9": (SM + "DataQualityJobDefinition", _job("DataQuality"), _ice(_job("DataQuality"))),
    "SageMaker.10": (
        SM + "ModelExplainabilityJobDefinition",
        _job("ModelExplainability"),
        _ice(_job("ModelExplainability")),
    ),
    "SageMaker.11": (SM + "DataQualityJobDefinition", _job("DataQuality"), _iso(_job("DataQuality"))),
    "SageMaker.12": (SM + "ModelBiasJobDefinition", _job("ModelBias"), _iso(_job("ModelBias"))),
    "SageMaker.13": (SM + "ModelQualityJobDefinition", _job("ModelQuality"), _ice(_job("ModelQuality"))),
    "SageMaker.14": (SM + "MonitoringSchedule", SCHEDULE, _iso(SCHEDULE, *_INLINE)),
    "SageMaker.15": (SM + "ModelBiasJobDefinition", _job("ModelBias"), _ice(_job("ModelBias"))),
    "SageMaker.16": (
        SM + "Model",
        MODEL,
        _with(MODEL, "PrimaryContainer", "ImageConfig", "RepositoryAccessMode", "Platform"),
    ),
    "SageMaker.17": (
        SM + "FeatureGroup",
        FEATURE_GROUP,
        _with(FEATURE_GROUP, "OfflineStoreConfig", "S3StorageConfig", "KmsKeyId", None),
    ),
    "SageMaker.18": (
        SM + "FeatureGroup",
        FEATURE_GROUP,
        _with(FEATURE_GROUP, "OnlineStoreConfig", "SecurityConfig", None),
    ),
    "SageMaker.19": (SM + "Model", MULTI_MODEL, _with(MULTI_MODEL, "Containers", 1, "ImageConfig", None)),
    "SageMaker.20": (
        SM + "ModelExplainabilityJobDefinition",
        _job("ModelExplainability"),
        _iso(_job("ModelExplainability")),
    ),
    "SageMaker.21": (SM + "NotebookInstance", NOTEBOOK, _with(NOTEBOOK, "KmsKeyId", None)),
    "SageMaker.22": (SM + "MonitoringSchedule", SCHEDULE, _ice(SCHEDULE, *_INLINE)),
    "SageMaker.23": (SM + "InferenceExperiment", EXPERIMENT, _with(EXPERIMENT, "KmsKey", None)),
    "SageMaker.24": (SM + "InferenceExperiment", EXPERIMENT, _with(EXPERIMENT, "DataStorageConfig", "KmsKey", None)),
    "SageMaker.25": (SM + "ModelQualityJobDefinition", _job("ModelQuality"), _iso(_job("ModelQuality"))),
    "sagemaker-domain-in-vpc": (SM + "Domain", DOMAIN, _with(DOMAIN, "AppNetworkAccessType", "PublicInternetOnly")),
    "sagemaker-domain-tagged": (SM + "Domain", DOMAIN, _with(DOMAIN, "Tags", None)),
    "sagemaker-endpoint-configuration-kms-key-configured": (
        SM + "EndpointConfig",
        ENDPOINT_CONFIG,
        _with(ENDPOINT_CONFIG, "KmsKeyId", None),
    ),
    "sagemaker-feature-group-tagged": (SM + "FeatureGroup", FEATURE_GROUP, _with(FEATURE_GROUP, "Tags", None)),
    "sagemaker-image-description": (SM + "Image", IMAGE, _with(IMAGE, "ImageDescription", None)),
    "sagemaker-model-in-vpc": (SM + "Model", MODEL, _with(MODEL, "VpcConfig", None)),
    "sagemaker-notebook-instance-kms-key-configured": (
        SM + "NotebookInstance",
        NOTEBOOK,
        _with(NOTEBOOK, "KmsKeyId", None),
    ),
}

ALL_OPT_IN = list(OptInRule)
CONTROLS = {c.control_id: c for c in ALL_CONTROLS}


def _cid(control_id: str) -> str:
    return control_id.replace(".", "").replace("-", "")


@pytest.fixture(scope="module")
def findings() -> dict[str, set[str]]:
    """Pack findings per construct id, for a good and a bad resource per control (all opt-ins on)."""
    app = App()
    stack = Stack(app, "T")
    for control_id, (rtype, good, bad) in CONTROL_CASES.items():
        CfnResource(stack, f"Good{_cid(control_id)}", type=rtype, properties=good)
        CfnResource(stack, f"Bad{_cid(control_id)}", type=rtype, properties=bad)
    report = SageMakerChecks(opt_in_rules=ALL_OPT_IN).validate_scope(app)
    out: dict[str, set[str]] = defaultdict(set)
    for v in report.violations:
        for res in v.violating_resources:
            out[res.construct_path.removeprefix("T/")].add(v.rule_name)
    return out


def _evaluate(rtype: str, props: dict[str, Any], **kw: Any) -> dict[str, ControlResult]:
    templates = TemplateSet()
    templates.add("S", {"Resources": {"R": {"Type": rtype, "Properties": props}}})
    rules = kw.pop("rules", SageMakerChecks(opt_in_rules=ALL_OPT_IN).rules)
    return {r.control.control_id: r for r in evaluate_controls(templates, rules=rules, **kw)}


# --- the mapping -----------------------------------------------------------------------------------


def test_every_security_hub_sagemaker_control_is_mapped_in_order() -> None:
    assert [c.control_id for c in SECURITY_HUB_CONTROLS] == [f"SageMaker.{n}" for n in range(1, 26)]
    assert all(c.source == "Security Hub" and c.config_rule and c.title for c in SECURITY_HUB_CONTROLS)
    assert all(c.source == "AWS Config" and c.control_id == c.config_rule for c in CONFIG_RULES)


def test_every_mapped_rule_exists_and_every_new_rule_is_mapped() -> None:
    known = set(RULE_IDS) | set(OPT_IN_RULE_IDS)
    for control in ALL_CONTROLS:
        assert control.rule_ids and set(control.rule_ids) <= known, control.control_id
    mapped = {r for c in ALL_CONTROLS for r in c.rule_ids}
    assert set(OPT_IN_RULE_IDS) <= mapped
    for rid in ("NotebookVpc", "NotebookKms", "NotebookPlatformSupported", "InferenceExperimentKms"):
        assert f"SageMaker-{rid}" in mapped


def test_opt_in_controls_are_exactly_the_ones_no_normal_setup_meets() -> None:
    opt_in = {c.control_id: c.opt_in for c in ALL_CONTROLS if c.opt_in is not None}
    assert opt_in == {
        "SageMaker.4": OptInRule.ENDPOINT_CONFIG_MULTI_INSTANCE,
        "SageMaker.16": OptInRule.MODEL_PRIVATE_REGISTRY,
        "SageMaker.19": OptInRule.MODEL_MULTI_CONTAINER_PRIVATE_REGISTRY,
        "sagemaker-domain-tagged": OptInRule.DOMAIN_TAGGED,
        "sagemaker-feature-group-tagged": OptInRule.FEATURE_GROUP_TAGGED,
    }
    assert not set(OPT_IN_RULE_IDS) & set(RULE_IDS)


def test_every_control_has_a_case() -> None:
    assert set(CONTROL_CASES) == set(CONTROLS)


def test_findings_name_the_controls_they_decide() -> None:
    rule = next(r for r in SageMakerChecks().rules if r.id == "MonitoringInterContainerEncryption")
    text = finding_info(rule)
    for n in (9, 10, 13, 15, 22):
        assert f"Security Hub SageMaker.{n}" in text
    assert controls_of_rule("SageMaker-DomainVpcOnly") == ("sagemaker-domain-in-vpc",)
    assert "AWS Config sagemaker-domain-in-vpc" in finding_info(
        next(r for r in SageMakerChecks().rules if r.id == "DomainVpcOnly")
    )


def test_the_finding_in_the_report_names_the_control() -> None:
    app = App()
    CfnResource(Stack(app, "N"), "Nb", type=SM + "NotebookInstance", properties=_with(NOTEBOOK, "SubnetId", None))
    report = SageMakerChecks().validate_scope(app)
    texts = {v.rule_name: v.description for v in report.violations}
    assert "(Security Hub SageMaker.2)" in texts["SageMaker-NotebookVpc"]


def test_doc_urls_point_at_the_aws_pages() -> None:
    assert CONTROLS["SageMaker.14"].doc_url.endswith(
        "/securityhub/latest/userguide/sagemaker-controls.html#sagemaker-14"
    )
    assert CONTROLS["sagemaker-model-in-vpc"].doc_url.endswith("/developerguide/sagemaker-model-in-vpc.html")


# --- each control: a breaking raw L1 resource is flagged, a compliant one passes -------------------


@pytest.mark.parametrize("control_id", sorted(CONTROL_CASES))
def test_breaking_resource_is_flagged_by_the_controls_rule(findings: dict[str, set[str]], control_id: str) -> None:
    rules = set(CONTROLS[control_id].rule_ids)
    assert rules & findings.get(f"Bad{_cid(control_id)}", set()), findings.get(f"Bad{_cid(control_id)}")
    assert not rules & {f.split("[")[0] for f in findings.get(f"Good{_cid(control_id)}", set())}


@pytest.mark.parametrize("control_id", sorted(CONTROL_CASES))
def test_control_result_is_fail_for_the_breaking_and_pass_for_the_compliant_resource(control_id: str) -> None:
    rtype, good, bad = CONTROL_CASES[control_id]
    assert _evaluate(rtype, bad)[control_id].status == FAIL
    assert _evaluate(rtype, good)[control_id].status == PASS


def test_compliant_resources_get_no_finding_at_all(findings: dict[str, set[str]]) -> None:
    assert {cid: f for cid, f in findings.items() if cid.startswith("Good")} == {}


# --- where the control's scope differs from the rule ----------------------------------------------


def test_sagemaker15_applies_only_from_two_instances() -> None:
    single = _with(_ice(_job("ModelBias")), "JobResources", "ClusterConfig", "InstanceCount", 1)
    results = _evaluate(SM + "ModelBiasJobDefinition", single)
    assert results["SageMaker.15"].status == NOT_APPLICABLE
    # the pack rule is stricter and still reports the single-instance job
    assert results["SageMaker.12"].status == PASS
    rule = next(r for r in SageMakerChecks().rules if r.id == "MonitoringInterContainerEncryption")
    assert rule.full_id in CONTROLS["SageMaker.15"].rule_ids


def test_schedules_naming_a_job_definition_are_not_applicable_to_14_and_22() -> None:
    named = {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "dq"}}
    results = _evaluate(SM + "MonitoringSchedule", named)
    assert results["SageMaker.14"].status == NOT_APPLICABLE
    assert results["SageMaker.22"].status == NOT_APPLICABLE


def test_sagemaker18_skips_in_memory_online_stores() -> None:
    in_memory = _with(FEATURE_GROUP, "OnlineStoreConfig", {"EnableOnlineStore": True, "StorageType": "InMemory"})
    assert _evaluate(SM + "FeatureGroup", in_memory)["SageMaker.18"].status == NOT_APPLICABLE


def test_serverless_only_endpoint_config_is_not_applicable_to_sagemaker4() -> None:
    serverless = _with(ENDPOINT_CONFIG, "ProductionVariants", [ENDPOINT_CONFIG["ProductionVariants"][1]])
    assert _evaluate(SM + "EndpointConfig", serverless)["SageMaker.4"].status == NOT_APPLICABLE


def test_bias_job_with_two_instances_and_no_encryption_fails_15(findings: dict[str, set[str]]) -> None:
    assert CONTROL_CASES["SageMaker.15"][2]["JobResources"]["ClusterConfig"]["InstanceCount"] == 2
    assert "SageMaker-MonitoringInterContainerEncryption" in findings["BadSageMaker15"]


# --- statuses --------------------------------------------------------------------------------------


def test_opt_in_controls_are_not_enabled_with_the_default_pack() -> None:
    rtype, _, bad = CONTROL_CASES["SageMaker.16"]
    results = _evaluate(rtype, bad, rules=SageMakerChecks().rules)
    assert results["SageMaker.16"].status == NOT_ENABLED
    assert "opt_in_rules" in results["SageMaker.16"].detail
    assert results["SageMaker.5"].status == PASS


def test_acknowledged_finding_and_unresolved_value() -> None:
    rtype, _, bad = CONTROL_CASES["SageMaker.5"]
    acked = _evaluate(rtype, bad, acknowledgements=[("/S", "SageMaker-ModelNetworkIsolation")])
    assert acked["SageMaker.5"].status == ACKNOWLEDGED
    other = _evaluate(rtype, bad, acknowledgements=[("S/Other", "SageMaker-ModelNetworkIsolation")])
    assert other["SageMaker.5"].status == FAIL
    param = _with(MODEL, "EnableNetworkIsolation", {"Ref": "Isolate"})
    assert _evaluate(rtype, param)["SageMaker.5"].status == CANNOT_VERIFY_STATUS


def test_control_table_rows() -> None:
    rtype, _, bad = CONTROL_CASES["SageMaker.21"]
    rows = {row["control"]: row for row in control_table(_evaluate(rtype, bad).values())}
    row = rows["SageMaker.21"]
    assert row["result"] == FAIL and row["rules"] == "SageMaker-NotebookKms"
    assert "S/R" in row["detail"] and row["checks"] == "KmsKeyId is set"
    assert rows["SageMaker.23"]["result"] == NOT_APPLICABLE


# --- pack parameters -------------------------------------------------------------------------------


def test_required_tag_keys_and_supported_platforms_are_parameters() -> None:
    pack = SageMakerChecks(
        required_tag_keys=["owner"],
        supported_notebook_platforms=["notebook-al2-v3"],
        opt_in_rules=[OptInRule.DOMAIN_TAGGED],
    )
    domain = _evaluate(SM + "Domain", DOMAIN, rules=pack.rules)["sagemaker-domain-tagged"]
    assert domain.status == FAIL and "owner" in domain.detail
    owned = _with(DOMAIN, "Tags", [{"Key": "owner", "Value": "ml"}])
    assert _evaluate(SM + "Domain", owned, rules=pack.rules)["sagemaker-domain-tagged"].status == PASS
    assert _evaluate(SM + "NotebookInstance", NOTEBOOK, rules=pack.rules)["SageMaker.8"].status == FAIL
    old = _with(NOTEBOOK, "PlatformIdentifier", "notebook-al2-v3")
    assert _evaluate(SM + "NotebookInstance", old, rules=pack.rules)["SageMaker.8"].status == PASS


def test_opt_in_rules_are_off_by_default_and_on_when_asked() -> None:
    default_ids = {r.full_id for r in SageMakerChecks().rules}
    assert not default_ids & set(OPT_IN_RULE_IDS)
    one = {r.full_id for r in SageMakerChecks(opt_in_rules=[OptInRule.MODEL_PRIVATE_REGISTRY]).rules}
    assert one - default_ids == {OPT_IN_RULES[OptInRule.MODEL_PRIVATE_REGISTRY].full_id}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"opt_in_rules": ["NoSuchRule"]}, "opt_in_rules has unknown entries"),
        ({"supported_notebook_platforms": []}, "supported_notebook_platforms must name at least one"),
        ({"required_tag_keys": "owner"}, "required_tag_keys must be a sequence of non-empty strings"),
    ],
)
def test_bad_parameters_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SageMakerChecks(**kwargs)


def test_every_control_and_opt_in_rule_is_documented_in_docs_governance_md() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "governance.md").read_text()
    for control in ALL_CONTROLS:
        row = next((line for line in doc.splitlines() if line.startswith(f"| [{control.control_id}](")), "")
        assert row, control.control_id
        assert all(f"`{rid}`" in row for rid in control.rule_ids), control.control_id
    assert all(f"`{rid}`" in doc for rid in OPT_IN_RULE_IDS)
    for opt in OptInRule:
        assert f"OptInRule.{opt.name}" in doc
