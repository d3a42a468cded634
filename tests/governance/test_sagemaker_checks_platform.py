"""The pack on a platform built from L1s only, through a real synth (validation-report.json).

The app has four stacks like the reference platform (network, platform, build, serving), wired with
cross-stack references, property overrides and a CloudFormation parameter, and a few deliberate
mistakes. The test states exactly what a reviewer would expect the pack to report.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, CfnParameter, Fn, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sm

from constructs_ml.governance import SageMakerChecks
from tests.support import GovernedSynth, governed_synth, new_app

ADMIN_TAG = {"key": "constructs-ml:persona", "value": "platform-admin"}
MONITOR_ACK_REASON = "Isolation flag comes from the deployment parameter; the release checklist verifies it (ADR-9)."


def _role(scope: Stack, cid: str, persona: str, **kw: Any) -> iam.CfnRole:
    return iam.CfnRole(
        scope,
        cid,
        assume_role_policy_document={
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "sagemaker.amazonaws.com"}}
            ]
        },
        tags=[{"key": "constructs-ml:persona", "value": persona}],
        **kw,
    )


def build_l1_platform(app: App) -> dict[str, Stack]:
    """Network, Platform, Build and Serving stacks made of L1s only (no constructs_ml constructs)."""
    network = Stack(app, "Network")
    vpc = ec2.CfnVPC(network, "Vpc", cidr_block="10.0.0.0/16")
    subnets = [
        ec2.CfnSubnet(
            network, f"Subnet{i}", vpc_id=vpc.ref, cidr_block=f"10.0.{i}.0/24", availability_zone=f"eu-west-1{'ab'[i]}"
        )
        for i in range(2)
    ]
    sg = ec2.CfnSecurityGroup(network, "Sg", group_description="SageMaker", vpc_id=vpc.ref)
    subnet_ids = [s.ref for s in subnets]
    sgs = [sg.attr_group_id]

    platform = Stack(app, "Platform")
    key = kms.CfnKey(platform, "Key", enable_key_rotation=True, key_policy={"Statement": []})
    admin = _role(platform, "AdminRole", "platform-admin")
    scientist = _role(platform, "ScientistRole", "data-scientist")
    domain = sm.CfnDomain(
        platform,
        "Domain",
        auth_mode="IAM",
        domain_name="ml",
        vpc_id=vpc.ref,
        subnet_ids=subnet_ids,
        app_network_access_type="VpcOnly",
        kms_key_id=key.attr_arn,
        default_user_settings=sm.CfnDomain.UserSettingsProperty(
            execution_role=scientist.attr_arn,
            security_groups=sgs,
            sharing_settings=sm.CfnDomain.SharingSettingsProperty(notebook_output_option="Disabled"),
        ),
    )
    # idle shutdown set through an override: only the synthesized template shows it
    domain.add_property_override(
        "DefaultUserSettings.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings",
        {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 120},
    )
    sm.CfnUserProfile(
        platform,
        "Scientist",
        domain_id=domain.attr_domain_id,
        user_profile_name="ds",
        user_settings=sm.CfnUserProfile.UserSettingsProperty(execution_role=scientist.attr_arn),
    )

    build = Stack(app, "Build")
    # mistake 1: a profile in another stack runs as the admin role (reference crosses stacks)
    sm.CfnUserProfile(
        build,
        "AdminProfile",
        domain_id=domain.attr_domain_id,
        user_profile_name="ops",
        user_settings=sm.CfnUserProfile.UserSettingsProperty(execution_role=admin.attr_arn),
    )
    train_args = {
        "VpcConfig": {"Subnets": subnet_ids, "SecurityGroupIds": sgs},
        "OutputDataConfig": {"S3OutputPath": "s3://artifacts/models", "KmsKeyId": key.attr_arn},
        "ResourceConfig": {
            "InstanceCount": 2,
            "InstanceType": "ml.m5.xlarge",
            "VolumeSizeInGB": 50,
            "VolumeKmsKeyId": key.attr_arn,
        },
        "EnableNetworkIsolation": True,
        "RoleArn": scientist.attr_arn,
    }
    definition = {
        "Version": "2020-12-01",
        "Steps": [
            # mistake 2: distributed training without inter-container encryption
            {"Name": "Train", "Type": "Training", "Arguments": train_args},
            {"Name": "Register", "Type": "RegisterModel", "Arguments": {}},
        ],
    }
    sm.CfnPipeline(
        build,
        "Pipeline",
        pipeline_name="churn",
        role_arn=scientist.attr_arn,
        pipeline_definition={"PipelineDefinitionBody": Fn.to_json_string(definition)},
    )
    sm.CfnFeatureGroup(
        build,
        "Features",
        feature_group_name="customers",
        record_identifier_feature_name="id",
        event_time_feature_name="ts",
        feature_definitions=[
            {"featureName": "id", "featureType": "String"},
            {"featureName": "ts", "featureType": "String"},
        ],
        online_store_config={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": key.attr_arn}},
        offline_store_config={"S3StorageConfig": {"S3Uri": "s3://features/offline", "KmsKeyId": key.attr_arn}},
    )
    sm.CfnModelPackageGroup(build, "Registry", model_package_group_name="churn")

    serving = Stack(app, "Serving")
    model = sm.CfnModel(
        serving,
        "Model",
        execution_role_arn=scientist.attr_arn,
        enable_network_isolation=True,
        vpc_config=sm.CfnModel.VpcConfigProperty(subnets=subnet_ids, security_group_ids=sgs),
        primary_container=sm.CfnModel.ContainerDefinitionProperty(image="123.dkr.ecr.eu-west-1.amazonaws.com/x:1"),
    )
    config = sm.CfnEndpointConfig(
        serving,
        "EndpointConfig",
        production_variants=[
            sm.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="AllTraffic",
                model_name=model.attr_model_name,
                instance_type="ml.m5.large",
                initial_instance_count=1,
                initial_variant_weight=1,
            )
        ],
        data_capture_config=sm.CfnEndpointConfig.DataCaptureConfigProperty(
            destination_s3_uri="s3://capture/",
            initial_sampling_percentage=20,
            capture_options=[sm.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input")],
        ),
    )
    # both keys set through overrides
    config.add_property_override("KmsKeyId", key.attr_arn)
    config.add_property_override("DataCaptureConfig.KmsKeyId", key.attr_arn)
    isolate = CfnParameter(serving, "IsolateMonitor", type="String", allowed_values=["true", "false"])
    monitor = sm.CfnDataQualityJobDefinition(
        serving,
        "Monitor",
        role_arn=scientist.attr_arn,
        data_quality_app_specification={"imageUri": "img"},
        data_quality_job_input={"endpointInput": {"endpointName": "churn", "localPath": "/opt/ml/processing/in"}},
        data_quality_job_output_config={
            "kmsKeyId": key.attr_arn,
            "monitoringOutputs": [{"s3Output": {"localPath": "/opt/ml/processing/out", "s3Uri": "s3://monitor/out"}}],
        },
        job_resources={
            "clusterConfig": {
                "instanceCount": 1,
                "instanceType": "ml.m5.large",
                "volumeSizeInGb": 20,
                "volumeKmsKeyId": key.attr_arn,
            }
        },
        network_config={
            "enableInterContainerTrafficEncryption": True,
            "enableNetworkIsolation": isolate.value,
            "vpcConfig": {"subnets": subnet_ids, "securityGroupIds": sgs},
        },
    )
    Validations.of(monitor).acknowledge(
        Acknowledgment(id="SageMaker-MonitoringNetworkIsolation[CannotVerify]", reason=MONITOR_ACK_REASON)
    )
    # mistake 3: a legacy role with the AWS managed full-access policy
    _role(serving, "LegacyRole", "legacy", managed_policy_arns=["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"])
    return {"Network": network, "Platform": platform, "Build": build, "Serving": serving}


EXPECTED = {
    ("SageMaker-UserProfileNotAdminRole", "Build/AdminProfile"),
    ("SageMaker-PipelineStepInterContainerEncryption[Train]", "Build/Pipeline"),
    ("SageMaker-NoFullAccess", "Serving/LegacyRole"),
}


@pytest.fixture(scope="module")
def result() -> GovernedSynth:
    app = new_app(governed=False, validate_cfn=False)
    build_l1_platform(app)
    Validations.of(app).add_plugins(SageMakerChecks(app))
    return governed_synth(app)


def test_reports_exactly_what_a_reviewer_expects(result: GovernedSynth) -> None:
    assert {(rule, path) for _, rule, path in result.findings("SageMaker")} == EXPECTED


def test_plugin_name_and_conclusion_in_validation_report(result: GovernedSynth) -> None:
    reports = {r["pluginName"]: r for r in result.report["pluginReports"]}
    assert reports["SageMaker"]["conclusion"] == "failure"
    severities = {v["ruleName"]: v["severity"] for v in reports["SageMaker"]["violations"]}
    assert severities["SageMaker-NoFullAccess"] == "error"


def test_overrides_and_cross_stack_references_are_read_from_the_templates(result: GovernedSynth) -> None:
    paths = {path for _, _, path in result.findings("SageMaker")}
    # idle shutdown and endpoint keys were set by add_property_override only
    assert "Platform/Domain" not in paths and "Serving/EndpointConfig" not in paths
    template = result.template("Build")
    role_ref = template["Resources"]
    profile = next(r for r in role_ref.values() if r["Type"] == "AWS::SageMaker::UserProfile")
    assert "Fn::ImportValue" in json.dumps(profile["Properties"]["UserSettings"]["ExecutionRole"])


def test_cannot_verify_is_acknowledged_with_its_reason(result: GovernedSynth) -> None:
    assert ("/Serving/Monitor", "SageMaker-MonitoringNetworkIsolation[CannotVerify]", MONITOR_ACK_REASON) in (
        result.acknowledgements()
    )


def test_security_hub_results_read_the_assembly_and_its_acknowledgements(result: GovernedSynth) -> None:
    from constructs_ml.governance.security_hub import ACKNOWLEDGED, FAIL, PASS, evaluate_assembly

    controls = {r.control.control_id: r for r in evaluate_assembly(result.outdir)}
    # the data-quality job's isolation flag is a parameter, acknowledged as [CannotVerify] on Serving/Monitor
    assert controls["SageMaker.11"].status == ACKNOWLEDGED
    assert controls["SageMaker.9"].status == PASS
    # the endpoint config's key was set by an override: read from the template
    assert controls["sagemaker-endpoint-configuration-kms-key-configured"].status == PASS
    assert controls["sagemaker-domain-in-vpc"].status == PASS
    assert FAIL not in {r.status for r in controls.values()}
