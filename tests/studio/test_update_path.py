"""The update path: changing settings and tags updates the Studio resources in place.

Two templates are synthesized (v1, v2) with changed settings and tags. A resource is replaced by
CloudFormation when a property its resource schema lists in ``createOnlyProperties`` changes; the
schemas come from cfn-lint's bundled CloudFormation registry schemas. Logical ids must be stable too.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from aws_cdk import Duration, Tags

from constructs_ml.foundation import PersonaKind
from constructs_ml.studio import (
    AppInstanceType,
    IdleShutdown,
    LifecycleContent,
    SpaceStorage,
    StudioDomain,
    StudioLifecycleConfig,
    TrackingServerSize,
)
from tests.studio.conftest import foundation
from tests.support import REGION, governed_synth, new_app

Template = dict[str, Any]


@cache
def schema(type_name: str) -> dict[str, Any]:
    """The CloudFormation registry schema of ``type_name`` as bundled with cfn-lint (its public schema API)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return dict(PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, type_name).schema)


def at_pointer(properties: dict[str, Any], pointer: str) -> Any:
    node: Any = {"properties": properties}
    for part in pointer.strip("/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def create_only_changes(old: Template, new: Template) -> set[tuple[str, str]]:
    """(logical id, create-only property pointer) pairs whose value differs between the templates."""
    out = set()
    for logical_id, resource in old["Resources"].items():
        after = new["Resources"].get(logical_id)
        if after is None or not resource["Type"].startswith("AWS::"):
            continue
        for pointer in schema(resource["Type"]).get("createOnlyProperties", []):
            if at_pointer(resource.get("Properties", {}), pointer) != at_pointer(after.get("Properties", {}), pointer):
                out.add((logical_id, pointer))
    return out


def build(version: int) -> Template:
    app = new_app(governed=False, validate_cfn=False)
    f = foundation(app)
    Tags.of(f.stack).add("cost-center", f"cc-{version}")  # a stack-wide tag that changes
    script = LifecycleContent.from_string(f"#!/bin/bash\necho setup v{version}\n")
    setup = StudioLifecycleConfig(f.stack, "Setup", content=script, run_by_default=False)
    domain = StudioDomain(
        f.stack,
        "Domain",
        network=f.network,
        key=f.keys.data,
        personas=f.studio_personas,
        lifecycle_configs=[setup],
        idle_shutdown=IdleShutdown(idle_timeout=Duration.minutes(60 * version)),
        default_instance_type=AppInstanceType.ML_T3_MEDIUM if version == 1 else AppInstanceType.ML_T3_LARGE,
        tags={"owner": f"team-{version}"},
    )
    domain.add_user(
        "alice",
        default_instance_type=None if version == 1 else AppInstanceType.ML_M5_LARGE,
        space_storage=SpaceStorage(default_size_gb=5 * version),
    )
    domain.add_user("bob", persona=PersonaKind.DATA_SCIENTIST if version == 1 else PersonaKind.ML_ENGINEER)
    domain.add_user("carol", tags={"team": f"team-{version}"})  # explicit profile tags: create-only
    domain.add_mlflow_tracking_server(
        artifact_bucket=f.buckets.artifacts.bucket,
        size=TrackingServerSize.SMALL if version == 1 else TrackingServerSize.MEDIUM,
        tags={"owner": f"team-{version}"},
    )
    return governed_synth(app).template(f.stack)


@pytest.fixture(scope="module")
def versions() -> tuple[Template, Template]:
    return build(1), build(2)


def logical_id(template: Template, type_name: str, **props: Any) -> str:
    for k, r in template["Resources"].items():
        if r["Type"] == type_name and all(r["Properties"].get(p) == v for p, v in props.items()):
            return str(k)
    raise AssertionError(f"no {type_name} with {props}")


def test_logical_ids_are_stable(versions: tuple[Template, Template]) -> None:
    v1, v2 = versions
    assert set(v1["Resources"]) == set(v2["Resources"])


def test_settings_and_tag_changes_replace_nothing_but_what_cloudformation_forces(
    versions: tuple[Template, Template],
) -> None:
    v1, v2 = versions
    carol = logical_id(v1, "AWS::SageMaker::UserProfile", UserProfileName="carol")
    setup = next(k for k, r in v1["Resources"].items() if r["Type"] == "AWS::SageMaker::StudioLifecycleConfig")
    # Every lifecycle-config property is create-only; the hashed name makes the replacement succeed.
    expected = {(setup, "/properties/StudioLifecycleConfigContent"), (setup, "/properties/StudioLifecycleConfigName")}
    # A profile's own tags were create-only in older resource schemas (newer ones update them in place);
    # inherited stack tags never reach a profile either way.
    if "/properties/Tags" in schema("AWS::SageMaker::UserProfile").get("createOnlyProperties", []):
        expected.add((carol, "/properties/Tags"))
    assert create_only_changes(v1, v2) == expected


@pytest.mark.parametrize(
    ("type_name", "props"),
    [
        ("AWS::SageMaker::Domain", {}),
        ("AWS::SageMaker::UserProfile", {"UserProfileName": "alice"}),
        ("AWS::SageMaker::UserProfile", {"UserProfileName": "bob"}),
        ("AWS::SageMaker::MlflowTrackingServer", {}),
    ],
)
def test_changed_resources_are_updated_in_place(
    versions: tuple[Template, Template], type_name: str, props: dict[str, Any]
) -> None:
    v1, v2 = versions
    lid = logical_id(v1, type_name, **props)
    assert v1["Resources"][lid] != v2["Resources"][lid], "the test must change something"
    assert {p for i, p in create_only_changes(v1, v2) if i == lid} == set()


def test_stack_tags_reach_the_domain_but_not_the_profiles(versions: tuple[Template, Template]) -> None:
    v1, _ = versions
    domain = next(r for r in v1["Resources"].values() if r["Type"] == "AWS::SageMaker::Domain")
    assert {"Key": "cost-center", "Value": "cc-1"} in domain["Properties"]["Tags"]
    for r in v1["Resources"].values():
        if r["Type"] == "AWS::SageMaker::UserProfile":
            assert all(t["Key"] != "cost-center" for t in r["Properties"].get("Tags", []))


def test_the_lifecycle_config_name_follows_its_content(versions: tuple[Template, Template]) -> None:
    names = [
        next(
            r["Properties"]["StudioLifecycleConfigName"]
            for r in t["Resources"].values()
            if r["Type"] == "AWS::SageMaker::StudioLifecycleConfig"
        )
        for t in versions
    ]
    assert names[0] != names[1]
    assert names[0].rsplit("-", 1)[0] == names[1].rsplit("-", 1)[0]


def test_the_detector_sees_create_only_changes(versions: tuple[Template, Template]) -> None:
    v1, _ = versions
    renamed = json.loads(json.dumps(v1))
    domain = next(k for k, r in renamed["Resources"].items() if r["Type"] == "AWS::SageMaker::Domain")
    renamed["Resources"][domain]["Properties"]["DomainName"] = "other"
    assert create_only_changes(v1, renamed) == {(domain, "/properties/DomainName")}
