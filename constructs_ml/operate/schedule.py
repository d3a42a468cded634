"""One Model Monitor schedule and its job definition (backend ``MODEL_MONITOR``); metrics and alarms come
from :class:`~constructs_ml.operate.monitor_metrics.MonitorMetrics`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnResource
from constructs import Construct

from constructs_ml._jsii_cache import stack_of
from constructs_ml.operate.monitor_config import MonitoringType
from constructs_ml.operate.monitor_metrics import MonitorMetrics
from constructs_ml.serve.common import physical_name

PREFIX = {
    MonitoringType.DATA_QUALITY: "DataQuality",
    MonitoringType.MODEL_QUALITY: "ModelQuality",
    MonitoringType.MODEL_BIAS: "ModelBias",
    MonitoringType.MODEL_EXPLAINABILITY: "ModelExplainability",
}


class MonitoringScheduleRef(MonitorMetrics):
    """One monitor: its job definition, its schedule, its metrics and drift alarms.

    Attributes:
        monitoring_type: which monitor.
        job_definition: the ``AWS::SageMaker::<Type>JobDefinition``.
        schedule: the ``AWS::SageMaker::MonitoringSchedule`` (default child).
        monitoring_schedule_name: the schedule's name (a dimension of every metric it publishes).
        alarms: the drift alarms created from the config.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        monitoring_type: MonitoringType,
        endpoint_name: str | None,
        job_properties: dict[str, Any],
        schedule_expression: str,
        depends_on: Sequence[Construct],
    ) -> None:
        super().__init__(scope, construct_id)
        self.monitoring_type = monitoring_type
        self.endpoint_name = endpoint_name
        prefix = PREFIX[monitoring_type]
        stack = stack_of(self)
        # Job definitions are immutable; a name derived from their content makes every change a
        # create-new-then-delete-old replacement that CloudFormation can do with custom names.
        digest = hashlib.sha256(json.dumps(stack.resolve(job_properties), sort_keys=True).encode()).hexdigest()[:10]
        name = f"{physical_name(self, max_length=52)}-{digest}"
        self.job_definition = CfnResource(
            self,
            "JobDefinition",
            type=f"AWS::SageMaker::{prefix}JobDefinition",
            properties={"JobDefinitionName": name, **job_properties},
        )
        self.monitoring_schedule_name = physical_name(self)
        schedule_props: dict[str, Any] = {
            "MonitoringScheduleName": self.monitoring_schedule_name,
            "MonitoringScheduleConfig": {
                "MonitoringJobDefinitionName": name,
                "MonitoringType": monitoring_type.value,
                "ScheduleConfig": {"ScheduleExpression": schedule_expression},
            },
        }
        if endpoint_name is not None:
            schedule_props["EndpointName"] = endpoint_name
        self.schedule = CfnResource(
            self, "Resource", type="AWS::SageMaker::MonitoringSchedule", properties=schedule_props
        )
        self.schedule.add_dependency(self.job_definition)
        for d in depends_on:
            self.job_definition.node.add_dependency(d)
