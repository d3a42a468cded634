"""Configuration of the retraining trigger, read from environment variables and validated once.

See the module docstring of :mod:`retraining_trigger.handler` for the contract (names, meaning,
defaults). Every problem is reported at once in one :class:`ConfigError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from glue_common import environment

PIPELINE_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"pipeline/(?P<name>(?=[a-zA-Z0-9-]{1,256}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*)$"
)
ALARM_ARN_RE = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$")
SCHEDULE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:monitoring-schedule/.+$")
PARAMETER_NAME_RE = re.compile(r"^[A-Za-z0-9\-_]{1,256}$")
#: An S3 bucket name (general purpose buckets: 3..63 of lower-case letters, digits, dots and hyphens).
BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
TABLE_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")

#: Defaults of the optional variables.
DEFAULT_COOLDOWN_SECONDS = 3600
DEFAULT_IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600
#: A claim outlives its invocation's deadline by at most this much (clock skew between Lambda hosts).
LEASE_MARGIN_SECONDS = 10
DEFAULT_INPUT_DATA_PARAMETER = "InputDataUrl"
DEFAULT_TRIGGER_REASON_PARAMETER = "TriggerReason"


class ConfigError(environment.ConfigError):
    """The function's environment is invalid; the message lists every problem."""

    function = "retraining-trigger"


@dataclass(frozen=True)
class Config:
    """Validated configuration.

    Attributes:
        pipeline_arn: the pipeline to start.
        pipeline_name: its name (last ARN segment).
        pipeline_account: the account that owns it.
        pipeline_region: its region.
        table_name: the DynamoDB idempotency table.
        function_timeout_seconds: the function's configured timeout (``FUNCTION_TIMEOUT_SECONDS``).
        cooldown_seconds: no new start within this many seconds of the pipeline's last start.
        idempotency_ttl_seconds: how long a processed event id is remembered.
        data_bucket: S3 events must come from this bucket (None: any bucket the rule forwards).
        data_prefix: S3 object keys must start with this prefix.
        input_data_parameter: pipeline parameter that receives the new data's S3 URI (None: not passed).
        trigger_reason_parameter: pipeline parameter that receives the trigger kind (None: not passed).
        alarm_arns: alarms allowed to trigger (empty: any alarm the rule forwards).
        monitoring_schedule_arns: monitoring schedules allowed to trigger (empty: any).
    """

    pipeline_arn: str
    pipeline_name: str
    pipeline_account: str
    pipeline_region: str
    table_name: str
    function_timeout_seconds: int = 60
    cooldown_seconds: int = DEFAULT_COOLDOWN_SECONDS
    idempotency_ttl_seconds: int = DEFAULT_IDEMPOTENCY_TTL_SECONDS
    data_bucket: str | None = None
    data_prefix: str = ""
    input_data_parameter: str | None = DEFAULT_INPUT_DATA_PARAMETER
    trigger_reason_parameter: str | None = DEFAULT_TRIGGER_REASON_PARAMETER
    alarm_arns: frozenset[str] = frozenset()
    monitoring_schedule_arns: frozenset[str] = frozenset()

    @property
    def lease_seconds(self) -> int:
        """The longest a claim may block duplicates: the function's timeout plus :data:`LEASE_MARGIN_SECONDS`.

        The handler leases a claim until its own invocation's deadline (plus the margin), never longer,
        so a claim never outlives the invocation holding it: Lambda's retry of a timed-out invocation
        (about one and then two minutes later) finds the lease expired and takes the event over.
        """
        return self.function_timeout_seconds + LEASE_MARGIN_SECONDS

    def pipeline_ref(self, own_account: str | None, own_region: str | None) -> str:
        """The ``PipelineName`` to pass to SageMaker: the name in our own account and region, else the ARN."""
        if own_account == self.pipeline_account and own_region == self.pipeline_region:
            return self.pipeline_name
        return self.pipeline_arn


