"""ModelRegistry: a SageMaker model package group with approval events, scoped grants and cross-account access.

Example::

    registry = ModelRegistry(self, "ChurnRegistry",
        model_package_group_name="churn",
        cross_account_ids=["222222222222"])   # e.g. the production account may read and deploy
    registry.grant_cross_account_read(buckets.artifacts.bucket, prefixes=["pipelines/churn/"])
    registry.grant_approve(personas.model_approver)
    registry.on_model_approved("DeployOnApproval", target=targets.LambdaFunction(fn))

Cross-account access is read-only (:mod:`constructs_ml.develop.registry_access`): the group's resource
policy, and with :meth:`ModelRegistry.grant_cross_account_read` the bucket and key policy statements a
reader account needs to use a package's artifacts.

Only principals given :meth:`ModelRegistryBase.grant_approve` may set a model package to ``Approved``:
:meth:`ModelRegistryBase.grant_register` allows ``CreateModelPackage`` only with the
``sagemaker:ModelApprovalStatus`` condition key not ``Approved``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Annotations, Arn, ArnFormat, Fn, RemovalPolicy, Tags
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.develop.naming import resource_name
from constructs_ml.develop.registry_access import (
    CROSS_ACCOUNT_ALLOWED_ACTIONS,
    CROSS_ACCOUNT_READ_ACTIONS,
    ArtifactReadGrant,
    check_actions,
    check_readers,
    grant_artifact_read,
    group_policy,
    reader_principals,
)
from constructs_ml.errors import Problems
from constructs_ml.foundation.arns import sagemaker_arn_name

#: Model package group names (CloudFormation schema).
GROUP_NAME = re.compile(r"^(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


def _arn_name(name: str) -> str:
    """``name`` as it appears in SageMaker ARNs: lower case (tokens are left alone).

    SageMaker lower-cases resource names in ARNs, and IAM compares ARNs case-sensitively: a grant on
    ``model-package/Churn/*`` would match nothing.
    """
    return sagemaker_arn_name("model-package-group", name)


class ApprovalStatus:
    """Model package approval statuses."""

    APPROVED = "Approved"
    REJECTED = "Rejected"
    PENDING_MANUAL_APPROVAL = "PendingManualApproval"


class ModelRegistryBase(Construct):
    """What owned and imported model package groups share: ARNs, grants and approval events."""

    model_package_group_name: str
    model_package_group_arn: str

    _package_arn: str

    @property
    def model_package_arn_pattern(self) -> str:
        """``arn:...:model-package/<group>/*``: every version in the group (a literal name lower-cased)."""
        return self._package_arn

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Describe the group and its model packages."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:DescribeModelPackageGroup"],
            resource_arns=[self.model_package_group_arn],
        )
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:DescribeModelPackage"], resource_arns=[self.model_package_arn_pattern]
        )

    def grant_register(self, grantee: iam.IGrantable, *, allow_approved: bool = False) -> iam.Grant:
        """Create model packages in the group, ``PendingManualApproval`` or ``Rejected`` only.

        Args:
            grantee: e.g. the pipeline role.
            allow_approved: also allow creating packages already ``Approved`` (no manual approval): off.
        """
        self.grant_read(grantee)
        conditions: Mapping[str, Any] | None = None
        if not allow_approved:
            conditions = {"StringNotEquals": {"sagemaker:ModelApprovalStatus": ApprovalStatus.APPROVED}}
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:AddTags"], resource_arns=[self.model_package_arn_pattern]
        )
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:CreateModelPackage"],
            resource_arns=[self.model_package_group_arn, self.model_package_arn_pattern],
            conditions=conditions,
        )

    def grant_approve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Approve or reject model packages of the group (``UpdateModelPackage`` with the status condition)."""
        self.grant_read(grantee)
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:UpdateModelPackage"],
            resource_arns=[self.model_package_arn_pattern],
            conditions={
                "StringEquals": {"sagemaker:ModelApprovalStatus": [ApprovalStatus.APPROVED, ApprovalStatus.REJECTED]}
            },
        )

    def on_model_package_state_change(
        self,
        construct_id: str,
        *,
        target: events.IRuleTarget | None = None,
        approval_statuses: Sequence[str] | None = None,
        description: str | None = None,
        rule_name: str | None = None,
    ) -> events.Rule:
        """An EventBridge rule on "SageMaker Model Package State Change" events of this group.

        Give targets a dead-letter queue: the governance packs require one (``Serverless-EventBusDLQ``).
        Use a :class:`~constructs_ml.foundation.TargetDeadLetterQueue` (``targets.SnsTopic(topic,
        dead_letter_queue=dlq.queue)``): a plain ``sqs.Queue`` raises two findings of its own.

        Args:
            construct_id: the rule's construct id.
            target: where matching events go: add targets later with ``rule.add_target``.
            approval_statuses: only these ``ModelApprovalStatus`` values: any.
            description: the rule's description: generated.
            rule_name: a physical name: generated.
        """
        detail: dict[str, Any] = {"ModelPackageGroupName": [self.model_package_group_name]}
        if approval_statuses:
            detail["ModelApprovalStatus"] = list(approval_statuses)
        rule = events.Rule(
            self,
            construct_id,
            description=description or f"Model package state changes of {self.node.path}",
            rule_name=rule_name,
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"], detail_type=["SageMaker Model Package State Change"], detail=detail
            ),
        )
        if target is not None:
            rule.add_target(target)
        return rule

    def on_model_approved(
        self, construct_id: str, *, target: events.IRuleTarget | None = None, **kwargs: Any
    ) -> events.Rule:
        """A rule matching model packages of this group that become ``Approved``."""
        return self.on_model_package_state_change(
            construct_id, target=target, approval_statuses=[ApprovalStatus.APPROVED], **kwargs
        )

    def on_model_rejected(
        self, construct_id: str, *, target: events.IRuleTarget | None = None, **kwargs: Any
    ) -> events.Rule:
        """A rule matching model packages of this group that become ``Rejected``."""
        return self.on_model_package_state_change(
            construct_id, target=target, approval_statuses=[ApprovalStatus.REJECTED], **kwargs
        )


#: Alias: the type to accept where any model registry (owned or imported) will do.
IModelRegistry = ModelRegistryBase


class _ImportedModelRegistry(ModelRegistryBase):
    def __init__(self, scope: Construct, construct_id: str, *, name: str, arn: str) -> None:
        super().__init__(scope, construct_id)
        self.model_package_group_name = name
        self.model_package_group_arn = arn
        parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME)
        partition = stack_env(scope).partition  # same partition: keeps the ARN comparable to our own grants
        self._package_arn = (
            f"arn:{partition}:sagemaker:{parts.region}:{parts.account}:model-package/{_arn_name(name)}/*"
        )


class ModelRegistry(ModelRegistryBase):
    """A model package group: the versions of one model, their approval status and metrics.

    Retained on stack deletion by default (it is the record of every model version and approval).

    Args:
        scope: parent construct.
        construct_id: construct id.
        model_package_group_name: 1..63 of letters, digits and hyphens: generated from the construct
            path (lower case, as SageMaker ARNs are). A mixed-case name keeps its case in the group and in
            event patterns; the ARNs built from it (grants, the cross-account policy) are lower case.
        description: the group's description: none.
        cross_account_ids: other accounts (12-digit ids, or IAM root/role ARNs) that may read the group's
            model packages and create models from them, through the group's resource policy: none (no
            policy). A wildcard principal and the stack's own account are rejected. To let them use a
            package's artifacts, also call :meth:`grant_cross_account_read`.
        cross_account_actions: actions those accounts get on the model packages:
            :data:`CROSS_ACCOUNT_READ_ACTIONS`; read-only, a subset of :data:`CROSS_ACCOUNT_ALLOWED_ACTIONS`
            (``UpdateModelPackage``, ``CreateModelPackage`` and other writes are rejected).
        removal_policy: retained by default; anything else is a warning.
        tags: tags for the group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_package_group_name: str | None = None,
        description: str | None = None,
        cross_account_ids: Sequence[str] = (),
        cross_account_actions: Sequence[str] = CROSS_ACCOUNT_READ_ACTIONS,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        name = resource_name(self, model_package_group_name, max_length=63)
        problems.require(
            bool(GROUP_NAME.match(name)),
            "model_package_group_name",
            name,
            "1..63 letters, digits and hyphens, starting and ending with a letter or digit",
        )
        if description is not None:
            problems.require(len(description) <= 1024, "description", len(description), "<= 1024 characters")
        stack = stack_of(self)
        env = env_of(stack)
        check_readers(problems, cross_account_ids, env.account)
        check_actions(problems, cross_account_actions)
        problems.raise_if_any()
        if removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:registry-not-retained",
                f"ModelRegistry: removal_policy={removal_policy}; deleting the stack deletes the model registry.",
            )

        self.model_package_group_name = name
        prefix = f"arn:{env.partition}:sagemaker:{env.region}:{env.account}"
        group_arn = f"{prefix}:model-package-group/{_arn_name(name)}"
        package_arn = f"{prefix}:model-package/{_arn_name(name)}/*"
        self.cross_account_ids: tuple[str, ...] = tuple(cross_account_ids)
        self._reader_principals = reader_principals(cross_account_ids)
        self.policy_document: iam.PolicyDocument | None = None
        if cross_account_ids:
            self.policy_document = group_policy(self._reader_principals, group_arn, package_arn, cross_account_actions)
        self.resource = sagemaker.CfnModelPackageGroup(
            self,
            "Resource",
            model_package_group_name=name,
            model_package_group_description=description,
            model_package_group_policy=self.policy_document,
        )
        self.resource.apply_removal_policy(removal_policy)
        for k, v in (tags or {}).items():
            Tags.of(self.resource).add(k, v)
        # Built from the name, not GetAtt: grants to roles in other stacks (the approver persona) must not
        # make those stacks depend on this one.
        self.model_package_group_arn = group_arn
        if is_unresolved(name):
            # A name known only at deploy cannot be lower-cased here: use the ARN SageMaker returns.
            self.model_package_group_arn = self.resource.attr_model_package_group_arn
        self._package_arn = package_arn

    def grant_cross_account_read(
        self, bucket: s3.IBucket, *, prefixes: Sequence[str], key: kms.IKey | None = None
    ) -> ArtifactReadGrant:
        """Let the ``cross_account_ids`` accounts use this group's packages: read their artifacts.

        Adds, for those accounts only: ``s3:GetObject``/``s3:GetObjectVersion`` on the objects below
        ``prefixes`` and ``s3:ListBucket`` limited to them by ``s3:prefix`` (bucket policy), and
        ``kms:Decrypt`` through S3 in the key's region (key policy, ``kms:ViaService``; see
        :func:`~constructs_ml.develop.registry_access.grant_artifact_read` for the encryption-context scope).
        The statements are added to the bucket's and the key's own stacks.

        Args:
            bucket: where the group's artifacts are (model data, evaluation reports), defined in this app.
            prefixes: the key prefixes of the group's artifacts, e.g. the pipeline's ``artifacts.prefix``;
                each ends with ``/``.
            key: the key the objects are encrypted with: the bucket's encryption key.

        Raises:
            ValidationError: the group has no ``cross_account_ids``; bad prefixes; an imported bucket or key.
        """
        problems = Problems(self)
        problems.require(
            bool(self.cross_account_ids),
            "cross_account_ids",
            [],
            "",
            what="is empty: name the reader accounts on the registry before granting them its artifacts",
        )
        problems.raise_if_any()
        return grant_artifact_read(
            self,
            principals=self._reader_principals,
            group_name=self.model_package_group_name,
            bucket=bucket,
            prefixes=prefixes,
            key=key,
        )

    @staticmethod
    def from_model_package_group_name(scope: Construct, construct_id: str, name: str) -> ModelRegistryBase:
        """A group of this stack's account and region, by name (its ARNs are lower case, as SageMaker's)."""
        stack = stack_of(scope)
        env = env_of(stack)
        arn = f"arn:{env.partition}:sagemaker:{env.region}:{env.account}:model-package-group/{_arn_name(name)}"
        return _ImportedModelRegistry(scope, construct_id, name=name, arn=arn)

    @staticmethod
    def from_model_package_group_arn(scope: Construct, construct_id: str, arn: str) -> ModelRegistryBase:
        """A group by ARN (possibly of another account: a central registry)."""
        parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME)
        name = parts.resource_name or Fn.select(1, Fn.split("/", arn))
        return _ImportedModelRegistry(scope, construct_id, name=name, arn=arn)


__all__ = [
    "CROSS_ACCOUNT_ALLOWED_ACTIONS",
    "CROSS_ACCOUNT_READ_ACTIONS",
    "ApprovalStatus",
    "IModelRegistry",
    "ModelRegistry",
    "ModelRegistryBase",
]
