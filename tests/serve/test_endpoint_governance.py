"""Governed, validating synth of a real-time endpoint on the platform foundation (SM-05..07, CW-01)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Match, Template

from constructs_ml.serve import (
    Autoscaling,
    DataCapture,
    DeploymentConfig,
    Endpoint,
    InstanceType,
    InstanceVariant,
    S3Path,
)
from tests.serve.conftest import foundation
from tests.support import (
    GovernedSynth,
    assert_governance_clean,
    cfn_lint_errors,
    governed_synth,
    new_app,
    resources_of,
)


@pytest.fixture(scope="module")
def synth() -> tuple[GovernedSynth, Stack, Endpoint]:
    app = new_app()
    f = foundation(app)
    model = f.model()
    endpoint = Endpoint(
        f.stack,
        "Churn",
        variants=[
            InstanceVariant(
                model=model,
                instance_type=InstanceType.ML_M5_LARGE,
                initial_instance_count=2,
                autoscaling=Autoscaling.invocations_per_instance(150, max_capacity=6, min_capacity=2),
            )
        ],
        kms_key=f.keys.data,
        data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "churn"), sampling_percentage=50),
        deployment=DeploymentConfig.canary(10),
    )
    return governed_synth(app), f.stack, endpoint


@pytest.fixture(scope="module")
def template(synth: tuple[GovernedSynth, Stack, Endpoint]) -> dict[str, Any]:
    result, stack, _ = synth
    return result.template(stack)


@pytest.fixture(scope="module")
def tpl(template: dict[str, Any]) -> Template:
    return Template.from_json(template)


def test_governance_clean(synth: tuple[GovernedSynth, Stack, Endpoint]) -> None:
    assert_governance_clean(synth[0])


def test_no_acknowledgement_on_the_endpoint(synth: tuple[GovernedSynth, Stack, Endpoint]) -> None:
    result, _, endpoint = synth
    mine = [a for a in result.acknowledgements() if a[0].startswith(f"/{endpoint.node.path}")]
    assert mine == []


def test_cfn_lint_clean(template: dict[str, Any]) -> None:
    assert cfn_lint_errors(template) == []


def test_no_inline_policies(template: dict[str, Any]) -> None:
    assert resources_of(template, "AWS::IAM::Policy") == {}
    for logical_id, role in resources_of(template, "AWS::IAM::Role").items():
        if logical_id.startswith("CustomVpcRestrictDefaultSG"):
            continue  # the foundation's CDK provider (allowlisted there), not a construct of this package
        assert "Policies" not in role["Properties"], logical_id


def test_sm05_model_is_isolated_in_two_subnets(tpl: Template, template: dict[str, Any]) -> None:
    tpl.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "EnableNetworkIsolation": True,
            "VpcConfig": {"SecurityGroupIds": Match.any_value(), "Subnets": Match.any_value()},
        },
    )
    (model,) = resources_of(template, "AWS::SageMaker::Model").values()
    subnets = model["Properties"]["VpcConfig"]["Subnets"]
    assert len(subnets) == 2
    azs = {template["Resources"][s["Ref"]]["Properties"]["AvailabilityZone"] for s in subnets}
    assert len(azs) == 2


def test_sm06_volumes_use_the_platform_key(tpl: Template) -> None:
    tpl.has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("KeysDataKey"), "Arn"]}}
    )


def test_sm07_data_capture_is_encrypted_and_sampled(tpl: Template) -> None:
    tpl.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "DataCaptureConfig": {
                "EnableCapture": True,
                "InitialSamplingPercentage": 50,
                "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("KeysDataKey"), "Arn"]},
                "DestinationS3Uri": {
                    "Fn::Join": ["", ["s3://", {"Ref": Match.string_like_regexp("BucketsCapture")}, "/churn"]]
                },
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            }
        },
    )


def test_blue_green_canary_rolls_back_on_the_created_alarms(template: dict[str, Any]) -> None:
    (endpoint,) = resources_of(template, "AWS::SageMaker::Endpoint").values()
    config = endpoint["Properties"]["DeploymentConfig"]
    routing = config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "CANARY",
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        "WaitIntervalInSeconds": 300,
    }
    alarm_refs = {a["AlarmName"]["Ref"] for a in config["AutoRollbackConfiguration"]["Alarms"]}
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    assert alarm_refs <= set(alarms)
    metrics = {alarms[r]["Properties"]["MetricName"] for r in alarm_refs}
    assert metrics == {"Invocation5XXErrors", "ModelLatency"}
    for r in alarm_refs:
        dims = {d["Name"]: d["Value"] for d in alarms[r]["Properties"]["Dimensions"]}
        assert dims == {"EndpointName": endpoint["Properties"]["EndpointName"], "VariantName": "AllTraffic"}


def test_cw01_every_alarm_notifies_an_encrypted_tls_only_topic(template: dict[str, Any]) -> None:
    topics = resources_of(template, "AWS::SNS::Topic")
    for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values():
        actions = alarm["Properties"]["AlarmActions"]
        assert actions, alarm
        assert all(a["Ref"] in topics for a in actions)
    for topic in topics.values():
        assert "KmsMasterKeyId" in topic["Properties"]
    policies = resources_of(template, "AWS::SNS::TopicPolicy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_autoscaling_tracks_invocations_per_instance(tpl: Template, template: dict[str, Any]) -> None:
    (endpoint,) = resources_of(template, "AWS::SageMaker::Endpoint").values()
    name = endpoint["Properties"]["EndpointName"]
    tpl.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "ResourceId": f"endpoint/{name}/variant/AllTraffic",
            "MinCapacity": 2,
            "MaxCapacity": 6,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "RoleARN": Match.absent(),
        },
    )
    tpl.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 150,
                    "ScaleInCooldown": 300,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                }
            )
        },
    )


def _model_policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (model,) = resources_of(template, "AWS::SageMaker::Model").values()
    role_id = model["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    out: list[dict[str, Any]] = []
    for p in resources_of(template, "AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_id} in p["Properties"].get("Roles", []):
            out += p["Properties"]["PolicyDocument"]["Statement"]
    return out


def test_model_role_is_scoped_to_its_artifact_image_and_capture_prefix(template: dict[str, Any]) -> None:
    statements = _model_policy_statements(template)
    assert statements
    by_action: dict[str, list[Any]] = {}
    for s in statements:
        for a in s["Action"] if isinstance(s["Action"], list) else [s["Action"]]:
            by_action.setdefault(a, []).append(s["Resource"])
    assert not any(a.endswith("*") for a in by_action), sorted(by_action)
    get_object = str(by_action["s3:GetObject"])
    assert "churn/model.tar.gz" in get_object and "BucketsArtifacts" in get_object
    put_object = str(by_action["s3:PutObject"])
    assert "/churn/*" in put_object and "BucketsCapture" in put_object
    assert "repository/churn-inference" in str(by_action["ecr:BatchGetImage"])
    assert "KeysDataKey" in str(by_action["kms:Decrypt"])
    # Resource "*" only for actions without resource-level permissions.
    star = {a for a, rs in by_action.items() if "*" in rs}
    assert star <= {
        "ecr:GetAuthorizationToken",
        "cloudwatch:PutMetricData",
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    }


def test_model_role_carries_the_guardrail_and_trusts_only_sagemaker(template: dict[str, Any]) -> None:
    (model,) = resources_of(template, "AWS::SageMaker::Model").values()
    role = template["Resources"][model["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]]
    assert any("Guardrail" in str(arn) for arn in role["Properties"]["ManagedPolicyArns"])
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_endpoint_exposes_grants_and_names(synth: tuple[GovernedSynth, Stack, Endpoint]) -> None:
    endpoint = synth[2]
    assert endpoint.endpoint_name.startswith("t-churn")
    assert endpoint.variant_names == ("AllTraffic",)
    assert len(endpoint.rollback_alarm_names) == 2
    assert endpoint.config.resource is endpoint.config.node.default_child
    assert endpoint.resource is endpoint.node.default_child
