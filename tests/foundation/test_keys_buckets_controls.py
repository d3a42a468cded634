"""KMS-01..03, S3-01..09 and LOG-01 on the synthesized foundation template."""

from __future__ import annotations

from typing import Any

from tests.support import resources_of


def test_kms01_02_keys_rotated_and_retained(template: dict[str, Any]) -> None:
    keys = resources_of(template, "AWS::KMS::Key")
    assert len(keys) >= 3
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["DeletionPolicy"] == "Retain" and key["UpdateReplacePolicy"] == "Retain"
        assert key["Properties"]["PendingWindowInDays"] == 30


def test_kms03_no_unconditioned_star_principal_and_logs_context(template: dict[str, Any]) -> None:
    saw_logs = saw_via_service = False
    for key in resources_of(template, "AWS::KMS::Key").values():
        for s in key["Properties"]["KeyPolicy"]["Statement"]:
            principal = s.get("Principal")
            assert (principal != "*" and principal != {"AWS": "*"}) or "Condition" in s, s
            service = (principal or {}).get("Service") if isinstance(principal, dict) else None
            if isinstance(service, str) and service.startswith("logs."):
                saw_logs = True
                assert "kms:EncryptionContext:aws:logs:arn" in s["Condition"]["ArnLike"]
            if "Condition" in s and "kms:ViaService" in s["Condition"].get("StringEquals", {}):
                saw_via_service = True
    assert saw_logs and saw_via_service


def _buckets(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of(template, "AWS::S3::Bucket")


def _log_bucket_ids(template: dict[str, Any]) -> set[str]:
    return {
        b["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
        for b in _buckets(template).values()
        if "LoggingConfiguration" in b["Properties"]
    }


def test_s3_01_kms_except_the_log_target(template: dict[str, Any]) -> None:
    logs = _log_bucket_ids(template)
    assert len(logs) == 1
    for bucket_id, b in _buckets(template).items():
        rule = b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        algo = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        if bucket_id in logs:
            assert algo == "AES256"
        else:
            assert algo == "aws:kms" and "KMSMasterKeyID" in rule["ServerSideEncryptionByDefault"]
            assert rule["BucketKeyEnabled"] is True


def test_s3_02_03_06_07_public_access_versioning_acls_retention(template: dict[str, Any]) -> None:
    assert len(_buckets(template)) == 4
    for b in _buckets(template).values():
        props = b["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
        assert b["DeletionPolicy"] == "Retain" and b["UpdateReplacePolicy"] == "Retain"
    assert not resources_of(template, "Custom::S3AutoDeleteObjects")


def test_s3_04_every_bucket_but_the_target_is_logged(template: dict[str, Any]) -> None:
    logs = _log_bucket_ids(template)
    for bucket_id, b in _buckets(template).items():
        assert ("LoggingConfiguration" in b["Properties"]) == (bucket_id not in logs)


def test_s3_05_08_bucket_policies(template: dict[str, Any]) -> None:
    policies = resources_of(template, "AWS::S3::BucketPolicy")
    assert len(policies) == len(_buckets(template))
    logs = _log_bucket_ids(template)
    for p in policies.values():
        statements = p["Properties"]["PolicyDocument"]["Statement"]
        tls = [s for s in statements if s["Effect"] == "Deny" and "aws:SecureTransport" in str(s.get("Condition"))]
        version = [s for s in statements if s["Effect"] == "Deny" and "s3:TlsVersion" in str(s.get("Condition"))]
        assert tls and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert tls[0]["Principal"] == {"AWS": "*"} and len(tls[0]["Resource"]) == 2
        assert version and version[0]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}}
        if p["Properties"]["Bucket"]["Ref"] not in logs:
            key_guard = [s for s in statements if s.get("Sid") == "DenyOtherKmsKeys"]
            assert key_guard and key_guard[0]["Action"] == "s3:PutObject"
            # Only puts that name another key (or another encryption type) are denied: "Null false" keeps
            # puts that rely on the bucket default (this key) working.
            header = "s3:x-amz-server-side-encryption-aws-kms-key-id"
            assert set(key_guard[0]["Condition"]["StringNotEquals"]) == {header}
            assert key_guard[0]["Condition"]["Null"] == {header: "false"}
            sse_guard = [s for s in statements if s.get("Sid") == "DenyOtherEncryption"]
            assert sse_guard and sse_guard[0]["Condition"] == {
                "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                "Null": {"s3:x-amz-server-side-encryption": "false"},
            }


def test_s3_data_bucket_sends_events_without_custom_resource(template: dict[str, Any]) -> None:
    with_events = [
        b
        for b in _buckets(template).values()
        if b["Properties"]
        .get("NotificationConfiguration", {})
        .get("EventBridgeConfiguration", {})
        .get("EventBridgeEnabled")
    ]
    assert len(with_events) == 1
    assert not resources_of(template, "Custom::S3BucketNotifications")


def test_s3_09_no_replication_is_acknowledged_through_the_allowlist(foundation_synth: Any) -> None:
    result = foundation_synth[0]
    acked = {(path.rsplit("/", 1)[0], rule) for path, rule, _ in result.acknowledgements()}
    for name in ("Data", "Artifacts", "Capture", "AccessLogs"):
        assert (f"/FoundationTest/Foundation/Buckets/{name}", "HIPAA.Security-S3BucketReplicationEnabled") in acked


def test_log01_log_groups_encrypted_with_retention(template: dict[str, Any]) -> None:
    groups = resources_of(template, "AWS::Logs::LogGroup")
    assert groups
    for g in groups.values():
        assert "KmsKeyId" in g["Properties"] and g["Properties"]["RetentionInDays"] > 0
        assert g["DeletionPolicy"] == "Retain"
    assert not resources_of(template, "Custom::LogRetention")
