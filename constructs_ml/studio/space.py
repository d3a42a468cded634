"""StudioSpace: a private or shared Studio space owned by a user profile (``AWS::SageMaker::Space``).

Example::

    ada = studio.add_user("ada")
    studio.add_space("ada-scratch", owner=ada)                                   # private, 5 GB
    studio.add_space("churn-team", owner=ada, sharing=SpaceSharing.SHARED,
                     storage_gb=50, app_type=SpaceAppType.CODE_EDITOR)

A space is where a Studio app runs and keeps its files: its own EBS volume, encrypted with the domain's
key. A private space is used by its owner only; a shared space by every user of the domain (Studio
opens it for real-time collaboration). Owner, sharing type, name and domain are create-only in
CloudFormation: changing one replaces the space, and with it its volume, so spaces are retained by
default.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from aws_cdk import Annotations, RemovalPolicy
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml.errors import Problems
from constructs_ml.studio.domain_base import StudioDomainBase
from constructs_ml.studio.lifecycle import check_name
from constructs_ml.studio.settings import AppInstanceType
from constructs_ml.studio.user_profile import UserProfileBase

#: EBS volume size limits of a space (``SpaceEbsVolumeSizeInGb`` in the resource schema).
MIN_SPACE_GB = 5
MAX_SPACE_GB = 16384


class SpaceSharing(enum.Enum):
    """Who may use a space: its owner only, or every user of the domain."""

    PRIVATE = "Private"
    SHARED = "Shared"


class SpaceAppType(enum.Enum):
    """The app a space runs."""

    JUPYTER_LAB = "JupyterLab"
    CODE_EDITOR = "CodeEditor"

    @property
    def settings_key(self) -> str:
        return f"{self.value}AppSettings"


class StudioSpace(Construct):
    """A Studio space (``AWS::SageMaker::Space``) with an owner, a sharing type and its own storage.

    Secure by default: private; the EBS volume is encrypted with the domain's key (SM-02, the domain's
    ``KmsKeyId``) and sized within the domain's limit; the app runs in the domain's VPC, subnets and
    security groups as the owner's execution role; retained on stack deletion (the volume holds work).

    Args:
        scope: parent construct.
        construct_id: construct id.
        domain: the Studio domain (a :class:`StudioDomain` or an imported one).
        space_name: the space's name (1..63 letters, digits, hyphens), unique in the domain.
        owner: the owning user profile (a ``UserProfile`` of ``domain``, or its name for an existing one).
        sharing: private (default) or shared with the domain's users.
        app_type: the app the space runs: JupyterLab.
        storage_gb: the EBS volume size: the domain's default space size (5..the domain's maximum).
        instance_type: the app's default instance type: the domain's.
        display_name: the name Studio shows: the space name.
        tags: tags of the space: none.
        removal_policy: retained by default; anything else is loud (a warning): deleting a space deletes
            its volume.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain: StudioDomainBase,
        space_name: str,
        owner: UserProfileBase | str,
        sharing: SpaceSharing = SpaceSharing.PRIVATE,
        app_type: SpaceAppType = SpaceAppType.JUPYTER_LAB,
        storage_gb: int | None = None,
        instance_type: AppInstanceType | None = None,
        display_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        check_name(problems, "space_name", space_name)
        owner_name = owner if isinstance(owner, str) else getattr(owner, "user_profile_name", None)
        if isinstance(owner_name, str):
            check_name(problems, "owner", owner_name)
        else:
            problems.add("owner", owner, "a UserProfile of the domain or a user profile name")
        if isinstance(owner, UserProfileBase):
            problems.require(
                owner.domain is domain,
                "owner",
                owner_name,
                f"a user profile of {domain.node.path}",
                what="must be a user profile of the space's domain",
            )
        problems.require(isinstance(sharing, SpaceSharing), "sharing", sharing, "a SpaceSharing")
        problems.require(isinstance(app_type, SpaceAppType), "app_type", app_type, "a SpaceAppType")
        storage = getattr(domain, "space_storage", None)
        high = storage.max_size_gb if storage is not None else MAX_SPACE_GB
        if storage_gb is not None:
            problems.require_range("storage_gb", storage_gb, MIN_SPACE_GB, high)
        if instance_type is not None:
            instance_type.check(problems, "instance_type")
        if display_name is not None:
            problems.require(1 <= len(display_name) <= 64, "display_name", display_name, "1..64 characters")
        domain.register_space(problems, space_name)
        problems.raise_if_any()
        assert isinstance(owner_name, str)

        self.domain = domain
        self.space_name = space_name
        self.owner_user_profile_name = owner_name
        self.sharing = sharing
        self.app_type = app_type
        settings: dict[str, Any] = {"AppType": app_type.value}
        size = storage_gb if storage_gb is not None else (storage.default_size_gb if storage is not None else None)
        if size is not None:
            settings["SpaceStorageSettings"] = {"EbsStorageSettings": {"EbsVolumeSizeInGb": size}}
        if instance_type is not None:
            settings[app_type.settings_key] = {"DefaultResourceSpec": {"InstanceType": instance_type.name}}
        self.storage_gb = size
        self.resource = sagemaker.CfnSpace(
            self,
            "Resource",
            domain_id=domain.domain_id,
            space_name=space_name,
            space_display_name=display_name,
            ownership_settings=sagemaker.CfnSpace.OwnershipSettingsProperty(owner_user_profile_name=owner_name),
            space_sharing_settings=sagemaker.CfnSpace.SpaceSharingSettingsProperty(sharing_type=sharing.value),
        )
        self.resource.add_property_override("SpaceSettings", settings)
        if tags:
            self.resource.add_property_override("Tags", [{"Key": k, "Value": v} for k, v in sorted(tags.items())])
        owner_resource = getattr(owner, "resource", None)
        if isinstance(owner_resource, sagemaker.CfnUserProfile):
            self.resource.add_dependency(owner_resource)  # the owner's profile exists before its space
        self.resource.apply_removal_policy(removal_policy)
        if removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:studio-space-not-retained",
                f"StudioSpace: removal_policy={removal_policy}. Deleting the space deletes its EBS volume and the "
                "work on it; CloudFormation also cannot delete a space whose app is still running.",
            )
        self.space_arn = self.resource.attr_space_arn
