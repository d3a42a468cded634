"""EndpointFleet: 100 endpoints synthesize, governed, spread over stacks within CloudFormation's limit."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from aws_cdk import App, CfnWaitConditionHandle, Stack
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml.contracts.check import check_assembly
from constructs_ml.errors import ValidationError
from constructs_ml.governance import NAG_PACK_NAMES, apply_governance
from constructs_ml.governance.resource_limit import count_resources
from constructs_ml.serve import (
    AlarmTopic,
    Autoscaling,
    ContainerImage,
    Endpoint,
    EndpointFleet,
    InstanceVariant,
    Model,
    ModelData,
)
from tests.serve.conftest import ENV, Foundation, foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of

FLEET_SIZE = 100
PER_STACK = 30


def endpoint_in(scope: Construct, f: Foundation, topic: AlarmTopic, name: str) -> Endpoint:
    """One fleet member: its model (own role, in the VPC) and endpoint, on the platform's key and topic."""
    model = Model(
        scope,
        "Model",
        image=ContainerImage.from_ecr_repository(f.repository, "1.0.0"),
        model_data=ModelData.from_bucket(f.buckets.artifacts.bucket, f"{name}/model.tar.gz"),
        vpc=f.network.vpc,
        vpc_subnets=f.network.subnet_selection,
        security_groups=[f.network.workload_security_group],
        guardrail=f.guardrail.policy,
    )
    return Endpoint(
        scope,
        "Endpoint",
        variants=[InstanceVariant(model=model, autoscaling=Autoscaling.invocations_per_instance(100, max_capacity=4))],
        kms_key=f.keys.data,
        alarm_topic=topic.topic,
    )


@pytest.fixture(scope="module")
def fleet_synth() -> tuple[GovernedSynth, EndpointFleet, Foundation]:
    app = new_app()  # governance packs and CDK's template validation on
    f = foundation(app)
    topic = AlarmTopic(f.stack, "Alarms", master_key=f.keys.messaging)
    fleet = EndpointFleet(
        app, "Fleet", env=ENV, endpoints_per_stack=PER_STACK, stack_name_prefix="churn-fleet", tags={"team": "serving"}
    )
    for i in range(FLEET_SIZE):
        fleet.add(f"Ep{i}", functools.partial(endpoint_in, f=f, topic=topic, name=f"ep{i}"))
    return governed_synth(app), fleet, f


def test_a_fleet_of_100_endpoints_synthesizes_governance_clean(
    fleet_synth: tuple[GovernedSynth, EndpointFleet, Foundation],
) -> None:
    assert_governance_clean(fleet_synth[0])


def test_members_fill_stacks_in_order(fleet_synth: tuple[GovernedSynth, EndpointFleet, Foundation]) -> None:
    result, fleet, _ = fleet_synth
    assert [s.node.id for s in fleet.stacks] == ["Stack0", "Stack1", "Stack2", "Stack3"]
    counts = [len(resources_of(result.template(s), "AWS::SageMaker::Endpoint")) for s in fleet.stacks]
    assert counts == [30, 30, 30, 10]
    assert fleet.stack_for("Ep0") is fleet.stacks[0]
    assert fleet.stack_for("Ep30") is fleet.stacks[1]
    assert fleet.stack_for("Ep99") is fleet.stacks[3]
    assert len(fleet.members) == FLEET_SIZE and isinstance(fleet.members["Ep42"], Endpoint)


def test_stacks_are_named_and_tagged(fleet_synth: tuple[GovernedSynth, EndpointFleet, Foundation]) -> None:
    result, fleet, _ = fleet_synth
    assert [s.stack_name for s in fleet.stacks] == [f"churn-fleet-{i}" for i in range(4)]
    for endpoint in resources_of(result.template(fleet.stacks[2]), "AWS::SageMaker::Endpoint").values():
        assert {"Key": "team", "Value": "serving"} in endpoint["Properties"]["Tags"]


def test_every_stack_is_within_cloudformation_limits(
    fleet_synth: tuple[GovernedSynth, EndpointFleet, Foundation],
) -> None:
    result, fleet, f = fleet_synth
    for stack in [f.stack, *fleet.stacks]:
        template = result.template(stack)
        assert 0 < len(template["Resources"]) <= 500, stack.node.path
        assert len(template.get("Parameters", {})) <= 200
        assert len(template.get("Outputs", {})) <= 200
    full = result.template(fleet.stacks[0])["Resources"]
    assert len(full) == count_resources(fleet.stacks[0])  # the synth-time count is the template's


