"""PlatformPipeline: a self-mutating CDK Pipelines pipeline that delivers the platform to its accounts.

The pipeline lives in the tooling account. It synthesizes the app with the full governance gate (every
cdk-nag pack and the SageMaker pack; ``cdk synth`` exits non-zero on any unacknowledged finding, so a
finding stops the pipeline) and writes the compliance report into the cloud assembly, which the pipeline
keeps as its synth artifact. It then updates itself (self-mutation) and deploys each stage, in order,
with the target account's CDK bootstrap roles; a stage marked for approval waits for a manual approval.

Example::

    pipeline = PlatformPipeline(tooling_stack, "Delivery",
        source=PipelineSource.connection("example-org/ml-platform",
            connection_arn="arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d"),
        config_file="config/multi-account.json")
    pipeline.add_platform_stage(dev_stage)
    pipeline.add_platform_stage(staging_stage)
    pipeline.add_platform_stage(prod_stage, manual_approval=True)
    pipeline.build()

Security: the artifact bucket is a :class:`~constructs_ml.foundation.SecureBucket` (versioned, TLS
only, access-logged, retained) encrypted with a customer-managed key (rotation on, retained) whose policy
names, besides the tooling account, only the stage accounts' CDK bootstrap deploy roles
(``kms:Decrypt``/``kms:DescribeKey``). No Docker is used at synth (``docker_enabled_for_synth`` is off): the
platform's assets are plain folders. The self-mutation project may assume only the CDK bootstrap roles of
the tooling account (CDK Pipelines would grant ``role/*`` with a tag condition).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Names, RemovalPolicy, Stage, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.delivery.pipeline_roles import (
    record_pipeline_contracts,
    render_managed_policies,
    scope_self_mutation,
)
from constructs_ml.delivery.source import PipelineSource
from constructs_ml.errors import Problems
from constructs_ml.foundation.buckets import SecureBucket
from constructs_ml.foundation.guardrails import PermissionsBoundary, apply_permissions_boundary

#: The CDK bootstrap qualifier of ``cdk bootstrap`` without ``--qualifier``.
DEFAULT_QUALIFIER = "hnb659fds"

#: Services the pipeline's roles use beyond the platform ceiling (their boundary's extra actions).
PIPELINE_CEILING_ACTIONS: tuple[str, ...] = (
    "codebuild:BatchGetBuilds",
    "codebuild:StartBuild",
    "codebuild:StopBuild",
    "codebuild:CreateReportGroup",
    "codebuild:CreateReport",
    "codebuild:UpdateReport",
    "codebuild:BatchPutTestCases",
    "codebuild:BatchPutCodeCoverages",
    "codestar-connections:UseConnection",
    "codeconnections:UseConnection",
    "cloudformation:DescribeStacks",
)

#: Where the compliance report is written inside the synthesized cloud assembly.
REPORT_DIR = "compliance"


@dataclass(frozen=True)
class StageTarget:
    """A stage the pipeline deploys: its name, account and region, and whether a person approves it first."""

    name: str
    account: str
    region: str
    manual_approval: bool


class PlatformPipeline(Construct):
    """The delivery pipeline (CDK Pipelines ``CodePipeline``) of a multi-account platform.

    Args:
        scope: parent construct (a stack bound to the tooling account and region).
        construct_id: construct id.
        source: where the app's source comes from.
        config_file: the platform config file the synth step passes as ``-c constructs-ml:config-file=...``:
            none (the app's ``cdk.json`` context).
        pipeline_name: the CodePipeline name: generated.
        qualifier: the CDK bootstrap qualifier used in every account: ``hnb659fds`` (the default).
        synth_timeout: the synth project's timeout: 30 minutes.

    Raises:
        ValidationError: a bad source (e.g. a connection source without a connection ARN), a scope whose
            stack has no concrete account and region, or a bad qualifier.

    Attributes:
        pipeline: the CDK Pipelines ``CodePipeline`` (built by :meth:`build`).
        artifact_key: the customer-managed key of the artifact bucket.
        artifact_bucket: the artifact bucket.
        stages: the stages added, in order.
        permissions_boundary: the boundary of every role of the pipeline (set by :meth:`build`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: PipelineSource,
        config_file: str | None = None,
        pipeline_name: str | None = None,
        qualifier: str = DEFAULT_QUALIFIER,
        synth_timeout: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = stack_of(self)
        env = env_of(stack)
        problems = Problems(self)
        source.check(problems)
        problems.require(
            not is_unresolved(env.account) and not is_unresolved(env.region),
            "scope",
            stack.node.path,
            "",
            what="must be in a stack with a concrete account and region (the tooling account)",
        )
        problems.require(bool(re.fullmatch(r"[a-z0-9]{1,10}", qualifier)), "qualifier", qualifier, "1..10 a-z0-9")
        if config_file is not None:
            problems.require(
                bool(re.fullmatch(r"[A-Za-z0-9_./-]+\.json", config_file)) and ".." not in config_file,
                "config_file",
                config_file,
                "a relative path to a .json file in the repository",
            )
        problems.raise_if_any()
        self.source = source
        self.qualifier = qualifier
        self.stages: list[StageTarget] = []

        self.artifact_key = kms.Key(
            self,
            "ArtifactKey",
            description=f"constructs-ml delivery pipeline artifacts ({stack.stack_name})",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            pending_window=Duration.days(30),
        )
        self.artifact_bucket = SecureBucket(self, "Artifacts", encryption_key=self.artifact_key)
        context = f" -c constructs-ml:config-file={config_file}" if config_file else ""
        self.synth_step = pipelines.CodeBuildStep(
            "Synth",
            input=source.to_code_pipeline_source(),
            install_commands=[
                "npm ci",
                "python -m pip install -r requirements.txt",
            ],
            commands=[
                # The governance packs run inside synth: any unacknowledged finding fails this command.
                f"npx cdk synth{context}",
                # The compliance report travels with the cloud assembly (the pipeline's synth artifact).
                f"python -m constructs_ml.governance report cdk.out --out cdk.out/{REPORT_DIR} --strict",
            ],
            primary_output_directory="cdk.out",
            timeout=synth_timeout or Duration.minutes(30),
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=self.synth_step,
            pipeline_name=pipeline_name,
            artifact_bucket=self.artifact_bucket.bucket,
            self_mutation=True,
            docker_enabled_for_synth=False,
            docker_enabled_for_self_mutation=False,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                    compute_type=codebuild.ComputeType.SMALL,
                    privileged=False,
                ),
            ),
        )

    def add_platform_stage(self, stage: Stage, *, manual_approval: bool = False) -> pipelines.StageDeployment:
        """Deploy ``stage`` (bound to its account and region) after the stages added before it.

        Args:
            stage: the stage; its stacks deploy through the target account's bootstrap roles.
            manual_approval: a person approves in the pipeline before the stage deploys.

        Raises:
            ValidationError: the stage has no concrete account or region, or its name is taken.
        """
        problems = Problems(self)
        account, region = stage.account, stage.region
        problems.require(
            account is not None and not is_unresolved(account) and region is not None and not is_unresolved(region),
            "stage",
            stage.node.path,
            "",
            what="must be bound to a concrete account and region (env=Environment(account=..., region=...))",
        )
        problems.require(
            stage.stage_name not in {s.name for s in self.stages}, "stage", stage.stage_name, "a name not yet used"
        )
        problems.raise_if_any()
        pre: Sequence[pipelines.Step] = (
            [
                pipelines.ManualApprovalStep(
                    f"Approve-{stage.stage_name}", comment=f"Deploy to {stage.stage_name} ({account})?"
                )
            ]
            if manual_approval
            else []
        )
        self.stages.append(StageTarget(stage.stage_name, str(account), str(region), manual_approval))
        return self.pipeline.add_stage(stage, pre=pre)

    def build(self) -> None:
        """Build the pipeline now (no stage can be added after): scope its roles' policies, render them as
        customer-managed policies, bound the roles, record their contracts."""
        self.pipeline.build_pipeline()
        scope_self_mutation(self)
        render_managed_policies(self)
        record_pipeline_contracts(self)
        self._sub_action_role_arns()
        # The pipeline's roles get a permissions boundary of their own (the tooling account has no platform
        # boundary): the platform ceiling plus the CI/CD services the pipeline uses.
        self.permissions_boundary = PermissionsBoundary(
            self,
            "PermissionsBoundary",
            extra_allowed_actions=PIPELINE_CEILING_ACTIONS,
            managed_policy_name=f"{stack_of(self).stack_name}-{Names.unique_id(self)[-12:]}-boundary"[:128],
        )
        apply_permissions_boundary(self, self.permissions_boundary.policy)

    def _sub_action_role_arns(self) -> None:
        """Write the change-set actions' execution-role ARNs as ``Fn::Sub`` (the same ARN; CDK Pipelines joins
        the partition in with ``Fn::Join``, which cfn-lint rejects in an action's configuration, E3703)."""
        cfn = self.pipeline.pipeline.node.default_child
        if not isinstance(cfn, codepipeline.CfnPipeline):
            return
        stages = stack_of(self).resolve(cfn.stages)
        for i, stage in enumerate(stages):
            for j, action in enumerate(stage.get("actions", stage.get("Actions", []))):
                config = action.get("configuration", action.get("Configuration")) or {}
                arn = config.get("RoleArn")
                join = arn.get("Fn::Join") if isinstance(arn, dict) else None
                if (
                    not join
                    or join[0] != ""
                    or not all(isinstance(p, str) or p == {"Ref": "AWS::Partition"} for p in join[1])
                ):
                    continue
                text = "".join("${AWS::Partition}" if isinstance(p, dict) else p for p in join[1])
                cfn.add_property_override(f"Stages.{i}.Actions.{j}.Configuration.RoleArn", {"Fn::Sub": text})

    def bootstrap_role_arn(self, kind: str, account: str, region: str) -> str:
        """The ARN of a CDK bootstrap role (``deploy``, ``file-publishing``, ``image-publishing``, ``lookup``)."""
        partition = stack_env(self).partition
        return f"arn:{partition}:iam::{account}:role/cdk-{self.qualifier}-{kind}-role-{account}-{region}"

    def grant_read_artifacts(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the pipeline's artifacts (bucket and key)."""
        return self.artifact_bucket.bucket.grant_read(grantee)
