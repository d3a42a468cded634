"""ModelMonitor, Model Monitor backend (opt-in): all four monitors on a capturing endpoint, with drift alarms
(SM-10, CW-01, MSG-01). The pipeline backend (default) is tested in test_monitor_pipeline.py."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from constructs_ml.errors import ValidationError
from constructs_ml.governance.acknowledgements import find_entry
from constructs_ml.operate import (
    AlarmTopic,
    BatchTransformCapture,
    BiasMonitor,
    CaptureAttributes,
    DataQualityMonitor,
    DriftAlarm,
    ExplainabilityMonitor,
    ModelMonitor,
    ModelQualityMonitor,
    MonitorBackend,
    MonitoringType,
    MonitorSchedule,
    ProblemType,
)
from constructs_ml.serve import DataCapture, Endpoint, InstanceVariant, S3Path
from tests.serve.conftest import Foundation, foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of

JOB_TYPES = (
    "AWS::SageMaker::DataQualityJobDefinition",
    "AWS::SageMaker::ModelQualityJobDefinition",
    "AWS::SageMaker::ModelBiasJobDefinition",
    "AWS::SageMaker::ModelExplainabilityJobDefinition",
)


def monitor_props(f: Foundation) -> dict[str, Any]:
    art = f.buckets.artifacts.bucket
    return {
        "backend": MonitorBackend.MODEL_MONITOR,
        "output": S3Path(f.buckets.capture.bucket, "monitoring/churn"),
        "kms_key": f.keys.data,
        "vpc": f.network.vpc,
        "vpc_subnets": f.network.subnet_selection,
        "security_groups": [f.network.workload_security_group],
        "guardrail": f.guardrail.policy,
        "data_quality": DataQualityMonitor(
            baseline=S3Path(art, "baselines/churn/data"), alarms=[DriftAlarm.feature_drift("tenure", 0.2)]
        ),
        "model_quality": ModelQualityMonitor(
            problem_type=ProblemType.BINARY_CLASSIFICATION,
            ground_truth=S3Path(f.buckets.data.bucket, "ground-truth/churn"),
            attributes=CaptureAttributes(
                inference_attribute="0",
                probability_attribute="1",
                probability_threshold=0.5,
                start_time_offset="-PT2H",
                end_time_offset="-PT1H",
            ),
            baseline=S3Path(art, "baselines/churn/model"),
            alarms=[DriftAlarm.below("accuracy", 0.8)],
        ),
        "bias": BiasMonitor(
            analysis_config=S3Path(art, "clarify/churn/bias/analysis_config.json"),
            ground_truth=S3Path(f.buckets.data.bucket, "ground-truth/churn"),
            baseline=S3Path(art, "baselines/churn/bias"),
            attributes=CaptureAttributes(features_attribute="features", inference_attribute="0"),
        ),
        "explainability": ExplainabilityMonitor(
            analysis_config=S3Path(art, "clarify/churn/shap/analysis_config.json"),
            baseline=S3Path(art, "baselines/churn/shap"),
            schedule=MonitorSchedule.daily(3),
        ),
    }


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    monitor: ModelMonitor
    endpoint: Endpoint


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    f = foundation(app, "Monitor")
    topic = AlarmTopic(f.stack, "Alarms", master_key=f.keys.messaging)
    endpoint = Endpoint(
        f.stack,
        "Churn",
        variants=[InstanceVariant(model=f.model())],
        kms_key=f.keys.data,
        data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "capture/churn")),
        alarm_topic=topic.topic,
    )
    b = Built()
    b.endpoint = endpoint
    b.monitor = ModelMonitor(f.stack, "ChurnMonitor", endpoint=endpoint, alarm_topic=topic.topic, **monitor_props(f))
    b.result = governed_synth(app)
    b.template = b.result.template(f.stack)
    return b


@pytest.fixture(scope="module")
def tpl(built: Built) -> Template:
    return Template.from_json(built.template)


def test_governance_clean(built: Built) -> None:
    assert_governance_clean(built.result)
    mine = [a for a in built.result.acknowledgements() if "/ChurnMonitor" in a[0]]
    # The reviewed IAM wildcard entries that ManagedPolicyRole applies statement by statement, and the
    # explainability job's shadow endpoint (network access and the sm-clarify-* grant), on that job only.
    assert {find_entry(rule, reason) for _, rule, reason in mine} <= {
        "iam5-resourceless-actions",
        "iam5-bucket-objects",
        "iam5-sagemaker-logs",
        "iam5-clarify-shadow-endpoint",
        "iam5-vpc-network-interfaces",
        "monitor-jobs-need-aws-apis",
    }
    network = [path for path, rule, _ in mine if rule == "SageMaker-MonitoringNetworkIsolation"]
    assert network and all("/ModelExplainability/" in p for p in network)


def test_cfn_lint_clean(built: Built) -> None:
    assert cfn_lint_errors(built.template) == []


@pytest.mark.parametrize("job_type", JOB_TYPES)
def test_sm10_jobs_are_encrypted_isolated_and_in_the_vpc(built: Built, job_type: str) -> None:
    (job,) = resources_of(built.template, job_type).values()
    props = job["Properties"]
    prefix = job_type.split("::")[-1].removesuffix("JobDefinition")
    assert "KeysDataKey" in str(props[f"{prefix}JobOutputConfig"]["KmsKeyId"])
    assert "KeysDataKey" in str(props["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"])
    net = props["NetworkConfig"]
    assert net["EnableInterContainerTrafficEncryption"] is True
    # Clarify's SHAP analysis serves the model on a shadow endpoint through the SageMaker API (issue 9 item 8).
    assert net["EnableNetworkIsolation"] is (job_type != JOB_TYPES[3])
    assert len(net["VpcConfig"]["Subnets"]) == 2 and net["VpcConfig"]["SecurityGroupIds"]
    assert props[f"{prefix}AppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    assert props["EndpointName"] == built.endpoint.endpoint_name


def test_images_come_from_the_region_table(built: Built) -> None:
    images = {t: next(iter(resources_of(built.template, t).values()))["Properties"] for t in JOB_TYPES}
    dq = images[JOB_TYPES[0]]["DataQualityAppSpecification"]["ImageUri"]
    assert dq["Fn::Join"][1][0] == "468650794304.dkr.ecr.eu-west-1."
    assert dq["Fn::Join"][1][-1] == "/sagemaker-model-monitor-analyzer"
    bias = images[JOB_TYPES[2]]["ModelBiasAppSpecification"]["ImageUri"]
    assert bias["Fn::Join"][1][0] == "131013547314.dkr.ecr.eu-west-1."
    assert bias["Fn::Join"][1][-1] == "/sagemaker-clarify-processing:1.0"


def test_baselines_ground_truth_and_configs(built: Built) -> None:
    t = built.template
    (dq,) = resources_of(t, JOB_TYPES[0]).values()
    assert "baselines/churn/data/statistics.json" in str(dq["Properties"]["DataQualityBaselineConfig"])
    (mq,) = resources_of(t, JOB_TYPES[1]).values()
    p = mq["Properties"]
    assert p["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification"
    assert "ground-truth/churn" in str(p["ModelQualityJobInput"]["GroundTruthS3Input"])
    ep_input = p["ModelQualityJobInput"]["EndpointInput"]
    assert ep_input["InferenceAttribute"] == "0" and ep_input["ProbabilityThresholdAttribute"] == 0.5
    assert ep_input["StartTimeOffset"] == "-PT2H" and "FeaturesAttribute" not in ep_input
    (bias,) = resources_of(t, JOB_TYPES[2]).values()
    assert "bias/analysis_config.json" in str(bias["Properties"]["ModelBiasAppSpecification"]["ConfigUri"])
    assert bias["Properties"]["ModelBiasJobInput"]["EndpointInput"]["FeaturesAttribute"] == "features"
    (shap,) = resources_of(t, JOB_TYPES[3]).values()
    assert "baselines/churn/shap/analysis.json" in str(shap["Properties"]["ModelExplainabilityBaselineConfig"])


def test_schedules_reference_their_job_definitions(built: Built) -> None:
    schedules = resources_of(built.template, "AWS::SageMaker::MonitoringSchedule")
    assert len(schedules) == 4
    jobs = {
        r["Properties"]["JobDefinitionName"]: r["Type"]
        for t in JOB_TYPES
        for r in resources_of(built.template, t).values()
    }
    types = {}
    for s in schedules.values():
        cfg = s["Properties"]["MonitoringScheduleConfig"]
        assert cfg["MonitoringJobDefinitionName"] in jobs
        assert s["Properties"]["EndpointName"] == built.endpoint.endpoint_name
        types[cfg["MonitoringType"]] = cfg["ScheduleConfig"]["ScheduleExpression"]
    assert types == {
        "DataQuality": "cron(0 * ? * * *)",
        "ModelQuality": "cron(0 * ? * * *)",
        "ModelBias": "cron(0 0 ? * * *)",
        "ModelExplainability": "cron(0 3 ? * * *)",
    }


def test_drift_alarms_use_the_published_metrics(tpl: Template, built: Built) -> None:
    dq = built.monitor.schedule(MonitoringType.DATA_QUALITY)
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "aws/sagemaker/Endpoints/data-metrics",
            "MetricName": "feature_baseline_drift_tenure",
            "Threshold": 0.2,
            "ComparisonOperator": "GreaterThanThreshold",
            "Dimensions": Match.array_with(
                [
                    {"Name": "Feature", "Value": "tenure"},
                    {"Name": "MonitoringSchedule", "Value": dq.monitoring_schedule_name},
                ]
            ),
            "AlarmActions": [{"Ref": Match.string_like_regexp("^Alarms")}],
        },
    )
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "aws/sagemaker/Endpoints/model-metrics",
            "MetricName": "accuracy",
            "ComparisonOperator": "LessThanThreshold",
        },
    )
    assert len(built.monitor.alarms) == 2


def test_monitor_role_reads_capture_and_baselines_and_writes_reports(built: Built) -> None:
    statements = [
        s
        for p in resources_of(built.template, "AWS::IAM::ManagedPolicy").values()
        if "ChurnMonitorRole" in str(p["Properties"].get("Roles"))
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    text = str(statements)
    assert "capture/churn/*" in text and "baselines/churn/data/*" in text and "ground-truth/churn/*" in text
    assert "monitoring/churn/*" in text
    puts = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert all("monitoring/churn" in str(s["Resource"]) for s in puts)


def test_job_definition_names_change_with_content() -> None:
    a = _job_name("-PT2H")
    assert a == _job_name("-PT2H")
    assert a != _job_name("-PT3H")


def _job_name(offset: str) -> str:
    app = App()
    f = foundation(app, "N")
    endpoint = Endpoint.from_endpoint_attributes(
        f.stack, "Ep", endpoint_name="churn", data_capture=S3Path(f.buckets.capture.bucket, "c")
    )
    props = monitor_props(f)
    props["model_quality"] = ModelQualityMonitor(
        problem_type=ProblemType.REGRESSION,
        ground_truth=S3Path(f.buckets.data.bucket, "gt"),
        attributes=CaptureAttributes(inference_attribute="0", start_time_offset=offset, end_time_offset="-PT1H"),
    )
    for k in ("data_quality", "bias", "explainability"):
        props.pop(k)
    m = ModelMonitor(f.stack, "M", endpoint=endpoint, **props)
    job = Template.from_stack(f.stack).find_resources("AWS::SageMaker::ModelQualityJobDefinition")
    (props_out,) = [r["Properties"] for r in job.values()]
    assert m.schedule(MonitoringType.MODEL_QUALITY).monitoring_schedule_name
    return str(props_out["JobDefinitionName"])


def test_env_agnostic_stack_uses_a_region_mapping() -> None:
    app = App()
    stack = Stack(app, "Agnostic")
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3

    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        max_azs=2,
        subnet_configuration=[ec2.SubnetConfiguration(name="p", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    bucket = s3.Bucket.from_bucket_name(stack, "B", "bucket")
    ModelMonitor(
        stack,
        "M",
        backend=MonitorBackend.MODEL_MONITOR,
        batch_transform=BatchTransformCapture(S3Path(bucket, "batch/capture"), "json"),
        output=S3Path(bucket, "reports"),
        kms_key=kms.Key(stack, "K"),
        vpc=vpc,
        security_groups=[ec2.SecurityGroup(stack, "Sg", vpc=vpc)],
        data_quality=DataQualityMonitor(),
    )
    t = Template.from_stack(stack).to_json()
    (mapping,) = t["Mappings"].values()
    assert mapping["eu-west-1"] == {"ModelMonitor": "468650794304"}  # only the families the stack uses
    (job,) = [r for r in t["Resources"].values() if r["Type"] == JOB_TYPES[0]]
    assert "Fn::FindInMap" in str(job["Properties"]["DataQualityAppSpecification"]["ImageUri"])
    batch = job["Properties"]["DataQualityJobInput"]["BatchTransformInput"]
    assert batch["DatasetFormat"] == {"Json": {"Line": True}}
    assert "batch/capture" in str(batch["DataCapturedDestinationS3Uri"])


def test_a_monitor_needs_an_endpoint_that_captures_data() -> None:
    app = App()
    f = foundation(app, "Bad")
    endpoint = Endpoint(f.stack, "NoCapture", variants=[InstanceVariant(model=f.model())])
    with pytest.raises(ValidationError, match=r"endpoint must capture data to be monitored"):
        ModelMonitor(f.stack, "M", endpoint=endpoint, **monitor_props(f))
    imported = Endpoint.from_endpoint_name(f.stack, "Imported", "other")
    with pytest.raises(ValidationError, match=r"endpoint must capture data"):
        ModelMonitor(f.stack, "M2", endpoint=imported, **monitor_props(f))


def test_alarms_need_a_topic_and_one_monitor_at_least() -> None:
    app = App()
    f = foundation(app, "Bad2")
    endpoint = Endpoint.from_endpoint_attributes(
        f.stack, "Ep", endpoint_name="churn", data_capture=S3Path(f.buckets.capture.bucket, "c")
    )
    with pytest.raises(ValidationError, match=r"alarm_topic must be a topic when monitors have alarms"):
        ModelMonitor(f.stack, "M", endpoint=endpoint, **monitor_props(f))
    props = monitor_props(f)
    for k in ("data_quality", "model_quality", "bias", "explainability"):
        props.pop(k)
    with pytest.raises(ValidationError, match=r"at least one monitor"):
        ModelMonitor(f.stack, "M3", endpoint=endpoint, **props)
