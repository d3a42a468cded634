"""The network stack: the permissions boundary, the platform keys and the isolated VPC.

The boundary and keys live here because every later stack needs them and this stack deploys first:
the flow-log group is encrypted with the logs key, and the flow-log role already carries the boundary.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_ml.foundation import MlNetwork, PermissionsBoundary, PlatformKeys, apply_permissions_boundary
from stacks.config import PlatformConfig

#: CloudWatch Logs retention values by number of days.
RETENTION_BY_DAYS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class NetworkStack(Stack):
    """Permissions boundary, KMS keys and the isolated SageMaker VPC.

    Attributes:
        boundary: the platform permissions boundary (None when the config turns it off).
        keys: the platform keys.
        network: the platform network.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: PlatformConfig, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description="constructs-ml reference platform: network and keys", **kwargs
        )
        self.boundary: PermissionsBoundary | None = None
        if config.permissions_boundary:
            self.boundary = PermissionsBoundary(
                self, "PermissionsBoundary", managed_policy_name=boundary_policy_name(config)
            )
            apply_permissions_boundary(self, self.boundary.policy)
        self.keys = PlatformKeys(self, "Keys", alias_prefix=config.name)
        self.network = MlNetwork(
            self,
            "Network",
            logs_key=self.keys.logs,
            cidr=config.network.cidr,
            max_azs=config.network.max_azs,
            s3_prefix_list_id=config.network.s3_prefix_list_id,
            dynamodb_prefix_list_id=config.network.dynamodb_prefix_list_id,
            flow_log_retention=RETENTION_BY_DAYS[config.network.flow_log_retention_days],
        )
        if self.boundary is not None and self.network.owns_vpc:
            # CDK's default-security-group provider role carries the boundary: let it do its one job
            self.boundary.allow_default_security_group_rules(self.network.vpc)


def boundary_policy_name(config: PlatformConfig) -> str:
    """The permissions boundary's fixed policy name (so other stacks can refer to it by name)."""
    return f"{config.name}-permissions-boundary"
