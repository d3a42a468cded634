"""ModelMonitor(baselines_from=PackageBaselines): the monitors compare against the baselines the deployed model
package version records (written by the build pipeline's check steps), resolved by each run's Window step."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk import aws_s3 as s3

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker
from constructs_ml.contracts.model import Call, Reach, WorkloadContract
from constructs_ml.errors import ValidationError
from constructs_ml.operate import (
    AlarmTopic,
    CaptureAttributes,
    DataQualityMonitor,
    ExplainabilityMonitor,
    ModelMonitor,
    ModelQualityMonitor,
    MonitorBackend,
    PackageBaselines,
    ProblemType,
)
from constructs_ml.serve import ApprovedPackageParameter, DataCapture, Endpoint, InstanceVariant, S3Path
from tests.develop.definition_schema import body_of, botocore_errors, schema_errors
from tests.serve.conftest import Foundation, foundation
from tests.support import GovernedSynth, assert_governance_clean, governed_synth, new_app, resources_of

PARAMETER = "/constructs-ml/churn/deployed-package"


def _props(f: Foundation, **overrides: Any) -> dict[str, Any]:
    art = f.buckets.artifacts.bucket
    topic = AlarmTopic(f.stack, f"Alarms{len(overrides)}", master_key=f.keys.messaging)
    endpoint = Endpoint(
        f.stack,
        f"Churn{len(overrides)}",
        variants=[InstanceVariant(model=f.model())],
        kms_key=f.keys.data,
        data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "capture/churn")),
        alarm_topic=topic.topic,
    )
    props: dict[str, Any] = {
        "endpoint": endpoint,
        "alarm_topic": topic.topic,
        "output": S3Path(f.buckets.capture.bucket, "monitoring/churn"),
        "kms_key": f.keys.data,
        "vpc": f.network.vpc,
        "vpc_subnets": f.network.subnet_selection,
        "security_groups": [f.network.workload_security_group],
        "guardrail": f.guardrail.policy,
        "baselines_from": PackageBaselines(
            deployed_package=ApprovedPackageParameter(PARAMETER),
            model_package_group_name="churn",
            artifacts=S3Path(art, "pipelines"),
        ),
        "data_quality": DataQualityMonitor(baseline=S3Path(art, "baselines/churn/data-quality")),
        "model_quality": ModelQualityMonitor(
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=S3Path(f.buckets.data.bucket, "ground-truth/churn"),
            attributes=CaptureAttributes(probability_attribute="0", probability_threshold=0.5),
        ),
    }
    props.update(overrides)
    return props


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    monitor: ModelMonitor


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    f = foundation(app, "PackageBaselines")
    b = Built()
    b.monitor = ModelMonitor(f.stack, "ChurnMonitor", **_props(f))
    b.result = governed_synth(app)
    b.template = b.result.template(f.stack)
    return b


def _steps(built: Built) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for resource in resources_of(built.template, "AWS::SageMaker::Pipeline").values():
        body = body_of(resource)
        steps = {s["Name"]: s for s in body["Steps"]}
        for s in list(steps.values()):
            steps.update({x["Name"]: x for x in s.get("Arguments", {}).get("IfSteps", [])})
        out[steps["Window"]["Arguments"]["Environment"]["MONITOR_KIND"]] = steps
        assert schema_errors(body) == [] and botocore_errors(body) == []
    return out


def test_governance_clean(built: Built) -> None:
    assert_governance_clean(built.result)


def test_window_resolves_the_baseline_and_the_analysis_reads_it_from_there(built: Built) -> None:
    steps = _steps(built)
    data = steps["DataQuality"]
    env = data["Window"]["Arguments"]["Environment"]
    assert env["BASELINE_PARAMETER"] == PARAMETER
    assert env["BASELINE_URI"].endswith("/baselines/churn/data-quality/")
    outputs = {o["OutputName"] for o in data["Window"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]}
    assert outputs == {"dataset", "window", "baseline"}
    window_baseline = {"Get": "Steps.Window.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"}
    for step in ("Analyze", "Publish"):
        inputs = {i["InputName"]: i["S3Input"] for i in data[step]["Arguments"]["ProcessingInputs"]}
        assert inputs["baseline"]["S3Uri"] == window_baseline, step
        assert inputs["baseline"]["LocalPath"] == "/opt/ml/processing/input/baseline"
    analyze = data["Analyze"]["Arguments"]
    assert {i["InputName"] for i in analyze["ProcessingInputs"]} == {"endpoint", "baseline"}
    assert analyze["Environment"]["baseline_constraints"] == "/opt/ml/processing/input/baseline/constraints.json"
    assert analyze["Environment"]["baseline_statistics"] == "/opt/ml/processing/input/baseline/statistics.json"
    # Model quality without a static baseline: the deployed version's only.
    model = steps["ModelQuality"]
    assert "BASELINE_URI" not in model["Window"]["Arguments"]["Environment"]
    assert model["Analyze"]["Arguments"]["Environment"]["baseline_constraints"].endswith("/baseline/constraints.json")


def test_analysis_runs_only_with_records_and_a_baseline(built: Built) -> None:
    for kind, steps in _steps(built).items():
        (gate,) = [s for s in steps.values() if s["Type"] == "Condition"]
        got = [c["LeftValue"]["Std:JsonGet"]["Path"] for c in gate["Arguments"]["Conditions"]]
        assert got == ["records", "baseline"], kind


def test_job_role_reads_the_parameter_the_groups_versions_and_their_files(built: Built) -> None:
    (policy,) = [
        p
        for k, p in resources_of(built.template, "AWS::IAM::ManagedPolicy").items()
        if k.startswith("ChurnMonitorRole")
    ]
    statements = {s.get("Sid"): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert statements["DeployedPackage"]["Action"] == "ssm:GetParameter"
    assert "parameter/constructs-ml/churn/deployed-package" in json.dumps(statements["DeployedPackage"]["Resource"])
    assert statements["DeployedPackageBaselines"]["Action"] == "sagemaker:DescribeModelPackage"
    assert "model-package/churn/*" in json.dumps(statements["DeployedPackageBaselines"]["Resource"])
    text = json.dumps(policy["Properties"]["PolicyDocument"])
    assert "/pipelines/*" in text


def test_the_job_roles_contract_covers_the_resolution_and_is_honoured(built: Built) -> None:
    assert built.monitor.role is not None
    entries = WorkloadContract.of(built.monitor.role).entries
    calls = {(e.action, e.expect) for e in entries if isinstance(e, Call)}
    assert {
        ("ssm:GetParameter", "allow"),
        ("sagemaker:DescribeModelPackage", "allow"),
        ("sagemaker:DescribeModelPackage", "deny"),
        ("s3:GetObject", "allow"),
    } <= calls
    assert {"ssm", "sagemaker.api"} <= {e.service for e in entries if isinstance(e, Reach)}
    report = ContractChecker(Assembly(str(built.result.outdir))).check()
    assert report.ok, report.summary()


# -- bad props (no synth) ----------------------------------------------------------------------------


def test_baselines_from_needs_the_pipeline_backend_and_good_names() -> None:
    f = foundation(App(), "Bad")
    bad = PackageBaselines(
        deployed_package=ApprovedPackageParameter("no-slash"),
        model_package_group_name="churn_model",
        artifacts=S3Path(f.buckets.artifacts.bucket, "s3://pipelines"),
    )
    with pytest.raises(ValidationError) as err:
        ModelMonitor(f.stack, "M", **_props(f, baselines_from=bad, backend=MonitorBackend.MODEL_MONITOR))
    text = str(err.value)
    assert "Bad/M: baselines_from.deployed_package parameter_name must be an SSM parameter name" in text
    assert "baselines_from.model_package_group_name must be a model package group name" in text
    assert "got 'churn_model'" in text
    assert "baselines_from.artifacts must be a key prefix like 'capture/churn'" in text
    assert "baselines_from needs the pipeline backend (got 'ModelMonitor')" in text


def test_explainability_with_package_baselines_reads_analysis_json() -> None:
    app = new_app(governed=False, validate_cfn=False)
    f = foundation(app, "Explain")
    art = f.buckets.artifacts.bucket
    ModelMonitor(
        f.stack,
        "M",
        **_props(
            f,
            data_quality=None,
            model_quality=None,
            explainability=ExplainabilityMonitor(analysis_config=S3Path(art, "baselines/churn/explainability/a.json")),
        ),
    )
    template = app.synth().get_stack_by_name(f.stack.stack_name).template
    (pipeline,) = resources_of(template, "AWS::SageMaker::Pipeline").values()
    body = body_of(pipeline)
    (gate,) = [s for s in body["Steps"] if s["Type"] == "Condition"]
    (analyze,) = [s for s in gate["Arguments"]["IfSteps"] if s["Name"] == "Analyze"]
    env = analyze["Arguments"]["Environment"]
    assert env["baseline_constraints"] == "/opt/ml/processing/input/baseline/analysis.json"
    inputs = {i["InputName"] for i in analyze["Arguments"]["ProcessingInputs"]}
    assert inputs == {"analysis_config", "dataset", "baseline"}


def test_a_registry_account_needs_an_account_id_and_a_named_bucket() -> None:
    f = foundation(App(), "BadRegistry")
    bad = PackageBaselines(
        deployed_package=ApprovedPackageParameter(PARAMETER),
        model_package_group_name="churn",
        artifacts=S3Path(f.buckets.artifacts.bucket, "pipelines"),  # a generated name: not nameable elsewhere
        registry_account="2222",
    )
    with pytest.raises(ValidationError) as err:
        ModelMonitor(f.stack, "M", **_props(f, baselines_from=bad))
    text = str(err.value)
    assert "BadRegistry/M: baselines_from.registry_account must be a 12-digit AWS account id (got '2222')" in text
    assert "baselines_from.artifacts must be a bucket with a literal name" in text


def test_a_registry_accounts_versions_are_described_there() -> None:
    f = foundation(App(), "Registry")
    baselines = PackageBaselines(
        deployed_package=ApprovedPackageParameter(PARAMETER),
        model_package_group_name="Churn",
        artifacts=S3Path(s3.Bucket.from_bucket_name(f.stack, "Central", "central-artifacts"), "pipelines"),
        registry_account="222222222222",
    )
    # SageMaker writes model package ARNs in lower case.
    assert baselines.version_arn(f.stack, "*").endswith(":sagemaker:eu-west-1:222222222222:model-package/churn/*")
