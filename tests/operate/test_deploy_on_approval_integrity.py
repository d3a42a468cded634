"""DeployOnApproval with ``package_artifacts``: the artifact check's configuration, grants, contract, metric and alarm.

One governed, validating synth (the serving shape of ``test_deploy_on_approval.py``, with the artifacts
location given); the handler's behaviour is tested against moto in
``tests/lambdas/test_deploy_on_approval_integrity.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_sns as sns

from constructs_ml.contracts.model import Call
from constructs_ml.operate import DeployOnApproval
from constructs_ml.operate.deploy_on_approval_role import INTEGRITY_NAMESPACE
from constructs_ml.serve import (
    ApprovedPackageParameter,
    ContainerImage,
    Endpoint,
    InstanceType,
    InstanceVariant,
    Model,
    ModelData,
    S3Path,
)
from tests.fixtures import ENV, Foundation
from tests.operate.test_retraining import ref
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of

GROUP_ARN = f"arn:aws:sagemaker:{ENV.region}:{ENV.account}:model-package-group/churn"


@dataclass
class Synth:
    result: GovernedSynth
    raw: dict[str, Any]
    stack: Stack
    deployer: DeployOnApproval


@pytest.fixture(scope="module")
def synth() -> Synth:
    app = new_app()
    stack = Stack(app, "Serving", env=ENV)
    f = Foundation(stack)
    assert f.personas is not None
    topic = sns.Topic(stack, "Alerts", master_key=f.keys.messaging, enforce_ssl=True)
    approved = ApprovedPackageParameter("/ml/churn/deployed-package")
    model = Model(
        stack,
        "Model",
        approved_package=approved,
        image=ContainerImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "churn"), "1.0.0"),
        model_data=ModelData.from_bucket(f.buckets.artifacts.bucket, "churn/initial/model.tar.gz"),
        vpc=f.network.vpc,
        vpc_subnets=f.network.subnet_selection,
        security_groups=[f.network.workload_security_group],
        guardrail=f.personas.guardrail.policy,
    )
    endpoint = Endpoint(
        stack,
        "Churn",
        endpoint_name="churn-prod",
        variants=[InstanceVariant(model=model, instance_type=InstanceType.ML_M5_LARGE, initial_instance_count=2)],
        kms_key=f.keys.data,
        alarm_topic=topic,
    )
    assert model.execution_role is not None
    common: dict[str, Any] = {
        "model_package_group": GROUP_ARN,
        "execution_role": model.execution_role,
        "vpc": f.network.vpc,
        "model_security_groups": [f.network.workload_security_group],
        "deployed_package_parameter": approved,
        "key": f.keys.messaging,
        "log_key": f.keys.logs,
        "alarm_topic": topic,
        "endpoint_security_group": f.network.endpoint_security_group,
        "guardrail": f.personas.guardrail.policy,
    }
    deployer = DeployOnApproval.for_endpoint(
        stack,
        "DeployOnApproval",
        endpoint=endpoint,
        package_artifacts=S3Path(f.buckets.artifacts.bucket, "pipelines"),
        **common,
    )
    f.network.connect(deployer.function.security_group, s3=True)
    result = governed_synth(app)
    return Synth(result, result.template(stack), stack, deployer)


def _function(synth: Synth) -> dict[str, Any]:
    return dict(synth.raw["Resources"][ref(synth.stack, synth.deployer.function.function)]["Properties"])


def _role_statements(synth: Synth) -> list[dict[str, Any]]:
    role = ref(synth.stack, synth.deployer.function.role.role)
    return [
        s
        for p in resources_of(synth.raw, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role} in p["Properties"].get("Roles", [])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_governance_clean_and_cfn_lint(synth: Synth) -> None:
    assert_governance_clean(synth.result)
    assert cfn_lint_errors(synth.raw) == []


def test_the_function_is_told_where_artifacts_must_be_and_its_namespace(synth: Synth) -> None:
    env = _function(synth)["Environment"]["Variables"]
    bucket = ref(synth.stack, synth.deployer.package_artifacts.bucket)  # type: ignore[union-attr]
    assert env["ARTIFACT_LOCATIONS"] == {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/pipelines"]]}
    assert env["METRIC_NAMESPACE"] == INTEGRITY_NAMESPACE


def test_the_role_reads_only_the_artifacts_prefix_and_puts_only_its_metric(synth: Synth) -> None:
    statements = {s.get("Sid"): s for s in _role_statements(synth)}
    read = statements["ReadPackageArtifactsForTheIntegrityCheck"]
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["Resource"]["Fn::Join"][1][-1] == "/pipelines/*"
    metric = statements["CountArtifactIntegrityFailures"]
    assert metric["Action"] == "cloudwatch:PutMetricData"
    assert metric["Condition"] == {"StringEquals": {"cloudwatch:namespace": INTEGRITY_NAMESPACE}}
    writes = [s for s in _role_statements(synth) if "s3:PutObject" in str(s["Action"])]
    assert writes == []


def test_refused_artifacts_raise_an_alarm_on_the_topic(synth: Synth) -> None:
    alarm = synth.deployer.integrity_alarm
    assert alarm is not None
    props = synth.raw["Resources"][ref(synth.stack, alarm)]["Properties"]
    assert props["MetricName"] == "ArtifactIntegrityFailures"
    assert props["Namespace"] == INTEGRITY_NAMESPACE
    assert props["Dimensions"] == [{"Name": "EndpointName", "Value": "churn-prod"}]
    assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["TreatMissingData"] == "notBreaching"
    assert len(props["AlarmActions"]) == 1


def test_the_contract_states_the_checks_calls(synth: Synth) -> None:
    entries = synth.deployer.function.contract.entries
    calls = {(e.action, e.expect) for e in entries if isinstance(e, Call)}
    assert {
        ("s3:GetObject", "allow"),
        ("cloudwatch:PutMetricData", "allow"),
        ("cloudwatch:PutMetricData", "deny"),
        ("s3:PutObject", "deny"),
    } <= calls
