"""StudioImage: a custom Studio image from the platform's ECR (``AWS::SageMaker::Image``, ``ImageVersion``,
``AppImageConfig``), with the role SageMaker uses to read it.

Example::

    repo = ecr.Repository.from_repository_name(self, "Repo", "platform/studio-jupyterlab")
    image = StudioImage(self, "TeamImage", repository=repo, tag="2026.12",
                        app_type=ImageAppType.JUPYTER_LAB, guardrail=personas.guardrail.policy)
    StudioDomain(self, "Studio", ..., custom_images=[image])

Replacement: ``ImageVersion.BaseImage`` is create-only. A new tag creates a new image version (and
CloudFormation deletes the old one); the domain names the image without a version number, so apps start
from the newest version. The image name and the app image config name are create-only too; both are
derived from the construct path and stay stable.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnTag, Names
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.errors import Problems
from constructs_ml.foundation.policies import ECR_PULL_ACTIONS
from constructs_ml.foundation.roles import ManagedPolicyRole

#: Bringing your own image to Studio: the image, its version from ECR, the app image config, the role.
STUDIO_BYOI = "https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-byoi.html"
#: ECR private repositories: pulling needs GetAuthorizationToken and the layer actions.
ECR_PULL = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html"

#: The tag every Studio image and app image config carries (value: the image name).
IMAGE_TAG = "constructs-ml:studio-image"

_IMAGE_NAME = re.compile(r"[a-zA-Z0-9]([-.]?[a-zA-Z0-9]){0,62}")
_TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
_ENV_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,255}")


class ImageAppType(enum.Enum):
    """The Studio app a custom image runs as (which ``AppImageConfig`` block it gets)."""

    JUPYTER_LAB = "JupyterLab"
    KERNEL_GATEWAY = "KernelGateway"

    @property
    def settings_key(self) -> str:
        """The domain's user-settings block that lists the image."""
        return f"{self.value}AppSettings"


@dataclass(frozen=True)
class KernelSpec:
    """The Jupyter kernel a KernelGateway image provides.

    Attributes:
        name: the kernel's name in the image (``jupyter kernelspec list``), e.g. ``python3``.
        display_name: what Studio shows: the name.
    """

    name: str
    display_name: str | None = None


class StudioImageBase(Construct):
    """What owned and imported images share: the names Studio settings refer to."""

    image_name: str
    app_image_config_name: str
    app_type: ImageAppType

    def custom_image_entry(self) -> dict[str, Any]:
        """The ``CustomImages`` entry of a domain's or user's app settings (newest version)."""
        return {"ImageName": self.image_name, "AppImageConfigName": self.app_image_config_name}


