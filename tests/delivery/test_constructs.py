"""PlatformPipeline, PipelineSource and ApprovalForwarding on their own: bad props (one clear error each, no
synth needed), the lifecycle-stage filter for production, and an S3 source (small unvalidated stacks)."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack, Stage
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from constructs_ml.delivery import ApprovalForwarding, ForwardingTarget, PipelineSource, PlatformPipeline
from constructs_ml.develop import ModelRegistry
from constructs_ml.errors import ValidationError

TOOLING = Environment(account="111111111111", region="eu-west-1")
CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/abc"


def _stack(env: Environment | None = TOOLING) -> Stack:
    return Stack(App(context={"aws:cdk:bundling-stacks": []}), "T", env=env)


def test_a_connection_source_without_connection_arn_or_repository() -> None:
    source = PipelineSource(repository="not-a-repo")
    with pytest.raises(ValidationError) as err:
        PlatformPipeline(_stack(), "Pipeline", source=source)
    assert list(err.value.problems) == [
        "T/Pipeline: source.connection_arn is missing: a connection source needs the CodeConnections connection ARN "
        "(create it in the tooling account and complete the handshake in the console) (got None)",
        "T/Pipeline: source.repository must be 'owner/name' (got 'not-a-repo')",
    ]


def test_bad_connection_arn_qualifier_config_file_and_an_environment_agnostic_stack() -> None:
    with pytest.raises(ValidationError) as err:
        PlatformPipeline(
            _stack(env=None),
            "Pipeline",
            source=PipelineSource.connection("o/r", connection_arn="arn:aws:s3:::bucket"),
            qualifier="Bad_Qualifier",
            config_file="../secrets.json",
        )
    problems = list(err.value.problems)
    assert len(problems) == 4
    assert problems[0].startswith("T/Pipeline: source.connection_arn must be an ARN arn:aws:codeconnections")
    assert "scope must be in a stack with a concrete account and region" in problems[1]
    assert "qualifier must be 1..10 a-z0-9 (got 'Bad_Qualifier')" in problems[2]
    assert (
        "config_file must be a relative path to a .json file in the repository (got '../secrets.json')" in problems[3]
    )


def test_a_stage_without_an_account_or_added_twice() -> None:
    stack = _stack()
    pipeline = PlatformPipeline(stack, "Pipeline", source=PipelineSource.connection("o/r", connection_arn=CONNECTION))
    app = stack.node.root
    assert isinstance(app, App)
    with pytest.raises(ValidationError, match=r"stage must be bound to a concrete account and region"):
        pipeline.add_platform_stage(Stage(app, "Agnostic"))
    dev = Stage(app, "Dev", env=Environment(account="222222222222", region="eu-west-1"))
    Stack(dev, "Empty")
    pipeline.add_platform_stage(dev)
    with pytest.raises(ValidationError, match=r"stage must be a name not yet used \(got 'Dev'\)"):
        pipeline.add_platform_stage(dev)


def test_an_s3_source_for_air_gapped_setups() -> None:
    stack = _stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Source", "ml-platform-source")
    pipeline = PlatformPipeline(stack, "Pipeline", source=PipelineSource.s3(bucket, "source/ml-platform.zip"))
    stage = Stage(stack.node.root, "Dev", env=Environment(account="222222222222", region="eu-west-1"))
    Stack(stage, "Empty").node.add_metadata("test", "empty")
    pipeline.add_platform_stage(stage)
    pipeline.build()
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::CodePipeline::Pipeline",
        {
            "Stages": Match.array_with(
                [
                    Match.object_like(
                        {
                            "Name": "Source",
                            "Actions": [
                                Match.object_like(
                                    {
                                        "ActionTypeId": Match.object_like({"Provider": "S3"}),
                                        "Configuration": Match.object_like(
                                            {"S3Bucket": "ml-platform-source", "S3ObjectKey": "source/ml-platform.zip"}
                                        ),
                                    }
                                )
                            ],
                        }
                    )
                ]
            )
        },
    )
    with pytest.raises(ValidationError, match=r"source names both an S3 object and a repository"):
        PlatformPipeline(
            stack, "Both", source=PipelineSource(repository="o/r", bucket=bucket, object_key="source/x.zip")
        )


def _registry_stack() -> tuple[Stack, ModelRegistry, kms.Key, sns.Topic]:
    stack = Stack(App(), "Registry", env=Environment(account="222222222222", region="eu-west-1"))
    registry = ModelRegistry(stack, "Registry", model_package_group_name="churn", cross_account_ids=["444444444444"])
    return stack, registry, kms.Key(stack, "Key", enable_key_rotation=True), sns.Topic(stack, "Topic")


def test_forwarding_bad_targets_are_each_reported() -> None:
    stack, registry, key, topic = _registry_stack()
    with pytest.raises(ValidationError) as err:
        ApprovalForwarding(
            stack,
            "Forward",
            model_package_group=registry,
            targets=[
                ForwardingTarget("222222222222", "eu-west-1"),
                ForwardingTarget("4444", "eu-west-1"),
                ForwardingTarget("333333333333", "Ireland"),
                ForwardingTarget("333333333333", "Ireland"),
            ],
            key=key,
            alarm_topic=topic,
        )
    assert list(err.value.problems) == [
        "Registry/Forward: targets[0].account is the registry's own account: its rules see the events already "
        "(got '222222222222')",
        "Registry/Forward: targets[1].account must be a 12-digit account id (got '4444')",
        "Registry/Forward: targets[2].region must be a region like eu-west-1 (got 'Ireland')",
        "Registry/Forward: targets[3].region must be a region like eu-west-1 (got 'Ireland')",
        "Registry/Forward: targets[3] must be each account and region once "
        "(got ForwardingTarget(account='333333333333', region='Ireland', lifecycle_stage=None))",
    ]
    with pytest.raises(ValidationError, match=r"targets must be at least one account to forward to"):
        ApprovalForwarding(stack, "None", model_package_group=registry, targets=[], key=key, alarm_topic=topic)


def test_production_gets_only_packages_approved_for_the_production_lifecycle_stage() -> None:
    stack, registry, key, topic = _registry_stack()
    ApprovalForwarding(
        stack,
        "Forward",
        model_package_group=registry,
        targets=[ForwardingTarget("444444444444", "eu-west-1", lifecycle_stage="Production")],
        key=key,
        alarm_topic=topic,
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "account": ["222222222222"],
                "detail": {
                    "ModelPackageGroupName": ["churn"],
                    "ModelApprovalStatus": ["Approved"],
                    "ModelLifeCycle": {"Stage": ["Production"], "StageStatus": ["Approved"]},
                },
            },
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {
                            "Fn::Join": [
                                "",
                                ["arn:", {"Ref": "AWS::Partition"}, ":events:eu-west-1:444444444444:event-bus/default"],
                            ]
                        },
                        "DeadLetterConfig": Match.any_value(),
                    }
                )
            ],
        },
    )
    # The dead-letter queue is encrypted and alarmed.
    template.has_resource_properties("AWS::SQS::Queue", {"KmsMasterKeyId": Match.any_value()})
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"AlarmActions": [{"Ref": Match.string_like_regexp("Topic")}]}
    )
