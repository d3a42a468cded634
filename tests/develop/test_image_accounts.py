"""Region data of AWS's SageMaker images: generated from the SDK, one table for build and operate.

What would catch a regression:
- the checked-in module is exactly what ``scripts/image_accounts.py`` renders for its tables (no hand edit),
  and the derivation (families, agreement checks) behaves on SDK-shaped data;
- with the SDK data at hand (``CONSTRUCTS_ML_SDK_IMAGE_URI_CONFIG``: an ``image_uri_config`` directory or a
  ``sagemaker-core`` wheel), the tables re-derive to the same values;
- regions the old 18-region maps lacked resolve (at synth for a pinned region, through the mapping for an
  agnostic stack), and a region where AWS publishes no image fails at synth naming the construct.
No synth of a full app: values are resolved in small stacks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from aws_cdk import App, CfnMapping, CfnOutput, CfnWaitConditionHandle, Environment, Stack

from constructs_ml.develop import REGISTRY_ACCOUNTS, BuiltinAlgorithm, ContainerImage
from constructs_ml.develop import image_accounts_data as data
from constructs_ml.develop.image_accounts import (
    CLARIFY_ACCOUNTS,
    IMAGE_ACCOUNTS,
    MAPPING_ID,
    MODEL_MONITOR_ACCOUNTS,
    SOURCE,
    image_account,
    supported_regions,
)
from constructs_ml.errors import ValidationError
from constructs_ml.operate import MonitoringType, monitoring_image_uri
from scripts import image_accounts as generator
from tests.support import cfn_lint_errors, new_app

SDK_DATA = os.environ.get("CONSTRUCTS_ML_SDK_IMAGE_URI_CONFIG", "")
#: Regions the first, hand-written maps covered (18).
OLD_REGIONS = {
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1",
    "ap-southeast-2", "ap-east-1", "me-south-1",
}  # fmt: skip


def _pinned(region: str) -> Stack:
    return Stack(App(), "Pinned", env=Environment(account="111111111111", region=region))


def test_the_module_is_the_generators_output_for_its_tables() -> None:
    text = Path(data.__file__).read_text()
    assert text == generator.render(data.ACCOUNTS, data.SOURCE, data.SOURCE_FILES)
    assert "a24812666d258d9d19c9a82d0c9385ca0bd3ba01" in SOURCE and "sagemaker-core 2.20.0" in SOURCE
    assert set(data.SOURCE_FILES) == {f"{s.file}.json" for sources in generator.FAMILIES.values() for s in sources}


@pytest.mark.skipif(
    not SDK_DATA,
    reason="needs the SDK's image_uri_config data (not shipped here): set CONSTRUCTS_ML_SDK_IMAGE_URI_CONFIG "
    "to the directory or to a wheel from `pip download --no-deps sagemaker-core==2.27.0`",
)
def test_tables_re_derive_from_the_sdk_data() -> None:
    files = generator.read_source(Path(SDK_DATA))
    assert generator.derive(files) == data.ACCOUNTS


def _sdk_file(registries: dict[str, str], *, scopes: tuple[str, ...] = (), version: str = "1") -> bytes:
    versions = {"versions": {version: {"registries": registries, "repository": "r"}}}
    body: dict[str, object] = {scope: versions for scope in scopes} if scopes else {"scope": ["training"], **versions}
    return json.dumps(body).encode()


def _sdk_files(**overrides: dict[str, str]) -> dict[str, bytes]:
    a = {"eu-west-1": "438346466558", "il-central-1": "898809789911"}
    x = {"eu-west-1": "141502667606"}
    files = {s.file: _sdk_file(a) for s in generator.FAMILIES["AlgorithmsA"] + generator.FAMILIES["AlgorithmsB"]}
    xgb = {"training": {"versions": {"1": {"registries": a}, "1.7-1": {"registries": x}}}}
    xgb["inference"] = xgb["training"]
    files["xgboost"] = json.dumps(xgb).encode()
    files["sklearn"] = _sdk_file(x, scopes=("training", "inference"), version="1.2-1")
    files["model-monitor"] = _sdk_file({"eu-west-1": "468650794304"}, version="")
    files["clarify"] = _sdk_file({"eu-west-1": "131013547314"}, scopes=("processing",), version="1.0")
    files["debugger"] = _sdk_file({"eu-west-1": "929884845733"}, version="latest")
    for name, registries in overrides.items():
        files[name.replace("_", "-")] = _sdk_file(registries)
    return files


def test_derivation_groups_families_and_leaves_out_the_legacy_xgboost_repository() -> None:
    tables = generator.derive(_sdk_files())
    assert (
        tables["AlgorithmsA"] == tables["AlgorithmsB"] == {"eu-west-1": "438346466558", "il-central-1": "898809789911"}
    )
    assert tables["XGBoost"] == {"eu-west-1": "141502667606"}  # version "1" (repository xgboost) is not the family
    assert tables["ModelMonitor"] == {"eu-west-1": "468650794304"}
    assert tables["Clarify"] == {"eu-west-1": "131013547314"}
    assert tables["Debugger"] == {"eu-west-1": "929884845733"}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"kmeans": {"eu-west-1": "438346466558"}}, r"AlgorithmsA: kmeans.json 1 disagrees with linear-learner.json 1"),
        ({"seq2seq": {"eu-west-1": "x", "il-central-1": "898809789911"}}, r"AlgorithmsB: seq2seq.json 1 disagrees"),
    ],
)
def test_derivation_rejects_members_of_a_family_that_disagree(
    override: dict[str, dict[str, str]], message: str
) -> None:
    with pytest.raises(generator.SourceError, match=message):
        generator.derive(_sdk_files(**override))


def test_every_account_is_twelve_digits_and_the_families_cover_the_published_regions() -> None:
    assert all(len(a) == 12 and a.isdigit() for t in IMAGE_ACCOUNTS.values() for a in t.values())
    assert len(REGISTRY_ACCOUNTS) == 37 and set(REGISTRY_ACCOUNTS) > OLD_REGIONS
    assert {"ap-southeast-3", "il-central-1", "eu-south-2", "us-gov-west-1", "cn-north-1"} <= set(REGISTRY_ACCOUNTS)
    assert len(MODEL_MONITOR_ACCOUNTS) == 30 and len(CLARIFY_ACCOUNTS) == 28
    assert set(MODEL_MONITOR_ACCOUNTS) > OLD_REGIONS and set(CLARIFY_ACCOUNTS) > OLD_REGIONS
    # Where the SDK lists no Clarify image, none is invented.
    assert "il-central-1" in MODEL_MONITOR_ACCOUNTS and "il-central-1" not in CLARIFY_ACCOUNTS
    assert supported_regions("Clarify") == tuple(sorted(CLARIFY_ACCOUNTS)) and supported_regions("Nope") == ()


def test_the_published_accounts_of_old_and_new_regions() -> None:
    assert REGISTRY_ACCOUNTS["eu-west-1"] == {
        "AlgorithmsA": "438346466558",
        "AlgorithmsB": "685385470294",
        "XGBoost": "141502667606",
    }
    assert REGISTRY_ACCOUNTS["il-central-1"]["XGBoost"] == "898809789911"
    assert MODEL_MONITOR_ACCOUNTS["il-central-1"] == "843974653677"
    assert CLARIFY_ACCOUNTS["ap-southeast-3"] == "705930551576"


@pytest.mark.parametrize(("region", "family"), [("ap-southeast-3", "XGBoost"), ("eu-south-2", "AlgorithmsA")])
def test_a_newly_covered_region_resolves_the_builtin_image_at_synth(region: str, family: str) -> None:
    stack = _pinned(region)
    algorithm = BuiltinAlgorithm.XGBOOST if family == "XGBoost" else BuiltinAlgorithm.PCA
    uri = stack.resolve(ContainerImage.builtin(algorithm).bind(stack))
    assert uri["Fn::Join"][1][0] == f"{IMAGE_ACCOUNTS[family][region]}.dkr.ecr.{region}."
    assert stack.node.try_find_child(MAPPING_ID) is None  # a pinned region needs no mapping


def test_a_newly_covered_region_resolves_the_model_monitor_image_and_refuses_a_missing_clarify() -> None:
    stack = _pinned("il-central-1")
    uri = stack.resolve(monitoring_image_uri(stack, MonitoringType.DATA_QUALITY))
    assert uri["Fn::Join"][1][0] == "843974653677.dkr.ecr.il-central-1."
    assert uri["Fn::Join"][1][-1] == "/sagemaker-model-monitor-analyzer"
    with pytest.raises(ValidationError) as err:
        monitoring_image_uri(stack, MonitoringType.MODEL_BIAS)
    text = str(err.value)
    assert text.startswith("Pinned: ModelBias image must be in a region where AWS publishes it; il-central-1 has no")
    assert "ap-southeast-3, ca-central-1" in text  # the supported regions are listed
    assert "or pass image_uris={MonitoringType.MODEL_BIAS: <image URI>}" in text


def test_an_unsupported_region_fails_at_synth_naming_the_construct() -> None:
    stack = _pinned("mx-central-1")
    with pytest.raises(ValidationError) as err:
        ContainerImage.builtin(BuiltinAlgorithm.KMEANS).bind(stack)
    text = str(err.value)
    assert "Pinned: image must be in a region where AWS publishes it; mx-central-1 has no AlgorithmsA" in text
    assert "(got 'kmeans:1 in mx-central-1')" in text
    assert ", ".join(sorted(REGISTRY_ACCOUNTS)) in text
    assert "or give the image by URI (ContainerImage.from_uri)" in text


def test_an_unknown_family_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match=r"Pinned: image has an unknown image family \(got 'Nope'\)"):
        image_account(_pinned("eu-west-1"), "Nope", prop="image", image="x", remedy="")


def test_an_agnostic_stack_maps_every_published_region_of_the_families_it_uses_only() -> None:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Agnostic")
    images = {
        "Pca": ContainerImage.builtin(BuiltinAlgorithm.PCA).bind(stack),
        "Clarify": monitoring_image_uri(stack, MonitoringType.MODEL_EXPLAINABILITY),
        "Linear": ContainerImage.builtin(BuiltinAlgorithm.LINEAR_LEARNER).bind(stack),
    }
    for name, uri in images.items():
        CfnOutput(stack, name, value=uri)
    CfnWaitConditionHandle(stack, "AnyResource")  # cfn-lint wants a Resources section
    template = app.synth().get_stack_by_name("Agnostic").template
    first = {name: output["Value"]["Fn::Join"][1][0] for name, output in template["Outputs"].items()}
    lookup = {"Fn::FindInMap": [MAPPING_ID, {"Ref": "AWS::Region"}, "AlgorithmsA"]}
    assert first == {
        "Pca": lookup,
        "Linear": lookup,
        "Clarify": {"Fn::FindInMap": [MAPPING_ID, {"Ref": "AWS::Region"}, "Clarify"]},
    }
    (mapping,) = template["Mappings"].values()
    assert set(mapping) == set(REGISTRY_ACCOUNTS) | set(CLARIFY_ACCOUNTS)
    assert mapping["il-central-1"] == {"AlgorithmsA": "898809789911"}  # no Clarify there: no entry
    assert mapping["ap-southeast-3"] == {"AlgorithmsA": "951798379941", "Clarify": "705930551576"}
    assert cfn_lint_errors(template) == []
    # the mapping is rewritten whole when a family is added: one mapping, and CDK has nothing to say of it
    assert [c.node.id for c in stack.node.children if isinstance(c, CfnMapping)] == [MAPPING_ID]
    notes = {"aws:cdk:info", "aws:cdk:warning", "aws:cdk:error"}
    assert not [e.data for e in stack.node.find_child(MAPPING_ID).node.metadata if e.type in notes]
