"""Governance: cdk-nag baseline, the reviewed acknowledgement allowlist, the SageMaker rule pack."""

from constructs_ml.governance.acknowledgements import ALLOWLIST, AllowedAcknowledgement, acknowledge
from constructs_ml.governance.baseline import NAG_PACK_NAMES, VALIDATION_CONTEXT, apply_governance, nag_packs
from constructs_ml.governance.sagemaker_checks import SageMakerChecks

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
