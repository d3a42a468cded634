"""TrainingPipeline on a compliant foundation: one governed, validating synth.

Covers: the governance gate (cdk-nag packs + the SageMaker pack's pipeline rules), cfn-lint, IAM-02/03/04/05
on the pipeline and job roles, iam:PassRole only on the job role to SageMaker, registration that cannot
approve, the guardrail's Deny conditions met by every job step, and the rendered definitions (typed and
wrapped SDK JSON) against the published schema and botocore.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack

from constructs_ml.develop import ExternalDefinition, ModelRegistry, S3Location, TrainingPipeline
from tests.develop.conftest import ChurnSteps, churn_steps
from tests.develop.definition_schema import body_and_tokens, botocore_errors, schema_errors, steps_by_type
from tests.fixtures import ENV, Foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of

SDK_JSON = Path(__file__).parent / "data" / "sdk_pipeline.json"


class Built:
    result: GovernedSynth
    template: dict[str, Any]
    stack: Stack
    foundation: Foundation
    pipeline: TrainingPipeline
    wrapped: TrainingPipeline
    steps: ChurnSteps


@pytest.fixture(scope="module")
def built() -> Built:
    b = Built()
    app = new_app()
    b.stack = Stack(app, "PipelineGov", env=ENV)
    f = b.foundation = Foundation(b.stack)
    assert f.personas is not None
    registry = ModelRegistry(b.stack, "Registry")
    b.steps = churn_steps(f.buckets.data.bucket, f.buckets.artifacts.bucket, registry)
    common: dict[str, Any] = {
        "vpc": f.network.vpc,
        "security_groups": [f.network.workload_security_group],
        "encryption_key": f.keys.data,
        "artifacts_bucket": f.buckets.artifacts.bucket,
        "guardrail": f.personas.guardrail.policy,
    }
    b.pipeline = TrainingPipeline(b.stack, "Churn", steps=b.steps.top_level, parameters=[b.steps.threshold], **common)
    b.wrapped = TrainingPipeline(
        b.stack,
        "Wrapped",
        definition=ExternalDefinition.from_file(SDK_JSON, reads=[S3Location(f.buckets.data.bucket, "sdk/")]),
        **common,
    )
    b.result = governed_synth(app)
    b.template = b.result.template(b.stack)
    return b


def _pipeline(b: Built, which: TrainingPipeline) -> dict[str, Any]:
    resources = resources_of(b.template, "AWS::SageMaker::Pipeline")
    return next(r for r in resources.values() if r["Properties"]["PipelineName"] == which.pipeline_name)


def _policy_of(b: Built, role_logical_prefix: str) -> list[dict[str, Any]]:
    for logical_id, res in resources_of(b.template, "AWS::IAM::ManagedPolicy").items():
        if logical_id.startswith(role_logical_prefix):
            statements: list[dict[str, Any]] = res["Properties"]["PolicyDocument"]["Statement"]
            return statements
    raise AssertionError(f"no policy for {role_logical_prefix}")


def _logical_id(b: Built, construct: Any) -> str:
    return str(b.stack.get_logical_id(construct.node.default_child))


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def test_governance_gate_is_green(built: Built) -> None:
    assert_governance_clean(built.result)


def test_sagemaker_pack_finds_every_pipeline_rule_compliant(built: Built) -> None:
    """The pack parses both definitions and each job-step rule concludes compliant (not cannot-verify)."""
    from constructs_ml.governance.report import read_assembly
    from constructs_ml.governance.rules_base import Status

    facts = read_assembly(built.result.outdir).facts
    pipeline_rules = [e for e in facts.evaluations if e.rule.startswith("SageMaker-Pipeline")]
    by_pipeline: dict[str, set[str]] = {}
    for e in pipeline_rules:
        assert e.outcome.status is Status.COMPLIANT, (e.path, e.rule, e.outcome.detail)
        by_pipeline.setdefault(e.path.split("/")[1], set()).add(e.rule)
    expected = {
        "SageMaker-PipelineDefinitionValid",
        "SageMaker-PipelineStepVpc",
        "SageMaker-PipelineStepKms",
        "SageMaker-PipelineStepNetworkIsolation",
        "SageMaker-PipelineStepInterContainerEncryption",
    }
    assert by_pipeline == {"Churn": expected, "Wrapped": expected}


def test_cfn_lint_accepts_the_template(built: Built) -> None:
    assert cfn_lint_errors(built.template) == []


def test_no_inline_or_aws_managed_policies(built: Built) -> None:
    assert resources_of(built.template, "AWS::IAM::Policy") == {}
    ours = {
        k: v for k, v in resources_of(built.template, "AWS::IAM::Role").items() if k.startswith(("Churn", "Wrapped"))
    }
    assert len(ours) == 4
    for role in ours.values():
        assert "Policies" not in role["Properties"]
        assert not any(":iam::aws:policy/" in str(a) for a in role["Properties"].get("ManagedPolicyArns", []))


@pytest.mark.parametrize("role", ["pipeline_role", "job_role"])
def test_roles_carry_the_guardrail_and_trust_only_sagemaker_of_this_account(built: Built, role: str) -> None:
    r = getattr(built.pipeline, role).role
    props = built.template["Resources"][built.stack.get_logical_id(r.node.default_child)]["Properties"]
    guardrail_id = built.stack.get_logical_id(built.foundation.personas.guardrail.policy.node.default_child)  # type: ignore[union-attr]  # personas built
    assert {"Ref": guardrail_id} in props["ManagedPolicyArns"]
    (statement,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_pipeline_role_passes_only_the_job_role_to_sagemaker(built: Built) -> None:
    statements = _policy_of(built, "ChurnPipelineRolePolicy")
    passes = [s for s in statements if "iam:PassRole" in _as_list(s["Action"])]
    job_role_id = built.stack.get_logical_id(built.pipeline.job_role.role.node.default_child)
    assert passes == [
        {
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [job_role_id, "Arn"]},
        }
    ]


def test_pipeline_role_creates_only_pipeline_named_jobs_of_the_step_types_used(built: Built) -> None:
    statements = _policy_of(built, "ChurnPipelineRolePolicy")
    creates = {a: s for s in statements for a in _as_list(s["Action"]) if a.startswith("sagemaker:Create")}
    assert set(creates) == {
        "sagemaker:CreateProcessingJob",
        "sagemaker:CreateTrainingJob",
        "sagemaker:CreateModelPackage",
    }
    for action in ("sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob"):
        resource = creates[action]["Resource"]["Fn::Join"][1][-1]
        assert resource.endswith(("processing-job/pipelines-*", "training-job/pipelines-*"))
    assert not any(
        s.get("Resource") == "*" and any(a.startswith("sagemaker:") for a in _as_list(s["Action"])) for s in statements
    )


def test_registration_cannot_approve(built: Built) -> None:
    statements = _policy_of(built, "ChurnPipelineRolePolicy")
    (create,) = [s for s in statements if "sagemaker:CreateModelPackage" in _as_list(s["Action"])]
    assert create["Condition"] == {"StringNotEquals": {"sagemaker:ModelApprovalStatus": "Approved"}}
    assert not any("sagemaker:UpdateModelPackage" in _as_list(s["Action"]) for s in statements)


def test_job_role_reads_only_the_input_prefix_of_the_data_bucket(built: Built) -> None:
    statements = _policy_of(built, "ChurnJobRolePolicy")
    data_id = _logical_id(built, built.foundation.buckets.data.bucket)
    on_data = [s for s in statements if data_id in str(s["Resource"])]
    assert on_data, "the job role must read the raw data"
    for s in on_data:
        assert not any(a.startswith(("s3:Put", "s3:Delete")) for a in _as_list(s["Action"]))
        if "s3:GetObject" in _as_list(s["Action"]):
            assert s["Resource"]["Fn::Join"][1][1] == "/churn/raw/*"


def test_job_role_has_no_wildcard_actions_and_star_only_for_resourceless_actions(built: Built) -> None:
    resourceless = {
        "cloudwatch:PutMetricData",
        "ecr:GetAuthorizationToken",
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
    }
    for s in _policy_of(built, "ChurnJobRolePolicy") + _policy_of(built, "ChurnPipelineRolePolicy"):
        assert not any(a.endswith("*") for a in _as_list(s["Action"])), s
        if s["Resource"] == "*":
            assert set(_as_list(s["Action"])) <= resourceless, s


def test_every_job_step_meets_the_guardrail_conditions(built: Built) -> None:
    doc, tokens = body_and_tokens(_pipeline(built, built.pipeline))
    key_id = _logical_id(built, built.foundation.keys.data)
    key = {"Fn::GetAtt": [key_id, "Arn"]}
    by_type = steps_by_type(doc)
    (train,) = by_type["Training"]
    args = train["Arguments"]
    assert tokens[args["ResourceConfig"]["VolumeKmsKeyId"]] == key
    assert tokens[args["OutputDataConfig"]["KmsKeyId"]] == key
    assert len(args["VpcConfig"]["Subnets"]) == 2 and args["VpcConfig"]["SecurityGroupIds"]
    assert args["EnableNetworkIsolation"] is True and args["EnableInterContainerTrafficEncryption"] is True
    assert args["EnableManagedSpotTraining"] is True
    assert args["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    for step in by_type["Processing"]:
        a = step["Arguments"]
        assert tokens[a["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"]] == key
        assert tokens[a["ProcessingOutputConfig"]["KmsKeyId"]] == key
        assert a["NetworkConfig"]["EnableNetworkIsolation"] is True
        assert a["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
        assert {tokens[s]["Ref"] for s in a["NetworkConfig"]["VpcConfig"]["Subnets"]} == {
            built.stack.get_logical_id(s.node.default_child)  # type: ignore[arg-type]  # subnets are CfnSubnets
            for s in built.foundation.network.vpc.isolated_subnets
        }
        assert tokens[a["RoleArn"]] == {"Fn::GetAtt": [_logical_id(built, built.pipeline.job_role.role), "Arn"]}


def test_register_defaults_to_pending_manual_approval(built: Built) -> None:
    doc = body_and_tokens(_pipeline(built, built.pipeline))[0]
    (register,) = steps_by_type(doc)["RegisterModel"]
    assert register["Arguments"]["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["Arguments"]["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == {
        "Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"
    }


@pytest.mark.parametrize("which", ["pipeline", "wrapped"])
def test_definitions_validate_against_the_schema_and_botocore(built: Built, which: str) -> None:
    doc = body_of_pipeline = body_and_tokens(_pipeline(built, getattr(built, which)))[0]
    assert body_of_pipeline["Version"] == "2020-12-01"
    assert schema_errors(doc) == []
    assert botocore_errors(doc) == []


def test_wrapped_definition_gets_the_pipeline_values_for_placeholders(built: Built) -> None:
    doc, tokens = body_and_tokens(_pipeline(built, built.wrapped))
    steps = steps_by_type(doc)
    train = steps["Training"][0]["Arguments"]
    assert tokens[train["RoleArn"]] == {"Fn::GetAtt": [_logical_id(built, built.wrapped.job_role.role), "Arn"]}
    assert len(train["VpcConfig"]["Subnets"]) == 2
    output = steps["Processing"][0]["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert output.startswith("s3://") and output.endswith(f"/pipelines/{built.wrapped.pipeline_name}/sdk/train")


def test_public_attributes_for_the_retraining_trigger(built: Built) -> None:
    p = built.pipeline
    assert p.parameter_names == ["AucThreshold"]
    assert p.pipeline_name == p.pipeline_name.lower()
    assert p.pipeline_arn.endswith(f":pipeline/{p.pipeline_name}")
    assert _pipeline(built, p)["Properties"]["RoleArn"] == {
        "Fn::GetAtt": [_logical_id(built, p.pipeline_role.role), "Arn"]
    }
