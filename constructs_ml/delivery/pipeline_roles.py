"""The delivery pipeline's roles: their assume-role scope and their workload contracts.

CDK Pipelines creates the pipeline's roles itself (the pipeline role, one role per action, the CodeBuild
projects' roles). Two things are done to them once the pipeline is built:

* :func:`scope_self_mutation`: CDK Pipelines lets the self-mutation and asset-publishing projects assume
  ``arn:*:iam::<account or *>:role/*`` when the role carries an ``aws-cdk:bootstrap-role`` tag. The statement
  is replaced by the exact CDK bootstrap role ARNs of the environments the pipeline deploys to (the tag
  condition stays as a second check), so no ``role/*`` assume permission remains.
* :func:`record_pipeline_contracts`: each role's workload contract: what the pipeline step does with it,
  each entry citing the AWS page that says the step needs it, and what it must not do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.governance.acknowledgements import ALLOWLIST, acknowledge
from constructs_ml.governance.iam_wildcards import IAM5, statement_findings

if TYPE_CHECKING:
    from constructs_ml.delivery.pipeline import PlatformPipeline

#: CDK Pipelines: cross-account deployment through the bootstrap roles (``cdk bootstrap --trust``).
CDK_BOOTSTRAP = "https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html"
#: CodeBuild's service role: logs, report groups, the artifact bucket.
CODEBUILD_ROLE = "https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html"
#: CodePipeline's service role (artifacts, assuming action roles).
CODEPIPELINE_ROLE = "https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html"
#: Cross-account actions in CodePipeline: a customer-managed key and the target account's role.
CODEPIPELINE_CROSS_ACCOUNT = (
    "https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html"
)
#: The CodeConnections source action's permission.
CONNECTIONS = "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html"
#: Confused-deputy guidance (a role must not be usable beyond its purpose).
CONFUSED_DEPUTY = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"

_TAG_KEY = "iam:ResourceTag/aws-cdk:bootstrap-role"


def _default_policy(role: iam.Role) -> iam.CfnPolicy | None:
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None:
        return None
    child = policy.node.default_child
    return child if isinstance(child, iam.CfnPolicy) else None


def _pipeline_roles(pipeline: PlatformPipeline) -> list[iam.Role]:
    return [c for c in pipeline.node.find_all() if isinstance(c, iam.Role)]


def _environments(pipeline: PlatformPipeline) -> list[tuple[str, str]]:
    stack = stack_of(pipeline)
    env = env_of(stack)
    envs = [(env.account, env.region)] + [(s.account, s.region) for s in pipeline.stages]
    return list(dict.fromkeys(envs))


def _scoped(pipeline: PlatformPipeline, action: str, resource: str, condition: dict[str, Any]) -> list[str] | None:
    """The exact resources for a CDK Pipelines ``*``/``role/*`` resource of ``action``, or None to keep it."""
    stack = stack_of(pipeline)
    env = env_of(stack)
    tooling = env.account
    if action == "sts:AssumeRole" and resource.endswith(":role/*"):
        kinds = condition.get("ForAnyValue:StringEquals", {}).get(_TAG_KEY, [])
        envs = _environments(pipeline)
        if ":iam::*:" not in resource:
            envs = [e for e in envs if e[0] == tooling]
        return sorted(pipeline.bootstrap_role_arn(kind, account, region) for kind in kinds for account, region in envs)
    if resource != "*":
        return None
    if action == "cloudformation:DescribeStacks":
        return [f"arn:{env.partition}:cloudformation:{env.region}:{tooling}:stack/*"]
    if action == "s3:ListBucket":
        return [f"arn:{env.partition}:s3:::cdk-{pipeline.qualifier}-assets-{tooling}-{env.region}"]
    if action in ("codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"):
        projects = [p for p in pipeline.node.find_all() if isinstance(p, codebuild.Project)]
        return [p.project_arn for p in projects]
    return None


def scope_self_mutation(pipeline: PlatformPipeline) -> None:
    """Replace the ``role/*`` and ``*`` resources CDK Pipelines gives its roles by exact ARNs.

    ``role/*`` assume permissions (self-mutation) become the CDK bootstrap roles of the named kinds in the
    pipeline's environments; ``DescribeStacks`` becomes the tooling account's stacks, ``ListBucket`` the CDK
    asset bucket, and the asset role's CodeBuild calls the pipeline's projects. A statement with any other
    ``*`` stays as it is, and remains a governance finding.
    """
    stack = stack_of(pipeline)
    for role in _pipeline_roles(pipeline):
        cfn = _default_policy(role)
        if cfn is None:
            continue
        document: dict[str, Any] = stack.resolve(cfn.policy_document)
        statements: list[dict[str, Any]] = []
        changed = False
        for statement in document.get("Statement", []):
            resource = statement.get("Resource")
            actions = statement.get("Action")
            action_list = [actions] if isinstance(actions, str) else list(actions or [])
            if not isinstance(resource, str) or not action_list:
                statements.append(statement)
                continue
            scoped = {a: _scoped(pipeline, a, resource, statement.get("Condition", {})) for a in action_list}
            if all(v is None for v in scoped.values()):
                statements.append(statement)
                continue
            changed = True
            for action, resources in scoped.items():
                statements.append({**statement, "Action": action, "Resource": resources or resource})
        if changed:
            statements = stack.resolve(statements)
            # Replace the L1 property itself (not an override), so every check sees the scoped statements.
            cfn.policy_document = {**document, "Statement": statements}
        _acknowledge_role(role, statements)


def render_managed_policies(pipeline: PlatformPipeline) -> None:
    """Render each role's CDK Pipelines default policy as a customer-managed policy attached to that one role.

    The construct stays CDK's ``iam.Policy`` (so the references and ``DependsOn`` CDK Pipelines set on it
    keep working); the template resource becomes ``AWS::IAM::ManagedPolicy`` with the same document and role
    (IAM-02: no inline policies). cdk-nag reads the construct and still calls it inline: that finding is
    acknowledged (``delivery-pipeline-inline-policies``).
    """
    for role in _pipeline_roles(pipeline):
        cfn = _default_policy(role)
        if cfn is None:
            continue
        cfn.add_override("Type", "AWS::IAM::ManagedPolicy")
        cfn.add_property_deletion_override("PolicyName")
        cfn.add_property_override("Description", f"CDK Pipelines policy of {role.node.path}"[:1000])


def _role_arn(role: iam.Role) -> str:
    return role.role_arn


def record_pipeline_contracts(pipeline: PlatformPipeline) -> None:
    """Record the contract of every role CDK Pipelines created for ``pipeline``, and acknowledge their
    reviewed findings (inline default policies, CDK's grant action groups on the pipeline's own bucket)."""
    stack = stack_of(pipeline)
    env = env_of(stack)
    bucket = pipeline.artifact_bucket.bucket
    key_arn = pipeline.artifact_key.key_arn
    objects = bucket.arn_for_objects("pipeline/SourceArtifact/example.zip")
    synth_project = pipeline.pipeline.synth_project
    mutation_project = pipeline.pipeline.self_mutation_project
    code_pipeline = pipeline.pipeline.pipeline
    other_account_role = f"arn:{env.partition}:iam::{env.account}:role/OrganizationAccountAccessRole"
    # jsii returns a new proxy per access to CDK-created objects: compare construct paths, not identities.
    pipeline_role_path = code_pipeline.role.node.path
    synth_role_path = synth_project.role.node.path if synth_project is not None and synth_project.role else None
    mutation_role_path = (
        mutation_project.role.node.path if mutation_project is not None and mutation_project.role else None
    )
    for role in _pipeline_roles(pipeline):
        contract = WorkloadContract.of(role)
        path = role.node.path
        if path == pipeline_role_path:
            contract.allows(
                ["s3:GetObject", "s3:PutObject"],
                objects,
                why="the pipeline passes artifacts between its actions through its artifact bucket",
                source=CODEPIPELINE_ROLE,
            ).allows(
                ["kms:Decrypt", "kms:GenerateDataKey"],
                key_arn,
                why="the artifacts are encrypted with the pipeline's customer-managed key",
                source=CODEPIPELINE_CROSS_ACCOUNT,
            )
            for target in pipeline.stages:
                contract.allows(
                    "sts:AssumeRole",
                    pipeline.bootstrap_role_arn("deploy", target.account, target.region),
                    why=f"the {target.name} stage deploys through its account's CDK bootstrap deploy role",
                    source=CDK_BOOTSTRAP,
                )
            contract.denies(
                "sts:AssumeRole",
                other_account_role,
                why="the pipeline assumes only its action roles and the bootstrap deploy roles",
                source=CONFUSED_DEPUTY,
            )
            _assumed_by(contract, role, "codepipeline.amazonaws.com", CODEPIPELINE_ROLE)
        elif synth_project is not None and path == synth_role_path:
            _codebuild_runtime(contract, role, synth_project.project_name, objects, key_arn)
            for target in pipeline.stages:
                contract.denies(
                    "sts:AssumeRole",
                    pipeline.bootstrap_role_arn("deploy", target.account, target.region),
                    why="synth builds the cloud assembly and the compliance report; it never deploys",
                    source=CDK_BOOTSTRAP,
                )
        elif mutation_project is not None and path == mutation_role_path:
            _codebuild_runtime(contract, role, mutation_project.project_name, objects, key_arn)
            contract.allows(
                "sts:AssumeRole",
                pipeline.bootstrap_role_arn("deploy", env.account, env.region),
                context={_TAG_KEY: "deploy"},
                why="self-mutation deploys the pipeline stack through the tooling account's bootstrap deploy role",
                source=CDK_BOOTSTRAP,
            ).denies(
                "sts:AssumeRole",
                f"arn:{env.partition}:iam::{env.account}:role/some-other-role",
                context={_TAG_KEY: "deploy"},
                why="no role/* assume permission: only the named bootstrap roles",
                source=CONFUSED_DEPUTY,
            )
        elif "/Assets/" in f"/{path}/":
            # The asset projects' shared role publishes the stages' file assets with their accounts' roles.
            _assumed_by(contract, role, "codebuild.amazonaws.com", CODEBUILD_ROLE)
            for target in pipeline.stages:
                contract.allows(
                    "sts:AssumeRole",
                    pipeline.bootstrap_role_arn("file-publishing", target.account, target.region),
                    why=f"publish the {target.name} stage's file assets to its account's CDK asset bucket",
                    source=CDK_BOOTSTRAP,
                )
            contract.allows(
                "s3:GetObject", objects, why="the asset build reads the cloud assembly", source=CODEBUILD_ROLE
            )
        elif "/Source/" in f"/{path}/":
            if pipeline.source.connection_arn is not None:
                contract.allows(
                    "codestar-connections:UseConnection",
                    pipeline.source.connection_arn,
                    why="the source action fetches the repository through the connection",
                    source=CONNECTIONS,
                )
            contract.allows(
                "s3:PutObject", objects, why="the source action writes the source artifact", source=CODEPIPELINE_ROLE
            )
        else:
            # Action roles (approvals, the CodeBuild action role) and asset projects: assumed by the pipeline.
            contract.allows(
                "sts:AssumeRole",
                _role_arn(role),
                caller=code_pipeline.role.role_arn,
                why="CodePipeline runs the action with this role",
                source=CODEPIPELINE_ROLE,
            )
    for project in pipeline.node.find_all():
        if isinstance(project, codebuild.CfnProject):
            acknowledge(project, "delivery-codebuild-pipeline-source")


def _assumed_by(contract: WorkloadContract, role: iam.Role, service: str, source: str) -> None:
    contract.allows(
        "sts:AssumeRole",
        role.role_arn,
        caller=f"service:{service}",
        why=f"{service} runs with this role",
        source=source,
    )


def _codebuild_runtime(contract: WorkloadContract, role: iam.Role, project: str, objects: str, key_arn: str) -> None:
    stack = stack_of(role)
    env = env_of(stack)
    log_group = f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:/aws/codebuild/{project}"
    contract.allows(
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        f"{log_group}:log-stream:build-1",
        why="CodeBuild writes the build log to the project's log group",
        source=CODEBUILD_ROLE,
    ).allows(["s3:GetObject"], objects, why="the build reads its input artifact", source=CODEBUILD_ROLE).allows(
        "kms:Decrypt", key_arn, why="the artifacts are encrypted with the pipeline's key", source=CODEBUILD_ROLE
    )
    _assumed_by(contract, role, "codebuild.amazonaws.com", CODEBUILD_ROLE)


def _acknowledge_role(role: IConstruct, statements: list[dict[str, Any]]) -> None:
    """The inline-policy findings, and exactly the IAM5 findings of ``statements`` the reviewed entry covers."""
    acknowledge(role, "delivery-pipeline-inline-policies")
    entry = ALLOWLIST["delivery-pipeline-grant-wildcards"]
    ids = sorted({f"{IAM5}[{f}]" for st in statements for f in statement_findings(st)})
    covered = tuple(i for i in ids if entry.matches(i))
    if covered:
        acknowledge(role, "delivery-pipeline-grant-wildcards", rules=covered)
