"""Serverless, asynchronous, multi-variant + shadow and multi-model endpoints, the approved-package
model and imports: one governed synth of one stack holding them all."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from constructs_ml.foundation import ManagedPolicyRole
from constructs_ml.serve import (
    ApprovedPackageParameter,
    AsyncInference,
    Autoscaling,
    ContainerMode,
    DataCapture,
    DeploymentConfig,
    Endpoint,
    InstanceType,
    InstanceVariant,
    ModelData,
    S3Path,
    ServerlessVariant,
)
from constructs_ml.serve.topic import AlarmTopic
from tests.serve.conftest import foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    endpoints: dict[str, Endpoint]


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    f = foundation(app, "Modes")
    s = f.stack
    b = Built()
    b.endpoints = {}
    topic = AlarmTopic(s, "Alarms", master_key=f.keys.messaging)

    serverless_model = f.model("ServerlessModel", vpc=None, vpc_subnets=None, security_groups=[], serverless=True)
    b.endpoints["serverless"] = Endpoint(
        s,
        "Serverless",
        variants=[
            ServerlessVariant(
                model=serverless_model,
                memory_size_in_mb=3072,
                max_concurrency=10,
                provisioned_concurrency=2,
                autoscaling=Autoscaling.provisioned_concurrency(0.6, max_capacity=5),
            )
        ],
        alarm_topic=topic.topic,
    )

    async_model = f.model("AsyncModel")
    results = S3Path(f.buckets.artifacts.bucket, "async/results")
    b.endpoints["async"] = Endpoint(
        s,
        "Async",
        variants=[
            InstanceVariant(
                model=async_model,
                instance_type=InstanceType.ML_C5_XLARGE,
                autoscaling=Autoscaling.async_backlog(5, min_capacity=0, max_capacity=3),
            )
        ],
        kms_key=f.keys.data,
        async_inference=AsyncInference(
            output_path=results,
            failure_path=results.child("failed"),
            success_topic=topic.topic,
            error_topic=topic.topic,
            max_concurrent_invocations_per_instance=4,
        ),
        alarm_topic=topic.topic,
    )

    blue, green, shadow = f.model("Blue"), f.model("Green"), f.model("Shadow")
    b.endpoints["multi"] = Endpoint(
        s,
        "Multi",
        variants=[
            InstanceVariant(
                model=blue,
                variant_name="Blue",
                initial_weight=0.9,
                initial_instance_count=2,
                autoscaling=Autoscaling.cpu_utilization(60, max_capacity=4, min_capacity=2),
            ),
            InstanceVariant(
                model=green,
                variant_name="Green",
                initial_weight=0.1,
                instance_type=InstanceType.ML_G5_XLARGE,
                autoscaling=Autoscaling.gpu_utilization(50, max_capacity=2),
            ),
        ],
        shadow_variants=[InstanceVariant(model=shadow, variant_name="Shadow", initial_weight=0.5)],
        kms_key=f.keys.data,
        data_capture=DataCapture(
            destination=S3Path(f.buckets.capture.bucket, "multi"),
            capture_response=False,
            csv_content_types=["text/csv"],
        ),
        deployment=DeploymentConfig.linear(25, wait_interval=Duration.minutes(2)),
        alarm_topic=topic.topic,
    )

    mme = f.model(
        "TenantsModel",
        mode=ContainerMode.MULTI_MODEL,
        model_data=ModelData.from_prefix(f.buckets.artifacts.bucket, "tenants"),
    )
    b.endpoints["mme"] = Endpoint(
        s, "Tenants", variants=[InstanceVariant(model=mme)], kms_key=f.keys.data, alarm_topic=topic.topic
    )

    approved = f.model(
        "ApprovedModel",
        approved_package=ApprovedPackageParameter("/ml/churn/deployed-package"),
        package_artifacts=S3Path(f.buckets.artifacts.bucket, "pipelines/churn"),
        package_artifacts_key=f.keys.data,
    )
    own_alarm = b.endpoints["multi"].rollback_alarms[0]
    b.endpoints["approved"] = Endpoint(
        s,
        "Approved",
        variants=[InstanceVariant(model=approved)],
        kms_key=f.keys.data,
        deployment=DeploymentConfig.all_at_once(rollback_alarms=[own_alarm]),
        alarm_topic=topic.topic,
        endpoint_name="churn-approved",
    )

    caller = ManagedPolicyRole(s, "Caller", assumed_by=iam.AccountRootPrincipal(), description="test caller")
    Endpoint.from_endpoint_name(s, "ByName", "Prod-Churn").grant_invoke(caller)
    Endpoint.from_endpoint_arn(s, "ByArn", "arn:aws:sagemaker:eu-west-1:111111111111:endpoint/other").grant_invoke(
        caller
    )
    b.endpoints["async"].grant_invoke(caller)
    b.result = governed_synth(app)
    b.template = b.result.template(s)
    return b


@pytest.fixture(scope="module")
def tpl(built: Built) -> Template:
    return Template.from_json(built.template)


def _config(built: Built, name: str) -> dict[str, Any]:
    ep = built.endpoints[name]
    (res,) = [
        r
        for r in resources_of(built.template, "AWS::SageMaker::Endpoint").values()
        if r["Properties"]["EndpointName"] == ep.endpoint_name
    ]
    logical_id = res["Properties"]["EndpointConfigName"]["Fn::GetAtt"][0]
    return dict(built.template["Resources"][logical_id]["Properties"])


def test_governance_clean_with_only_the_serverless_acknowledgements(built: Built) -> None:
    assert_governance_clean(built.result)
    acked_paths = {a[0] for a in built.result.acknowledgements() if "Serverless" in a[0]}
    assert any(p.endswith("ServerlessModel/Resource") for p in acked_paths)
    assert any(p.endswith("Serverless/Config/Resource") for p in acked_paths)
    other = [
        a
        for a in built.result.acknowledgements()
        if a[1].startswith(("SageMaker-", "HIPAA.Security-SageMaker")) and "Serverless" not in a[0]
    ]
    assert other == []


def test_cfn_lint_clean(built: Built) -> None:
    assert cfn_lint_errors(built.template) == []


def test_serverless_variant_has_no_kms_no_vpc(built: Built, tpl: Template) -> None:
    cfg = _config(built, "serverless")
    assert "KmsKeyId" not in cfg
    assert cfg["ProductionVariants"][0]["ServerlessConfig"] == {
        "MemorySizeInMB": 3072,
        "MaxConcurrency": 10,
        "ProvisionedConcurrency": 2,
    }
    tpl.has_resource_properties("AWS::SageMaker::Model", {"VpcConfig": Match.absent(), "EnableNetworkIsolation": False})
    tpl.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency", "MaxCapacity": 5},
    )


def test_async_outputs_are_encrypted_and_notify(built: Built) -> None:
    out = _config(built, "async")["AsyncInferenceConfig"]
    assert out["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 4}
    oc = out["OutputConfig"]
    assert "KeysDataKey" in str(oc["KmsKeyId"])
    assert str(oc["S3OutputPath"]).endswith("/async/results']]}") or "async/results" in str(oc["S3OutputPath"])
    assert "async/results/failed" in str(oc["S3FailurePath"])
    assert set(oc["NotificationConfig"]) == {"SuccessTopic", "ErrorTopic"}


def test_async_scales_to_zero_and_wakes_up_on_backlog(built: Built, tpl: Template) -> None:
    name = built.endpoints["async"].endpoint_name
    tpl.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"ResourceId": f"endpoint/{name}/variant/AllTraffic", "MinCapacity": 0, "MaxCapacity": 3},
    )
    tpl.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "CustomizedMetricSpecification": {
                        "MetricName": "ApproximateBacklogSizePerInstance",
                        "Namespace": "AWS/SageMaker",
                        "Statistic": "Average",
                        "Dimensions": [{"Name": "EndpointName", "Value": name}],
                    }
                }
            )
        },
    )
    tpl.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": Match.object_like(
                {"StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]}
            ),
        },
    )
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "HasBacklogWithoutCapacity",
            "Threshold": 1,
            "AlarmActions": [{"Ref": Match.string_like_regexp("AsyncAutoscalingAllTrafficWakeUp")}],
        },
    )


def test_async_model_role_writes_results_and_publishes(built: Built) -> None:
    policies = [
        p["Properties"]
        for p in resources_of(built.template, "AWS::IAM::ManagedPolicy").values()
        if "AsyncModel" in str(p["Properties"].get("Roles"))
    ]
    text = str(policies)
    assert "sns:Publish" in text and "async/results/*" in text and "async/results/failed/*" in text


def test_weighted_and_shadow_variants(built: Built) -> None:
    cfg = _config(built, "multi")
    weights = {v["VariantName"]: v["InitialVariantWeight"] for v in cfg["ProductionVariants"]}
    assert weights == {"Blue": 0.9, "Green": 0.1}
    assert [v["VariantName"] for v in cfg["ShadowProductionVariants"]] == ["Shadow"]
    assert cfg["DataCaptureConfig"]["CaptureOptions"] == [{"CaptureMode": "Input"}]
    assert cfg["DataCaptureConfig"]["CaptureContentTypeHeader"] == {"CsvContentTypes": ["text/csv"]}


def test_cpu_and_gpu_presets_use_the_instance_metrics(tpl: Template, built: Built) -> None:
    name = built.endpoints["multi"].endpoint_name
    for metric, variant in (("CPUUtilization", "Blue"), ("GPUUtilization", "Green")):
        tpl.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            {
                "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                    {
                        "CustomizedMetricSpecification": {
                            "MetricName": metric,
                            "Namespace": "/aws/sagemaker/Endpoints",
                            "Statistic": "Average",
                            "Dimensions": [
                                {"Name": "EndpointName", "Value": name},
                                {"Name": "VariantName", "Value": variant},
                            ],
                        }
                    }
                )
            },
        )


def test_linear_deployment_with_alarms_per_variant(built: Built) -> None:
    ep = built.endpoints["multi"]
    assert len(ep.rollback_alarms) == 4
    (res,) = [
        r
        for r in resources_of(built.template, "AWS::SageMaker::Endpoint").values()
        if r["Properties"]["EndpointName"] == ep.endpoint_name
    ]
    routing = res["Properties"]["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        "WaitIntervalInSeconds": 120,
    }


def test_multi_model_container_reads_its_prefix(tpl: Template, built: Built) -> None:
    tpl.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": Match.object_like(
                {
                    "Mode": "MultiModel",
                    "ModelDataUrl": {
                        "Fn::Join": ["", ["s3://", {"Ref": Match.string_like_regexp("BucketsArtifacts")}, "/tenants/"]]
                    },
                }
            )
        },
    )
    text = str(
        [
            p["Properties"]
            for p in resources_of(built.template, "AWS::IAM::ManagedPolicy").values()
            if "TenantsModel" in str(p["Properties"].get("Roles"))
        ]
    )
    assert "/tenants/*" in text and "'s3:prefix': ['tenants', 'tenants/*']" in text


def test_approved_package_comes_from_ssm_with_initial_fallback(built: Built) -> None:
    params = built.template["Parameters"]
    (param_id,) = [k for k, v in params.items() if v.get("Default") == "/ml/churn/deployed-package"]
    assert params[param_id]["Type"] == "AWS::SSM::Parameter::Value<String>"
    conditions = built.template["Conditions"]
    (cond_id,) = [k for k, v in conditions.items() if "HasApprovedPackage" in k]
    assert conditions[cond_id] == {"Fn::Not": [{"Fn::Equals": [{"Ref": param_id}, "none"]}]}
    (model,) = [
        m
        for m in resources_of(built.template, "AWS::SageMaker::Model").values()
        if "Fn::If" in m["Properties"]["PrimaryContainer"]
    ]
    cond, approved, initial = model["Properties"]["PrimaryContainer"]["Fn::If"]
    assert cond == cond_id
    assert approved == {"ModelPackageName": {"Ref": param_id}}
    assert set(initial) == {"Image", "ModelDataUrl", "Mode"}
    assert model["Properties"]["EnableNetworkIsolation"] is True


def test_explicit_rollback_alarms_and_name(built: Built) -> None:
    ep = built.endpoints["approved"]
    (res,) = [
        r
        for r in resources_of(built.template, "AWS::SageMaker::Endpoint").values()
        if r["Properties"]["EndpointName"] == "churn-approved"
    ]
    alarms = res["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert len(alarms) == 1 and ep.rollback_alarms == [built.endpoints["multi"].rollback_alarms[0]]


def test_imports_share_the_base_and_grant_invoke(built: Built) -> None:
    statements = [
        s
        for p in resources_of(built.template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    resources = str([s["Resource"] for s in statements if "sagemaker:InvokeEndpoint" in s["Action"]])
    assert "endpoint/prod-churn" in resources  # ARNs carry lowercased names
    assert "endpoint/other" in resources
    assert built.endpoints["async"].endpoint_name in resources
