"""ModelCard (governed synth, typed content, KMS, link from model versions) and ContainerImage
(region-agnostic built-in images through a mapping, ECR pull grants)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr

from constructs_ml.develop import (
    REGISTRY_ACCOUNTS,
    BuiltinAlgorithm,
    ContainerImage,
    Evaluation,
    EvaluationMetric,
    IntendedUses,
    ModelCard,
    ModelCardContent,
    ModelOverview,
    ModelRegistry,
    ProcessingStep,
    RegisterModelStep,
    RiskRating,
    S3Location,
    TrainingDetails,
    TrainingPipeline,
    TrainingStep,
)
from constructs_ml.errors import ValidationError
from tests.develop.conftest import imported_infra
from tests.develop.definition_schema import body_and_tokens, botocore_errors, schema_errors
from tests.fixtures import ENV, Foundation
from tests.support import assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of

CONTENT = ModelCardContent(
    model_overview=ModelOverview(
        model_description="Churn classifier",
        model_owner="ml-team",
        problem_type="BinaryClassification",
        algorithm_type="XGBoost",
    ),
    intended_uses=IntendedUses(
        purpose_of_model="Rank customers by churn risk",
        risk_rating=RiskRating.MEDIUM,
        explanations_for_risk_rating="Used for retention offers, not for pricing",
    ),
    training_details=TrainingDetails(
        objective="Maximize", training_observations="AUC 0.91 on holdout", metrics={"validation:auc": 0.91}
    ),
    evaluations=[
        Evaluation(
            "holdout",
            observation="stable across segments",
            metrics=[EvaluationMetric("auc", 0.91), EvaluationMetric("passed", True)],
        )
    ],
)


@pytest.fixture(scope="module")
def card_synth() -> tuple[Any, dict[str, Any], Stack, Foundation]:
    app = new_app()
    stack = Stack(app, "CardGov", env=ENV)
    f = Foundation(stack, personas=False)
    ModelCard(stack, "ChurnCard", content=CONTENT, encryption_key=f.keys.data)
    result = governed_synth(app)
    return result, result.template(stack), stack, f


def test_model_card_governance_and_cfn_lint(card_synth: Any) -> None:
    result, template, *_ = card_synth
    assert_governance_clean(result)
    assert cfn_lint_errors(template) == []


def test_model_card_content_is_typed_pascal_case_and_encrypted(card_synth: Any) -> None:
    _, template, stack, f = card_synth
    (card,) = resources_of(template, "AWS::SageMaker::ModelCard").values()
    props = card["Properties"]
    assert props["SecurityConfig"] == {
        "KmsKeyId": {"Fn::GetAtt": [stack.get_logical_id(f.keys.data.node.default_child), "Arn"]}
    }
    assert props["ModelCardStatus"] == "Draft"
    assert props["Content"]["IntendedUses"]["RiskRating"] == "Medium"
    assert props["Content"]["EvaluationDetails"][0]["MetricGroups"][0]["MetricData"] == [
        {"Name": "auc", "Type": "number", "Value": 0.91},
        {"Name": "passed", "Type": "boolean", "Value": True},
    ]
    assert props["Content"]["TrainingDetails"]["ObjectiveFunction"] == {"Function": {"Function": "Maximize"}}
    assert card["DeletionPolicy"] == "Retain"


def test_model_card_bad_props() -> None:
    stack = Stack(App(), "Bad", env=ENV)
    bad = ModelCardContent(
        intended_uses=IntendedUses(risk_rating="Extreme"),
        evaluations=[Evaluation("e", metrics=[EvaluationMetric("m", "x" * 64)]), Evaluation("e")],
    )
    with pytest.raises(ValidationError) as err:
        ModelCard(stack, "Card", content=bad, status="Final")
    text = str(err.value)
    assert "Bad/Card: status must be one of 'Draft', 'PendingReview', 'Approved', 'Archived' (got 'Final')" in text
    assert "content.intended_uses.risk_rating must be one of 'High', 'Medium', 'Low', 'Unknown' (got 'Extreme')" in text
    assert "content.evaluations[].name must not repeat names" in text
    assert "content.evaluations[e].metrics[m].value must be a string of <= 63 characters" in text


@pytest.fixture(scope="module")
def agnostic() -> tuple[dict[str, Any], dict[str, Any]]:
    """An environment-agnostic stack: built-in images resolve through the mapping at deploy time."""
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Agnostic")
    infra = imported_infra(stack)
    repo = ecr.Repository.from_repository_name(stack, "Repo", "churn-inference")
    registry = ModelRegistry(stack, "Registry", removal_policy=RemovalPolicy.RETAIN)
    card = ModelCard(stack, "Card", content=CONTENT, encryption_key=infra.key)
    train = TrainingStep(
        "Train",
        image=ContainerImage.builtin(BuiltinAlgorithm.LINEAR_LEARNER),
        inputs=[],
        output=S3Location(infra.artifacts, "models/"),
    )
    register = RegisterModelStep(
        "Register",
        registry=registry,
        model_data=train.model_artifacts,
        image=ContainerImage.builtin(BuiltinAlgorithm.LINEAR_LEARNER),
        model_card=card,
        model_card_content=CONTENT,
    )
    features = ProcessingStep("Features", image=ContainerImage.from_ecr_repository(repo, "v1.2.0"))
    TrainingPipeline(
        stack,
        "P",
        steps=[train, register, features],
        vpc=infra.vpc,
        security_groups=[infra.security_group],
        encryption_key=infra.key,
        artifacts_bucket=infra.artifacts,
    )
    template = app.synth().get_stack_by_name("Agnostic").template
    (pipeline,) = resources_of(template, "AWS::SageMaker::Pipeline").values()
    return template, pipeline


def test_builtin_image_resolves_the_registry_through_a_region_mapping(agnostic: Any) -> None:
    template, pipeline = agnostic
    (mapping,) = template["Mappings"].values()
    assert mapping == {region: {"AlgorithmsA": a["AlgorithmsA"]} for region, a in REGISTRY_ACCOUNTS.items()}
    doc, tokens = body_and_tokens(pipeline)
    image = doc["Steps"][0]["Arguments"]["AlgorithmSpecification"]["TrainingImage"]
    account, region = [tokens[t] for t in image.split(".") if t in tokens][:2]
    assert account["Fn::FindInMap"][1:] == [{"Ref": "AWS::Region"}, "AlgorithmsA"]
    assert region == {"Ref": "AWS::Region"}
    assert image.endswith("/linear-learner:1")


def test_registry_accounts_are_the_published_ones() -> None:
    assert REGISTRY_ACCOUNTS["eu-west-1"] == {
        "AlgorithmsA": "438346466558",
        "AlgorithmsB": "685385470294",
        "XGBoost": "141502667606",
    }
    assert REGISTRY_ACCOUNTS["us-east-1"]["XGBoost"] == "683313688378"
    assert all(set(v) == {"AlgorithmsA", "AlgorithmsB", "XGBoost"} for v in REGISTRY_ACCOUNTS.values())


def test_job_role_pulls_exactly_the_repositories_of_its_job_images(agnostic: Any) -> None:
    template, _ = agnostic
    policy = next(v for k, v in resources_of(template, "AWS::IAM::ManagedPolicy").items() if k.startswith("PJobRole"))
    (pull,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid") == "PullImages"]
    resources = pull["Resource"]
    assert len(resources) == 2
    assert "repository/churn-inference" in json.dumps(resources)
    assert "repository/linear-learner" in json.dumps(resources)


def test_model_version_links_the_card_and_embeds_its_content(agnostic: Any) -> None:
    template, pipeline = agnostic
    doc, tokens = body_and_tokens(pipeline)
    args = doc["Steps"][1]["Arguments"]
    card_id = next(iter(resources_of(template, "AWS::SageMaker::ModelCard")))
    assert tokens[args["CustomerMetadataProperties"]["ModelCardArn"]] == {"Fn::GetAtt": [card_id, "ModelCardArn"]}
    embedded = json.loads(args["ModelCard"]["ModelCardContent"])
    assert embedded["intended_uses"]["risk_rating"] == "Medium"
    assert embedded["evaluation_details"][0]["metric_groups"][0]["metric_data"][0] == {
        "name": "auc",
        "type": "number",
        "value": 0.91,
    }
    assert args["ModelCard"]["ModelCardStatus"] == "Draft"
    assert schema_errors(doc) == [] and botocore_errors(doc) == []


def test_bad_image_tag() -> None:
    stack = Stack(App(), "Tag", env=ENV)
    i = imported_infra(stack)
    with pytest.raises(ValidationError, match=r"steps\[T\]\.image must be a valid image tag \(got 'bad tag'\)"):
        TrainingPipeline(
            stack,
            "P",
            steps=[TrainingStep("T", image=ContainerImage.builtin(BuiltinAlgorithm.PCA, "bad tag"))],
            vpc=i.vpc,
            security_groups=[i.security_group],
            artifacts_bucket=i.artifacts,
        )
