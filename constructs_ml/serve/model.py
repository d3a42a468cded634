"""SageMaker models: from a registry model package or from an image plus model data (control SM-05).

Example::

    model = Model(self, "Churn",
        image=ContainerImage.from_ecr_repository(repo, "1.4.0"),
        model_data=ModelData.from_bucket(buckets.artifacts.bucket, "churn/model.tar.gz"),
        vpc=network.vpc, vpc_subnets=network.subnet_selection,
        security_groups=[network.workload_security_group],
        guardrail=guardrail.policy)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import jsii
from aws_cdk import Annotations, CfnCondition, Fn, Resource, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, select_subnets, stack_env, stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.errors import Problems
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.foundation.network import public_subnet_paths
from constructs_ml.foundation.roles import ManagedPolicyRole, stack_arn
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.serve.common import NAME_PATTERN, S3Path, foreign_artifact_decrypt, kms_statements
from constructs_ml.serve.model_parts import (
    ApprovedPackageParameter,
    ApprovedPackageRecord,
    ContainerImage,
    ContainerMode,
    ModelData,
    execution_role_statements,
)

__all__ = [
    "ApprovedPackageParameter",
    "ApprovedPackageRecord",
    "ContainerImage",
    "ContainerMode",
    "IModel",
    "Model",
    "ModelBase",
    "ModelData",
]


@jsii.implements(iam.IGrantable)
class ModelBase(Resource):
    """What owned (:class:`Model`) and imported models share.

    Attributes:
        model_name: the model's name.
        model_arn: the model's ARN.
        network_isolation: whether the container runs with network isolation (None when unknown).
        in_vpc: whether the model has a VPC config (None when unknown).
        serverless_compatible: whether the model may back a serverless variant (no VPC config and no
            network isolation: AWS does not support them for serverless inference).
    """

    model_name: str
    model_arn: str
    network_isolation: bool | None = None
    in_vpc: bool | None = None
    serverless_compatible: bool = False
    multi_model: bool = False
    _role: ManagedPolicyRole | None = None
    _imported_role: iam.IRole | None = None

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The execution role (statements go to its managed policy when the role is owned)."""
        if self._role is not None:
            return self._role.grant_principal
        if self._imported_role is not None:
            return self._imported_role
        return cast(iam.IPrincipal, iam.UnknownPrincipal(resource=self))

    @property
    def execution_role(self) -> iam.IRole | None:
        """The execution role, if known."""
        if self._role is not None:
            return self._role.role
        return self._imported_role

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> bool:
        """Add a permission the model's role needs (data capture, async outputs). False if not owned."""
        if self._role is None:
            return False
        self._role.add_to_policy(statement)
        return True


#: The type to accept for "a model": owned and imported models share :class:`ModelBase`.
IModel = ModelBase


class _ImportedModel(ModelBase):
    def __init__(self, scope: Construct, construct_id: str, model_name: str, role: iam.IRole | None) -> None:
        super().__init__(scope, construct_id)
        self.model_name = model_name
        self.model_arn = sagemaker_arn(self, "model", model_name)
        self._imported_role = role


