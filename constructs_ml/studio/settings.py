"""Value types of the Studio constructs: personas, auth mode, idle shutdown, sharing, storage, Canvas."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_ml._jsii_cache import is_unresolved
from constructs_ml.errors import Problems
from constructs_ml.foundation.personas import PersonaKind, Personas
from constructs_ml.foundation.roles import ManagedPolicyRole


def persona_key(persona: str | enum.Enum) -> str:
    """The persona's name: the enum value (``PersonaKind.DATA_SCIENTIST`` -> ``"data-scientist"``) or the string."""
    return str(persona.value) if isinstance(persona, enum.Enum) else persona


#: Personas that must never be a Studio execution role (SM-03): human admin roles are not for notebooks.
FORBIDDEN_STUDIO_PERSONAS: frozenset[str] = frozenset({PersonaKind.PLATFORM_ADMIN.value})


@dataclass(frozen=True)
class StudioPersona:
    """A kind of Studio user: the execution role their apps run as, and extra security groups.

    Attributes:
        kind: the persona (``PersonaKind.DATA_SCIENTIST`` or a name such as ``"data-scientist"``).
        execution_role: the role Studio apps of this persona run as: a :class:`ManagedPolicyRole`
            (grants then land in its managed policy) or a role of this app, so the domain can add
            ``sts:SetSourceIdentity`` to its trust policy, which ``ExecutionRoleIdentityConfig=USER_PROFILE_NAME``
            requires; an imported role must allow that itself.
        security_groups: security groups added to the domain's for this persona's users: none.
    """

    kind: str | enum.Enum
    execution_role: iam.IRole | ManagedPolicyRole
    security_groups: Sequence[ec2.ISecurityGroup] = ()

    @property
    def name(self) -> str:
        return persona_key(self.kind)

    @property
    def role(self) -> iam.IRole:
        """The execution role as an ``iam.IRole``."""
        r = self.execution_role
        return r.role if isinstance(r, ManagedPolicyRole) else r

    @property
    def grantee(self) -> iam.IGrantable:
        """Where grants go: the role's managed policy for a :class:`ManagedPolicyRole` (no inline policies)."""
        return self.execution_role

    @classmethod
    def from_personas(
        cls, personas: Personas, kind: PersonaKind, *, security_groups: Sequence[ec2.ISecurityGroup] = ()
    ) -> StudioPersona:
        """The persona's Studio execution role from the platform's :class:`Personas`."""
        return cls(kind, personas.studio_execution_role(kind), tuple(security_groups))

    @classmethod
    def all_from(cls, personas: Personas) -> list[StudioPersona]:
        """Every persona that has a Studio execution role (data scientist first: the domain default)."""
        out: list[StudioPersona] = []
        for kind in (PersonaKind.DATA_SCIENTIST, PersonaKind.ML_ENGINEER):
            try:
                out.append(cls.from_personas(personas, kind))
            except KeyError:
                continue
        return out


class StudioAuth(enum.Enum):
    """How people sign in to Studio.

    ``IAM``: users open Studio through ``CreatePresignedDomainUrl`` (granted per profile, only through
    the VPC endpoints). ``IDENTITY_CENTER``: users sign in through IAM Identity Center; every user
    profile then needs the Identity Center user name (``sso_user_name``), and the organization's
    Identity Center instance must be in the domain's region.
    """

    IAM = "IAM"
    IDENTITY_CENTER = "SSO"


class AppInstanceType:
    """Instance types for Studio apps; any other with :meth:`of` (e.g. ``AppInstanceType.of("ml.g5.xlarge")``)."""

    ML_T3_MEDIUM: AppInstanceType
    ML_T3_LARGE: AppInstanceType
    ML_M5_LARGE: AppInstanceType
    ML_M5_XLARGE: AppInstanceType
    ML_C5_XLARGE: AppInstanceType
    ML_G5_XLARGE: AppInstanceType

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def of(cls, name: str) -> AppInstanceType:
        return cls(name)

    def __repr__(self) -> str:
        return f"AppInstanceType({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AppInstanceType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def check(self, problems: Problems, prop: str) -> None:
        problems.require(
            self.name == "system" or (self.name.startswith("ml.") and self.name.count(".") == 2),
            prop,
            self.name,
            "an instance type like 'ml.t3.medium'",
        )


