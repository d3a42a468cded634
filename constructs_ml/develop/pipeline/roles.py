"""Least-privilege permissions of a pipeline's two roles, derived from what its steps use.

- The **pipeline role** (the pipeline's ``RoleArn``) creates, describes, stops and tags the jobs of the
  step types present (names SageMaker Pipelines assigns: ``pipelines-*``), passes only the job role
  and only to SageMaker, registers into the named model package groups (not as ``Approved``), uses the
  KMS key for SageMaker resources only, and reads the artifact prefix (property files).
- The **job role** (the jobs' ``RoleArn``) reads the declared inputs, reads and writes the artifact
  prefix and declared outputs, uses the KMS key, pulls the ECR images used, writes SageMaker logs and
  metrics, and manages the ENIs of VPC jobs in the pipeline's subnets and security groups. Debugger
  rules run as processing jobs SageMaker starts for the training job; AWS's pages do not say under which
  role, so with rules the job role may also write processing-job logs (an assumption, kept narrow); their
  tensors, reports and profiles stay under the artifact prefix it already reads and writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_ml._jsii_cache import env_of, path_of, stack_env, stack_of
from constructs_ml._jsii_cache import key_arn as cached_key_arn
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.develop.pipeline.properties import S3Location
from constructs_ml.develop.pipeline.steps_base import ResourceAccess
from constructs_ml.develop.pipeline.training_debugger import RULE_JOBS_DOC
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.foundation.buckets import (
    KEY_DECRYPT_ACTIONS,
    KEY_ENCRYPT_ACTIONS,
    READ_ACTIONS,
    WRITE_ACTIONS,
    grant_objects,
)
from constructs_ml.foundation.policies import workload_statements
from constructs_ml.foundation.roles import ManagedPolicyRole

#: SageMaker log-group kinds of the jobs a pipeline runs.
_LOG_KINDS = {
    "processing-job": "ProcessingJobs",
    "training-job": "TrainingJobs",
    "transform-job": "TransformJobs",
}

#: SageMaker actions the pipeline role needs per kind of resource it creates.
JOB_ACTIONS: dict[str, tuple[str, ...]] = {
    "processing-job": ("CreateProcessingJob", "DescribeProcessingJob", "StopProcessingJob", "AddTags"),
    "training-job": ("CreateTrainingJob", "DescribeTrainingJob", "StopTrainingJob", "AddTags"),
    "hyper-parameter-tuning-job": (
        "CreateHyperParameterTuningJob",
        "DescribeHyperParameterTuningJob",
        "StopHyperParameterTuningJob",
        "ListTrainingJobsForHyperParameterTuningJob",
        "AddTags",
    ),
    "transform-job": ("CreateTransformJob", "DescribeTransformJob", "StopTransformJob", "AddTags"),
    "model": ("CreateModel", "DescribeModel", "AddTags"),
}

#: Name pattern of the resources SageMaker Pipelines creates (``pipelines-<execution>-<step>-<suffix>``);
#: tuning jobs (32-character names) and the training jobs they start are named without that prefix.
JOB_NAME_PATTERN: dict[str, str] = {
    "processing-job": "pipelines-*",
    "training-job": "pipelines-*",
    "hyper-parameter-tuning-job": "*",
    "transform-job": "pipelines-*",
    "model": "pipelines-*",
}


#: The managed warm pools page: ``KeepAlivePeriodInSeconds`` and the ``sagemaker:KeepAlivePeriod`` condition key.
WARM_POOLS_DOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/train-warm-pools-how-to-use.html"


def _rule_log_kinds(access: ResourceAccess) -> set[str]:
    """Debugger rule jobs are processing jobs: their logs go to ``/aws/sagemaker/ProcessingJobs``."""
    return {"ProcessingJobs"} if access.rule_jobs else set()


def _unique(locations: Sequence[S3Location]) -> list[S3Location]:
    seen: set[tuple[str, str]] = set()
    out: list[S3Location] = []
    for loc in locations:
        key = (path_of(loc.bucket), loc.prefix)
        if key not in seen:
            seen.add(key)
            out.append(loc)
    return out


def grant_job_role(
    scope: Construct,
    job_role: ManagedPolicyRole,
    *,
    access: ResourceAccess,
    artifacts: S3Location,
    key: kms.IKey,
) -> None:
    """Give the job role exactly what the jobs need."""
    grant_objects(
        artifacts.bucket,
        job_role,
        (*READ_ACTIONS, *WRITE_ACTIONS),
        artifacts.prefix,
        key_actions=(*KEY_DECRYPT_ACTIONS, *KEY_ENCRYPT_ACTIONS),
    )
    writes = _unique(access.writes)
    for loc in writes:
        grant_objects(
            loc.bucket,
            job_role,
            (*READ_ACTIONS, *WRITE_ACTIONS),
            loc.prefix,
            key_actions=(*KEY_DECRYPT_ACTIONS, *KEY_ENCRYPT_ACTIONS),
        )
    written = {(path_of(w.bucket), w.prefix) for w in writes}
    for loc in _unique(access.reads):
        if (path_of(loc.bucket), loc.prefix) not in written:
            grant_objects(loc.bucket, job_role, READ_ACTIONS, loc.prefix, key_actions=KEY_DECRYPT_ACTIONS)
    key_arn = cached_key_arn(key)
    statements = [
        iam.PolicyStatement(
            sid="JobVolumesAndOutputs",
            actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            resources=[key_arn],
        ),
        iam.PolicyStatement(
            sid="VolumeKeyGrantsForSageMaker",
            actions=["kms:CreateGrant"],
            resources=[key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]
    if access.shadow_endpoints:
        statements.append(
            iam.PolicyStatement(
                sid="ClarifyShadowEndpoints",
                actions=[
                    "sagemaker:CreateEndpointConfig",
                    "sagemaker:CreateEndpoint",
                    "sagemaker:DescribeEndpoint",
                    "sagemaker:DescribeEndpointConfig",
                    "sagemaker:DeleteEndpoint",
                    "sagemaker:DeleteEndpointConfig",
                    "sagemaker:InvokeEndpoint",
                ],
                resources=[
                    sagemaker_arn(scope, "endpoint", "sm-clarify-*"),
                    sagemaker_arn(scope, "endpoint-config", "sm-clarify-*"),
                ],
            )
        )
    repositories = sorted({arn for image in access.images if (arn := image.repository_arn(scope)) is not None})
    kinds = sorted({_LOG_KINDS[k] for k in access.job_kinds if k in _LOG_KINDS} | _rule_log_kinds(access))
    statements += workload_statements(
        scope,
        log_kinds=kinds or ("TrainingJobs",),
        ecr_repository_arns=repositories,
        pull_images=bool(repositories),
    )
    job_role.add_to_policy(*statements)


def grant_pipeline_role(
    scope: Construct,
    pipeline_role: ManagedPolicyRole,
    *,
    job_role: ManagedPolicyRole,
    access: ResourceAccess,
    artifacts: S3Location,
    key: kms.IKey,
) -> None:
    """Give the pipeline role exactly what running these steps needs."""
    jobs = [
        iam.PolicyStatement(
            sid="Pipeline" + "".join(p.title() for p in kind.split("-")),
            actions=[f"sagemaker:{a}" for a in JOB_ACTIONS[kind]],
            resources=[sagemaker_arn(scope, kind, JOB_NAME_PATTERN[kind])],
        )
        for kind in sorted(access.job_kinds)
    ]
    if "hyper-parameter-tuning-job" in access.job_kinds:
        jobs.append(
            iam.PolicyStatement(
                sid="PipelineTuningTrainingJobs",
                actions=["sagemaker:DescribeTrainingJob"],
                resources=[sagemaker_arn(scope, "training-job", "*")],
            )
        )
    pipeline_role.add_to_policy(*jobs)
    job_role.grant_pass_role(pipeline_role)
    key_arn = cached_key_arn(key)
    pipeline_role.add_to_policy(
        iam.PolicyStatement(
            sid="JobKeyForSageMakerResources",
            actions=["kms:CreateGrant"],
            resources=[key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        # Apart: DescribeKey requests never carry kms:GrantIsForAWSResource, so under it no call matches.
        iam.PolicyStatement(sid="JobKeyDescribe", actions=["kms:DescribeKey"], resources=[key_arn]),
    )
    grant_objects(artifacts.bucket, pipeline_role, READ_ACTIONS, artifacts.prefix, key_actions=KEY_DECRYPT_ACTIONS)
    seen: set[str] = set()
    for registry in access.register_into:
        if path_of(registry) not in seen:
            seen.add(path_of(registry))
            registry.grant_register(pipeline_role, allow_approved=access.auto_approve)
    for registry in access.read_registries:
        if path_of(registry) not in seen:
            seen.add(path_of(registry))
            registry.grant_read(pipeline_role)


def record_contracts(
    scope: Construct,
    *,
    pipeline_role: ManagedPolicyRole,
    job_role: ManagedPolicyRole,
    access: ResourceAccess,
    artifacts: S3Location,
    key: kms.IKey,
    security_groups: Sequence[ec2.ISecurityGroup],
    subnet_ids: Sequence[str],
    guardrail_subnet_ids: Sequence[str] | None = None,
) -> None:
    """The workload contracts of a pipeline's two roles (see :mod:`constructs_ml.contracts`)."""
    key_arn = cached_key_arn(key)
    jobs = WorkloadContract.of(job_role)
    kinds = sorted({_LOG_KINDS[k] for k in access.job_kinds if k in _LOG_KINDS}) or ["TrainingJobs"]
    for kind in kinds:
        src.job_runtime(
            jobs,
            scope,
            key_arn=key_arn,
            log_kind=kind,
            security_groups=security_groups,
            subnets=subnet_ids,
            network_source=src.PROCESSING_VPC if kind == "ProcessingJobs" else src.TRAINING_VPC,
        )
    if access.rule_jobs:
        stack = stack_of(scope)
        env = env_of(stack)
        group = f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:/aws/sagemaker/ProcessingJobs"
        jobs.allows(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            f"{group}:log-stream:contract-check",
            why="Debugger rules run as processing jobs for the training job (assumed under its role) and log there",
            source=RULE_JOBS_DOC,
        )
    artifact = artifacts.bucket.arn_for_objects(f"{artifacts.prefix}contract-check/output.tar.gz")
    jobs.allows("s3:GetObject", artifact, why="steps read their predecessors' outputs", source=src.SAGEMAKER_ROLES)
    jobs.allows(
        "s3:PutObject",
        artifact,
        context=src.sse_kms(key_arn),
        why="steps write their outputs (SSE-KMS)",
        source=src.SAGEMAKER_ROLES,
    )
    for loc in _unique(access.reads):
        jobs.allows(
            "s3:GetObject",
            loc.bucket.arn_for_objects(f"{loc.prefix}contract-check"),
            why="steps read their declared inputs",
            source=src.SAGEMAKER_ROLES,
        )
    pipeline = WorkloadContract.of(pipeline_role)
    good = src.compliant_job(key_arn, guardrail_subnet_ids or list(subnet_ids))
    create = {
        "processing-job": "CreateProcessingJob",
        "training-job": "CreateTrainingJob",
        "hyper-parameter-tuning-job": "CreateHyperParameterTuningJob",
    }
    for kind in sorted(access.job_kinds):
        if kind in create:
            name = JOB_NAME_PATTERN[kind].replace("*", "contract-check")
            pipeline.allows(
                f"sagemaker:{create[kind]}",
                sagemaker_arn(scope, kind, name),
                context=good,
                why=f"the pipeline starts its {kind} steps inside the platform's controls",
                source=src.PIPELINES_ROLE,
            )
    if access.keep_alive_seconds and "training-job" in access.job_kinds:
        pipeline.allows(
            "sagemaker:CreateTrainingJob",
            sagemaker_arn(scope, "training-job", "pipelines-contract-check"),
            context={**good, "sagemaker:KeepAlivePeriod": str(access.keep_alive_seconds)},
            why="training steps keep their instances in a managed warm pool (KeepAlivePeriodInSeconds)",
            source=WARM_POOLS_DOC,
        )
    pipeline.allows(
        "iam:PassRole",
        job_role.role_arn,
        context={"iam:PassedToService": "sagemaker.amazonaws.com"},
        why="the pipeline passes the job role to its steps",
        source=src.PIPELINES_ROLE,
    )
    pipeline.denies(
        "iam:PassRole",
        job_role.role_arn,
        context={"iam:PassedToService": "lambda.amazonaws.com"},
        why="the job role goes to SageMaker only (IAM-08)",
        source=src.PIPELINES_ROLE,
    )
    pipeline.allows(
        "kms:CreateGrant",
        key_arn,
        context={
            "kms:GrantIsForAWSResource": "true",
            "kms:ViaService": f"sagemaker.{stack_env(scope).region}.amazonaws.com",
        },
        why="jobs get volume-key grants",
        source=src.KMS_GRANTS,
    )
    seen: set[str] = set()
    for registry in access.register_into:
        if path_of(registry) in seen:
            continue
        seen.add(path_of(registry))
        package = registry.model_package_arn_pattern.replace("*", "1")
        pipeline.allows(
            "sagemaker:CreateModelPackage",
            package,
            context={"sagemaker:ModelApprovalStatus": "PendingManualApproval"},
            why="the register step adds a package for approval",
            source=src.MODEL_REGISTRY,
        )
        if not access.auto_approve:
            pipeline.denies(
                ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"],
                package,
                context={"sagemaker:ModelApprovalStatus": "Approved"},
                why="a pipeline cannot approve its own model",
                source=src.MODEL_REGISTRY,
            )


__all__ = [
    "JOB_ACTIONS",
    "JOB_NAME_PATTERN",
    "grant_job_role",
    "grant_pipeline_role",
    "record_contracts",
    "sagemaker_arn",
]