class Model(ModelBase):
    """A SageMaker model, isolated and in the VPC by default, with a least-privilege execution role.

    Give either ``model_package_arn`` (a registry package, possibly from another account), or
    ``image`` + ``model_data``, or ``approved_package`` + ``image`` + ``model_data`` (the approved
    package recorded in SSM once there is one, the initial image and data before: see
    :class:`ApprovedPackageParameter`; this is how a later ``cdk deploy`` keeps an approved model).

    Network isolation is on by default: the container can make no outbound call, so a compromised or
    malicious model cannot exfiltrate requests. Turn it off (``network_isolation=False``, a warning)
    only for containers that must call other services at inference time (a feature store lookup, an
    external API through a VPC endpoint); AWS Marketplace algorithms require it on anyway.

    Args:
        scope: parent construct.
        construct_id: construct id.
        image: the inference image (``ContainerImage.from_ecr_repository`` for your own images, whose
            repository the role may pull; ``ContainerImage.builtin`` or ``from_uri`` for AWS-owned
            images, which need no permission on the role); with ``model_package_arn`` the package names
            its own image.
        model_data: the model artifact (or, for multi-model mode, the prefix holding the artifacts).
        model_package_arn: a registry model package version ARN.
        approved_package: take the package from an SSM parameter at deploy time, falling back to
            ``image`` + ``model_data`` while the parameter holds its placeholder. The parameter's value is
            written by ``DeployOnApproval`` only after it verified the package's artifact (with
            ``package_artifacts``: refused packages are never recorded), so this path serves verified
            packages. A synth-time check cannot add anything: the value is resolved by CloudFormation at
            deploy time, after synth; do not let anything else write the parameter (the deployer repairs
            a foreign write from what the endpoint serves).
        package_artifacts: where a package's model data lives (read access for the role), e.g. the
            artifacts bucket prefix the training pipeline writes to; with ``package_artifacts_key``.
        package_artifacts_key: the KMS key of ``package_artifacts``: none (unencrypted or SSE-S3).
        package_artifacts_key_account: instead of ``package_artifacts_key``, when the key is another
            account's (a central registry's) and its ARN is generated there: the role may decrypt with
            that account's keys in this region only through S3 (``kms:ViaService``) and only for objects
            of ``package_artifacts``' bucket (``kms:EncryptionContext:aws:s3:arn``, the bucket ARN with S3
            Bucket Keys, the object ARN without), which must then have a literal name; the registry's
            key policy grants the rest (``ModelRegistry.grant_cross_account_read``). None.
        mode: single or multi-model container: single.
        environment: container environment variables: none.
        vpc: the VPC; with ``vpc_subnets`` (at least two subnets in different AZs) and
            ``security_groups``. Required unless ``serverless``.
        vpc_subnets: subnets of ``vpc``: the VPC's private subnets.
        security_groups: security groups of the model's network interfaces (at least one).
        network_isolation: run the container without network access: on.
        serverless: build the model for serverless variants, which AWS runs without VPC config and
            without network isolation (documented exclusions); the two findings are acknowledged
            through the allowlist entry ``serverless-model-no-vpc`` and a warning is added.
        marketplace: ``model_package_arn`` is an AWS Marketplace model package (a seller's account):
            AWS requires network isolation for it, so ``network_isolation=False`` is an error; the
            role gets no artifact permission (SageMaker fetches the seller's artifact). The account
            must be subscribed to the listing. No (a package of your registry).
        role: an existing execution role instead of a new one (then no permissions are added).
        guardrail: the platform guardrail policy, attached to the new role: none.
        model_name: a physical name: generated (recommended; models are replaced on change).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: ContainerImage | None = None,
        model_data: ModelData | None = None,
        model_package_arn: str | None = None,
        approved_package: ApprovedPackageParameter | None = None,
        package_artifacts: S3Path | None = None,
        package_artifacts_key: kms.IKey | None = None,
        package_artifacts_key_account: str | None = None,
        mode: ContainerMode = ContainerMode.SINGLE_MODEL,
        environment: Mapping[str, str] | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        network_isolation: bool = True,
        serverless: bool = False,
        marketplace: bool = False,
        role: iam.IRole | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        model_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id, physical_name=model_name)
        problems = Problems(self)
        sources = [x for x in (model_package_arn, approved_package) if x is not None]
        if len(sources) > 1:
            problems.add("model_package_arn/approved_package", sources, "at most one of them")
        if model_package_arn is None and (image is None or model_data is None):
            problems.add(
                "image/model_data",
                (image, model_data),
                "both given (or model_package_arn)",
                what="must both be given unless model_package_arn is",
            )
        if model_package_arn is not None and (image is not None or model_data is not None):
            problems.add(
                "image/model_data",
                (image, model_data),
                "omitted with model_package_arn",
                what="must be omitted with model_package_arn (the package names them)",
            )
        if model_package_arn is not None and not is_unresolved(model_package_arn):
            problems.require(
                ":model-package/" in model_package_arn,
                "model_package_arn",
                model_package_arn,
                "a model package ARN arn:<partition>:sagemaker:<region>:<account>:model-package/...",
            )
        problems.exclusive("role", role, "guardrail", guardrail)
        if model_name is not None:
            problems.require(
                isinstance(model_name, str) and NAME_PATTERN.match(model_name) is not None,
                "model_name",
                model_name,
                "[a-zA-Z0-9](-*[a-zA-Z0-9])*, at most 63 characters",
            )
        if marketplace:
            problems.require(
                model_package_arn is not None,
                "marketplace",
                marketplace,
                "used with model_package_arn (the Marketplace model package)",
            )
            problems.require(
                network_isolation,
                "network_isolation",
                network_isolation,
                "True for an AWS Marketplace model package (AWS requires it)",
            )
            problems.require(not serverless, "serverless", serverless, "False for an AWS Marketplace model package")
        if image is not None:
            image.validate(self, problems, "image")
        if approved_package is not None:
            problems.messages.extend(f"{self.node.path}: approved_package.{p}" for p in approved_package.problems())
        if mode == ContainerMode.MULTI_MODEL:
            problems.require(
                model_data is not None and model_data.is_prefix,
                "model_data",
                model_data,
                "ModelData.from_prefix(...) in multi-model mode",
            )
            problems.require(
                model_package_arn is None and approved_package is None,
                "mode",
                mode.value,
                "SINGLE_MODEL with model packages (SageMaker cannot load packages as multi-model)",
            )
        subnets: list[ec2.ISubnet] = []
        if serverless:
            problems.require(
                vpc is None,
                "vpc",
                vpc,
                "omitted with serverless=True",
                what="must be omitted with serverless=True (serverless inference has no VPC config)",
            )
        else:
            if problems.require(vpc is not None, "vpc", vpc, "the platform VPC (MlNetwork.vpc)"):
                assert vpc is not None
                subnets = list(select_subnets(vpc, **_selection_kwargs(vpc_subnets)).subnets)
                public = public_subnet_paths(vpc, subnets)
                problems.require(
                    not public,
                    "vpc_subnets",
                    public,
                    "private subnets",
                    what="must select private subnets (a model never runs in public subnets); public",
                )
                azs = [s.availability_zone for s in subnets]
                problems.require(
                    len(subnets) >= 2,
                    "vpc_subnets",
                    f"{len(subnets)} subnet(s)",
                    "at least two subnets (in different AZs)",
                )
                if not any(is_unresolved(a) for a in azs):
                    problems.require(
                        len(set(azs)) >= 2 or len(subnets) < 2,
                        "vpc_subnets",
                        azs,
                        "subnets in at least two availability zones",
                    )
            if problems.require_sequence(
                "security_groups", security_groups, "security_group_id", "a list of security groups"
            ):
                problems.require(
                    len(security_groups) >= 1,
                    "security_groups",
                    f"{len(security_groups)} group(s)",
                    "at least one security group",
                )
        if package_artifacts_key_account is not None:
            problems.exclusive(
                "package_artifacts_key",
                package_artifacts_key,
                "package_artifacts_key_account",
                package_artifacts_key_account,
            )
            problems.require(
                isinstance(package_artifacts_key_account, str)
                and re.fullmatch(r"\d{12}", package_artifacts_key_account) is not None,
                "package_artifacts_key_account",
                package_artifacts_key_account,
                "a 12-digit AWS account id",
            )
            problems.require(
                package_artifacts is not None and not is_unresolved(package_artifacts.bucket.bucket_name),
                "package_artifacts",
                None if package_artifacts is None else f"bucket {package_artifacts.bucket.node.path}",
                "a bucket with a literal name (e.g. s3.Bucket.from_bucket_name) with package_artifacts_key_account",
            )
        problems.raise_if_any()

        stack = stack_of(self)
        env = env_of(stack)
        if model_package_arn is not None and role is None and package_artifacts is None:
            self._warn_cross_account_package(stack, model_package_arn)
        self.image = image
        self.model_data = model_data
        self.mode = mode
        self.marketplace = marketplace
        self.multi_model = mode == ContainerMode.MULTI_MODEL
        self.network_isolation = network_isolation and not serverless
        self.in_vpc = not serverless
        self.serverless_compatible = serverless
        self.security_groups = list(security_groups)
        self.subnets = subnets
        if role is not None:
            self._imported_role = role
        else:
            self._role = ManagedPolicyRole(
                self,
                "Role",
                assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                    {"StringEquals": {"aws:SourceAccount": env.account}}
                ),
                description=f"Execution role of SageMaker model {self.node.path}",
                guardrail=guardrail,
            )
            self._role.add_to_policy(*execution_role_statements(self, vpc=vpc if not serverless else None))
            if image is not None:
                self._role.add_to_policy(*image.pull_statements())
            if model_data is not None:
                self._role.add_to_policy(*model_data.read_statements())
            if package_artifacts is not None:
                self._role.add_to_policy(*package_artifacts.read_statements())
            if package_artifacts_key is not None:
                self._role.add_to_policy(*kms_statements(package_artifacts_key.key_arn, decrypt=True))
            if package_artifacts_key_account is not None and package_artifacts is not None:
                self._role.add_to_policy(
                    foreign_artifact_decrypt(stack, package_artifacts, package_artifacts_key_account)
                )
            self._record_contract(
                model_data.path if model_data is not None else package_artifacts,
                model_data.key if model_data is not None else package_artifacts_key,
                serverless,
                vpc,
            )

        container = self._container(image, model_data, model_package_arn, environment)
        self.approved_package_arn: str | None = None
        self.approved_package_condition: CfnCondition | None = None
        if approved_package is not None:
            self.approved_package_arn = ssm.StringParameter.value_for_string_parameter(
                self, approved_package.parameter_name
            )
            self.approved_package_condition = approved_package.condition(self, self.approved_package_arn)

        role_arn = self._role.role_arn if self._role is not None else (role.role_arn if role else None)
        self.resource = sagemaker.CfnModel(
            self,
            "Resource",
            execution_role_arn=role_arn,
            primary_container=None if approved_package is not None else _container_property(container),
            enable_network_isolation=self.network_isolation,
            model_name=model_name,
            vpc_config=(
                None
                if serverless
                else sagemaker.CfnModel.VpcConfigProperty(
                    security_group_ids=[sg.security_group_id for sg in security_groups],
                    subnets=[s.subnet_id for s in subnets],
                )
            ),
        )
        if self.approved_package_condition is not None:
            acknowledge(self.resource, "cfn-validate-ssm-parameter-default")
            # The approved package when one is recorded, the initial image and data before (see
            # ApprovedPackageParameter). Inside Fn::If the container is raw CloudFormation (PascalCase).
            self.resource.add_property_override(
                "PrimaryContainer",
                Fn.condition_if(
                    self.approved_package_condition.logical_id,
                    {"ModelPackageName": self.approved_package_arn},
                    container,
                ),
            )
        if self._role is not None:
            self.resource.node.add_dependency(self._role)
        self.model_name = self.resource.attr_model_name
        # The resource's own ARN: the name is CloudFormation's (a token), so no ARN built here could
        # carry it in the lower case SageMaker writes.
        self.model_arn = self.resource.attr_model_arn
        if not network_isolation and not serverless:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:model-network-isolation-off",
                "Model: network_isolation=False; the inference container may make outbound calls (SM-05).",
            )
        if serverless:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:model-serverless-no-vpc",
                "Model: serverless=True; serverless inference runs without VPC config and network isolation "
                "(AWS exclusion), acknowledged via allowlist entry 'serverless-model-no-vpc'.",
            )
            acknowledge(self.resource, "serverless-model-no-vpc")

    def _warn_cross_account_package(self, stack: Stack, model_package_arn: str) -> None:
        """A package from another account names artifacts there: without ``package_artifacts`` the new role
        cannot read them and the endpoint fails to start (AccessDenied on the model data)."""
        env = env_of(stack)
        account = model_package_arn.split(":")[4] if model_package_arn.count(":") >= 5 else ""
        if is_unresolved(model_package_arn) or is_unresolved(env.account) or account == env.account:
            return
        Annotations.of(self).add_warning_v2(
            "constructs-ml:model-package-artifacts-unreadable",
            f"Model: model_package_arn is in account {account}, and no package_artifacts was given, so the "
            "execution role cannot read the package's model artifacts. Pass package_artifacts=S3Path(<the "
            "producer's artifacts bucket>, <prefix>) and package_artifacts_key=<its KMS key> (the producer "
            "grants this account read with ModelRegistry.grant_cross_account_read).",
        )

    def _record_contract(
        self, artifacts: S3Path | None, key: kms.IKey | None, serverless: bool, vpc: ec2.IVpc | None
    ) -> None:
        """The model role's workload: fetch the artifact, write endpoint logs, place ENIs, reach S3 in the VPC."""
        assert self._role is not None
        contract = src.job_runtime(
            WorkloadContract.of(self._role),
            self,
            key_arn=None,
            log_kind="Endpoints/contract-check",
            security_groups=self.security_groups if not serverless else (),
            subnets=self.subnets if not serverless else (),
            network_source=src.HOSTING_VPC,
            distributed=False,
            vpc_arn=stack_arn(self, "ec2", f"vpc/{vpc.vpc_id}") if vpc is not None and not serverless else None,
        )
        if artifacts is not None:
            artifact = artifacts if artifacts.clean_prefix.endswith(".tar.gz") else artifacts.child("model.tar.gz")
            contract.allows(
                "s3:GetObject",
                artifact.bucket.arn_for_objects(artifact.clean_prefix),
                why="SageMaker downloads the model artifact with the model's role",
                source=src.SAGEMAKER_ROLES,
            )
        if key is not None:
            contract.allows(
                "kms:Decrypt",
                key.key_arn,
                context={"kms:ViaService": f"s3.{stack_env(self).region}.amazonaws.com"},
                why="the artifact is encrypted with the platform key (SSE-KMS: S3 decrypts it for the download)",
                source=src.SAGEMAKER_ROLES,
            )

    def _container(
        self,
        image: ContainerImage | None,
        model_data: ModelData | None,
        package_arn: str | None,
        environment: Mapping[str, str] | None,
    ) -> dict[str, Any]:
        if package_arn is not None:
            out: dict[str, Any] = {"ModelPackageName": package_arn}
        else:
            assert image is not None and model_data is not None
            out = {"Image": image.bind(self), "ModelDataUrl": model_data.uri, "Mode": self.mode.value}
        if environment:
            out["Environment"] = dict(environment)
        return out

    @classmethod
    def from_model_name(
        cls, scope: Construct, construct_id: str, model_name: str, *, role: iam.IRole | None = None
    ) -> ModelBase:
        """An existing model by name (its role, if given, receives grants the endpoint needs)."""
        return _ImportedModel(scope, construct_id, model_name, role)


def _container_property(container: dict[str, Any]) -> sagemaker.CfnModel.ContainerDefinitionProperty:
    return sagemaker.CfnModel.ContainerDefinitionProperty(
        image=container.get("Image"),
        model_data_url=container.get("ModelDataUrl"),
        mode=container.get("Mode"),
        model_package_name=container.get("ModelPackageName"),
        environment=container.get("Environment"),
    )


def _selection_kwargs(selection: ec2.SubnetSelection | None) -> dict[str, Any]:
    if selection is None:
        return {"subnet_type": ec2.SubnetType.PRIVATE_ISOLATED}
    return {
        k: v
        for k, v in {
            "subnet_type": selection.subnet_type,
            "subnets": selection.subnets,
            "subnet_group_name": selection.subnet_group_name,
            "availability_zones": selection.availability_zones,
            "one_per_az": selection.one_per_az,
        }.items()
        if v is not None
    }
