"""Deploy-on-approval verifies the approved package's artifact before serving it (moto S3, SageMaker, SSM, CloudWatch).

The artifact is uploaded to a versioned bucket, the package is registered with the identity a
``RegisterModelStep`` records, and then either left alone (deployed) or tampered with (refused: nothing
created, nothing recorded, one ``ArtifactIntegrityFailures`` datum, an ERROR log line).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from deploy_on_approval import config as config_module
from deploy_on_approval import handler as deploy_handler
from deploy_on_approval import integrity
from moto import mock_aws
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends

from tests.lambdas.conftest import ACCOUNT, REGION, log_lines
from tests.lambdas.test_deploy_on_approval import (
    CAPTURE,
    ENDPOINT,
    ENV,
    GROUP,
    KMS_KEY,
    PARAMETER,
    ROLE_ARN,
    SECURITY_GROUPS,
    SUBNETS,
    Aws,
    approval,
    invoke,
    package_arn,
)

BUCKET = "ml-platform-artifacts"
KEY = "pipelines/churn/pipelines-abc123-Train-XyZ/output/model.tar.gz"
URL = f"s3://{BUCKET}/{KEY}"
NAMESPACE = "constructs-ml/DeployOnApproval"
PARTITION = "aws"
INTEGRITY_ENV = {**ENV, "ARTIFACT_LOCATIONS": f"s3://{BUCKET}/pipelines/churn"}


class Platform(Aws):
    """The moto clients of :class:`Aws` plus the artifacts bucket and CloudWatch."""

    def __init__(self) -> None:
        super().__init__()
        self.s3 = boto3.client("s3", region_name=REGION)
        self.cloudwatch = boto3.client("cloudwatch", region_name=REGION)

    def client(self, service: str) -> Any:
        return {"sagemaker": self.router, "ssm": self.ssm, "s3": self.s3, "cloudwatch": self.cloudwatch}[service]

    def register(self, url: str = URL, recorded: str | None = URL, status: str = "PendingManualApproval") -> str:
        metadata = {"constructs-ml:pipeline-execution-arn": "arn:aws:sagemaker:eu-west-1:111111111111:pipeline/x"}
        if recorded is not None:
            metadata[integrity.MODEL_DATA_URL_KEY] = recorded
        response = self.sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            CustomerMetadataProperties=metadata,
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                        "ModelDataUrl": url,
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )
        return str(response["ModelPackageArn"])

    def failures(self) -> float:
        stats = self.cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=integrity.METRIC_NAME,
            Dimensions=[{"Name": "EndpointName", "Value": ENDPOINT}],
            StartTime="2000-01-01T00:00:00Z",
            EndTime="2100-01-01T00:00:00Z",
            Period=60,
            Statistics=["Sum"],
        )
        return sum(float(p["Sum"]) for p in stats["Datapoints"])


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    """Version 1 approved and serving; the trained artifact uploaded; version 2 registered with its identity."""
    for name, value in INTEGRITY_ENV.items():
        monkeypatch.setenv(name, value)
    deploy_handler.settings.cache_clear()
    deploy_handler.client.cache_clear()
    with mock_aws():
        p = Platform()
        p.s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        p.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        p.s3.put_object(Bucket=BUCKET, Key="models/initial/model.tar.gz", Body=b"initial")
        p.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        assert p.register(url=f"s3://{BUCKET}/models/initial/model.tar.gz", recorded=None, status="Approved") == (
            package_arn(1)
        )
        p.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"the trained model")  # the training job's output
        assert p.register() == package_arn(2)  # the register step, after training and evaluation
        p.sagemaker.create_model(
            ModelName="churn-prod-initial",
            ExecutionRoleArn=ROLE_ARN,
            PrimaryContainer={"ModelPackageName": package_arn(1)},
            VpcConfig={"SecurityGroupIds": SECURITY_GROUPS, "Subnets": SUBNETS},
            EnableNetworkIsolation=True,
        )
        p.sagemaker.create_endpoint_config(
            EndpointConfigName="churn-prod-config-1",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "churn-prod-initial",
                    "InitialInstanceCount": 2,
                    "InstanceType": "ml.m5.large",
                    "InitialVariantWeight": 1.0,
                }
            ],
            DataCaptureConfig=CAPTURE,
            KmsKeyId=KMS_KEY,
        )
        p.sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-prod-config-1")
        p.ssm.put_parameter(Name=PARAMETER, Value=package_arn(1), Type="String")
        p.create_model_requests.clear()
        monkeypatch.setattr(deploy_handler, "client", p.client)
        p.stubber.activate()
        yield p
        p.stubber.deactivate()
    deploy_handler.settings.cache_clear()


def _registered_an_hour_ago() -> None:
    """Time passes: the job wrote the artifact two hours ago, the register step created version 2 an hour ago.

    moto stamps both with the current time; SageMaker and S3 would have stamped them when they happened.
    """
    artifact = s3_backends[ACCOUNT][PARTITION].buckets[BUCKET].keys.getlist(KEY)[-1]
    artifact.last_modified = artifact.last_modified - timedelta(hours=2)
    package = sagemaker_backends[ACCOUNT][REGION].model_packages[package_arn(2)]
    package.creation_time = package.creation_time - timedelta(hours=1)


def _approve(p: Platform, version: int = 2) -> None:
    """The approver approves. moto 5's UpdateModelPackage replaces the package's customer metadata with the
    request's (None when absent), where SageMaker keeps it, so the approval sends the metadata unchanged."""
    arn = package_arn(version)
    metadata = p.sagemaker.describe_model_package(ModelPackageName=arn).get("CustomerMetadataProperties") or {}
    p.sagemaker.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", CustomerMetadataProperties=metadata
    )


