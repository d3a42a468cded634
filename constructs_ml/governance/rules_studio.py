"""SageMaker pack rules for Studio (domains, user profiles) and notebook instances."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from constructs_ml.governance.rules_base import (
    ADMIN_PERSONA_TAG,
    NOT_APPLICABLE,
    PASS,
    Outcome,
    ResourceView,
    Rule,
    Status,
    equals,
    fail,
    get,
    is_intrinsic,
    list_items,
    presence,
    require_equal,
    require_set,
    short,
    tags_of,
    unknown,
)

DOMAIN = frozenset({"AWS::SageMaker::Domain"})
USER_PROFILE = frozenset({"AWS::SageMaker::UserProfile"})
NOTEBOOK = frozenset({"AWS::SageMaker::NotebookInstance"})


def _domain_vpc_only(view: ResourceView) -> Outcome:
    # AppNetworkAccessType defaults to PublicInternetOnly.
    return require_equal(view.props, ("AppNetworkAccessType",), "VpcOnly", default="PublicInternetOnly")


def _domain_kms(view: ResourceView) -> Outcome:
    return require_set(view.props, ("KmsKeyId",), "the Studio EFS volume uses an AWS owned key")


def _domain_docker(view: ResourceView) -> Outcome:
    # EnableDockerAccess defaults to DISABLED.
    return require_equal(
        view.props, ("DomainSettings", "DockerSettings", "EnableDockerAccess"), "DISABLED", default="DISABLED"
    )


def _sharing(settings: Any, where: str) -> Outcome:
    sharing = get(settings, "SharingSettings")
    option = get(sharing, "NotebookOutputOption")
    state = equals(option if option is not None else "Disabled", "Disabled")  # API default: Disabled
    if state is None:
        return unknown(f"{where}.SharingSettings.NotebookOutputOption is an unresolved value ({short(option)})")
    if state:
        return PASS
    key = presence(get(sharing, "S3KmsKeyId"))
    if key is None:
        return unknown(f"{where}.SharingSettings.S3KmsKeyId depends on a condition")
    if key:
        return PASS
    return fail(f"{where}.SharingSettings allows notebook sharing to S3 without S3KmsKeyId")


def _domain_sharing(view: ResourceView) -> Outcome:
    return _sharing(get(view.props, "DefaultUserSettings"), "DefaultUserSettings")


def _user_sharing(view: ResourceView) -> Outcome:
    return _sharing(get(view.props, "UserSettings"), "UserSettings")


def _role_name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn


def admin_role_status(view: ResourceView, path: Sequence[str]) -> Outcome:
    """Is the role at ``path`` the platform admin role? Non-compliant when it is.

    The admin role is recognised by the tag ``constructs-ml:persona = platform-admin`` on an
    ``AWS::IAM::Role`` of the app, or by a role name matching one of ``view.admin_role_names``.
    A role that cannot be traced (a parameter, an import from outside the app) cannot be verified.
    """
    value = get(view.props, *path)
    dotted = ".".join(path)
    if value is None:
        return NOT_APPLICABLE
    if isinstance(value, str) and not is_intrinsic(value):
        name = _role_name_from_arn(value)
        if any(fnmatch.fnmatchcase(name, p) for p in view.admin_role_names):
            return fail(f"{dotted} is the platform admin role ({value})")
        return PASS
    role = view.resolver.referenced(view, path, value)
    if role is None or role.type != "AWS::IAM::Role":
        return unknown(f"{dotted} refers to a role outside the app or to a parameter ({short(value)})")
    tag_key, tag_value = ADMIN_PERSONA_TAG
    if tags_of(role.props).get(tag_key) == tag_value:
        return fail(f"{dotted} is the platform admin role ({role.path}, tag {tag_key}={tag_value})")
    name = get(role.props, "RoleName")
    if isinstance(name, str) and any(fnmatch.fnmatchcase(name, p) for p in view.admin_role_names):
        return fail(f"{dotted} is the platform admin role ({role.path}, name {name})")
    return PASS


def _domain_role(view: ResourceView) -> Outcome:
    out = admin_role_status(view, ("DefaultUserSettings", "ExecutionRole"))
    if out.status is Status.NOT_APPLICABLE:
        return fail("DefaultUserSettings.ExecutionRole is not set")
    return out


def _user_role_set(view: ResourceView) -> Outcome:
    return require_set(view.props, ("UserSettings", "ExecutionRole"), "the profile inherits the domain role")


def _user_role_not_admin(view: ResourceView) -> Outcome:
    return admin_role_status(view, ("UserSettings", "ExecutionRole"))


def _has_lifecycle_config(app_settings: Any) -> bool | None:
    arns = list_items(get(app_settings, "LifecycleConfigArns"))
    if arns is None or any(presence(a) for a in arns):
        return True  # a token list still names lifecycle configs
    return presence(get(app_settings, "DefaultResourceSpec", "LifecycleConfigArn"))


def _domain_idle_shutdown(view: ResourceView) -> Outcome:
    settings = get(view.props, "DefaultUserSettings")
    lab = get(settings, "JupyterLabAppSettings")
    evidence = [
        _has_lifecycle_config(lab),
        _has_lifecycle_config(get(settings, "JupyterServerAppSettings")),
        equals(get(lab, "AppLifecycleManagement", "IdleSettings", "LifecycleManagement") or "DISABLED", "ENABLED"),
    ]
    if any(e is True for e in evidence):
        return PASS
    if any(e is None for e in evidence):
        return unknown("the JupyterLab/JupyterServer lifecycle settings are unresolved values")
    return fail(
        "DefaultUserSettings has no JupyterLab/JupyterServer lifecycle config and built-in idle shutdown "
        "(JupyterLabAppSettings.AppLifecycleManagement.IdleSettings.LifecycleManagement) is not ENABLED"
    )


def _notebook_root(view: ResourceView) -> Outcome:
    return require_equal(view.props, ("RootAccess",), "Disabled", default="Enabled")


def _notebook_internet(view: ResourceView) -> Outcome:
    return require_equal(view.props, ("DirectInternetAccess",), "Disabled", default="Enabled")


def _notebook_imds(view: ResourceView) -> Outcome:
    path = ("InstanceMetadataServiceConfiguration", "MinimumInstanceMetadataServiceVersion")
    return require_equal(view.props, path, "2", default="1")


_ROLE_FIX = (
    "Give the domain default / user profile a persona execution role (e.g. the data-scientist role "
    "from Personas), never the platform admin role"
)

RULES: tuple[Rule, ...] = (
    Rule(
        "DomainVpcOnly",
        DOMAIN,
        "The SageMaker domain does not use VPC-only network access.",
        "With PublicInternetOnly, Studio apps reach the internet through a SageMaker-managed network, "
        "bypassing the VPC's endpoints, security groups and flow logs.",
        "Set AppNetworkAccessType to VpcOnly and put the domain on isolated subnets with the SageMaker "
        "VPC endpoints (StudioDomain does this by default).",
        ("SM-01",),
        _domain_vpc_only,
    ),
    Rule(
        "DomainKms",
        DOMAIN,
        "The SageMaker domain does not encrypt its EFS home volumes with a customer managed KMS key.",
        "Without KmsKeyId the domain's EFS file system uses an AWS owned key that the platform cannot "
        "audit, rotate on its schedule or revoke.",
        "Set KmsKeyId to the platform key (PlatformKeys).",
        ("SM-02",),
        _domain_kms,
    ),
    Rule(
        "DomainDockerAccessDisabled",
        DOMAIN,
        "The SageMaker domain enables Docker access in Studio apps.",
        "Docker in Studio lets users build and run arbitrary images and containers next to their data, "
        "outside the platform's image and network controls.",
        "Remove DomainSettings.DockerSettings or set EnableDockerAccess to DISABLED.",
        ("SM-04",),
        _domain_docker,
    ),
    Rule(
        "DomainSharingEncrypted",
        DOMAIN,
        "The SageMaker domain shares notebook output to S3 without a KMS key.",
        "Shared notebooks and their cell output are copied to S3; without S3KmsKeyId they are stored "
        "without the platform key.",
        "Set DefaultUserSettings.SharingSettings.NotebookOutputOption to Disabled, or give S3KmsKeyId "
        "with the platform key.",
        ("SM-04",),
        _domain_sharing,
    ),
    Rule(
        "DomainDefaultRoleNotAdmin",
        DOMAIN,
        "The SageMaker domain's default execution role is missing or is the platform admin role.",
        "Every Studio user without a role of their own runs as the default role; it must be a least-"
        "privilege persona role.",
        _ROLE_FIX + ".",
        ("SM-03",),
        _domain_role,
    ),
    Rule(
        "DomainIdleShutdown",
        DOMAIN,
        "The SageMaker domain has no idle shutdown for JupyterLab/JupyterServer apps.",
        "Idle Studio apps keep instances running (cost) and keep sessions open (exposure).",
        "Enable JupyterLabAppSettings.AppLifecycleManagement.IdleSettings.LifecycleManagement, or attach "
        "an idle-shutdown lifecycle config (StudioDomain does this by default).",
        ("SM-03",),
        _domain_idle_shutdown,
    ),
    Rule(
        "UserProfileExecutionRole",
        USER_PROFILE,
        "The SageMaker user profile has no execution role of its own.",
        "A profile without an execution role runs as the domain default; personas need their own role.",
        "Set UserSettings.ExecutionRole to the user's persona role.",
        ("SM-03",),
        _user_role_set,
    ),
    Rule(
        "UserProfileNotAdminRole",
        USER_PROFILE,
        "The SageMaker user profile runs as the platform admin role.",
        "Studio users would get the admin's permissions (keys, buckets, IAM) in an interactive notebook.",
        _ROLE_FIX + ".",
        ("SM-03",),
        _user_role_not_admin,
    ),
    Rule(
        "UserProfileSharingEncrypted",
        USER_PROFILE,
        "The SageMaker user profile shares notebook output to S3 without a KMS key.",
        "Shared notebooks and their cell output are copied to S3 without the platform key.",
        "Set UserSettings.SharingSettings.NotebookOutputOption to Disabled, or give S3KmsKeyId.",
        ("SM-04",),
        _user_sharing,
    ),
    Rule(
        "NotebookRootAccessDisabled",
        NOTEBOOK,
        "The notebook instance gives users root access.",
        "Root lets users change the instance's software and network setup and read other users' files.",
        "Set RootAccess to Disabled.",
        ("SM-09",),
        _notebook_root,
    ),
    Rule(
        "NotebookNoDirectInternet",
        NOTEBOOK,
        "The notebook instance has direct internet access.",
        "Direct internet access bypasses the VPC and allows data exfiltration.",
        "Set DirectInternetAccess to Disabled and SubnetId/SecurityGroupIds to the platform network.",
        ("SM-09",),
        _notebook_internet,
    ),
    Rule(
        "NotebookImdsV2",
        NOTEBOOK,
        "The notebook instance allows IMDSv1.",
        "IMDSv1 is open to SSRF credential theft; IMDSv2 requires a session token.",
        'Set InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion to "2".',
        ("SM-09",),
        _notebook_imds,
    ),
)

__all__ = ["RULES", "admin_role_status"]