def test_endpoints_use_the_platform_key_and_topic_across_stacks(
    fleet_synth: tuple[GovernedSynth, EndpointFleet, Foundation],
) -> None:
    result, fleet, _ = fleet_synth
    template = result.template(fleet.stacks[3])
    assert resources_of(template, "AWS::KMS::Key") == {}
    assert resources_of(template, "AWS::SNS::Topic") == {}
    configs = resources_of(template, "AWS::SageMaker::EndpointConfig")
    assert len(configs) == 10
    for config in configs.values():
        assert "Fn::ImportValue" in str(config["Properties"]["KmsKeyId"])


def test_a_fleet_stack_is_cfn_lint_clean(fleet_synth: tuple[GovernedSynth, EndpointFleet, Foundation]) -> None:
    result, fleet, _ = fleet_synth
    assert cfn_lint_errors(result.template(fleet.stacks[3])) == []


def test_the_members_roles_honour_their_contracts(fleet_synth: tuple[GovernedSynth, EndpointFleet, Foundation]) -> None:
    report = check_assembly(fleet_synth[0].outdir)
    fleet_roles = [r for r in report.roles if "Fleet" in r]
    assert len(fleet_roles) >= FLEET_SIZE  # every member's model role is checked: sibling stacks are in the assembly
    assert report.ok, report.summary()
    assert not [r for r in report.roles_without_contract if "Fleet" in r]


# --- synth-time resource limits (small apps, no governance packs unless the test is about them) ---


def test_a_fleet_stack_over_its_limit_fails_at_synth_naming_the_fix() -> None:
    app = App()
    fleet = EndpointFleet(app, "Fleet", endpoints_per_stack=3, max_resources_per_stack=5)
    for i in range(4):
        fleet.add(f"M{i}", lambda scope: [CfnWaitConditionHandle(scope, f"H{j}") for j in range(2)])
    with pytest.raises(RuntimeError, match=r"Fleet/Stack0: 6 resources, more than the 5") as err:
        app.synth()
    assert "lower endpoints_per_stack of Fleet (now 3; 3 members hold 6 resources here, so about 2 fit)" in str(
        err.value
    )
    assert "Stack1" not in str(err.value)  # 2 resources: within the limit


def test_any_governed_stack_over_500_resources_fails_at_synth_naming_the_count_and_the_fix() -> None:
    app = App()
    big = Stack(app, "Big")
    for i in range(501):
        CfnWaitConditionHandle(big, f"H{i}")
    small = Stack(app, "Small")
    CfnWaitConditionHandle(small, "H")
    apply_governance(app, include_sagemaker_pack=False)
    with pytest.raises(RuntimeError, match=r"Big: 501 resources, more than the 500") as err:
        app.synth()
    assert "EndpointFleet" in str(err.value)
    assert "Small" not in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoints_per_stack": 0}, r"Fleet: endpoints_per_stack must be an int >= 1 \(got 0\)"),
        ({"endpoints_per_stack": "30"}, r"endpoints_per_stack must be an int >= 1 \(got '30'\)"),
        ({"max_resources_per_stack": 501}, r"max_resources_per_stack must be an int between 1 and 500 \(got 501\)"),
        ({"max_resources_per_stack": 0}, r"max_resources_per_stack must be an int between 1 and 500 \(got 0\)"),
    ],
)
def test_bad_fleet_props(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EndpointFleet(App(), "Fleet", **kwargs)


def test_a_member_id_used_twice_is_rejected() -> None:
    fleet = EndpointFleet(App(), "Fleet")
    fleet.add("Churn", lambda scope: None)
    with pytest.raises(ValidationError, match=r"Fleet: member_id must be unique in the fleet \(got 'Churn'\)"):
        fleet.add("Churn", lambda scope: None)
    with pytest.raises(KeyError):
        fleet.stack_for("Fraud")


def test_apply_governance_twice_adds_the_packs_once() -> None:
    app = new_app(governed=False, validate_cfn=False)
    apply_governance(app)
    apply_governance(app)
    sqs.Queue(Stack(app, "S"), "Queue")  # findings in every pack: each pack reports once
    names = [r["pluginName"] for r in governed_synth(app).report["pluginReports"]]
    for pack in [*NAG_PACK_NAMES, "SageMaker"]:
        assert names.count(pack) <= 1, names
    assert names.count("AwsSolutions") == 1, names