AppInstanceType.ML_T3_MEDIUM = AppInstanceType("ml.t3.medium")
AppInstanceType.ML_T3_LARGE = AppInstanceType("ml.t3.large")
AppInstanceType.ML_M5_LARGE = AppInstanceType("ml.m5.large")
AppInstanceType.ML_M5_XLARGE = AppInstanceType("ml.m5.xlarge")
AppInstanceType.ML_C5_XLARGE = AppInstanceType("ml.c5.xlarge")
AppInstanceType.ML_G5_XLARGE = AppInstanceType("ml.g5.xlarge")


class StudioMlTool(enum.Enum):
    """Machine-learning tools of Studio's navigation pane that a domain can hide (``HiddenMlTools``)."""

    DATA_WRANGLER = "DataWrangler"
    FEATURE_STORE = "FeatureStore"
    EMR_CLUSTERS = "EmrClusters"
    AUTO_ML = "AutoMl"
    EXPERIMENTS = "Experiments"
    TRAINING = "Training"
    MODEL_EVALUATION = "ModelEvaluation"
    PIPELINES = "Pipelines"
    MODELS = "Models"
    JUMP_START = "JumpStart"
    INFERENCE_RECOMMENDER = "InferenceRecommender"
    ENDPOINTS = "Endpoints"
    PROJECTS = "Projects"
    INFERENCE_OPTIMIZATION = "InferenceOptimization"
    HYPER_POD_CLUSTERS = "HyperPodClusters"


@dataclass(frozen=True)
class IdleShutdown:
    """Idle shutdown of JupyterLab and Code Editor apps, through SageMaker's built-in idle settings.

    Built-in settings (``AppLifecycleManagement.IdleSettings``) are the default because SageMaker itself
    enforces them: users cannot remove them by editing a script, they need no package from the internet
    (a VPC-only domain has none) and no ``DeleteApp`` permission on the execution role. Users may choose
    their own timeout between ``min_timeout`` and ``max_timeout``. For older images or Studio Classic,
    add :meth:`StudioLifecycleConfig.idle_shutdown` as well.

    Attributes:
        idle_timeout: how long an app may be idle before it is stopped: one hour (60..525600 minutes).
        min_timeout: the shortest timeout a user may set: one hour.
        max_timeout: the longest timeout a user may set: four hours.
    """

    idle_timeout: Duration = field(default_factory=lambda: Duration.hours(1))
    min_timeout: Duration = field(default_factory=lambda: Duration.hours(1))
    max_timeout: Duration = field(default_factory=lambda: Duration.hours(4))

    def check(self, problems: Problems, prop: str) -> None:
        minutes = [self.idle_timeout.to_minutes(), self.min_timeout.to_minutes(), self.max_timeout.to_minutes()]
        if any(is_unresolved(m) for m in minutes):
            return
        idle, low, high = minutes
        for name, value in (("idle_timeout", idle), ("min_timeout", low), ("max_timeout", high)):
            problems.require_range(f"{prop}.{name} (minutes)", value, 60, 525600)
        problems.require(
            low <= idle <= high,
            f"{prop}.idle_timeout (minutes)",
            idle,
            f"between min_timeout ({low}) and max_timeout ({high})",
        )

    def to_cfn(self) -> dict[str, Any]:
        """The ``AppLifecycleManagement`` property."""
        return {
            "IdleSettings": {
                "LifecycleManagement": "ENABLED",
                "IdleTimeoutInMinutes": int(self.idle_timeout.to_minutes()),
                "MinIdleTimeoutInMinutes": int(self.min_timeout.to_minutes()),
                "MaxIdleTimeoutInMinutes": int(self.max_timeout.to_minutes()),
            }
        }