def _assert_refused(p: Platform, result: dict[str, Any], captured: str, why: str) -> None:
    assert result["decision"] == "refused"
    assert why in result["reason"]
    assert p.create_model_requests == []  # no model, no config, no update (the stubber has no response queued)
    assert p.model_names() == ["churn-prod-initial"]
    assert p.recorded() == (package_arn(1), 1)
    assert p.failures() == 1.0
    (line,) = [x for x in log_lines(captured) if x.get("decision") == "refused"]
    assert line["level"] == "ERROR" and why in line["reason"]


def test_an_untampered_artifact_is_verified_deployed_and_pinned(platform: Platform) -> None:
    _registered_an_hour_ago()  # and nothing touched the artifact since
    _approve(platform)
    config = config_module.load(INTEGRITY_ENV)
    from deploy_on_approval.deploy import resource_name
    from deploy_on_approval.events import PackageArn

    name = resource_name(config, PackageArn.parse(package_arn(2)))
    platform.expect_update(name)
    version = platform.s3.head_object(Bucket=BUCKET, Key=KEY)["VersionId"]

    result = invoke(approval(2))

    assert result["decision"] == "deployed", result
    assert result["artifact"]["url"] == URL and result["artifact"]["version_id"] == version
    (request,) = platform.create_model_requests
    tags = {t["Key"]: t["Value"] for t in request["Tags"]}
    assert tags["constructs-ml:model-data-version-id"] == version
    assert platform.recorded()[0] == package_arn(2)
    assert platform.failures() == 0.0


def test_an_artifact_overwritten_after_registration_is_refused(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    _registered_an_hour_ago()
    platform.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"a different model")  # tampered after evaluation
    _approve(platform)
    result = invoke(approval(2))
    _assert_refused(platform, result, capsys.readouterr().out, "after the package was created")


def test_an_artifact_deleted_and_rewritten_is_refused(platform: Platform, capsys: pytest.CaptureFixture[str]) -> None:
    _registered_an_hour_ago()
    platform.s3.delete_object(Bucket=BUCKET, Key=KEY)
    platform.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"a different model")
    _approve(platform)
    result = invoke(approval(2))
    _assert_refused(platform, result, capsys.readouterr().out, "after the package was created")


def test_a_package_serving_other_data_than_it_records_is_refused(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    other = f"s3://{BUCKET}/pipelines/churn/other/model.tar.gz"
    platform.s3.put_object(Bucket=BUCKET, Key=other.split("/", 3)[3], Body=b"x")
    assert platform.register(url=other) == package_arn(3)
    _approve(platform, 3)
    result = invoke(approval(3))
    _assert_refused(platform, result, capsys.readouterr().out, "differs from the recorded")


def test_a_package_without_a_recorded_identity_is_refused(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    assert platform.register(recorded=None) == package_arn(3)
    _approve(platform, 3)
    result = invoke(approval(3))
    _assert_refused(platform, result, capsys.readouterr().out, "records no constructs-ml:model-data-url")


def test_an_artifact_outside_the_artifact_locations_is_refused(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = f"s3://{BUCKET}/work/ml-engineer/model.tar.gz"
    platform.s3.put_object(Bucket=BUCKET, Key="work/ml-engineer/model.tar.gz", Body=b"x")
    assert platform.register(url=elsewhere, recorded=elsewhere) == package_arn(3)
    _approve(platform, 3)
    result = invoke(approval(3))
    _assert_refused(platform, result, capsys.readouterr().out, "outside the artifact locations")


def test_a_missing_artifact_is_refused(platform: Platform, capsys: pytest.CaptureFixture[str]) -> None:
    gone = f"s3://{BUCKET}/pipelines/churn/never-written/model.tar.gz"
    assert platform.register(url=gone, recorded=gone) == package_arn(3)
    _approve(platform, 3)
    result = invoke(approval(3))
    _assert_refused(platform, result, capsys.readouterr().out, "cannot be read (404")


def test_bad_artifact_locations_are_configuration_errors() -> None:
    with pytest.raises(config_module.ConfigError, match="ARTIFACT_LOCATIONS must be s3://"):
        config_module.load({**ENV, "ARTIFACT_LOCATIONS": "https://example.com/x"})
    with pytest.raises(config_module.ConfigError, match="METRIC_NAMESPACE"):
        config_module.load({**ENV, "METRIC_NAMESPACE": "AWS/SageMaker"})
