"""Deploy-on-approval against moto's SageMaker and SSM, with documented EventBridge event shapes.

moto 5.2.1 has no ``UpdateEndpoint``: that one call goes to a second client wrapped in botocore's
``Stubber`` (which also validates the request against the service model and fails the test on any
unexpected call); every other call is a real boto3 call to moto. After an accepted update the
endpoint is put in the state the UpdateEndpoint API reference documents ("When SageMaker receives
the request, it sets the endpoint status to Updating. After updating the endpoint, it sets the
status to InService"; DescribeEndpoint keeps the old ``EndpointConfigName`` until then), and
:meth:`Aws.finish_update` / :meth:`Aws.roll_back` end it one way or the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from deploy_on_approval import config as config_module
from deploy_on_approval import deploy
from deploy_on_approval import handler as deploy_handler
from deploy_on_approval.events import MalformedEvent, PackageEvent, parse
from moto import mock_aws
from moto.sagemaker.models import sagemaker_backends

from tests.lambdas.conftest import ACCOUNT, REGION, lambda_context, load_event, log_lines

GROUP = "churn"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/{GROUP}"
ENDPOINT = "churn-prod"
PARAMETER = "/constructs-ml/churn-prod/deployed-model-package"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/churn-model"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
SECURITY_GROUPS = ["sg-0a1b2c3d4e5f60718"]
ENV = {
    "ENDPOINT_NAME": ENDPOINT,
    "MODEL_PACKAGE_GROUP_ARN": GROUP_ARN,
    "EXECUTION_ROLE_ARN": ROLE_ARN,
    "SUBNET_IDS": ",".join(SUBNETS),
    "SECURITY_GROUP_IDS": ",".join(SECURITY_GROUPS),
    "DEPLOYED_PACKAGE_PARAMETER": PARAMETER,
    "ROLLBACK_ALARM_NAMES": "churn-prod-5xx,churn-prod-latency",
    "TRAFFIC_ROUTING": "CANARY",
    "CANARY_PERCENT": "10",
    "WAIT_INTERVAL_SECONDS": "300",
    "TERMINATION_WAIT_SECONDS": "600",
    "FUNCTION_TIMEOUT_SECONDS": "120",
}
EXPECTED_DEPLOYMENT_CONFIG = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "WaitIntervalInSeconds": 300,
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
        },
        "TerminationWaitInSeconds": 600,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "churn-prod-5xx"}, {"AlarmName": "churn-prod-latency"}]},
}
CAPTURE = {
    "EnableCapture": True,
    "InitialSamplingPercentage": 100,
    "DestinationS3Uri": "s3://ml-platform-capture/churn-prod",
    "KmsKeyId": KMS_KEY,
    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
}


def package_arn(version: int) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/{version}"


class UpdateEndpointRouter:
    """The SageMaker client the handler gets: ``update_endpoint`` to a stubbed client, the rest to moto.

    An accepted update leaves the endpoint ``Updating`` on its old config (the documented behaviour).
    """

    def __init__(self, real: Any, stubbed: Any) -> None:
        self._real = real
        self._stubbed = stubbed

    def update_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self._stubbed.update_endpoint(**kwargs)
        sagemaker_backends[ACCOUNT][REGION].endpoints[kwargs["EndpointName"]].endpoint_status = "Updating"
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class Aws:
    """moto-backed clients, the update_endpoint stub, and what the function sent."""

    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.update_client = boto3.client("sagemaker", region_name=REGION)
        self.stubber = Stubber(self.update_client)
        self.create_model_requests: list[dict[str, Any]] = []
        self.sagemaker.meta.events.register(
            "provide-client-params.sagemaker.CreateModel",
            lambda params, **_: self.create_model_requests.append(dict(params)),
        )
        self.router = UpdateEndpointRouter(self.sagemaker, self.update_client)

    def expect_update(self, config_name: str) -> None:
        self.stubber.add_response(
            "update_endpoint",
            {"EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}"},
            {
                "EndpointName": ENDPOINT,
                "EndpointConfigName": config_name,
                "RetainAllVariantProperties": True,
                "DeploymentConfig": EXPECTED_DEPLOYMENT_CONFIG,
            },
        )

    def finish_update(self, config_name: str) -> None:
        """The blue/green update succeeded: the endpoint is InService on the new config."""
        self.set_endpoint(endpoint_config_name=config_name, endpoint_status="InService")

    def roll_back(self) -> None:
        """The update rolled back (a rollback alarm fired): InService again on the old config."""
        self.set_endpoint(endpoint_status="InService")

    def recorded(self) -> tuple[str, int]:
        parameter = self.ssm.get_parameter(Name=PARAMETER)["Parameter"]
        return parameter["Value"], parameter["Version"]

    def model_names(self) -> list[str]:
        return sorted(m["ModelName"] for m in self.sagemaker.list_models()["Models"])

    def set_endpoint(self, **attributes: str) -> None:
        # moto has no UpdateEndpoint, so set the state an endpoint has during or after an update.
        endpoint = sagemaker_backends[ACCOUNT][REGION].endpoints[ENDPOINT]
        for name, value in attributes.items():
            setattr(endpoint, name, value)


def _create_package(sagemaker: Any, status: str) -> str:
    response = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": [
                {
                    "Image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": "s3://ml-platform-artifacts/churn/model.tar.gz",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    return str(response["ModelPackageArn"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """Group ``churn`` with versions 1 (approved, serving), 2 and 3 (pending); endpoint ``churn-prod``."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    deploy_handler.settings.cache_clear()
    deploy_handler.client.cache_clear()
    with mock_aws():
        aws = Aws()
        sm = aws.sagemaker
        sm.create_model_package_group(ModelPackageGroupName=GROUP)
        assert _create_package(sm, "Approved") == package_arn(1)
        assert _create_package(sm, "PendingManualApproval") == package_arn(2)
        assert _create_package(sm, "PendingManualApproval") == package_arn(3)
        sm.create_model(
            ModelName="churn-prod-initial",
            ExecutionRoleArn=ROLE_ARN,
            PrimaryContainer={"ModelPackageName": package_arn(1)},
            VpcConfig={"SecurityGroupIds": SECURITY_GROUPS, "Subnets": SUBNETS},
            EnableNetworkIsolation=True,
        )
        sm.create_endpoint_config(
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
            Tags=[{"Key": "project", "Value": "churn"}],
        )
        sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-prod-config-1")
        aws.ssm.put_parameter(Name=PARAMETER, Value=package_arn(1), Type="String")
        aws.create_model_requests.clear()
        monkeypatch.setattr(deploy_handler, "client", lambda service: aws.router if service == "sagemaker" else aws.ssm)
        aws.stubber.activate()
        yield aws
        aws.stubber.deactivate()
    deploy_handler.settings.cache_clear()


