"""The Model Monitor backend's job definitions (``AWS::SageMaker::<Type>JobDefinition`` properties).

Used by :class:`~constructs_ml.operate.ModelMonitor` with ``backend=MonitorBackend.MODEL_MONITOR`` only.
The explainability job runs without network isolation: Clarify computes SHAP values by serving the model
on a shadow endpoint through the SageMaker API (SageMaker developer guide, "Configure a SageMaker Clarify
Processing Job": the analysis config's ``predictor`` names the model Clarify deploys), which an isolated
container cannot reach.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_kms as kms

from constructs_ml.instance_types import InstanceType
from constructs_ml.operate.monitor_config import (
    BatchTransformCapture,
    BiasMonitor,
    DataQualityMonitor,
    ExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorConfig,
    MonitoringType,
)
from constructs_ml.operate.schedule import PREFIX
from constructs_ml.serve.common import S3Path
from constructs_ml.serve.endpoint_base import EndpointBase


def job_input(c: MonitorConfig, endpoint: EndpointBase | None, batch: BatchTransformCapture | None) -> dict[str, Any]:
    """The ``<Type>JobInput`` of a monitor: the endpoint (or batch transform) input and where the fields are."""
    attrs = getattr(c, "attributes", None)
    extra: dict[str, Any] = {}
    if attrs is not None:
        for key, value in (
            ("FeaturesAttribute", attrs.features_attribute),
            ("InferenceAttribute", attrs.inference_attribute),
            ("ProbabilityAttribute", attrs.probability_attribute),
            ("ProbabilityThresholdAttribute", attrs.probability_threshold),
            ("StartTimeOffset", attrs.start_time_offset),
            ("EndTimeOffset", attrs.end_time_offset),
        ):
            if value is not None:
                extra[key] = value
    if not isinstance(c, BiasMonitor | ExplainabilityMonitor):
        extra.pop("FeaturesAttribute", None)
    if isinstance(c, ExplainabilityMonitor):
        for k in ("ProbabilityThresholdAttribute", "StartTimeOffset", "EndTimeOffset"):
            extra.pop(k, None)
    if isinstance(c, DataQualityMonitor):
        # Offsets join captured data with ground truth; the data-quality input has no such fields.
        for k in ("StartTimeOffset", "EndTimeOffset", "ProbabilityThresholdAttribute"):
            extra.pop(k, None)
    base = {
        "LocalPath": "/opt/ml/processing/input/endpoint",
        "S3DataDistributionType": "FullyReplicated",
        "S3InputMode": "File",
    }
    if endpoint is not None:
        return {"EndpointInput": {"EndpointName": endpoint.endpoint_name, **base, **extra}}
    assert batch is not None
    return {
        "BatchTransformInput": {
            "DataCapturedDestinationS3Uri": batch.captured.uri,
            "DatasetFormat": batch.format_property(),
            **base,
            "LocalPath": "/opt/ml/processing/input/batch",
            **extra,
        }
    }


def job_properties(
    c: MonitorConfig,
    *,
    endpoint: EndpointBase | None,
    batch: BatchTransformCapture | None,
    output: S3Path,
    image: str,
    role_arn: str,
    network: dict[str, Any],
    key: kms.IKey,
    instance_type: InstanceType,
    instance_count: int,
    volume: int,
    max_runtime: Duration,
) -> dict[str, Any]:
    """The properties of one ``AWS::SageMaker::<Type>JobDefinition``."""
    t = c.monitoring_type
    prefix = PREFIX[t]
    app: dict[str, Any] = {"ImageUri": image, "Environment": {"publish_cloudwatch_metrics": "Enabled"}}
    inputs: dict[str, Any] = job_input(c, endpoint, batch)
    baseline: dict[str, Any] | None = None
    if isinstance(c, DataQualityMonitor):
        if c.baseline is not None:
            baseline = {
                "ConstraintsResource": {"S3Uri": c.baseline.child("constraints.json").uri},
                "StatisticsResource": {"S3Uri": c.baseline.child("statistics.json").uri},
            }
    elif isinstance(c, ModelQualityMonitor):
        app["ProblemType"] = c.problem_type.value
        inputs["GroundTruthS3Input"] = {"S3Uri": c.ground_truth.uri}
        if c.baseline is not None:
            baseline = {"ConstraintsResource": {"S3Uri": c.baseline.child("constraints.json").uri}}
    else:
        app["ConfigUri"] = c.analysis_config.uri
        if isinstance(c, BiasMonitor):
            inputs["GroundTruthS3Input"] = {"S3Uri": c.ground_truth.uri}
        if c.baseline is not None:
            baseline = {"ConstraintsResource": {"S3Uri": c.baseline.child("analysis.json").uri}}
    props: dict[str, Any] = {
        f"{prefix}AppSpecification": app,
        f"{prefix}JobInput": inputs,
        f"{prefix}JobOutputConfig": {
            "KmsKeyId": key.key_arn,
            "MonitoringOutputs": [
                {
                    "S3Output": {
                        "LocalPath": "/opt/ml/processing/output",
                        "S3Uri": output.child(t.value).uri,
                        "S3UploadMode": "EndOfJob",
                    }
                }
            ],
        },
        "JobResources": {
            "ClusterConfig": {
                "InstanceCount": instance_count,
                "InstanceType": instance_type.name,
                "VolumeSizeInGB": volume,
                "VolumeKmsKeyId": key.key_arn,
            }
        },
        "NetworkConfig": {**network, "EnableNetworkIsolation": t is not MonitoringType.MODEL_EXPLAINABILITY},
        "RoleArn": role_arn,
        "StoppingCondition": {"MaxRuntimeInSeconds": int(max_runtime.to_seconds())},
    }
    if baseline is not None:
        props[f"{prefix}BaselineConfig"] = baseline
    if endpoint is not None:
        props["EndpointName"] = endpoint.endpoint_name
    return props


__all__ = ["job_input", "job_properties"]
