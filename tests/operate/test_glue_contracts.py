"""The glue functions' workload contracts, evaluated offline on the documented example's templates.

The example (docs/examples/operate_glue_example.py) has both glue functions with every option the
reference platform uses (a DynamoDB table with a customer-managed key, an endpoint key, a cross-account
registry). The contract check must pass on it, and fail when a permission the handler needs is taken
away (the "would have caught it" half).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker
from tests.support import load_example

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "operate_glue_example.py"
ROLES = ("/GlueBuild/Retraining/Function/Role", "/GlueServing/DeployOnApproval/Function/Role")


@pytest.fixture(scope="module")
def assembly() -> Assembly:
    outdir = tempfile.mkdtemp(prefix="glue-contracts-")
    load_example(EXAMPLE).build_app(outdir).synth()
    return Assembly(outdir)


def _mutated(assembly: Assembly, edit: Any) -> Assembly:
    clone = copy.copy(assembly)
    clone.stacks = {k: copy.deepcopy(v) for k, v in assembly.stacks.items()}
    for view in clone.stacks.values():
        for res in view.resources.values():
            if res["Type"] == "AWS::IAM::ManagedPolicy":
                edit(res["Properties"]["PolicyDocument"]["Statement"])
    return clone


def test_both_glue_roles_have_contracts_that_the_templates_honour(assembly: Assembly) -> None:
    report = ContractChecker(assembly).check()

    for role in ROLES:
        assert any(path.startswith(role) for path in report.roles), (role, sorted(report.roles))
        assert not [r for r in report.roles_without_contract if r.startswith(role)]
    glue_entries = sum(n for path, n in report.roles.items() if path.startswith(ROLES))
    assert glue_entries >= 30
    assert not [f for f in report.findings if f.role.startswith(ROLES)], report.summary()


def test_without_its_table_permissions_the_retraining_contract_fails(assembly: Assembly) -> None:
    def drop(statements: list[dict[str, Any]]) -> None:
        statements[:] = [s for s in statements if s.get("Sid") != "IdempotencyItems"]

    findings = ContractChecker(_mutated(assembly, drop)).check().findings

    assert any(f.role.startswith(ROLES[0]) and f.entry["action"] == "dynamodb:PutItem" for f in findings)


def test_describe_key_under_grant_is_for_aws_resource_is_a_dead_grant(assembly: Assembly) -> None:
    # The previous statement: DescribeKey and CreateGrant together under kms:GrantIsForAWSResource.
    def merge(statements: list[dict[str, Any]]) -> None:
        for s in statements:
            if s.get("Sid") == "EndpointKeyForSageMaker":
                s["Action"] = ["kms:CreateGrant", "kms:DescribeKey"]
        statements[:] = [s for s in statements if s.get("Sid") != "DescribeEndpointKeyViaSageMaker"]

    findings = ContractChecker(_mutated(assembly, merge)).check().findings

    assert any(f.role.startswith(ROLES[1]) and f.entry["action"] == "kms:DescribeKey" for f in findings)
