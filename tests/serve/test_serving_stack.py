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
        ("AWS::SageMaker::MonitoringSchedule", 4),
        ("AWS::ApplicationAutoScaling::ScalableTarget", 1),
        ("AWS::CloudWatch::Dashboard", 1),
        ("AWS::SNS::Topic", 1),
    ):
        assert len(resources_of(t, type_name)) == count, type_name
    assert len(resources_of(t, "AWS::CloudWatch::Alarm")) == 2 + 6 + 3  # rollback, endpoint, drift (2 + accuracy)


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
