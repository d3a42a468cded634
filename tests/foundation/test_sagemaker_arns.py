"""SageMaker ARNs the library builds carry names in lower case (as SageMaker writes them); names that
are tokens use the ARN the resource returns. IAM compares ARNs case-sensitively, so a grant on
``pipeline/Churn-Training`` would never match ``pipeline/churn-training``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import CfnParameter, Stack
from aws_cdk import aws_iam as iam

from constructs_ml.develop import (
    FeatureDefinition,
    FeatureGroup,
    ModelRegistry,
    OfflineStore,
    OnlineStore,
    S3Location,
    TrainingPipeline,
)
from constructs_ml.foundation import ExecutionRoles, PlatformBuckets, PlatformKeys, SageMakerGuardrail
from constructs_ml.foundation.arns import LOWER_CASE_ARN_TYPES, sagemaker_arn, sagemaker_arn_name
from constructs_ml.serve import Endpoint, InstanceVariant, Model
from tests.develop.conftest import imported_infra
from tests.serve.conftest import ENV, foundation
from tests.support import new_app

PREFIX = "arn:${AWS::Partition}:sagemaker:eu-west-1:111111111111"


@dataclass
class Built:
    template: dict[str, Any]
    stack: Stack
    registry: ModelRegistry
    group: FeatureGroup
    endpoint: Endpoint
    token_endpoint: Endpoint
    token_registry: ModelRegistry
    model: Model


def _flat(value: Any) -> str:
    """An ARN as a readable string: ``Fn::Join`` pieces joined, ``Ref``s as ``${X}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return str(sep).join(_flat(p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "${" + value["Ref"] + "}"
    return json.dumps(value, sort_keys=True)


def _resources_of(template: dict[str, Any], sid_actions: set[str]) -> set[str]:
    """Every Resource ARN of the policy statements granting any of ``sid_actions``."""
    out: set[str] = set()
    for r in template["Resources"].values():
        if r["Type"] != "AWS::IAM::ManagedPolicy":
            continue
        for s in r["Properties"]["PolicyDocument"]["Statement"]:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            if sid_actions & set(actions):
                resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
                out.update(_flat(x) for x in resources)
    return out


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app(governed=False, validate_cfn=False)
    f = foundation(app)
    stack = f.stack
    infra = imported_infra(stack)
    grantee = iam.ManagedPolicy(
        stack, "Grantee", roles=[iam.Role(stack, "Role", assumed_by=iam.AccountRootPrincipal())]
    )
    TrainingPipeline.from_pipeline_name(stack, "Pipeline", "Churn-Training").grant_start_execution(grantee)
    registry = ModelRegistry(stack, "Registry", model_package_group_name="Churn-Models")
    registry.grant_read(grantee)
    group = FeatureGroup(
        stack,
        "Features",
        feature_group_name="Customer-Features",
        features=[FeatureDefinition.string("customer_id"), FeatureDefinition.fractional("event_time")],
        record_identifier="customer_id",
        event_time="event_time",
        encryption_key=infra.key,
        online_store=OnlineStore(),
        offline_store=OfflineStore(S3Location(infra.data, "features/")),
    )
    group.grant_read(grantee)
    model = f.model()
    endpoint = Endpoint(stack, "Endpoint", endpoint_name="Churn-Prod", variants=[InstanceVariant(model=model)])
    endpoint.grant_invoke(grantee)
    token = CfnParameter(stack, "EndpointName", type="String").value_as_string
    token_endpoint = Endpoint(
        stack, "TokenEndpoint", endpoint_name=token, variants=[InstanceVariant(model=f.model("TokenModel"))]
    )
    group_token = CfnParameter(stack, "GroupName", type="String").value_as_string
    token_registry = ModelRegistry(stack, "TokenRegistry", model_package_group_name=group_token)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    return Built(template, stack, registry, group, endpoint, token_endpoint, token_registry, model)


def test_helper_lower_cases_the_types_sagemaker_lower_cases_and_leaves_tokens() -> None:
    assert sagemaker_arn_name("pipeline", "Churn-Training") == "churn-training"
    assert sagemaker_arn_name("model-package", "Churn-Models/*") == "churn-models/*"
    assert sagemaker_arn_name("user-profile", "d-abc/Alice") == "d-abc/Alice"  # not a listed type: as given
    assert {"pipeline", "endpoint", "model-package-group", "feature-group", "model"} <= LOWER_CASE_ARN_TYPES
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "S")
    token = CfnParameter(stack, "P", type="String").value_as_string
    assert sagemaker_arn_name("pipeline", token) == token
    assert sagemaker_arn(stack, "pipeline", "A-B").endswith(":pipeline/a-b")


def test_pipeline_grant_uses_the_lower_case_name(built: Built) -> None:
    assert _resources_of(built.template, {"sagemaker:StartPipelineExecution"}) == {f"{PREFIX}:pipeline/churn-training"}


def test_registry_arns_and_grants_use_the_lower_case_group(built: Built) -> None:
    assert built.registry.model_package_group_arn.endswith(":model-package-group/churn-models")
    resources = _resources_of(built.template, {"sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage"})
    assert resources and all(r.lower() == r.replace("${AWS::Partition}", "${aws::partition}") for r in resources)
    assert f"{PREFIX}:model-package/churn-models/*" in resources


def test_feature_group_arn_and_grant_are_lower_case(built: Built) -> None:
    assert built.group.feature_group_name == "Customer-Features"
    assert built.group.feature_group_arn.endswith(":feature-group/customer-features")
    assert _resources_of(built.template, {"sagemaker:GetRecord"}) == {f"{PREFIX}:feature-group/customer-features"}


def test_endpoint_arn_and_grant_are_lower_case(built: Built) -> None:
    assert built.endpoint.endpoint_arn.endswith("endpoint/churn-prod")
    (props,) = [
        r["Properties"]
        for r in built.template["Resources"].values()
        if r["Type"] == "AWS::SageMaker::Endpoint" and r["Properties"].get("EndpointName") == "Churn-Prod"
    ]
    assert props["EndpointName"] == "Churn-Prod"  # the resource keeps the name as given
    invoke = _resources_of(built.template, {"sagemaker:InvokeEndpoint"})
    assert f"{PREFIX}:endpoint/churn-prod" in invoke
    assert not any("Churn-Prod" in r for r in invoke)


def test_token_names_use_the_arn_the_resource_returns(built: Built) -> None:
    stack = built.stack
    endpoint_id = stack.get_logical_id(built.token_endpoint.resource)
    assert stack.resolve(built.token_endpoint.endpoint_arn) == {"Fn::GetAtt": [endpoint_id, "EndpointArn"]}
    registry_id = stack.get_logical_id(built.token_registry.resource)
    assert stack.resolve(built.token_registry.model_package_group_arn) == {
        "Fn::GetAtt": [registry_id, "ModelPackageGroupArn"]
    }


def test_owned_model_arn_is_the_resource_arn(built: Built) -> None:
    """The model's name is CloudFormation's (mixed case): its ARN must come from the resource."""
    model = built.model
    assert built.stack.resolve(model.model_arn) == {
        "Fn::GetAtt": [built.stack.get_logical_id(model.resource), "ModelArn"]
    }


def test_execution_roles_name_their_pipelines_in_lower_case() -> None:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Exec", env=ENV)
    keys = PlatformKeys(stack, "Keys")
    ExecutionRoles(
        stack,
        "Roles",
        buckets=PlatformBuckets(stack, "Buckets", key=keys.data),
        guardrail=SageMakerGuardrail(stack, "Guard", keys=[keys.data]),
        pipeline_names=["Churn-Training"],
    )
    template = app.synth().get_stack_by_name("Exec").template
    assert _resources_of(template, {"sagemaker:StartPipelineExecution"}) == {f"{PREFIX}:pipeline/churn-training"}
