"""ContainerImage as a value: the factories of both former classes (build's and serve's), the URI of
each kind of image, and what an execution role needs to pull it. No synth (values resolved in a stack)."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecr as ecr

from constructs_ml.develop import REGISTRY_ACCOUNTS, BuiltinAlgorithm, ContainerImage

DLC = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker"


@pytest.fixture
def stack() -> Stack:
    return Stack(App(), "T", env=Environment(account="111111111111", region="eu-west-1"))


def test_builtin_defaults_to_the_algorithms_default_version() -> None:
    image = ContainerImage.builtin(BuiltinAlgorithm.KMEANS)
    assert (image.algorithm, image.version, image.repository) == (BuiltinAlgorithm.KMEANS, "1", None)
    assert image.is_builtin
    assert repr(image) == "ContainerImage.builtin('kmeans', '1')"


def test_builtin_uri_depends_on_the_stack_so_image_uri_points_to_bind(stack: Stack) -> None:
    image = ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1")
    with pytest.raises(ValueError, match=r"depends on the stack's region; use bind\(scope\)"):
        _ = image.image_uri
    uri = stack.resolve(image.bind(stack))
    account = REGISTRY_ACCOUNTS["eu-west-1"]["XGBoost"]
    assert uri == {
        "Fn::Join": ["", [f"{account}.dkr.ecr.eu-west-1.", {"Ref": "AWS::URLSuffix"}, "/sagemaker-xgboost:1.7-1"]]
    }


def test_uri_images_have_the_same_uri_everywhere(stack: Stack) -> None:
    image = ContainerImage.from_uri(DLC)
    assert image.image_uri == image.bind(stack) == DLC
    assert not image.is_builtin
    assert repr(image) == f"ContainerImage({DLC!r})"


def test_repository_images_by_tag_and_digest(stack: Stack) -> None:
    repo = ecr.Repository.from_repository_name(stack, "Repo", "churn-inference")
    by_tag = ContainerImage.from_ecr_repository(repo, "1.4.0")
    assert by_tag.repository is repo
    assert stack.resolve(by_tag.image_uri) == stack.resolve(repo.repository_uri_for_tag("1.4.0"))
    by_digest = ContainerImage.from_ecr_repository(repo, "sha256:" + "a" * 64)
    assert stack.resolve(by_digest.image_uri) == stack.resolve(repo.repository_uri_for_digest("sha256:" + "a" * 64))
    assert stack.resolve(ContainerImage.from_ecr_repository(repo).bind(stack)) == stack.resolve(
        repo.repository_uri_for_tag("latest")
    )


def test_pull_statements_name_exactly_the_owned_repository(stack: Stack) -> None:
    repo = ecr.Repository.from_repository_name(stack, "Repo", "churn-inference")
    pull, auth = (stack.resolve(s.to_statement_json()) for s in ContainerImage(DLC, repo).pull_statements())
    assert pull["Resource"] == stack.resolve(repo.repository_arn)
    assert sorted(pull["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert (auth["Action"], auth["Resource"]) == ("ecr:GetAuthorizationToken", "*")


def test_aws_owned_images_need_no_pull_statement() -> None:
    assert ContainerImage.from_uri(DLC).pull_statements() == []
    assert ContainerImage.builtin(BuiltinAlgorithm.XGBOOST).pull_statements() == []


def test_repository_arn_for_pipeline_grants_still_names_aws_owned_repositories(stack: Stack) -> None:
    builtin = ContainerImage.builtin(BuiltinAlgorithm.PCA).repository_arn(stack)
    assert builtin is not None and stack.resolve(builtin)["Fn::Join"][1][-1].endswith(
        f":{REGISTRY_ACCOUNTS['eu-west-1']['AlgorithmsA']}:repository/pca"
    )
    assert stack.resolve(ContainerImage.from_uri(DLC).repository_arn(stack)) == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":ecr:eu-west-1:763104351884:repository/pytorch-inference"],
        ]
    }
    assert ContainerImage.from_uri("public.ecr.aws/x/y:1").repository_arn(stack) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of uri and algorithm"),
        ({"uri": DLC, "algorithm": BuiltinAlgorithm.PCA}, "exactly one of uri and algorithm"),
    ],
)
def test_constructor_needs_exactly_one_source(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ContainerImage(**kwargs)  # type: ignore[arg-type]  # deliberately untyped bad input


def test_builtin_images_have_no_repository_of_yours(stack: Stack) -> None:
    repo = ecr.Repository.from_repository_name(stack, "Repo", "churn-inference")
    with pytest.raises(ValueError, match="no repository of yours"):
        ContainerImage(repository=repo, algorithm=BuiltinAlgorithm.PCA)
