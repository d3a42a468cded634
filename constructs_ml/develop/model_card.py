"""ModelCard: an ``AWS::SageMaker::ModelCard`` built from typed fields, encrypted with a KMS key.

Example::

    content = ModelCardContent(
        model_overview=ModelOverview(model_description="Churn classifier", model_owner="ml-team"),
        intended_uses=IntendedUses(purpose_of_model="Rank customers by churn risk",
                                   risk_rating=RiskRating.MEDIUM),
        evaluations=[Evaluation("holdout", metrics=[EvaluationMetric("auc", 0.91)])])
    card = ModelCard(self, "ChurnCard", content=content, encryption_key=keys.data)
    RegisterModelStep("Register", ..., model_card=card)   # links the card to each new model version

The same content can also be embedded in a model version (``RegisterModelStep(model_card_content=...)``):
:meth:`ModelCardContent.to_api_content` renders the model card JSON schema (snake_case) for that.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Annotations, RemovalPolicy, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml.develop.model_card_content import (
    CARD_NAME,
    AdditionalInformation,
    BusinessDetails,
    Evaluation,
    EvaluationMetric,
    IntendedUses,
    ModelCardContent,
    ModelCardStatus,
    ModelOverview,
    RiskRating,
    TrainingDetails,
)
from constructs_ml.develop.naming import resource_name
from constructs_ml.errors import Problems


class ModelCard(Construct):
    """A SageMaker model card (documentation and governance record of a model), KMS-encrypted, retained.

    Args:
        scope: parent construct.
        construct_id: construct id.
        content: the card's typed content.
        status: a :class:`ModelCardStatus`: ``Draft``.
        encryption_key: KMS key for the card's content: a new key with rotation.
        model_package_arn: link the card to a model version (``ModelPackageDetails``): not linked
            (``RegisterModelStep(model_card=card)`` links the other way, from each new version).
        model_card_name: 1..63 letters, digits and hyphens: generated. The name and key cannot change
            without replacing the card.
        removal_policy: retained by default; anything else is a warning.
        tags: tags for the card.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        content: ModelCardContent,
        status: str = ModelCardStatus.DRAFT,
        encryption_key: kms.IKey | None = None,
        model_package_arn: str | None = None,
        model_card_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        name = resource_name(self, model_card_name, max_length=63)
        problems.require(bool(CARD_NAME.match(name)), "model_card_name", name, "1..63 letters, digits and hyphens")
        problems.require_one_of(
            "status",
            status,
            (ModelCardStatus.DRAFT, ModelCardStatus.PENDING_REVIEW, ModelCardStatus.APPROVED, ModelCardStatus.ARCHIVED),
        )
        content.validate(problems)
        problems.raise_if_any()
        if removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:model-card-not-retained",
                f"ModelCard: removal_policy={removal_policy}; deleting the stack deletes the model card.",
            )
        self.content = content
        self.encryption_key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
            description=f"Content of model card {self.node.path}",
        )
        self.resource = sagemaker.CfnModelCard(
            self,
            "Resource",
            model_card_name=name,
            model_card_status=status,
            content=content.to_cfn(model_package_arn),
            security_config=sagemaker.CfnModelCard.SecurityConfigProperty(kms_key_id=self.encryption_key.key_arn),
        )
        for i, evaluation in enumerate(content.evaluations):
            groups = evaluation.cfn_metric_groups()
            if groups:
                self.resource.add_property_override(f"Content.EvaluationDetails.{i}.MetricGroups", groups)
        self.resource.apply_removal_policy(removal_policy)
        for k, v in (tags or {}).items():
            Tags.of(self.resource).add(k, v)
        self.model_card_name = name
        self.model_card_arn = self.resource.attr_model_card_arn

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Describe the card (and decrypt its content)."""
        self.encryption_key.grant(grantee, "kms:Decrypt")
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:DescribeModelCard"], resource_arns=[self.model_card_arn]
        )


__all__ = [
    "AdditionalInformation",
    "BusinessDetails",
    "Evaluation",
    "EvaluationMetric",
    "IntendedUses",
    "ModelCard",
    "ModelCardContent",
    "ModelCardStatus",
    "ModelOverview",
    "RiskRating",
    "TrainingDetails",
]
