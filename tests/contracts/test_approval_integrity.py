"""Approval integrity on the reference platform, decided by the contract evaluator on the synthesized templates.

- Pipeline outputs are write-once: the artifacts bucket's policy alone (with an identity policy that allows
  everything) denies every persona and Studio role writing or deleting under ``pipelines/``, and lets the
  pipeline's job role (IAM path ``/constructs-ml/pipeline-jobs/``) write its outputs; no one deletes a version.
- Only the approver approves: every role of the platform is asked to create or update a model package as
  ``Approved`` with its real identity policies, boundary and guardrails; only the model approver may.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker
from constructs_ml.contracts.iam import Principal, Request, evaluate
from constructs_ml.foundation import PIPELINE_JOB_ROLE_PATH
from stacks.app import build_platform
from stacks.config import PlatformConfig
from tests.support import new_app

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
PEOPLE = ("DataScientist", "MlEngineer", "PlatformAdmin", "ModelApprover", "DataScientistStudio", "MlEngineerStudio")


@pytest.fixture(scope="module")
def checker() -> ContractChecker:
    app = new_app(governed=False, validate_cfn=False)
    build_platform(app, PlatformConfig(), governed=False)
    return ContractChecker(Assembly(app.synth().directory))


def _artifacts(checker: ContractChecker) -> tuple[str, dict[str, Any]]:
    a = checker.assembly
    ((view, lid, _),) = [
        (v, lid, r) for v, lid, r in a.resources("AWS::S3::Bucket") if "/Buckets/Artifacts/" in a.path_of(v, lid)
    ]
    name = a.physical_name(view, lid)
    policy, _, _ = checker.resource_policy("s3:PutObject", f"arn:aws:s3:::{name}/x")
    assert policy is not None
    return name, policy


def _persona(checker: ContractChecker, name: str) -> Any:
    (role,) = [r for r in checker.roles.values() if f"/Personas/{name}/" in r.path]
    return role


def _job_role(checker: ContractChecker) -> Any:
    (role,) = [r for r in checker.roles.values() if "/Build/Pipeline/JobRole/" in r.path]
    return role


def _put(
    role: Any, bucket: str, key: str, policy: dict[str, Any], *, identity: Any = None, action: str = "s3:PutObject"
) -> Any:
    request = Request(
        Principal(arn=role.arn, account=role.view.account),
        action,
        f"arn:aws:s3:::{bucket}/{key}",
        {"s3:x-amz-server-side-encryption": "aws:kms"},
    )
    return evaluate(
        request,
        identity_policies=identity if identity is not None else role.identity,
        boundary=None if identity is not None else role.boundary,
        resource_policy=policy,
    )


@pytest.mark.parametrize("name", PEOPLE)
def test_the_bucket_policy_alone_denies_people_writing_pipeline_outputs(checker: ContractChecker, name: str) -> None:
    bucket, policy = _artifacts(checker)
    role = _persona(checker, name)
    key = "pipelines/churn-pipeline/pipelines-x-Train-y/output/model.tar.gz"
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"):
        decision = _put(role, bucket, key, policy, identity=[ALLOW_ALL], action=action)
        assert not decision.allowed and "WriteOnce" in decision.reason, (name, action, decision.reason)
    # Their own work prefix stays writable (the policy does not deny it; their identity policy allows it).
    assert _put(role, bucket, "work/x/notes.csv", policy, identity=[ALLOW_ALL]).allowed


@pytest.mark.parametrize("name", PEOPLE)
def test_no_persona_or_studio_role_may_write_pipeline_outputs_with_its_real_policies(
    checker: ContractChecker, name: str
) -> None:
    bucket, _ = _artifacts(checker)
    role = _persona(checker, name)
    key = "pipelines/churn-pipeline/pipelines-x-Evaluate-y/output/evaluation/evaluation.json"
    assert not _put(role, bucket, key, {"Version": "2012-10-17", "Statement": []}).allowed, name


def test_the_pipeline_job_role_writes_its_outputs_but_deletes_no_version(checker: ContractChecker) -> None:
    bucket, policy = _artifacts(checker)
    job = _job_role(checker)
    assert f"role{PIPELINE_JOB_ROLE_PATH}" in job.arn
    prefix = next(
        s["Resource"]
        for doc in job.identity
        for s in doc.get("Statement", [])
        if "s3:PutObject" in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    )
    assert "pipelines/" in str(prefix)
    key = f"pipelines/{_pipeline_name(checker)}/pipelines-x-Train-y/output/model.tar.gz"
    assert _put(job, bucket, key, policy).allowed
    denied = _put(job, bucket, key, policy, action="s3:DeleteObjectVersion")
    assert not denied.allowed and "WriteOnceKeepVersions" in denied.reason


def test_without_the_write_once_statements_the_bucket_policy_lets_people_write(checker: ContractChecker) -> None:
    """The old behaviour: nothing in the bucket policy stopped a role allowed by its identity policy."""
    bucket, policy = _artifacts(checker)
    old = copy.deepcopy(policy)
    old["Statement"] = [s for s in old["Statement"] if not str(s.get("Sid", "")).startswith("WriteOnce")]
    role = _persona(checker, "MlEngineer")
    assert _put(role, bucket, "pipelines/p/model.tar.gz", old, identity=[ALLOW_ALL]).allowed


def _pipeline_name(checker: ContractChecker) -> str:
    a = checker.assembly
    names = {
        str(a.properties(v, lid)["PipelineName"])
        for v, lid, _ in a.resources("AWS::SageMaker::Pipeline")
        if "/Build/Pipeline/" in a.path_of(v, lid)
    }
    (name,) = names
    return name


def test_only_the_approver_approves(checker: ContractChecker) -> None:
    a = checker.assembly
    ((view, lid, _),) = list(a.resources("AWS::SageMaker::ModelPackageGroup"))
    group = a.properties(view, lid)["ModelPackageGroupName"]
    package = f"arn:aws:sagemaker:{view.region}:{view.account}:model-package/{group}/7"
    approving: set[str] = set()
    for role in checker.roles.values():
        for action in ("sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"):
            request = Request(
                Principal(arn=role.arn, account=role.view.account, tags=role.tags),
                action,
                package,
                {"sagemaker:ModelApprovalStatus": "Approved"},
            )
            policy, required, owner = checker.resource_policy(action, package)
            decision = evaluate(
                request,
                identity_policies=role.identity,
                boundary=role.boundary,
                resource_policy=policy,
                resource_account=owner,
                resource_policy_required=required,
            )
            if decision.allowed:
                approving.add(role.path.split("/")[3])
    assert approving == {"ModelApprover"}


def test_only_deploy_on_approval_writes_the_package_the_model_serves(checker: ContractChecker) -> None:
    """``Model(approved_package=...)`` serves the package named by the SSM parameter on every deploy; only
    deploy-on-approval writes it, after its artifact check, so the template's model is a verified package."""
    a = checker.assembly
    ((view, _lid, _),) = [
        (v, lid, r)
        for v, lid, r in a.resources("AWS::SSM::Parameter")
        if a.properties(v, lid).get("Name") == "/constructs-ml/churn/deployed-package"
    ]
    parameter = f"arn:aws:ssm:{view.region}:{view.account}:parameter/constructs-ml/churn/deployed-package"
    writers: set[str] = set()
    for role in checker.roles.values():
        for action in ("ssm:PutParameter", "ssm:DeleteParameter", "ssm:LabelParameterVersion"):
            request = Request(Principal(arn=role.arn, account=role.view.account, tags=role.tags), action, parameter)
            if evaluate(request, identity_policies=role.identity, boundary=role.boundary).allowed:
                writers.add(role.path)
    assert writers and all("/DeployOnApproval/" in w for w in writers), writers
