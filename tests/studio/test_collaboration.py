"""Curated JumpStart hub, custom images and spaces: one governed, validating synth, many assertions.

Stack ``Collab``: a domain with a curated hub, a JupyterLab and a KernelGateway image, a private and a
shared space, and the admin's grant on the hub's content. Stack ``Plain``: a domain with defaults (no
hub: JumpStart hidden) and an imported hub granted to a role.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from aws_cdk import RemovalPolicy, Stack, Tags
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from botocore.validate import ParamValidator

from constructs_ml.contracts import check_assembly
from constructs_ml.foundation import PermissionsBoundary, PersonaKind, apply_permissions_boundary
from constructs_ml.studio import (
    AppInstanceType,
    CuratedHub,
    ImageAppType,
    JumpStartModel,
    KernelSpec,
    SpaceAppType,
    SpaceSharing,
    StudioDomain,
    StudioImage,
)
from tests.studio.conftest import Foundation, foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of

Template = dict[str, Any]
PUBLIC_HUB = "hub/SageMakerPublicHub"


@pytest.fixture(scope="module")
def synth() -> tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]]:
    app = new_app()
    c = foundation(app, "Collab")
    boundary = PermissionsBoundary(c.stack, "Boundary")  # contracts then hold under the platform's ceiling
    apply_permissions_boundary(c.stack, boundary.policy)
    boundary.allow_default_security_group_rules(c.network.vpc)  # CDK's default-SG provider is bounded too
    hub = CuratedHub(
        c.stack,
        "Hub",
        hub_name="platform-models",
        description="Models approved by the platform team",
        display_name="Platform models",
        search_keywords=["approved", "llm"],
        storage_bucket=c.buckets.artifacts.bucket,
        models=[
            JumpStartModel("huggingface-llm-mistral-7b-instruct"),
            JumpStartModel("meta-textgeneration-llama-3-8b", min_version="2.0.0", name="llama-3-8b"),
        ],
        tags={"owner": "platform"},
    )
    hub.grant_manage_content(c.personas.role(PersonaKind.PLATFORM_ADMIN))
    repo = ecr.Repository.from_repository_name(c.stack, "Repo", "platform/studio")
    # The repository's own key (its default policy leaves use to IAM); the platform data key would refuse ECR.
    repo_key = kms.Key(c.stack, "RepoKey", enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN)
    lab = StudioImage(
        c.stack,
        "LabImage",
        repository=repo,
        tag="2026.12.1",
        description="Team JupyterLab image",
        entrypoint=["entrypoint-jupyter-server"],
        environment={"PIP_INDEX_URL": "https://pypi.internal.example/simple"},
        guardrail=c.personas.guardrail.policy,
    )
    kernel = StudioImage(
        c.stack,
        "KernelImage",
        repository=repo,
        digest="sha256:" + "a" * 64,
        app_type=ImageAppType.KERNEL_GATEWAY,
        kernel=KernelSpec("python3", "Team Python 3"),
        description="Team kernel image",
        repository_key=repo_key,
        guardrail=c.personas.guardrail.policy,
    )
    domain = StudioDomain(
        c.stack,
        "Domain",
        network=c.network,
        key=c.keys.data,
        personas=c.studio_personas,
        curated_hub=hub,
        custom_images=[lab, kernel],
    )
    ada = domain.add_user("ada")
    grace = domain.add_user("grace", persona=PersonaKind.ML_ENGINEER)
    scratch = domain.add_space("ada-scratch", owner=ada)
    team = domain.add_space(
        "churn-team",
        owner=grace,
        sharing=SpaceSharing.SHARED,
        app_type=SpaceAppType.CODE_EDITOR,
        storage_gb=50,
        instance_type=AppInstanceType.ML_M5_LARGE,
        display_name="Churn team",
        tags={"team": "churn"},
    )
    Tags.of(c.stack).add("cost-center", "ml")

    p = foundation(app, "Plain")
    StudioDomain(p.stack, "Domain", network=p.network, key=p.keys.data, personas=p.studio_personas)
    CuratedHub.from_hub_name(p.stack, "Existing", "org-models").grant_read(p.personas.role(PersonaKind.DATA_SCIENTIST))
    objs: dict[str, Any] = {
        "lab": lab,
        "kernel": kernel,
        "domain": domain,
        "ada": ada,
        "scratch": scratch,
        "team": team,
        "guardrail": c.personas.guardrail.policy,
    }
    return governed_synth(app), c, p, objs


@pytest.fixture(scope="module")
def objs(synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]]) -> dict[str, Any]:
    return synth[3]


def lid(construct: Any) -> str:
    """The logical id of a construct's CloudFormation resource (its default child, or itself)."""
    element = construct.node.default_child or construct
    return str(Stack.of(element).get_logical_id(element))