def approval(version: int, status: str = "Approved", event_id: str | None = None) -> dict[str, Any]:
    event = load_event("model_package_state_change")
    event["id"] = event_id or f"00000000-0000-4000-8000-{version:012d}"
    event["resources"] = [package_arn(version)]
    event["detail"]["ModelPackageArn"] = package_arn(version)
    event["detail"]["ModelPackageVersion"] = version
    event["detail"]["ModelApprovalStatus"] = status
    return event


def invoke(event: Any) -> dict[str, Any]:
    return deploy_handler.handler(event, lambda_context())


def approve(aws: Aws, version: int) -> None:
    aws.sagemaker.update_model_package(ModelPackageArn=package_arn(version), ModelApprovalStatus="Approved")


# -- the deployment ---------------------------------------------------------------------------------


def test_an_approved_package_is_deployed_blue_green_and_recorded(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    approve(aws, 2)
    config = config_module.load(ENV)
    name = deploy.resource_name(config, parse(approval(2), config).package)  # type: ignore[union-attr]
    aws.expect_update(name)

    result = invoke(approval(2))

    assert result["decision"] == "deployed", result
    aws.stubber.assert_no_pending_responses()  # UpdateEndpoint was called, with the DeploymentConfig above
    assert aws.recorded() == (package_arn(2), 2)
    (request,) = aws.create_model_requests
    assert request == {
        "ModelName": name,
        "ExecutionRoleArn": ROLE_ARN,
        "PrimaryContainer": {"ModelPackageName": package_arn(2)},
        "VpcConfig": {"SecurityGroupIds": SECURITY_GROUPS, "Subnets": SUBNETS},
        "EnableNetworkIsolation": True,
        "Tags": [{"Key": "constructs-ml:model-package-arn", "Value": package_arn(2)}],
    }
    new_config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=name)
    assert new_config["KmsKeyId"] == KMS_KEY
    assert new_config["DataCaptureConfig"] == CAPTURE
    (variant,) = new_config["ProductionVariants"]
    assert variant == {
        "VariantName": "AllTraffic",
        "ModelName": name,
        "InitialInstanceCount": 2,
        "InstanceType": "ml.m5.large",
        "InitialVariantWeight": 1.0,
    }
    tags = aws.sagemaker.list_tags(ResourceArn=new_config["EndpointConfigArn"])["Tags"]
    assert {"Key": "project", "Value": "churn"} in tags
    assert {"Key": "constructs-ml:model-package-arn", "Value": package_arn(2)} in tags
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "INFO" and line["decision"] == "deployed"
    assert line["model_package_arn"] == package_arn(2) and line["deployed_package_arn"] == package_arn(1)


