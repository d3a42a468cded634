"""WorkloadContract rejects what a reviewer could not check, and records what it is given."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from constructs_ml.contracts import METADATA_TYPE, WorkloadContract, check_assembly
from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.model import contract_for
from constructs_ml.errors import ValidationError

DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html"


def test_a_source_must_be_an_aws_documentation_page() -> None:
    stack = Stack(App(), "S")
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(ValidationError, match=r"S/R: WorkloadContract source must be an AWS documentation page"):
        WorkloadContract.of(role).allows("s3:GetObject", "*", why="reads", source="https://example.com/blog")


def test_imported_roles_carry_no_contract() -> None:
    stack = Stack(App(), "S")
    imported = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::111111111111:role/theirs")
    assert contract_for(imported) is None
    assert contract_for(iam.Role(stack, "Own", assumed_by=iam.AccountRootPrincipal())) is not None


def test_one_contract_per_role_recorded_once_and_checked() -> None:
    app = App()
    stack = Stack(app, "S")
    bucket = s3.Bucket(stack, "B")
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    bucket.grant_read(role)
    assert WorkloadContract.of(role) is WorkloadContract.of(role)
    WorkloadContract.of(role).allows("s3:GetObject", bucket.arn_for_objects("a.csv"), why="reads", source=DOC)
    WorkloadContract.of(role).allows("s3:PutObject", bucket.arn_for_objects("a.csv"), why="writes", source=DOC)
    assembly = app.synth()
    recorded = [d for _, t, d in Assembly(assembly.directory).stacks["S"].metadata if t == METADATA_TYPE]
    assert len(recorded) == 1 and len(recorded[0]["entries"]) == 2
    report = check_assembly(assembly.directory)
    # The put was never granted: the contract says so, with the page that states the need.
    assert [f.entry["action"] for f in report.findings] == ["s3:PutObject"]
    assert DOC in str(report.findings[0])
