"""Personas (the people's roles) and the platform's execution roles (controls IAM-*, SM-11, SM-12).

Example::

    personas = Personas(self, "Personas", keys=keys, buckets=buckets, network=network)
    personas.role(PersonaKind.MODEL_APPROVER)             # the only role that may approve models
    personas.studio_execution_role(PersonaKind.DATA_SCIENTIST)
    roles = ExecutionRoles(self, "ExecutionRoles", buckets=buckets, guardrail=personas.guardrail)
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_env, stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.errors import Problems
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.foundation.buckets import WRITE_ONCE_SOURCE
from constructs_ml.foundation.guardrails import SageMakerGuardrail
from constructs_ml.foundation.imported import IPlatformBuckets, data_key
from constructs_ml.foundation.keys import PlatformKeys
from constructs_ml.foundation.network import MlNetwork
from constructs_ml.foundation.policies import workload_statements
from constructs_ml.foundation.roles import ManagedPolicyRole, policy_document, stack_arn
from constructs_ml.governance.acknowledgements import SAGEMAKER_LIST_ACTIONS

#: The tag every persona and execution role carries; the SageMaker rule pack reads it.
PERSONA_TAG = "constructs-ml:persona"

#: The session tag that names the Studio user profile a person may open. People set it when they assume
#: a persona role, and the trust policy lets them set it only to their own IAM user name.
STUDIO_PROFILE_SESSION_TAG = "studio-user-profile"


class PersonaKind(enum.Enum):
    """The people who use the platform."""

    DATA_SCIENTIST = "data-scientist"
    ML_ENGINEER = "ml-engineer"
    PLATFORM_ADMIN = "platform-admin"
    MODEL_APPROVER = "model-approver"

    @property
    def construct_id(self) -> str:
        return "".join(p.capitalize() for p in self.value.split("-"))


#: Read-only SageMaker actions: List*/Search (resource-less) and Describe* on account resources.
SAGEMAKER_READ_ACTIONS: tuple[str, ...] = SAGEMAKER_LIST_ACTIONS

SAGEMAKER_DESCRIBE_ACTIONS: tuple[str, ...] = (
    "sagemaker:DescribeDomain",
    "sagemaker:DescribeUserProfile",
    "sagemaker:DescribeSpace",
    "sagemaker:DescribeApp",
    "sagemaker:DescribePipeline",
    "sagemaker:DescribePipelineExecution",
    "sagemaker:DescribePipelineDefinitionForExecution",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:DescribeProcessingJob",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeFeatureGroup",
    "sagemaker:DescribeMonitoringSchedule",
    "sagemaker:DescribeModel",
)

#: Job-creating actions a Studio user may run (each also bound by the guardrail).
STUDIO_JOB_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:StopTrainingJob",
    "sagemaker:StopProcessingJob",
    "sagemaker:StopHyperParameterTuningJob",
    "sagemaker:StopTransformJob",
    "sagemaker:AddTags",
)


#: Where people and their notebooks write in the artifacts bucket: their own work prefixes. Pipeline
#: outputs (``pipelines/``) are written by pipeline job roles only (``PlatformBuckets`` write-once prefix).
PERSONA_WORK_PREFIX = "work/{persona}/"
STUDIO_WORK_PREFIX = "studio/{persona}/"
#: What ML engineers publish in the artifacts bucket for the platform to use: pipeline code (processing
#: scripts), initial models, and monitoring baselines and analysis configs. None of it is a pipeline output.
ENGINEER_PREFIXES: tuple[str, ...] = ("code/", "models/", "baselines/")
#: Where the default training role (jobs started outside a pipeline) writes.
JOBS_PREFIX = "jobs/"


def _sagemaker_arn(scope: Construct, resource_type: str) -> str:
    return stack_arn(scope, "sagemaker", f"{resource_type}/*")


class Personas(Construct):
    """The platform's personas: a role per kind of person, plus Studio execution roles.

    Every role is a :class:`ManagedPolicyRole` (customer-managed policies only), carries the tag
    ``constructs-ml:persona=<kind>``, and has attached: the :class:`SageMakerGuardrail` (SM-11) and
    the persona guardrail (SM-12), which denies setting ``ModelApprovalStatus=Approved`` to everyone
    but the model approver and denies ``CreatePresignedDomainUrl`` unless it comes through the
    platform's SageMaker VPC endpoints.

    Args:
        scope: parent construct.
        construct_id: construct id.
        keys: the platform keys (their data key is the one SageMaker must use), or that key itself (e.g.
            a landing zone's key, imported with ``kms.Key.from_key_arn``).
        buckets: the platform buckets: ``PlatformBuckets``, or existing buckets as
            :class:`~constructs_ml.foundation.ImportedPlatformBuckets`.
        network: the platform network; its endpoint ids bound Studio presigned URLs. Without it,
            the presigned-URL guard is not added (a warning says so).
        trusted_principal: who may assume the persona roles: this account's IAM principals with MFA
            when omitted (federated users come through IAM Identity Center permission sets or SAML
            roles that are granted ``sts:AssumeRole`` on these roles).
        guardrail: an existing SageMaker guardrail: a new one for the data key when omitted.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        keys: PlatformKeys | kms.IKey,
        buckets: IPlatformBuckets,
        network: MlNetwork | None = None,
        trusted_principal: iam.IPrincipal | None = None,
        guardrail: SageMakerGuardrail | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        if not isinstance(keys, PlatformKeys):
            problems.require_type("keys", keys, "key_arn", "PlatformKeys or a KMS key (kms.IKey)")
        problems.require_type("buckets", buckets, "capture", "PlatformBuckets or ImportedPlatformBuckets")
        problems.raise_if_any()
        keys = data_key(keys)
        stack = stack_of(self)
        env = env_of(stack)
        self.guardrail = guardrail or SageMakerGuardrail(
            self, "Guardrail", keys=[keys], subnet_ids=network.subnet_ids if network else None
        )
        principal = trusted_principal or iam.AccountRootPrincipal().with_conditions(
            {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        )

        # IAM JSON, handed to CDK one document per policy (not one PolicyStatement object per statement)
        guard_statements: list[dict[str, Any]] = [
            {
                "Sid": "OnlyApproverApproves",
                "Effect": "Deny",
                "Action": ["sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage"],
                "Resource": "*",
                "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}},
            }
        ]
        vpce_ids = [i for i in ((network.studio_endpoint_id, network.api_endpoint_id) if network else ()) if i]
        if vpce_ids:
            guard_statements.append(
                {
                    "Sid": "StudioOnlyThroughVpcEndpoints",
                    "Effect": "Deny",
                    "Action": "sagemaker:CreatePresignedDomainUrl",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce_ids}},
                }
            )
        else:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:personas-no-vpce-guard",
                "Personas: no network given, so Studio presigned URLs are not bound to the VPC endpoints (SM-12).",
            )
        self.approval_guard = iam.ManagedPolicy(
            self,
            "PersonaGuardrail",
            description="constructs-ml persona guardrail: only approvers approve; Studio only via VPC endpoints",
            document=policy_document(guard_statements),
        )
        # The approver's own guard: Studio through the endpoints too, but approving allowed.
        approver_guard_statements = guard_statements[1:]
        self.approver_guard: iam.ManagedPolicy | None = (
            iam.ManagedPolicy(
                self,
                "ApproverGuardrail",
                description="constructs-ml approver guardrail: Studio only via VPC endpoints",
                document=policy_document(approver_guard_statements),
            )
            if approver_guard_statements
            else None
        )

        self._roles: dict[PersonaKind, ManagedPolicyRole] = {}
        for kind in PersonaKind:
            guards: list[iam.IManagedPolicy] = [self.guardrail.policy]
            if kind is PersonaKind.MODEL_APPROVER:
                if self.approver_guard is not None:
                    guards.append(self.approver_guard)
            else:
                guards.append(self.approval_guard)
            self._roles[kind] = ManagedPolicyRole(
                self,
                kind.construct_id,
                assumed_by=principal,
                description=f"constructs-ml persona: {kind.value}",
                managed_policies=guards,
                tags={PERSONA_TAG: kind.value},
            )
            if trusted_principal is None:
                self._allow_own_profile_tag(self._roles[kind])

        read = iam.PolicyStatement(sid="ListSageMaker", actions=list(SAGEMAKER_READ_ACTIONS), resources=["*"])
        list_in_account = iam.PolicyStatement(
            sid="ListPipelineRunsAndPackages",
            actions=[
                "sagemaker:ListPipelineExecutions",
                "sagemaker:ListPipelineExecutionSteps",
                "sagemaker:ListModelPackages",
            ],
            resources=[stack_arn(self, "sagemaker", f"{t}/*") for t in ("pipeline", "model-package")],
        )
        describe = iam.PolicyStatement(
            sid="DescribeSageMaker",
            actions=list(SAGEMAKER_DESCRIBE_ACTIONS),
            resources=[stack_arn(self, "sagemaker", "*")],
        )
        for role in self._roles.values():
            role.add_to_policy(read, list_in_account, describe)

        ds = self._roles[PersonaKind.DATA_SCIENTIST]
        buckets.data.grant_read_write(ds)
        buckets.artifacts.grant_read(ds)

        mle = self._roles[PersonaKind.ML_ENGINEER]
        buckets.data.grant_read(mle)
        buckets.artifacts.grant_read(mle)
        for prefix in (PERSONA_WORK_PREFIX.format(persona=PersonaKind.ML_ENGINEER.value), *ENGINEER_PREFIXES):
            buckets.artifacts.grant_write(mle, prefix)
        mle.add_to_policy(
            iam.PolicyStatement(
                sid="RunPipelinesAndRegisterModels",
                actions=[
                    "sagemaker:StartPipelineExecution",
                    "sagemaker:StopPipelineExecution",
                    "sagemaker:RetryPipelineExecution",
                    "sagemaker:CreateModelPackage",
                ],
                resources=[_sagemaker_arn(self, "pipeline"), _sagemaker_arn(self, "model-package")],
            )
        )

        approver = self._roles[PersonaKind.MODEL_APPROVER]
        buckets.artifacts.grant_read(approver)
        approver.add_to_policy(
            iam.PolicyStatement(
                sid="ApproveOrRejectModels",
                actions=["sagemaker:UpdateModelPackage"],
                resources=[_sagemaker_arn(self, "model-package")],
                conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": ["Approved", "Rejected"]}},
            )
        )

        package = _sagemaker_arn(self, "model-package").replace("/*", "/contract-check/1")
        WorkloadContract.of(approver).allows(
            "sagemaker:UpdateModelPackage",
            package,
            context={"sagemaker:ModelApprovalStatus": "Approved"},
            why="the model approver approves model packages",
            source=src.MODEL_REGISTRY,
        )
        for kind in (PersonaKind.DATA_SCIENTIST, PersonaKind.ML_ENGINEER, PersonaKind.PLATFORM_ADMIN):
            WorkloadContract.of(self._roles[kind]).denies(
                ["sagemaker:UpdateModelPackage", "sagemaker:CreateModelPackage"],
                package,
                context={"sagemaker:ModelApprovalStatus": "Approved"},
                why="only the model approver may approve (SM-12)",
                source=src.SAGEMAKER_CONDITIONS,
            )
        WorkloadContract.of(mle).allows(
            "sagemaker:StartPipelineExecution",
            _sagemaker_arn(self, "pipeline").replace("/*", "/contract-check"),
            why="ML engineers run the platform's pipelines",
            source=src.PIPELINES_ROLE,
        ).allows(
            "sagemaker:CreateModelPackage",
            package,
            context={"sagemaker:ModelApprovalStatus": "PendingManualApproval"},
            why="ML engineers register models for approval",
            source=src.MODEL_REGISTRY,
        )

        admin = self._roles[PersonaKind.PLATFORM_ADMIN]
        admin.add_to_policy(
            iam.PolicyStatement(
                sid="OperatePlatform",
                actions=[
                    "sagemaker:StopPipelineExecution",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:DeleteApp",
                    "sagemaker:UpdateUserProfile",
                    "sagemaker:UpdateEndpointWeightsAndCapacities",
                    "sagemaker:StartMonitoringSchedule",
                    "sagemaker:StopMonitoringSchedule",
                ],
                resources=[
                    _sagemaker_arn(self, t)
                    for t in (
                        "pipeline",
                        "training-job",
                        "processing-job",
                        "app",
                        "user-profile",
                        "endpoint",
                        "monitoring-schedule",
                    )
                ],
            )
        )

        # Studio execution roles: what a person's notebooks may do, per persona.
        self._studio_roles: dict[PersonaKind, ManagedPolicyRole] = {}
        for kind in (PersonaKind.DATA_SCIENTIST, PersonaKind.ML_ENGINEER):
            role = ManagedPolicyRole(
                self,
                f"{kind.construct_id}Studio",
                assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                    {"StringEquals": {"aws:SourceAccount": env.account}}
                ),
                description=f"constructs-ml Studio execution role: {kind.value}",
                managed_policies=[self.approval_guard],
                guardrail=self.guardrail.policy,
                tags={PERSONA_TAG: kind.value},
            )
            role.add_to_policy(
                *workload_statements(self),
                read,
                list_in_account,
                describe,
                iam.PolicyStatement(
                    sid="RunJobsFromStudio",
                    actions=list(STUDIO_JOB_ACTIONS),
                    resources=[
                        _sagemaker_arn(self, t)
                        for t in ("training-job", "processing-job", "hyper-parameter-tuning-job", "transform-job")
                    ],
                ),
            )
            role.grant_pass_role(role)
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="VolumeKeyGrantsForSageMaker",
                    actions=["kms:CreateGrant"],
                    resources=[keys.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                )
            )
            self._studio_contract(role, keys.key_arn, network)
            if kind is PersonaKind.DATA_SCIENTIST:
                data_object = buckets.data.bucket.arn_for_objects("contract-check/upload.csv")
                (
                    WorkloadContract.of(role)
                    .allows(
                        "s3:PutObject",
                        data_object,
                        why="notebooks upload data with the SDK's defaults (the bucket's default encryption applies)",
                        source=src.S3_DEFAULT_ENCRYPTION,
                    )
                    .denies(
                        "s3:PutObject",
                        data_object,
                        context=src.sse_kms("arn:aws:kms:eu-west-1:999999999999:key/other"),
                        why="no object is encrypted with another key (S3-08)",
                        source=src.S3_DEFAULT_ENCRYPTION,
                    )
                    .denies(
                        "s3:PutObject",
                        data_object,
                        context={"s3:x-amz-server-side-encryption": "AES256"},
                        why="no object falls back to SSE-S3 (S3-01)",
                        source=src.S3_DEFAULT_ENCRYPTION,
                    )
                )
                buckets.data.grant_read_write(role)
            else:
                buckets.data.grant_read(role)
            buckets.artifacts.grant_read(role)
            buckets.artifacts.grant_write(role, STUDIO_WORK_PREFIX.format(persona=kind.value))
            self._studio_roles[kind] = role
        self._artifact_contracts(buckets)

    def _artifact_contracts(self, buckets: IPlatformBuckets) -> None:
        """People and notebooks write their own work prefixes; pipeline outputs are not theirs to write."""
        key_arn = buckets.key.key_arn
        pipeline_output = buckets.artifacts.bucket.arn_for_objects("pipelines/contract-check/model.tar.gz")
        writers = [
            (self._roles[PersonaKind.ML_ENGINEER], PERSONA_WORK_PREFIX.format(persona=PersonaKind.ML_ENGINEER.value)),
            *((role, STUDIO_WORK_PREFIX.format(persona=kind.value)) for kind, role in self._studio_roles.items()),
        ]
        for role, prefix in writers:
            WorkloadContract.of(role).allows(
                "s3:PutObject",
                buckets.artifacts.bucket.arn_for_objects(f"{prefix}contract-check/notebook-output.csv"),
                context=src.sse_kms(key_arn),
                why="people and their notebooks keep their own work in the artifacts bucket",
                source=src.S3_DEFAULT_ENCRYPTION,
            )
        for role in self.all_roles:
            WorkloadContract.of(role).denies(
                ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                pipeline_output,
                context=src.sse_kms(key_arn),
                why="pipeline outputs (models, evaluation reports) are written once, by the pipeline's jobs only",
                source=WRITE_ONCE_SOURCE,
            )

    def _allow_own_profile_tag(self, role: ManagedPolicyRole) -> None:
        """Let a person tag their session with their *own* Studio profile name, and nothing else.

        The trust policy admits ``sts:TagSession`` only when the one tag key is
        :data:`STUDIO_PROFILE_SESSION_TAG` and its value is the caller's IAM user name
        (``${aws:username}``), so nobody can open another person's profile. Federated users get the tag
        from their identity provider instead (a SAML/OIDC session-tag attribute), with a trust policy of
        your own (``trusted_principal``).
        """
        account = stack_env(self).account
        assert role.role.assume_role_policy is not None
        role.role.assume_role_policy.add_statements(
            iam.PolicyStatement(
                sid="TagSessionWithOwnStudioProfile",
                actions=["sts:TagSession"],
                principals=[iam.AccountRootPrincipal()],
                conditions={
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "StringEquals": {f"aws:RequestTag/{STUDIO_PROFILE_SESSION_TAG}": "${aws:username}"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": [STUDIO_PROFILE_SESSION_TAG]},
                },
            )
        )
        user = f"arn:{stack_env(self).partition}:iam::{account}:user/contract-check-user"
        tag = f"aws:RequestTag/{STUDIO_PROFILE_SESSION_TAG}"
        person = {"aws:MultiFactorAuthPresent": "true", "aws:username": "contract-check-user"}
        (
            WorkloadContract.of(role)
            .allows(
                "sts:AssumeRole",
                role.role_arn,
                caller=user,
                context=person,
                why="a person assumes the persona role with MFA",
                source=src.SESSION_TAGS,
            )
            .denies(
                "sts:AssumeRole",
                role.role_arn,
                caller=user,
                context={"aws:username": "contract-check-user"},
                why="no persona session without MFA",
                source=src.SESSION_TAGS,
            )
            .allows(
                "sts:TagSession",
                role.role_arn,
                caller=user,
                context={**person, tag: "contract-check-user", "aws:TagKeys": [STUDIO_PROFILE_SESSION_TAG]},
                why="the session names the person's own Studio profile",
                source=src.SESSION_TAGS,
            )
            .denies(
                "sts:TagSession",
                role.role_arn,
                caller=user,
                context={**person, tag: "someone-else", "aws:TagKeys": [STUDIO_PROFILE_SESSION_TAG]},
                why="nobody can tag a session with another person's profile",
                source=src.SESSION_TAGS,
            )
            .denies(
                "sts:TagSession",
                role.role_arn,
                caller=user,
                context={**person, "aws:RequestTag/other": "x", "aws:TagKeys": ["other"]},
                why="no other session tags (they could satisfy other tag-based policies)",
                source=src.SESSION_TAGS,
            )
        )

    def _studio_contract(self, role: ManagedPolicyRole, key_arn: str, network: MlNetwork | None) -> None:
        """What a Studio execution role's notebooks do, and what the guardrail must stop them doing."""
        job = _sagemaker_arn(self, "training-job").replace("/*", "/contract-check")
        contract = WorkloadContract.of(role)
        good = src.compliant_job(key_arn, self.guardrail.subnet_ids)
        contract.allows(
            "sagemaker:CreateTrainingJob",
            job,
            context=good,
            why="notebooks start training jobs inside the platform's controls",
            source=src.SAGEMAKER_ROLES,
        )
        for flag in ("sagemaker:NetworkIsolation", "sagemaker:InterContainerTrafficEncryption"):
            contract.denies(
                "sagemaker:CreateTrainingJob",
                job,
                context={**good, flag: "false"},
                why=f"the guardrail denies a job with {flag} off (SM-11)",
                source=src.SAGEMAKER_CONDITIONS,
            )
        for missing in (
            "sagemaker:VpcSubnets",
            "sagemaker:VolumeKmsKey",
            "sagemaker:NetworkIsolation",
            "sagemaker:InterContainerTrafficEncryption",
        ):
            contract.denies(
                "sagemaker:CreateTrainingJob",
                job,
                context={k: v for k, v in good.items() if k != missing},
                why=f"the guardrail denies a job that leaves out {missing} (SM-11)",
                source=src.SAGEMAKER_CONDITIONS,
            )
        contract.denies(
            ["sagemaker:CreateCompilationJob", "sagemaker:CreateInferenceRecommendationsJob"],
            _sagemaker_arn(self, "compilation-job").replace("/*", "/contract-check"),
            why="job types IAM cannot bind to the VPC or the platform key are denied outright",
            source=src.SAGEMAKER_CONDITIONS,
        )
        contract.denies(
            "sagemaker:CreateMonitoringSchedule",
            _sagemaker_arn(self, "monitoring-schedule").replace("/*", "/contract-check"),
            context={k: v for k, v in good.items() if k != "sagemaker:VolumeKmsKey"},
            why="monitoring schedules follow the same controls as jobs",
            source=src.SAGEMAKER_CONDITIONS,
        )
        contract.denies(
            "sagemaker:CreateTrainingJob",
            job,
            context={**good, "sagemaker:VolumeKmsKey": "arn:aws:kms:eu-west-1:999999999999:key/foreign"},
            why="the guardrail denies a foreign volume key (SM-11)",
            source=src.SAGEMAKER_CONDITIONS,
        )
        contract.denies(
            ["iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary"],
            "*",
            why="the permissions boundary denies escalation (IAM-06)",
            source="https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
        )
        src.job_runtime(contract, self, key_arn=key_arn, log_kind="studio", distributed=False)
        if network is not None:
            contract.reaches(
                ["sagemaker.api", "sagemaker.runtime", "sts", "s3", "logs"],
                security_groups=[network.workload_security_group],
                subnets=network.subnets,
                why="Studio apps in VpcOnly mode call SageMaker, STS and S3 through the VPC's endpoints",
                source=src.STUDIO_VPC,
            )

    def role(self, kind: PersonaKind) -> ManagedPolicyRole:
        """The role people of ``kind`` assume."""
        return self._roles[kind]

    def studio_execution_role(self, kind: PersonaKind) -> ManagedPolicyRole:
        """The Studio execution role for ``kind`` (data scientists and ML engineers)."""
        if kind not in self._studio_roles:
            raise KeyError(
                f"{self.node.path}: no Studio execution role for persona {kind.value!r}; "
                f"available: {', '.join(k.value for k in self._studio_roles)}"
            )
        return self._studio_roles[kind]

    @property
    def all_roles(self) -> list[ManagedPolicyRole]:
        """Every persona and Studio execution role."""
        return [*self._roles.values(), *self._studio_roles.values()]


class ExecutionRoles(Construct):
    """Default execution roles for SageMaker workloads and the platform's glue functions.

    Each is a :class:`ManagedPolicyRole` with the guardrail attached and only the permissions its
    workload needs on the platform buckets and key. Constructs that can scope tighter (a pipeline
    that knows its exact prefixes, a model that knows its artifact) create their own roles instead.

    Roles:
        training: training and processing jobs: read data and artifacts, write artifacts under ``jobs/``
            (pipeline outputs under ``pipelines/`` are written by each pipeline's own job role).
        inference: models/endpoints: read artifacts, write capture.
        monitoring: monitoring jobs: read capture and artifacts (baselines), write capture (reports).
        pipeline: SageMaker Pipelines: create jobs/models/packages, pass the training and inference roles.
        glue: the platform's Lambda glue (starts pipelines, updates endpoints).

    Args:
        scope: parent construct.
        construct_id: construct id.
        buckets: the platform buckets (grants include use of their key): ``PlatformBuckets``, or existing
            buckets as :class:`~constructs_ml.foundation.ImportedPlatformBuckets`.
        guardrail: the SageMaker guardrail to attach (e.g. ``Personas.guardrail``).
        pipeline_names: the pipelines the pipeline and glue roles may act on: all of the account's when
            omitted (build constructs create tighter roles).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        buckets: IPlatformBuckets,
        guardrail: SageMakerGuardrail,
        pipeline_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.require_type("buckets", buckets, "capture", "PlatformBuckets or ImportedPlatformBuckets")
        for n in pipeline_names or ():
            problems.require(
                bool(n) and len(n) <= 256 and all(c.isalnum() or c == "-" for c in n),
                "pipeline_names",
                n,
                "pipeline names of 1..256 letters, digits and hyphens",
            )
        problems.raise_if_any()
        stack = stack_of(self)
        env = env_of(stack)
        sm = iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
            {"StringEquals": {"aws:SourceAccount": env.account}}
        )
        key_arn = buckets.key.key_arn
        volume_key_grants = iam.PolicyStatement(
            sid="VolumeKeyGrantsForSageMaker",
            actions=["kms:CreateGrant"],
            resources=[key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )

        def role(cid: str, description: str, assumed_by: iam.IPrincipal, persona: str) -> ManagedPolicyRole:
            return ManagedPolicyRole(
                self,
                cid,
                assumed_by=assumed_by,
                description=description,
                guardrail=guardrail.policy,
                tags={PERSONA_TAG: persona},
            )

        self.training = role("Training", "constructs-ml training and processing jobs", sm, "execution-training")
        self.training.add_to_policy(*workload_statements(self, log_kinds=("TrainingJobs", "ProcessingJobs")))
        buckets.data.grant_read(self.training)
        buckets.artifacts.grant_read(self.training)
        buckets.artifacts.grant_write(self.training, JOBS_PREFIX)
        self.training.add_to_policy(volume_key_grants)
        training = src.job_runtime(WorkloadContract.of(self.training), self, key_arn=key_arn, log_kind="TrainingJobs")
        training.allows(
            "s3:GetObject",
            buckets.data.bucket.arn_for_objects("contract-check/train.csv"),
            why="training reads its input channels from the data bucket",
            source=src.SAGEMAKER_ROLES,
        ).allows(
            "s3:PutObject",
            buckets.artifacts.bucket.arn_for_objects(f"{JOBS_PREFIX}contract-check/model.tar.gz"),
            context=src.sse_kms(key_arn),
            why="training writes model artifacts",
            source=src.SAGEMAKER_ROLES,
        )

        self.inference = role("Inference", "constructs-ml models and endpoints", sm, "execution-inference")
        self.inference.add_to_policy(*workload_statements(self, log_kinds=("Endpoints/*",)))
        buckets.artifacts.grant_read(self.inference)
        self.inference.add_to_policy(volume_key_grants)
        src.job_runtime(
            WorkloadContract.of(self.inference),
            self,
            key_arn=key_arn,
            log_kind="Endpoints/contract-check",
            network_source=src.HOSTING_VPC,
            distributed=False,
            writes=False,
        ).allows(
            "s3:GetObject",
            buckets.artifacts.bucket.arn_for_objects("contract-check/model.tar.gz"),
            why="the endpoint downloads the model artifact",
            source=src.SAGEMAKER_ROLES,
        )

        self.monitoring = role("Monitoring", "constructs-ml model monitoring jobs", sm, "execution-monitoring")
        self.monitoring.add_to_policy(*workload_statements(self, log_kinds=("ProcessingJobs",)))
        buckets.capture.grant_read_write(self.monitoring)
        buckets.artifacts.grant_read(self.monitoring)
        self.monitoring.add_to_policy(volume_key_grants)
        src.job_runtime(
            WorkloadContract.of(self.monitoring),
            self,
            key_arn=key_arn,
            log_kind="ProcessingJobs",
            network_source=src.PROCESSING_VPC,
        ).allows(
            "s3:GetObject",
            buckets.capture.bucket.arn_for_objects("contract-check/capture.jsonl"),
            why="monitoring reads captured requests and responses",
            source=src.SAGEMAKER_ROLES,
        ).allows(
            "s3:PutObject",
            buckets.capture.bucket.arn_for_objects("contract-check/constraint_violations.json"),
            context=src.sse_kms(key_arn),
            why="monitoring writes its reports",
            source=src.SAGEMAKER_ROLES,
        )

        pipelines = (
            [sagemaker_arn(self, "pipeline", n) for n in pipeline_names]
            if pipeline_names
            else [stack_arn(self, "sagemaker", "pipeline/*")]
        )
        self.pipeline = role("Pipeline", "constructs-ml SageMaker pipelines", sm, "execution-pipeline")
        self.pipeline.add_to_policy(
            iam.PolicyStatement(
                sid="RunPipelineSteps",
                actions=[
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:DescribeTrainingJob",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:CreateProcessingJob",
                    "sagemaker:DescribeProcessingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:CreateModel",
                    "sagemaker:AddTags",
                ],
                resources=[
                    stack_arn(self, "sagemaker", f"{t}/*")
                    for t in ("training-job", "processing-job", "model-package", "model")
                ],
            )
        )
        self.pipeline.add_to_policy(
            iam.PolicyStatement(
                sid="RegisterModelsPendingApproval",
                actions=["sagemaker:CreateModelPackage"],
                resources=[stack_arn(self, "sagemaker", "model-package/*")],
                conditions={"StringNotEqualsIfExists": {"sagemaker:ModelApprovalStatus": "Approved"}},
            )
        )
        self.training.grant_pass_role(self.pipeline)
        self.inference.grant_pass_role(self.pipeline)
        # The pipeline (service) role reads property files; the jobs write (under their own roles).
        buckets.artifacts.grant_read(self.pipeline)
        job = stack_arn(self, "sagemaker", "training-job/contract-check")
        WorkloadContract.of(self.pipeline).allows(
            "sagemaker:CreateTrainingJob",
            job,
            context=src.compliant_job(key_arn, guardrail.subnet_ids),
            why="the pipeline starts its training steps",
            source=src.PIPELINES_ROLE,
        ).allows(
            "iam:PassRole",
            self.training.role_arn,
            context={"iam:PassedToService": "sagemaker.amazonaws.com"},
            why="the pipeline passes the training role to its jobs",
            source=src.PIPELINES_ROLE,
        ).denies(
            ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"],
            stack_arn(self, "sagemaker", "model-package/contract-check/1"),
            context={"sagemaker:ModelApprovalStatus": "Approved"},
            why="a pipeline registers models pending approval; it cannot approve them",
            source=src.SAGEMAKER_CONDITIONS,
        )

        self.glue = role(
            "Glue",
            "constructs-ml glue functions (retraining, deploy on approval)",
            iam.ServicePrincipal("lambda.amazonaws.com"),
            "execution-glue",
        )
        self.glue.add_to_policy(
            iam.PolicyStatement(
                sid="StartPipelines",
                actions=["sagemaker:StartPipelineExecution", "sagemaker:ListPipelineExecutions"],
                resources=pipelines,
            )
        )
        WorkloadContract.of(self.glue).allows(
            "sagemaker:StartPipelineExecution",
            pipelines[0].replace("pipeline/*", "pipeline/contract-check"),
            why="the glue functions start the retraining pipeline",
            source=src.SAGEMAKER_SAR,
        )

    @property
    def all_roles(self) -> list[ManagedPolicyRole]:
        return [self.training, self.inference, self.monitoring, self.pipeline, self.glue]
