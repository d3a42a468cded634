"""One ContainerImage for build and serve: a Model on a built-in algorithm image (XGBoost for inference),
governed and validating, in a pinned region (account resolved at synth) and an environment-agnostic stack
(account from the region mapping at deploy); the role gets no ECR permission for the AWS-owned image."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecr as ecr

import constructs_ml.develop as build
import constructs_ml.serve as serve
from constructs_ml.develop import REGISTRY_ACCOUNTS
from constructs_ml.errors import ValidationError
from constructs_ml.serve import BuiltinAlgorithm, ContainerImage, Endpoint, InstanceType, InstanceVariant, Model
from constructs_ml.serve import ModelData as Data
from tests.fixtures import ENV, Foundation
from tests.support import (
    GovernedSynth,
    assert_governance_clean,
    cfn_lint_errors,
    governed_synth,
    new_app,
    resources_of,
)

XGBOOST = ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1")


def _model(stack: Stack, f: Foundation, image: ContainerImage, construct_id: str = "Xgb") -> Model:
    assert f.personas is not None
    return Model(
        stack,
        construct_id,
        image=image,
        model_data=Data.from_bucket(f.buckets.artifacts.bucket, "xgb/model.tar.gz"),
        vpc=f.network.vpc,
        vpc_subnets=f.network.subnet_selection,
        security_groups=[f.network.workload_security_group],
        guardrail=f.personas.guardrail.policy,
    )


@pytest.fixture(scope="module")
def synth() -> GovernedSynth:
    """One governed app: a pinned stack (model behind an endpoint) and an environment-agnostic one."""
    app = new_app()
    pinned = Stack(app, "Pinned", env=ENV)
    f = Foundation(pinned)
    model = _model(pinned, f, XGBOOST)
    Endpoint(
        pinned,
        "Ep",
        variants=[InstanceVariant(model=model, instance_type=InstanceType.ML_M5_LARGE, initial_instance_count=2)],
        kms_key=f.keys.data,
    )
    agnostic = Stack(app, "Agnostic")
    _model(agnostic, Foundation(agnostic), XGBOOST)
    return governed_synth(app)


def _model_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (model,) = resources_of(template, "AWS::SageMaker::Model").values()
    role_id = model["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    return [
        s
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"].get("Roles", [])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_serve_and_build_name_the_same_class() -> None:
    assert serve.ContainerImage is build.ContainerImage
    assert serve.BuiltinAlgorithm is build.BuiltinAlgorithm
    from constructs_ml.develop.images import ContainerImage as BuildImage
    from constructs_ml.serve.model import ContainerImage as ModelImage
    from constructs_ml.serve.model_parts import ContainerImage as PartsImage

    assert ModelImage is PartsImage is BuildImage
    assert isinstance(XGBOOST, build.ContainerImage)


def test_governance_clean(synth: GovernedSynth) -> None:
    assert_governance_clean(synth)


@pytest.mark.parametrize("stack", ["Pinned", "Agnostic"])
def test_cfn_lint_clean_and_no_inline_policy(synth: GovernedSynth, stack: str) -> None:
    template = synth.template(stack)
    assert cfn_lint_errors(template) == []
    assert resources_of(template, "AWS::IAM::Policy") == {}


def test_pinned_region_resolves_the_registry_account_at_synth(synth: GovernedSynth) -> None:
    template = synth.template("Pinned")
    (model,) = resources_of(template, "AWS::SageMaker::Model").values()
    container = model["Properties"]["PrimaryContainer"]
    account = REGISTRY_ACCOUNTS["eu-west-1"]["XGBoost"]
    assert container["Image"] == {
        "Fn::Join": ["", [f"{account}.dkr.ecr.eu-west-1.", {"Ref": "AWS::URLSuffix"}, "/sagemaker-xgboost:1.7-1"]]
    }
    assert container["Mode"] == "SingleModel"
    assert "Mappings" not in template  # lazy mapping: nothing to look up at deploy


def test_agnostic_stack_looks_the_account_up_by_region(synth: GovernedSynth) -> None:
    template = synth.template("Agnostic")
    (mapping,) = template["Mappings"].values()
    # Only the family the stack uses, for every region where AWS publishes it.
    assert mapping == {region: {"XGBoost": accounts["XGBoost"]} for region, accounts in REGISTRY_ACCOUNTS.items()}
    (model,) = resources_of(template, "AWS::SageMaker::Model").values()
    parts = model["Properties"]["PrimaryContainer"]["Image"]["Fn::Join"][1]
    lookup = next(p["Fn::FindInMap"] for p in parts if isinstance(p, dict) and "Fn::FindInMap" in p)
    assert lookup[1:] == [{"Ref": "AWS::Region"}, "XGBoost"]
    assert {"Ref": "AWS::Region"} in parts
    assert parts[-1].endswith("/sagemaker-xgboost:1.7-1")


@pytest.mark.parametrize("stack", ["Pinned", "Agnostic"])
def test_role_has_no_ecr_permission_for_the_aws_owned_image(synth: GovernedSynth, stack: str) -> None:
    statements = _model_statements(synth.template(stack))
    actions = [a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert "s3:GetObject" in actions  # the model's artifact: the policy is the model's
    assert [a for a in actions if a.startswith("ecr:")] == []


def test_builtin_image_in_a_region_without_a_registry_is_a_validation_error() -> None:
    stack = Stack(App(), "Far", env=Environment(account="111111111111", region="mx-central-1"))
    f = Foundation(stack, personas=False)
    with pytest.raises(
        ValidationError, match=r"Far/Xgb: image must be in a region where AWS publishes it; mx-central-1 has no XGBoost"
    ):
        Model(
            stack,
            "Xgb",
            image=XGBOOST,
            model_data=Data.from_bucket(f.buckets.artifacts.bucket, "xgb/model.tar.gz"),
            vpc=f.network.vpc,
            security_groups=[f.network.workload_security_group],
        )


def test_bad_builtin_tag_is_a_validation_error() -> None:
    stack = Stack(App(), "Tag", env=ENV)
    f = Foundation(stack, personas=False)
    with pytest.raises(ValidationError, match=r"Tag/Xgb: image must be a valid image tag \(got '1.7 1'\)"):
        Model(
            stack,
            "Xgb",
            image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7 1"),
            model_data=Data.from_bucket(f.buckets.artifacts.bucket, "xgb/model.tar.gz"),
            vpc=f.network.vpc,
            security_groups=[f.network.workload_security_group],
        )


def test_repository_images_still_pull_exactly_their_repository() -> None:
    stack = Stack(App(), "Pull", env=ENV)
    repo = ecr.Repository.from_repository_name(stack, "Repo", "churn-inference")
    image = ContainerImage.from_ecr_repository(repo, "1.4.0")
    pull, auth = (s.to_statement_json() for s in image.pull_statements())
    assert pull["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert stack.resolve(pull["Resource"]) == stack.resolve(repo.repository_arn)
    assert auth == {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"}
    assert ContainerImage.from_uri("763104351884.dkr.ecr.eu-west-1.amazonaws.com/x:1").pull_statements() == []
    assert XGBOOST.pull_statements() == []
