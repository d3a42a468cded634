"""The reference build stack on a foundation stack: one governed, validating synth."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import Stack

from constructs_ml.foundation import PIPELINE_JOB_ROLE_PATH, PersonaKind
from stacks.build import BuildConfig, BuildStack
from tests.develop.definition_schema import body_of, botocore_errors, schema_errors, steps_by_type
from tests.fixtures import ENV, Foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of


@pytest.fixture(scope="module")
def synth() -> tuple[GovernedSynth, dict[str, Any], BuildStack]:
    app = new_app()
    base = Stack(app, "Base", env=ENV)
    f = Foundation(base)
    assert f.personas is not None
    build = BuildStack(
        app,
        "Build",
        config=BuildConfig(),
        keys=f.keys,
        network=f.network,
        buckets=f.buckets,
        guardrail=f.personas.guardrail.policy,
        approver=f.personas.role(PersonaKind.MODEL_APPROVER),
        permissions_boundary=f.boundary.policy,
        env=ENV,
    )
    result = governed_synth(app)
    return result, result.template(build), build


def test_governance_gate_and_cfn_lint(synth: Any) -> None:
    result, template, _ = synth
    assert_governance_clean(result)
    assert cfn_lint_errors(template) == []


def test_the_stack_has_one_of_each(synth: Any) -> None:
    template = synth[1]
    for kind in (
        "AWS::SageMaker::Pipeline",
        "AWS::SageMaker::ModelPackageGroup",
        "AWS::SageMaker::FeatureGroup",
        "AWS::SageMaker::ModelCard",
    ):
        assert len(resources_of(template, kind)) == 1, kind
    assert resources_of(template, "AWS::IAM::Policy") == {}


def test_every_role_has_the_permissions_boundary(synth: Any) -> None:
    for role in resources_of(synth[1], "AWS::IAM::Role").values():
        assert "PermissionsBoundary" in role["Properties"]


def test_pipeline_is_process_train_spot_evaluate_condition_register(synth: Any) -> None:
    (pipeline,) = resources_of(synth[1], "AWS::SageMaker::Pipeline").values()
    doc = body_of(pipeline)
    assert [s["Name"] for s in doc["Steps"]] == [
        "Prepare",
        "Train",
        "Evaluate",
        "DataQualityBaseline",
        "ModelQualityBaseline",
        "CheckAuc",
    ]
    steps = steps_by_type(doc)
    assert steps["Training"][0]["Arguments"]["EnableManagedSpotTraining"] is True
    assert [s["Name"] for s in steps["RegisterModel"]] == ["Register"]
    assert schema_errors(doc) == [] and botocore_errors(doc) == []


def _principal_accounts(node: Any) -> set[str]:
    """Every 12-digit account named in a ``Principal`` anywhere in ``node`` (templates, documents)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("Principal", "NotPrincipal"):
                found |= set(re.findall(r"\b\d{12}\b", json.dumps(value)))
            else:
                found |= _principal_accounts(value)
    elif isinstance(node, list):
        for value in node:
            found |= _principal_accounts(value)
    return found


def test_by_default_no_foreign_principal_anywhere(synth: Any) -> None:
    result, template, build = synth
    (group,) = resources_of(template, "AWS::SageMaker::ModelPackageGroup").values()
    assert "ModelPackageGroupPolicy" not in group["Properties"]
    assert build.registry_artifacts_grant is None
    templates = result.templates()
    assert set(templates) == {"Base", "Build"}
    assert _principal_accounts(templates) <= {ENV.account}
    assert "222222222222" not in json.dumps(templates)


@pytest.fixture(scope="module")
def readers() -> dict[str, dict[str, Any]]:
    """The build stack with a reader account configured (un-governed: shapes only; governance of the same
    statements is covered by tests/develop/test_registry.py)."""
    app = new_app(governed=False, validate_cfn=False)
    base = Stack(app, "Base", env=ENV)
    f = Foundation(base)
    assert f.personas is not None
    BuildStack(
        app,
        "Build",
        config=BuildConfig(registry_reader_accounts=("444455556666",)),
        keys=f.keys,
        network=f.network,
        buckets=f.buckets,
        guardrail=f.personas.guardrail.policy,
        env=ENV,
    )
    assembly = app.synth()
    templates = {name: assembly.get_stack_by_name(name).template for name in ("Base", "Build")}
    return {**templates, "outdir": {"path": assembly.directory}}


def _reader(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if "444455556666" in json.dumps(s.get("Principal", ""))]