def test_the_serving_stacks_placeholder_means_nothing_deployed_yet(aws: Aws) -> None:
    aws.ssm.put_parameter(Name=PARAMETER, Value="none", Type="String", Overwrite=True)
    approve(aws, 2)
    config = config_module.load(ENV)
    aws.expect_update(deploy.resource_name(config, parse(approval(2), config).package))  # type: ignore[union-attr]

    result = invoke(approval(2))

    assert result["decision"] == "deployed", result  # nothing is "newer" than a placeholder
    assert aws.recorded() == (package_arn(2), 3)  # parameter versions: fixture, placeholder, this deploy


def test_an_approval_of_the_package_already_serving_only_records_it(aws: Aws) -> None:
    aws.ssm.put_parameter(Name=PARAMETER, Value="none", Type="String", Overwrite=True)

    result = invoke(approval(1))  # the endpoint's initial model is version 1

    assert result["decision"] == "recorded" and "already serves" in result["reason"]
    assert aws.recorded() == (package_arn(1), 3)
    assert aws.create_model_requests == []


def test_resource_names_fit_sagemaker_limits_and_are_stable() -> None:
    config = config_module.load({**ENV, "MODEL_NAME_PREFIX": "a" * 63})
    package = parse(approval(12345), config)
    assert isinstance(package, PackageEvent)

    name = deploy.resource_name(config, package.package)

    assert name == deploy.resource_name(config, package.package)
    assert len(name) <= 63 and name.startswith("a" * 40 + "-v12345-")


# -- duplicates and out-of-order events --------------------------------------------------------------


