"""Studio: a VPC-only SageMaker Studio domain, user profiles, lifecycle configurations, MLflow, spaces,
custom images and a curated JumpStart hub."""

from constructs_ml.studio.domain import StudioDomain
from constructs_ml.studio.domain_base import DEFAULT_PROFILE_SESSION_TAG, StudioDomainBase
from constructs_ml.studio.hub import CuratedHub, CuratedHubBase, JumpStartModel
from constructs_ml.studio.image import ImageAppType, KernelSpec, StudioImage, StudioImageBase
from constructs_ml.studio.lifecycle import (
    MAX_CONTENT_CHARS,
    LifecycleContent,
    StudioAppType,
    StudioLifecycleConfig,
    StudioLifecycleConfigBase,
)
from constructs_ml.studio.mlflow import MlflowTrackingServer, TrackingServerSize
from constructs_ml.studio.settings import (
    AppInstanceType,
    CanvasSettings,
    IdleShutdown,
    NotebookSharing,
    SpaceStorage,
    StudioAuth,
    StudioMlTool,
    StudioPersona,
)
from constructs_ml.studio.space import SpaceAppType, SpaceSharing, StudioSpace
from constructs_ml.studio.user_profile import UserProfile, UserProfileBase

__all__ = [
    "DEFAULT_PROFILE_SESSION_TAG",
    "MAX_CONTENT_CHARS",
    "AppInstanceType",
    "CanvasSettings",
    "CuratedHub",
    "CuratedHubBase",
    "IdleShutdown",
    "ImageAppType",
    "JumpStartModel",
    "KernelSpec",
    "LifecycleContent",
    "MlflowTrackingServer",
    "NotebookSharing",
    "SpaceAppType",
    "SpaceSharing",
    "SpaceStorage",
    "StudioAppType",
    "StudioAuth",
    "StudioDomain",
    "StudioDomainBase",
    "StudioImage",
    "StudioImageBase",
    "StudioLifecycleConfig",
    "StudioLifecycleConfigBase",
    "StudioMlTool",
    "StudioPersona",
    "StudioSpace",
    "TrackingServerSize",
    "UserProfile",
    "UserProfileBase",
]
