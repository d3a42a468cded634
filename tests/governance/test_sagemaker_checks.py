"""Every SageMaker pack rule: a compliant and a non-compliant resource, exact finding id on exact path.

One app, one ``validate_scope`` run (no synth) for the whole module. Resources are raw
``CfnResource``s (the shape any app can produce) and typed L1s (``Cfn*``) where that matters.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, CfnResource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sm

from constructs_ml.governance import SageMakerChecks
from constructs_ml.governance.sagemaker_checks import ALL_RULES, RULE_IDS
from constructs_ml.governance.security_hub import controls_of_rule

KEY = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
SUBNETS = ["subnet-a", "subnet-b"]
SGS = ["sg-1"]
VPC = {"Subnets": SUBNETS, "SecurityGroupIds": SGS}
ROLE = "arn:aws:iam::111111111111:role/data-scientist"
TAGS = [{"Key": "team", "Value": "ml"}]

GOOD_DOMAIN: dict[str, Any] = {
    "AuthMode": "IAM",
    "DomainName": "d",
    "VpcId": "vpc-1",
    "SubnetIds": SUBNETS,
    "AppNetworkAccessType": "VpcOnly",
    "KmsKeyId": KEY,
    "Tags": TAGS,
    "DomainSettings": {"DockerSettings": {"EnableDockerAccess": "DISABLED"}},
    "DefaultUserSettings": {
        "ExecutionRole": ROLE,
        "SecurityGroups": SGS,
        "SharingSettings": {"NotebookOutputOption": "Disabled"},
        "JupyterLabAppSettings": {
            "AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 60}}
        },
    },
}
GOOD_MODEL: dict[str, Any] = {"ExecutionRoleArn": ROLE, "EnableNetworkIsolation": True, "VpcConfig": VPC}
GOOD_ENDPOINT_CONFIG: dict[str, Any] = {
    "KmsKeyId": KEY,
    "ProductionVariants": [{"VariantName": "A", "ModelName": "m", "InstanceType": "ml.m5.large"}],
    "DataCaptureConfig": {
        "KmsKeyId": KEY,
        "DestinationS3Uri": "s3://b/c",
        "InitialSamplingPercentage": 10,
        "CaptureOptions": [{"CaptureMode": "Input"}],
    },
    "AsyncInferenceConfig": {"OutputConfig": {"KmsKeyId": KEY, "S3OutputPath": "s3://b/o"}},
}
GOOD_FEATURE_GROUP: dict[str, Any] = {
    "FeatureGroupName": "fg",
    "RecordIdentifierFeatureName": "id",
    "EventTimeFeatureName": "t",
    "FeatureDefinitions": [{"FeatureName": "id", "FeatureType": "String"}],
    "OnlineStoreConfig": {"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": KEY}},
    "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": "s3://b/f", "KmsKeyId": KEY}},
    "Tags": TAGS,
}
GOOD_NETWORK = {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True, "VpcConfig": VPC}
GOOD_MONITOR: dict[str, Any] = {
    "RoleArn": ROLE,
    "DataQualityAppSpecification": {"ImageUri": "img"},
    "DataQualityJobInput": {"EndpointInput": {"EndpointName": "e", "LocalPath": "/opt/ml/processing/input"}},
    "DataQualityJobOutputConfig": {"KmsKeyId": KEY, "MonitoringOutputs": []},
    "JobResources": {
        "ClusterConfig": {
            "InstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "VolumeSizeInGB": 20,
            "VolumeKmsKeyId": KEY,
        }
    },
    "NetworkConfig": GOOD_NETWORK,
}
TRAIN_ARGS: dict[str, Any] = {
    "VpcConfig": VPC,
    "OutputDataConfig": {"S3OutputPath": "s3://b/m", "KmsKeyId": KEY},
    "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 30, "VolumeKmsKeyId": KEY},
    "EnableNetworkIsolation": True,
    "EnableInterContainerTrafficEncryption": True,
}
PROCESS_ARGS: dict[str, Any] = {
    "NetworkConfig": GOOD_NETWORK,
    "ProcessingResources": {
        "ClusterConfig": {
            "InstanceCount": 1,
            "InstanceType": "ml.m5.large",
            "VolumeSizeInGB": 30,
            "VolumeKmsKeyId": KEY,
        }
    },
    "ProcessingOutputConfig": {"KmsKeyId": KEY, "Outputs": []},
}


def _pipeline(steps: list[dict[str, Any]]) -> dict[str, Any]:
    body = json.dumps({"Version": "2020-12-01", "Steps": steps})
    return {"PipelineName": "p", "RoleArn": ROLE, "PipelineDefinition": {"PipelineDefinitionBody": body}}


def _with(base: dict[str, Any], *path_and_value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with one nested key set (value None deletes it)."""
    out = copy.deepcopy(base)
    *path, value = path_and_value
    cur = out
    for key in path[:-1]:
        cur = cur.setdefault(key, {})
    if value is None:
        cur.pop(path[-1], None)
    else:
        cur[path[-1]] = value
    return out


