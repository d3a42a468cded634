"""Deploy-on-approval under real faults: out-of-order approvals, redeliveries after a rollback, late and
foreign events, autoscaled variants, and a record overwritten by someone else.

Each test reproduces one scenario of issues 12 and 9 against moto with real boto3 clients. moto has no
``UpdateEndpoint``: the documented behaviour is emulated as described in ``test_deploy_on_approval``
(the request is validated by botocore's Stubber against the service model; the endpoint then is
``Updating`` on its old config until :meth:`Aws.finish_update` or :meth:`Aws.roll_back`). Autoscaling
is emulated with moto's ``UpdateEndpointWeightsAndCapacities``, the call Application Auto Scaling makes
to change a variant's desired instance count.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from deploy_on_approval import config as config_module
from deploy_on_approval import deploy
from deploy_on_approval import handler as deploy_handler
from deploy_on_approval.events import parse
from glue_common.aws import client_factory

from tests.lambdas import test_deploy_on_approval as base
from tests.lambdas.conftest import ACCOUNT, REGION, lambda_context, load_event, log_lines
from tests.lambdas.test_deploy_on_approval import ENDPOINT, ENV, PARAMETER, Aws, approval, approve, invoke, package_arn

aws = base.aws  # the moto fixture of the base module


def name_of(version: int) -> str:
    config = config_module.load(ENV)
    return deploy.resource_name(config, parse(approval(version), config).package)  # type: ignore[union-attr]


def fail_once(client: Any, operation: str) -> None:
    """The next ``operation`` call fails as a throttled call would; later calls go through."""
    state = {"done": False}

    def hook(**_: Any) -> None:
        if not state["done"]:
            state["done"] = True
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)

    client.meta.events.register(f"before-call.{client.meta.service_model.service_name}.{operation}", hook)


def parameter_event(operation: str = "Update", name: str = PARAMETER) -> dict[str, Any]:
    """An ``aws.ssm`` "Parameter Store Change" event (shape from the EventBridge user guide's SSM examples)."""
    return {
        "version": "0",
        "id": f"ssm-{operation}-0000-4000-8000-000000000001",
        "detail-type": "Parameter Store Change",
        "source": "aws.ssm",
        "account": ACCOUNT,
        "time": "2026-12-02T20:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"],
        "detail": {"operation": operation, "name": name, "type": "String", "description": ""},
    }


# -- 3. out-of-order approvals are decided from the endpoint, not from a lagging record -------------------


def test_a_late_older_approval_cannot_roll_back_a_rollout_whose_record_failed(aws: Aws) -> None:
    approve(aws, 2)
    approve(aws, 3)
    aws.expect_update(name_of(3))
    fail_once(aws.ssm, "PutParameter")
    with pytest.raises(ClientError, match="Throttling"):
        invoke(approval(3))  # v3 rolls out, recording it fails; the retry would find it Updating
    aws.finish_update(name_of(3))
    assert aws.recorded()[0] == package_arn(1)  # the record lags

    late = invoke(approval(2))  # the approval of v2, delivered late

    assert late["decision"] == "out-of-order", late  # the stubber would also fail on a second UpdateEndpoint
    assert "older than the serving version 3" in late["reason"]
    assert late["serving_package_arn"] == package_arn(3)
    aws.stubber.assert_no_pending_responses()


# -- 4. a redelivered approval does not re-deploy a package that was rolled back -------------------------


