"""The reference serving stack: governed synth with a foundation stack that records the approved package."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack

from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, SageMakerGuardrail
from constructs_ml.serve import ApprovedPackageParameter, ApprovedPackageRecord
from stacks.serving import ServingConfig, ServingStack
from tests.serve.conftest import ENV, S3_PREFIX_LIST
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    base: dict[str, Any]
    stack: ServingStack


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    base = Stack(app, "Base", env=ENV)
    keys = PlatformKeys(base, "Keys")
    network = MlNetwork(base, "Network", logs_key=keys.logs, s3_prefix_list_id=S3_PREFIX_LIST)
    buckets = PlatformBuckets(base, "Buckets", key=keys.data)
    guardrail = SageMakerGuardrail(base, "Guardrail", keys=[keys.data])
    config = ServingConfig(drift_features=("tenure", "monthly_charges"))
    assert config.approved_package_parameter is not None
    ApprovedPackageRecord(
        base, "DeployedPackage", parameter=ApprovedPackageParameter(config.approved_package_parameter)
    )
    b = Built()
    b.stack = ServingStack(
        app, "Serving", config=config, keys=keys, network=network, buckets=buckets, guardrail=guardrail.policy, env=ENV
    )
    b.result = governed_synth(app)
    b.template = b.result.template(b.stack)
    b.base = b.result.template(base)
    return b


def test_governance_clean(built: Built) -> None:
    assert_governance_clean(built.result)


def test_cfn_lint_clean(built: Built) -> None:
    assert cfn_lint_errors(built.template) == []
    assert cfn_lint_errors(built.base) == []


def test_everything_is_there(built: Built) -> None:
    t = built.template
    for type_name, count in (
        ("AWS::SageMaker::Model", 1),
        ("AWS::SageMaker::EndpointConfig", 1),
        ("AWS::SageMaker::Endpoint", 1),
        ("AWS::SageMaker::Pipeline", 4),  # the monitors (pipeline backend, the default)
        ("AWS::SageMaker::MonitoringSchedule", 0),
        ("AWS::SageMaker::DataQualityJobDefinition", 0),
        ("AWS::SageMaker::ModelExplainabilityJobDefinition", 0),
        ("AWS::ApplicationAutoScaling::ScalableTarget", 1),
        ("AWS::CloudWatch::Dashboard", 1),
        ("AWS::SNS::Topic", 1),
    ):
        assert len(resources_of(t, type_name)) == count, type_name
    # rollback, endpoint, drift (2 + accuracy), violations and failed runs per monitor, schedule dead letters
    assert len(resources_of(t, "AWS::CloudWatch::Alarm")) == 2 + 6 + 3 + 4 + 4 + 1
    schedules = [r for r in resources_of(t, "AWS::Events::Rule").values() if "ScheduleExpression" in r["Properties"]]
    assert len(schedules) == 4


def test_model_quality_reads_a_probability_and_joins_late_labels(built: Built) -> None:
    import json

    from tests.develop.definition_schema import body_of

    bodies = [body_of(p) for p in resources_of(built.template, "AWS::SageMaker::Pipeline").values()]
    (mq,) = [b for b in bodies if b["Steps"][0]["Arguments"]["Environment"]["MONITOR_KIND"] == "ModelQuality"]
    env = mq["Steps"][0]["Arguments"]["Environment"]
    assert env["PROBABILITY_ATTRIBUTE"] == "0" and env["PROBABILITY_THRESHOLD"] == "0.5"
    assert "INFERENCE_ATTRIBUTE" not in env  # the score is not taken for a label
    assert (env["START_OFFSET"], env["END_OFFSET"]) == ("-P1D", "-PT23H")
    assert "probability_threshold_attribute" in json.dumps(mq)


def test_model_monitor_backend_is_opt_in() -> None:
    from constructs_ml.operate import MonitorBackend

    app = new_app(governed=False, validate_cfn=False)
    base = Stack(app, "Base", env=ENV)
    keys = PlatformKeys(base, "Keys")
    network = MlNetwork(base, "Network", logs_key=keys.logs, s3_prefix_list_id=S3_PREFIX_LIST)
    buckets = PlatformBuckets(base, "Buckets", key=keys.data)
    config = ServingConfig(monitor_backend=MonitorBackend.MODEL_MONITOR, approved_package_parameter=None)
    stack = ServingStack(app, "Serving", config=config, keys=keys, network=network, buckets=buckets, env=ENV)
    t = app.synth().get_stack_by_name(stack.stack_name).template
    assert len(resources_of(t, "AWS::SageMaker::MonitoringSchedule")) == 4
    assert resources_of(t, "AWS::SageMaker::Pipeline") == {}
    (shap,) = resources_of(t, "AWS::SageMaker::ModelExplainabilityJobDefinition").values()
    assert shap["Properties"]["NetworkConfig"]["EnableNetworkIsolation"] is False
    (mq,) = resources_of(t, "AWS::SageMaker::ModelQualityJobDefinition").values()
    ep = mq["Properties"]["ModelQualityJobInput"]["EndpointInput"]
    assert ep["ProbabilityAttribute"] == "0" and ep["ProbabilityThresholdAttribute"] == 0.5
    assert "InferenceAttribute" not in ep and ep["StartTimeOffset"] == "-P1D"


def test_deploys_before_any_approval(built: Built) -> None:
    (param,) = resources_of(built.base, "AWS::SSM::Parameter").values()
    assert param["Properties"] == {
        "Type": "String",
        "Value": "none",
        "Name": "/constructs-ml/churn/deployed-package",
        "Description": param["Properties"]["Description"],
    }
    (model,) = resources_of(built.template, "AWS::SageMaker::Model").values()
    _, approved, initial = model["Properties"]["PrimaryContainer"]["Fn::If"]
    assert "ModelPackageName" in approved and "churn/initial/model.tar.gz" in str(initial["ModelDataUrl"])


def test_every_alarm_notifies_the_topic(built: Built) -> None:
    topics = resources_of(built.template, "AWS::SNS::Topic")
    for alarm in resources_of(built.template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] and all(
            a["Ref"] in topics for a in alarm["Properties"]["AlarmActions"]
        )
