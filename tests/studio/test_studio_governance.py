"""One governed, validating synth: the reference Studio (defaults) and a fully optioned domain.

Stack ``StudioRef`` holds the reference platform's :class:`StudioResources` (domain at default props,
two users, presigned-URL grants); stack ``StudioFull`` a domain with lifecycle configs, notebook
sharing, Canvas, MLflow, a user override and imports. Controls SM-01..SM-04, SM-11, SM-12.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aws_cdk import Duration

from constructs_ml.foundation import PersonaKind
from constructs_ml.studio import (
    AppInstanceType,
    CanvasSettings,
    LifecycleContent,
    NotebookSharing,
    StudioDomain,
    StudioLifecycleConfig,
    UserProfile,
)
from stacks.studio import DEFAULT_USERS, StudioResources
from tests.studio.conftest import Foundation, foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of

Template = dict[str, Any]


@pytest.fixture(scope="module")
def synth() -> tuple[GovernedSynth, Foundation, Foundation]:
    app = new_app()
    ref = foundation(app, "StudioRef")
    StudioResources(ref.stack, "Studio", network=ref.network, keys=ref.keys, buckets=ref.buckets, personas=ref.personas)

    full = foundation(app, "StudioFull")
    idle = StudioLifecycleConfig.idle_shutdown(full.stack, "IdleShutdown", idle_timeout=Duration.hours(2))
    setup = StudioLifecycleConfig(
        full.stack,
        "Setup",
        content=LifecycleContent.from_string("#!/bin/bash\necho setup\n"),
        run_by_default=False,
    )
    domain = StudioDomain(
        full.stack,
        "Domain",
        network=full.network,
        key=full.keys.data,
        personas=full.studio_personas,
        lifecycle_configs=[idle, setup],
        notebook_sharing=NotebookSharing(bucket=full.buckets.artifacts.bucket, key=full.keys.data),
        canvas=CanvasSettings(workspace_bucket=full.buckets.artifacts.bucket, workspace_key=full.keys.data),
    )
    alice = domain.add_user("alice", default_instance_type=AppInstanceType.ML_M5_LARGE, tags={"team": "churn"})
    alice.grant_presigned_url(full.personas.role(PersonaKind.DATA_SCIENTIST))
    domain.grant_idle_shutdown(full.personas.studio_execution_role(PersonaKind.DATA_SCIENTIST))
    mlflow = domain.add_mlflow_tracking_server(
        artifact_bucket=full.buckets.artifacts.bucket, guardrail=full.personas.guardrail.policy
    )
    mlflow.grant_read(full.personas.role(PersonaKind.MODEL_APPROVER))
    imported = StudioDomain.from_domain_id(
        full.stack, "Imported", "d-abc123", presigned_url_vpc_endpoint_ids=["vpce-0123456789abcdef0"]
    )
    UserProfile.from_user_profile_name(
        full.stack, "ImportedUser", domain=imported, user_profile_name="legacy"
    ).grant_presigned_url(full.personas.role(PersonaKind.ML_ENGINEER))
    return governed_synth(app), ref, full


@pytest.fixture(scope="module")
def ref(synth: tuple[GovernedSynth, Foundation, Foundation]) -> Template:
    return synth[0].template(synth[1].stack)


@pytest.fixture(scope="module")
def full(synth: tuple[GovernedSynth, Foundation, Foundation]) -> Template:
    return synth[0].template(synth[2].stack)


def only(template: Template, type_name: str) -> dict[str, Any]:
    found = resources_of(template, type_name)
    assert len(found) == 1, f"expected one {type_name}, got {list(found)}"
    return next(iter(found.values()))


def target(value: Any) -> str:
    """The logical id a Ref/GetAtt points to."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a reference: {value!r}")


def tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Properties", {}).get("Tags", [])}


def policies_attached_to(template: Template, role_id: str) -> list[dict[str, Any]]:
    out = []
    for policy in resources_of(template, "AWS::IAM::ManagedPolicy").values():
        if any(target(r) == role_id for r in policy["Properties"].get("Roles", [])):
            out.append(policy["Properties"]["PolicyDocument"])
    role = template["Resources"][role_id]
    for arn in role["Properties"].get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and "Ref" in arn:
            out.append(template["Resources"][arn["Ref"]]["Properties"]["PolicyDocument"])
    return out


def statements_of(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for d in documents for s in d["Statement"]]


# -- governance gate ----------------------------------------------------------------------------------


def test_governance_clean(synth: tuple[GovernedSynth, Foundation, Foundation]) -> None:
    assert_governance_clean(synth[0])


