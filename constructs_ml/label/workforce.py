"""The private labeling workforce (Amazon Cognito) and its work teams.

A private workforce is one Cognito user pool per account and region; each work team is a group of
that pool (SageMaker developer guide, "Create and manage a private workforce"). :class:`PrivateWorkforce`
creates the pool (no self sign-up, MFA required, strong passwords, advanced security enforced), its
hosted-UI domain and the app client the labeling portal signs in with, and the
``AWS::SageMaker::Workforce`` that binds them, optionally limited to your networks' source IP ranges.
:class:`Workteam` creates a group of the pool and the ``AWS::SageMaker::Workteam`` that labels from it.
Work teams of an OIDC workforce, or teams created elsewhere, are imported by ARN
(:meth:`Workteam.from_workteam_arn`).

Example::

    workforce = PrivateWorkforce(stack, "Workforce", source_ip_cidrs=["203.0.113.0/24"])
    team = Workteam(stack, "Labelers", workforce=workforce, description="Churn image labelers")
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Arn, ArnFormat, Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved, select_subnets, stack_of
from constructs_ml.errors import Problems
from constructs_ml.serve.common import physical_name

#: SageMaker workforce and work-team names.
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
#: Cognito hosted-UI domain prefixes (lowercase letters, digits, hyphens; not starting/ending with '-').
_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


_SELECTION_KEYS = ("availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnets", "subnet_type")


@dataclass(frozen=True)
class WorkforceVpcAccess:
    """Workers reach the labeling portal through an interface endpoint in your VPC only (Ground Truth's
    "Amazon VPC mode"): they must be on a network connected to the VPC (VPN, Direct Connect).

    Attributes:
        vpc: the VPC of the portal's endpoint.
        security_groups: its security groups (1..5); allow HTTPS from your workers' networks.
        subnets: which subnets: the VPC's private isolated subnets.
    """

    vpc: ec2.IVpc
    security_groups: Sequence[ec2.ISecurityGroup]
    subnets: ec2.SubnetSelection | None = None


class PrivateWorkforce(Construct):
    """The account's private Ground Truth workforce, signing in through a new Cognito user pool.

    There is one private workforce per account and region: create this construct once (in the
    platform stack) and give it to every :class:`Workteam`.

    Args:
        scope: parent construct.
        construct_id: construct id.
        workforce_name: the workforce's name: derived from the construct path.
        domain_prefix: the Cognito hosted-UI domain prefix (globally unique in the region): derived
            from the construct path and the account.
        source_ip_cidrs: the only IPv4 ranges workers may reach the labeling portal from (up to 10):
            any address. Give your offices' or VPN's egress ranges.
        vpc_access: reach the portal only through an endpoint in your VPC (:class:`WorkforceVpcAccess`):
            the public portal.
        removal_policy: what happens to the user pool (the workers' identities) on stack deletion:
            retained.

    Raises:
        ValidationError: a bad name, domain prefix or CIDR, or more than 10 CIDRs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workforce_name: str | None = None,
        domain_prefix: str | None = None,
        source_ip_cidrs: Sequence[str] = (),
        vpc_access: WorkforceVpcAccess | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        name = workforce_name or physical_name(self, max_length=63)
        problems.require(
            bool(_NAME.match(name)) or is_unresolved(name),
            "workforce_name",
            name,
            "1..63 letters, digits and hyphens, starting with a letter or digit",
        )
        prefix = domain_prefix or physical_name(self, max_length=50, suffix="-labeling")
        problems.require(
            bool(_DOMAIN_PREFIX.match(prefix)) and "aws" not in prefix and "cognito" not in prefix,
            "domain_prefix",
            prefix,
            "1..63 lowercase letters, digits and hyphens, without 'aws' or 'cognito'",
        )
        problems.require(len(source_ip_cidrs) <= 10, "source_ip_cidrs", list(source_ip_cidrs), "at most 10 ranges")
        for cidr in source_ip_cidrs:
            try:
                net = ipaddress.ip_network(cidr, strict=True)
                ok = net.version == 4 and net.prefixlen > 0
            except ValueError:
                ok = is_unresolved(cidr)
            problems.require(
                ok, "source_ip_cidrs", cidr, "IPv4 CIDR blocks other than 0.0.0.0/0 (e.g. '203.0.113.0/24')"
            )
        if vpc_access is not None:
            count = len(vpc_access.security_groups)
            problems.require(1 <= count <= 5, "vpc_access.security_groups", count, "1..5 security groups")
        problems.raise_if_any()

        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            removal_policy=removal_policy,
        )
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )
        # SageMaker configures the client's OAuth settings (the labeling portal's callback) itself when it
        # creates the workforce, as in AWS's CreateWorkforce examples: the client only needs a secret.
        self.client = self.user_pool.add_client(
            "PortalClient",
            generate_secret=True,
            disable_o_auth=True,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
        )
        source_ip = (
            sagemaker.CfnWorkforce.SourceIpConfigProperty(cidrs=list(source_ip_cidrs)) if source_ip_cidrs else None
        )
        self.resource = sagemaker.CfnWorkforce(
            self,
            "Resource",
            workforce_name=name,
            cognito_config=sagemaker.CfnWorkforce.CognitoConfigProperty(
                client_id=self.client.user_pool_client_id, user_pool=self.user_pool.user_pool_id
            ),
            source_ip_config=source_ip,
            workforce_vpc_config=self._vpc_config(vpc_access),
        )
        self.workforce_name = name

    @staticmethod
    def _vpc_config(
        access: WorkforceVpcAccess | None,
    ) -> sagemaker.CfnWorkforce.WorkforceVpcConfigRequestProperty | None:
        if access is None:
            return None
        selection = access.subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        subnets = select_subnets(
            access.vpc, **{k: getattr(selection, k) for k in _SELECTION_KEYS if getattr(selection, k, None) is not None}
        )
        return sagemaker.CfnWorkforce.WorkforceVpcConfigRequestProperty(
            vpc_id=access.vpc.vpc_id,
            security_group_ids=[sg.security_group_id for sg in access.security_groups],
            subnets=subnets.subnet_ids,
        )

    @property
    def workforce_arn(self) -> str:
        return stack_of(self).format_arn(service="sagemaker", resource="workforce", resource_name=self.workforce_name)


