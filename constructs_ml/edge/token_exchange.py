"""The Greengrass token-exchange role of edge devices: the role, its role alias, the device policy, the contract.

Greengrass core devices get AWS credentials from the AWS IoT credentials provider: the device's X.509
certificate is exchanged for the credentials of the role a *role alias* names (AWS IoT Greengrass developer
guide, "Authorize core devices to interact with AWS services"). The role is trusted by
``credentials.iot.amazonaws.com``; here it may read exactly the component artifacts it is given (and
decrypt them with their bucket's key through S3), nothing else. Devices' certificates need the IoT policy
:attr:`TokenExchangeRole.device_policy` (``iot:AssumeRoleWithCertificate`` on the alias).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_iot as iot
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_of
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.serve.common import S3Path, physical_name

#: The Greengrass token-exchange role: trust policy and what the core device does with it.
GREENGRASS_TES = "https://docs.aws.amazon.com/greengrass/v2/developerguide/device-service-role.html"
#: Component artifacts in S3: the token-exchange role needs s3:GetObject on them.
GREENGRASS_ARTIFACTS = "https://docs.aws.amazon.com/greengrass/v2/developerguide/device-service-role.html#device-service-role-access-s3-bucket"
#: Role aliases of the AWS IoT credentials provider.
IOT_ROLE_ALIAS = "https://docs.aws.amazon.com/iot/latest/developerguide/authorizing-direct-aws.html"

_ALIAS = re.compile(r"^[\w=,@-]{1,128}$")


class TokenExchangeRole(Construct):
    """The role Greengrass core devices act as, its role alias and the device IoT policy.

    One role alias per core device: devices name it in their nucleus configuration (``iotRoleAlias``). Share
    one :class:`TokenExchangeRole` between deployments to the same devices and add each deployment's
    artifacts with :meth:`allow_artifacts`.

    Args:
        scope: parent construct.
        construct_id: construct id.
        role_alias_name: the role alias's name: derived from the construct path.
        credential_duration: how long device credentials last (15 min..12 h): one hour.
        permissions_boundary: a permissions boundary for the role: none (the reference app sets one on
            every role).

    Raises:
        ValidationError: a bad alias name or duration.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_alias_name: str | None = None,
        credential_duration: Duration | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        alias = role_alias_name or physical_name(self, max_length=128)
        seconds = (credential_duration or Duration.hours(1)).to_seconds()
        problems.require(
            bool(_ALIAS.match(alias)) or is_unresolved(alias),
            "role_alias_name",
            alias,
            "1..128 letters, digits and =,@-_",
        )
        problems.require_range("credential_duration (seconds)", seconds, 900, 43200)
        problems.raise_if_any()

        stack = stack_of(self)
        self.role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("credentials.iot.amazonaws.com"),
            description=f"Greengrass token-exchange role of {self.node.path}",
            permissions_boundary=permissions_boundary,
        )
        self.role_alias = iot.CfnRoleAlias(
            self,
            "Resource",
            role_alias=alias,
            role_arn=self.role.role_arn,
            credential_duration_seconds=int(seconds),
        )
        self.role_alias_name = alias
        self.role_alias_arn = self.role_alias.attr_role_alias_arn
        self.device_policy = iot.CfnPolicy(
            self,
            "DevicePolicy",
            policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iot:AssumeRoleWithCertificate",
                        "Resource": self.role_alias.attr_role_alias_arn,
                    }
                ],
            },
        )
        self.contract = WorkloadContract.of(self.role)
        self.contract.allows(
            "sts:AssumeRole",
            self.role.role_arn,
            caller="service:credentials.iot.amazonaws.com",
            why="the AWS IoT credentials provider assumes the role for a device that presents its certificate",
            source=GREENGRASS_TES,
        )
        self._stack = stack

    def allow_artifacts(self, artifacts: Sequence[S3Path], key: kms.IKey | None, *, prefixes: bool = False) -> None:
        """Let devices download these artifacts (and decrypt them with ``key`` through S3).

        Args:
            artifacts: the artifact objects, or (``prefixes=True``) the prefixes whose objects are artifacts.
            key: the buckets' KMS key: none (SSE-S3).
            prefixes: ``artifacts`` are prefixes (the on-approval path, whose objects are known at run time).
        """
        stack = self._stack
        env = env_of(stack)
        for artifact in artifacts:
            obj = artifact.bucket.arn_for_objects(f"{artifact.clean_prefix}/*" if prefixes else artifact.clean_prefix)
            self.role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[obj]))
            checked = (
                artifact.bucket.arn_for_objects(f"{artifact.clean_prefix}/contract-check.onnx") if prefixes else obj
            )
            self.contract.allows(
                "s3:GetObject",
                checked,
                why="the Greengrass nucleus downloads the component artifact",
                source=GREENGRASS_ARTIFACTS,
            )
            self.contract.denies(
                "s3:GetObject",
                artifact.bucket.arn_for_objects(f"{artifact.clean_prefix}.contract-check-other"),
                why="devices read their artifacts only, not the rest of the bucket",
                source=GREENGRASS_ARTIFACTS,
            )
        if key is not None:
            via_s3 = {"kms:ViaService": f"s3.{env.region}.amazonaws.com"}
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{env.region}.{env.url_suffix}"}},
                )
            )
            self.contract.allows(
                "kms:Decrypt",
                key.key_arn,
                context=via_s3,
                why="the artifacts are SSE-KMS: S3 decrypts them for the device with the bucket's key",
                source=GREENGRASS_ARTIFACTS,
            )


__all__ = ["TokenExchangeRole"]
