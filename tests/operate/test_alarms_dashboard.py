"""EndpointAlarms and MlDashboard: governed synth, alarms act (CW-01) on an encrypted TLS-only topic (MSG-01),
and every graphed metric is one the constructs' metric_* methods produce."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack

from constructs_ml.errors import ValidationError
from constructs_ml.operate import (
    AlarmTopic,
    DataQualityMonitor,
    DriftAlarm,
    EndpointAlarms,
    EndpointAlarmThresholds,
    MlDashboard,
    ModelMonitor,
)
from constructs_ml.serve import DataCapture, Endpoint, InstanceVariant, S3Path
from tests.serve.conftest import foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    endpoint: Endpoint
    alarms: EndpointAlarms
    monitor: ModelMonitor
    stack: Stack


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    f = foundation(app, "Ops")
    b = Built()
    b.stack = f.stack
    topic = AlarmTopic(f.stack, "Alarms", master_key=f.keys.messaging)
    b.endpoint = Endpoint(
        f.stack,
        "Churn",
        variants=[
            InstanceVariant(model=f.model("Blue"), variant_name="Blue", initial_weight=0.8),
            InstanceVariant(model=f.model("Green"), variant_name="Green", initial_weight=0.2),
        ],
        kms_key=f.keys.data,
        data_capture=DataCapture(destination=S3Path(f.buckets.capture.bucket, "capture/churn")),
        alarm_topic=topic.topic,
    )
    b.alarms = EndpointAlarms(
        f.stack,
        "ChurnAlarms",
        endpoint=b.endpoint,
        alarm_topic=topic.topic,
        thresholds=EndpointAlarmThresholds(errors_4xx=20),
    )
    b.monitor = ModelMonitor(
        f.stack,
        "ChurnMonitor",
        endpoint=b.endpoint,
        output=S3Path(f.buckets.capture.bucket, "monitoring"),
        kms_key=f.keys.data,
        vpc=f.network.vpc,
        security_groups=[f.network.workload_security_group],
        data_quality=DataQualityMonitor(alarms=[DriftAlarm.feature_drift("tenure")]),
        alarm_topic=topic.topic,
    )
    EndpointAlarms(
        f.stack,
        "DefaultTopic",
        endpoint=Endpoint.from_endpoint_name(f.stack, "Other", "other"),
        instance_metrics=False,
        async_backlog=True,
    )
    MlDashboard(
        f.stack,
        "Dashboard",
        endpoint=b.endpoint,
        monitor=b.monitor,
        alarms=[*b.endpoint.rollback_alarms, *b.alarms.alarms.values(), *b.monitor.alarms],
    )
    b.result = governed_synth(app)
    b.template = b.result.template(f.stack)
    return b


def test_governance_clean(built: Built) -> None:
    assert_governance_clean(built.result)


def test_cfn_lint_clean(built: Built) -> None:
    assert cfn_lint_errors(built.template) == []


def test_alarms_per_variant_and_metric(built: Built) -> None:
    assert sorted(built.alarms.alarms) == sorted(
        f"{m}-{v}"
        for v in ("Blue", "Green")
        for m in ("Errors5xx", "Errors4xx", "ModelLatency", "Cpu", "Memory", "Disk")
    )
    by_metric = {
        (a["Properties"]["MetricName"], a["Properties"]["Namespace"])
        for a in resources_of(built.template, "AWS::CloudWatch::Alarm").values()
    }
    assert ("CPUUtilization", "/aws/sagemaker/Endpoints") in by_metric
    assert ("Invocation4XXErrors", "AWS/SageMaker") in by_metric
    assert ("ApproximateBacklogSize", "AWS/SageMaker") in by_metric


def test_cw01_every_alarm_acts_and_msg01_topics_are_encrypted_tls_only(built: Built) -> None:
    topics = resources_of(built.template, "AWS::SNS::Topic")
    assert len(topics) == 2  # the shared one and the default one of DefaultTopic
    for alarm in resources_of(built.template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"]
        assert all(a["Ref"] in topics for a in alarm["Properties"]["AlarmActions"])
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"]
    for pol in resources_of(built.template, "AWS::SNS::TopicPolicy").values():
        stmts = pol["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in stmts
        )
        allow = [s for s in stmts if s["Effect"] == "Allow"]
        assert allow and all(s["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}} for s in allow)


def test_error_thresholds(built: Built) -> None:
    (a4xx,) = [
        a
        for a in resources_of(built.template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "Invocation4XXErrors"
        and {"Name": "VariantName", "Value": "Blue"} in a["Properties"]["Dimensions"]
        and a["Properties"]["Period"] == 300
    ]
    assert a4xx["Properties"]["Threshold"] == 20
    assert a4xx["Properties"]["OKActions"] == a4xx["Properties"]["AlarmActions"]


def _dashboard_metrics(template: dict[str, Any]) -> list[list[Any]]:
    (dash,) = resources_of(template, "AWS::CloudWatch::Dashboard").values()
    body = dash["Properties"]["DashboardBody"]
    text = (
        "".join(p if isinstance(p, str) else "TOKEN" for p in body["Fn::Join"][1]) if isinstance(body, dict) else body
    )
    out: list[list[Any]] = []
    for w in json.loads(text)["widgets"]:
        out += w.get("properties", {}).get("metrics", [])
    return out


def test_dashboard_graphs_exactly_what_metric_methods_produce(built: Built) -> None:
    e = built.endpoint
    expected = []
    for v in ("Blue", "Green"):
        for m in (
            e.metric_invocations(v),
            e.metric_invocations_per_instance(v),
            e.metric_invocation_4xx_errors(v),
            e.metric_invocation_5xx_errors(v),
            e.metric_model_latency(v),
            e.metric_overhead_latency(v),
            e.metric_cpu_utilization(v),
            e.metric_memory_utilization(v),
            e.metric_disk_utilization(v),
        ):
            expected.append((m.namespace, m.metric_name))
    drift = built.monitor.schedules[next(iter(built.monitor.schedules))].metric_feature_drift("tenure")
    expected.append((drift.namespace, drift.metric_name))
    graphed = [(m[0], m[1]) for m in _dashboard_metrics(built.template)]
    assert sorted(graphed) == sorted(expected)


def test_dashboard_shows_alarm_status(built: Built) -> None:
    (dash,) = resources_of(built.template, "AWS::CloudWatch::Dashboard").values()
    assert '"type":"alarm"' in json.dumps(dash["Properties"]["DashboardBody"]).replace("\\", "")


def test_bad_thresholds(built: Built) -> None:
    with pytest.raises(ValidationError, match=r"thresholds.evaluation_periods must be between 1 and 100"):
        EndpointAlarms(
            built.stack,
            "Bad",
            endpoint=built.endpoint,
            alarm_topic=built.endpoint.alarm_topic,
            thresholds=EndpointAlarmThresholds(evaluation_periods=0),
        )
