"""Typed content of a SageMaker model card: overview, intended uses and risk, business details, training,
evaluations, additional information. Renders both the CloudFormation ``Content`` property
(:meth:`ModelCardContent.to_cfn`) and the model card JSON of the SageMaker API
(:meth:`ModelCardContent.to_api_content`, e.g. for a card embedded in a model version).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import aws_sagemaker as sagemaker

from constructs_ml.errors import Problems

C = sagemaker.CfnModelCard
CARD_NAME = re.compile(r"^(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


class RiskRating:
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"
    UNKNOWN = "Unknown"


class ModelCardStatus:
    DRAFT = "Draft"
    PENDING_REVIEW = "PendingReview"
    APPROVED = "Approved"
    ARCHIVED = "Archived"


def _clean(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {}}


@dataclass(frozen=True)
class ModelOverview:
    """What the model is: description, owner, creator, problem and algorithm type, artifacts, images."""

    model_description: str | None = None
    model_owner: str | None = None
    model_creator: str | None = None
    problem_type: str | None = None
    algorithm_type: str | None = None
    model_artifacts: Sequence[str] = ()
    inference_images: Sequence[str] = ()

    def api(self) -> dict[str, Any]:
        return _clean(
            {
                "model_description": self.model_description,
                "model_owner": self.model_owner,
                "model_creator": self.model_creator,
                "problem_type": self.problem_type,
                "algorithm_type": self.algorithm_type,
                "model_artifact": list(self.model_artifacts),
                "inference_environment": {"container_image": list(self.inference_images)}
                if self.inference_images
                else None,
            }
        )

    def cfn(self) -> C.ModelOverviewProperty:
        return C.ModelOverviewProperty(
            model_description=self.model_description,
            model_owner=self.model_owner,
            model_creator=self.model_creator,
            problem_type=self.problem_type,
            algorithm_type=self.algorithm_type,
            model_artifact=list(self.model_artifacts) or None,
            inference_environment=(
                C.InferenceEnvironmentProperty(container_image=list(self.inference_images))
                if self.inference_images
                else None
            ),
        )


@dataclass(frozen=True)
class IntendedUses:
    """Intended uses and risk: purpose, uses, factors affecting efficiency, a :class:`RiskRating` and why."""

    purpose_of_model: str | None = None
    intended_uses: str | None = None
    factors_affecting_model_efficiency: str | None = None
    risk_rating: str = RiskRating.UNKNOWN
    explanations_for_risk_rating: str | None = None

    def api(self) -> dict[str, Any]:
        return _clean(
            {
                "purpose_of_model": self.purpose_of_model,
                "intended_uses": self.intended_uses,
                "factors_affecting_model_efficiency": self.factors_affecting_model_efficiency,
                "risk_rating": self.risk_rating,
                "explanations_for_risk_rating": self.explanations_for_risk_rating,
            }
        )

    def cfn(self) -> C.IntendedUsesProperty:
        return C.IntendedUsesProperty(**self.api())


@dataclass(frozen=True)
class BusinessDetails:
    business_problem: str | None = None
    business_stakeholders: str | None = None
    line_of_business: str | None = None

    def api(self) -> dict[str, Any]:
        return _clean(
            {
                "business_problem": self.business_problem,
                "business_stakeholders": self.business_stakeholders,
                "line_of_business": self.line_of_business,
            }
        )

    def cfn(self) -> C.BusinessDetailsProperty:
        return C.BusinessDetailsProperty(**self.api())


@dataclass(frozen=True)
class TrainingDetails:
    """How the model was trained: objective (``Maximize``/``Minimize``), observations, data, images,
    hyperparameters and final metrics."""

    objective: str | None = None
    objective_notes: str | None = None
    training_observations: str | None = None
    training_datasets: Sequence[str] = ()
    training_images: Sequence[str] = ()
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)

    def api(self) -> dict[str, Any]:
        job = _clean(
            {
                "training_datasets": list(self.training_datasets),
                "training_environment": {"container_image": list(self.training_images)}
                if self.training_images
                else None,
                "user_provided_hyper_parameters": [{"name": k, "value": v} for k, v in self.hyperparameters.items()],
                "user_provided_training_metrics": [{"name": k, "value": v} for k, v in self.metrics.items()],
            }
        )
        objective = _clean(
            {"function": {"function": self.objective} if self.objective else None, "notes": self.objective_notes}
        )
        return _clean(
            {
                "objective_function": objective,
                "training_observations": self.training_observations,
                "training_job_details": job,
            }
        )

    def cfn(self) -> C.TrainingDetailsProperty:
        return C.TrainingDetailsProperty(
            objective_function=C.ObjectiveFunctionProperty(
                function=C.FunctionProperty(function=self.objective) if self.objective else None,
                notes=self.objective_notes,
            )
            if self.objective or self.objective_notes
            else None,
            training_observations=self.training_observations,
            training_job_details=C.TrainingJobDetailsProperty(
                training_datasets=list(self.training_datasets) or None,
                training_environment=(
                    C.TrainingEnvironmentProperty(container_image=list(self.training_images))
                    if self.training_images
                    else None
                ),
                user_provided_hyper_parameters=[
                    C.TrainingHyperParameterProperty(name=k, value=v) for k, v in self.hyperparameters.items()
                ]
                or None,
                user_provided_training_metrics=[
                    C.TrainingMetricProperty(name=k, value=v) for k, v in self.metrics.items()
                ]
                or None,
            ),
        )


@dataclass(frozen=True)
class EvaluationMetric:
    """A simple metric of an evaluation: ``value`` is a number, a string (<= 63 chars) or a bool."""

    name: str
    value: float | str | bool
    notes: str | None = None

    @property
    def type(self) -> str:
        if isinstance(self.value, bool):
            return "boolean"
        return "number" if isinstance(self.value, int | float) else "string"


@dataclass(frozen=True)
class Evaluation:
    """One evaluation: name, observation, datasets and its metrics (one metric group)."""

    name: str
    observation: str | None = None
    datasets: Sequence[str] = ()
    metrics: Sequence[EvaluationMetric] = ()
    metric_group: str = "metrics"

    def api(self) -> dict[str, Any]:
        data = [_clean({"name": m.name, "type": m.type, "value": m.value, "notes": m.notes}) for m in self.metrics]
        return _clean(
            {
                "name": self.name,
                "evaluation_observation": self.observation,
                "datasets": list(self.datasets),
                "metric_groups": [{"name": self.metric_group, "metric_data": data}] if data else None,
            }
        )

    def cfn(self) -> C.EvaluationDetailProperty:
        # MetricGroups go in as a property override (:meth:`cfn_metric_groups`): aws-cdk-lib's generated
        # MetricDataItemsProperty wrongly requires Value to be an object (the CloudFormation schema says
        # number, string or boolean), so the typed struct cannot carry a metric value.
        return C.EvaluationDetailProperty(
            name=self.name,
            evaluation_observation=self.observation,
            datasets=list(self.datasets) or None,
        )

    def cfn_metric_groups(self) -> list[dict[str, Any]]:
        """The evaluation's ``MetricGroups`` as CloudFormation JSON (PascalCase)."""
        if not self.metrics:
            return []
        data = [_clean({"Name": m.name, "Type": m.type, "Value": m.value, "Notes": m.notes}) for m in self.metrics]
        return [{"Name": self.metric_group, "MetricData": data}]