def test_a_second_event_for_the_same_package_does_nothing(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    approve(aws, 2)
    config = config_module.load(ENV)
    name = deploy.resource_name(config, parse(approval(2), config).package)  # type: ignore[union-attr]
    aws.expect_update(name)
    invoke(approval(2))
    aws.finish_update(name)

    again = invoke(approval(2, event_id="11111111-0000-4000-8000-000000000002"))  # a new event id, same package

    assert again["decision"] == "duplicate"
    assert aws.recorded() == (package_arn(2), 2)  # not rewritten
    assert len(aws.create_model_requests) == 1  # the stubber would fail on a second UpdateEndpoint
    assert [line["decision"] for line in log_lines(capsys.readouterr().out)] == ["deployed", "duplicate"]


def test_an_older_version_arriving_late_is_ignored(aws: Aws) -> None:
    approve(aws, 2)
    approve(aws, 3)
    config = config_module.load(ENV)
    name = deploy.resource_name(config, parse(approval(3), config).package)  # type: ignore[union-attr]
    aws.expect_update(name)
    assert invoke(approval(3))["decision"] == "deployed"
    aws.finish_update(name)

    late = invoke(approval(2))

    assert late["decision"] == "out-of-order"
    assert "older than the serving version 3" in late["reason"]
    assert aws.recorded() == (package_arn(3), 2)
    assert len(aws.create_model_requests) == 1


def test_a_package_no_longer_approved_when_rechecked_is_not_deployed(aws: Aws) -> None:
    approve(aws, 2)
    aws.sagemaker.update_model_package(ModelPackageArn=package_arn(2), ModelApprovalStatus="Rejected")

    result = invoke(approval(2))  # the Approved event arrives after the package was rejected again

    assert result["decision"] == "not-approved"
    assert aws.recorded() == (package_arn(1), 1)
    assert aws.create_model_requests == [] and aws.model_names() == ["churn-prod-initial"]


@pytest.mark.parametrize("status", ["Rejected", "PendingManualApproval"])
def test_rejected_and_pending_events_are_logged_and_ignored(
    aws: Aws, capsys: pytest.CaptureFixture[str], status: str
) -> None:
    result = invoke(approval(2, status=status))

    assert result["decision"] == "ignored" and status in result["reason"]
    assert aws.recorded() == (package_arn(1), 1)
    assert aws.create_model_requests == []
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "INFO" and line["decision"] == "ignored"


# -- endpoint state ------------------------------------------------------------------------------------


def test_a_busy_endpoint_raises_for_a_retry_and_records_nothing(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    approve(aws, 2)
    aws.set_endpoint(endpoint_status="Updating")

    with pytest.raises(deploy.EndpointBusy, match="Updating"):
        invoke(approval(2))

    assert aws.recorded() == (package_arn(1), 1)
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR" and line["decision"] == "error" and "EndpointBusy" in line["reason"]


def test_an_update_that_went_through_but_was_not_recorded_is_only_recorded(aws: Aws) -> None:
    approve(aws, 2)
    config = config_module.load(ENV)
    name = deploy.resource_name(config, parse(approval(2), config).package)  # type: ignore[union-attr]
    aws.set_endpoint(endpoint_config_name=name, endpoint_status="Updating")

    result = invoke(approval(2))

    assert result["decision"] == "recorded"
    assert aws.recorded() == (package_arn(2), 2)
    assert aws.create_model_requests == []


def test_after_a_rollback_the_record_follows_the_serving_package(aws: Aws) -> None:
    approve(aws, 2)
    config = config_module.load(ENV)
    aws.expect_update(deploy.resource_name(config, parse(approval(2), config).package))  # type: ignore[union-attr]
    invoke(approval(2))
    assert aws.recorded()[0] == package_arn(2)

    aws.roll_back()  # the blue/green deployment rolled back: in service on its old config (v1)
    back = invoke(load_event("endpoint_state_change"))

    assert back["decision"] == "reconciled"
    assert aws.recorded() == (package_arn(1), 3)
    assert invoke(load_event("endpoint_state_change"))["decision"] == "unchanged"


# -- malformed events ------------------------------------------------------------------------------------


def _edit(*path: str, value: Any = None, delete: bool = False) -> Any:
    def make() -> dict[str, Any]:
        event = approval(2)
        target = event
        for part in path[:-1]:
            target = target[part]
        if delete:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return event

    return make


OTHER_ACCOUNT_ARN = f"arn:aws:sagemaker:{REGION}:210987654321:model-package/{GROUP}/2"
MALFORMED = {
    "missing-detail": (_edit("detail", delete=True), "event.detail must be an object"),
    "wrong-detail-type": (_edit("detail-type", value="SageMaker Model State Change"), "unsupported event"),
    "bad-arn": (_edit("detail", "ModelPackageArn", value="churn/2"), "not a versioned model package ARN"),
    "unversioned-package": (
        _edit("detail", "ModelPackageArn", value=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn-v2"),
        "not a versioned model package ARN",
    ),
    "wrong-group": (
        _edit("detail", "ModelPackageArn", value=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud/2"),
        "is not in the group",
    ),
    "wrong-account": (_edit("detail", "ModelPackageArn", value=OTHER_ACCOUNT_ARN), "is not in the group"),
    "version-mismatch": (_edit("detail", "ModelPackageVersion", value=7), "disagrees with the ARN"),
    "missing-status": (_edit("detail", "ModelApprovalStatus", delete=True), "detail.ModelApprovalStatus"),
    "not-an-object": (lambda: "Approved", "must be a JSON object"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_events_are_rejected_with_a_clear_log_line_and_no_side_effect(
    aws: Aws, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    approve(aws, 2)
    make_event, why = MALFORMED[case]

    result = invoke(make_event())  # returned, not raised: a retry cannot fix a malformed event

    assert result["decision"] == "rejected" and why in result["reason"]
    assert aws.recorded() == (package_arn(1), 1)  # no SSM write
    assert aws.create_model_requests == [] and aws.model_names() == ["churn-prod-initial"]
    (line,) = log_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR" and line["decision"] == "rejected" and why in line["reason"]


def test_an_endpoint_event_for_another_endpoint_is_rejected(aws: Aws) -> None:
    event = load_event("endpoint_state_change")
    event["detail"]["EndpointName"] = "fraud-prod"

    assert invoke(event)["decision"] == "rejected"
    assert aws.recorded() == (package_arn(1), 1)


def test_a_registry_in_another_account_is_accepted_by_arn() -> None:
    config = config_module.load(
        {**ENV, "MODEL_PACKAGE_GROUP_ARN": f"arn:aws:sagemaker:{REGION}:210987654321:model-package-group/Churn"}
    )
    event = approval(2)
    event["account"] = "210987654321"  # forwarded from the registry's bus: the envelope keeps its account
    event["detail"]["ModelPackageArn"] = OTHER_ACCOUNT_ARN

    parsed = parse(event, config)

    assert isinstance(parsed, PackageEvent) and parsed.package.account == "210987654321"
    with pytest.raises(MalformedEvent, match="not the model package group's account"):
        parse(approval(2), config)  # the same group name in the function's own account is another group
    same_name = approval(2)
    same_name["account"] = "210987654321"
    with pytest.raises(MalformedEvent, match="is not in the group"):
        parse(same_name, config)


# -- configuration ---------------------------------------------------------------------------------------


def test_configuration_errors_name_every_problem() -> None:
    with pytest.raises(config_module.ConfigError) as caught:
        config_module.load(
            {
                "ENDPOINT_NAME": ENDPOINT,
                "MODEL_PACKAGE_GROUP_ARN": "churn",
                "FUNCTION_TIMEOUT_SECONDS": "120",
                "SUBNET_IDS": SUBNETS[0],
                "TRAFFIC_ROUTING": "SOMETIMES",
                "TERMINATION_WAIT_SECONDS": "99999",
            }
        )

    problems = caught.value.problems
    assert any(p.startswith("MODEL_PACKAGE_GROUP_ARN must be arn:") for p in problems)
    assert any("EXECUTION_ROLE_ARN is required" in p for p in problems)
    assert any("DEPLOYED_PACKAGE_PARAMETER is required" in p for p in problems)
    assert any("SUBNET_IDS must list at least 2 subnets" in p for p in problems)
    assert any("SECURITY_GROUP_IDS must list at least 1" in p for p in problems)
    assert any("TRAFFIC_ROUTING must be one of" in p for p in problems)
    assert any("TERMINATION_WAIT_SECONDS must be between 0 and 3600" in p for p in problems)


def test_default_deployment_is_all_at_once_without_rollback_alarms() -> None:
    config = config_module.load({k: v for k, v in ENV.items() if k not in ("TRAFFIC_ROUTING", "ROLLBACK_ALARM_NAMES")})

    assert config.deployment_config() == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300},
            "TerminationWaitInSeconds": 600,
        }
    }
