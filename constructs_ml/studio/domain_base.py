"""What owned and imported Studio domains share: ids, personas, users, and the grants.

Split from :mod:`constructs_ml.studio.domain` (which builds the domain) to keep modules small.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from aws_cdk import Annotations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_ml._jsii_cache import stack_env
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import contract_for
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import stack_arn
from constructs_ml.studio.lifecycle import StudioLifecycleConfigBase
from constructs_ml.studio.settings import StudioAuth, StudioPersona, persona_key

#: Session tag naming the Studio user profile a person may open (see :meth:`StudioDomainBase.grant_presigned_url`).
DEFAULT_PROFILE_SESSION_TAG = "studio-user-profile"


class StudioDomainBase(Construct):
    """What owned and imported domains share: ids, personas, and the grants."""

    domain_id: str
    domain_arn: str
    auth: StudioAuth
    presigned_url_vpc_endpoint_ids: list[str]

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self._personas: dict[str, StudioPersona] = {}
        self._user_names: list[str] = []
        self._space_names: list[str] = []
        self.default_security_group_ids: list[str] = []

    # -- personas and users -------------------------------------------------------------------------

    @property
    def personas(self) -> list[StudioPersona]:
        return list(self._personas.values())

    def persona(self, kind: str | enum.Enum) -> StudioPersona | None:
        """The persona named ``kind``, or None."""
        return self._personas.get(persona_key(kind))

    def register_user(self, problems: Problems, user_profile_name: str) -> None:
        """Record a user profile name; a duplicate is a problem (profile names are unique per domain)."""
        if user_profile_name in self._user_names:
            problems.add(
                "user_profile_name",
                user_profile_name,
                "unique in the domain",
                what=f"must be unique in domain {self.node.path}; already used",
            )
        else:
            self._user_names.append(user_profile_name)

    def register_space(self, problems: Problems, space_name: str) -> None:
        """Record a space name; a duplicate is a problem (space names are unique per domain)."""
        if space_name in self._space_names:
            problems.add(
                "space_name",
                space_name,
                "unique in the domain",
                what=f"must be unique in domain {self.node.path}; already used",
            )
        else:
            self._space_names.append(space_name)

    @property
    def space_names(self) -> list[str]:
        return list(self._space_names)

    @property
    def user_profile_names(self) -> list[str]:
        return list(self._user_names)

    def security_group_ids_for(self, persona: StudioPersona, extra: Sequence[ec2.ISecurityGroup] = ()) -> list[str]:
        """The security groups of a user of ``persona``: the domain's, the persona's and ``extra``."""
        ids = [*self.default_security_group_ids, *(sg.security_group_id for sg in persona.security_groups)]
        ids += [sg.security_group_id for sg in extra]
        return list(dict.fromkeys(ids))

    def user_profile_arn(self, user_profile_name: str) -> str:
        """The ARN of a user profile of this domain (a policy variable may stand for the name)."""
        return stack_arn(self, "sagemaker", f"user-profile/{self.domain_id}/{user_profile_name}")

    # -- grants -------------------------------------------------------------------------------------

    def grant_presigned_url(
        self,
        grantee: iam.IGrantable,
        *,
        user_profile_name: str | None = None,
        session_tag: str = DEFAULT_PROFILE_SESSION_TAG,
    ) -> iam.Grant:
        """Let ``grantee`` open Studio as one user: ``CreatePresignedDomainUrl`` only through the VPC endpoints.

        The call must come through one of :attr:`presigned_url_vpc_endpoint_ids` (``aws:SourceVpce``),
        and only for one profile: ``user_profile_name`` when given, otherwise the profile named by the
        caller's session tag ``session_tag`` (``${aws:PrincipalTag/studio-user-profile}``), so a persona
        role shared by many people still lets each open only their own profile. Without the tag, nothing
        is allowed.

        Args:
            grantee: the person's role (e.g. ``personas.role(PersonaKind.DATA_SCIENTIST)``).
            user_profile_name: the one profile allowed: the caller's session-tag profile when omitted.
            session_tag: the session tag that names the caller's profile: ``studio-user-profile``.
        """
        problems = Problems(self)
        problems.require(
            self.auth is StudioAuth.IAM,
            "grant_presigned_url",
            self.auth.name,
            "a domain with StudioAuth.IAM",
            what="is only for IAM-auth domains (Identity Center users sign in through the access portal)",
        )
        problems.require(
            bool(self.presigned_url_vpc_endpoint_ids),
            "presigned_url_vpc_endpoint_ids",
            self.presigned_url_vpc_endpoint_ids,
            "the Studio/API VPC endpoint ids (give the domain an MlNetwork or presigned_url_vpc_endpoint_ids)",
        )
        problems.raise_if_any()
        profile = user_profile_name or f"${{aws:PrincipalTag/{session_tag}}}"
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:CreatePresignedDomainUrl"],
            resource_arns=[self.user_profile_arn(profile)],
            conditions={"StringEquals": {"aws:SourceVpce": list(self.presigned_url_vpc_endpoint_ids)}},
        )
        contract = contract_for(grantee)
        if contract is not None:
            own = user_profile_name or "contract-check-user"
            tags = {} if user_profile_name else {session_tag: own}
            vpce = {"aws:SourceVpce": self.presigned_url_vpc_endpoint_ids[0]}
            (
                contract.allows(
                    "sagemaker:CreatePresignedDomainUrl",
                    self.user_profile_arn(own),
                    context=vpce,
                    principal_tags=tags,
                    why="a person opens Studio as their own user profile",
                    source=src.STUDIO_PRESIGNED,
                )
                .denies(
                    "sagemaker:CreatePresignedDomainUrl",
                    self.user_profile_arn("someone-else"),
                    context=vpce,
                    principal_tags=tags,
                    why="nobody opens another person's profile",
                    source=src.STUDIO_PRESIGNED,
                )
                .denies(
                    "sagemaker:CreatePresignedDomainUrl",
                    self.user_profile_arn(own),
                    principal_tags=tags,
                    why="Studio opens only through the platform's VPC endpoints (SM-12)",
                    source=src.STUDIO_PRESIGNED,
                )
            )
        return grant

    def grant_apps_and_spaces(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let a Studio execution role create, update and delete its spaces and apps in this domain.

        Studio calls these with the execution role's credentials when a person opens JupyterLab or Code
        Editor: ``CreateSpace``/``UpdateSpace``/``DeleteSpace``, ``CreateApp``/``DeleteApp`` (and Describe) on
        this domain's ``space/*`` and ``app/*``, and ``AddTags`` only as part of creating them
        (``sagemaker:TaggingAction``).
        """
        spaces = stack_arn(self, "sagemaker", f"space/{self.domain_id}/*")
        apps = stack_arn(self, "sagemaker", f"app/{self.domain_id}/*")
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "sagemaker:CreateSpace",
                "sagemaker:UpdateSpace",
                "sagemaker:DeleteSpace",
                "sagemaker:DescribeSpace",
                "sagemaker:CreateApp",
                "sagemaker:DeleteApp",
                "sagemaker:DescribeApp",
            ],
            resource_arns=[spaces, apps],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:AddTags"],
            resource_arns=[spaces, apps],
            conditions={"StringEquals": {"sagemaker:TaggingAction": ["CreateSpace", "CreateApp"]}},
        )
        contract = contract_for(grantee)
        if contract is None:
            return grant
        space = stack_arn(self, "sagemaker", f"space/{self.domain_id}/contract-check")
        app = stack_arn(self, "sagemaker", f"app/{self.domain_id}/contract-check/jupyterlab/default")
        contract.allows(
            ["sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace"],
            space,
            why="Studio creates the person's private space when they open JupyterLab",
            source=src.SAGEMAKER_SAR,
        ).allows(
            ["sagemaker:CreateApp", "sagemaker:DeleteApp"],
            app,
            why="Studio starts and stops the space's app",
            source=src.SAGEMAKER_SAR,
        ).allows(
            "sagemaker:AddTags",
            space,
            context={"sagemaker:TaggingAction": "CreateSpace"},
            why="tags propagate to new spaces (TagPropagation ENABLED)",
            source=src.SAGEMAKER_SAR,
        ).denies(
            "sagemaker:AddTags",
            space,
            why="tags change only while creating a space or app",
            source=src.SAGEMAKER_SAR,
        )
        return grant

    def grant_idle_shutdown(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let an execution role stop its own apps in this domain (for the idle-shutdown lifecycle config).

        Only ``sagemaker:DeleteApp`` on JupyterLab apps of this domain; space names are chosen by users
        at run time, so the ARN names the domain and app type, not the app.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:DeleteApp"],
            resource_arns=[stack_arn(self, "sagemaker", f"app/{self.domain_id}/*/jupyterlab/*")],
        )


def runs_by_default(config: StudioLifecycleConfigBase) -> bool:
    """True if ``config`` is meant to run at every app start."""
    return bool(getattr(config, "run_by_default", False))


def allow_source_identity(scope: Construct, role: iam.IRole) -> None:
    """With ``ExecutionRoleIdentityConfig=USER_PROFILE_NAME`` SageMaker sets the source identity on assume."""
    if isinstance(role, iam.Role) and role.assume_role_policy is not None:
        account = stack_env(scope).account
        role.assume_role_policy.add_statements(
            iam.PolicyStatement(
                actions=["sts:SetSourceIdentity"],
                principals=[iam.ServicePrincipal("sagemaker.amazonaws.com")],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
    else:
        Annotations.of(scope).add_warning_v2(
            "constructs-ml:studio-role-trust-unverified",
            f"StudioDomain: execution role {role.node.path} is not a role of this app; its trust policy must allow "
            "sagemaker.amazonaws.com sts:SetSourceIdentity (ExecutionRoleIdentityConfig=USER_PROFILE_NAME).",
        )
