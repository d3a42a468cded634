"""DeployOnApproval variants (shape-only synth) and bad props.

- a deployer in a "release" stack that creates the record (initial package or placeholder) and a
  serving stack that reads it with ``deployed_model_package_arn``; reading it in the creating stack
  is refused;
- a registry object (imported by name), an imported endpoint by name, no endpoint key, no
  network isolation (warning);
- every prop check raises one ValidationError naming the prop.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Annotations, Match, Template

from constructs_ml.develop import ModelRegistry
from constructs_ml.errors import ValidationError
from constructs_ml.foundation import MlNetwork, PlatformKeys
from constructs_ml.operate import NOT_YET_APPROVED, DeployOnApproval
from constructs_ml.serve import ApprovedPackageParameter, DeploymentConfig, Endpoint, RollingUpdate
from tests.fixtures import ENV
from tests.support import ACCOUNT, REGION, new_app

GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/churn"
INITIAL = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/3"


class Parts:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        keys = PlatformKeys(stack, "Keys")
        self.key = keys.messaging
        self.network = MlNetwork(stack, "Network", logs_key=keys.logs)
        self.topic = sns.Topic(stack, "Alerts", master_key=keys.messaging, enforce_ssl=True)
        self.role = iam.Role.from_role_arn(stack, "ModelRole", f"arn:aws:iam::{ACCOUNT}:role/churn-model")
        self.alarms = [
            cloudwatch.Alarm(
                stack,
                f"Alarm{i}",
                metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
                threshold=1,
                evaluation_periods=1,
            )
            for i in range(11)
        ]

    def common(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "model_package_group": GROUP_ARN,
            "endpoint": "churn-prod",
            "execution_role": self.role,
            "rollback_alarms": self.alarms[:2],
            "vpc": self.network.vpc,
            "model_security_groups": [self.network.workload_security_group],
            "key": self.key,
            "alarm_topic": self.topic,
            **kwargs,
        }


@pytest.fixture(scope="module")
def shapes() -> dict[str, Any]:
    app = new_app(governed=False, validate_cfn=False)
    release = Stack(app, "Release", env=ENV)
    parts = Parts(release)
    registry = ModelRegistry.from_model_package_group_name(release, "Registry", "churn")
    owned = DeployOnApproval(
        release,
        "Deploy",
        **parts.common(model_package_group=registry, initial_model_package_arn=INITIAL),
        network_isolation=False,
        deployment=DeploymentConfig.linear(25, wait_interval=Duration.minutes(2)),
        variant_names=["AllTraffic"],
    )
    placeholder = DeployOnApproval(release, "DeployPlaceholder", **parts.common(endpoint="churn-staging"))
    serving = Stack(app, "Serving", env=ENV)
    arn = owned.deployed_model_package_arn(serving)
    return {
        "release": Template.from_stack(release),
        "serving": Template.from_stack(serving),
        "release_stack": release,
        "owned": owned,
        "placeholder": placeholder,
        "arn": arn,
        "registry": registry,
    }


def test_the_deployer_creates_the_record_with_the_initial_package(shapes: dict[str, Any]) -> None:
    template: Template = shapes["release"]
    template.has_resource_properties(
        "AWS::SSM::Parameter",
        {"Name": "/constructs-ml/endpoints/churn-prod/deployed-model-package", "Type": "String", "Value": INITIAL},
    )
    template.has_resource_properties(
        "AWS::SSM::Parameter",
        {"Name": "/constructs-ml/endpoints/churn-staging/deployed-model-package", "Value": NOT_YET_APPROVED},
    )
    assert shapes["owned"].owns_parameter and shapes["owned"].approved_package == ApprovedPackageParameter(
        "/constructs-ml/endpoints/churn-prod/deployed-model-package"
    )


def test_a_later_stack_reads_the_record_at_deploy_time_never_by_lookup(shapes: dict[str, Any]) -> None:
    serving: Template = shapes["serving"]
    parameters = serving.find_parameters("*", {"Type": "AWS::SSM::Parameter::Value<String>"})
    assert {p["Default"] for p in parameters.values()} >= {"/constructs-ml/endpoints/churn-prod/deployed-model-package"}
    assert Token.is_unresolved(shapes["arn"])  # resolved by CloudFormation at deploy, not at synth (no lookup)


def test_reading_the_record_in_the_stack_that_creates_it_is_refused(shapes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="cannot also read it at deploy time"):
        shapes["owned"].deployed_model_package_arn(shapes["release_stack"])


def test_registry_object_and_linear_deployment(shapes: dict[str, Any]) -> None:
    template: Template = shapes["release"]
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "account": [ACCOUNT],
                "detail": {"ModelPackageGroupName": ["churn"], "ModelApprovalStatus": ["Approved"]},
            }
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "ENDPOINT_NAME": "churn-prod",
                        "TRAFFIC_ROUTING": "LINEAR",
                        "LINEAR_STEP_PERCENT": "25",
                        "WAIT_INTERVAL_SECONDS": "120",
                        "VARIANT_NAMES": "AllTraffic",
                        "ENABLE_NETWORK_ISOLATION": "false",
                    }
                )
            }
        },
    )


def test_no_endpoint_key_means_no_kms_grant_permission(shapes: dict[str, Any]) -> None:
    template: Template = shapes["release"]
    for policy in template.find_resources("AWS::IAM::ManagedPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement.get("Sid") not in ("EndpointKeyForSageMaker", "DescribeEndpointKeyViaSageMaker")
    assert template.find_resources("AWS::Events::EventBusPolicy") == {}


def test_warning_without_network_isolation(shapes: dict[str, Any]) -> None:
    Annotations.from_stack(shapes["release_stack"]).has_warning(
        "/Release/Deploy", Match.string_like_regexp("network_isolation=False")
    )


def test_an_existing_parameter_object_with_a_literal_name(shapes: dict[str, Any]) -> None:
    stack = Stack(new_app(governed=False, validate_cfn=False), "Existing", env=ENV)
    parts = Parts(stack)
    existing = ssm.StringParameter.from_string_parameter_name(stack, "Existing", "/ml/churn/deployed")
    deployer = DeployOnApproval(stack, "Deploy", **parts.common(deployed_package_parameter=existing))
    assert deployer.parameter_name == "/ml/churn/deployed" and not deployer.owns_parameter
    assert deployer.approved_package.parameter_name == "/ml/churn/deployed"


# -- bad props --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parts() -> Parts:
    return Parts(Stack(new_app(governed=False, validate_cfn=False), "Bad", env=ENV))


def make(parts: Parts, **kwargs: Any) -> DeployOnApproval:
    make.counter += 1  # type: ignore[attr-defined]  # a unique construct id per call
    return DeployOnApproval(parts.stack, f"D{make.counter}", **parts.common(**kwargs))  # type: ignore[attr-defined]


make.counter = 0  # type: ignore[attr-defined]


def test_empty_rollback_alarms(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="rollback_alarms must not be empty"):
        make(parts, rollback_alarms=[])


def test_more_than_ten_rollback_alarms(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="rollback_alarms must be at most 10 alarms"):
        make(parts, rollback_alarms=parts.alarms)


@pytest.mark.parametrize(
    "group",
    [
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn/1",
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/",
        "churn",
    ],
)
def test_not_a_model_package_group_arn(parts: Parts, group: str) -> None:
    with pytest.raises(ValidationError, match="model_package_group must be a model package group ARN"):
        make(parts, model_package_group=group)


def test_bad_endpoint_name(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="endpoint must be an endpoint name"):
        make(parts, endpoint="churn_prod")


def test_initial_package_of_another_group_or_unversioned(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="a package of the group churn"):
        make(parts, initial_model_package_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/other/1")
    with pytest.raises(ValidationError, match="a versioned model package ARN"):
        make(parts, initial_model_package_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn")


def test_existing_parameter_and_props_for_a_new_one(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="deployed_package_parameter and initial_model_package_arn cannot both"):
        make(parts, deployed_package_parameter=ApprovedPackageParameter("/ml/x"), initial_model_package_arn=INITIAL)


def test_bad_parameter_names(parts: Parts) -> None:
    with pytest.raises(ValidationError, match="parameter_name must be an SSM parameter name"):
        make(parts, parameter_name="ml/no-leading-slash")
    with pytest.raises(ValidationError, match=r"deployed_package_parameter\.parameter_name must be"):
        make(parts, deployed_package_parameter=ApprovedPackageParameter("no-slash"))


def test_one_subnet_and_no_security_group(parts: Parts) -> None:
    one = ec2.SubnetSelection(subnets=[parts.network.vpc.isolated_subnets[0]])
    with pytest.raises(ValidationError) as raised:
        make(parts, model_subnets=one, model_security_groups=[])
    text = str(raised.value)
    assert "model_subnets must be at least two subnets" in text and "model_security_groups must be at least one" in text


def test_bad_accounts_variants_and_step(parts: Parts) -> None:
    with pytest.raises(ValidationError) as raised:
        make(
            parts,
            allow_events_from_accounts=["12345"],
            variant_names=["A", "A"],
            deployment=DeploymentConfig(step_percent=60, traffic_routing=DeploymentConfig.canary().traffic_routing),
        )
    text = str(raised.value)
    assert "allow_events_from_accounts must be 12-digit account ids" in text
    assert "variant_names must not repeat names" in text
    assert "deployment.step_percent must be between 1 and 50" in text


def test_model_name_prefix_longer_than_forty(parts: Parts) -> None:
    with pytest.raises(ValidationError, match=r"model_name_prefix must be 1\.\.40"):
        make(parts, model_name_prefix="x" * 41)


def test_warning_without_package_artifacts(shapes: dict[str, Any]) -> None:
    """Approved packages served without the artifact check is loud (approval integrity, issue 10)."""
    Annotations.from_stack(shapes["release_stack"]).has_warning(
        "/Release/Deploy", Match.string_like_regexp("no package_artifacts; approved packages are served without")
    )
    variables = shapes["release"].find_resources("AWS::Lambda::Function")
    assert all("ARTIFACT_LOCATIONS" not in str(f) for f in variables.values())


def test_bad_inference_component_settings(parts: Parts) -> None:
    with pytest.raises(ValidationError) as raised:
        make(
            parts,
            inference_component="not_a_name",
            variant_names=["AllTraffic"],
            rolling_update=RollingUpdate(batch_size=0, wait_interval=Duration.hours(2)),
        )
    text = str(raised.value)
    assert "inference_component must be an inference component name" in text
    assert "variant_names must be omitted with inference_component" in text
    assert "rolling_update.batch_size must be at least 1 (got 0)" in text
    assert "rolling_update.wait_interval must be 0..3600 s" in text
    with pytest.raises(ValidationError, match="rolling_update must be omitted without inference_component"):
        make(parts, rolling_update=RollingUpdate())


def test_for_endpoint_names_one_of_the_endpoint_components(parts: Parts) -> None:
    endpoint = Endpoint.from_endpoint_name(parts.stack, "Imported", "assistants")  # no components
    with pytest.raises(ValidationError, match=r"component must be one of \[\] \(got 'Summarize'\)"):
        DeployOnApproval.for_endpoint(parts.stack, "ForComponent", endpoint=endpoint, component="Summarize")
