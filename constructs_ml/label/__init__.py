"""Label: Ground Truth private workforce, work teams and labeling workflows.

Its own layer because labeling sits before ``develop`` in the loop (data → labels → training) and brings
its own services (Cognito, Step Functions); it uses ``foundation`` and the shared ``S3Path`` of
``serve.common``, and nothing uses it, so the layer arrows still point one way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_ml.label.task_types import BUILTIN_FUNCTION_ACCOUNTS, LabelingTaskType
    from constructs_ml.label.workflow import AutomatedLabeling, LabelingWorkflow
    from constructs_ml.label.workforce import PrivateWorkforce, WorkforceVpcAccess, Workteam, WorkteamRef

_EXPORTS: dict[str, str] = {
    "AutomatedLabeling": "constructs_ml.label.workflow",
    "BUILTIN_FUNCTION_ACCOUNTS": "constructs_ml.label.task_types",
    "LabelingTaskType": "constructs_ml.label.task_types",
    "LabelingWorkflow": "constructs_ml.label.workflow",
    "PrivateWorkforce": "constructs_ml.label.workforce",
    "WorkforceVpcAccess": "constructs_ml.label.workforce",
    "Workteam": "constructs_ml.label.workforce",
    "WorkteamRef": "constructs_ml.label.workforce",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BUILTIN_FUNCTION_ACCOUNTS",
    "AutomatedLabeling",
    "LabelingTaskType",
    "LabelingWorkflow",
    "PrivateWorkforce",
    "WorkforceVpcAccess",
    "Workteam",
    "WorkteamRef",
]
