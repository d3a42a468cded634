"""Label: Ground Truth private workforce, work teams and labeling workflows.

Its own layer because labeling sits before ``develop`` in the loop (data → labels → training) and brings
its own services (Cognito, Step Functions); it uses ``foundation`` and the shared ``S3Path`` of
``serve.common``, and nothing uses it, so the layer arrows still point one way.
"""

from constructs_ml.label.task_types import BUILTIN_FUNCTION_ACCOUNTS, LabelingTaskType
from constructs_ml.label.workflow import AutomatedLabeling, LabelingWorkflow
from constructs_ml.label.workforce import PrivateWorkforce, WorkforceVpcAccess, Workteam, WorkteamRef

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
