"""Container images for SageMaker jobs and models: built-in algorithms, framework images, ECR, tarballs.

One class for every layer: ``constructs_ml.develop.ContainerImage`` and ``constructs_ml.serve.ContainerImage``
are the same object, so a pipeline step and a :class:`~constructs_ml.serve.Model` take the same images.

Built-in algorithm images live in per-region registries owned by AWS (the region data, generated from
the SageMaker Python SDK, is in :mod:`constructs_ml.develop.image_accounts`). In a stack with a concrete
region, :meth:`ContainerImage.bind` resolves the registry account at synth and a region where AWS does
not publish the image is a :class:`~constructs_ml.errors.ValidationError`; an environment-agnostic
stack looks the account up at deploy through a CloudFormation mapping keyed by region.

Example::

    xgboost = ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1")
    pytorch = ContainerImage.from_uri(
        "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.3.0-cpu-py311-ubuntu20.04-sagemaker")
    custom = ContainerImage.from_ecr_repository(repository, "v1.2.0")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.develop.image_accounts import REGISTRY_ACCOUNTS, check_region, image_account
from constructs_ml.errors import Problems

_REMEDY = "or give the image by URI (ContainerImage.from_uri) from a registry you replicate it to"

_ECR_URI = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)[:@].+$")
#: A container image reference SageMaker can pull: registry host, repository path, optional tag or digest.
_IMAGE_URI = re.compile(
    r"^[a-z0-9.-]+(:\d+)?/[a-z0-9]+([._/-]+[a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})?$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class BuiltinAlgorithm:
    """A SageMaker built-in algorithm (enum-like; :meth:`of` for one not listed here).

    Attributes:
        repository: the ECR repository name, e.g. ``linear-learner``.
        family: the registry family in :data:`~constructs_ml.develop.image_accounts.IMAGE_ACCOUNTS`
            (``AlgorithmsA``/``AlgorithmsB``/``XGBoost``).
        default_version: the image tag used when no version is given.
    """

    repository: str
    family: str
    default_version: str

    XGBOOST: ClassVar[BuiltinAlgorithm]
    LINEAR_LEARNER: ClassVar[BuiltinAlgorithm]
    KMEANS: ClassVar[BuiltinAlgorithm]
    PCA: ClassVar[BuiltinAlgorithm]
    BLAZINGTEXT: ClassVar[BuiltinAlgorithm]
    SEQ2SEQ: ClassVar[BuiltinAlgorithm]
    OBJECT_DETECTION: ClassVar[BuiltinAlgorithm]
    IMAGE_CLASSIFICATION: ClassVar[BuiltinAlgorithm]

    @staticmethod
    def of(repository: str, family: str, default_version: str = "1") -> BuiltinAlgorithm:
        """An algorithm not listed here, in a family of :data:`~constructs_ml.develop.image_accounts.IMAGE_ACCOUNTS`."""
        return BuiltinAlgorithm(repository, family, default_version)


BuiltinAlgorithm.XGBOOST = BuiltinAlgorithm("sagemaker-xgboost", "XGBoost", "1.7-1")
BuiltinAlgorithm.LINEAR_LEARNER = BuiltinAlgorithm("linear-learner", "AlgorithmsA", "1")
BuiltinAlgorithm.KMEANS = BuiltinAlgorithm("kmeans", "AlgorithmsA", "1")
BuiltinAlgorithm.PCA = BuiltinAlgorithm("pca", "AlgorithmsA", "1")
BuiltinAlgorithm.BLAZINGTEXT = BuiltinAlgorithm("blazingtext", "AlgorithmsB", "1")
BuiltinAlgorithm.SEQ2SEQ = BuiltinAlgorithm("seq2seq", "AlgorithmsB", "1")
BuiltinAlgorithm.OBJECT_DETECTION = BuiltinAlgorithm("object-detection", "AlgorithmsB", "1")
BuiltinAlgorithm.IMAGE_CLASSIFICATION = BuiltinAlgorithm("image-classification", "AlgorithmsB", "1")


class ContainerImage:
    """An image for a SageMaker job or model. Create with the static factories.

    Three kinds of image:

    * built-in algorithms (:meth:`builtin`): AWS-owned, per-region registry resolved by :meth:`bind`;
    * images by URI (:meth:`from_uri`): AWS framework images (deep learning containers, Model Monitor,
      Clarify) and other images SageMaker pulls with its own access;
    * images in repositories you own (:meth:`from_ecr_repository`, :meth:`from_tarball`): execution
      roles get pull rights on exactly that repository (:meth:`pull_statements`, :meth:`grant_pull`).

    :meth:`bind` returns the image URI in a scope (creating the region mapping of built-in algorithms
    once per stack in an environment-agnostic stack); :meth:`validate` records problems (a region where
    AWS does not publish the image, an unknown family, a bad tag).

    Attributes:
        algorithm: the built-in algorithm, or None.
        version: the built-in algorithm's image tag, or None.
        repository: the ECR repository you own that holds the image, or None for AWS-owned images.
        description: a human-readable name (the URI, the algorithm or the tarball file).
    """

    def __init__(
        self,
        uri: str | None = None,
        repository: ecr.IRepository | None = None,
        *,
        algorithm: BuiltinAlgorithm | None = None,
        version: str | None = None,
        description: str = "",
    ) -> None:
        """Prefer the static factories. Give exactly one of ``uri`` and ``algorithm``.

        Args:
            uri: the image URI (images that are not built-in algorithms).
            repository: the repository you own that holds ``uri`` (pull rights for execution roles):
                none (an AWS-owned image, pulled by SageMaker with its own access).
            algorithm: a built-in algorithm (its URI depends on the region, see :meth:`bind`).
            version: the built-in algorithm's image tag: the algorithm's ``default_version``.
            description: a human-readable name: the URI or the algorithm's repository.
        """
        if (uri is None) == (algorithm is None):
            raise ValueError("ContainerImage: give exactly one of uri and algorithm (use the static factories)")
        if algorithm is not None and repository is not None:
            raise ValueError("ContainerImage: a built-in algorithm image has no repository of yours")
        self._uri = uri
        self.algorithm = algorithm
        self.version = version or (algorithm.default_version if algorithm else None)
        self.repository = repository
        self.description = description or uri or (algorithm.repository if algorithm else "")

    @staticmethod
    def builtin(algorithm: BuiltinAlgorithm, version: str | None = None) -> ContainerImage:
        """A built-in algorithm image, e.g. ``builtin(BuiltinAlgorithm.XGBOOST, "1.7-1")``.

        Args:
            algorithm: the algorithm.
            version: the image tag: the algorithm's ``default_version`` (``1`` for first-party
                algorithms, ``1.7-1`` for XGBoost).
        """
        return ContainerImage(algorithm=algorithm, version=version or algorithm.default_version)

    @staticmethod
    def from_uri(uri: str) -> ContainerImage:
        """An AWS-owned image by explicit URI (``<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>``).

        For framework images (deep learning containers), Model Monitor, Clarify and other images
        SageMaker pulls with its own access: :meth:`pull_statements` is empty, so a model's role gets
        no ECR permission. Use :meth:`from_ecr_repository` for repositories of your own, so execution
        roles get pull rights scoped to exactly them.
        """
        return ContainerImage(uri=uri)

    @staticmethod
    def from_ecr_repository(repository: ecr.IRepository, tag_or_digest: str = "latest") -> ContainerImage:
        """An image in an ECR repository you own; job and model roles get pull rights on that repository only.

        Args:
            repository: the repository.
            tag_or_digest: a tag (``v1``) or digest (``sha256:...``), positional: ``latest`` (prefer an
                immutable tag or a digest).
        """
        return ContainerImage(uri=repository.repository_uri_for_tag_or_digest(tag_or_digest), repository=repository)

    @staticmethod
    def from_tarball(scope: Construct, construct_id: str, tarball_file: str) -> ContainerImage:
        """An image from a ``docker save`` tarball, published as a CDK asset (no Docker at synth)."""
        asset = ecr_assets.TarballImageAsset(scope, construct_id, tarball_file=tarball_file)
        return ContainerImage(uri=asset.image_uri, repository=asset.repository, description=tarball_file)

    def bind(self, scope: Construct) -> str:
        """The image URI as seen from ``scope`` (a built-in algorithm is looked up for the stack's region).

        In a stack without a concrete region, a built-in algorithm's registry account comes from a
        CloudFormation mapping (created once per stack) keyed by ``AWS::Region``.

        Raises:
            ValidationError: a built-in algorithm in a concrete region where AWS does not publish it.
        """
        if self._uri is not None:
            return self._uri
        assert self.algorithm is not None and self.version is not None
        stack = stack_of(scope)
        env = env_of(stack)
        account = image_account(scope, self.algorithm.family, prop="image", image=self._builtin_name, remedy=_REMEDY)
        return f"{account}.dkr.ecr.{env.region}.{env.url_suffix}/{self.algorithm.repository}:{self.version}"

    def validate(self, scope: Construct, problems: Problems, prop: str) -> None:
        """Record problems with this image for a job or model in ``scope`` (unsupported region, bad tag, bad URI)."""
        if self._uri is not None and not is_unresolved(self._uri):
            problems.require(
                isinstance(self._uri, str) and len(self._uri) <= 255 and _IMAGE_URI.match(self._uri) is not None,
                prop,
                self._uri,
                "an image URI <registry>/<repository>[:<tag>|@sha256:<digest>], at most 255 characters "
                "(e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1.4.0)",
            )
        if self.algorithm is None:
            return
        check_region(problems, stack_env(scope).region, self.algorithm.family, prop, self._builtin_name, _REMEDY)
        problems.require(bool(_TAG.match(self.version or "")), prop, self.version, "a valid image tag")

    @property
    def _builtin_name(self) -> str:
        assert self.algorithm is not None
        return f"{self.algorithm.repository}:{self.version}"

    def repository_arn(self, scope: Construct) -> str | None:
        """The ECR repository ARN of this image (pipeline job roles' pull grants), or None for a URI that is not ECR.

        Unlike :meth:`pull_statements`, this names AWS-owned repositories too (built-in algorithms,
        ECR URIs given to :meth:`from_uri`).
        """
        if self.repository is not None:
            return self.repository.repository_arn
        stack = stack_of(scope)
        env = env_of(stack)
        if self.algorithm is not None:
            uri = self.bind(scope)
            account = uri.split(".dkr.ecr.", 1)[0]
            return f"arn:{env.partition}:ecr:{env.region}:{account}:repository/{self.algorithm.repository}"
        match = _ECR_URI.match(self._uri or "")
        if match is None:
            return None
        account, region, repo = match.group(1), match.group(2), match.group(3)
        return f"arn:{env.partition}:ecr:{region}:{account}:repository/{repo}"

    def grant_pull(self, grantee: iam.IGrantable) -> iam.Grant | None:
        """Let ``grantee`` pull this image: ECR pull on the repository (none for AWS-owned registries)."""
        if self.repository is None:
            return None
        return self.repository.grant_pull(grantee)

    def pull_statements(self) -> list[iam.PolicyStatement]:
        """What an execution role needs to pull this image: ECR pull on exactly its repository.

        Nothing for AWS-owned images (built-in algorithms, framework images by URI): SageMaker pulls
        them with its own access, so the role gets no ECR permission at all.
        """
        if self.repository is None:
            return []
        return [
            iam.PolicyStatement(
                actions=["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                resources=[self.repository.repository_arn],
            ),
            iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
        ]

    @property
    def is_builtin(self) -> bool:
        """Whether this is a built-in algorithm image (its URI depends on the region: use :meth:`bind`)."""
        return self.algorithm is not None

    @property
    def image_uri(self) -> str:
        """The image URI of an image given by URI or repository.

        Raises:
            ValueError: for a built-in algorithm, whose URI depends on the stack's region; use
                :meth:`bind` with a scope instead.
        """
        if self._uri is None:
            raise ValueError(
                f"ContainerImage.builtin({self.description!r}): the URI depends on the stack's region; use bind(scope)"
            )
        return self._uri

    def __repr__(self) -> str:
        if self.algorithm is not None:
            return f"ContainerImage.builtin({self.algorithm.repository!r}, {self.version!r})"
        return f"ContainerImage({self._uri!r})"


__all__ = ["REGISTRY_ACCOUNTS", "BuiltinAlgorithm", "ContainerImage"]
