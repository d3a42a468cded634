"""Production promotion modes on the multi-account config (template shape only; the governed synth of the
example config is tests/delivery/test_multi_account.py, and the modes were also synthesized governed clean).

* ``manual-gate`` with ``prod_model_package_arn``: production serves exactly that version.
* ``lifecycle-approval``: production also deploys on approval, fed by a second rule that forwards only
  versions whose model life cycle is Production/Approved.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacks.config import parse_config
from stacks.delivery import build_delivery
from tests.support import governed_synth, new_app, resources_of

ROOT = Path(__file__).resolve().parents[2]
PINNED = "arn:aws:sagemaker:eu-west-1:222222222222:model-package/churn/3"


def _synth(delivery_change: dict[str, Any]) -> dict[str, dict[str, Any]]:
    raw = json.loads((ROOT / "config" / "multi-account.json").read_text())
    raw["delivery"].update(delivery_change)
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = new_app(governed=False, validate_cfn=False, **context)
    build_delivery(app, parse_config(raw), governed=False)
    outdir = governed_synth(app).outdir
    return {
        p.name.split(".")[0][:-8]: json.loads(p.read_text())
        for p in outdir.rglob("*.template.json")
        if "assembly-" in str(p)
    }


@pytest.fixture(scope="module")
def pinned() -> dict[str, dict[str, Any]]:
    return _synth({"prod_model_package_arn": PINNED})


@pytest.fixture(scope="module")
def lifecycle() -> dict[str, dict[str, Any]]:
    return _synth({"prod_promotion": "lifecycle-approval"})


def test_manual_gate_serves_the_pinned_version_in_prod_only(pinned: dict[str, dict[str, Any]]) -> None:
    (prod_model,) = resources_of(pinned["ProdServing"], "AWS::SageMaker::Model").values()
    assert prod_model["Properties"]["PrimaryContainer"] == {"ModelPackageName": PINNED}
    assert prod_model["Properties"]["EnableNetworkIsolation"] is True
    (staging_model,) = resources_of(pinned["StagingServing"], "AWS::SageMaker::Model").values()
    assert "Fn::If" in staging_model["Properties"]["PrimaryContainer"]  # the deployed-package record
    assert resources_of(pinned["ProdServing"], "AWS::Events::EventBusPolicy") == {}


def test_lifecycle_approval_forwards_production_approved_versions_to_prod(lifecycle: dict[str, dict[str, Any]]) -> None:
    forwards = {
        json.dumps(r["Properties"]["Targets"][0]["Arn"]): r["Properties"]["EventPattern"]["detail"]
        for r in resources_of(lifecycle["DevServing"], "AWS::Events::Rule").values()
        if "event-bus/default" in json.dumps(r["Properties"]["Targets"][0].get("Arn"))
    }
    by_account = {next(a for a in ("333333333333", "444444444444") if a in k): v for k, v in forwards.items()}
    assert by_account == {
        "333333333333": {"ModelPackageGroupName": ["churn"], "ModelApprovalStatus": ["Approved"]},
        "444444444444": {
            "ModelPackageGroupName": ["churn"],
            "ModelApprovalStatus": ["Approved"],
            "ModelLifeCycle": {"Stage": ["Production"], "StageStatus": ["Approved"]},
        },
    }
    (bus_policy,) = resources_of(lifecycle["ProdServing"], "AWS::Events::EventBusPolicy").values()
    assert bus_policy["Properties"]["Statement"]["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
