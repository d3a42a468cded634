"""The two roles of a :class:`~constructs_ml.label.LabelingWorkflow`, their grants and their workload contracts.

* The **labeling job role** is passed to SageMaker Ground Truth: it reads the manifest, the data objects,
  the UI template and the label categories, writes the output prefix with the platform key, invokes the
  custom pre-/post-annotation functions, and (automated labeling) places instances in the VPC.
* The **state machine role** starts and watches the labeling job through Step Functions' optimized
  ``createLabelingJob.sync`` integration (which manages an EventBridge rule), passes the job role to
  SageMaker only, copies the output manifest to the new-data prefix, and delivers logs and traces.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.contracts.model import WorkloadContract
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.serve.common import S3Path, kms_statements
from constructs_ml.serve.model_parts import execution_role_statements

#: Ground Truth's execution role: S3 input/output, KMS, CloudWatch, Lambda (SageMaker developer guide).
GROUND_TRUTH_ROLE = "https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-permission-execution-role.html"
#: Ground Truth with a VPC (automated labeling instances in your subnets).
GROUND_TRUTH_VPC = "https://docs.aws.amazon.com/sagemaker/latest/dg/sms-vpc.html"
#: Step Functions' SageMaker integration: the IAM policy of ``createLabelingJob.sync``.
SFN_SAGEMAKER_IAM = "https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html"
#: Step Functions logging to CloudWatch Logs: the log-delivery permissions of the state machine's role.
SFN_LOGGING = "https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html"
#: Step Functions X-Ray tracing.
SFN_XRAY = "https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html"
#: S3 CopyObject: GetObject on the source and PutObject on the destination.
S3_COPY = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html"

#: The EventBridge rule Step Functions manages for ``.sync`` labeling jobs.
LABELING_SYNC_RULE = "StepFunctionsGetEventsForSageMakerLabelingJobsRule"


def labeling_job_role(
    scope: Construct,
    *,
    manifest: S3Path,
    data: Sequence[S3Path],
    output: S3Path,
    objects: Sequence[S3Path],
    key: kms.IKey,
    functions: Sequence[lambda_.IFunction],
    vpc: ec2.IVpc | None,
    security_groups: Sequence[ec2.ISecurityGroup],
    subnet_ids: Sequence[str],
    guardrail: iam.IManagedPolicy | None,
    permissions_boundary: iam.IManagedPolicy | None,
) -> ManagedPolicyRole:
    """The role Ground Truth runs the labeling job with (``JobRole``), its grants and its contract."""
    stack = stack_of(scope)
    env = env_of(stack)
    role = ManagedPolicyRole(
        scope,
        "JobRole",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com").with_conditions(
            {"StringEquals": {"aws:SourceAccount": env.account}}
        ),
        description=f"Ground Truth labeling jobs of {scope.node.path}",
        guardrail=guardrail,
        permissions_boundary=permissions_boundary,
    )
    for path in [*data, output]:
        role.add_to_policy(*path.read_statements())
    for path in [manifest, *objects]:
        role.add_to_policy(*path.object_read_statements())
    role.add_to_policy(*[*output.write_statements(), *kms_statements(key.key_arn, encrypt=True, decrypt=True)])
    logs_arn = f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:/aws/sagemaker/LabelingJobs"
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            resources=[logs_arn, f"{logs_arn}:*"],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
        )
    )
    if functions:
        role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[f.function_arn for f in functions])
        )
    if vpc is not None:
        role.add_to_policy(*execution_role_statements(scope, vpc=vpc)[2:])
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )

    contract = WorkloadContract.of(role)
    src.assumed_by_service(contract, scope, role.role_arn, "sagemaker.amazonaws.com", GROUND_TRUTH_ROLE)
    via_s3 = {"kms:ViaService": f"s3.{env.region}.amazonaws.com"}
    contract.allows(
        "s3:GetObject",
        manifest.bucket.arn_for_objects(manifest.clean_prefix),
        why="Ground Truth reads the input manifest",
        source=GROUND_TRUTH_ROLE,
    )
    for path in data:
        contract.allows(
            "s3:GetObject",
            path.bucket.arn_for_objects(f"{path.clean_prefix}/contract-check.jpg"),
            why="Ground Truth reads the data objects the manifest names (source-ref) to show them to workers",
            source=GROUND_TRUTH_ROLE,
        )
    contract.allows(
        "s3:PutObject",
        output.bucket.arn_for_objects(f"{output.clean_prefix}/contract-check/manifests/output/output.manifest"),
        context=src.sse_kms(key.key_arn),
        why="Ground Truth writes annotations and the output manifest under the output path, with the platform key",
        source=GROUND_TRUTH_ROLE,
    )
    contract.allows(
        ["kms:Decrypt", "kms:GenerateDataKey"],
        key.key_arn,
        context=via_s3,
        why="inputs and outputs are SSE-KMS with the platform key",
        source=GROUND_TRUTH_ROLE,
    )
    contract.allows(
        "cloudwatch:PutMetricData",
        "*",
        context={"cloudwatch:namespace": "/aws/sagemaker/LabelingJobs"},
        why="Ground Truth publishes the labeling job's metrics",
        source=GROUND_TRUTH_ROLE,
    )
    for fn in functions:
        contract.allows(
            "lambda:InvokeFunction",
            fn.function_arn,
            why="Ground Truth calls the custom pre-annotation and annotation-consolidation functions",
            source=GROUND_TRUTH_ROLE,
        )
    contract.denies(
        "s3:PutObject",
        output.bucket.arn_for_objects("contract-check-elsewhere/output.manifest"),
        context=src.sse_kms(key.key_arn),
        why="the job writes only under its output prefix",
        source=GROUND_TRUTH_ROLE,
    )
    if vpc is not None:
        eni = f"arn:{env.partition}:ec2:{env.region}:{env.account}:network-interface/contract-check"
        contract.allows(
            "ec2:CreateNetworkInterface",
            eni,
            context={"ec2:Vpc": f"arn:{env.partition}:ec2:{env.region}:{env.account}:vpc/{vpc.vpc_id}"},
            why="automated labeling places its training and inference instances in the VPC",
            source=GROUND_TRUTH_VPC,
        )
        contract.allows(
            "kms:CreateGrant",
            key.key_arn,
            context={
                "kms:GrantIsForAWSResource": "true",
                "kms:ViaService": f"sagemaker.{env.region}.amazonaws.com",
            },
            why="automated labeling encrypts its instances' volumes with the platform key",
            source=src.KMS_GRANTS,
        )
        contract.reaches(
            "s3",
            security_groups=list(security_groups),
            subnets=list(subnet_ids),
            why="automated-labeling instances read the data and write models through the S3 gateway endpoint",
            source=GROUND_TRUTH_VPC,
        )
    return role


def state_machine_role(
    scope: Construct,
    *,
    job_role: ManagedPolicyRole,
    job_name_prefix: str,
    output: S3Path,
    publish_to: S3Path | None,
    key: kms.IKey,
    guardrail: iam.IManagedPolicy | None,
    permissions_boundary: iam.IManagedPolicy | None,
) -> ManagedPolicyRole:
    """The state machine's role (``StateMachineRole``), its grants and its contract."""
    stack = stack_of(scope)
    env = env_of(stack)
    role = ManagedPolicyRole(
        scope,
        "StateMachineRole",
        assumed_by=iam.ServicePrincipal("states.amazonaws.com").with_conditions(
            {"StringEquals": {"aws:SourceAccount": env.account}}
        ),
        description=f"Step Functions state machine of {scope.node.path}",
        guardrail=guardrail,
        permissions_boundary=permissions_boundary,
    )
    jobs = stack.format_arn(service="sagemaker", resource="labeling-job", resource_name=f"{job_name_prefix}-*")
    role.add_to_policy(
        iam.PolicyStatement(
            sid="RunLabelingJobs",
            actions=["sagemaker:CreateLabelingJob", "sagemaker:DescribeLabelingJob", "sagemaker:StopLabelingJob"],
            resources=[jobs],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="SyncIntegrationRule",
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[stack.format_arn(service="events", resource="rule", resource_name=LABELING_SYNC_RULE)],
        )
    )
    job_role.grant_pass_role(role)
    if publish_to is not None:
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadOutputManifest",
                actions=["s3:GetObject"],
                resources=[output.bucket.arn_for_objects(f"{output.clean_prefix}/{job_name_prefix}-*")],
            )
        )
        role.add_to_policy(*publish_to.write_statements())
        role.add_to_policy(*kms_statements(key.key_arn, encrypt=True, decrypt=True))
    delivery = iam.ManagedPolicy(
        scope,
        "DeliveryPolicy",
        description=f"Log delivery and X-Ray tracing of {scope.node.path}",
        roles=[role.role],
        statements=[
            iam.PolicyStatement(
                sid="LogDelivery",
                actions=[
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="XRayTracing",
                actions=[
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                resources=["*"],
            ),
        ],
    )
    acknowledge(delivery, "sfn-log-delivery-and-xray")

    contract = WorkloadContract.of(role)
    contract.allows(
        "sts:AssumeRole",
        role.role_arn,
        caller="service:states.amazonaws.com",
        context={"aws:SourceAccount": env.account},
        why="Step Functions assumes the role to run the state machine",
        source=SFN_SAGEMAKER_IAM,
    )
    job = stack.format_arn(
        service="sagemaker", resource="labeling-job", resource_name=f"{job_name_prefix}-contract-check"
    )
    compliant = {"sagemaker:OutputKmsKey": key.key_arn}
    contract.allows(
        ["sagemaker:CreateLabelingJob", "sagemaker:DescribeLabelingJob", "sagemaker:StopLabelingJob"],
        job,
        context=compliant,
        why="the createLabelingJob.sync task starts the job, polls it and stops it when the execution stops",
        source=SFN_SAGEMAKER_IAM,
    )
    contract.denies(
        "sagemaker:CreateLabelingJob",
        job,
        context={},
        why="the guardrail denies labeling jobs whose output is not encrypted with a platform key (SM-11)",
        source=src.SAGEMAKER_CONDITIONS,
    )
    contract.allows(
        ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
        stack.format_arn(service="events", resource="rule", resource_name=LABELING_SYNC_RULE),
        why="the .sync integration manages the EventBridge rule that reports the job's completion",
        source=SFN_SAGEMAKER_IAM,
    )
    contract.allows(
        "iam:PassRole",
        job_role.role_arn,
        context={"iam:PassedToService": "sagemaker.amazonaws.com"},
        why="the labeling job runs with the job role",
        source=SFN_SAGEMAKER_IAM,
    )
    contract.denies(
        "iam:PassRole",
        job_role.role_arn,
        context={"iam:PassedToService": "lambda.amazonaws.com"},
        why="the job role is passed to SageMaker only",
        source="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
    )
    if publish_to is not None:
        contract.allows(
            "s3:GetObject",
            output.bucket.arn_for_objects(
                f"{output.clean_prefix}/{job_name_prefix}-contract-check/manifests/output/output.manifest"
            ),
            why="CopyObject reads the labeled (output) manifest",
            source=S3_COPY,
        )
        contract.allows(
            "s3:PutObject",
            publish_to.bucket.arn_for_objects(f"{publish_to.clean_prefix}/{job_name_prefix}-contract-check.manifest"),
            context=src.sse_kms(key.key_arn),
            why="CopyObject writes the labeled manifest as new data, where the retraining trigger listens",
            source=S3_COPY,
        )
        contract.allows(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            key.key_arn,
            context={"kms:ViaService": f"s3.{env.region}.amazonaws.com"},
            why="both manifests are SSE-KMS with the platform key",
            source=S3_COPY,
        )
    contract.allows(
        ["logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeLogGroups"],
        "*",
        why="Step Functions delivers the execution history to the state machine's log group",
        source=SFN_LOGGING,
    )
    contract.allows(
        ["xray:PutTraceSegments", "xray:GetSamplingRules"],
        "*",
        why="X-Ray tracing of the executions",
        source=SFN_XRAY,
    )
    return role


__all__ = ["labeling_job_role", "state_machine_role"]