def test_configured_readers_get_the_registry_policy_scoped_to_the_group(readers: dict[str, Any]) -> None:
    (group,) = resources_of(readers["Build"], "AWS::SageMaker::ModelPackageGroup").values()
    statements = _reader(group["Properties"]["ModelPackageGroupPolicy"])
    assert [s["Resource"]["Fn::Join"][1][-1] for s in statements] == [
        ":sagemaker:eu-west-1:111111111111:model-package-group/churn",
        ":sagemaker:eu-west-1:111111111111:model-package/churn/*",
    ]
    assert {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])} == {
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
        "sagemaker:CreateModel",
    }


def test_configured_readers_get_the_pipelines_artifacts_and_decrypt_via_s3(readers: dict[str, Any]) -> None:
    base = readers["Base"]
    (pipeline,) = resources_of(readers["Build"], "AWS::SageMaker::Pipeline").values()
    prefix = f"pipelines/{pipeline['Properties']['PipelineName']}/"
    policies = [p["Properties"]["PolicyDocument"] for p in resources_of(base, "AWS::S3::BucketPolicy").values()]
    (read, listing) = [s for doc in policies for s in _reader(doc)]
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert read["Resource"]["Fn::Join"][1][-1] == f"/{prefix}*"
    assert "Artifacts" in json.dumps(read["Resource"])
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    keys = resources_of(base, "AWS::KMS::Key")
    (decrypt,) = [s for k in keys.values() for s in _reader(k["Properties"]["KeyPolicy"])]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    # Nothing else in any template names the reader; the build stack imports nothing for it.
    templates = {k: v for k, v in readers.items() if k != "outdir"}
    assert json.dumps(templates).count("444455556666") == 5
    assert _principal_accounts(templates) == {"111111111111", "444455556666"}
    assert cfn_lint_errors(base) == [] and cfn_lint_errors(readers["Build"]) == []


def test_feature_group_has_both_stores(synth: Any) -> None:
    (group,) = resources_of(synth[1], "AWS::SageMaker::FeatureGroup").values()
    assert group["Properties"]["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"]
    assert group["Properties"]["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"]


