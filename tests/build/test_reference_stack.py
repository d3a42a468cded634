"""The reference build stack on a foundation stack: one governed, validating synth."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack

from constructs_ml.foundation import PersonaKind
from stacks.build import BuildConfig, BuildStack
from tests.build.definition_schema import body_of, botocore_errors, schema_errors, steps_by_type
from tests.fixtures import ENV, Foundation
from tests.support import GovernedSynth, assert_governance_clean, cfn_lint_errors, governed_synth, new_app, resources_of


@pytest.fixture(scope="module")
def synth() -> tuple[GovernedSynth, dict[str, Any], BuildStack]:
    app = new_app()
    base = Stack(app, "Base", env=ENV)
    f = Foundation(base)
    assert f.personas is not None
    build = BuildStack(
        app,
        "Build",
        config=BuildConfig(),
        keys=f.keys,
        network=f.network,
        buckets=f.buckets,
        guardrail=f.personas.guardrail.policy,
        approver=f.personas.role(PersonaKind.MODEL_APPROVER),
        permissions_boundary=f.boundary.policy,
        env=ENV,
    )
    result = governed_synth(app)
    return result, result.template(build), build


def test_governance_gate_and_cfn_lint(synth: Any) -> None:
    result, template, _ = synth
    assert_governance_clean(result)
    assert cfn_lint_errors(template) == []


def test_the_stack_has_one_of_each(synth: Any) -> None:
    template = synth[1]
    for kind in (
        "AWS::SageMaker::Pipeline",
        "AWS::SageMaker::ModelPackageGroup",
        "AWS::SageMaker::FeatureGroup",
        "AWS::SageMaker::ModelCard",
    ):
        assert len(resources_of(template, kind)) == 1, kind
    assert resources_of(template, "AWS::IAM::Policy") == {}


def test_every_role_has_the_permissions_boundary(synth: Any) -> None:
    for role in resources_of(synth[1], "AWS::IAM::Role").values():
        assert "PermissionsBoundary" in role["Properties"]


def test_pipeline_is_process_train_spot_evaluate_condition_register(synth: Any) -> None:
    (pipeline,) = resources_of(synth[1], "AWS::SageMaker::Pipeline").values()
    doc = body_of(pipeline)
    assert [s["Name"] for s in doc["Steps"]] == ["Prepare", "Train", "Evaluate", "CheckAuc"]
    steps = steps_by_type(doc)
    assert steps["Training"][0]["Arguments"]["EnableManagedSpotTraining"] is True
    assert [s["Name"] for s in steps["RegisterModel"]] == ["Register"]
    assert schema_errors(doc) == [] and botocore_errors(doc) == []


def test_registry_has_the_example_cross_account_policy(synth: Any) -> None:
    (group,) = resources_of(synth[1], "AWS::SageMaker::ModelPackageGroup").values()
    assert "222222222222" in str(group["Properties"]["ModelPackageGroupPolicy"])


def test_feature_group_has_both_stores(synth: Any) -> None:
    (group,) = resources_of(synth[1], "AWS::SageMaker::FeatureGroup").values()
    assert group["Properties"]["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"]
    assert group["Properties"]["OfflineStoreConfig"]["S3StorageConfig"]["KmsKeyId"]