DOMAIN = "AWS::SageMaker::Domain"
PROFILE = "AWS::SageMaker::UserProfile"
MODEL = "AWS::SageMaker::Model"
EPC = "AWS::SageMaker::EndpointConfig"
FG = "AWS::SageMaker::FeatureGroup"
DQ = "AWS::SageMaker::DataQualityJobDefinition"
PIPE = "AWS::SageMaker::Pipeline"
NB = "AWS::SageMaker::NotebookInstance"
MPG = "AWS::SageMaker::ModelPackageGroup"

GOOD_NOTEBOOK = {
    "InstanceType": "ml.t3.medium",
    "RoleArn": ROLE,
    "RootAccess": "Disabled",
    "DirectInternetAccess": "Disabled",
    "SubnetId": "subnet-a",
    "SecurityGroupIds": SGS,
    "KmsKeyId": KEY,
    "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
    "PlatformIdentifier": "notebook-al2023-v1",
}
GOOD_EXPERIMENT: dict[str, Any] = {
    "Name": "shadow",
    "Type": "ShadowMode",
    "RoleArn": ROLE,
    "EndpointName": "e",
    "KmsKey": KEY,
    "ModelVariants": [],
    "ShadowModeConfig": {"SourceModelVariantName": "A", "ShadowModelVariants": []},
    "DataStorageConfig": {"Destination": "s3://b/shadow", "KmsKey": KEY},
}
APP_IMAGE_CONFIG = "AWS::SageMaker::AppImageConfig"
IMAGE = "AWS::SageMaker::Image"
EXPERIMENT = "AWS::SageMaker::InferenceExperiment"
GOOD_IMAGE: dict[str, Any] = {"ImageName": "i", "ImageRoleArn": ROLE, "ImageDescription": "team image", "Tags": TAGS}

