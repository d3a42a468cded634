"""Deploy-on-approval onto an inference component (``INFERENCE_COMPONENT_NAME``).

moto 5.2.1 implements no inference-component API (no ``DescribeInferenceComponent``, no
``UpdateInferenceComponent``). As for ``UpdateEndpoint`` in test_deploy_on_approval.py, those two
calls go to a second boto3 client wrapped in botocore's ``Stubber``, which validates every request
against SageMaker's service model and fails the test on any unexpected call; the responses follow
the DescribeInferenceComponent API reference. Everything else (registry, models, tags, the SSM
record) is a real boto3 call to moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from deploy_on_approval import component, deploy
from deploy_on_approval import config as config_module
from deploy_on_approval import handler as deploy_handler
from deploy_on_approval.events import MalformedEvent, parse
from moto import mock_aws

from tests.lambdas.conftest import ACCOUNT, REGION, lambda_context, load_event, log_lines
from tests.lambdas.test_deploy_on_approval import (
    ENV,
    PARAMETER,
    ROLE_ARN,
    SECURITY_GROUPS,
    SUBNETS,
    _create_package,
    approval,
    approve,
    package_arn,
)

COMPONENT = "assistants-summarize"
COMPONENT_ENV = {
    **ENV,
    "ENDPOINT_NAME": "assistants",
    "INFERENCE_COMPONENT_NAME": COMPONENT,
    "ROLLBACK_ALARM_NAMES": "summarize-5xx,summarize-latency",
    "ROLLING_BATCH_TYPE": "COPY_COUNT",
    "ROLLING_BATCH_SIZE": "1",
    "WAIT_INTERVAL_SECONDS": "300",
}
COMPUTE = {"MinMemoryRequiredInMb": 24576, "NumberOfCpuCoresRequired": 4, "NumberOfAcceleratorDevicesRequired": 2}
STARTUP = {"ModelDataDownloadTimeoutInSeconds": 600}


class ComponentRouter:
    """The client the handler gets: inference-component calls to the stubbed client, the rest to moto."""

    def __init__(self, real: Any, stubbed: Any) -> None:
        self._real = real
        self._stubbed = stubbed

    def describe_inference_component(self, **kwargs: Any) -> dict[str, Any]:
        return dict(self._stubbed.describe_inference_component(**kwargs))

    def update_inference_component(self, **kwargs: Any) -> dict[str, Any]:
        return dict(self._stubbed.update_inference_component(**kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class Aws:
    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.component_client = boto3.client("sagemaker", region_name=REGION)
        self.stubber = Stubber(self.component_client)
        self.router = ComponentRouter(self.sagemaker, self.component_client)
        self.create_model_requests: list[dict[str, Any]] = []
        self.sagemaker.meta.events.register(
            "provide-client-params.sagemaker.CreateModel",
            lambda params, **_: self.create_model_requests.append(dict(params)),
        )

    def component_is(self, model_name: str, status: str = "InService", endpoint: str = "assistants") -> None:
        """The next DescribeInferenceComponent answers with this model and status."""
        self.stubber.add_response(
            "describe_inference_component",
            {
                "InferenceComponentName": COMPONENT,
                "InferenceComponentArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-component/{COMPONENT}",
                "EndpointName": endpoint,
                "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{endpoint}",
                "VariantName": "AllTraffic",
                "Specification": {
                    "ModelName": model_name,
                    "ComputeResourceRequirements": COMPUTE,
                    "StartupParameters": STARTUP,
                },
                "RuntimeConfig": {"DesiredCopyCount": 3, "CurrentCopyCount": 3},
                "InferenceComponentStatus": status,
                "CreationTime": "2026-12-01T00:00:00Z",
                "LastModifiedTime": "2026-12-01T00:00:00Z",
            },
            {"InferenceComponentName": COMPONENT},
        )

    def expect_update(self, model_name: str) -> None:
        self.stubber.add_response(
            "update_inference_component",
            {"InferenceComponentArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-component/{COMPONENT}"},
            {
                "InferenceComponentName": COMPONENT,
                "Specification": {
                    "ModelName": model_name,
                    "ComputeResourceRequirements": COMPUTE,
                    "StartupParameters": STARTUP,
                },
                "DeploymentConfig": {
                    "RollingUpdatePolicy": {
                        "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                        "WaitIntervalInSeconds": 300,
                    },
                    "AutoRollbackConfiguration": {
                        "Alarms": [{"AlarmName": "summarize-5xx"}, {"AlarmName": "summarize-latency"}]
                    },
                },
            },
        )

    def recorded(self) -> str:
        return str(self.ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"])

    def tags_of_model(self, name: str) -> dict[str, str]:
        arn = self.sagemaker.describe_model(ModelName=name)["ModelArn"]
        return {t["Key"]: t["Value"] for t in self.sagemaker.list_tags(ResourceArn=arn)["Tags"]}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """Group ``churn`` v1 approved and serving on the component, v2 pending."""
    for name, value in COMPONENT_ENV.items():
        monkeypatch.setenv(name, value)
    deploy_handler.settings.cache_clear()
    deploy_handler.client.cache_clear()
    with mock_aws():
        aws = Aws()
        aws.sagemaker.create_model_package_group(ModelPackageGroupName="churn")
        assert _create_package(aws.sagemaker, "Approved") == package_arn(1)
        assert _create_package(aws.sagemaker, "PendingManualApproval") == package_arn(2)
        aws.sagemaker.create_model(
            ModelName="summarize-initial",
            ExecutionRoleArn=ROLE_ARN,
            PrimaryContainer={"ModelPackageName": package_arn(1)},
            VpcConfig={"SecurityGroupIds": SECURITY_GROUPS, "Subnets": SUBNETS},
            EnableNetworkIsolation=True,
        )
        aws.ssm.put_parameter(Name=PARAMETER, Value=package_arn(1), Type="String")
        monkeypatch.setattr(deploy_handler, "client", lambda service: aws.router if service == "sagemaker" else aws.ssm)
        aws.stubber.activate()
        yield aws
        aws.stubber.deactivate()
    deploy_handler.settings.cache_clear()


def invoke(event: Any) -> dict[str, Any]:
    return deploy_handler.handler(event, lambda_context())


def derived_name(version: int) -> str:
    config = config_module.load(COMPONENT_ENV)
    return deploy.resource_name(config, parse(approval(version), config).package)  # type: ignore[union-attr]


def test_an_approved_package_rolls_onto_the_component_keeping_its_reservations(aws: Aws) -> None:
    approve(aws, 2)
    name = derived_name(2)
    aws.component_is("summarize-initial")
    aws.expect_update(name)

    result = invoke(approval(2))

    assert result["decision"] == "deployed", result
    assert "endpoint_config_name" not in result and result["model_name"] == name
    aws.stubber.assert_no_pending_responses()  # UpdateInferenceComponent was called with the request above
    (request,) = [r for r in aws.create_model_requests if r["ModelName"] == name]
    assert request["PrimaryContainer"] == {"ModelPackageName": package_arn(2)}
    assert request["VpcConfig"] == {"SecurityGroupIds": SECURITY_GROUPS, "Subnets": SUBNETS}
    assert request["EnableNetworkIsolation"] is True and request["ExecutionRoleArn"] == ROLE_ARN
    assert aws.tags_of_model(name)[deploy.TAG_ROLLED_OUT_BY] == approval(2)["id"]
    assert aws.recorded() == package_arn(2)


def test_a_component_that_is_updating_is_busy_and_nothing_is_created(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    approve(aws, 2)
    aws.component_is(derived_name(2), status="Updating")  # names the new model while the update runs

    with pytest.raises(deploy.EndpointBusy, match="Updating"):
        invoke(approval(2))

    assert aws.recorded() == package_arn(1)  # not "recorded" from a Specification that may still roll back
    assert [m["ModelName"] for m in aws.sagemaker.list_models()["Models"]] == ["summarize-initial"]
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR" and "EndpointBusy" in line["reason"]


def test_a_redelivered_event_after_a_rollback_does_not_roll_out_again(aws: Aws) -> None:
    approve(aws, 2)
    name = derived_name(2)
    aws.component_is("summarize-initial")
    aws.expect_update(name)
    assert invoke(approval(2))["decision"] == "deployed"
    aws.ssm.put_parameter(Name=PARAMETER, Value=package_arn(1), Type="String", Overwrite=True)
    aws.component_is("summarize-initial")  # the rolling update rolled back to the old model

    result = invoke(approval(2))  # the same event id, redelivered

    assert result["decision"] == "rolled-back", result
    aws.stubber.assert_no_pending_responses()  # no second UpdateInferenceComponent


def test_a_component_already_running_the_package_is_only_recorded(aws: Aws) -> None:
    approve(aws, 2)
    name = derived_name(2)
    aws.sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={"ModelPackageName": package_arn(2)},
        VpcConfig={"SecurityGroupIds": SECURITY_GROUPS, "Subnets": SUBNETS},
        EnableNetworkIsolation=True,
    )
    aws.component_is(name)

    result = invoke(approval(2))

    assert result["decision"] == "recorded", result
    assert aws.recorded() == package_arn(2)


def test_a_component_on_another_endpoint_is_an_error(aws: Aws) -> None:
    approve(aws, 2)
    aws.component_is("summarize-initial", endpoint="someone-else")

    with pytest.raises(RuntimeError, match="is on endpoint 'someone-else', not assistants"):
        invoke(approval(2))
    assert aws.recorded() == package_arn(1)


def test_the_update_keeps_reservations_and_refuses_a_specification_without_them() -> None:
    config = config_module.load({**COMPONENT_ENV, "ROLLING_BATCH_TYPE": "capacity_percent", "ROLLING_BATCH_SIZE": "25"})
    request = component.component_update(config, {"ModelName": "old", "ComputeResourceRequirements": COMPUTE}, "new")
    assert request["Specification"] == {"ModelName": "new", "ComputeResourceRequirements": COMPUTE}
    assert request["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"] == {
        "Type": "CAPACITY_PERCENT",
        "Value": 25,
    }
    assert "RuntimeConfig" not in request  # the copy count autoscaling set is kept
    with pytest.raises(RuntimeError, match="reports no ComputeResourceRequirements"):
        component.component_update(config, {"ModelName": "old"}, "new")


def test_bad_component_settings_are_listed_together() -> None:
    env = {
        **COMPONENT_ENV,
        "INFERENCE_COMPONENT_NAME": "not a name",
        "ROLLING_BATCH_TYPE": "HALF",
        "ROLLING_BATCH_SIZE": "0",
    }
    with pytest.raises(config_module.ConfigError) as err:
        config_module.load(env)
    text = str(err.value)
    assert "INFERENCE_COMPONENT_NAME must be an inference component name (got 'not a name')" in text
    assert "ROLLING_BATCH_TYPE must be one of COPY_COUNT, CAPACITY_PERCENT (got 'HALF')" in text
    assert "ROLLING_BATCH_SIZE" in text


def test_the_scheduled_check_records_what_the_component_runs_after_a_rollback(aws: Aws) -> None:
    approve(aws, 2)
    name = derived_name(2)
    aws.component_is("summarize-initial")
    aws.expect_update(name)
    assert invoke(approval(2))["decision"] == "deployed"
    assert aws.recorded() == package_arn(2)  # written when the update was accepted
    aws.component_is("summarize-initial")  # the rolling update rolled back: InService on the old model

    result = invoke(load_event("scheduled_event"))

    assert result["decision"] == "reconciled", result
    assert aws.recorded() == package_arn(1)
    assert "scheduled check of component assistants-summarize" in result["reason"]


def test_a_scheduled_check_while_the_component_updates_changes_nothing(aws: Aws) -> None:
    aws.component_is("summarize-initial", status="Updating")

    result = invoke(load_event("scheduled_event"))

    assert result["decision"] == "unchanged", result
    assert aws.recorded() == package_arn(1)


def test_a_scheduled_event_of_another_account_is_rejected(aws: Aws) -> None:
    event = load_event("scheduled_event")
    event["account"] = "999999999999"

    result = invoke(event)

    assert result["decision"] == "rejected" and "account" in result["reason"], result


def test_scheduled_events_are_for_component_mode_only() -> None:
    with pytest.raises(MalformedEvent, match=r"unsupported event source/detail-type 'aws\.events'/'Scheduled Event'"):
        parse(load_event("scheduled_event"), config_module.load(ENV))
