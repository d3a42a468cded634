"""Ground Truth task types and the AWS-owned Lambda functions of the built-in ones.

Built-in task types run AWS-owned pre-annotation (``PRE-<Task>``) and annotation-consolidation
(``ACS-<Task>``) functions that live in one AWS account per region. The accounts below are those the
SageMaker API reference lists for ``HumanTaskConfig.PreHumanTaskLambdaArn`` and
``AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn`` (the same account for both, read
from botocore's copy of the API reference; a test checks this table against it). Custom task types
bring their own two functions (:meth:`LabelingTaskType.custom`).

3D point cloud and video frame task types take a ``HumanTaskUiArn`` instead of a UI template and are
not offered here yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import aws_lambda as lambda_

#: The AWS account that owns the built-in PRE-/ACS- functions, by region (SageMaker API reference).
BUILTIN_FUNCTION_ACCOUNTS: dict[str, str] = {
    "us-east-1": "432418664414",
    "us-east-2": "266458841044",
    "us-west-2": "081040173940",
    "ca-central-1": "918755190332",
    "eu-west-1": "568282634449",
    "eu-west-2": "487402164563",
    "eu-central-1": "203001061592",
    "ap-northeast-1": "477331159723",
    "ap-northeast-2": "845288260483",
    "ap-south-1": "565803892007",
    "ap-southeast-1": "377565633583",
    "ap-southeast-2": "454466003867",
}

#: The account of the built-in automated-labeling algorithm specifications (every region).
AUTOMATED_LABELING_ACCOUNT = "027400017018"

#: Built-in task types with a UI template: name -> automated-labeling algorithm (None: not supported).
BUILTIN_TASKS: dict[str, str | None] = {
    "ImageMultiClass": "image-classification",
    "ImageMultiClassMultiLabel": None,
    "BoundingBox": "object-detection",
    "SemanticSegmentation": "semantic-segmentation",
    "TextMultiClass": "text-classification",
    "TextMultiClassMultiLabel": None,
    "NamedEntityRecognition": None,
    "VerificationBoundingBox": None,
    "VerificationSemanticSegmentation": None,
    "AdjustmentBoundingBox": None,
    "AdjustmentSemanticSegmentation": None,
}


@dataclass(frozen=True)
class LabelingTaskType:
    """What workers do, and the functions Ground Truth runs before and after them.

    Use a constant (``LabelingTaskType.BOUNDING_BOX``), :meth:`of` with a built-in name, or
    :meth:`custom` with your own pre-annotation and consolidation functions.

    Attributes:
        name: the built-in task name (``"BoundingBox"``) or ``"Custom"``.
        pre_annotation: a custom pre-annotation function (custom task types only).
        post_annotation: a custom annotation-consolidation function (custom task types only).
    """

    name: str
    pre_annotation: lambda_.IFunction | None = None
    post_annotation: lambda_.IFunction | None = None

    IMAGE_CLASSIFICATION: ClassVar[LabelingTaskType]
    IMAGE_MULTI_LABEL: ClassVar[LabelingTaskType]
    BOUNDING_BOX: ClassVar[LabelingTaskType]
    SEMANTIC_SEGMENTATION: ClassVar[LabelingTaskType]
    TEXT_CLASSIFICATION: ClassVar[LabelingTaskType]
    TEXT_MULTI_LABEL: ClassVar[LabelingTaskType]
    NAMED_ENTITY_RECOGNITION: ClassVar[LabelingTaskType]

    @classmethod
    def of(cls, name: str) -> LabelingTaskType:
        """A built-in task type by its Ground Truth name (``"ImageMultiClass"``, ``"BoundingBox"``, ...).

        An unknown name is reported by the workflow that uses it, with the names allowed.
        """
        return cls(name)

    @classmethod
    def custom(cls, *, pre_annotation: lambda_.IFunction, post_annotation: lambda_.IFunction) -> LabelingTaskType:
        """A custom labeling workflow: your UI template and your two functions (in this account)."""
        return cls("Custom", pre_annotation=pre_annotation, post_annotation=post_annotation)

    @property
    def is_builtin(self) -> bool:
        return self.name in BUILTIN_TASKS

    @property
    def is_known(self) -> bool:
        return self.is_builtin or (
            self.name == "Custom" and self.pre_annotation is not None and self.post_annotation is not None
        )

    @property
    def automated_labeling_algorithm(self) -> str | None:
        """The built-in automated-labeling algorithm of this task type, if it has one."""
        return BUILTIN_TASKS.get(self.name)

    def builtin_function_arn(self, partition: str, region: str, kind: str) -> str | None:
        """The AWS-owned ``PRE``/``ACS`` function of a built-in task type in ``region``, or None."""
        account = BUILTIN_FUNCTION_ACCOUNTS.get(region)
        if not self.is_builtin or account is None:
            return None
        return f"arn:{partition}:lambda:{region}:{account}:function:{kind}-{self.name}"


LabelingTaskType.IMAGE_CLASSIFICATION = LabelingTaskType("ImageMultiClass")
LabelingTaskType.IMAGE_MULTI_LABEL = LabelingTaskType("ImageMultiClassMultiLabel")
LabelingTaskType.BOUNDING_BOX = LabelingTaskType("BoundingBox")
LabelingTaskType.SEMANTIC_SEGMENTATION = LabelingTaskType("SemanticSegmentation")
LabelingTaskType.TEXT_CLASSIFICATION = LabelingTaskType("TextMultiClass")
LabelingTaskType.TEXT_MULTI_LABEL = LabelingTaskType("TextMultiClassMultiLabel")
LabelingTaskType.NAMED_ENTITY_RECOGNITION = LabelingTaskType("NamedEntityRecognition")

__all__ = ["AUTOMATED_LABELING_ACCOUNT", "BUILTIN_FUNCTION_ACCOUNTS", "BUILTIN_TASKS", "LabelingTaskType"]