@dataclass(frozen=True)
class AdditionalInformation:
    ethical_considerations: str | None = None
    caveats_and_recommendations: str | None = None
    custom_details: Mapping[str, str] = field(default_factory=dict)

    def api(self) -> dict[str, Any]:
        return _clean(
            {
                "ethical_considerations": self.ethical_considerations,
                "caveats_and_recommendations": self.caveats_and_recommendations,
                "custom_details": dict(self.custom_details),
            }
        )

    def cfn(self) -> C.AdditionalInformationProperty:
        return C.AdditionalInformationProperty(
            ethical_considerations=self.ethical_considerations,
            caveats_and_recommendations=self.caveats_and_recommendations,
            custom_details=dict(self.custom_details) or None,
        )


@dataclass(frozen=True)
class ModelCardContent:
    """The typed content of a model card (every section optional)."""

    model_overview: ModelOverview | None = None
    intended_uses: IntendedUses | None = None
    business_details: BusinessDetails | None = None
    training_details: TrainingDetails | None = None
    evaluations: Sequence[Evaluation] = ()
    additional_information: AdditionalInformation | None = None

    def to_api_content(self) -> dict[str, Any]:
        """The content in the model card JSON schema (``ModelCardContent`` of the SageMaker API)."""
        return _clean(
            {
                "model_overview": self.model_overview.api() if self.model_overview else None,
                "intended_uses": self.intended_uses.api() if self.intended_uses else None,
                "business_details": self.business_details.api() if self.business_details else None,
                "training_details": self.training_details.api() if self.training_details else None,
                "evaluation_details": [e.api() for e in self.evaluations],
                "additional_information": self.additional_information.api() if self.additional_information else None,
            }
        )

    def to_cfn(self, model_package_arn: str | None = None) -> C.ContentProperty:
        """The content as the ``AWS::SageMaker::ModelCard`` ``Content`` property."""
        return C.ContentProperty(
            model_overview=self.model_overview.cfn() if self.model_overview else None,
            intended_uses=self.intended_uses.cfn() if self.intended_uses else None,
            business_details=self.business_details.cfn() if self.business_details else None,
            training_details=self.training_details.cfn() if self.training_details else None,
            evaluation_details=[e.cfn() for e in self.evaluations] or None,
            additional_information=self.additional_information.cfn() if self.additional_information else None,
            model_package_details=(
                C.ModelPackageDetailsProperty(model_package_arn=model_package_arn) if model_package_arn else None
            ),
        )

    def validate(self, problems: Problems) -> None:
        if self.intended_uses is not None:
            problems.require_one_of(
                "content.intended_uses.risk_rating",
                self.intended_uses.risk_rating,
                (RiskRating.HIGH, RiskRating.MEDIUM, RiskRating.LOW, RiskRating.UNKNOWN),
            )
        if self.training_details is not None and self.training_details.objective is not None:
            problems.require_one_of(
                "content.training_details.objective", self.training_details.objective, ("Maximize", "Minimize")
            )
        problems.unique("content.evaluations[].name", [e.name for e in self.evaluations])
        for e in self.evaluations:
            problems.require(1 <= len(e.name) <= 63, "content.evaluations[].name", e.name, "1..63 characters")
            for m in e.metrics:
                if isinstance(m.value, str):
                    problems.require(
                        len(m.value) <= 63,
                        f"content.evaluations[{e.name}].metrics[{m.name}].value",
                        m.value,
                        "a string of <= 63 characters",
                    )


__all__ = [
    "CARD_NAME",
    "AdditionalInformation",
    "BusinessDetails",
    "Evaluation",
    "EvaluationMetric",
    "IntendedUses",
    "ModelCardContent",
    "ModelCardStatus",
    "ModelOverview",
    "RiskRating",
    "TrainingDetails",
]
