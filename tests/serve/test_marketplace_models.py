"""Third-party models on governed endpoints: an AWS Marketplace model package and a JumpStart model.

docs/examples/marketplace_model_example.py is synthesized with the governance packs (synth raises on
any unacknowledged finding); the tests read its template, lint it and check the models' contracts.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from constructs_ml.contracts.assembly import Assembly
from constructs_ml.contracts.check import ContractChecker
from constructs_ml.errors import ValidationError
from constructs_ml.serve import ContainerImage, ModelData
from tests.serve.conftest import foundation
from tests.support import cfn_lint_errors, doc_shows_example_verbatim, load_example, resources_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "marketplace_model_example.py"
PACKAGE = "arn:aws:sagemaker:eu-west-1:985815980388:model-package/sentiment-analysis-v2-1a2b3c4d5e6f"
JUMPSTART_KEY = "huggingface-infer/prepack/v1.0.0/infer-prepack-huggingface-text2text-flan-t5-small.tar.gz"


@pytest.fixture(scope="module")
def outdir() -> str:
    out = tempfile.mkdtemp(prefix="cdkout-")
    load_example(EXAMPLE).build_app(out).synth()  # governed: raises on any unacknowledged finding
    return out


@pytest.fixture(scope="module")
def template(outdir: str) -> dict[str, Any]:
    return json.loads((Path(outdir) / "ThirdParty.template.json").read_text())


def model_named(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    (model,) = [
        m["Properties"] for k, m in resources_of(template, "AWS::SageMaker::Model").items() if k.startswith(prefix)
    ]
    return model


def role_statements(template: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [
        s
        for k, p in resources_of(template, "AWS::IAM::ManagedPolicy").items()
        if k.startswith(prefix)
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_doc_shows_the_example_verbatim() -> None:
    assert doc_shows_example_verbatim(EXAMPLE, ROOT / "docs" / "serve.md")


def test_cfn_lint_clean(template: dict[str, Any]) -> None:
    assert cfn_lint_errors(template) == []


def test_the_marketplace_model_is_isolated_in_the_vpc_and_reads_no_artifact(template: dict[str, Any]) -> None:
    model = model_named(template, "Sentiment")
    assert model["PrimaryContainer"] == {"ModelPackageName": PACKAGE}
    assert model["EnableNetworkIsolation"] is True
    assert len(model["VpcConfig"]["Subnets"]) == 2
    actions = {a for s in role_statements(template, "SentimentRole") for a in s["Action"]}
    assert not {a for a in actions if a.startswith(("s3:", "ecr:", "kms:"))}, actions


def test_the_jumpstart_model_reads_exactly_its_artifact_through_the_gateway(template: dict[str, Any]) -> None:
    model = model_named(template, "FlanT5")
    assert model["EnableNetworkIsolation"] is True
    assert model["PrimaryContainer"]["ModelDataUrl"] == f"s3://jumpstart-cache-prod-eu-west-1/{JUMPSTART_KEY}"
    assert model["PrimaryContainer"]["Image"].startswith("763104351884.dkr.ecr.eu-west-1.amazonaws.com/")
    reads = [s for s in role_statements(template, "FlanT5Role") if "s3:GetObject" in s["Action"]]
    (read,) = reads
    assert read["Resource"]["Fn::Join"][1][-1] == f":s3:::jumpstart-cache-prod-eu-west-1/{JUMPSTART_KEY}"
    (gateway,) = [
        e["Properties"]
        for e in resources_of(template, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Gateway" and "s3" in json.dumps(e["Properties"]["ServiceName"])
    ]
    resources = json.dumps(gateway["PolicyDocument"])
    assert ":s3:::jumpstart-cache-prod-eu-west-1/*" in resources


def test_both_endpoints_use_the_platform_key(template: dict[str, Any]) -> None:
    configs = resources_of(template, "AWS::SageMaker::EndpointConfig").values()
    assert len(configs) == 2
    assert all(c["Properties"]["KmsKeyId"]["Fn::GetAtt"][0].startswith("KeysData") for c in configs)


def test_the_model_roles_contracts_hold(outdir: str) -> None:
    report = ContractChecker(Assembly(outdir)).check()
    ours = ("/ThirdParty/Sentiment/", "/ThirdParty/FlanT5/")
    assert all(any(p.startswith(o) for p in report.roles) for o in ours), sorted(report.roles)
    assert not [f for f in report.findings if f.role.startswith(ours)], report.summary()


@pytest.fixture()
def parts() -> Any:
    return foundation(App(context={"aws:cdk:bundling-stacks": []}))


def test_a_marketplace_package_needs_network_isolation_and_a_package(parts: Any) -> None:
    with pytest.raises(ValidationError) as err:
        parts.model("Bad", marketplace=True, network_isolation=False)
    text = str(err.value)
    assert "T/Bad: marketplace must be used with model_package_arn" in text
    assert "T/Bad: network_isolation must be True for an AWS Marketplace model package (AWS requires it)" in text


def test_a_marketplace_package_is_not_serverless(parts: Any) -> None:
    with pytest.raises(ValidationError, match="serverless must be False for an AWS Marketplace model package"):
        parts.model(
            "Light",
            image=None,
            model_data=None,
            model_package_arn=PACKAGE,
            marketplace=True,
            serverless=True,
            vpc=None,
            vpc_subnets=None,
            security_groups=[],
        )


def test_jumpstart_artifacts_share_one_imported_bucket(parts: Any) -> None:
    first = ModelData.from_jumpstart(parts.stack, "a/model.tar.gz")
    second = ModelData.from_jumpstart(parts.stack, "b/model.tar.gz")
    assert first.path.bucket.node.path == second.path.bucket.node.path == "T/JumpStartBucket"
    assert first.key is None  # AWS-owned, SSE-S3: no KMS permission
    model = parts.model(
        "Js", image=ContainerImage.from_uri("763104351884.dkr.ecr.eu-west-1.amazonaws.com/x:1"), model_data=first
    )
    assert model.model_data is first
