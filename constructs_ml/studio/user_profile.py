"""UserProfile: one person's Studio profile, running as their persona's execution role (SM-03).

Example::

    alice = UserProfile(self, "Alice", domain=studio, user_profile_name="alice",
                        persona=PersonaKind.DATA_SCIENTIST,
                        default_instance_type=AppInstanceType.ML_M5_LARGE)
    alice.grant_presigned_url(personas.role(PersonaKind.DATA_SCIENTIST))

Updates: in CloudFormation the profile's name, domain, Identity Center user and **tags** are
create-only; settings are not. Changing settings updates the profile in place. Changing a profile's
tags would replace it, and a replacement under the same name fails (and would drop the user's
profile), so the profile carries only the tags given here: tags added to a parent scope later
(``Tags.of(stack)``) are not applied to it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Annotations, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml.errors import Problems
from constructs_ml.foundation.personas import PersonaKind
from constructs_ml.studio.domain import StudioDomain
from constructs_ml.studio.domain_base import StudioDomainBase
from constructs_ml.studio.lifecycle import StudioAppType, check_name, pin_tags
from constructs_ml.studio.settings import (
    AppInstanceType,
    SpaceStorage,
    StudioAuth,
    persona_key,
)


class UserProfileBase(Construct):
    """What owned and imported user profiles share: the name, the ARN and the grants."""

    domain: StudioDomainBase
    user_profile_name: str

    @property
    def user_profile_arn(self) -> str:
        return self.domain.user_profile_arn(self.user_profile_name)

    def grant_presigned_url(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` open Studio as this user, only through the platform's VPC endpoints."""
        return self.domain.grant_presigned_url(grantee, user_profile_name=self.user_profile_name)


class UserProfile(UserProfileBase):
    """A Studio user profile (``AWS::SageMaker::UserProfile``) whose apps run as a persona's role.

    The persona picks the execution role and the security groups (the domain's plus the persona's).
    Settings not given here are inherited from the domain.

    Args:
        scope: parent construct.
        construct_id: construct id.
        domain: the domain (a :class:`StudioDomain` or ``StudioDomain.from_domain_id``).
        user_profile_name: the profile name (1..63 letters, digits, hyphens), unique in the domain.
        persona: the user's persona (``PersonaKind`` or its name); must be one of the domain's personas.
        sso_user_name: the IAM Identity Center user name; required in an Identity Center domain, not
            allowed in an IAM domain.
        default_instance_type: instance type of the user's new JupyterLab and Code Editor apps: the
            domain's. The override carries the domain's lifecycle configs, but CloudFormation's user-profile
            schema has no built-in idle settings (``AppLifecycleManagement``), so where the domain relies
            on them alone a warning says so; give the domain an idle-shutdown lifecycle config as well.
        space_storage: EBS storage of the user's private spaces: the domain's.
        security_groups: security groups added for this user: none.
        tags: tags of the profile (create-only in CloudFormation, see the module notes): none.
        removal_policy: deleted with the stack by default, so removing a user from the code revokes their
            access; their home directory stays on the domain's retained EFS volume. Deletion fails while
            the user still has spaces or running apps.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain: StudioDomainBase,
        user_profile_name: str,
        persona: str | enum.Enum = PersonaKind.DATA_SCIENTIST,
        sso_user_name: str | None = None,
        default_instance_type: AppInstanceType | None = None,
        space_storage: SpaceStorage | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        check_name(problems, "user_profile_name", user_profile_name)
        chosen = domain.persona(persona)
        known = [p.name for p in domain.personas]
        problems.require(
            chosen is not None,
            "persona",
            persona_key(persona),
            "one of the domain's personas: " + (", ".join(known) or "(the domain has none)"),
            what="is not a persona of the domain",
        )
        if domain.auth is StudioAuth.IDENTITY_CENTER:
            problems.require(
                bool(sso_user_name),
                "sso_user_name",
                sso_user_name,
                "the user's IAM Identity Center user name",
                what="is required in an IAM Identity Center domain",
            )
        else:
            problems.require(
                sso_user_name is None,
                "sso_user_name",
                sso_user_name,
                "None in an IAM-auth domain",
                what="is only for IAM Identity Center domains",
            )
        if sso_user_name is not None:
            problems.require(1 <= len(sso_user_name) <= 256, "sso_user_name", sso_user_name, "1..256 characters")
        if space_storage is not None:
            space_storage.check(problems, "space_storage")
        if default_instance_type is not None:
            default_instance_type.check(problems, "default_instance_type")
        for k in tags or {}:
            problems.require(bool(re.fullmatch(r"[\w.:/=+\-@ ]{1,128}", k)), "tags", k, "tag keys of 1..128 characters")
        domain.register_user(problems, user_profile_name)
        problems.raise_if_any()
        assert chosen is not None

        self.domain = domain
        self.user_profile_name = user_profile_name
        self.persona = chosen
        self.execution_role = chosen.role
        sg_ids = domain.security_group_ids_for(chosen, security_groups)
        settings: dict[str, Any] = {"ExecutionRole": chosen.role.role_arn, "SecurityGroups": sg_ids}
        if default_instance_type is not None:
            self._override_instance_type(settings, default_instance_type)
        if space_storage is not None:
            settings["SpaceStorageSettings"] = space_storage.to_cfn()

        self.resource = sagemaker.CfnUserProfile(
            self,
            "Resource",
            domain_id=domain.domain_id,
            user_profile_name=user_profile_name,
            single_sign_on_user_identifier="UserName" if sso_user_name else None,
            single_sign_on_user_value=sso_user_name,
            user_settings=sagemaker.CfnUserProfile.UserSettingsProperty(execution_role=chosen.role.role_arn),
        )
        # PascalCase settings (shared shapes with the domain), checked by CDK validation and cfn-lint.
        self.resource.add_property_override("UserSettings", settings)
        pin_tags(self.resource, tags)
        self.resource.apply_removal_policy(removal_policy)

    def _override_instance_type(self, settings: dict[str, Any], instance_type: AppInstanceType) -> None:
        domain = self.domain
        for key, app_type in (
            ("JupyterLabAppSettings", StudioAppType.JUPYTER_LAB),
            ("CodeEditorAppSettings", StudioAppType.CODE_EDITOR),
        ):
            if isinstance(domain, StudioDomain):
                app = domain.app_settings(app_type, instance_type=instance_type)
                app.pop("AppLifecycleManagement", None)  # not in the UserProfile schema
                has_lcc = "LifecycleConfigArn" in app["DefaultResourceSpec"]
            else:
                app = {"DefaultResourceSpec": {"InstanceType": instance_type.name}}
                has_lcc = False
            settings[key] = app
            if not has_lcc:
                Annotations.of(self).add_warning_v2(
                    "constructs-ml:studio-user-override-without-idle-config",
                    f"UserProfile: {key} is overridden (instance type) and CloudFormation cannot set built-in idle "
                    "settings on a user profile; add an idle-shutdown lifecycle config to the domain so idle "
                    "shutdown does not depend on how SageMaker merges user and domain settings.",
                )

    @classmethod
    def from_user_profile_name(
        cls, scope: Construct, construct_id: str, *, domain: StudioDomainBase, user_profile_name: str
    ) -> UserProfileBase:
        """An existing user profile of ``domain``, to grant on."""
        imported = UserProfileBase(scope, construct_id)
        imported.domain = domain
        imported.user_profile_name = user_profile_name
        return imported
