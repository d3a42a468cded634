"""BatchTransform: a scheduled pipeline with a transform step, KMS output, DLQ and alarm; governed synth."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_events as events

from constructs_ml.errors import ValidationError
from constructs_ml.serve import AlarmTopic, BatchTransform, InstanceType, S3Path
from tests.serve.conftest import foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    batch: BatchTransform


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    f = foundation(app, "Batch")
    topic = AlarmTopic(f.stack, "Alarms", master_key=f.keys.messaging)
    b = Built()
    b.batch = BatchTransform(
        f.stack,
        "Nightly",
        model=f.model(),
        input_data=S3Path(f.buckets.data.bucket, "scoring/incoming"),
        output=S3Path(f.buckets.artifacts.bucket, "scoring/results"),
        vpc=f.network.vpc,
        vpc_subnets=f.network.subnet_selection,
        security_groups=[f.network.workload_security_group],
        encryption_key=f.keys.data,
        schedule=events.Schedule.cron(hour="2", minute="0"),
        alarm_topic=topic.topic,
        guardrail=f.guardrail.policy,
    )
    with pytest.raises(ValidationError, match=r"alarm_topic must be a topic when a schedule is given"):
        BatchTransform(
            f.stack,
            "Bad",
            model=f.model("M2"),
            input_data=S3Path(f.buckets.data.bucket, "x"),
            output=S3Path(f.buckets.artifacts.bucket, "y"),
            vpc=f.network.vpc,
            security_groups=[f.network.workload_security_group],
            encryption_key=f.keys.data,
            schedule=events.Schedule.expression("rate(1 day)"),
            instance_type=InstanceType.of("c5.large"),
        )
    b.result = governed_synth(app)
    b.template = b.result.template(f.stack)
    return b


def _definition_text(template: dict[str, Any]) -> str:
    (pipeline,) = resources_of(template, "AWS::SageMaker::Pipeline").values()
    return json.dumps(pipeline["Properties"]["PipelineDefinition"]).replace("\\", "")


def test_governance_clean(built: Built) -> None:
    assert_governance_clean(built.result)


def test_cfn_lint_clean(built: Built) -> None:
    assert cfn_lint_errors(built.template) == []


def test_transform_output_and_volumes_are_encrypted(built: Built) -> None:
    text = _definition_text(built.template)
    assert '"Type":"Transform"' in text.replace(" ", "")
    compact = text.replace(" ", "")
    assert '"TransformOutput":{"S3OutputPath"' in compact and '"KmsKeyId":"' in compact
    assert '"VolumeKmsKeyId":"' in compact
    assert '"S3Uri":{"Get":"Parameters.InputDataUri"}' in compact
    assert "KeysDataKey" in text


def test_schedule_targets_the_pipeline_with_dlq_and_retries(built: Built) -> None:
    (rule,) = resources_of(built.template, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 2 * * ? *)"
    (target,) = rule["Properties"]["Targets"]
    assert target["DeadLetterConfig"]["Arn"] and target["RetryPolicy"] == {
        "MaximumRetryAttempts": 3,
        "MaximumEventAgeInSeconds": 3600,
    }
    # Scheduled runs pass no parameter (the pipeline's default input); the DLQ accepts only this rule.
    assert target.get("SageMakerPipelineParameters", {}).get("PipelineParameterList", []) == []
    stack = Stack.of(built.batch)
    assert target["Arn"] == stack.resolve(built.batch.pipeline.pipeline_arn)
    assert built.batch.rule is not None and built.batch.dead_letter_queue is not None
    (policy,) = resources_of(built.template, "AWS::SQS::QueuePolicy").values()
    (send,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "sqs:SendMessage"]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": stack.resolve(built.batch.rule.rule_arn)}}
    queues = resources_of(built.template, "AWS::SQS::Queue")
    assert all("KmsMasterKeyId" in q["Properties"] for q in queues.values())
    alarms = [
        a
        for a in resources_of(built.template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    assert len(alarms) == 1 and alarms[0]["Properties"]["AlarmActions"]


def test_trigger_role_may_start_only_this_pipeline(built: Built) -> None:
    role_path = built.batch.trigger_role
    assert role_path is not None
    statements = [
        s
        for p in resources_of(built.template, "AWS::IAM::ManagedPolicy").values()
        if "TriggerRole" in str(p["Properties"].get("Roles"))
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert [s["Action"] for s in statements] == ["sagemaker:StartPipelineExecution"]
    assert built.batch.pipeline.pipeline_name in str(statements[0]["Resource"])


def test_model_role_reads_input_and_writes_results(built: Built) -> None:
    text = str(
        [
            p["Properties"]
            for p in resources_of(built.template, "AWS::IAM::ManagedPolicy").values()
            if "ModelRole" in str(p["Properties"].get("Roles"))
        ]
    )
    assert "scoring/incoming/*" in text and "scoring/results/*" in text
