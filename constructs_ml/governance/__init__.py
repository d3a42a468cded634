"""Governance: cdk-nag baseline, the reviewed acknowledgement allowlist, the SageMaker rule pack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_ml.governance.acknowledgements import ALLOWLIST, AllowedAcknowledgement, acknowledge
    from constructs_ml.governance.baseline import NAG_PACK_NAMES, VALIDATION_CONTEXT, apply_governance, nag_packs
    from constructs_ml.governance.sagemaker_checks import SageMakerChecks

_EXPORTS: dict[str, str] = {
    "ALLOWLIST": "constructs_ml.governance.acknowledgements",
    "AllowedAcknowledgement": "constructs_ml.governance.acknowledgements",
    "NAG_PACK_NAMES": "constructs_ml.governance.baseline",
    "SageMakerChecks": "constructs_ml.governance.sagemaker_checks",
    "VALIDATION_CONTEXT": "constructs_ml.governance.baseline",
    "acknowledge": "constructs_ml.governance.acknowledgements",
    "apply_governance": "constructs_ml.governance.baseline",
    "nag_packs": "constructs_ml.governance.baseline",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "ALLOWLIST",
    "NAG_PACK_NAMES",
    "VALIDATION_CONTEXT",
    "AllowedAcknowledgement",
    "SageMakerChecks",
    "acknowledge",
    "apply_governance",
    "nag_packs",
]
