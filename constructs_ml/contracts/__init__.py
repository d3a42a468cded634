"""Workload contracts: the AWS calls and network paths each role's workload needs, evaluated offline.

Record a contract next to the role that serves the workload (:class:`WorkloadContract`), synthesize,
then check the cloud assembly (:func:`check_assembly`, or ``python -m constructs_ml.contracts cdk.out``).
Every role the library creates carries its contract.
"""

from constructs_ml.contracts.check import ContractChecker, ContractReport, Finding, check_assembly
from constructs_ml.contracts.model import METADATA_TYPE, Call, Reach, WorkloadContract

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