def role_id(role: Any) -> str:
    return lid(getattr(role, "role", role))


@pytest.fixture(scope="module")
def collab(synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]]) -> Template:
    return synth[0].template(synth[1].stack)


@pytest.fixture(scope="module")
def plain(synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]]) -> Template:
    return synth[0].template(synth[2].stack)


def only(template: Template, type_name: str) -> dict[str, Any]:
    found = resources_of(template, type_name)
    assert len(found) == 1, f"expected one {type_name}, got {list(found)}"
    return next(iter(found.values()))


def flat(value: Any) -> str:
    """A template value as one string (``Fn::Join`` parts concatenated, intrinsics kept as JSON)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return str(sep).join(flat(p) for p in parts)
    return value if isinstance(value, str) else json.dumps(value)


def statements_for_role(template: Template, role: Any) -> list[dict[str, Any]]:
    rid = role_id(role)
    out: list[dict[str, Any]] = []
    for policy in resources_of(template, "AWS::IAM::ManagedPolicy").values():
        if any(r == {"Ref": rid} for r in policy["Properties"].get("Roles", [])):
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- gates ----------------------------------------------------------------------------------------


def test_governance_clean(synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]]) -> None:
    assert_governance_clean(synth[0])


@pytest.mark.parametrize("which", ["collab", "plain"])
def test_cfn_lint_clean(which: str, request: pytest.FixtureRequest) -> None:
    assert cfn_lint_errors(request.getfixturevalue(which)) == []


def test_every_contract_is_honoured(synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]]) -> None:
    report = check_assembly(str(synth[0].outdir))
    assert report.ok, "\n".join(str(f) for f in report.findings)
    image_roles = [r for r in report.roles if "Image/Role" in r]
    assert len(image_roles) == 2, report.roles


def test_every_role_of_the_collaboration_stack_has_the_boundary(collab: Template) -> None:
    roles = {k: r for k, r in resources_of(collab, "AWS::IAM::Role").items() if not k.startswith("Custom")}
    assert roles and all("PermissionsBoundary" in r["Properties"] for r in roles.values())


# -- the curated hub ---------------------------------------------------------------------------------


def test_the_hub_is_a_cloudformation_hub_with_its_storage_on_the_platform_bucket(collab: Template) -> None:
    props = only(collab, "AWS::SageMaker::Hub")["Properties"]
    assert props["HubName"] == "platform-models"
    assert props["HubDisplayName"] == "Platform models"
    assert props["HubSearchKeywords"] == ["approved", "llm"]
    assert flat(props["S3StorageConfig"]["S3OutputPath"]).endswith("/jumpstart-hub/")
    assert {"Key": "owner", "Value": "platform"} in props["Tags"]


def test_each_chosen_model_is_a_valid_create_hub_content_reference_request(
    synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]], collab: Template
) -> None:
    outputs = {k: v for k, v in collab["Outputs"].items() if "Reference" in k}
    assert len(outputs) == 2
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model("CreateHubContentReference").input_shape
    requests = []
    for out in outputs.values():
        text = flat(out["Value"]).replace('{"Ref": "AWS::Partition"}', "aws")
        request = json.loads(text)
        report = ParamValidator().validate(request, shape)
        assert not report.has_errors(), report.generate_report()
        requests.append(request)
    by_name = {r["HubContentName"]: r for r in requests}
    assert by_name["llama-3-8b"]["MinVersion"] == "2.0.0"
    assert by_name["llama-3-8b"]["SageMakerPublicHubContentArn"] == (
        "arn:aws:sagemaker:eu-west-1:aws:hub-content/SageMakerPublicHub/Model/meta-textgeneration-llama-3-8b"
    )
    assert {r["HubName"] for r in requests} == {"platform-models"}


@pytest.mark.parametrize("persona", [PersonaKind.DATA_SCIENTIST, PersonaKind.ML_ENGINEER])
def test_studio_roles_read_the_curated_hub_and_are_denied_the_public_one(
    synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]], collab: Template, persona: PersonaKind
) -> None:
    statements = statements_for_role(collab, synth[1].personas.studio_execution_role(persona))
    allowed = [s for s in statements if s["Effect"] == "Allow" and "sagemaker:ListHubContents" in as_list(s["Action"])]
    assert allowed and all("SageMakerPublicHub" not in flat(r) for s in allowed for r in as_list(s["Resource"]))
    assert any(flat(r).endswith(":hub/platform-models") for s in allowed for r in as_list(s["Resource"]))
    denied = [s for s in statements if s["Effect"] == "Deny"]
    assert any(
        "sagemaker:ListHubContents" in as_list(s["Action"])
        and any(flat(r).endswith(PUBLIC_HUB) for r in as_list(s["Resource"]))
        for s in denied
    )


def test_only_the_admin_may_change_the_hubs_content(
    synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]], collab: Template
) -> None:
    personas = synth[1].personas

    def changes(role: Any) -> bool:
        return any(
            s["Effect"] == "Allow" and "sagemaker:CreateHubContentReference" in as_list(s["Action"])
            for s in statements_for_role(collab, role)
        )

    assert changes(personas.role(PersonaKind.PLATFORM_ADMIN))
    assert not changes(personas.studio_execution_role(PersonaKind.DATA_SCIENTIST))
    assert not changes(personas.role(PersonaKind.DATA_SCIENTIST))


def test_without_a_hub_jumpstart_is_hidden_and_no_role_reads_a_hub(
    synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]], plain: Template
) -> None:
    settings = only(plain, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]
    assert settings["StudioWebPortalSettings"]["HiddenMlTools"] == ["JumpStart"]
    studio = statements_for_role(plain, synth[2].personas.studio_execution_role(PersonaKind.DATA_SCIENTIST))
    assert not any("sagemaker:ListHubContents" in as_list(s["Action"]) for s in studio)


def test_with_a_hub_jumpstart_stays_visible(collab: Template) -> None:
    settings = only(collab, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]
    assert "HiddenMlTools" not in settings["StudioWebPortalSettings"]


def test_an_imported_hub_grants_read_on_its_name(
    synth: tuple[GovernedSynth, Foundation, Foundation, dict[str, Any]], plain: Template
) -> None:
    statements = statements_for_role(plain, synth[2].personas.role(PersonaKind.DATA_SCIENTIST))
    resources = [flat(r) for s in statements if "sagemaker:DescribeHub" in as_list(s["Action"]) for r in s["Resource"]]
    assert any(r.endswith(":hub/org-models") for r in resources)
    assert any(r.endswith(":hub-content/org-models/*/*") for r in resources)


# -- custom images -----------------------------------------------------------------------------------


def test_the_domain_offers_both_images_and_waits_for_them(collab: Template, objs: dict[str, Any]) -> None:
    domain = only(collab, "AWS::SageMaker::Domain")
    user = domain["Properties"]["DefaultUserSettings"]
    space = domain["Properties"]["DefaultSpaceSettings"]
    lab = [i["ImageName"] for i in user["JupyterLabAppSettings"]["CustomImages"]]
    kernel = [i["ImageName"] for i in user["KernelGatewayAppSettings"]["CustomImages"]]
    assert len(lab) == 1 and "LabImage" in lab[0]
    assert len(kernel) == 1 and "KernelImage" in kernel[0]
    assert space["JupyterLabAppSettings"]["CustomImages"] == user["JupyterLabAppSettings"]["CustomImages"]
    assert space["KernelGatewayAppSettings"]["CustomImages"] == user["KernelGatewayAppSettings"]["CustomImages"]
    for entry in [*user["JupyterLabAppSettings"]["CustomImages"], *user["KernelGatewayAppSettings"]["CustomImages"]]:
        assert entry["AppImageConfigName"] == entry["ImageName"]
        assert "ImageVersionNumber" not in entry  # newest version
    depends = set(domain["DependsOn"])
    for image in (objs["lab"], objs["kernel"]):
        assert {lid(image.version), lid(image.app_image_config)} <= depends


def test_image_versions_come_from_the_platform_repository(collab: Template) -> None:
    bases = sorted(
        flat(v["Properties"]["BaseImage"]) for v in resources_of(collab, "AWS::SageMaker::ImageVersion").values()
    )
    assert bases[0].startswith("111111111111.dkr.ecr.eu-west-1.") and bases[0].endswith("/platform/studio:2026.12.1")
    assert bases[1].endswith("/platform/studio@sha256:" + "a" * 64)


def test_app_image_configs(collab: Template, objs: dict[str, Any]) -> None:
    lab = collab["Resources"][lid(objs["lab"].app_image_config)]["Properties"]
    assert lab["JupyterLabAppImageConfig"]["ContainerConfig"] == {
        "ContainerEntrypoint": ["entrypoint-jupyter-server"],
        "ContainerEnvironmentVariables": [{"Key": "PIP_INDEX_URL", "Value": "https://pypi.internal.example/simple"}],
    }
    kernel = collab["Resources"][lid(objs["kernel"].app_image_config)]["Properties"]
    assert kernel["KernelGatewayImageConfig"] == {
        "KernelSpecs": [{"Name": "python3", "DisplayName": "Team Python 3"}],
        "FileSystemConfig": {"DefaultUid": 1000, "DefaultGid": 100, "MountPath": "/home/sagemaker-user"},
    }
    tag_keys = {t["Key"] for t in lab["Tags"]}
    assert {"constructs-ml:studio-image", "cost-center"} <= tag_keys


def test_the_image_role_pulls_only_its_repository_and_carries_the_guardrail(
    collab: Template, objs: dict[str, Any]
) -> None:
    lab = objs["lab"]
    rid = role_id(lab.image_role)
    role = collab["Resources"][rid]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    assert {"Ref": lid(objs["guardrail"])} in role["ManagedPolicyArns"]
    statements = statements_for_role(collab, lab.image_role)
    pull = next(s for s in statements if "ecr:BatchGetImage" in as_list(s["Action"]))
    (repository,) = as_list(pull["Resource"])
    assert flat(repository).endswith(":repository/platform/studio")
    stars = {a for s in statements if s["Resource"] == "*" for a in as_list(s["Action"])}
    assert stars == {"ecr:GetAuthorizationToken"}
    image = collab["Resources"][lid(lab)]["Properties"]
    assert image["ImageRoleArn"] == {"Fn::GetAtt": [rid, "Arn"]}
    assert image["ImageDescription"] == "Team JupyterLab image"


# -- spaces ------------------------------------------------------------------------------------------


def test_a_private_space_defaults_to_the_domains_storage_and_is_retained(
    collab: Template, objs: dict[str, Any]
) -> None:
    space = collab["Resources"][lid(objs["scratch"])]
    props = space["Properties"]
    assert props["OwnershipSettings"] == {"OwnerUserProfileName": "ada"}
    assert props["SpaceSharingSettings"] == {"SharingType": "Private"}
    assert props["SpaceSettings"] == {
        "AppType": "JupyterLab",
        "SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": 5}},
    }
    assert space["DeletionPolicy"] == "Retain" and space["UpdateReplacePolicy"] == "Retain"
    assert space["DependsOn"] == [lid(objs["ada"])]
    assert props["DomainId"] == {"Fn::GetAtt": [lid(objs["domain"]), "DomainId"]}


def test_a_shared_space(collab: Template, objs: dict[str, Any]) -> None:
    props = collab["Resources"][lid(objs["team"])]["Properties"]
    assert props["SpaceSharingSettings"] == {"SharingType": "Shared"}
    assert props["OwnershipSettings"] == {"OwnerUserProfileName": "grace"}
    assert props["SpaceDisplayName"] == "Churn team"
    assert props["SpaceSettings"] == {
        "AppType": "CodeEditor",
        "SpaceStorageSettings": {"EbsStorageSettings": {"EbsVolumeSizeInGb": 50}},
        "CodeEditorAppSettings": {"DefaultResourceSpec": {"InstanceType": "ml.m5.large"}},
    }
    assert {"Key": "team", "Value": "churn"} in props["Tags"]


def test_an_encrypted_repositorys_key_is_used_only_through_ecr(collab: Template, objs: dict[str, Any]) -> None:
    statements = statements_for_role(collab, objs["kernel"].image_role)
    (decrypt,) = [s for s in statements if "kms:Decrypt" in as_list(s["Action"])]
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "ecr.eu-west-1.amazonaws.com"}}
    assert not any("kms:Decrypt" in as_list(s["Action"]) for s in statements_for_role(collab, objs["lab"].image_role))
