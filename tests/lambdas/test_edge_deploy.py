"""edge-deploy: an approved model package becomes a Greengrass V2 component version and a thing-group deployment.

SageMaker (the registry) runs on moto. moto 5.2.1 emulates Greengrass V1 only, not the ``greengrassv2`` API,
so the Greengrass client is a real boto3 client under botocore's ``Stubber``: every request is validated
against the service model, and the expected requests are written out in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from edge_deploy import config as config_module
from edge_deploy import handler as edge_handler
from edge_deploy import logic
from moto import mock_aws

from constructs_ml.edge.deployment import model_recipe as library_recipe
from tests.lambdas.conftest import ACCOUNT, REGION, lambda_context, load_event, log_lines

GROUP = "churn"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/{GROUP}"
THING_GROUP = f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/store-gateways"
COMPONENT = "com.example.churn.Model"
LOCATION = "s3://ml-platform-artifacts/edge/churn"
ENV = {
    "MODEL_PACKAGE_GROUP_ARN": GROUP_ARN,
    "COMPONENT_NAME": COMPONENT,
    "THING_GROUP_ARN": THING_GROUP,
    "ARTIFACT_LOCATION": LOCATION,
    "ADDITIONAL_COMPONENTS": json.dumps({"aws.greengrass.Nucleus": "2.14.3"}),
    "FUNCTION_TIMEOUT_SECONDS": "60",
}


def package_arn(version: int) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/{version}"


def model_url(version: int) -> str:
    return f"{LOCATION}/{version}/model.onnx"


class Aws:
    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.greengrass = boto3.client("greengrassv2", region_name=REGION)
        self.stubber = Stubber(self.greengrass)

    def create_package(self, status: str, url: str) -> str:
        response = self.sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn:1", "ModelDataUrl": url}],
                "SupportedContentTypes": ["application/json"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
        )
        return str(response["ModelPackageArn"])

    def expect_latest(self, version: str | None) -> None:
        if version is None:
            self.stubber.add_response(
                "list_deployments", {"deployments": []}, {"targetArn": THING_GROUP, "historyFilter": "LATEST_ONLY"}
            )
            return
        self.stubber.add_response(
            "list_deployments",
            {"deployments": [{"deploymentId": "d-1", "targetArn": THING_GROUP}]},
            {"targetArn": THING_GROUP, "historyFilter": "LATEST_ONLY"},
        )
        self.stubber.add_response(
            "get_deployment", {"components": {COMPONENT: {"componentVersion": version}}}, {"deploymentId": "d-1"}
        )

    def expect_deploy(self, version: int, event_id: str, *, exists: bool = False) -> None:
        recipe = json.dumps(logic.model_recipe(COMPONENT, f"{version}.0.0", model_url(version))).encode()
        create = {"inlineRecipe": recipe, "clientToken": event_id}
        if exists:
            self.stubber.add_client_error(
                "create_component_version", "ConflictException", http_status_code=409, expected_params=create
            )
        else:
            self.stubber.add_response(
                "create_component_version",
                {
                    "componentName": COMPONENT,
                    "componentVersion": f"{version}.0.0",
                    "creationTimestamp": "2026-12-03T00:00:00Z",
                    "status": {},
                },
                create,
            )
        self.stubber.add_response(
            "create_deployment",
            {"deploymentId": f"deployment-{version}"},
            {
                "targetArn": THING_GROUP,
                "deploymentName": f"{COMPONENT}-{version}.0.0",
                "components": {
                    COMPONENT: {"componentVersion": f"{version}.0.0"},
                    "aws.greengrass.Nucleus": {"componentVersion": "2.14.3"},
                },
                "deploymentPolicies": {
                    "failureHandlingPolicy": "ROLLBACK",
                    "componentUpdatePolicy": {"timeoutInSeconds": 60, "action": "NOTIFY_COMPONENTS"},
                },
                "iotJobConfiguration": {
                    "jobExecutionsRolloutConfig": {"maximumPerMinute": 10},
                    "abortConfig": {
                        "criteriaList": [
                            {
                                "failureType": "ALL",
                                "action": "CANCEL",
                                "thresholdPercentage": 10.0,
                                "minNumberOfExecutedThings": 1,
                            }
                        ]
                    },
                },
                "clientToken": event_id,
            },
        )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """Group ``churn``: version 1 approved (under the location), 2 pending, 3 pending outside the location."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    edge_handler.settings.cache_clear()
    with mock_aws():
        aws = Aws()
        aws.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        assert aws.create_package("Approved", model_url(1)) == package_arn(1)
        assert aws.create_package("PendingManualApproval", model_url(2)) == package_arn(2)
        assert aws.create_package("PendingManualApproval", "s3://elsewhere/model.onnx") == package_arn(3)
        monkeypatch.setattr(
            edge_handler, "client", lambda service: aws.sagemaker if service == "sagemaker" else aws.greengrass
        )
        aws.stubber.activate()
        yield aws
        aws.stubber.deactivate()
    edge_handler.settings.cache_clear()