#: construct id -> (type, properties, exact set of SageMaker finding ids expected on it)
CASES: dict[str, tuple[str, dict[str, Any] | None, set[str]]] = {
    # Studio domain
    "DomainGood": (DOMAIN, GOOD_DOMAIN, set()),
    "DomainPublic": (
        DOMAIN,
        _with(GOOD_DOMAIN, "AppNetworkAccessType", "PublicInternetOnly"),
        {"SageMaker-DomainVpcOnly"},
    ),
    "DomainDefaultNetwork": (DOMAIN, _with(GOOD_DOMAIN, "AppNetworkAccessType", None), {"SageMaker-DomainVpcOnly"}),
    "DomainNoKey": (DOMAIN, _with(GOOD_DOMAIN, "KmsKeyId", None), {"SageMaker-DomainKms"}),
    "DomainDocker": (
        DOMAIN,
        _with(GOOD_DOMAIN, "DomainSettings", "DockerSettings", "EnableDockerAccess", "ENABLED"),
        {"SageMaker-DomainDockerAccessDisabled"},
    ),
    "DomainNoDockerSettings": (DOMAIN, _with(GOOD_DOMAIN, "DomainSettings", None), set()),
    "DomainSharing": (
        DOMAIN,
        _with(
            GOOD_DOMAIN,
            "DefaultUserSettings",
            "SharingSettings",
            {"NotebookOutputOption": "Allowed", "S3OutputPath": "s3://b/s"},
        ),
        {"SageMaker-DomainSharingEncrypted"},
    ),
    "DomainSharingKms": (
        DOMAIN,
        _with(
            GOOD_DOMAIN,
            "DefaultUserSettings",
            "SharingSettings",
            {"NotebookOutputOption": "Allowed", "S3OutputPath": "s3://b/s", "S3KmsKeyId": KEY},
        ),
        set(),
    ),
    "DomainNoRole": (
        DOMAIN,
        _with(GOOD_DOMAIN, "DefaultUserSettings", "ExecutionRole", None),
        {"SageMaker-DomainDefaultRoleNotAdmin"},
    ),
    "DomainNoIdle": (
        DOMAIN,
        _with(GOOD_DOMAIN, "DefaultUserSettings", "JupyterLabAppSettings", None),
        {"SageMaker-DomainIdleShutdown"},
    ),
    "DomainIdleDisabled": (
        DOMAIN,
        _with(
            GOOD_DOMAIN,
            "DefaultUserSettings",
            "JupyterLabAppSettings",
            "AppLifecycleManagement",
            "IdleSettings",
            "LifecycleManagement",
            "DISABLED",
        ),
        {"SageMaker-DomainIdleShutdown"},
    ),
    "DomainLabLcc": (
        DOMAIN,
        _with(
            GOOD_DOMAIN,
            "DefaultUserSettings",
            "JupyterLabAppSettings",
            {"LifecycleConfigArns": ["arn:aws:sagemaker:eu-west-1:1:studio-lifecycle-config/x"]},
        ),
        set(),
    ),
    "DomainServerLcc": (
        DOMAIN,
        _with(
            _with(GOOD_DOMAIN, "DefaultUserSettings", "JupyterLabAppSettings", None),
            "DefaultUserSettings",
            "JupyterServerAppSettings",
            {"DefaultResourceSpec": {"LifecycleConfigArn": "arn:lcc"}},
        ),
        set(),
    ),
    "DomainAdminByName": (
        DOMAIN,
        _with(
            GOOD_DOMAIN, "DefaultUserSettings", "ExecutionRole", "arn:aws:iam::111111111111:role/acme-platform-admin"
        ),
        {"SageMaker-DomainDefaultRoleNotAdmin"},
    ),
    # notebook instances
    "NotebookGood": (NB, GOOD_NOTEBOOK, set()),
    "NotebookDefaults": (
        NB,
        {"InstanceType": "ml.t3.medium", "RoleArn": ROLE},
        {
            "SageMaker-NotebookRootAccessDisabled",
            "SageMaker-NotebookNoDirectInternet",
            "SageMaker-NotebookImdsV2",
            "SageMaker-NotebookVpc",
            "SageMaker-NotebookKms",
            "SageMaker-NotebookPlatformSupported",
        },
    ),
    "NotebookNoSubnet": (NB, _with(GOOD_NOTEBOOK, "SubnetId", None), {"SageMaker-NotebookVpc"}),
    "NotebookNoKey": (NB, _with(GOOD_NOTEBOOK, "KmsKeyId", None), {"SageMaker-NotebookKms"}),
    "NotebookOldPlatform": (
        NB,
        _with(GOOD_NOTEBOOK, "PlatformIdentifier", "notebook-al2-v3"),
        {"SageMaker-NotebookPlatformSupported"},
    ),
    "NotebookPlatformParam": (
        NB,
        _with(GOOD_NOTEBOOK, "PlatformIdentifier", {"Ref": "Platform"}),
        {"SageMaker-NotebookPlatformSupported[CannotVerify]"},
    ),
    # tags (Security Hub SageMaker.6/7; domain and feature group tags are opt-in) and image descriptions
    "DomainUntagged": (DOMAIN, _with(GOOD_DOMAIN, "Tags", None), set()),
    "ImageAwsTagsOnly": (
        IMAGE,
        _with(GOOD_IMAGE, "Tags", [{"Key": "aws:cloudformation:stack-name", "Value": "x"}]),
        {"SageMaker-ImageTagged"},
    ),
    "ImageTagsParam": (IMAGE, _with(GOOD_IMAGE, "Tags", {"Ref": "Tags"}), {"SageMaker-ImageTagged[CannotVerify]"}),
    "ImageTagMap": (IMAGE, _with(GOOD_IMAGE, "Tags", {"team": "ml"}), set()),
    "AppImageConfigGood": (APP_IMAGE_CONFIG, {"AppImageConfigName": "c", "Tags": TAGS}, set()),
    "AppImageConfigUntagged": (APP_IMAGE_CONFIG, {"AppImageConfigName": "c"}, {"SageMaker-AppImageConfigTagged"}),
    "ImageGood": (IMAGE, GOOD_IMAGE, set()),
    "ImageUntagged": (IMAGE, _with(GOOD_IMAGE, "Tags", None), {"SageMaker-ImageTagged"}),
    "ImageNoDescription": (IMAGE, _with(GOOD_IMAGE, "ImageDescription", None), {"SageMaker-ImageDescription"}),
    # inference experiments (Security Hub SageMaker.23/24)
    "ExperimentGood": (EXPERIMENT, GOOD_EXPERIMENT, set()),
    "ExperimentNoKey": (EXPERIMENT, _with(GOOD_EXPERIMENT, "KmsKey", None), {"SageMaker-InferenceExperimentKms"}),
    "ExperimentCaptureNoKey": (
        EXPERIMENT,
        _with(GOOD_EXPERIMENT, "DataStorageConfig", "KmsKey", None),
        {"SageMaker-InferenceExperimentDataCaptureKms"},
    ),
    "ExperimentNoCapture": (EXPERIMENT, _with(GOOD_EXPERIMENT, "DataStorageConfig", None), set()),
    "NotebookRoot": (NB, _with(GOOD_NOTEBOOK, "RootAccess", "Enabled"), {"SageMaker-NotebookRootAccessDisabled"}),
    "NotebookInternet": (
        NB,
        _with(GOOD_NOTEBOOK, "DirectInternetAccess", "Enabled"),
        {"SageMaker-NotebookNoDirectInternet"},
    ),
    "NotebookImds1": (
        NB,
        _with(GOOD_NOTEBOOK, "InstanceMetadataServiceConfiguration", None),
        {"SageMaker-NotebookImdsV2"},
    ),
    # models
    "ModelGood": (MODEL, GOOD_MODEL, set()),
    "ModelOpen": (MODEL, _with(GOOD_MODEL, "EnableNetworkIsolation", False), {"SageMaker-ModelNetworkIsolation"}),
    "ModelNoVpc": (MODEL, _with(GOOD_MODEL, "VpcConfig", None), {"SageMaker-ModelVpc"}),
    "ModelOneSubnet": (MODEL, _with(GOOD_MODEL, "VpcConfig", "Subnets", ["subnet-a"]), {"SageMaker-ModelVpc"}),
    "ModelNoSg": (MODEL, _with(GOOD_MODEL, "VpcConfig", "SecurityGroupIds", []), {"SageMaker-ModelVpc"}),
    # endpoint configs
    "EndpointConfigGood": (EPC, GOOD_ENDPOINT_CONFIG, set()),
    "EndpointConfigNoKey": (EPC, _with(GOOD_ENDPOINT_CONFIG, "KmsKeyId", None), {"SageMaker-EndpointConfigKms"}),
    "EndpointConfigCapture": (
        EPC,
        _with(GOOD_ENDPOINT_CONFIG, "DataCaptureConfig", "KmsKeyId", None),
        {"SageMaker-EndpointConfigDataCaptureKms"},
    ),
    "EndpointConfigAsync": (
        EPC,
        _with(GOOD_ENDPOINT_CONFIG, "AsyncInferenceConfig", "OutputConfig", "KmsKeyId", None),
        {"SageMaker-EndpointConfigAsyncOutputKms"},
    ),
    "EndpointConfigServerless": (
        EPC,
        {
            "ProductionVariants": [
                {
                    "VariantName": "A",
                    "ModelName": "m",
                    "ServerlessConfig": {"MaxConcurrency": 1, "MemorySizeInMB": 2048},
                }
            ]
        },
        set(),
    ),
    # feature groups
    "FeatureGroupGood": (FG, GOOD_FEATURE_GROUP, set()),
    "FeatureGroupOnline": (
        FG,
        _with(GOOD_FEATURE_GROUP, "OnlineStoreConfig", "SecurityConfig", None),
        {"SageMaker-FeatureGroupOnlineKms"},
    ),
    "FeatureGroupOffline": (
        FG,
        _with(GOOD_FEATURE_GROUP, "OfflineStoreConfig", "S3StorageConfig", "KmsKeyId", None),
        {"SageMaker-FeatureGroupOfflineKms"},
    ),
    "FeatureGroupOnlineOff": (
        FG,
        _with(_with(GOOD_FEATURE_GROUP, "OnlineStoreConfig", {"EnableOnlineStore": False}), "OfflineStoreConfig", None),
        set(),
    ),
    # monitoring job definitions (+ an inline schedule)
    "MonitorGood": (DQ, GOOD_MONITOR, set()),
    "MonitorBare": (
        DQ,
        {k: v for k, v in GOOD_MONITOR.items() if k != "NetworkConfig"}
        | {
            "DataQualityJobOutputConfig": {"MonitoringOutputs": []},
            "JobResources": {
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
            },
        },
        {
            "SageMaker-MonitoringOutputKms",
            "SageMaker-MonitoringVolumeKms",
            "SageMaker-MonitoringVpc",
            "SageMaker-MonitoringNetworkIsolation",
            "SageMaker-MonitoringInterContainerEncryption",
        },
    ),
    "MonitorNoIce": (
        DQ,
        _with(GOOD_MONITOR, "NetworkConfig", "EnableInterContainerTrafficEncryption", False),
        {"SageMaker-MonitoringInterContainerEncryption"},
    ),
    "ScheduleInline": (
        "AWS::SageMaker::MonitoringSchedule",
        {
            "MonitoringScheduleName": "s",
            "MonitoringScheduleConfig": {
                "MonitoringJobDefinition": {
                    "MonitoringOutputConfig": {"KmsKeyId": KEY, "MonitoringOutputs": []},
                    "MonitoringResources": {"ClusterConfig": {"VolumeKmsKeyId": KEY}},
                    "NetworkConfig": _with(GOOD_NETWORK, "EnableNetworkIsolation", False),
                }
            },
        },
        {"SageMaker-MonitoringNetworkIsolation"},
    ),
    "ScheduleNamed": (
        "AWS::SageMaker::MonitoringSchedule",
        {
            "MonitoringScheduleName": "s",
            "MonitoringScheduleConfig": {"MonitoringJobDefinitionName": "dq", "MonitoringType": "DataQuality"},
        },
        set(),
    ),
    # pipelines
    "PipelineGood": (
        PIPE,
        _pipeline(
            [
                {"Name": "Prep", "Type": "Processing", "Arguments": PROCESS_ARGS},
                {"Name": "Train", "Type": "Training", "Arguments": TRAIN_ARGS},
                {"Name": "Tune", "Type": "Tuning", "Arguments": {"TrainingJobDefinition": TRAIN_ARGS}},
                {"Name": "Register", "Type": "RegisterModel", "Arguments": {}},
            ]
        ),
        set(),
    ),
    "PipelineBad": (
        PIPE,
        _pipeline(
            [
                {"Name": "Prep", "Type": "Processing", "Arguments": _with(PROCESS_ARGS, "NetworkConfig", None)},
                {
                    "Name": "Check",
                    "Type": "Condition",
                    "Arguments": {
                        "Conditions": [],
                        "ElseSteps": [],
                        "IfSteps": [
                            {
                                "Name": "Train",
                                "Type": "Training",
                                "Arguments": _with(TRAIN_ARGS, "ResourceConfig", "VolumeKmsKeyId", None),
                            },
                            {
                                "Name": "Tune",
                                "Type": "Tuning",
                                "Arguments": {
                                    "TrainingJobDefinitions": [
                                        _with(TRAIN_ARGS, "EnableInterContainerTrafficEncryption", False)
                                    ]
                                },
                            },
                        ],
                    },
                },
            ]
        ),
        {
            "SageMaker-PipelineStepVpc[Prep]",
            "SageMaker-PipelineStepNetworkIsolation[Prep]",
            "SageMaker-PipelineStepInterContainerEncryption[Prep]",
            "SageMaker-PipelineStepKms[Train]",
            "SageMaker-PipelineStepInterContainerEncryption[Tune]",
        },
    ),
    "PipelineRuntimeParam": (
        PIPE,
        _pipeline(
            [
                {
                    "Name": "Train",
                    "Type": "Training",
                    "Arguments": _with(TRAIN_ARGS, "EnableNetworkIsolation", {"Get": "Parameters.Isolate"}),
                }
            ]
        ),
        {"SageMaker-PipelineStepNetworkIsolation[CannotVerify]"},
    ),
    "PipelineMalformed": (
        PIPE,
        {
            "PipelineName": "p",
            "RoleArn": ROLE,
            "PipelineDefinition": {"PipelineDefinitionBody": '{"Steps": [ {"Name": '},
        },
        {"SageMaker-PipelineDefinitionValid"},
    ),
    "PipelineNoSteps": (
        PIPE,
        {
            "PipelineName": "p",
            "RoleArn": ROLE,
            "PipelineDefinition": {"PipelineDefinitionBody": '{"Version": "2020-12-01"}'},
        },
        {"SageMaker-PipelineDefinitionValid"},
    ),
    "PipelineInS3": (
        PIPE,
        {
            "PipelineName": "p",
            "RoleArn": ROLE,
            "PipelineDefinition": {"PipelineDefinitionS3Location": {"Bucket": "b", "Key": "k"}},
        },
        {
            f"SageMaker-{r}[CannotVerify]"
            for r in (
                "PipelineDefinitionValid",
                "PipelineStepVpc",
                "PipelineStepKms",
                "PipelineStepNetworkIsolation",
                "PipelineStepInterContainerEncryption",
            )
        },
    ),
    # model package groups
    "PackageGroupPrivate": (
        MPG,
        {
            "ModelPackageGroupName": "g",
            "ModelPackageGroupPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                        "Action": "sagemaker:DescribeModelPackage",
                        "Resource": "*",
                    }
                ],
            },
        },
        set(),
    ),
    "PackageGroupPublic": (
        MPG,
        {
            "ModelPackageGroupName": "g",
            "ModelPackageGroupPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": ["*"]},
                        "Action": "sagemaker:DescribeModelPackage",
                        "Resource": "*",
                    }
                ],
            },
        },
        {"SageMaker-ModelPackageGroupNoPublicPolicy"},
    ),
    "PackageGroupStarString": (
        MPG,
        {
            "ModelPackageGroupName": "g",
            "ModelPackageGroupPolicy": json.dumps(
                {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sagemaker:*", "Resource": "*"}}
            ),
        },
        {"SageMaker-ModelPackageGroupNoPublicPolicy"},
    ),
    # IAM
    "RoleScoped": (
        "AWS::IAM::Role",
        {"AssumeRolePolicyDocument": {}, "ManagedPolicyArns": ["arn:aws:iam::111111111111:policy/scoped"]},
        set(),
    ),
    "RoleFullAccess": (
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {},
            "ManagedPolicyArns": [
                {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSageMakerFullAccess"]]}
            ],
        },
        {"SageMaker-NoFullAccess"},
    ),
    "RoleInlineStar": (
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {},
            "Policies": [
                {
                    "PolicyName": "p",
                    "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["SageMaker:*"], "Resource": "*"}]},
                }
            ],
        },
        {"SageMaker-NoFullAccess"},
    ),
    "ManagedPolicyStar": (
        "AWS::IAM::ManagedPolicy",
        {
            "Roles": ["some-role"],
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
        },
        {"SageMaker-NoFullAccess"},
    ),
    "BoundaryPolicy": (
        "AWS::IAM::ManagedPolicy",
        {"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}},
        set(),
    ),
    "ManagedPolicyDenyStar": (
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "*"},
                    {"Effect": "Allow", "Action": "sagemaker:DescribeDomain", "Resource": "*"},
                ]
            }
        },
        set(),
    ),
    # resources without properties: clear findings, no exception
    "DomainEmpty": (
        DOMAIN,
        None,
        {
            "SageMaker-DomainVpcOnly",
            "SageMaker-DomainKms",
            "SageMaker-DomainDefaultRoleNotAdmin",
            "SageMaker-DomainIdleShutdown",
        },
    ),
    "ModelEmpty": (MODEL, None, {"SageMaker-ModelNetworkIsolation", "SageMaker-ModelVpc"}),
    "PipelineEmpty": (PIPE, None, {"SageMaker-PipelineDefinitionValid"}),
    "ProfileEmpty": (PROFILE, None, {"SageMaker-UserProfileExecutionRole"}),
}


