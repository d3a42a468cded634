"""Bad props of the curated hub, custom images, spaces and the domain's new settings (no synth needed)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk.assertions import Annotations, Match

from constructs_ml.errors import ValidationError
from constructs_ml.foundation import PersonaKind
from constructs_ml.studio import (
    AppInstanceType,
    CuratedHub,
    ImageAppType,
    JumpStartModel,
    KernelSpec,
    SpaceStorage,
    StudioDomain,
    StudioImage,
    StudioMlTool,
    StudioSpace,
)
from tests.studio.conftest import Foundation, foundation
from tests.support import new_app

_ids = itertools.count()


def uid(prefix: str = "C") -> str:
    return f"{prefix}{next(_ids)}"


@pytest.fixture(scope="module")
def f() -> Foundation:
    return foundation(new_app(governed=False, validate_cfn=False))


@pytest.fixture(scope="module")
def repo(f: Foundation) -> ecr.IRepository:
    return ecr.Repository.from_repository_name(f.stack, "Repo", "platform/studio")


def domain(f: Foundation, **overrides: Any) -> StudioDomain:
    props: dict[str, Any] = {"key": f.keys.data, "network": f.network, "personas": f.studio_personas}
    props.update(overrides)
    return StudioDomain(f.stack, uid("Domain"), **props)


def hub(f: Foundation, **overrides: Any) -> CuratedHub:
    props: dict[str, Any] = {"description": "approved models"}
    props.update(overrides)
    return CuratedHub(f.stack, uid("Hub"), **props)


def image(f: Foundation, repo: ecr.IRepository, **overrides: Any) -> StudioImage:
    props: dict[str, Any] = {"repository": repo, "tag": "v1", "description": "team image"}
    props.update(overrides)
    return StudioImage(f.stack, uid("Image"), **props)


# -- CuratedHub --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"description": "  "}, r"description must be 1\.\.1023 characters"),
        ({"hub_name": "bad_name"}, r"hub_name must be 1\.\.63 letters, digits and hyphens \(got 'bad_name'\)"),
        ({"hub_name": "SageMakerPublicHub"}, r"hub_name must be a name other than the public hub's"),
        ({"search_keywords": ["LLM"]}, r"search_keywords must be keywords without upper-case letters \(got 'LLM'\)"),
        ({"models": [JumpStartModel("has space")]}, r"models\[0\]\.model_id must be a JumpStart model id"),
        ({"models": [JumpStartModel("m", min_version="2")]}, r"models\[0\]\.min_version must be a version 'x\.y\.z'"),
        ({"models": [JumpStartModel("a" * 64)]}, r"models\[0\]\.name must be 1\.\.63 letters"),
        (
            {"models": [JumpStartModel("m"), JumpStartModel("m")]},
            r"models must not repeat names; duplicated \(got \['m'\]\)",
        ),
        ({"models": ["huggingface-llm"]}, r"models\[0\] must be a JumpStartModel"),
        ({"storage_prefix": "/hub"}, r"storage_prefix must be a prefix ending in '/'"),
    ],
)
def test_bad_hub_props(f: Foundation, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        hub(f, **overrides)


def test_a_long_model_id_fits_with_a_short_name(f: Foundation) -> None:
    h = hub(f, models=[JumpStartModel("a" * 64, name="short")])
    assert h.model_reference_arn(h.models[0]).endswith("/ModelReference/short")


def test_an_imported_hub_name_is_checked(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"hub_name must be 1\.\.63 letters"):
        CuratedHub.from_hub_name(f.stack, uid("Imported"), "no spaces allowed")


# -- StudioImage -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tag": None}, r"tag must be an image tag, or give digest"),
        ({"digest": "sha256:" + "0" * 64}, r"tag and digest cannot both be given"),
        ({"tag": None, "digest": "md5:abc"}, r"digest must be 'sha256:' \+ 64 hex digits"),
        ({"tag": "bad tag"}, r"tag must be an ECR tag"),
        ({"description": ""}, r"description must be 1\.\.512 characters"),
        ({"image_name": "-bad"}, r"image_name must be 1\.\.63 letters, digits, hyphens and dots"),
        ({"app_type": ImageAppType.KERNEL_GATEWAY}, r"kernel must be the KernelSpec of a KernelGateway image"),
        (
            {"app_type": ImageAppType.KERNEL_GATEWAY, "kernel": KernelSpec("python3"), "environment": {"A": "b"}},
            r"environment must be nothing for a KernelGateway image",
        ),
        ({"kernel": KernelSpec("python3")}, r"kernel must be None for a JupyterLab image"),
        ({"entrypoint": ["a", "b"]}, r"entrypoint must be at most one command"),
        ({"environment": {"1BAD": "x"}}, r"environment must be variable names like NAME_1 \(got '1BAD'\)"),
        ({"uid": 70000}, r"uid must be between 0 and 65535"),
        ({"mount_path": "home"}, r"mount_path must be an absolute path"),
    ],
)
def test_bad_image_props(f: Foundation, repo: ecr.IRepository, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        image(f, repo, **overrides)


def test_an_image_from_another_accounts_repository_is_rejected(f: Foundation) -> None:
    other = ecr.Repository.from_repository_arn(
        f.stack, uid("Other"), "arn:aws:ecr:eu-west-1:222222222222:repository/someone/else"
    )
    with pytest.raises(ValidationError, match=r"repository must be a repository of this stack's account"):
        image(f, other)


def test_an_existing_role_and_a_guardrail_are_exclusive(f: Foundation, repo: ecr.IRepository) -> None:
    role = f.personas.role(PersonaKind.ML_ENGINEER).role
    with pytest.raises(ValidationError, match=r"guardrail must be no guardrail with an existing role"):
        image(f, repo, role=role, guardrail=f.personas.guardrail.policy)


# -- StudioDomain: hub, images, tools ------------------------------------------------------------------


def test_hiding_jumpstart_with_a_curated_hub_is_rejected(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"hidden_ml_tools hides JumpStart, where users would browse"):
        domain(f, curated_hub=hub(f), hidden_ml_tools=[StudioMlTool.JUMP_START])


def test_hidden_tools_must_be_typed(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"hidden_ml_tools must be StudioMlTool values \(got 'JumpStart'\)"):
        domain(f, hidden_ml_tools=["JumpStart"])


def test_the_same_image_twice_is_rejected(f: Foundation, repo: ecr.IRepository) -> None:
    img = image(f, repo)
    with pytest.raises(ValidationError, match=r"custom_images must not repeat names; duplicated"):
        domain(f, custom_images=[img, img])


# -- StudioSpace -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def owned(f: Foundation) -> StudioDomain:
    d = domain(f, space_storage=SpaceStorage(default_size_gb=10, max_size_gb=20))
    d.add_user("owner")
    return d


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        ("bad_name", {}, r"space_name must be 1\.\.63 letters"),
        ("big", {"storage_gb": 21}, r"storage_gb must be between 5 and 20 \(got 21\)"),
        ("small", {"storage_gb": 4}, r"storage_gb must be between 5 and 20"),
        ("typed", {"sharing": "Shared"}, r"sharing must be a SpaceSharing"),
        ("itype", {"instance_type": AppInstanceType.of("m5.large")}, r"instance_type must be an instance type"),
        ("label", {"display_name": "x" * 65}, r"display_name must be 1\.\.64 characters"),
    ],
)
def test_bad_space_props(owned: StudioDomain, name: str, overrides: dict[str, Any], message: str) -> None:
    owner = next(c for c in owned.node.children if getattr(c, "user_profile_name", None) == "owner")
    with pytest.raises(ValidationError, match=message):
        owned.add_space(name, owner=owner, **overrides)  # type: ignore[arg-type]


def test_a_space_of_another_domains_user_is_rejected(f: Foundation, owned: StudioDomain) -> None:
    stranger = domain(f).add_user("stranger")
    with pytest.raises(ValidationError, match=r"owner must be a user profile of the space's domain"):
        owned.add_space("theirs", owner=stranger)


def test_space_names_are_unique_in_a_domain(owned: StudioDomain) -> None:
    owned.add_space("once", owner="owner")
    with pytest.raises(ValidationError, match=r"space_name must be unique in domain .*; already used"):
        StudioSpace(owned, uid("Again"), domain=owned, space_name="once", owner="owner")


def test_a_space_owner_name_is_checked(owned: StudioDomain) -> None:
    with pytest.raises(ValidationError, match=r"owner must be 1\.\.63 letters"):
        owned.add_space("nameless", owner="not a name")


# -- imports and regions -----------------------------------------------------------------------------


def test_an_imported_image_is_offered_by_name(f: Foundation) -> None:
    img = StudioImage.from_image_name(
        f.stack,
        uid("Existing"),
        "org-kernel",
        app_image_config_name="org-kernel-config",
        app_type=ImageAppType.KERNEL_GATEWAY,
    )
    assert img.custom_image_entry() == {"ImageName": "org-kernel", "AppImageConfigName": "org-kernel-config"}
    d = domain(f, custom_images=[img])
    assert d.custom_images == [img]


def test_an_imported_image_name_is_checked(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"image_name must be 1\.\.63 letters, digits, hyphens and dots"):
        StudioImage.from_image_name(f.stack, uid("Existing"), "bad name")


def test_a_hub_outside_the_supported_regions_warns() -> None:
    stack = Stack(App(), "Far", env=Environment(account="111111111111", region="sa-east-1"))
    CuratedHub(stack, "Hub", description="approved models")
    near = Stack(App(), "Near", env=Environment(account="111111111111", region="eu-west-1"))
    CuratedHub(near, "Hub", description="approved models")
    warning = Match.string_like_regexp("curated private hubs are not generally available in sa-east-1")
    Annotations.from_stack(stack).has_warning("/Far/Hub", warning)
    Annotations.from_stack(near).has_no_warning("*", Match.string_like_regexp("curated private hubs"))