def test_a_redelivered_approval_after_an_automatic_rollback_is_not_deployed_again(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    approve(aws, 2)
    aws.expect_update(name_of(2))
    assert invoke(approval(2))["decision"] == "deployed"
    aws.roll_back()  # a rollback alarm fired: back InService on the old config
    assert invoke(load_event("endpoint_state_change"))["decision"] == "reconciled"

    again = invoke(approval(2))  # EventBridge delivers the same event (same id) once more

    assert again["decision"] == "rolled-back", again
    assert aws.recorded()[0] == package_arn(1)
    lines = log_lines(capsys.readouterr().out)
    assert lines[-1]["decision"] == "rolled-back" and "approve it anew" in lines[-1]["reason"]

    aws.expect_update(name_of(2))  # a new approval (a new event) may deploy it again
    assert invoke(approval(2, event_id="22222222-0000-4000-8000-000000000002"))["decision"] == "deployed"
    aws.stubber.assert_no_pending_responses()


# -- 5. late endpoint events are reconciled from DescribeEndpoint ------------------------------------------


def test_a_late_in_service_event_does_not_rewrite_the_record_during_an_update(aws: Aws) -> None:
    approve(aws, 3)
    aws.expect_update(name_of(3))
    assert invoke(approval(3))["decision"] == "deployed"  # the endpoint is now Updating towards v3

    late = invoke(load_event("endpoint_state_change"))  # IN_SERVICE of the previous update, delivered late

    assert late["decision"] == "unchanged" and "Updating now" in late["reason"]
    assert aws.recorded()[0] == package_arn(3)
    aws.finish_update(name_of(3))
    assert invoke(load_event("endpoint_state_change"))["decision"] == "unchanged"  # the record was right


# -- 6. foreign events ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("account", "210987654321"), ("region", "us-east-1")])
def test_endpoint_events_of_another_account_or_region_are_rejected(aws: Aws, field: str, value: str) -> None:
    aws.ssm.put_parameter(Name=PARAMETER, Value=package_arn(3), Type="String", Overwrite=True)
    event = load_event("endpoint_state_change")  # same endpoint name, another account
    event[field] = value

    result = invoke(event)

    assert result["decision"] == "rejected" and f"event.{field}" in result["reason"]
    assert aws.recorded()[0] == package_arn(3)  # not "reconciled" with this account's endpoint


@pytest.mark.parametrize(("field", "value"), [("account", "210987654321"), ("region", "us-east-1")])
def test_package_events_must_come_from_the_registrys_account_and_region(aws: Aws, field: str, value: str) -> None:
    approve(aws, 2)
    event = approval(2)
    event[field] = value  # the ARN names our group, but the event was put on the bus by someone else

    result = invoke(event)

    assert result["decision"] == "rejected" and "model package group's" in result["reason"]
    assert aws.create_model_requests == []


def test_parameter_events_of_another_account_are_rejected(aws: Aws) -> None:
    event = parameter_event()
    event["account"] = "210987654321"

    assert invoke(event)["decision"] == "rejected"


# -- 9.8: autoscaling keeps its instance count through a deployment -----------------------------------------


def test_a_deployment_keeps_the_instance_count_autoscaling_set(aws: Aws) -> None:
    aws.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT, DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 5}]
    )
    approve(aws, 2)
    aws.expect_update(name_of(2))  # the request must carry RetainAllVariantProperties=True

    assert invoke(approval(2))["decision"] == "deployed"

    (variant,) = aws.sagemaker.describe_endpoint_config(EndpointConfigName=name_of(2))["ProductionVariants"]
    assert variant["InitialInstanceCount"] == 5  # not the template's initial count of 2
    aws.stubber.assert_no_pending_responses()


def test_an_update_refused_because_another_one_started_is_retried(aws: Aws) -> None:
    approve(aws, 2)
    aws.stubber.add_client_error(
        "update_endpoint", "ValidationException", "Cannot update in-progress endpoint", http_status_code=400
    )

    with pytest.raises(deploy.EndpointBusy, match="in-progress"):
        invoke(approval(2))

    assert aws.recorded()[0] == package_arn(1)


# -- 9.8: a record reset by someone else (a CloudFormation update, an operator) is repaired ----------------


def test_a_record_reset_to_the_placeholder_is_repaired_from_the_endpoint(aws: Aws) -> None:
    approve(aws, 2)
    aws.expect_update(name_of(2))
    invoke(approval(2))
    aws.finish_update(name_of(2))
    aws.ssm.put_parameter(Name=PARAMETER, Value="none", Type="String", Overwrite=True)  # a stack update wrote it

    repaired = invoke(parameter_event())

    assert repaired["decision"] == "reconciled" and "record Update" in repaired["reason"]
    assert aws.recorded()[0] == package_arn(2)
    assert invoke(parameter_event())["decision"] == "unchanged"  # its own write's event changes nothing


def test_a_record_event_for_another_parameter_is_rejected(aws: Aws) -> None:
    result = invoke(parameter_event(name="/other/parameter"))

    assert result["decision"] == "rejected" and "DEPLOYED_PACKAGE_PARAMETER" in result["reason"]


def test_the_function_timeout_sets_the_clients_budget(aws: Aws) -> None:
    config = client_factory(deploy_handler.budget)("ssm").meta.config  # what handler.client builds

    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert config.connect_timeout == 2.0 and config.read_timeout == 9.0  # 120 s function
    assert lambda_context().get_remaining_time_in_millis() > 0
