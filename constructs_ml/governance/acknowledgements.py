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


@dataclass(frozen=True)
class AllowedAcknowledgement:
    """One reviewed acknowledgement.

    Attributes:
        rules: rule ids it acknowledges (plain cdk-nag ids, e.g. ``AwsSolutions-S1``). An id may end in
            ``[...]`` naming one finding of a multi-finding rule; a ``*`` inside the brackets matches
            any text there (used for object-ARN wildcards whose ARN holds tokens).
        reason: why the control cannot hold here and what compensates; written into the cloud assembly.
        scope: which constructs may carry it (documentation for reviewers).
    """

    rules: tuple[str, ...]
    reason: str
    scope: str

    def matches(self, rule_id: str) -> bool:
        """True if ``rule_id`` (as recorded in the assembly) is one of this entry's rules."""
        for pattern in self.rules:
            if pattern == rule_id:
                return True
            if "[" in pattern:
                regex = "^" + re.escape(pattern).replace(r"\*", ".*") + "$"
                if re.match(regex, rule_id):
                    return True
        return False


_S3_REPLICATION_RULES = (
    "HIPAA.Security-S3BucketReplicationEnabled",
    "NIST.800.53.R5-S3BucketReplicationEnabled",
    "PCI.DSS.321-S3BucketReplicationEnabled",
)

ALLOWLIST: dict[str, AllowedAcknowledgement] = {
    "s3-no-replication": AllowedAcknowledgement(
        rules=_S3_REPLICATION_RULES,
        reason=(
            "Single-region platform by design (ADR-003): durability comes from S3's multi-AZ storage, "
            "versioning and retention on delete; cross-region replication is opt-in through "
            "SecureBucket(replication=...) when a DR region is chosen."
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
    "permissions-boundary-ceiling": AllowedAcknowledgement(
        rules=("AwsSolutions-IAM5[Resource::*]",),
        reason=(
            "Permissions boundary: a ceiling, not a grant. It is attached only as PermissionsBoundary, never "
            "as an identity policy, so its NotAction/Resource * allow grants nothing by itself; effective "
            "permissions are the intersection with each role's least-privilege customer-managed policy, and "
            "the boundary denies escalation and tampering actions on every resource."
        ),
        scope="constructs_ml.foundation.PermissionsBoundary",
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