def _parameter_name(env: Mapping[str, str], name: str, default: str, problems: list[str]) -> str | None:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip()
    if not value:
        return None  # explicitly disabled
    if not PARAMETER_NAME_RE.match(value):
        problems.append(f"{name} must be a pipeline parameter name [A-Za-z0-9-_]{{1,256}} (got {value!r})")
    return value


def load(env: Mapping[str, str]) -> Config:
    """Read and validate the configuration.

    Args:
        env: the environment (``os.environ``).

    Returns:
        The validated configuration.

    Raises:
        ConfigError: listing every missing or invalid variable.
    """
    problems: list[str] = []
    pipeline_arn = env.get("PIPELINE_ARN", "").strip()
    match = PIPELINE_ARN_RE.match(pipeline_arn)
    if not pipeline_arn:
        problems.append("PIPELINE_ARN is required (the ARN of the SageMaker pipeline to start)")
    elif not match:
        problems.append(
            f"PIPELINE_ARN must be arn:<partition>:sagemaker:<region>:<account>:pipeline/<name> (got {pipeline_arn!r})"
        )
    table_name = env.get("IDEMPOTENCY_TABLE_NAME", "").strip()
    if not table_name:
        problems.append("IDEMPOTENCY_TABLE_NAME is required (the DynamoDB table of processed event ids)")
    elif not TABLE_NAME_RE.match(table_name):
        problems.append(f"IDEMPOTENCY_TABLE_NAME is not a valid DynamoDB table name (got {table_name!r})")
    cooldown = environment.integer(env, "COOLDOWN_SECONDS", DEFAULT_COOLDOWN_SECONDS, 0, 30 * 24 * 3600, problems)
    ttl = environment.integer(
        env, "IDEMPOTENCY_TTL_SECONDS", DEFAULT_IDEMPOTENCY_TTL_SECONDS, 3600, 365 * 24 * 3600, problems
    )
    timeout = environment.function_timeout(env, problems)
    alarm_arns = environment.csv(env, "ALARM_ARNS")
    problems.extend(f"ALARM_ARNS: {a!r} is not a CloudWatch alarm ARN" for a in alarm_arns if not ALARM_ARN_RE.match(a))
    schedule_arns = environment.csv(env, "MONITORING_SCHEDULE_ARNS")
    problems.extend(
        f"MONITORING_SCHEDULE_ARNS: {s!r} is not a monitoring schedule ARN"
        for s in schedule_arns
        if not SCHEDULE_ARN_RE.match(s)
    )
    data_bucket = env.get("DATA_BUCKET", "").strip() or None
    if data_bucket is not None and not BUCKET_NAME_RE.match(data_bucket):
        problems.append(
            f"DATA_BUCKET must be a bare S3 bucket name like 'my-data-bucket' (3..63 of a-z 0-9 . -), "
            f"not a URI or ARN (got {data_bucket!r})"
        )
    data_prefix = env.get("DATA_PREFIX", "").strip()
    if data_prefix.startswith(("s3://", "arn:", "/")) or "*" in data_prefix:
        problems.append(
            f"DATA_PREFIX must be a key prefix inside DATA_BUCKET like 'churn/incoming/' (no s3:// or arn:, "
            f"no leading '/', no wildcards) (got {data_prefix!r})"
        )
    input_param = _parameter_name(env, "INPUT_DATA_PARAMETER", DEFAULT_INPUT_DATA_PARAMETER, problems)
    reason_param = _parameter_name(env, "TRIGGER_REASON_PARAMETER", DEFAULT_TRIGGER_REASON_PARAMETER, problems)
    if problems or match is None:
        raise ConfigError(problems)
    return Config(
        pipeline_arn=pipeline_arn,
        pipeline_name=match["name"],
        pipeline_account=match["account"],
        pipeline_region=match["region"],
        table_name=table_name,
        cooldown_seconds=cooldown,
        idempotency_ttl_seconds=ttl,
        function_timeout_seconds=timeout,
        data_bucket=data_bucket,
        data_prefix=data_prefix,
        input_data_parameter=input_param,
        trigger_reason_parameter=reason_param,
        alarm_arns=frozenset(alarm_arns),
        monitoring_schedule_arns=frozenset(schedule_arns),
    )
