"""The roles of :class:`~constructs_ml.operate.ModelMonitor`: their grants and their workload contracts
(see :mod:`constructs_ml.contracts`).

The pipelines' own roles get theirs from :class:`~constructs_ml.develop.TrainingPipeline`; this module adds what
the monitors do beyond that: the EventBridge role that starts them, the pipeline roles starting the helper
jobs without network isolation (still inside the VPC/KMS controls), and the job role's direct S3, CloudWatch
and network use.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml._jsii_cache import key_arn as cached_key_arn
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.develop.pipeline.roles import JOB_NAME_PATTERN
from constructs_ml.foundation.arns import sagemaker_arn
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.operate.monitor_config import (
    BatchTransformCapture,
    BiasMonitor,
    ExplainabilityMonitor,
    MonitorConfig,
    PackageBaselines,
)
from constructs_ml.operate.monitor_pipeline import PipelineMonitor
from constructs_ml.serve.common import S3Path, foreign_artifact_decrypt, kms_statements
from constructs_ml.serve.endpoint_base import EndpointBase
from constructs_ml.serve.model_parts import execution_role_statements

#: EventBridge: a rule's role needs permission for the target's API call (here StartPipelineExecution).
EVENTBRIDGE_TARGET_ROLE = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html"
#: The Model Monitor container contract this backend reproduces (metrics, reports).
MONITOR_BYOC = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-cloudwatch.html"
#: SSM parameters: GetParameter needs ssm:GetParameter on the parameter.
SSM_PARAMETER_ACCESS = "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html"
#: A model package version's drift-check baselines (DescribeModelPackage ``DriftCheckBaselines``).
DRIFT_CHECK_BASELINES = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-quality-clarify-baseline-lifecycle.html"
)
#: Where SageMaker writes captured data (``<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/``).
DATA_CAPTURE = "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html"


def record_monitor_contracts(
    scope: Construct,
    *,
    monitors: Sequence[PipelineMonitor],
    trigger_role: ManagedPolicyRole,
    job_role: ManagedPolicyRole,
    key: kms.IKey,
    capture: S3Path,
    ground_truth: Sequence[S3Path],
    security_groups: Sequence[ec2.ISecurityGroup],
    subnet_ids: Sequence[str],
    baselines_from: PackageBaselines | None = None,
) -> None:
    """Record the contracts of the pipeline backend's roles."""
    stack = stack_of(scope)
    env = env_of(stack)
    trigger = WorkloadContract.of(trigger_role)
    for m in monitors:
        trigger.allows(
            "sagemaker:StartPipelineExecution",
            m.pipeline_arn,
            why=f"the schedule starts the {m.monitoring_type.value} monitoring pipeline",
            source=EVENTBRIDGE_TARGET_ROLE,
        )
        pipeline = WorkloadContract.of(m.pipeline.pipeline_role)
        job = sagemaker_arn(scope, "processing-job", JOB_NAME_PATTERN["processing-job"].replace("*", "contract-check"))
        helper = {**src.compliant_job(cached_key_arn(key), list(subnet_ids)), "sagemaker:NetworkIsolation": "false"}
        pipeline.allows(
            "sagemaker:CreateProcessingJob",
            job,
            context=helper,
            why="the Window and Publish steps run without network isolation (S3 listing, CloudWatch metrics)",
            source=src.PIPELINES_ROLE,
        )
        unencrypted = {k: v for k, v in helper.items() if k not in ("sagemaker:VolumeKmsKey", "sagemaker:OutputKmsKey")}
        pipeline.denies(
            "sagemaker:CreateProcessingJob",
            job,
            context=unencrypted,
            why="the monitoring guardrail still denies jobs without the platform volume key (SM-11)",
            source=src.SAGEMAKER_CONDITIONS,
        )
    trigger.denies(
        "sagemaker:StartPipelineExecution",
        sagemaker_arn(scope, "pipeline", "contract-check-other"),
        why="the schedule role starts the monitoring pipelines only",
        source=EVENTBRIDGE_TARGET_ROLE,
    )
    jobs = WorkloadContract.of(job_role)
    for path, why, source in [
        (capture, "the Window step reads the endpoint's captured records", DATA_CAPTURE),
        *[(g, "the Window step joins captured records with ground truth", src.SAGEMAKER_ROLES) for g in ground_truth],
    ]:
        prefix = path.clean_prefix
        jobs.allows(
            "s3:ListBucket",
            path.bucket.bucket_arn,
            context={"s3:prefix": f"{prefix}/contract-check/"},
            why=why + " (listing the hour's prefix)",
            source=source,
        )
        jobs.allows(
            "s3:GetObject", path.bucket.arn_for_objects(f"{prefix}/contract-check.jsonl"), why=why, source=source
        )
        jobs.allows(
            "kms:Decrypt",
            cached_key_arn(key),
            context={"kms:ViaService": f"s3.{env.region}.amazonaws.com"},
            why=why + " (SSE-KMS)",
            source=source,
        )
    for m in monitors:
        jobs.allows(
            "cloudwatch:PutMetricData",
            "*",
            context={"cloudwatch:namespace": m.monitoring_type.namespace},
            why="the Publish step puts the metrics Model Monitor would have published",
            source=MONITOR_BYOC,
        )
    for service in ("s3", "monitoring"):
        jobs.reaches(
            service,
            security_groups=security_groups,
            subnets=subnet_ids,
            why="the Window/Publish steps call S3 and CloudWatch through the VPC's endpoints",
            source=src.PROCESSING_VPC,
        )
    if baselines_from is not None:
        record_package_baseline_contract(scope, jobs, baselines_from, key, security_groups, subnet_ids)


