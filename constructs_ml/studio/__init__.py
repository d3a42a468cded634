"""Studio: a VPC-only SageMaker Studio domain, user profiles, lifecycle configurations and MLflow."""

from constructs_ml.studio.domain import StudioDomain
from constructs_ml.studio.domain_base import DEFAULT_PROFILE_SESSION_TAG, StudioDomainBase
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
    StudioPersona,
)
from constructs_ml.studio.user_profile import UserProfile, UserProfileBase

__all__ = [
    "DEFAULT_PROFILE_SESSION_TAG",
    "MAX_CONTENT_CHARS",
    "AppInstanceType",
    "CanvasSettings",
    "IdleShutdown",
    "LifecycleContent",
    "MlflowTrackingServer",
    "NotebookSharing",
    "SpaceStorage",
    "StudioAppType",
    "StudioAuth",
    "StudioDomain",
    "StudioDomainBase",
    "StudioLifecycleConfig",
    "StudioLifecycleConfigBase",
    "StudioPersona",
    "TrackingServerSize",
    "UserProfile",
    "UserProfileBase",
]
