"""Write-once pipeline outputs (issue 10, approval integrity): the artifacts bucket's policy, and the grants
that keep people and notebooks to their own work prefixes. Shares the package's one foundation synth."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_kms as kms

from constructs_ml.errors import ValidationError
from constructs_ml.foundation import PIPELINE_JOB_ROLE_PATH, SecureBucket, WriteOncePrefix
from tests.fixtures import ENV
from tests.support import resources_of


def _artifacts_policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    buckets = [lid for lid in resources_of(template, "AWS::S3::Bucket") if "Artifacts" in lid]
    assert len(buckets) == 1
    (policy,) = [
        p
        for p in resources_of(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": buckets[0]}
    ]
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_only_pipeline_job_roles_write_or_delete_under_pipelines(template: dict[str, Any]) -> None:
    (writers,) = [s for s in _artifacts_policy(template) if s.get("Sid") == "WriteOnceOnlyWriters"]
    assert writers["Effect"] == "Deny" and writers["Principal"] == {"AWS": "*"}
    assert writers["Action"] == ["s3:PutObject", "s3:DeleteObject"]
    assert writers["Resource"]["Fn::Join"][1][-1] == "/pipelines/*"
    (pattern,) = writers["Condition"]["ArnNotLike"].values()
    assert list(writers["Condition"]["ArnNotLike"]) == ["aws:PrincipalArn"]
    assert str(pattern["Fn::Join"][1][-1]).endswith(f":role{PIPELINE_JOB_ROLE_PATH}*")


def test_nobody_removes_a_version_or_changes_an_acl_under_pipelines(template: dict[str, Any]) -> None:
    (keep,) = [s for s in _artifacts_policy(template) if s.get("Sid") == "WriteOnceKeepVersions"]
    assert keep["Effect"] == "Deny" and "Condition" not in keep
    assert keep["Action"] == ["s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"]


def test_other_buckets_are_not_write_once(template: dict[str, Any]) -> None:
    sids = {
        s.get("Sid")
        for lid, p in resources_of(template, "AWS::S3::BucketPolicy").items()
        if "Artifacts" not in str(p["Properties"]["Bucket"])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    }
    assert not {"WriteOnceOnlyWriters", "WriteOnceKeepVersions"} & sids


def _object_writes(template: dict[str, Any], role_fragment: str) -> list[str]:
    """The object ARNs (as text) a role's policies allow s3:PutObject on in any bucket (role: its logical-id stem)."""
    out: list[str] = []
    for policy in resources_of(template, "AWS::IAM::ManagedPolicy").values():
        roles = [r["Ref"] for r in policy["Properties"].get("Roles", []) if isinstance(r, dict)]
        if not any(re.search(f"{role_fragment}[0-9A-F]{{8}}$", r) for r in roles):
            continue
        for s in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            if s["Effect"] == "Allow" and "s3:PutObject" in actions:
                resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
                out += [str(r) for r in resources]
    return out


@pytest.mark.parametrize(
    ("role", "prefixes"),
    [
        ("PersonasMlEngineer", {"/work/ml-engineer/*", "/code/*", "/models/*", "/baselines/*"}),
        ("PersonasMlEngineerStudio", {"/studio/ml-engineer/*"}),
        ("PersonasDataScientistStudio", {"/studio/data-scientist/*"}),
        ("ExecutionRolesTraining", {"/jobs/*"}),
    ],
)
def test_people_notebooks_and_jobs_write_only_their_prefixes_of_the_artifacts_bucket(
    template: dict[str, Any], role: str, prefixes: set[str]
) -> None:
    artifacts = next(lid for lid in resources_of(template, "AWS::S3::Bucket") if "Artifacts" in lid)
    writes = [w for w in _object_writes(template, role) if artifacts in w]
    found = {m.group(0) for w in writes if (m := re.search(r"/[a-z-]+/(?:[a-z-]+/)?\*", w))}
    assert found == prefixes, writes
    assert all("'/*'" not in w for w in writes)  # nothing bucket-wide


def test_the_pipeline_service_role_writes_no_artifacts(template: dict[str, Any]) -> None:
    artifacts = next(lid for lid in resources_of(template, "AWS::S3::Bucket") if "Artifacts" in lid)
    assert [w for w in _object_writes(template, "ExecutionRolesPipeline") if artifacts in w] == []


@pytest.mark.parametrize(
    ("write_once", "message"),
    [
        (WriteOncePrefix(prefix="pipelines"), r"write_once\[0\]\.prefix must be .* ending in '/'"),
        (WriteOncePrefix(prefix="/pipelines/"), r"write_once\[0\]\.prefix"),
        (WriteOncePrefix(writer_role_path="pipeline-jobs"), r"write_once\[0\]\.writer_role_path must be an IAM path"),
    ],
)
def test_bad_write_once_prefixes_are_rejected(write_once: WriteOncePrefix, message: str) -> None:
    stack = Stack(App(), "T", env=ENV)
    with pytest.raises(ValidationError, match=message):
        SecureBucket(stack, "B", encryption_key=kms.Key(stack, "K"), write_once=[write_once])