@dataclass(frozen=True)
class NotebookSharing:
    """Let users share notebooks (with cell output) to S3, encrypted with the platform key (SM-04).

    Attributes:
        bucket: the bucket shared notebooks go to (e.g. ``PlatformBuckets.artifacts.bucket``).
        key: the KMS key shared notebooks are encrypted with.
        prefix: the prefix in the bucket: ``studio-sharing/``.
    """

    bucket: s3.IBucket
    key: kms.IKey
    prefix: str = "studio-sharing/"

    def to_cfn(self) -> dict[str, Any]:
        return {
            "NotebookOutputOption": "Allowed",
            "S3OutputPath": f"s3://{self.bucket.bucket_name}/{self.prefix}",
            "S3KmsKeyId": self.key.key_arn,
        }


#: Sharing turned off: the default.
SHARING_DISABLED: dict[str, Any] = {"NotebookOutputOption": "Disabled"}


@dataclass(frozen=True)
class SpaceStorage:
    """EBS storage of private spaces.

    Attributes:
        default_size_gb: the volume size of a new space: 5 GB.
        max_size_gb: the largest size a user may choose: 100 GB.
    """

    default_size_gb: int = 5
    max_size_gb: int = 100

    def check(self, problems: Problems, prop: str) -> None:
        problems.require_range(f"{prop}.default_size_gb", self.default_size_gb, 5, 16384)
        problems.require_range(f"{prop}.max_size_gb", self.max_size_gb, 5, 16384)
        problems.require(
            self.default_size_gb <= self.max_size_gb,
            f"{prop}.default_size_gb",
            self.default_size_gb,
            f"<= max_size_gb ({self.max_size_gb})",
        )

    def to_cfn(self) -> dict[str, Any]:
        return {
            "DefaultEbsStorageSettings": {
                "DefaultEbsVolumeSizeInGb": self.default_size_gb,
                "MaximumEbsVolumeSizeInGb": self.max_size_gb,
            }
        }


@dataclass(frozen=True)
class CanvasSettings:
    """SageMaker Canvas settings for the domain's users.

    CloudFormation has no property for them (neither ``AWS::SageMaker::Domain`` nor
    ``AWS::SageMaker::UserProfile`` has ``CanvasAppSettings``; the API's ``UpdateDomain`` does). The
    domain therefore hides Canvas unless these settings are given; when they are, it shows Canvas and
    publishes the exact ``UpdateDomain`` request (:meth:`StudioDomain.canvas_update_request`, a stack
    output) to apply once after deploy, and says so in a warning.

    Attributes:
        workspace_bucket: where Canvas keeps its artifacts (e.g. ``PlatformBuckets.artifacts.bucket``).
        workspace_key: the KMS key for them.
        workspace_prefix: the prefix in the bucket: ``canvas/``.
        time_series_forecasting: allow time-series forecasting: off.
        model_registration: allow registering Canvas models in the model registry: off.
        direct_deploy: allow deploying models to endpoints from Canvas: off (deployments go through
            the platform's approval flow).
        kendra: allow document querying with Amazon Kendra: off.
    """

    workspace_bucket: s3.IBucket
    workspace_key: kms.IKey
    workspace_prefix: str = "canvas/"
    time_series_forecasting: bool = False
    model_registration: bool = False
    direct_deploy: bool = False
    kendra: bool = False

    def to_api(self, stack: Stack) -> dict[str, Any]:
        """``CanvasAppSettings`` as the SageMaker API takes it, tokens resolved against ``stack``."""

        def status(on: bool) -> dict[str, str]:
            return {"Status": "ENABLED" if on else "DISABLED"}

        settings: dict[str, Any] = {
            "TimeSeriesForecastingSettings": status(self.time_series_forecasting),
            "ModelRegisterSettings": status(self.model_registration),
            "WorkspaceSettings": {
                "S3ArtifactPath": f"s3://{self.workspace_bucket.bucket_name}/{self.workspace_prefix}",
                "S3KmsKeyId": self.workspace_key.key_arn,
            },
            "DirectDeploySettings": status(self.direct_deploy),
            "KendraSettings": status(self.kendra),
        }
        return settings


def canvas_request_json(stack: Stack, domain_id: str, canvas: CanvasSettings) -> str:
    """The ``UpdateDomain`` request body (with tokens) that applies ``canvas`` to a domain."""
    body = {"DomainId": domain_id, "DefaultUserSettings": {"CanvasAppSettings": canvas.to_api(stack)}}
    return stack.to_json_string(body)
