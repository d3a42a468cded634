"""ModelMonitor, pipeline backend (the default): scheduled SageMaker pipelines, no Model Monitor resource."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker
from constructs_ml.governance.acknowledgements import find_entry
from constructs_ml.operate import AlarmTopic, ModelMonitor, MonitoringType, PipelineMonitor
from constructs_ml.operate import monitor_job_script as script
from constructs_ml.serve import DataCapture, Endpoint, InstanceVariant, S3Path
from tests.develop.definition_schema import body_of, botocore_errors, schema_errors
from tests.operate.test_monitor import JOB_TYPES, monitor_props
from tests.serve.conftest import foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    monitor: ModelMonitor
    endpoint: Endpoint


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    f = foundation(app, "PipelineMonitor")
    topic = AlarmTopic(f.stack, "Alarms", master_key=f.keys.messaging)
    endpoint = Endpoint(
        f.stack,
        "Churn",
        variants=[InstanceVariant(model=f.model())],
        kms_key=f.keys.data,
        data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "capture/churn")),
        alarm_topic=topic.topic,
    )
    props = monitor_props(f)
    props.pop("backend")  # the default
    b = Built()
    b.endpoint = endpoint
    b.monitor = ModelMonitor(f.stack, "ChurnMonitor", endpoint=endpoint, alarm_topic=topic.topic, **props)
    b.result = governed_synth(app)
    b.template = b.result.template(f.stack)
    return b


def _definitions(built: Built) -> dict[str, dict[str, Any]]:
    out = {}
    for resource in resources_of(built.template, "AWS::SageMaker::Pipeline").values():
        body = body_of(resource)
        kind = json.loads(json.dumps(body))["Steps"][0]["Arguments"]["Environment"]["MONITOR_KIND"]
        out[kind] = body
    return out


def _steps(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    steps = {s["Name"]: s for s in body["Steps"]}
    for s in list(steps.values()):
        for branch in ("IfSteps", "ElseSteps"):
            steps.update({x["Name"]: x for x in s.get("Arguments", {}).get(branch, [])})
    return steps


def test_governance_clean_with_reviewed_network_acknowledgements_only(built: Built) -> None:
    assert_governance_clean(built.result)
    mine = [a for a in built.result.acknowledgements() if "/ChurnMonitor" in a[0]]
    network = {rule for _, rule, reason in mine if find_entry(rule, reason) == "monitor-jobs-need-aws-apis"}
    # Window and Publish steps of each pipeline; Analyze only where Clarify needs its shadow endpoint.
    assert network == {
        "SageMaker-PipelineStepNetworkIsolation[Window]",
        "SageMaker-PipelineStepNetworkIsolation[Publish]",
        "SageMaker-PipelineStepNetworkIsolation[Analyze]",
    }
    analyze = [p for p, rule, _ in mine if rule.endswith("[Analyze]")]
    assert len(analyze) == 1 and "/ModelExplainability/" in analyze[0]


def test_cfn_lint_clean(built: Built) -> None:
    assert cfn_lint_errors(built.template) == []


def test_no_model_monitor_resource_four_scheduled_pipelines(built: Built) -> None:
    t = built.template
    for job_type in (*JOB_TYPES, "AWS::SageMaker::MonitoringSchedule"):
        assert resources_of(t, job_type) == {}
    pipelines = resources_of(t, "AWS::SageMaker::Pipeline")
    assert len(pipelines) == 4
    rules = [
        r["Properties"]
        for r in resources_of(t, "AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
    ]
    assert sorted(r["ScheduleExpression"] for r in rules) == sorted(
        ["cron(0 * ? * * *)", "cron(0 * ? * * *)", "cron(0 0 ? * * *)", "cron(0 3 ? * * *)"]
    )
    for r in rules:
        (target,) = r["Targets"]
        assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 3600
        assert target["RoleArn"]["Fn::GetAtt"][0].startswith("ChurnMonitorTriggerRole")
    assert set(built.monitor.schedules) == set(MonitoringType)
    assert all(isinstance(s, PipelineMonitor) for s in built.monitor.schedules.values())
    assert built.monitor.monitoring_schedules == []


def test_definitions_validate_against_the_schema_and_botocore(built: Built) -> None:
    for kind, body in _definitions(built).items():
        assert schema_errors(body) == [], kind
        assert botocore_errors(body) == [], kind


def test_steps_window_gate_analyze_publish(built: Built) -> None:
    defs = _definitions(built)
    for kind, body in defs.items():
        steps = _steps(body)
        assert list(steps) == ["Window", "HasRecords", "Analyze", "Publish"], kind
        isolation = {
            n: s["Arguments"]["NetworkConfig"]["EnableNetworkIsolation"] for n, s in steps.items() if n != "HasRecords"
        }
        assert isolation == {"Window": False, "Analyze": kind != "ModelExplainability", "Publish": False}
        for name in ("Window", "Analyze", "Publish"):
            net = steps[name]["Arguments"]["NetworkConfig"]
            assert net["EnableInterContainerTrafficEncryption"] is True and net["VpcConfig"]["Subnets"]
        window_env = steps["Window"]["Arguments"]["Environment"]
        assert window_env["EXECUTION_START"] == {"Get": "Execution.StartDateTime"}
        assert "capture/churn/" in window_env["CAPTURE_URI"]
    mq = _steps(defs["ModelQuality"])
    env = mq["Window"]["Arguments"]["Environment"]
    assert (env["START_OFFSET"], env["END_OFFSET"]) == ("-PT2H", "-PT1H")
    assert env["PROBABILITY_ATTRIBUTE"] == "1" and env["PROBABILITY_THRESHOLD"] == "0.5"
    assert "ground-truth/churn/" in env["GROUND_TRUTH_URI"]
    analyze = mq["Analyze"]["Arguments"]["Environment"]
    assert analyze["analysis_type"] == "MODEL_QUALITY" and analyze["problem_type"] == "BinaryClassification"
    assert analyze["probability_threshold_attribute"] == "0.5" and analyze["publish_cloudwatch_metrics"] == "Disabled"
    dq = _steps(defs["DataQuality"])["Analyze"]["Arguments"]
    assert "sagemaker-model-monitor-analyzer" in json.dumps(dq["AppSpecification"])
    assert any("baselines/churn/data/constraints.json" in json.dumps(i) for i in dq["ProcessingInputs"])
    clarify = _steps(defs["ModelBias"])["Analyze"]["Arguments"]
    assert "ContainerEntrypoint" not in clarify["AppSpecification"]  # Clarify supports none
    assert {i["InputName"] for i in clarify["ProcessingInputs"]} >= {"analysis_config", "dataset"}
    publish = _steps(defs["DataQuality"])["Publish"]["Arguments"]["Environment"]
    assert publish["NAMESPACE"] == "aws/sagemaker/Endpoints/data-metrics"
    assert publish["MONITOR_NAME"] == built.monitor.schedule(MonitoringType.DATA_QUALITY).monitoring_schedule_name


def test_the_shipped_helper_is_the_module_verbatim(built: Built) -> None:
    steps = _steps(next(iter(_definitions(built).values())))
    app = steps["Window"]["Arguments"]["AppSpecification"]
    assert app["ContainerEntrypoint"][:2] == ["python3", "-c"]
    assert all(len(a) <= 256 for a in app["ContainerArguments"]) and len(app["ContainerArguments"]) <= 100
    shipped = zlib.decompress(base64.b64decode("".join(app["ContainerArguments"])))
    assert shipped == Path(script.__file__).read_bytes()


def test_violations_and_drift_alarms_feed_the_retraining_trigger(built: Built) -> None:
    alarms = built.monitor.alarms
    names = {a.node.id for a in alarms}
    assert "Violations" in names and "Alarm-accuracy" in names and "Alarm-feature_baseline_drift_tenure" in names
    t = built.template
    metrics = {r["Properties"].get("MetricName") for r in resources_of(t, "AWS::CloudWatch::Alarm").values()}
    assert {"constraint_violations", "accuracy", "feature_baseline_drift_tenure", "ExecutionFailed"} <= metrics
    assert len(built.monitor.operational_alarms) == 5  # four pipelines' failures + the dead-letter queue


def test_job_role_reads_capture_ground_truth_baselines_and_publishes_metrics(built: Built) -> None:
    assert built.monitor.role is not None
    policies = resources_of(built.template, "AWS::IAM::ManagedPolicy")
    text = json.dumps([p for k, p in policies.items() if k.startswith("ChurnMonitorRole")])
    for needle in (
        "capture/churn",
        "ground-truth/churn",
        "baselines/churn",
        "cloudwatch:PutMetricData",
        "sm-clarify-*",
    ):
        assert needle in text, needle


def test_every_monitor_role_has_an_honoured_contract(built: Built) -> None:
    report = ContractChecker(Assembly(str(built.result.outdir))).check()
    mine = {path for path in report.roles if "/ChurnMonitor/" in path}
    # The jobs' role, the EventBridge role, and each pipeline's role.
    assert any(p.endswith("/ChurnMonitor/Role/Resource/Resource") for p in mine)
    assert any("/ChurnMonitor/TriggerRole/" in p for p in mine)
    assert sum("/Pipeline/PipelineRole/" in p for p in mine) == 4
    assert not [r for r in report.roles_without_contract if "/ChurnMonitor/" in r]
    assert report.ok, report.summary()


def test_pipeline_roles_get_the_guardrail_minus_isolation_and_the_job_role_keeps_the_platforms(built: Built) -> None:
    assert built.monitor.pipeline_guardrail is not None
    policies = resources_of(built.template, "AWS::IAM::ManagedPolicy")
    (monitoring,) = [p for k, p in policies.items() if k.startswith("ChurnMonitorPipelineGuardrail")]
    sids = {s["Sid"] for s in monitoring["Properties"]["PolicyDocument"]["Statement"]}
    assert "DenyWithoutNetworkIsolation" not in sids and {"DenyWithoutVolumeKey", "DenyForeignSubnets"} <= sids
    roles = resources_of(built.template, "AWS::IAM::Role")
    pipeline_roles = [r for k, r in roles.items() if "PipelinePipelineRole" in k and k.startswith("ChurnMonitor")]
    assert len(pipeline_roles) == 4
    for role in pipeline_roles:
        assert "ChurnMonitorPipelineGuardrail" in json.dumps(role["Properties"]["ManagedPolicyArns"])
    (job_role,) = [r for k, r in roles.items() if k.startswith("ChurnMonitorRole")]
    arns = json.dumps(job_role["Properties"]["ManagedPolicyArns"])
    assert ("ChurnMonitorPipelineGuardrail" not in arns and "GuardrailPolicy" in arns) or "Guardrail" in arns


def test_the_jobs_role_guardrail_exempts_only_clarify_shadow_endpoint_configs_from_the_volume_key(
    built: Built,
) -> None:
    """Without the exception Clarify's shadow endpoint config is denied (the role's contract above fails)."""
    assert built.monitor.job_guardrail is not None
    policies = resources_of(built.template, "AWS::IAM::ManagedPolicy")
    (guardrail,) = [p for k, p in policies.items() if k.startswith("ChurnMonitorJobGuardrail")]
    statements = {s["Sid"]: s for s in guardrail["Properties"]["PolicyDocument"]["Statement"]}
    no_key = statements["DenyInstanceEndpointConfigWithoutVolumeKey"]
    assert "Resource" not in no_key and no_key["Effect"] == "Deny"
    assert json.dumps(no_key["NotResource"]).endswith(':endpoint-config/sm-clarify-*"]]}')
    # Every other control stays, for every resource.
    assert {"DenyForeignVolumeKey", "DenyInstanceEndpointConfigOutsideVpc", "DenyWithoutNetworkIsolation"} <= set(
        statements
    )
    assert statements["DenyForeignVolumeKey"]["Resource"] == "*"
    roles = resources_of(built.template, "AWS::IAM::Role")
    (job_role,) = [r for k, r in roles.items() if k.startswith("ChurnMonitorRole")]
    arns = json.dumps(job_role["Properties"]["ManagedPolicyArns"])
    assert "ChurnMonitorJobGuardrail" in arns
    warnings = [m.data for m in built.monitor.job_guardrail.node.metadata if m.type == "aws:cdk:warning"]
    assert any("sm-clarify-* may omit the volume key" in str(w) for w in warnings), warnings