def record_package_baseline_contract(
    scope: Construct,
    jobs: WorkloadContract,
    baselines: PackageBaselines,
    key: kms.IKey,
    security_groups: Sequence[ec2.ISecurityGroup],
    subnet_ids: Sequence[str],
) -> None:
    """The Window step resolves the deployed version's baselines: SSM, the registry, the pipeline's files."""
    stack = stack_of(scope)
    env = env_of(stack)
    parameter = baselines.deployed_package.parameter_name
    why = "the Window step resolves the deployed model package version's drift-check baselines"
    jobs.allows(
        "ssm:GetParameter",
        stack.format_arn(service="ssm", resource="parameter", resource_name=parameter.lstrip("/")),
        why=why + " (the version deployed to the endpoint)",
        source=SSM_PARAMETER_ACCESS,
    )
    jobs.allows(
        "sagemaker:DescribeModelPackage",
        baselines.version_arn(scope, "1"),
        why=why + " (their S3 URIs)",
        source=DRIFT_CHECK_BASELINES,
    )
    jobs.denies(
        "sagemaker:DescribeModelPackage",
        sagemaker_arn(scope, "model-package", "contract-check-other/1"),
        why="the monitor describes only its own group's versions",
        source=src.SAGEMAKER_SAR,
    )
    art = baselines.artifacts.clean_prefix
    jobs.allows(
        "s3:GetObject",
        baselines.artifacts.bucket.arn_for_objects(f"{art}/contract-check/baselines/constraints.json"),
        why=why + " (the files the build pipeline wrote)",
        source=DRIFT_CHECK_BASELINES,
    )
    if baselines.registry_account is None:
        # A registry account's key is in that account's assembly: tests/delivery evaluates that grant across
        # both accounts' policies.
        jobs.allows(
            "kms:Decrypt",
            cached_key_arn(key),
            context={"kms:ViaService": f"s3.{env.region}.amazonaws.com"},
            why=why + " (SSE-KMS)",
            source=DRIFT_CHECK_BASELINES,
        )
    for service in ("ssm", "sagemaker.api"):
        jobs.reaches(
            service,
            security_groups=security_groups,
            subnets=subnet_ids,
            why="the Window step calls SSM and the SageMaker API through the VPC's endpoints",
            source=src.PROCESSING_VPC,
        )


