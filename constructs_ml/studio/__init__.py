"""Studio: a VPC-only SageMaker Studio domain, user profiles, lifecycle configurations and MLflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
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

_EXPORTS: dict[str, str] = {
    "AppInstanceType": "constructs_ml.studio.settings",
    "CanvasSettings": "constructs_ml.studio.settings",
    "CuratedHub": "constructs_ml.studio.hub",
    "CuratedHubBase": "constructs_ml.studio.hub",
    "DEFAULT_PROFILE_SESSION_TAG": "constructs_ml.studio.domain_base",
    "IdleShutdown": "constructs_ml.studio.settings",
    "ImageAppType": "constructs_ml.studio.image",
    "JumpStartModel": "constructs_ml.studio.hub",
    "KernelSpec": "constructs_ml.studio.image",
    "LifecycleContent": "constructs_ml.studio.lifecycle",
    "MAX_CONTENT_CHARS": "constructs_ml.studio.lifecycle",
    "MlflowTrackingServer": "constructs_ml.studio.mlflow",
    "NotebookSharing": "constructs_ml.studio.settings",
    "SpaceAppType": "constructs_ml.studio.space",
    "SpaceSharing": "constructs_ml.studio.space",
    "SpaceStorage": "constructs_ml.studio.settings",
    "StudioAppType": "constructs_ml.studio.lifecycle",
    "StudioAuth": "constructs_ml.studio.settings",
    "StudioDomain": "constructs_ml.studio.domain",
    "StudioDomainBase": "constructs_ml.studio.domain_base",
    "StudioImage": "constructs_ml.studio.image",
    "StudioImageBase": "constructs_ml.studio.image",
    "StudioLifecycleConfig": "constructs_ml.studio.lifecycle",
    "StudioLifecycleConfigBase": "constructs_ml.studio.lifecycle",
    "StudioMlTool": "constructs_ml.studio.settings",
    "StudioPersona": "constructs_ml.studio.settings",
    "StudioSpace": "constructs_ml.studio.space",
    "TrackingServerSize": "constructs_ml.studio.mlflow",
    "UserProfile": "constructs_ml.studio.user_profile",
    "UserProfileBase": "constructs_ml.studio.user_profile",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
