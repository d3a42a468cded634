"""The allowlist's finding patterns cover what their reasons say and nothing more (issue 10, part 4).

A ``*`` in a bracket pattern used to match any text, so ``arn:*:sagemaker:*:*:*`` (reviewed for read-only
Describe actions and for operations on pipelines) also covered ``...:endpoint/*`` and every other
resource type; only the action check stood between a new grant and a silent acknowledgement. Now ``*``
is one ARN segment and ``**`` any text, and the operations entry names the resource types it covers.
"""

from __future__ import annotations

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.governance.acknowledgements import ALLOWLIST, OPERATED_TYPES
from constructs_ml.governance.iam_wildcards import reviewed_entry
from tests.fixtures import ENV
from tests.support import governed_synth, new_app

ACCOUNT_WIDE = "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:*]"


def _sm(resource: str) -> str:
    return f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:{resource}]"


def test_a_star_is_one_arn_segment() -> None:
    generated = ALLOWLIST["iam5-sagemaker-generated-names"]
    assert generated.matches(_sm("training-job/*"))
    assert generated.matches(_sm("model-package/churn/*"))
    assert not generated.matches(_sm("endpoint/*"))
    assert not generated.matches(ACCOUNT_WIDE)
    assert not generated.matches(_sm("training-job/*/more/*"))


def test_operations_never_cover_the_whole_account() -> None:
    operations = ALLOWLIST["iam5-sagemaker-operations"]
    assert not operations.matches(ACCOUNT_WIDE)
    assert all(operations.matches(_sm(f"{t}/*")) for t in OPERATED_TYPES)
    assert not operations.matches(_sm("domain/*"))
    assert not operations.matches(_sm("endpoint-config/*"))


def test_only_describe_is_reviewed_account_wide() -> None:
    describe = {"Effect": "Allow", "Action": ["sagemaker:DescribeEndpoint"], "Resource": "x"}
    stop = {"Effect": "Allow", "Action": ["sagemaker:StopTrainingJob"], "Resource": "x"}
    found = reviewed_entry(ACCOUNT_WIDE, [describe])
    assert found is not None and found[0] == "iam5-sagemaker-read-only"
    assert reviewed_entry(ACCOUNT_WIDE, [stop]) is None


def test_object_prefixes_and_cross_stack_references_keep_working() -> None:
    objects = ALLOWLIST["iam5-bucket-objects"]
    assert objects.matches("AwsSolutions-IAM5[Resource::<BucketsArtifacts7910A7AB.Arn>/studio/ml-engineer/*]")
    assert not objects.matches("AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::*/*]")
    cross = ALLOWLIST["iam5-bucket-objects-cross-stack"]
    assert cross.matches(
        'AwsSolutions-IAM5[Resource::{"Fn::GetStackOutput":{"StackName":"p","Region":{"Ref":"AWS::Region"},'
        '"OutputName":"PublishOutputFnGetAttBucketsArtifactsArn37F79CEE"}}/baselines/churn/bias/*]'
    )


@pytest.mark.parametrize(
    ("actions", "acknowledged"),
    [(["sagemaker:DescribeTrainingJob"], True), (["sagemaker:StopTrainingJob"], False)],
)
def test_an_account_wide_grant_fails_the_gate_unless_read_only(actions: list[str], acknowledged: bool) -> None:
    app = new_app(validate_cfn=False)
    stack = Stack(app, "S", env=ENV)
    role = ManagedPolicyRole(
        stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"), description="test"
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=actions, resources=[f"arn:{stack.partition}:sagemaker:{stack.region}:{stack.account}:*"]
        )
    )
    findings = [f for f in governed_synth(app).findings() if "IAM5" in f[1]]
    assert (findings == []) is acknowledged, findings


def test_a_foreign_key_wildcard_is_acknowledged_only_with_its_conditions() -> None:
    finding = "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:eu-west-1:222222222222:key/*]"
    scoped = {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": "arn:aws:kms:eu-west-1:222222222222:key/*",
        "Condition": {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::registry-artifacts"]},
        },
    }
    match = reviewed_entry(finding, [scoped])
    assert match is not None and match[0] == "iam5-foreign-artifact-key"
    unscoped = {k: v for k, v in scoped.items() if k != "Condition"}
    assert reviewed_entry(finding, [unscoped]) is None
    only_via = {**scoped, "Condition": {"StringEquals": scoped["Condition"]["StringEquals"]}}
    assert reviewed_entry(finding, [only_via]) is None
    assert reviewed_entry(finding, [{**scoped, "Action": ["kms:Decrypt", "kms:Encrypt"]}]) is None