def test_studio_constructs_need_no_acknowledgement(synth: tuple[GovernedSynth, Foundation, Foundation]) -> None:
    acks = [a for a in synth[0].acknowledgements() if a[0].startswith("/StudioRef/Studio/")]
    assert acks == []


@pytest.mark.parametrize("which", ["ref", "full"])
def test_cfn_lint_clean(which: str, request: pytest.FixtureRequest) -> None:
    assert cfn_lint_errors(request.getfixturevalue(which)) == []


@pytest.mark.parametrize("which", ["ref", "full"])
def test_no_inline_policies(which: str, request: pytest.FixtureRequest) -> None:
    template = request.getfixturevalue(which)
    assert resources_of(template, "AWS::IAM::Policy") == {}
    # The CDK provider role of the foundation's Custom::VpcRestrictDefaultSG is the foundation's business.
    roles = {k: r for k, r in resources_of(template, "AWS::IAM::Role").items() if not k.startswith("Custom")}
    assert roles and all("Policies" not in r["Properties"] for r in roles.values())


# -- SM-01: VPC-only on isolated subnets ---------------------------------------------------------------


def test_sm01_domain_is_vpc_only_on_the_platform_subnets(ref: Template) -> None:
    props = only(ref, "AWS::SageMaker::Domain")["Properties"]
    assert props["AppNetworkAccessType"] == "VpcOnly"
    assert target(props["VpcId"]) in resources_of(ref, "AWS::EC2::VPC")
    subnets = resources_of(ref, "AWS::EC2::Subnet")
    ids = [target(s) for s in props["SubnetIds"]]
    assert len(ids) >= 2 and set(ids) <= set(subnets)
    for sid in ids:
        assert subnets[sid]["Properties"].get("MapPublicIpOnLaunch") is not True


def test_sm01_the_subnets_have_no_route_to_the_internet(ref: Template) -> None:
    for type_name in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP"):
        assert resources_of(ref, type_name) == {}
    for route in resources_of(ref, "AWS::EC2::Route").values():
        assert route["Properties"].get("DestinationCidrBlock") != "0.0.0.0/0"
        assert route["Properties"].get("DestinationIpv6CidrBlock") != "::/0"


# -- SM-02: KMS -----------------------------------------------------------------------------------------


def test_sm02_domain_volumes_use_the_platform_data_key(ref: Template) -> None:
    key_id = target(only(ref, "AWS::SageMaker::Domain")["Properties"]["KmsKeyId"])
    key = ref["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert "data key" in key["Properties"]["Description"]


# -- SM-03: persona roles and security groups -------------------------------------------------------------


def test_sm03_domain_default_role_is_the_data_scientist_studio_role(ref: Template) -> None:
    props = only(ref, "AWS::SageMaker::Domain")["Properties"]
    for settings in (props["DefaultUserSettings"], props["DefaultSpaceSettings"]):
        role = ref["Resources"][target(settings["ExecutionRole"])]
        assert role["Type"] == "AWS::IAM::Role"
        assert tags(role)["constructs-ml:persona"] == "data-scientist"
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "sagemaker.amazonaws.com"
        }
        sgs = [target(s) for s in settings["SecurityGroups"]]
        assert sgs and all(ref["Resources"][s]["Type"] == "AWS::EC2::SecurityGroup" for s in sgs)


def test_sm03_each_user_runs_as_their_persona_role_in_the_workload_security_group(ref: Template) -> None:
    profiles = resources_of(ref, "AWS::SageMaker::UserProfile")
    by_name = {p["Properties"]["UserProfileName"]: p["Properties"] for p in profiles.values()}
    assert set(by_name) == {u.name for u in DEFAULT_USERS}
    domain_sgs = only(ref, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]["SecurityGroups"]
    for user in DEFAULT_USERS:
        settings = by_name[user.name]["UserSettings"]
        role = ref["Resources"][target(settings["ExecutionRole"])]
        assert tags(role)["constructs-ml:persona"] == user.persona.value
        assert tags(role)["constructs-ml:persona"] != "platform-admin"
        assert settings["SecurityGroups"] == domain_sgs