def _findings(report: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for v in report.violations:
        for res in v.violating_resources:
            out[res.construct_path].add(v.rule_name)
    return out


@pytest.fixture(scope="module")
def findings() -> dict[str, set[str]]:
    app = App()
    stack = Stack(app, "T")
    for cid, (rtype, props, _) in CASES.items():
        CfnResource(stack, cid, type=rtype, properties=props)

    # typed L1s, token references and the admin-role tag
    admin = iam.CfnRole(
        stack,
        "AdminRole",
        assume_role_policy_document={},
        tags=[{"key": "constructs-ml:persona", "value": "platform-admin"}],
    )
    persona = iam.CfnRole(
        stack,
        "PersonaRole",
        assume_role_policy_document={},
        tags=[{"key": "constructs-ml:persona", "value": "data-scientist"}],
    )
    sm.CfnUserProfile(
        stack,
        "ProfilePersona",
        domain_id="d-1",
        user_profile_name="ds",
        user_settings=sm.CfnUserProfile.UserSettingsProperty(execution_role=persona.attr_arn),
    )
    sm.CfnUserProfile(
        stack,
        "ProfileAdmin",
        domain_id="d-1",
        user_profile_name="admin",
        user_settings=sm.CfnUserProfile.UserSettingsProperty(execution_role=admin.attr_arn),
    )
    sm.CfnUserProfile(
        stack,
        "ProfileSharing",
        domain_id="d-1",
        user_profile_name="s",
        user_settings=sm.CfnUserProfile.UserSettingsProperty(
            execution_role=ROLE,
            sharing_settings=sm.CfnUserProfile.SharingSettingsProperty(
                notebook_output_option="Allowed", s3_output_path="s3://b/s"
            ),
        ),
    )
    param = CfnParameter(stack, "RoleParam", type="String")
    sm.CfnUserProfile(
        stack,
        "ProfileParamRole",
        domain_id="d-1",
        user_profile_name="p",
        user_settings=sm.CfnUserProfile.UserSettingsProperty(execution_role=param.value_as_string),
    )
    broad = CfnResource(
        stack,
        "BroadPolicy",
        type="AWS::IAM::ManagedPolicy",
        properties={"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}},
    )
    CfnResource(
        stack,
        "RoleWithBroadPolicy",
        type="AWS::IAM::Role",
        properties={"AssumeRolePolicyDocument": {}, "ManagedPolicyArns": [broad.ref]},
    )
    iam.CfnRole(stack, "RoleWithBoundary", assume_role_policy_document={}, permissions_boundary=broad.ref)
    iso = CfnParameter(stack, "Isolation", type="String")
    sm.CfnModel(
        stack,
        "ModelParamIsolation",
        execution_role_arn=ROLE,
        enable_network_isolation=iso.value,
        vpc_config=sm.CfnModel.VpcConfigProperty(subnets=SUBNETS, security_group_ids=SGS),
    )
    sm.CfnNotebookInstance(
        stack,
        "NotebookL1",
        instance_type="ml.t3.medium",
        role_arn=ROLE,
        root_access="Enabled",
        direct_internet_access="Disabled",
        platform_identifier="notebook-al2023-v1",
        subnet_id="subnet-a",
        security_group_ids=SGS,
        instance_metadata_service_configuration=sm.CfnNotebookInstance.InstanceMetadataServiceConfigurationProperty(
            minimum_instance_metadata_service_version="2"
        ),
    )
    report = SageMakerChecks(admin_role_names=["*-platform-admin"]).validate_scope(app)
    return dict(_findings(report))


@pytest.mark.parametrize("cid", sorted(CASES))
def test_raw_l1_resource_gets_exactly_the_expected_findings(findings: dict[str, set[str]], cid: str) -> None:
    assert findings.get(f"T/{cid}", set()) == CASES[cid][2]


@pytest.mark.parametrize(
    ("cid", "expected"),
    [
        ("ProfilePersona", set()),
        ("ProfileAdmin", {"SageMaker-UserProfileNotAdminRole"}),
        ("ProfileSharing", {"SageMaker-UserProfileSharingEncrypted"}),
        ("ProfileParamRole", {"SageMaker-UserProfileNotAdminRole[CannotVerify]"}),
        ("ModelParamIsolation", {"SageMaker-ModelNetworkIsolation[CannotVerify]"}),
        ("NotebookL1", {"SageMaker-NotebookRootAccessDisabled", "SageMaker-NotebookKms"}),
        ("AdminRole", set()),
        ("BroadPolicy", set()),
        ("RoleWithBroadPolicy", {"SageMaker-NoFullAccess"}),
        ("RoleWithBoundary", set()),
        ("RoleParam", set()),
    ],
)
def test_typed_l1_resources_and_token_references(findings: dict[str, set[str]], cid: str, expected: set[str]) -> None:
    assert findings.get(f"T/{cid}", set()) == expected


def test_no_finding_on_a_path_the_cases_do_not_name(findings: dict[str, set[str]]) -> None:
    known = {f"T/{c}" for c in CASES} | {
        f"T/{c}"
        for c in (
            "ProfileAdmin",
            "ProfileSharing",
            "ProfileParamRole",
            "ModelParamIsolation",
            "NotebookL1",
            "RoleWithBroadPolicy",
        )
    }
    assert set(findings) <= known


def test_every_rule_is_exercised_by_a_non_compliant_case(findings: dict[str, set[str]]) -> None:
    seen = {rid.split("[")[0] for ids in findings.values() for rid in ids}
    assert seen == set(RULE_IDS)


def test_rule_ids_are_unique_and_documented() -> None:
    assert len(RULE_IDS) == len(set(RULE_IDS))
    for rule in ALL_RULES:
        assert rule.info.endswith(".") and "\n" not in rule.info
        # a rule implements a GOVERNANCE.md control, or an AWS Security Hub control / AWS Config rule
        assert rule.explanation and rule.fix and (rule.controls or controls_of_rule(rule.full_id)), rule.id


def test_pack_identity() -> None:
    pack = SageMakerChecks()
    assert pack.name == "SageMaker"
    assert pack.read_pack_name == "SageMaker"


def test_every_rule_is_documented_in_docs_governance_md() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "governance.md").read_text()
    missing = [rid for rid in RULE_IDS if f"`{rid}`" not in doc]
    assert not missing, missing
