"""Cross-account read access to a model registry: who may read, which actions, and what a reader needs to use a package.

A reader account that deploys a model package from this registry makes three kinds of call, each checked
by a policy on this side (and by its own identity policies on its side, see docs/develop.md):

1. SageMaker on the model package group and its versions (``DescribeModelPackageGroup``,
   ``DescribeModelPackage``, ``ListModelPackages``, ``CreateModel`` from a package): the group's resource
   policy (:func:`group_policy`);
2. S3 ``GetObject``/``GetObjectVersion`` on the package's artifacts (``model.tar.gz``, evaluation
   reports) and ``ListBucket`` below their prefixes: the artifacts bucket's policy (:func:`grant_artifact_read`);
3. KMS ``Decrypt`` of those objects' data keys, through S3 only (``kms:ViaService``): the key's policy.

Cross-account access is read-only: :data:`CROSS_ACCOUNT_ALLOWED_ACTIONS` is the whole set a reader may be
given; ``UpdateModelPackage`` (approval), ``CreateModelPackage``, ``DeleteModelPackage`` and the like are
rejected. Sources: SageMaker Developer Guide, "Deploy a Model Version from a Different Account"
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-deploy-xaccount.html); Amazon S3 User
Guide, "Bucket owner granting cross-account bucket permissions"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html);
AWS KMS Developer Guide, "Allowing users in other accounts to use a KMS key"
(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html) and
"kms:ViaService" (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved, stack_of
from constructs_ml.errors import Problems

ACCOUNT = re.compile(r"^\d{12}$")
PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(root|role/[\w+=,.@/-]+)$")

#: Actions the cross-account policy grants by default: read the group and its versions, create a model.
CROSS_ACCOUNT_READ_ACTIONS: tuple[str, ...] = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
    "sagemaker:CreateModel",
)

#: Every action a reader account may be given on the model packages: reading and using them, nothing that
#: changes the registry (``DescribeModelPackageGroup`` is always given on the group itself).
CROSS_ACCOUNT_ALLOWED_ACTIONS: frozenset[str] = frozenset(
    (*CROSS_ACCOUNT_READ_ACTIONS, "sagemaker:DescribeModelPackageGroup")
)

#: What a reader account gets on the artifact objects (bucket policy), and on the data key (key policy).
ARTIFACT_READ_ACTIONS: tuple[str, ...] = ("s3:GetObject", "s3:GetObjectVersion")
KEY_DECRYPT_ACTIONS: tuple[str, ...] = ("kms:Decrypt",)


def account_of(reader: str) -> str | None:
    """The account of a reader (a 12-digit id or an IAM root/role ARN), or None if it is neither."""
    if ACCOUNT.match(reader):
        return reader
    match = PRINCIPAL_ARN.match(reader)
    return match.group(1) if match else None


def check_readers(problems: Problems, readers: Sequence[str], own_account: str) -> None:
    """Each reader is a named other account (12-digit id or IAM root/role ARN): no wildcard, not ours."""
    for reader in readers:
        if is_unresolved(reader):
            continue
        if "*" in reader:
            problems.add(
                "cross_account_ids",
                reader,
                "named account ids or IAM ARNs",
                what="must not contain a wildcard principal",
            )
            continue
        account = account_of(reader)
        if account is None:
            problems.add("cross_account_ids", reader, "a 12-digit account id or an IAM root/role ARN")
        elif not is_unresolved(own_account) and account == own_account:
            problems.add(
                "cross_account_ids",
                reader,
                "another account",
                what=f"must name another account than the registry's own ({own_account}): grant roles of this "
                "account with grant_read",
            )
    problems.unique("cross_account_ids", readers)


def check_actions(problems: Problems, actions: Sequence[str]) -> None:
    """Cross-account actions are read-only: a subset of :data:`CROSS_ACCOUNT_ALLOWED_ACTIONS`."""
    allowed = ", ".join(sorted(CROSS_ACCOUNT_ALLOWED_ACTIONS))
    for action in actions:
        problems.require(
            action in CROSS_ACCOUNT_ALLOWED_ACTIONS,
            "cross_account_actions",
            action,
            f"one of {allowed} (cross-account access is read-only: approving, registering or deleting "
            "model packages stays in this account)",
        )


def reader_principals(readers: Sequence[str]) -> list[iam.IPrincipal]:
    """IAM principals of the readers: the account (root) for an id, the ARN as given otherwise."""
    return [iam.AccountPrincipal(r) if ACCOUNT.match(r) else iam.ArnPrincipal(r) for r in readers]


def group_policy(
    principals: Sequence[iam.IPrincipal], group_arn: str, package_arn: str, actions: Sequence[str]
) -> iam.PolicyDocument:
    """The model package group's resource policy: describe the group, the given actions on its versions."""
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="CrossAccountDescribeGroup",
                principals=list(principals),
                actions=["sagemaker:DescribeModelPackageGroup"],
                resources=[group_arn],
            ),
            iam.PolicyStatement(
                sid="CrossAccountModelPackages",
                principals=list(principals),
                actions=list(actions),
                resources=[package_arn],
            ),
        ]
    )


@dataclass(frozen=True)
class ArtifactReadGrant:
    """The statements :func:`grant_artifact_read` added (for tests and reports).

    Attributes:
        objects: bucket policy: read the objects below the prefixes.
        listing: bucket policy: list the bucket, limited to the prefixes by ``s3:prefix``.
        decrypt: key policy: decrypt through S3 in the key's region; None for a bucket without a KMS key.
    """

    objects: iam.PolicyStatement
    listing: iam.PolicyStatement
    decrypt: iam.PolicyStatement | None


