"""Workload contracts: the AWS calls and network paths each role's workload needs, evaluated offline.

Record a contract next to the role that serves the workload (:class:`WorkloadContract`), synthesize,
then check the cloud assembly (:func:`check_assembly`, or ``python -m constructs_ml.contracts cdk.out``).
Every role the library creates carries its contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_ml.contracts.check import ContractChecker, ContractReport, Finding, check_assembly
    from constructs_ml.contracts.model import METADATA_TYPE, Call, Reach, WorkloadContract

_EXPORTS: dict[str, str] = {
    "Call": "constructs_ml.contracts.model",
    "ContractChecker": "constructs_ml.contracts.check",
    "ContractReport": "constructs_ml.contracts.check",
    "Finding": "constructs_ml.contracts.check",
    "METADATA_TYPE": "constructs_ml.contracts.model",
    "Reach": "constructs_ml.contracts.model",
    "WorkloadContract": "constructs_ml.contracts.model",
    "check_assembly": "constructs_ml.contracts.check",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "METADATA_TYPE",
    "Call",
    "ContractChecker",
    "ContractReport",
    "Finding",
    "Reach",
    "WorkloadContract",
    "check_assembly",
]
