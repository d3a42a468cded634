"""Parts of a :class:`~constructs_ml.serve.Model`: image, model data, container mode, the
approved-package parameter, and the execution role's baseline statements.

:class:`ContainerImage` is :class:`constructs_ml.develop.ContainerImage` (one class for pipelines and
models), re-exported here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import cast

from aws_cdk import CfnCondition, Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_ml._jsii_cache import env_of, stack_of
from constructs_ml.develop.images import ContainerImage
from constructs_ml.serve.common import S3Path, kms_statements

__all__ = [
    "ApprovedPackageParameter",
    "ApprovedPackageRecord",
    "ContainerImage",
    "ContainerMode",
    "ModelData",
    "execution_role_statements",
    "freeze_record",
]


class ContainerMode(enum.Enum):
    """How the container loads models.

    ``MULTI_MODEL`` is a multi-model endpoint: one container serves many artifacts under an S3 prefix,
    loaded on first use and cached, chosen per request with ``TargetModel``.
    """

    SINGLE_MODEL = "SingleModel"
    MULTI_MODEL = "MultiModel"


class ModelData:
    """Model artifacts in S3: one ``model.tar.gz`` (:meth:`from_bucket`) or, for multi-model
    containers, a prefix of artifacts (:meth:`from_prefix`). The model's role may read exactly that
    object or prefix and decrypt with ``key`` (the bucket's key when omitted)."""

    def __init__(self, path: S3Path, *, is_prefix: bool, key: kms.IKey | None) -> None:
        self.path = path
        self.is_prefix = is_prefix
        self.key = key

    @classmethod
    def from_bucket(cls, bucket: s3.IBucket, key: str, *, encryption_key: kms.IKey | None = None) -> ModelData:
        """One artifact, ``s3://<bucket>/<key>``."""
        return cls(S3Path(bucket, key), is_prefix=False, key=encryption_key or bucket.encryption_key)

    @classmethod
    def from_jumpstart(cls, scope: Construct, key: str) -> ModelData:
        """A JumpStart model's artifact in AWS's JumpStart bucket of the stack's region.

        ``key`` is the artifact's key in ``jumpstart-cache-prod-<region>`` (the model's
        ``hosting_artifact_key`` in the JumpStart model specs). The bucket is AWS-owned and
        SSE-S3-encrypted, so the role gets ``s3:GetObject`` on exactly that object and no KMS
        permission; the model, in the VPC, reaches it through the S3 gateway endpoint only if the
        endpoint policy allows it: ``network.allow_s3_buckets(ModelData.jumpstart_bucket(scope))``. For a
        governed copy, curate the artifact into the platform's artifacts bucket and use
        :meth:`from_bucket` instead.
        """
        return cls(S3Path(cls.jumpstart_bucket(scope), key), is_prefix=False, key=None)

    @staticmethod
    def jumpstart_bucket(scope: Construct) -> s3.IBucket:
        """AWS's JumpStart bucket in the stack's region (``jumpstart-cache-prod-<region>``), imported once per stack."""
        stack = stack_of(scope)
        env = env_of(stack)
        found = stack.node.try_find_child("JumpStartBucket")
        if found is not None:
            return cast(s3.IBucket, found)
        return s3.Bucket.from_bucket_name(stack, "JumpStartBucket", f"jumpstart-cache-prod-{env.region}")

    @classmethod
    def from_prefix(cls, bucket: s3.IBucket, prefix: str, *, encryption_key: kms.IKey | None = None) -> ModelData:
        """Every artifact under ``s3://<bucket>/<prefix>/`` (multi-model endpoints)."""
        return cls(S3Path(bucket, prefix), is_prefix=True, key=encryption_key or bucket.encryption_key)

    @property
    def uri(self) -> str:
        return self.path.uri + ("/" if self.is_prefix else "")

    def read_statements(self) -> list[iam.PolicyStatement]:
        if self.is_prefix:
            stmts = self.path.read_statements()
        else:
            stmts = [
                iam.PolicyStatement(
                    actions=["s3:GetObject"], resources=[self.path.bucket.arn_for_objects(self.path.clean_prefix)]
                )
            ]
        if self.key is not None:
            stmts += kms_statements(self.key.key_arn, decrypt=True)
        return stmts

    def __repr__(self) -> str:
        return f"ModelData({self.path.prefix!r}, is_prefix={self.is_prefix})"


_SSM_NAME = re.compile(r"^/[a-zA-Z0-9_.\-/]{1,1010}$")


@dataclass(frozen=True)
class ApprovedPackageParameter:
    """Take the model package from an SSM parameter at deploy time, so approvals survive ``cdk deploy``.

    The mechanism (proposed for ``DeployOnApproval``; the Lambda glue in ``lambdas/deploy_on_approval``
    implements its side):

    1. A stack deployed *before* the serving stack creates the parameter with the value
       :attr:`placeholder` (``ApprovedPackageRecord`` does that), and never changes it in its template.
    2. The model reads it as a CloudFormation parameter of type ``AWS::SSM::Parameter::Value<String>``
       (``ssm.StringParameter.value_for_string_parameter``), resolved on *every* deploy (never
       ``value_from_lookup``: cached in ``cdk.context.json``, it would revert).
    3. A condition picks ``PrimaryContainer.ModelPackageName`` = the parameter when it is not the
       placeholder, and the initial ``image`` + ``model_data`` otherwise, so the stack deploys before
       any model has been approved.
    4. On approval, deploy-on-approval updates the endpoint blue/green and writes the package ARN to
       the parameter. The next ``cdk deploy`` resolves the same ARN: the template's model is the
       approved one and nothing is reverted (CloudFormation creates an equivalent model and config
       and rolls them out blue/green with the same rollback alarms; traffic stays on the approved
       package). Deploying the serving stack is also a valid way to roll out an approval: write the
       parameter, then ``cdk deploy``.

    Attributes:
        parameter_name: the SSM parameter (``/...``) holding the deployed package version ARN.
        placeholder: the value meaning "nothing approved yet": ``none``.
    """

    parameter_name: str
    placeholder: str = "none"

    def problems(self) -> list[str]:
        out = []
        if not _SSM_NAME.match(self.parameter_name):
            out.append(f"parameter_name must be an SSM parameter name starting with '/' (got {self.parameter_name!r})")
        if not self.placeholder or self.placeholder.startswith("arn:"):
            out.append(f"placeholder must be a non-empty non-ARN value (got {self.placeholder!r})")
        return out

    def condition(self, scope: Construct, value: str) -> CfnCondition:
        """The condition "an approved package is recorded" (one per model)."""
        return CfnCondition(
            scope, "HasApprovedPackage", expression=Fn.condition_not(Fn.condition_equals(value, self.placeholder))
        )


#: The description every deployed-package record carries (constant: a changed description would update the resource).
RECORD_DESCRIPTION = "Model package deployed to the endpoint (written by deploy-on-approval)"


def freeze_record(parameter: ssm.StringParameter) -> None:
    """Make the record's CloudFormation resource constant, so no template change ever updates it.

    CloudFormation updates a resource only when its properties change, and an update of an
    ``AWS::SSM::Parameter`` writes the template's value, which would reset what deploy-on-approval
    recorded. The value and description are constants; tags (from ``Tags.of(app)`` or any aspect) are
    removed from the resource, since a changed tag would otherwise update it. What this cannot stop:
    stack-level tags that CloudFormation itself propagates, and manual writes; deploy-on-approval
    repairs those from the endpoint ("Parameter Store Change" events).
    """
    cfn = parameter.node.default_child
    if isinstance(cfn, ssm.CfnParameter):
        cfn.add_property_deletion_override("Tags")


class ApprovedPackageRecord(Construct):
    """The SSM parameter an :class:`ApprovedPackageParameter` reads, created with its placeholder.

    Put it in a stack deployed before the serving stack (e.g. the build stack next to the registry).
    CloudFormation owns the parameter's existence and its one-time initial value; the value belongs to
    deploy-on-approval afterwards. The resource is frozen (:func:`freeze_record`: constant value and
    description, no tags), so no later template change updates it and resets the record.

    Args:
        scope: parent construct.
        construct_id: construct id.
        parameter: the parameter to create (name and placeholder).
        description: the parameter's description.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        parameter: ApprovedPackageParameter,
        description: str = RECORD_DESCRIPTION,
    ) -> None:
        super().__init__(scope, construct_id)
        from constructs_ml.errors import ValidationError

        problems = parameter.problems()
        if problems:
            raise ValidationError(f"{self.node.path}: {p}" for p in problems)
        self.parameter = parameter
        self.resource = ssm.StringParameter(
            self,
            "Resource",
            parameter_name=parameter.parameter_name,
            string_value=parameter.placeholder,
            description=description,
        )
        freeze_record(self.resource)

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.resource.grant_read(grantee)

    def grant_write(self, grantee: iam.IGrantable) -> iam.Grant:
        return self.resource.grant_write(grantee)


def execution_role_statements(scope: Construct, *, vpc: ec2.IVpc | None) -> list[iam.PolicyStatement]:
    """What every SageMaker model execution role needs besides its artifacts and image.

    Logs of endpoints and transform jobs, metrics in SageMaker namespaces only, and, in a VPC, the
    network interfaces SageMaker creates in that VPC only (``ec2:Vpc`` condition; Describe* has no
    resource-level permissions).
    """
    stack = stack_of(scope)
    env = env_of(stack)
    logs = f"arn:{env.partition}:logs:{env.region}:{env.account}:log-group:/aws/sagemaker/"
    stmts = [
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            resources=[f"{logs}Endpoints/*", f"{logs}TransformJobs/*"],
        ),
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["aws/sagemaker/*", "/aws/sagemaker/*"]}},
        ),
    ]
    if vpc is not None:
        vpc_arn = f"arn:{env.partition}:ec2:{env.region}:{env.account}:vpc/{vpc.vpc_id}"
        stmts += [
            iam.PolicyStatement(
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DeleteNetworkInterfacePermission",
                ],
                resources=[
                    f"arn:{env.partition}:ec2:{env.region}:{env.account}:{t}/*"
                    for t in ("network-interface", "subnet", "security-group")
                ],
                conditions={"ArnEquals": {"ec2:Vpc": vpc_arn}},
            ),
            iam.PolicyStatement(
                actions=[
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                ],
                resources=["*"],
            ),
        ]
    return stmts
