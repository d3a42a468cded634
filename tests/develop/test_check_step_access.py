"""Check steps give their job role read access to the baselines they are given (both check kinds)."""

from __future__ import annotations

from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

from constructs_ml.develop import (
    ClarifyCheckStep,
    ClarifyCheckType,
    ContainerImage,
    QualityCheckStep,
    QualityCheckType,
    S3Location,
)
from constructs_ml.develop.pipeline.steps_base import ResourceAccess

IMAGE = ContainerImage.from_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/analyzer:latest")


def _bucket() -> s3.IBucket:
    return s3.Bucket.from_bucket_name(Stack(App(), "S"), "B", "baselines")


def test_clarify_check_reads_its_supplied_baseline() -> None:
    bucket = _bucket()
    baseline = S3Location(bucket, "bias/constraints.json")
    step = ClarifyCheckStep(
        "DataBias",
        check_type=ClarifyCheckType.DATA_BIAS,
        image=IMAGE,
        analysis_config=S3Location(bucket, "bias/analysis_config.json"),
        dataset=S3Location(bucket, "data/"),
        supplied_baseline_constraints=baseline,
    )
    access = ResourceAccess()
    step.collect(access)
    assert baseline in access.reads


def test_quality_check_reads_both_supplied_baselines() -> None:
    bucket = _bucket()
    statistics, constraints = S3Location(bucket, "q/statistics.json"), S3Location(bucket, "q/constraints.json")
    step = QualityCheckStep(
        "DataQuality",
        check_type=QualityCheckType.DATA_QUALITY,
        image=IMAGE,
        baseline_dataset=S3Location(bucket, "data/"),
        supplied_baseline_statistics=statistics,
        supplied_baseline_constraints=constraints,
    )
    access = ResourceAccess()
    step.collect(access)
    assert statistics in access.reads and constraints in access.reads
    assert access.reads.count(constraints) == 1