def test_activity_is_attributed_to_the_user_profile(ref: Template) -> None:
    settings = only(ref, "AWS::SageMaker::Domain")["Properties"]["DomainSettings"]
    assert settings["ExecutionRoleIdentityConfig"] == "USER_PROFILE_NAME"
    role_id = target(only(ref, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]["ExecutionRole"])
    trust = ref["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    actions = [a for s in trust for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert "sts:SetSourceIdentity" in actions


# -- SM-04: sharing and Docker --------------------------------------------------------------------------


def test_sm04_sharing_and_docker_are_off_by_default(ref: Template) -> None:
    props = only(ref, "AWS::SageMaker::Domain")["Properties"]
    assert props["DefaultUserSettings"]["SharingSettings"] == {"NotebookOutputOption": "Disabled"}
    assert props["DomainSettings"]["DockerSettings"] == {"EnableDockerAccess": "DISABLED"}


def test_sm04_sharing_when_on_goes_to_the_platform_bucket_with_kms(full: Template) -> None:
    sharing = only(full, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]["SharingSettings"]
    assert sharing["NotebookOutputOption"] == "Allowed"
    assert full["Resources"][target(sharing["S3KmsKeyId"])]["Type"] == "AWS::KMS::Key"
    join = sharing["S3OutputPath"]["Fn::Join"][1]
    assert join[0] == "s3://" and target(join[1]) in resources_of(full, "AWS::S3::Bucket")


# -- SM-11: guardrail on every execution role -------------------------------------------------------------


@pytest.mark.parametrize("which", ["ref", "full"])
def test_sm11_guardrail_is_attached_to_every_studio_execution_role(which: str, request: pytest.FixtureRequest) -> None:
    template = request.getfixturevalue(which)
    roles = set()
    domain = only(template, "AWS::SageMaker::Domain")["Properties"]
    roles.add(target(domain["DefaultUserSettings"]["ExecutionRole"]))
    for p in resources_of(template, "AWS::SageMaker::UserProfile").values():
        roles.add(target(p["Properties"]["UserSettings"]["ExecutionRole"]))
    assert len(roles) == (2 if which == "ref" else 1)
    for role_id in roles:
        sids = {s.get("Sid") for s in statements_of(policies_attached_to(template, role_id))}
        assert {"DenyDomainWithInternet", "DenyWithoutVpc", "DenyWithoutVolumeKey"} <= sids


# -- SM-12: presigned URLs only through the VPC endpoints, only for one's own profile --------------------------


def presigned_statements(template: Template) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for policy in resources_of(template, "AWS::IAM::ManagedPolicy").values():
        for s in policy["Properties"]["PolicyDocument"]["Statement"]:
            if s["Effect"] == "Allow" and s["Action"] == "sagemaker:CreatePresignedDomainUrl":
                roles = [target(r) for r in policy["Properties"].get("Roles", [])]
                out.extend((r, s) for r in roles)
    return out


def test_sm12_persona_may_open_only_the_profile_of_its_session_tag(ref: Template) -> None:
    found = presigned_statements(ref)
    assert {tags(ref["Resources"][r])["constructs-ml:persona"] for r, _ in found} == {"data-scientist", "ml-engineer"}
    endpoints = resources_of(ref, "AWS::EC2::VPCEndpoint")
    for _, s in found:
        parts = s["Resource"]["Fn::Join"][1]
        assert parts[-1] == "/${aws:PrincipalTag/studio-user-profile}"
        assert any(isinstance(p, str) and p.endswith(":user-profile/") for p in parts)
        assert target(parts[-2]) in resources_of(ref, "AWS::SageMaker::Domain")
        vpces = s["Condition"]["StringEquals"]["aws:SourceVpce"]
        services = {endpoints[target(v)]["Properties"]["ServiceName"].rsplit(".", 1)[-1] for v in vpces}
        assert services == {"api", "studio"}


def test_sm12_a_profile_grant_names_that_profile_only(full: Template) -> None:
    found = [s for _, s in presigned_statements(full)]
    resources = [s["Resource"] for s in found]
    alice = [r for r in resources if isinstance(r, dict) and r["Fn::Join"][1][-1] == "/alice"]
    assert len(alice) == 1
    legacy = [s for s in found if s["Condition"]["StringEquals"]["aws:SourceVpce"] == ["vpce-0123456789abcdef0"]]
    assert len(legacy) == 1 and legacy[0]["Resource"]["Fn::Join"][1][-1].endswith(":user-profile/d-abc123/legacy")


# -- idle shutdown, lifecycle configs, app settings ---------------------------------------------------------


def test_built_in_idle_shutdown_by_default_for_jupyterlab_and_code_editor(ref: Template) -> None:
    settings = only(ref, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]
    for app in ("JupyterLabAppSettings", "CodeEditorAppSettings"):
        idle = settings[app]["AppLifecycleManagement"]["IdleSettings"]
        assert idle == {
            "LifecycleManagement": "ENABLED",
            "IdleTimeoutInMinutes": 60,
            "MinIdleTimeoutInMinutes": 60,
            "MaxIdleTimeoutInMinutes": 240,
        }
        assert settings[app]["DefaultResourceSpec"] == {"InstanceType": "ml.t3.medium"}
    assert resources_of(ref, "AWS::SageMaker::StudioLifecycleConfig") == {}


def test_lifecycle_configs_are_attached_and_the_idle_script_runs_by_default(full: Template) -> None:
    configs = resources_of(full, "AWS::SageMaker::StudioLifecycleConfig")
    assert len(configs) == 2
    idle_id = next(
        k for k, v in configs.items() if b"idle" in base64.b64decode(v["Properties"]["StudioLifecycleConfigContent"])
    )
    lab = only(full, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]["JupyterLabAppSettings"]
    assert target(lab["DefaultResourceSpec"]["LifecycleConfigArn"]) == idle_id
    assert {target(a) for a in lab["LifecycleConfigArns"]} == set(configs)
    script = base64.b64decode(configs[idle_id]["Properties"]["StudioLifecycleConfigContent"]).decode()
    assert 'IDLE_MINUTES="120"' in script


def test_canvas_hidden_by_default_and_shown_with_settings(ref: Template, full: Template) -> None:
    def hidden(t: Template) -> list[str]:
        return list(
            only(t, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]["StudioWebPortalSettings"][
                "HiddenAppTypes"
            ]
        )

    assert "Canvas" in hidden(ref)
    assert "Canvas" not in hidden(full)
    assert any(k.startswith("DomainCanvasUpdateDomainRequest") for k in full.get("Outputs", {}))


def test_user_override_keeps_the_domain_lifecycle_config(full: Template) -> None:
    alice = only(full, "AWS::SageMaker::UserProfile")["Properties"]
    lab = alice["UserSettings"]["JupyterLabAppSettings"]
    assert lab["DefaultResourceSpec"]["InstanceType"] == "ml.m5.large"
    assert "LifecycleConfigArn" in lab["DefaultResourceSpec"]
    assert alice["Tags"] == [{"Key": "team", "Value": "churn"}]


def test_idle_shutdown_grant_is_delete_app_on_this_domains_apps_only(full: Template) -> None:
    found = [
        s
        for s in statements_of(
            [p["Properties"]["PolicyDocument"] for p in resources_of(full, "AWS::IAM::ManagedPolicy").values()]
        )
        if s["Effect"] == "Allow" and s["Action"] == "sagemaker:DeleteApp" and "Fn::Join" in s["Resource"]
    ]
    assert len(found) == 1
    for r in [found[0]["Resource"]]:
        parts = r["Fn::Join"][1]
        assert target(parts[-2]) in resources_of(full, "AWS::SageMaker::Domain")
        assert parts[-1] == "/*/jupyterlab/*"


# -- retention, tags, MLflow ---------------------------------------------------------------------------------------


def test_domain_retained_profiles_deleted_with_the_stack(ref: Template) -> None:
    assert only(ref, "AWS::SageMaker::Domain")["DeletionPolicy"] == "Retain"
    assert only(ref, "AWS::SageMaker::Domain")["UpdateReplacePolicy"] == "Retain"
    for p in resources_of(ref, "AWS::SageMaker::UserProfile").values():
        assert p["DeletionPolicy"] == "Delete"


def test_tags_propagate_to_studio_resources(ref: Template) -> None:
    assert only(ref, "AWS::SageMaker::Domain")["Properties"]["TagPropagation"] == "ENABLED"


def test_mlflow_artifacts_in_the_platform_bucket_and_retained(full: Template) -> None:
    server = only(full, "AWS::SageMaker::MlflowTrackingServer")
    props = server["Properties"]
    assert server["DeletionPolicy"] == "Retain"
    assert props["AutomaticModelRegistration"] is False
    parts = props["ArtifactStoreUri"]["Fn::Join"][1]
    assert parts[0] == "s3://" and parts[2] == "/mlflow/"
    bucket_id = target(parts[1])
    role_id = target(props["RoleArn"])
    statements = statements_of(policies_attached_to(full, role_id))
    object_resources = [s["Resource"] for s in statements if "s3:PutObject" in s["Action"]]
    assert object_resources == [{"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/mlflow/*"]]}]
    assert any(s.get("Sid") == "DenyWithoutVpc" for s in statements)  # guardrail attached


def test_mlflow_access_for_the_approver_is_read_only(full: Template) -> None:
    approver = next(
        k
        for k, r in resources_of(full, "AWS::IAM::Role").items()
        if tags(r).get("constructs-ml:persona") == "model-approver"
    )
    actions = {
        a
        for s in statements_of(policies_attached_to(full, approver))
        if s["Effect"] == "Allow"
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        if a.startswith("sagemaker-mlflow:")
    }
    assert "sagemaker-mlflow:GetRun" in actions
    assert not any(a.split(":")[1].startswith(("Create", "Log", "Delete", "Update")) for a in actions)
