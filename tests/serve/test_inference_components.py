"""Component mode of Endpoint (inference components), on the documented example.

docs/examples/inference_components_example.py is synthesized once with the governance packs (synth
raises on any unacknowledged finding); the tests read its template, lint it, check the endpoint
role's workload contract, and ask the guardrail about component-mode endpoint configs.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker
from constructs_ml.contracts.iam import Principal, Request, evaluate
from constructs_ml.errors import ValidationError
from constructs_ml.foundation import SageMakerGuardrail
from constructs_ml.serve import (
    BatchUnit,
    ComponentAutoscaling,
    ComponentVariant,
    ComputeRequirements,
    DataCapture,
    DeploymentConfig,
    Endpoint,
    InferenceComponent,
    InstanceVariant,
    RollingUpdate,
    S3Path,
)
from tests.serve.conftest import ENV, foundation
from tests.support import cfn_lint_errors, doc_shows_example_verbatim, load_example, resources_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "inference_components_example.py"
DOC = ROOT / "docs" / "serve.md"


@pytest.fixture(scope="module")
def outdir() -> str:
    out = tempfile.mkdtemp(prefix="cdkout-")
    load_example(EXAMPLE).build_app(out).synth()  # governed: raises on any unacknowledged finding
    return out


@pytest.fixture(scope="module")
def template(outdir: str) -> dict[str, Any]:
    return json.loads((Path(outdir) / "Components.template.json").read_text())


@pytest.fixture(scope="module")
def tpl(template: dict[str, Any]) -> Template:
    return Template.from_json(template)


def test_the_doc_shows_the_example_verbatim() -> None:
    assert doc_shows_example_verbatim(EXAMPLE, DOC)


def test_cfn_lint_clean(template: dict[str, Any]) -> None:
    assert cfn_lint_errors(template) == []


def test_the_endpoint_config_has_role_vpc_key_isolation_and_no_model(template: dict[str, Any]) -> None:
    (config,) = resources_of(template, "AWS::SageMaker::EndpointConfig").values()
    props = config["Properties"]
    (role_id,) = [k for k, v in resources_of(template, "AWS::IAM::Role").items() if "Assistants" in k]
    assert props["ExecutionRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert len(props["VpcConfig"]["Subnets"]) == 2 and len(props["VpcConfig"]["SecurityGroupIds"]) == 1
    assert props["KmsKeyId"]["Fn::GetAtt"][0].startswith("KeysData")
    assert props["EnableNetworkIsolation"] is True  # both models are isolated
    (variant,) = props["ProductionVariants"]
    assert "ModelName" not in variant
    assert variant["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 3}
    assert props["DataCaptureConfig"]["KmsKeyId"]["Fn::GetAtt"][0].startswith("KeysData")


def test_each_component_reserves_compute_and_rolls_back_on_its_alarms(tpl: Template, template: dict[str, Any]) -> None:
    tpl.resource_count_is("AWS::SageMaker::InferenceComponent", 2)
    tpl.has_resource_properties(
        "AWS::SageMaker::InferenceComponent",
        {
            "EndpointName": "assistants",
            "InferenceComponentName": "assistants-summarize",
            "VariantName": "AllTraffic",
            "Specification": {
                "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("^Summarize"), "ModelName"]},
                "ComputeResourceRequirements": {
                    "MinMemoryRequiredInMb": 24576,
                    "NumberOfCpuCoresRequired": 4,
                    "NumberOfAcceleratorDevicesRequired": 2,
                },
            },
            "RuntimeConfig": {"CopyCount": 1},
            "DeploymentConfig": {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                    "WaitIntervalInSeconds": 300,
                },
                "AutoRollbackConfiguration": {"Alarms": Match.array_with([{"AlarmName": {"Ref": Match.any_value()}}])},
            },
        },
    )
    for component in resources_of(template, "AWS::SageMaker::InferenceComponent").values():
        names = [
            a["AlarmName"]["Ref"]
            for a in component["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
        ]
        metrics = {template["Resources"][n]["Properties"]["MetricName"] for n in names}
        assert metrics == {"Invocation5XXErrors", "ModelLatency"}
        for n in names:
            dims = template["Resources"][n]["Properties"]["Dimensions"]
            assert dims == [
                {"Name": "InferenceComponentName", "Value": component["Properties"]["InferenceComponentName"]}
            ]
            assert template["Resources"][n]["Properties"]["AlarmActions"]
        assert set(names) <= set(component.get("DependsOn", []))


def test_the_endpoint_has_no_blue_green_config(template: dict[str, Any]) -> None:
    (endpoint,) = resources_of(template, "AWS::SageMaker::Endpoint").values()
    assert "DeploymentConfig" not in endpoint["Properties"]
    for component in resources_of(template, "AWS::SageMaker::InferenceComponent").values():
        (ep_id,) = resources_of(template, "AWS::SageMaker::Endpoint")
        assert ep_id in component["DependsOn"]


def test_copies_autoscale_and_summarize_scales_to_zero(tpl: Template, template: dict[str, Any]) -> None:
    targets = resources_of(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    by_resource = {t["Properties"]["ResourceId"]: t["Properties"] for t in targets.values()}
    assert by_resource["inference-component/assistants-summarize"]["MinCapacity"] == 0
    assert by_resource["inference-component/assistants-classify"]["MinCapacity"] == 1
    assert {t["ScalableDimension"] for t in by_resource.values()} == {"sagemaker:inference-component:DesiredCopyCount"}
    tpl.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "TargetValue": 5,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"
                    },
                }
            ),
        },
    )
    steps = [
        p
        for p in resources_of(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
        if p["Properties"]["PolicyType"] == "StepScaling"
    ]
    assert len(steps) == 1  # only the component that may reach zero copies
    tpl.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "NoCapacityInvocationFailures",
            "Dimensions": [{"Name": "InferenceComponentName", "Value": "assistants-summarize"}],
            "AlarmActions": [{"Ref": Match.string_like_regexp("WakeUp")}],
        },
    )


def test_the_endpoint_role_has_the_guardrail_and_its_contract_holds(outdir: str, template: dict[str, Any]) -> None:
    (role_id,) = [k for k in resources_of(template, "AWS::IAM::Role") if k.startswith("Assistants")]
    role = template["Resources"][role_id]["Properties"]
    assert any(a.get("Ref", "").startswith("Guardrail") for a in role["ManagedPolicyArns"])
    assert "Policies" not in role
    report = ContractChecker(Assembly(outdir)).check()
    mine = {p: n for p, n in report.roles.items() if p.startswith("/Components/Assistants/Role")}
    assert mine and sum(mine.values()) >= 8
    assert not [f for f in report.findings if f.role.startswith("/Components/Assistants/Role")], report.summary()
    ours = ("/Components/Assistants", "/Components/Summarize", "/Components/Classify", "/Components/DeploySummarize")
    assert not [r for r in report.roles_without_contract if r.startswith(ours)]


def test_deploy_on_approval_updates_exactly_the_summarize_component(outdir: str, template: dict[str, Any]) -> None:
    (function,) = [
        f["Properties"]
        for k, f in resources_of(template, "AWS::Lambda::Function").items()
        if k.startswith("DeploySummarize")
    ]
    env = function["Environment"]["Variables"]
    assert env["INFERENCE_COMPONENT_NAME"] == "assistants-summarize"
    assert env["ENDPOINT_NAME"] == "assistants"
    assert (env["ROLLING_BATCH_TYPE"], env["ROLLING_BATCH_SIZE"], env["WAIT_INTERVAL_SECONDS"]) == (
        "COPY_COUNT",
        "1",
        "300",
    )
    alarms = env["ROLLBACK_ALARM_NAMES"]["Fn::Join"][1]
    assert [a["Ref"] for a in alarms if isinstance(a, dict)] == [
        k
        for k in resources_of(template, "AWS::CloudWatch::Alarm")
        if k.startswith("AssistantsComponentSummarize") and "WakeUp" not in k
    ]
    statements = [
        st
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        for st in p["Properties"]["PolicyDocument"]["Statement"]
        if st.get("Sid") == "ReadAndUpdateTheInferenceComponent"
    ]
    (statement,) = statements
    assert statement["Action"] == ["sagemaker:DescribeInferenceComponent", "sagemaker:UpdateInferenceComponent"]
    assert statement["Resource"]["Fn::Join"][1][-1].endswith(":111111111111:inference-component/assistants-summarize")
    (check,) = [
        r["Properties"]
        for k, r in resources_of(template, "AWS::Events::Rule").items()
        if k.startswith("DeploySummarizeComponentCheckRule")
    ]
    assert check["ScheduleExpression"] == "rate(5 minutes)"
    (target,) = check["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("DeploySummarizeFunction") and target["DeadLetterConfig"]
    report = ContractChecker(Assembly(outdir)).check()
    assert any(p.startswith("/Components/DeploySummarize/Function/Role") for p in report.roles)
    assert not [f for f in report.findings if f.role.startswith("/Components/DeploySummarize")], report.summary()


# -- the guardrail and component-mode endpoint configs ---------------------------------------------

KEY = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def guardrail_doc() -> dict[str, Any]:
    stack = Stack(App(), "G", env=ENV)
    guardrail = SageMakerGuardrail(stack, "Guardrail", keys=[kms.Key.from_key_arn(stack, "K", KEY)])
    doc: dict[str, Any] = stack.resolve(guardrail.policy.document.to_json())
    return doc


def _create_endpoint_config(guardrail: dict[str, Any], context: dict[str, Any]) -> bool:
    allow_all = {"Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}
    request = Request(
        principal=Principal(arn="arn:aws:iam::111111111111:role/ml-engineer", account="111111111111"),
        action="sagemaker:CreateEndpointConfig",
        resource="arn:aws:sagemaker:eu-west-1:111111111111:endpoint-config/assistants",
        context=context,
    )
    return bool(evaluate(request, identity_policies=[allow_all, guardrail]))


COMPONENT_CONFIG = {
    "sagemaker:VpcSubnets": ["subnet-1", "subnet-2"],
    "sagemaker:VpcSecurityGroupIds": ["sg-1"],
    "sagemaker:VolumeKmsKey": KEY,
    "sagemaker:NetworkIsolation": "true",
    "sagemaker:InstanceTypes": ["ml.g5.12xlarge"],
}


def test_the_guardrail_allows_a_component_config_in_the_vpc_with_the_platform_key(
    guardrail_doc: dict[str, Any],
) -> None:
    assert _create_endpoint_config(guardrail_doc, COMPONENT_CONFIG)


@pytest.mark.parametrize(
    "change",
    [
        {"sagemaker:VpcSubnets": None},  # outside the VPC
        {"sagemaker:VolumeKmsKey": None},  # no volume key
        {"sagemaker:VolumeKmsKey": "arn:aws:kms:eu-west-1:999999999999:key/foreign"},
    ],
)
def test_the_guardrail_denies_a_component_config_outside_the_vpc_or_the_key(
    guardrail_doc: dict[str, Any], change: dict[str, Any]
) -> None:
    context = {k: v for k, v in {**COMPONENT_CONFIG, **change}.items() if v is not None}
    assert not _create_endpoint_config(guardrail_doc, context)


# -- bad props ---------------------------------------------------------------------------------------


@pytest.fixture()
def parts() -> Any:
    app = App(context={"aws:cdk:bundling-stacks": []})
    return foundation(app)


def _endpoint(f: Any, construct_id: str = "Ep", **kwargs: Any) -> Endpoint:
    if "components" not in kwargs:
        model = f.model(f"{construct_id}Model")
        kwargs["components"] = [InferenceComponent("A", model=model, compute=ComputeRequirements(memory_mb=1024))]
    props: dict[str, Any] = {
        "variants": [ComponentVariant()],
        "vpc": f.network.vpc,
        "vpc_subnets": f.network.subnet_selection,
        "security_groups": [f.network.workload_security_group],
        "kms_key": f.keys.data,
    }
    props.update(kwargs)
    return Endpoint(f.stack, construct_id, **props)


def test_a_minimal_component_endpoint_builds(parts: Any) -> None:
    endpoint = _endpoint(parts)
    assert endpoint.component_mode and list(endpoint.components) == ["A"]
    assert endpoint.components["A"].scalable_target is None


def test_bad_compute_copies_and_scaling_are_reported_together(parts: Any) -> None:
    model = parts.model("M")
    bad = InferenceComponent(
        "Bad",
        model=model,
        compute=ComputeRequirements(memory_mb=64, cpu_cores=0.1, accelerators=0, max_memory_mb=32),
        copies=9,
        variant_name="Other",
        autoscaling=ComponentAutoscaling(max_copies=2, min_copies=3, invocations_per_copy=0),
        rolling_update=RollingUpdate(
            batch_size=150,
            unit=BatchUnit.CAPACITY_PERCENT,
            wait_interval=Duration.hours(2),
            maximum_execution_timeout=Duration.minutes(1),
        ),
        rollback_alarms=[],
        model_data_download_timeout=Duration.seconds(10),
    )
    with pytest.raises(ValidationError) as err:
        _endpoint(parts, components=[bad])
    text = str(err.value)
    for fragment in (
        "T/Ep: components[Bad].compute.memory_mb must be at least 128 (got 64)",
        "components[Bad].compute.cpu_cores",
        "components[Bad].compute.accelerators",
        "components[Bad].compute.max_memory_mb",
        "components[Bad].variant_name",
        "components[Bad].autoscaling.max_copies",
        "components[Bad].autoscaling.invocations_per_copy",
        "components[Bad].rolling_update.batch_size",
        "components[Bad].rolling_update.wait_interval",
        "components[Bad].rolling_update.maximum_execution_timeout",
        "components[Bad].rollback_alarms",
        "components[Bad].model_data_download_timeout",
    ):
        assert fragment in text, (fragment, text)


def test_component_mode_needs_the_network_and_rejects_other_modes_settings(parts: Any) -> None:
    model = parts.model("M")
    with pytest.raises(ValidationError) as err:
        _endpoint(
            parts,
            variants=[ComponentVariant(), InstanceVariant(model=model)],
            vpc=None,
            security_groups=[],
            deployment=DeploymentConfig.canary(10),
            shadow_variants=[InstanceVariant(model=model, variant_name="Shadow")],
            data_capture=DataCapture(destination=S3Path(parts.buckets.capture.bucket, "c"), sampling_percentage=101),
        )
    text = str(err.value)
    for fragment in (
        "T/Ep: variants",
        "T/Ep: vpc",
        "T/Ep: security_groups",
        "T/Ep: deployment",
        "T/Ep: shadow_variants",
        "T/Ep: data_capture.sampling_percentage",
    ):
        assert fragment in text, (fragment, text)


def test_components_need_component_variants_and_vpc_models(parts: Any) -> None:
    light = parts.model("Light", vpc=None, vpc_subnets=None, security_groups=[], serverless=True)
    with pytest.raises(ValidationError, match=r"components\[A\]\.model .*a model in the VPC"):
        _endpoint(parts, components=[InferenceComponent("A", model=light, compute=ComputeRequirements(memory_mb=512))])
    with pytest.raises(ValidationError, match=r"T/Ep2: components must be at least one InferenceComponent"):
        _endpoint(parts, "Ep2", components=[])


def test_managed_instance_scaling_needs_both_bounds(parts: Any) -> None:
    with pytest.raises(ValidationError) as err:
        _endpoint(parts, variants=[ComponentVariant(min_instance_count=0)])
    assert "variants[AllTraffic].min_instance_count/max_instance_count" in str(err.value)
    with pytest.raises(ValidationError, match=r"variants\[AllTraffic\]\.max_instance_count"):
        _endpoint(parts, "Ep2", variants=[ComponentVariant(min_instance_count=2, max_instance_count=1)])


def test_network_settings_are_rejected_outside_component_mode(parts: Any) -> None:
    with pytest.raises(ValidationError, match="T/Ep: vpc must be omitted outside component mode"):
        Endpoint(parts.stack, "Ep", variants=[InstanceVariant(model=parts.model("M"))], vpc=parts.network.vpc)


def test_explicit_rollback_alarms_replace_the_defaults(parts: Any) -> None:
    alarm = cloudwatch.Alarm.from_alarm_name(parts.stack, "Mine", "my-alarm")
    endpoint = _endpoint(
        parts,
        components=[
            InferenceComponent(
                "A", model=parts.model("M"), compute=ComputeRequirements(memory_mb=1024), rollback_alarms=[alarm]
            )
        ],
    )
    assert endpoint.rollback_alarm_names == ["my-alarm"]


def test_deploy_on_approval_needs_the_component_of_a_component_endpoint(parts: Any) -> None:
    from aws_cdk import aws_sns as sns

    from constructs_ml.operate import DeployOnApproval

    endpoint = _endpoint(parts)
    topic = sns.Topic(parts.stack, "Topic", master_key=parts.keys.messaging)
    common: dict[str, Any] = {
        "endpoint": endpoint,
        "model_package_group": "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/g",
        "execution_role": endpoint.components["A"].component.model.execution_role,
        "vpc": parts.network.vpc,
        "model_security_groups": [parts.network.workload_security_group],
        "key": parts.keys.messaging,
        "alarm_topic": topic,
    }
    with pytest.raises(ValidationError, match=r"T/D1: component must name one of \['A'\] for an endpoint in component"):
        DeployOnApproval.for_endpoint(parts.stack, "D1", **common)
    deployer = DeployOnApproval.for_endpoint(parts.stack, "D2", component="A", **common)
    assert deployer.inference_component == endpoint.components["A"].inference_component_name
    assert deployer.rollback_alarms == endpoint.components["A"].rollback_alarms
    assert endpoint.components["A"].metric_invocations().metric_name == "Invocations"