def grant_monitor_role(
    scope: Construct,
    role: ManagedPolicyRole,
    configs: Sequence[MonitorConfig],
    vpc: ec2.IVpc,
    *,
    endpoint: EndpointBase | None,
    batch: BatchTransformCapture | None,
    output: S3Path,
    key: kms.IKey,
    baselines_from: PackageBaselines | None = None,
) -> None:
    """The monitoring jobs' grants: VPC and logs, read captured data, baselines, configs and ground truth,
    write the reports, use the key; Clarify's shadow endpoint for explainability; with ``baselines_from``,
    read the deployed-package parameter, describe the group's versions and read their baseline files."""
    stack = stack_of(scope)
    env = env_of(stack)
    role.add_to_policy(*execution_role_statements(scope, vpc=vpc))
    logs = f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:/aws/sagemaker/ProcessingJobs*"
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            resources=[logs],
        )
    )
    reads: list[S3Path] = []
    if endpoint is not None and endpoint.data_capture_path is not None:
        reads.append(endpoint.data_capture_path)
    if batch is not None:
        reads.append(batch.captured)
    objects: list[S3Path] = []
    for c in configs:
        reads += [p for p in (c.baseline, getattr(c, "ground_truth", None)) if p is not None]
        if isinstance(c, BiasMonitor | ExplainabilityMonitor):
            objects.append(c.analysis_config)
    role.add_to_policy(
        *(stmt for path in reads for stmt in path.read_statements()),
        *(stmt for path in objects for stmt in path.object_read_statements()),
        *output.write_statements(),
        *output.read_statements(),
        *kms_statements(key.key_arn, encrypt=True, decrypt=True),
    )
    if any(isinstance(c, ExplainabilityMonitor) for c in configs):
        role.add_to_policy(shadow_endpoint_statement(scope))
    if baselines_from is not None:
        parameter = baselines_from.deployed_package.parameter_name.lstrip("/")
        role.add_to_policy(
            iam.PolicyStatement(
                sid="DeployedPackage",
                actions=["ssm:GetParameter"],
                resources=[stack.format_arn(service="ssm", resource="parameter", resource_name=parameter)],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="DeployedPackageBaselines",
                actions=["sagemaker:DescribeModelPackage"],
                resources=[baselines_from.version_arn(scope, "*")],
            )
        )
        role.add_to_policy(*baselines_from.artifacts.read_statements())
        if baselines_from.registry_account is not None:
            role.add_to_policy(
                foreign_artifact_decrypt(stack, baselines_from.artifacts, baselines_from.registry_account)
            )


#: Clarify's shadow endpoint: the SHAP analysis creates, invokes and deletes a temporary endpoint.
CLARIFY_SHADOW_ENDPOINT = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-parameters.html"
)


def record_shadow_endpoint_contract(scope: Construct, role: ManagedPolicyRole, *, subnet_ids: Sequence[str]) -> None:
    """The explainability job's shadow endpoint under the guardrail: a config without a volume key is allowed
    for ``sm-clarify-*`` names only; a key other than the platform's is still denied."""
    contract = WorkloadContract.of(role)
    shadow = sagemaker_arn(scope, "endpoint-config", "sm-clarify-contract-check")
    in_vpc = {"sagemaker:VpcSubnets": list(subnet_ids)}
    contract.allows(
        "sagemaker:CreateEndpointConfig",
        shadow,
        context=in_vpc,
        why="Clarify's SHAP analysis serves the model on a shadow endpoint; its model config takes no KMS key",
        source=CLARIFY_SHADOW_ENDPOINT,
    )
    contract.allows(
        "sagemaker:CreateEndpoint",
        sagemaker_arn(scope, "endpoint", "sm-clarify-contract-check"),
        why="Clarify creates the shadow endpoint from that config",
        source=CLARIFY_SHADOW_ENDPOINT,
    )
    contract.denies(
        "sagemaker:CreateEndpointConfig",
        shadow,
        context={
            **in_vpc,
            "sagemaker:VolumeKmsKey": stack_of(scope).format_arn(
                service="kms", resource="key", resource_name="contract-check-foreign"
            ),
        },
        why="the guardrail still denies a shadow endpoint config with a key other than the platform's",
        source=src.SAGEMAKER_CONDITIONS,
    )


def shadow_endpoint_statement(scope: Construct) -> iam.PolicyStatement:
    """What Clarify's SHAP analysis does with the job's role: serve the model on a temporary endpoint named
    ``sm-clarify-*`` and invoke it (SageMaker developer guide, "Configure a SageMaker Clarify Processing Job")."""
    return iam.PolicyStatement(
        sid="ClarifyShadowEndpoint",
        actions=[
            "sagemaker:CreateEndpointConfig",
            "sagemaker:CreateEndpoint",
            "sagemaker:DescribeEndpoint",
            "sagemaker:DescribeEndpointConfig",
            "sagemaker:DeleteEndpoint",
            "sagemaker:DeleteEndpointConfig",
            "sagemaker:InvokeEndpoint",
        ],
        resources=[
            sagemaker_arn(scope, "endpoint", "sm-clarify-*"),
            sagemaker_arn(scope, "endpoint-config", "sm-clarify-*"),
        ],
    )


__all__ = [
    "grant_monitor_role",
    "record_monitor_contracts",
    "record_package_baseline_contract",
    "record_shadow_endpoint_contract",
    "shadow_endpoint_statement",
]
