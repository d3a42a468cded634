"""Label → train: the manifest a labeling workflow publishes is new data the retraining trigger acts on.

The workflow's copy step writes ``<publish_to>/<job>.manifest``; the resulting S3 "Object Created" event must
match the ``RetrainingTrigger``'s new-data rule (``new_data_pattern``) and be accepted by the retraining
function's own event parser as a ``new-data`` trigger with the manifest's URI.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_ml.label import LabelingTaskType, LabelingWorkflow, Workteam
from constructs_ml.operate.glue_function import lambda_code_root
from constructs_ml.operate.retraining_parts import new_data_pattern
from constructs_ml.serve import S3Path

if str(lambda_code_root()) not in sys.path:
    sys.path.insert(0, str(lambda_code_root()))

from retraining_trigger import config as retraining_config
from retraining_trigger import events as retraining_events

ACCOUNT, REGION, BUCKET = "111111111111", "eu-west-1", "ml-platform-data"
JOB = "churn-labels-0f8a7c1e-3b2d-4c5e-9f60-7a8b9c0d1e2f"
EVENT = Path(__file__).resolve().parents[1] / "lambdas" / "events" / "s3_object_created.json"


def _published_key() -> str:
    stack = Stack(App(), "T", env=Environment(account=ACCOUNT, region=REGION))
    data = s3.Bucket.from_bucket_name(stack, "Data", BUCKET)
    key = kms.Key.from_key_arn(stack, "Key", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    flow = LabelingWorkflow(
        stack,
        "Flow",
        workteam=Workteam.from_workteam_arn(
            stack, "Team", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:workteam/private-crowd/labelers"
        ),
        task_type=LabelingTaskType.TEXT_CLASSIFICATION,
        manifest=S3Path(data, "churn/labeling/input.manifest"),
        ui_template=S3Path(data, "labeling/text.liquid.html"),
        output=S3Path(data, "churn/labeling/output"),
        publish_to=S3Path(data, "churn/incoming"),
        job_name_prefix="churn-labels",
        key=key,
        log_key=key,
    )
    machine = flow.state_machine.node.default_child
    definition = json.loads(_joined(stack.resolve(machine.definition_string)))  # type: ignore[union-attr]
    parameters = definition["States"]["Publish manifest"]["Parameters"]
    assert parameters["Bucket"] == BUCKET
    match = re.fullmatch(r"States\.Format\('([^']*)', \$\.labelingJobName\)", parameters["Key.$"])
    assert match, parameters["Key.$"]
    return match.group(1).replace("{}", JOB)


def _joined(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "".join(p if isinstance(p, str) else "aws" for p in value["Fn::Join"][1])


def _object_created(key: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads(EVENT.read_text()))
    event.update(account=ACCOUNT, region=REGION, resources=[f"arn:aws:s3:::{BUCKET}"])
    event["detail"]["bucket"]["name"] = BUCKET
    event["detail"]["object"]["key"] = key
    event["detail"]["reason"] = "CopyObject"
    return event


def test_the_published_manifest_matches_the_new_data_rule() -> None:
    key = _published_key()
    assert key == f"churn/incoming/{JOB}.manifest"
    pattern = new_data_pattern(BUCKET, "churn/incoming/")
    (prefix,) = [p["prefix"] for p in pattern.detail["object"]["key"]]  # type: ignore[index]
    assert key.startswith(prefix)
    assert pattern.detail["bucket"]["name"] == [BUCKET]  # type: ignore[index]


def test_the_retraining_function_takes_it_as_new_data() -> None:
    key = _published_key()
    config = retraining_config.load(
        {
            "PIPELINE_ARN": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:pipeline/churn-training",
            "IDEMPOTENCY_TABLE_NAME": "retraining-idempotency",
            "FUNCTION_TIMEOUT_SECONDS": "60",
            "DATA_BUCKET": BUCKET,
            "DATA_PREFIX": "churn/incoming/",
        }
    )
    trigger = retraining_events.parse(_object_created(key), config, ACCOUNT, REGION)
    assert isinstance(trigger, retraining_events.Trigger), trigger
    assert trigger.kind == retraining_events.KIND_NEW_DATA
    assert f"s3://{BUCKET}/{key}" in trigger.reason