#: What docs/develop.md tells the reader account to allow on its side (its deployer / execution role).
READER_IDENTITY_POLICY = {
    "Statement": [
        {"Effect": "Allow", "Action": ["sagemaker:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"], "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
    ]
}


def test_what_the_reader_account_can_and_cannot_do_evaluated(readers: dict[str, Any]) -> None:
    """The resource side of the reader's calls, evaluated with the contracts' IAM evaluator on the resolved
    assembly: even with a reader identity policy allowing everything, only the group's reads, the pipeline
    prefix's objects and decrypt through S3 pass."""
    from constructs_ml.contracts.assembly import Assembly
    from constructs_ml.contracts.check import ContractChecker
    from constructs_ml.contracts.iam import Principal, Request, evaluate

    assembly = Assembly(readers["outdir"]["path"], account=ENV.account, region=ENV.region)
    checker = ContractChecker(assembly)
    (bucket,) = [
        assembly.arn(v, lid)
        for v, lid, _ in assembly.resources("AWS::S3::Bucket")
        if "BucketsArtifacts" in lid and "Logs" not in lid
    ]
    (key,) = [assembly.arn(v, lid) for v, lid, _ in assembly.resources("AWS::KMS::Key") if "KeysDataKey" in lid]
    ((pview, pipeline_id, _),) = assembly.resources("AWS::SageMaker::Pipeline")
    prefix = f"pipelines/{assembly.physical_name(pview, pipeline_id)}/"
    reader = Principal(arn="arn:aws:iam::444455556666:role/deployer", account="444455556666")
    tls = {"aws:SecureTransport": True}
    group = "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/churn"
    package = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/3"

    def decide(action: str, resource: str, **context: Any) -> bool:
        policy, required, owner = checker.resource_policy(action, resource)
        return bool(
            evaluate(
                Request(reader, action, resource, {**tls, **context}),
                identity_policies=[READER_IDENTITY_POLICY],
                resource_policy=policy,
                resource_account=owner or "111111111111",
                resource_policy_required=required,
            )
        )

    assert decide("sagemaker:DescribeModelPackageGroup", group)
    assert decide("sagemaker:DescribeModelPackage", package) and decide("sagemaker:CreateModel", package)
    assert not decide("sagemaker:UpdateModelPackage", package)
    assert not decide("sagemaker:DeleteModelPackage", package)
    assert decide("s3:GetObject", f"{bucket}/{prefix}Train/model/job-1/output/model.tar.gz")
    assert not decide("s3:GetObject", f"{bucket}/code/churn/prepare.py")
    assert not decide("s3:PutObject", f"{bucket}/{prefix}x")
    assert decide("s3:ListBucket", bucket, **{"s3:prefix": f"{prefix}Train/"})
    assert not decide("s3:ListBucket", bucket, **{"s3:prefix": "code/"})
    assert not decide("s3:ListBucket", bucket)  # no prefix: the whole bucket
    assert decide("kms:Decrypt", key, **{"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    assert not decide("kms:Decrypt", key)  # directly, not through S3
    assert not decide("kms:Decrypt", key, **{"kms:ViaService": "s3.us-east-1.amazonaws.com"})
    assert not decide("kms:DescribeKey", key, **{"kms:ViaService": "s3.eu-west-1.amazonaws.com"})


def test_the_register_step_records_the_artifacts_identity(synth: Any) -> None:
    """Approval integrity: the package names the model it was evaluated with, for deploy-on-approval to verify."""
    (pipeline,) = resources_of(synth[1], "AWS::SageMaker::Pipeline").values()
    doc = body_of(pipeline)
    (register,) = steps_by_type(doc)["RegisterModel"]
    metadata = register["Arguments"]["CustomerMetadataProperties"]
    (container,) = register["Arguments"]["InferenceSpecification"]["Containers"]
    assert metadata["constructs-ml:model-data-url"] == container["ModelDataUrl"]
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    assert metadata["constructs-ml:training-job-arn"] == {"Get": "Steps.Train.TrainingJobArn"}
    assert metadata["constructs-ml:pipeline-execution-arn"] == {"Get": "Execution.PipelineExecutionArn"}
    assert "ModelCardArn" in metadata
    assert schema_errors(doc) == [] and botocore_errors(doc) == []


def test_the_job_role_is_under_the_write_once_writers_path(synth: Any) -> None:
    roles = resources_of(synth[1], "AWS::IAM::Role")
    paths = {lid: r["Properties"].get("Path") for lid, r in roles.items() if "Pipeline" in lid}
    assert [p for lid, p in paths.items() if "JobRole" in lid] == [PIPELINE_JOB_ROLE_PATH]
    assert [p for lid, p in paths.items() if "PipelineRole" in lid] == [None]


def test_the_pipeline_computes_the_monitoring_baselines_and_registers_them(synth: Any) -> None:
    """Issue 11: the build pipeline writes the baselines its version's monitors compare against."""
    (pipeline,) = resources_of(synth[1], "AWS::SageMaker::Pipeline").values()
    steps = steps_by_type(body_of(pipeline))
    checks = {s["Name"]: s for s in steps["QualityCheck"]}
    assert {n: (c["CheckType"], c["SkipCheck"], c["RegisterNewBaseline"]) for n, c in checks.items()} == {
        "DataQualityBaseline": ("DATA_QUALITY", True, True),
        "ModelQualityBaseline": ("MODEL_QUALITY", True, True),
    }
    data = checks["DataQualityBaseline"]["Arguments"]
    assert data["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"
    }
    assert data["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert data["AppSpecification"]["ImageUri"].endswith("/sagemaker-model-monitor-analyzer:latest")
    model = checks["ModelQualityBaseline"]["Arguments"]["Environment"]
    assert model["analysis_type"] == "MODEL_QUALITY" and model["problem_type"] == "BinaryClassification"
    (register,) = steps["RegisterModel"]
    baselines = register["Arguments"]["DriftCheckBaselines"]
    assert {k: sorted(v) for k, v in baselines.items()} == {
        "ModelDataQuality": ["Constraints", "Statistics"],
        "ModelQuality": ["Constraints", "Statistics"],
    }
    assert baselines["ModelDataQuality"]["Statistics"]["S3Uri"] == {
        "Get": "Steps.DataQualityBaseline.CalculatedBaselineStatistics"
    }
    assert baselines["ModelQuality"]["Constraints"]["S3Uri"] == {
        "Get": "Steps.ModelQualityBaseline.CalculatedBaselineConstraints"
    }


def test_the_baselines_are_written_once_under_the_pipelines_prefix(synth: Any) -> None:
    """Approval integrity: the check steps write below pipelines/<pipeline>/, one prefix per execution."""
    (pipeline,) = resources_of(synth[1], "AWS::SageMaker::Pipeline").values()
    for check in steps_by_type(body_of(pipeline))["QualityCheck"]:
        (output,) = check["Arguments"]["ProcessingOutputConfig"]["Outputs"]
        values = output["S3Output"]["S3Uri"]["Std:Join"]["Values"]
        assert re.search(r"/pipelines/[a-z0-9-]+/" + check["Name"] + "/quality_check_output$", values[0]), values
        assert values[1] == {"Get": "Execution.PipelineExecutionId"}