def _sid(name: str) -> str:
    return "".join(c for c in name.title() if c.isalnum())[:40] or "Registry"


def _literal_bucket_arn(bucket: s3.IBucket, key_stack: Stack) -> str | None:
    """The bucket's ARN without a reference to the bucket resource, if its name is a literal.

    A key policy cannot name a bucket by ``Fn::GetAtt``: the bucket already refers to the key (its
    default encryption), so that is a circular dependency in one stack and a cycle of cross-stack
    references across two. Only a bucket with a given physical name can be named in its key's policy.
    """
    cfn = bucket.node.default_child
    name = cfn.bucket_name if isinstance(cfn, s3.CfnBucket) else None
    if name is None or is_unresolved(name):
        return None
    return f"arn:{key_stack.partition}:s3:::{name}"


def grant_artifact_read(
    scope: Construct,
    *,
    principals: Sequence[iam.IPrincipal],
    group_name: str,
    bucket: s3.IBucket,
    prefixes: Sequence[str],
    key: kms.IKey | None,
) -> ArtifactReadGrant:
    """Let reader accounts read (and decrypt) a registry's artifacts below ``prefixes`` of ``bucket``.

    Adds to the bucket's policy and the key's policy through their L2 ``add_to_resource_policy``, so the
    statements land in the stacks that own them (no cross-stack reference: they name only the bucket,
    the prefixes, the readers and the region). The key statement allows ``kms:Decrypt`` only through
    S3 of the key's region (``kms:ViaService``), and, when the bucket has a physical name (so its ARN
    can be written without referring to the bucket resource, see :func:`_literal_bucket_arn`), only
    for that bucket's objects (``kms:EncryptionContext:aws:s3:arn``: the bucket ARN with S3 Bucket Keys,
    the object ARN without). Either way S3 decrypts only what the bucket policy lets the reader read:
    the grant is scoped to the prefixes by the bucket policy.

    Raises:
        ValidationError: no prefix, a prefix that is empty, starts with ``/``, has a wildcard or does not
            end with ``/``; an imported bucket or key, whose policy cannot be changed from here.
    """
    problems = Problems(scope)
    problems.require(bool(prefixes), "prefixes", list(prefixes), "at least one prefix of the registry's artifacts")
    for prefix in prefixes:
        if is_unresolved(prefix):
            continue
        problems.require(
            bool(prefix) and not prefix.startswith("/") and not {"*", "?"} & set(prefix) and prefix.endswith("/"),
            "prefixes",
            prefix,
            "a non-empty key prefix ending with '/', without a leading '/' or wildcards (never the whole bucket)",
        )
    problems.raise_if_any()
    sid = _sid(group_name) if not is_unresolved(group_name) else _sid(scope.node.id)
    objects = iam.PolicyStatement(
        sid=f"{sid}CrossAccountReadArtifacts",
        principals=list(principals),
        actions=list(ARTIFACT_READ_ACTIONS),
        resources=[bucket.arn_for_objects(f"{p}*") for p in prefixes],
    )
    listing = iam.PolicyStatement(
        sid=f"{sid}CrossAccountListArtifacts",
        principals=list(principals),
        actions=["s3:ListBucket"],
        resources=[bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
    )
    for statement in (objects, listing):
        if not bucket.add_to_resource_policy(statement).statement_added:
            problems.add(
                "bucket",
                bucket.node.path,
                "a bucket defined in this app",
                what="is imported: its policy cannot be changed from here; add the reader statements in the "
                "bucket's own account/stack",
            )
            break
    key = key or bucket.encryption_key
    decrypt: iam.PolicyStatement | None = None
    if key is not None:
        key_stack = stack_of(key)
        conditions: dict[str, dict[str, object]] = {
            "StringEquals": {"kms:ViaService": f"s3.{key_stack.region}.amazonaws.com"}
        }
        bucket_arn = _literal_bucket_arn(bucket, key_stack)
        if bucket_arn is not None:
            contexts = [bucket_arn, *(f"{bucket_arn}/{p}*" for p in prefixes)]
            conditions["StringLike"] = {"kms:EncryptionContext:aws:s3:arn": contexts}
        decrypt = iam.PolicyStatement(
            sid=f"{sid}CrossAccountDecryptArtifacts",
            principals=list(principals),
            actions=list(KEY_DECRYPT_ACTIONS),
            resources=["*"],
            conditions=conditions,
        )
        if not key.add_to_resource_policy(decrypt).statement_added:
            problems.add(
                "key",
                key.node.path,
                "a key defined in this app",
                what="is imported: its key policy cannot be changed from here; add the reader statement in the "
                "key's own account/stack",
            )
    problems.raise_if_any()
    return ArtifactReadGrant(objects=objects, listing=listing, decrypt=decrypt)


__all__ = [
    "ARTIFACT_READ_ACTIONS",
    "CROSS_ACCOUNT_ALLOWED_ACTIONS",
    "CROSS_ACCOUNT_READ_ACTIONS",
    "KEY_DECRYPT_ACTIONS",
    "ArtifactReadGrant",
    "account_of",
    "check_actions",
    "check_readers",
    "grant_artifact_read",
    "group_policy",
    "reader_principals",
]