class StudioImage(StudioImageBase):
    """A custom Studio image built from an image in the platform's ECR repository.

    Creates ``AWS::SageMaker::Image`` (id ``Resource``), one ``AWS::SageMaker::ImageVersion`` from
    ``repository:tag`` (or ``@digest``) and an ``AWS::SageMaker::AppImageConfig`` for JupyterLab (container
    entrypoint, arguments, environment) or KernelGateway (kernel and file-system settings). The image role
    (a :class:`ManagedPolicyRole` SageMaker assumes for this account only) may pull from ``repository`` only,
    decrypt with ``repository_key`` through ECR only, and carries the guardrail when given; its workload
    contract records both and that other repositories stay out of reach.

    The image is reached from the VPC through the network's ECR endpoints (``ecr.api``, ``ecr.dkr``) and S3
    gateway (image layers); Studio apps run it in the domain's subnets and security groups.

    Args:
        scope: parent construct.
        construct_id: construct id.
        repository: the ECR repository of the image (the platform's; same account and region).
        tag: the image tag: required unless ``digest`` is given. Prefer an immutable tag or a digest.
        digest: the image digest (``sha256:...``) instead of a tag.
        app_type: JupyterLab (default) or KernelGateway.
        kernel: with KernelGateway: the kernel the image provides (required there, not allowed otherwise).
        entrypoint: with JupyterLab: the container entrypoint (one command): the image's.
        arguments: with JupyterLab: container arguments (at most 50): the image's.
        environment: with JupyterLab: environment variables (at most 25): none.
        uid / gid: with KernelGateway: the POSIX user and group apps run as: 1000 / 100 (Studio's defaults).
        mount_path: with KernelGateway: where the user's home volume is mounted: ``/home/sagemaker-user``.
        repository_key: the KMS key the repository is encrypted with, if not AES-256: none. Its key policy
            must let this role use it through ECR (the platform's own keys admit only their listed services;
            the workload contract check reports it when the key policy refuses).
        image_name: the SageMaker image name: derived from the construct path.
        description: what the image is for and who maintains it (reviewers read it; AWS Config
            ``sagemaker-image-description``): required, 1..512 characters.
        display_name: the name Studio shows: the image name.
        guardrail: the platform guardrail attached to the image role (``personas.guardrail.policy``).
        role: an existing role for SageMaker to read the image with, instead of a new one.
        tags: more tags of the image and app image config; both always carry ``constructs-ml:studio-image``
            (Security Hub SageMaker.6/.7 want them tagged), and tags of parent scopes apply too.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: ecr.IRepository,
        tag: str | None = None,
        digest: str | None = None,
        app_type: ImageAppType = ImageAppType.JUPYTER_LAB,
        kernel: KernelSpec | None = None,
        entrypoint: Sequence[str] = (),
        arguments: Sequence[str] = (),
        environment: Mapping[str, str] | None = None,
        uid: int = 1000,
        gid: int = 100,
        mount_path: str = "/home/sagemaker-user",
        repository_key: kms.IKey | None = None,
        image_name: str | None = None,
        description: str,
        display_name: str | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        role: iam.IRole | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        self._check(problems, tag, digest, app_type, kernel, entrypoint, arguments, environment)
        account = repository.env.account
        if not is_unresolved(account) and not is_unresolved(stack_env(self).account):
            problems.require(
                account == stack_env(self).account,
                "repository",
                repository.repository_name,
                "a repository of this stack's account (the platform's ECR)",
            )
        problems.require_range("uid", uid, 0, 65535)
        problems.require_range("gid", gid, 0, 65535)
        problems.require(
            mount_path.startswith("/") and len(mount_path) <= 1024, "mount_path", mount_path, "an absolute path"
        )
        if image_name is not None:
            problems.require(
                bool(_IMAGE_NAME.fullmatch(image_name)),
                "image_name",
                image_name,
                "1..63 letters, digits, hyphens and dots",
            )
        if display_name is not None:
            problems.require(1 <= len(display_name) <= 128, "display_name", display_name, "1..128 characters")
        problems.require(
            len(description.strip()) > 0 and len(description) <= 512, "description", description, "1..512 characters"
        )
        problems.require(
            role is None or guardrail is None,
            "guardrail",
            "given with role",
            "no guardrail with an existing role (attach it to that role yourself)",
        )
        problems.raise_if_any()

        stack = stack_of(self)
        env = env_of(stack)
        name = image_name or Names.unique_resource_name(self, max_length=63, separator="-").strip("-")
        self.image_name = name
        self.app_image_config_name = name
        self.app_type = app_type
        self.repository = repository
        self.base_image = (
            f"{repository.repository_uri_for_digest(digest)}"
            if digest is not None
            else repository.repository_uri_for_tag(tag)
        )
        self.image_role: ManagedPolicyRole | None = None
        if role is not None:
            self.role: iam.IRole = role
        else:
            self.image_role = ManagedPolicyRole(
                self,
                "Role",
                assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                    {"StringEquals": {"aws:SourceAccount": env.account}}
                ),
                description=f"constructs-ml Studio image {name}: SageMaker reads the image from ECR",
                guardrail=guardrail,
            )
            self._grant_pull(self.image_role, repository_key)
            self.role = self.image_role.role

        all_tags = {IMAGE_TAG: name, **(tags or {})}
        cfn_tags = [CfnTag(key=k, value=v) for k, v in sorted(all_tags.items())]
        self.resource = sagemaker.CfnImage(
            self,
            "Resource",
            image_name=name,
            image_role_arn=self.role.role_arn,
            image_display_name=display_name,
            image_description=description,
            tags=cfn_tags,
        )
        self.version = sagemaker.CfnImageVersion(self, "Version", image_name=name, base_image=self.base_image)
        self.version.add_dependency(self.resource)
        if self.image_role is not None:
            # SageMaker reads the image with the role while creating the version.
            self.version.node.add_dependency(self.image_role)
        config: dict[str, Any] = {"AppImageConfigName": name}
        fs = {"DefaultUid": uid, "DefaultGid": gid, "MountPath": mount_path}
        if app_type is ImageAppType.JUPYTER_LAB:
            container: dict[str, Any] = {}
            if entrypoint:
                container["ContainerEntrypoint"] = list(entrypoint)
            if arguments:
                container["ContainerArguments"] = list(arguments)
            if environment:
                container["ContainerEnvironmentVariables"] = [
                    {"Key": k, "Value": v} for k, v in sorted(environment.items())
                ]
            config["JupyterLabAppImageConfig"] = {"ContainerConfig": container} if container else {}
        else:
            assert kernel is not None
            spec = {"Name": kernel.name, **({"DisplayName": kernel.display_name} if kernel.display_name else {})}
            config["KernelGatewayImageConfig"] = {"KernelSpecs": [spec], "FileSystemConfig": fs}
        self.app_image_config = sagemaker.CfnAppImageConfig(
            self, "AppImageConfig", app_image_config_name=name, tags=cfn_tags
        )
        for key, value in config.items():
            if key != "AppImageConfigName":
                self.app_image_config.add_property_override(key, value)
        self.image_arn = self.resource.attr_image_arn
        self.image_version_arn = self.version.attr_image_version_arn
        self.app_image_config_arn = self.app_image_config.attr_app_image_config_arn

    @classmethod
    def from_image_name(
        cls,
        scope: Construct,
        construct_id: str,
        image_name: str,
        *,
        app_image_config_name: str | None = None,
        app_type: ImageAppType = ImageAppType.JUPYTER_LAB,
    ) -> StudioImageBase:
        """An existing SageMaker image and app image config (the config named like the image unless given),
        to offer to a domain's users with ``StudioDomain(custom_images=[...])``."""
        return _imported_image(scope, construct_id, image_name, app_image_config_name or image_name, app_type)

    def _check(
        self,
        problems: Problems,
        tag: str | None,
        digest: str | None,
        app_type: ImageAppType,
        kernel: KernelSpec | None,
        entrypoint: Sequence[str],
        arguments: Sequence[str],
        environment: Mapping[str, str] | None,
    ) -> None:
        if problems.exclusive("tag", tag, "digest", digest):
            problems.require(tag is not None or digest is not None, "tag", None, "an image tag, or give digest")
        if tag is not None and not is_unresolved(tag):
            problems.require(bool(_TAG.fullmatch(tag)), "tag", tag, "an ECR tag (1..128 letters, digits, _ . -)")
        if digest is not None and not is_unresolved(digest):
            problems.require(bool(_DIGEST.fullmatch(digest)), "digest", digest, "'sha256:' + 64 hex digits")
        problems.require(isinstance(app_type, ImageAppType), "app_type", app_type, "an ImageAppType")
        if app_type is ImageAppType.KERNEL_GATEWAY:
            problems.require(kernel is not None, "kernel", kernel, "the KernelSpec of a KernelGateway image")
            if kernel is not None:
                problems.require(1 <= len(kernel.name) <= 1024, "kernel.name", kernel.name, "1..1024 characters")
            jupyter_only = {"entrypoint": entrypoint, "arguments": arguments, "environment": environment}
            for prop, value in jupyter_only.items():
                problems.require(not value, prop, value, "nothing for a KernelGateway image (JupyterLab only)")
        else:
            problems.require(kernel is None, "kernel", kernel, "None for a JupyterLab image (KernelGateway only)")
            problems.require(len(entrypoint) <= 1, "entrypoint", list(entrypoint), "at most one command")
            problems.require(len(arguments) <= 50, "arguments", len(arguments), "at most 50 arguments")
            problems.require(
                len(environment or {}) <= 25, "environment", len(environment or {}), "at most 25 variables"
            )
            for k in environment or {}:
                problems.require(bool(_ENV_KEY.fullmatch(k)), "environment", k, "variable names like NAME_1")

    def _grant_pull(self, role: ManagedPolicyRole, key: kms.IKey | None) -> None:
        stack = stack_of(self)
        env = env_of(stack)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PullStudioImage", actions=list(ECR_PULL_ACTIONS), resources=[self.repository.repository_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(sid="EcrAuthorization", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        )
        if key is not None:
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="DecryptImageLayers",
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"ecr.{env.region}.amazonaws.com"}},
                )
            )
        contract = WorkloadContract.of(role)
        src.assumed_by_service(contract, self, role.role_arn, "sagemaker.amazonaws.com", STUDIO_BYOI)
        contract.allows(
            list(ECR_PULL_ACTIONS),
            self.repository.repository_arn,
            why="SageMaker reads the image from the platform's repository to create the image version",
            source=STUDIO_BYOI,
        ).allows(
            "ecr:GetAuthorizationToken",
            "*",
            why="pulling from a private ECR repository starts with an authorization token",
            source=ECR_PULL,
        ).denies(
            "ecr:BatchGetImage",
            f"arn:{env.partition}:ecr:{env.region}:{env.account}:repository/contract-check-other",
            why="the image role reads this image's repository only",
            source=STUDIO_BYOI,
        )
        if key is not None:
            contract.allows(
                "kms:Decrypt",
                key.key_arn,
                context={"kms:ViaService": f"ecr.{env.region}.amazonaws.com"},
                why="the repository is encrypted with a KMS key",
                source=ECR_PULL,
            )


def _imported_image(
    scope: Construct, construct_id: str, image_name: str, app_image_config_name: str, app_type: ImageAppType
) -> StudioImageBase:
    problems = Problems(f"{scope.node.path}/{construct_id}")
    for prop, value in (("image_name", image_name), ("app_image_config_name", app_image_config_name)):
        if not is_unresolved(value):
            problems.require(bool(_IMAGE_NAME.fullmatch(value)), prop, value, "1..63 letters, digits, hyphens and dots")
    problems.require(isinstance(app_type, ImageAppType), "app_type", app_type, "an ImageAppType")
    problems.raise_if_any()
    imported = StudioImageBase(scope, construct_id)
    imported.image_name = image_name
    imported.app_image_config_name = app_image_config_name
    imported.app_type = app_type
    return imported


def custom_images_by_app(images: Sequence[StudioImageBase]) -> dict[str, list[dict[str, Any]]]:
    """``CustomImages`` lists per settings block (``JupyterLabAppSettings``, ``KernelGatewayAppSettings``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for image in images:
        out.setdefault(image.app_type.settings_key, []).append(image.custom_image_entry())
    return out
