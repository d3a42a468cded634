"""LabelingWorkflow / PrivateWorkforce / Workteam: bad props, custom task types, the built-in function table."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from constructs_ml.errors import ValidationError
from constructs_ml.label import (
    BUILTIN_FUNCTION_ACCOUNTS,
    LabelingTaskType,
    LabelingWorkflow,
    PrivateWorkforce,
    Workteam,
)
from constructs_ml.serve import S3Path

ACCOUNT, REGION = "111111111111", "eu-west-1"
TEAM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/labelers"


def _stack(region: str = REGION) -> Stack:
    return Stack(App(), "T", env=Environment(account=ACCOUNT, region=region))


def _workflow(stack: Stack, **overrides: Any) -> LabelingWorkflow:
    data = s3.Bucket.from_bucket_name(stack, "Data", "platform-data")
    key = kms.Key.from_key_arn(stack, "Key", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    props: dict[str, Any] = {
        "workteam": Workteam.from_workteam_arn(stack, "Team", TEAM),
        "task_type": LabelingTaskType.IMAGE_CLASSIFICATION,
        "manifest": S3Path(data, "labeling/input.manifest"),
        "ui_template": S3Path(data, "labeling/template.html"),
        "output": S3Path(data, "labeling/output"),
        "key": key,
        "log_key": key,
    }
    props.update(overrides)
    return LabelingWorkflow(stack, "Flow", **props)


def test_an_unknown_task_type_names_the_built_in_ones() -> None:
    with pytest.raises(ValidationError, match=r"T/Flow: task_type must be a built-in task type \(.*BoundingBox"):
        _workflow(_stack(), task_type=LabelingTaskType.of("Bounding-Box"))


def test_a_manifest_outside_the_allowed_buckets_is_rejected() -> None:
    stack = _stack()
    other = s3.Bucket.from_bucket_name(stack, "Other", "someone-elses-bucket")
    with pytest.raises(ValidationError, match=r"manifest must be in one of allowed_buckets.*someone-elses-bucket"):
        _workflow(stack, manifest=S3Path(other, "in.manifest"))


def test_a_work_team_of_another_account_is_rejected() -> None:
    stack = _stack()
    foreign = Workteam.from_workteam_arn(
        stack, "Vendor", f"arn:aws:sagemaker:{REGION}:222222222222:workteam/vendor-crowd/acme"
    )
    with pytest.raises(ValidationError, match=r"workteam must be a private work team of this account \(111111111111\)"):
        _workflow(stack, workteam=foreign)


def test_the_public_crowd_is_rejected_too() -> None:
    stack = _stack()
    public = Workteam.from_workteam_arn(
        stack, "Public", f"arn:aws:sagemaker:{REGION}:394669845002:workteam/public-crowd/default"
    )
    with pytest.raises(ValidationError, match="workteam must be a private work team"):
        _workflow(stack, workteam=public)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        _workflow(
            _stack(),
            workers_per_object=0,
            task_time_limit=Duration.seconds(10),
            label_attribute_name="label-ref",
            job_name_prefix="Way_Too_Long_Prefix_For_A_Labeling_Job",
        )
    messages = raised.value.problems
    assert len(messages) == 4, messages
    assert any("workers_per_object must be between 1 and 9 (got 0)" in m for m in messages)
    assert any("label_attribute_name" in m and "'-ref'" in m for m in messages)


def test_automated_labeling_needs_a_task_type_with_an_algorithm() -> None:
    from aws_cdk import aws_ec2 as ec2

    from constructs_ml.label import AutomatedLabeling

    stack = _stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    sg = ec2.SecurityGroup(stack, "Sg", vpc=vpc)
    with pytest.raises(ValidationError, match=r"automated_labeling is only available for .*NamedEntityRecognition"):
        _workflow(
            stack,
            task_type=LabelingTaskType.NAMED_ENTITY_RECOGNITION,
            automated_labeling=AutomatedLabeling(vpc=vpc, security_groups=[sg]),
        )


def test_built_in_task_types_need_a_region_with_the_aws_functions() -> None:
    with pytest.raises(ValidationError, match="no built-in Ground Truth functions listed for region eu-south-2"):
        _workflow(_stack("eu-south-2"))


def test_workforce_and_team_props_are_checked() -> None:
    stack = _stack()
    with pytest.raises(ValidationError) as raised:
        PrivateWorkforce(stack, "Wf", source_ip_cidrs=["0.0.0.0/0", "10.0.0.300/24"], domain_prefix="AWS-Portal")
    assert len(raised.value.problems) == 3, raised.value.problems
    workforce = PrivateWorkforce(stack, "Workforce")
    with pytest.raises(ValidationError, match=r"description must be 1\.\.200 characters"):
        Workteam(stack, "Team", workforce=workforce, description="")


def test_the_built_in_function_accounts_are_the_api_references() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    for shape, member, kind in (
        ("HumanTaskConfig", "PreHumanTaskLambdaArn", "PRE"),
        ("AnnotationConsolidationConfig", "AnnotationConsolidationLambdaArn", "ACS"),
    ):
        doc = model.shape_for(shape).members[member].documentation
        listed = set(re.findall(rf"arn:aws:lambda:([a-z0-9-]+):(\d{{12}}):function:{kind}-BoundingBox", doc))
        assert listed == set(BUILTIN_FUNCTION_ACCOUNTS.items())


def test_a_custom_task_type_runs_its_functions_and_may_invoke_only_them() -> None:
    stack = _stack()
    pre = lambda_.Function.from_function_arn(stack, "Pre", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gt-pre")
    post = lambda_.Function.from_function_arn(stack, "Post", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gt-post")
    flow = _workflow(stack, task_type=LabelingTaskType.custom(pre_annotation=pre, post_annotation=post))
    template = Template.from_stack(stack)

    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "lambda:InvokeFunction",
                                "Resource": [
                                    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gt-pre",
                                    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gt-post",
                                ],
                            }
                        )
                    ]
                )
            },
            "Roles": [{"Ref": Match.string_like_regexp("FlowJobRole")}],
        },
    )
    definition = str(stack.resolve(flow.state_machine.node.default_child.definition_string))  # type: ignore[union-attr]
    assert "function:gt-pre" in definition and "function:gt-post" in definition
    assert "Publish manifest" not in definition  # no publish_to: the run ends after labeling


def test_the_job_role_passes_only_to_sagemaker_and_the_jobs_are_scoped_to_the_prefix() -> None:
    stack = _stack()
    _workflow(stack, job_name_prefix="churn-labels")
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "RunLabelingJobs",
                                "Resource": {
                                    "Fn::Join": [
                                        "",
                                        Match.array_with([Match.string_like_regexp(r"labeling-job/churn-labels-\*$")]),
                                    ]
                                },
                            }
                        ),
                        Match.object_like(
                            {
                                "Action": "iam:PassRole",
                                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_the_bucket_check_holds_for_buckets_of_this_app_too() -> None:
    stack = _stack()
    output = s3.Bucket(stack, "Output")
    other = s3.Bucket(stack, "Other")
    with pytest.raises(ValidationError, match=r"T/Flow: data must be in one of allowed_buckets"):
        _workflow(
            stack,
            output=S3Path(output, "labels"),
            manifest=S3Path(output, "in.manifest"),
            ui_template=S3Path(output, "t.html"),
            data=[S3Path(other, "images")],
        )


def test_the_execution_metrics_are_the_state_machines() -> None:
    stack = _stack()
    flow = _workflow(stack)
    metric = flow.metric_executions_failed()
    assert metric.namespace == "AWS/States" and metric.metric_name == "ExecutionsFailed"
    assert stack.resolve(metric.dimensions)["StateMachineArn"] == stack.resolve(flow.state_machine_arn)
    assert flow.metric_executions_succeeded().metric_name == "ExecutionsSucceeded"


def test_a_vpc_only_portal_gets_the_workforce_vpc_config() -> None:
    from aws_cdk import aws_ec2 as ec2

    from constructs_ml.label import WorkforceVpcAccess

    stack = _stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    sg = ec2.SecurityGroup(stack, "Sg", vpc=vpc, allow_all_outbound=False)
    PrivateWorkforce(stack, "Workforce", vpc_access=WorkforceVpcAccess(vpc=vpc, security_groups=[sg]))
    with pytest.raises(ValidationError, match=r"vpc_access.security_groups must be 1\.\.5 security groups"):
        PrivateWorkforce(stack, "Bad", vpc_access=WorkforceVpcAccess(vpc=vpc, security_groups=[]))
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Workforce",
        {
            "WorkforceVpcConfig": {
                "VpcId": {"Ref": Match.string_like_regexp("Vpc")},
                "SecurityGroupIds": [{"Fn::GetAtt": [Match.string_like_regexp("Sg"), "GroupId"]}],
                "Subnets": Match.any_value(),
            }
        },
    )
