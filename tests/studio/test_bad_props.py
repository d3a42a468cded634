"""Bad props: every Studio construct reports a clear ValidationError (no synth needed)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from constructs_ml.errors import ValidationError
from constructs_ml.foundation import PersonaKind
from constructs_ml.studio import (
    IdleShutdown,
    LifecycleContent,
    MlflowTrackingServer,
    SpaceStorage,
    StudioAppType,
    StudioAuth,
    StudioDomain,
    StudioLifecycleConfig,
    StudioPersona,
    UserProfile,
)
from stacks.studio import StudioResources, StudioUser
from tests.studio.conftest import Foundation, foundation
from tests.support import new_app

_ids = itertools.count()


def uid(prefix: str = "C") -> str:
    return f"{prefix}{next(_ids)}"


@pytest.fixture(scope="module")
def f() -> Foundation:
    return foundation(new_app(governed=False, validate_cfn=False))


def domain(f: Foundation, **overrides: Any) -> StudioDomain:
    props: dict[str, Any] = {"key": f.keys.data, "network": f.network, "personas": f.studio_personas}
    props.update(overrides)
    return StudioDomain(f.stack, uid("Domain"), **props)


def test_public_subnets_are_rejected_for_a_vpc_only_domain(f: Foundation) -> None:
    vpc = ec2.Vpc(
        f.stack,
        uid("PublicVpc"),
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="pub", subnet_type=ec2.SubnetType.PUBLIC)],
    )
    sg = ec2.SecurityGroup(f.stack, uid("Sg"), vpc=vpc, allow_all_outbound=False)
    with pytest.raises(ValidationError, match=r"subnets must not be public subnets with AppNetworkAccessType VpcOnly"):
        domain(f, network=None, vpc=vpc, subnets=vpc.public_subnets, security_groups=[sg])


def test_fewer_than_two_subnets(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"subnets must be at least two subnets"):
        domain(
            f,
            network=None,
            vpc=f.network.vpc,
            subnets=f.network.subnets[:1],
            security_groups=[f.network.workload_security_group],
        )


def test_network_or_vpc_exactly_one(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"network and vpc cannot both be given"):
        domain(f, vpc=f.network.vpc, subnets=f.network.subnets)
    with pytest.raises(ValidationError, match=r"network is required \(or vpc and subnets\)"):
        domain(f, network=None)
    with pytest.raises(ValidationError, match=r"security_groups must be at least one security group"):
        domain(f, network=None, vpc=f.network.vpc, subnets=f.network.subnets)


def test_lifecycle_config_over_the_size_limit(f: Foundation) -> None:
    big = LifecycleContent.from_string("#!/bin/bash\n" + "echo x\n" * 2000)
    with pytest.raises(ValidationError, match=r"content is too large: at most 16384 base64 characters.*18684"):
        StudioLifecycleConfig(f.stack, uid("Lcc"), content=big)


def test_lifecycle_config_just_under_the_limit_is_fine(f: Foundation) -> None:
    script = "#!/bin/bash\n" + "#" * (12288 - 12)  # 12288 bytes -> exactly 16384 base64 characters
    config = StudioLifecycleConfig(f.stack, uid("Lcc"), content=LifecycleContent.from_string(script))
    assert len(config.content.encoded) == 16384


def test_lifecycle_config_content_and_name(f: Foundation) -> None:
    with pytest.raises(ValidationError, match=r"content must be a script starting with '#!'"):
        StudioLifecycleConfig(f.stack, uid("Lcc"), content=LifecycleContent.from_string("echo no shebang"))
    with pytest.raises(ValidationError, match=r"lifecycle_config_name must be 1\.\.63 letters"):
        StudioLifecycleConfig(
            f.stack, uid("Lcc"), content=LifecycleContent.from_string("#!/bin/bash\n"), lifecycle_config_name="a_b"
        )
    with pytest.raises(ValidationError, match=r"idle_timeout \(minutes\) must be between 5 and 525600"):
        StudioLifecycleConfig.idle_shutdown(f.stack, uid("Lcc"), idle_timeout=Duration.minutes(2))


def test_studio_classic_lifecycle_configs_and_two_defaults(f: Foundation) -> None:
    classic = StudioLifecycleConfig(
        f.stack,
        uid("Lcc"),
        content=LifecycleContent.from_string("#!/bin/bash\n"),
        app_type=StudioAppType.JUPYTER_SERVER,
    )
    with pytest.raises(ValidationError, match=r"lifecycle_configs must be JupyterLab or CodeEditor"):
        domain(f, lifecycle_configs=[classic])
    a = StudioLifecycleConfig.idle_shutdown(f.stack, uid("Lcc"))
    b = StudioLifecycleConfig(f.stack, uid("Lcc"), content=LifecycleContent.from_string("#!/bin/bash\necho b\n"))
    with pytest.raises(ValidationError, match=r"at most one default JupyterLab config"):
        domain(f, lifecycle_configs=[a, b])


def test_unknown_persona(f: Foundation) -> None:
    d = domain(f)
    with pytest.raises(ValidationError, match=r"persona is not a persona of the domain \(got 'astronaut'\)"):
        d.add_user("ada", persona="astronaut")
    with pytest.raises(ValidationError, match=r"persona is not a persona of the domain \(got 'model-approver'\)"):
        d.add_user("grace", persona=PersonaKind.MODEL_APPROVER)
    with pytest.raises(ValidationError, match=r"default_persona must be one of the given personas"):
        domain(f, default_persona="astronaut")


def test_admin_persona_is_never_a_studio_role(f: Foundation) -> None:
    admin = StudioPersona(PersonaKind.PLATFORM_ADMIN, f.personas.role(PersonaKind.PLATFORM_ADMIN))
    with pytest.raises(ValidationError, match=r"personas must be personas other than platform-admin"):
        domain(f, personas=[*f.studio_personas, admin])
    with pytest.raises(ValidationError, match=r"personas must be at least one StudioPersona"):
        domain(f, personas=[])
    dup = f.studio_personas[0]
    with pytest.raises(ValidationError, match=r"personas must not repeat names"):
        domain(f, personas=[dup, dup])


def test_duplicate_user_names(f: Foundation) -> None:
    d = domain(f)
    d.add_user("ada")
    with pytest.raises(ValidationError, match=r"user_profile_name must be unique in the domain.*'ada'"):
        d.add_user("ada", persona=PersonaKind.ML_ENGINEER)
    with pytest.raises(ValidationError, match=r"user_profile_name must be unique in domain .*'ada'"):
        UserProfile(f.stack, uid("User"), domain=d, user_profile_name="ada")
    with pytest.raises(ValidationError, match=r"users must not repeat names"):
        StudioResources(
            f.stack,
            uid("Studio"),
            network=f.network,
            keys=f.keys,
            buckets=f.buckets,
            personas=f.personas,
            users=[StudioUser("x", PersonaKind.DATA_SCIENTIST), StudioUser("x", PersonaKind.ML_ENGINEER)],
        )


def test_identity_center_domain_needs_each_users_identity_center_name(f: Foundation) -> None:
    d = domain(f, auth=StudioAuth.IDENTITY_CENTER)
    with pytest.raises(ValidationError, match=r"sso_user_name is required in an IAM Identity Center domain"):
        d.add_user("ada")
    profile = d.add_user("grace", sso_user_name="grace@example.com")
    assert profile.resource.single_sign_on_user_value == "grace@example.com"
    with pytest.raises(ValidationError, match=r"grant_presigned_url is only for IAM-auth domains"):
        profile.grant_presigned_url(f.personas.role(PersonaKind.DATA_SCIENTIST))
    with pytest.raises(ValidationError, match=r"sso_user_name is only for IAM Identity Center domains"):
        domain(f).add_user("ada", sso_user_name="ada@example.com")


def test_bad_user_profile_name_and_settings(f: Foundation) -> None:
    d = domain(f)
    with pytest.raises(ValidationError, match=r"user_profile_name must be 1\.\.63 letters") as err:
        d.add_user("ada.lovelace", space_storage=SpaceStorage(default_size_gb=200, max_size_gb=100))
    assert any("space_storage.default_size_gb must be <= max_size_gb (100)" in p for p in err.value.problems)


def test_bad_domain_settings_are_reported_together(f: Foundation) -> None:
    with pytest.raises(ValidationError) as err:
        domain(
            f,
            domain_name="not_valid",
            idle_shutdown=IdleShutdown(idle_timeout=Duration.minutes(30)),
            space_storage=SpaceStorage(default_size_gb=1),
        )
    text = str(err.value)
    assert "domain_name must be 1..63 letters" in text
    assert "idle_shutdown.idle_timeout (minutes) must be between 60 and 525600 (got 30" in text
    assert "space_storage.default_size_gb must be between 5 and 16384 (got 1)" in text


def test_presigned_url_needs_vpc_endpoints(f: Foundation) -> None:
    d = domain(f, presigned_url_vpc_endpoint_ids=[])
    with pytest.raises(ValidationError, match=r"presigned_url_vpc_endpoint_ids must be the Studio/API VPC endpoint"):
        d.grant_presigned_url(iam.Role(f.stack, uid("Role"), assumed_by=iam.AccountRootPrincipal()))


def test_bad_mlflow_props(f: Foundation) -> None:
    with pytest.raises(ValidationError) as err:
        MlflowTrackingServer(
            f.stack,
            uid("Mlflow"),
            artifact_bucket=f.buckets.artifacts.bucket,
            artifact_prefix="/mlflow",
            weekly_maintenance_window_start="Sunday 3am",
            mlflow_version="latest",
        )
    text = str(err.value)
    assert "artifact_prefix must be a prefix without a leading '/'" in text
    assert "weekly_maintenance_window_start must be 'Day:HH:MM'" in text
    assert "mlflow_version must be like '2.16.2'" in text
