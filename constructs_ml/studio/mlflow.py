"""A managed MLflow tracking server whose artifacts stay in a platform bucket.

Example::

    mlflow = studio.add_mlflow_tracking_server(artifact_bucket=buckets.artifacts.bucket)
    mlflow.grant_read(personas.role(PersonaKind.MODEL_APPROVER))

The tracking server is a SageMaker-managed service outside the VPC; clients in the VPC reach it through
the ``sagemaker.experiments`` interface endpoint (add it to the network when you use MLflow), with IAM
authentication (SigV4) on every call.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping

from aws_cdk import Annotations, CfnTag, Names, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.errors import Problems, sagemaker_name_pattern
from constructs_ml.foundation.buckets import grant_objects
from constructs_ml.foundation.roles import ManagedPolicyRole, stack_arn

#: MLflow read actions (Service Authorization Reference: ``sagemaker-mlflow``).
MLFLOW_READ_ACTIONS: tuple[str, ...] = (
    "sagemaker-mlflow:AccessUI",
    "sagemaker-mlflow:GetDownloadURIForModelVersionArtifacts",
    "sagemaker-mlflow:GetExperiment",
    "sagemaker-mlflow:GetExperimentByName",
    "sagemaker-mlflow:GetLatestModelVersions",
    "sagemaker-mlflow:GetLoggedModel",
    "sagemaker-mlflow:GetMetricHistory",
    "sagemaker-mlflow:GetModelVersion",
    "sagemaker-mlflow:GetModelVersionByAlias",
    "sagemaker-mlflow:GetRegisteredModel",
    "sagemaker-mlflow:GetRun",
    "sagemaker-mlflow:GetTraceInfo",
    "sagemaker-mlflow:ListArtifacts",
    "sagemaker-mlflow:ListLoggedModelArtifacts",
    "sagemaker-mlflow:SearchExperiments",
    "sagemaker-mlflow:SearchLoggedModels",
    "sagemaker-mlflow:SearchModelVersions",
    "sagemaker-mlflow:SearchRegisteredModels",
    "sagemaker-mlflow:SearchRuns",
    "sagemaker-mlflow:SearchTraces",
)

#: MLflow actions that log, tag and register (no deletion of experiments or registered models).
MLFLOW_WRITE_ACTIONS: tuple[str, ...] = (
    "sagemaker-mlflow:CreateExperiment",
    "sagemaker-mlflow:CreateModelVersion",
    "sagemaker-mlflow:CreateRegisteredModel",
    "sagemaker-mlflow:CreateRun",
    "sagemaker-mlflow:DeleteRun",
    "sagemaker-mlflow:DeleteTag",
    "sagemaker-mlflow:EndTrace",
    "sagemaker-mlflow:FinalizeLoggedModel",
    "sagemaker-mlflow:LogBatch",
    "sagemaker-mlflow:LogInputs",
    "sagemaker-mlflow:LogLoggedModelParams",
    "sagemaker-mlflow:LogMetric",
    "sagemaker-mlflow:LogModel",
    "sagemaker-mlflow:LogOutputs",
    "sagemaker-mlflow:LogParam",
    "sagemaker-mlflow:RestoreRun",
    "sagemaker-mlflow:SetExperimentTag",
    "sagemaker-mlflow:SetLoggedModelTags",
    "sagemaker-mlflow:SetModelVersionTag",
    "sagemaker-mlflow:SetRegisteredModelAlias",
    "sagemaker-mlflow:SetRegisteredModelTag",
    "sagemaker-mlflow:SetTag",
    "sagemaker-mlflow:SetTraceTag",
    "sagemaker-mlflow:StartTrace",
    "sagemaker-mlflow:UpdateExperiment",
    "sagemaker-mlflow:UpdateModelVersion",
    "sagemaker-mlflow:UpdateRegisteredModel",
    "sagemaker-mlflow:UpdateRun",
)

#: What the server's role needs to register MLflow models in the SageMaker Model Registry.
MODEL_REGISTRATION_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateModelPackageGroup",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:CreateModelPackage",
    "sagemaker:DescribeModelPackage",
    "sagemaker:AddTags",
)


_WINDOW = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d"


class TrackingServerSize(enum.Enum):
    """Size of the tracking server (the CloudFormation enum)."""

    SMALL = "Small"
    MEDIUM = "Medium"
    LARGE = "Large"


class MlflowTrackingServer(Construct):
    """A SageMaker managed MLflow tracking server (``AWS::SageMaker::MlflowTrackingServer``).

    Artifacts go to ``s3://<artifact_bucket>/<artifact_prefix>`` (the bucket's KMS key encrypts them); the
    server's role may use only that prefix and key. Automatic registration of MLflow models in the
    SageMaker Model Registry is off, so models reach the registry through the platform's pipelines and
    approval flow. The server (its experiment metadata) is retained on stack deletion.

    Args:
        scope: parent construct.
        construct_id: construct id.
        artifact_bucket: the platform bucket for artifacts (e.g. ``PlatformBuckets.artifacts.bucket``).
        artifact_prefix: the prefix in the bucket: ``mlflow/``.
        size: the server size: small.
        mlflow_version: the MLflow version: the service's current default.
        automatic_model_registration: register logged models in the Model Registry: off.
        weekly_maintenance_window_start: ``Day:HH:MM`` (UTC): ``Sun:03:00``.
        tracking_server_name: physical name: derived from the construct path.
        guardrail: the SageMaker guardrail policy to attach to the server's role: none.
        tags: tags of the server.
        removal_policy: retained by default; anything else is loud (a warning).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        artifact_bucket: s3.IBucket,
        artifact_prefix: str = "mlflow/",
        size: TrackingServerSize = TrackingServerSize.SMALL,
        mlflow_version: str | None = None,
        automatic_model_registration: bool = False,
        weekly_maintenance_window_start: str = "Sun:03:00",
        tracking_server_name: str | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.require(
            not artifact_prefix.startswith("/") and (artifact_prefix == "" or artifact_prefix.endswith("/")),
            "artifact_prefix",
            artifact_prefix,
            "a prefix without a leading '/' that ends with '/'",
        )
        problems.require(isinstance(size, TrackingServerSize), "size", size, "a TrackingServerSize")
        if mlflow_version is not None:
            problems.require(
                bool(re.fullmatch(r"\d+(\.\d+)+", mlflow_version)), "mlflow_version", mlflow_version, "like '2.16.2'"
            )
        problems.require(
            bool(re.fullmatch(_WINDOW, weekly_maintenance_window_start)),
            "weekly_maintenance_window_start",
            weekly_maintenance_window_start,
            "'Day:HH:MM' such as 'Sun:03:00'",
        )
        if tracking_server_name is not None:
            problems.require(
                bool(re.fullmatch(sagemaker_name_pattern(256), tracking_server_name)),
                "tracking_server_name",
                tracking_server_name,
                "1..256 letters, digits and hyphens",
            )
        problems.raise_if_any()

        stack = stack_of(self)
        env = env_of(stack)
        self.artifact_bucket = artifact_bucket
        self.artifact_prefix = artifact_prefix
        self.role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
                {"StringEquals": {"aws:SourceAccount": env.account}}
            ),
            description="constructs-ml MLflow tracking server: its artifact prefix in the platform bucket",
            guardrail=guardrail,
        )
        grant_objects(
            artifact_bucket,
            self.role,
            ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation"),
            artifact_prefix,
            key_actions=("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
        )
        if automatic_model_registration:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="RegisterMlflowModels",
                    actions=list(MODEL_REGISTRATION_ACTIONS),
                    resources=[
                        stack_arn(self, "sagemaker", f"{t}/*") for t in ("model-package-group", "model-package")
                    ],
                )
            )
        contract = WorkloadContract.of(self.role)
        src.assumed_by_service(contract, self, self.role.role_arn, "sagemaker.amazonaws.com", src.MLFLOW)
        artifact = artifact_bucket.arn_for_objects(f"{artifact_prefix}contract-check/model/MLmodel")
        contract.allows(
            ["s3:PutObject", "s3:GetObject"],
            artifact,
            why="the tracking server stores and serves run artifacts",
            source=src.MLFLOW,
        )
        if automatic_model_registration:
            contract.allows(
                "sagemaker:CreateModelPackage",
                stack_arn(self, "sagemaker", "model-package/contract-check/1"),
                why="registered MLflow models become model packages",
                source=src.MLFLOW,
            )
        name = tracking_server_name or Names.unique_resource_name(self, max_length=63, separator="-").strip("-")
        self.resource = sagemaker.CfnMlflowTrackingServer(
            self,
            "Resource",
            tracking_server_name=name,
            artifact_store_uri=f"s3://{artifact_bucket.bucket_name}/{artifact_prefix}",
            role_arn=self.role.role_arn,
            tracking_server_size=size.value,
            mlflow_version=mlflow_version,
            automatic_model_registration=automatic_model_registration,
            weekly_maintenance_window_start=weekly_maintenance_window_start,
            tags=[CfnTag(key=k, value=v) for k, v in sorted((tags or {}).items())] or None,
        )
        # The role's policy must exist before the server validates its access to the artifact store.
        self.resource.node.add_dependency(self.role)
        self.resource.apply_removal_policy(removal_policy)
        if removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:mlflow-not-retained",
                f"MlflowTrackingServer: removal_policy={removal_policy}; experiment metadata is deleted with the "
                "server (artifacts stay in the bucket).",
            )
        self.tracking_server_name = name
        self.tracking_server_arn = self.resource.attr_tracking_server_arn

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read experiments, runs and models (and their artifacts), and open the MLflow UI."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                *MLFLOW_READ_ACTIONS,
                "sagemaker:DescribeMlflowTrackingServer",
                "sagemaker:CreatePresignedMlflowTrackingServerUrl",
            ],
            resource_arns=[self.tracking_server_arn],
        ).combine(
            grant_objects(
                self.artifact_bucket,
                grantee,
                ("s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"),
                self.artifact_prefix,
                key_actions=("kms:Decrypt", "kms:DescribeKey"),
            )
        )

    def grant_use(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read, log runs and register models in MLflow (no deletion of experiments or registered models).

        MLflow clients upload artifacts to S3 themselves, so this also grants writing under the artifact prefix.
        """
        return (
            self.grant_read(grantee)
            .combine(
                iam.Grant.add_to_principal(
                    grantee=grantee, actions=list(MLFLOW_WRITE_ACTIONS), resource_arns=[self.tracking_server_arn]
                )
            )
            .combine(
                grant_objects(
                    self.artifact_bucket,
                    grantee,
                    ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"),
                    self.artifact_prefix,
                    key_actions=("kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
                )
            )
        )