class Workteam(Construct):
    """A private work team: a Cognito group of the workforce's user pool, and the ``AWS::SageMaker::Workteam``.

    Add workers to the group (``aws cognito-idp admin-add-user-to-group``); they sign in to the labeling
    portal with the workforce's MFA and password rules.

    Args:
        scope: parent construct.
        construct_id: construct id.
        workforce: the account's :class:`PrivateWorkforce`.
        description: what the team labels (1..200 characters).
        workteam_name: the team's name: derived from the construct path.
        notification_topic: an SNS topic told about new and expiring tasks (encrypt it with a platform
            key): no notifications.

    Raises:
        ValidationError: a bad name or description.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workforce: PrivateWorkforce,
        description: str,
        workteam_name: str | None = None,
        notification_topic: sns.ITopic | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        name = workteam_name or physical_name(self, max_length=63)
        problems.require(
            bool(_NAME.match(name)) or is_unresolved(name),
            "workteam_name",
            name,
            "1..63 letters, digits and hyphens, starting with a letter or digit",
        )
        problems.require(1 <= len(description) <= 200, "description", description, "1..200 characters")
        problems.raise_if_any()

        self.group = cognito.CfnUserPoolGroup(
            self,
            "Group",
            user_pool_id=workforce.user_pool.user_pool_id,
            group_name=name,
            description=description,
        )
        self.resource = sagemaker.CfnWorkteam(
            self,
            "Resource",
            workteam_name=name,
            workforce_name=workforce.workforce_name,
            description=description,
            member_definitions=[
                sagemaker.CfnWorkteam.MemberDefinitionProperty(
                    cognito_member_definition=sagemaker.CfnWorkteam.CognitoMemberDefinitionProperty(
                        cognito_client_id=workforce.client.user_pool_client_id,
                        cognito_user_pool=workforce.user_pool.user_pool_id,
                        cognito_user_group=self.group.ref,
                    )
                )
            ],
            notification_configuration=(
                sagemaker.CfnWorkteam.NotificationConfigurationProperty(
                    notification_topic_arn=notification_topic.topic_arn
                )
                if notification_topic is not None
                else None
            ),
        )
        self.resource.node.add_dependency(workforce.resource)
        self.workteam_name = name
        self.workteam_arn: str = self.resource.attr_workteam_arn

    @staticmethod
    def from_workteam_arn(scope: Construct, construct_id: str, workteam_arn: str) -> WorkteamRef:
        """A work team created elsewhere (e.g. of an OIDC workforce), by ARN.

        A labeling workflow rejects a team of another account: its workers are not yours to govern.
        """
        return WorkteamRef(scope, construct_id, workteam_arn)


class WorkteamRef(Construct):
    """An imported work team (see :meth:`Workteam.from_workteam_arn`)."""

    def __init__(self, scope: Construct, construct_id: str, workteam_arn: str) -> None:
        super().__init__(scope, construct_id)
        self.workteam_arn = workteam_arn

    @property
    def account(self) -> str | None:
        """The team's account, if the ARN is known at synth."""
        if is_unresolved(self.workteam_arn):
            return None
        try:
            return Arn.split(self.workteam_arn, ArnFormat.SLASH_RESOURCE_NAME).account
        except Exception:  # a malformed ARN is reported by the workflow
            return ""


__all__ = ["PrivateWorkforce", "WorkforceVpcAccess", "Workteam", "WorkteamRef"]