def approval(version: int, status: str = "Approved", event_id: str | None = None) -> dict[str, Any]:
    event = load_event("model_package_state_change")
    event["id"] = event_id or f"00000000-0000-4000-8000-{version:012d}"
    event["resources"] = [package_arn(version)]
    event["detail"].update(
        ModelPackageArn=package_arn(version), ModelPackageVersion=version, ModelApprovalStatus=status
    )
    return event


def invoke(event: Any) -> dict[str, Any]:
    return edge_handler.handler(event, lambda_context())


def test_an_approval_creates_the_component_and_deploys_it(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.expect_latest(None)
    aws.expect_deploy(1, "00000000-0000-4000-8000-000000000001")
    result = invoke(approval(1))
    assert result["decision"] == "deployed", result
    assert result["component_version"] == "1.0.0" and result["deployment_id"] == "deployment-1"
    aws.stubber.assert_no_pending_responses()
    (line,) = [r for r in log_lines(capsys.readouterr().out) if r["decision"] == "deployed"]
    assert line["function"] == "edge-deploy" and line["model"] == model_url(1)


def test_the_recipe_is_the_librarys(aws: Aws) -> None:
    assert logic.model_recipe(COMPONENT, "1.0.0", model_url(1)) == library_recipe(COMPONENT, "1.0.0", model_url(1))


def test_a_retry_after_the_component_was_created_still_deploys(aws: Aws) -> None:
    aws.sagemaker.update_model_package(ModelPackageArn=package_arn(2), ModelApprovalStatus="Approved")
    aws.expect_latest("1.0.0")
    aws.expect_deploy(2, "00000000-0000-4000-8000-000000000002", exists=True)
    assert invoke(approval(2))["decision"] == "deployed"
    aws.stubber.assert_no_pending_responses()


def test_the_version_already_running_is_a_duplicate_and_an_older_one_is_out_of_order(aws: Aws) -> None:
    aws.expect_latest("1.0.0")
    assert invoke(approval(1))["decision"] == "duplicate"
    aws.sagemaker.update_model_package(ModelPackageArn=package_arn(2), ModelApprovalStatus="Approved")
    aws.expect_latest("2.0.0")
    assert invoke(approval(1))["decision"] == "out-of-order"
    aws.stubber.assert_no_pending_responses()  # nothing created


def test_a_package_not_approved_when_described_is_not_deployed(aws: Aws) -> None:
    assert invoke(approval(2))["decision"] == "not-approved"  # the event says Approved, the registry does not


def test_an_artifact_outside_the_location_is_refused(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.sagemaker.update_model_package(ModelPackageArn=package_arn(3), ModelApprovalStatus="Approved")
    result = invoke(approval(3))
    assert result["decision"] == "refused"
    assert "s3://elsewhere/model.onnx" in result["reason"]
    (line,) = log_lines(capsys.readouterr().out)[-1:]
    assert line["level"] == "ERROR"
    aws.stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda e: e.update(source="aws.s3"), "not a model package state change"),
        (lambda e: e["detail"].update(ModelPackageGroupName="other"), "is not 'churn'"),
        (lambda e: e.update(account="999999999999"), "account"),
        (lambda e: e["detail"].update(ModelPackageVersion="2"), "positive integer"),
        (lambda e: e["detail"].update(ModelPackageArn=package_arn(7)), "is not version 1"),
        (lambda e: e.pop("detail"), "detail must be an object"),
    ],
)
def test_malformed_events_are_rejected_without_side_effects(aws: Aws, edit: Any, reason: str) -> None:
    event = approval(1)
    edit(event)
    result = invoke(event)
    assert result["decision"] == "rejected" and reason in result["reason"], result
    aws.stubber.assert_no_pending_responses()


def test_rejections_and_pending_packages_are_ignored(aws: Aws) -> None:
    assert invoke(approval(2, status="Rejected"))["decision"] == "ignored"
    assert invoke(approval(2, status="PendingManualApproval"))["decision"] == "ignored"


def test_configuration_errors_name_every_problem() -> None:
    with pytest.raises(config_module.ConfigError) as raised:
        config_module.load(
            {
                "MODEL_PACKAGE_GROUP_ARN": "churn",
                "COMPONENT_NAME": "aws.greengrass.Model",
                "ARTIFACT_LOCATION": "s3://bucket/prefix/",
                "ADDITIONAL_COMPONENTS": '{"x": "latest"}',
            }
        )
    problems = raised.value.problems
    assert len(problems) == 6, problems
    assert any("THING_GROUP_ARN is required" in p for p in problems)
    assert any("reserved aws.greengrass" in p for p in problems)
