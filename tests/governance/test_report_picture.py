"""The platform picture of the reference platform: what is drawn, grouped and linked (no browser here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from constructs_ml.governance.assembly_refs import References
from constructs_ml.governance.picture_render import render
from constructs_ml.governance.platform_picture import LAYERS, SUPPORT, PlatformPicture
from constructs_ml.governance.report import platform_picture
from constructs_ml.governance.report_data import ComplianceReport, read_assembly
from constructs_ml.governance.template_view import TemplateSet

#: Readable at page width: the reference platform must stay under this many boxes.
MAX_BOXES = 40


@pytest.fixture(scope="module")
def report(reference_assembly: Path) -> ComplianceReport:
    return read_assembly(reference_assembly)


@pytest.fixture(scope="module")
def picture(report: ComplianceReport) -> PlatformPicture:
    return platform_picture(report)


def _kind(pic: PlatformPicture, kind: str) -> list[str]:
    return [n.id for n in pic.nodes.values() if n.kind == kind]


def _count(report: ComplianceReport, rtype: str) -> int:
    t = report.facts.templates
    return sum(1 for s in t.templates for r in t.resources(s).values() if r.get("Type") == rtype)


def test_every_stack_drawn_with_its_layers_and_a_readable_number_of_boxes(
    picture: PlatformPicture, report: ComplianceReport
) -> None:
    assert picture.stacks == report.stacks == ["Network", "Platform", "Build", "Serving"]
    assert all(n.layer in LAYERS for n in picture.nodes.values())
    assert {n.stack for n in picture.nodes.values()} == set(report.stacks)
    resources = sum(len(report.facts.templates.resources(s)) for s in report.stacks)
    assert len(picture.nodes) <= MAX_BOXES < resources  # far fewer boxes than resources


def test_supporting_resources_are_counted_not_drawn_one_by_one(
    picture: PlatformPicture, report: ComplianceReport
) -> None:
    support = {picture.nodes[n].stack: picture.nodes[n] for n in _kind(picture, SUPPORT)}
    assert set(support) == set(report.stacks)  # one box per stack, whatever its number of IAM policies
    roles = sum(t == "AWS::IAM::Role" for n in support.values() for _, t in n.members)
    assert roles == _count(report, "AWS::IAM::Role")
    serving = support["Serving"].label
    assert "IAM: " in serving and "security group" in serving and "SQS queue" in serving


def test_dependent_resources_fold_into_what_they_belong_to(picture: PlatformPicture, report: ComplianceReport) -> None:
    (endpoint,) = (picture.nodes[n] for n in _kind(picture, "Endpoint"))
    types = {t for _, t in endpoint.members}
    assert {"AWS::SageMaker::EndpointConfig", "AWS::ApplicationAutoScaling::ScalableTarget"} <= types
    assert "autoscaling" in endpoint.notes
    keys = [picture.nodes[n] for n in _kind(picture, "KMS key")]
    assert len(keys) == _count(report, "AWS::KMS::Key") and all(k.name.startswith("alias/") for k in keys)
    (vpc,) = (picture.nodes[n] for n in _kind(picture, "VPC"))
    assert vpc.notes == ["flow logs: all traffic", "default SG closed"]
    buckets = [picture.nodes[n] for n in _kind(picture, "S3 bucket")]
    assert len(buckets) == _count(report, "AWS::S3::Bucket")
    assert sum(n.notes[-1].startswith("KMS: alias/") for n in buckets) == len(buckets) - 1  # the access-log bucket
    # Schedule rules are drawn as the sources of their event flows; other rules are the flows themselves.
    drawn = sum(len(n.members) for n in picture.nodes.values() if n.kind != "Schedule")
    assert drawn == sum(
        1
        for s in report.stacks
        for r in report.facts.templates.resources(s).values()
        if r.get("Type") not in ("AWS::Events::Rule", "AWS::CDK::Metadata")
    )


def test_event_flows_of_the_loop(picture: PlatformPicture) -> None:
    def name(node_id: str) -> str:
        node = picture.nodes[node_id]
        return f"{node.kind}:{node.name}"

    flows = {(name(e.src), name(e.dst), e.label) for e in picture.event_edges}
    assert flows == {
        ("S3 bucket:Data", "Lambda:Retraining", "Object Created"),
        # Drift and violation alarms of the monitoring pipelines (and the endpoint's) feed retraining; the
        # serving stack's alarms node also holds deploy-on-approval's ArtifactIntegrityAlarm (23 in all).
        ("CloudWatch alarms:23", "Lambda:Retraining", "CloudWatch Alarm State Change: ALARM"),
        ("Model registry:Registry", "Lambda:DeployOnApproval", "Model Package State Change: Approved"),
        ("Endpoint:", "Lambda:DeployOnApproval", "Endpoint State Change: IN_SERVICE"),
        ("SSM parameter:DeployedPackage", "Lambda:DeployOnApproval", "Parameter Store Change"),
        # The monitors run as scheduled pipelines (hourly; daily for the label-dependent ones).
        ("Schedule:cron(0 * ? * * *)", "Model monitoring:4 scheduled pipelines", "cron(0 * ? * * *)"),
        ("Schedule:cron(0 0 ? * * *)", "Model monitoring:4 scheduled pipelines", "cron(0 0 ? * * *)"),
    }
    uses = {(name(e.src), name(e.dst), e.label) for e in picture.edges if e.kind == "uses"}
    assert {
        ("Lambda:Retraining", "Pipeline:", "starts"),
        ("Pipeline:", "Model registry:Registry", "registers"),
        ("Lambda:DeployOnApproval", "Endpoint:", "updates"),
        ("Endpoint:", "Model:", "serves"),
        ("Model monitoring:4 scheduled pipelines", "Endpoint:", "monitors"),
        ("Studio domain:Studio", "VPC:Vpc", "VPC only"),
    } <= uses


def test_a_prefix_is_not_mistaken_for_a_resource_name() -> None:
    templates = TemplateSet()
    templates.add(
        "S",
        {
            "Resources": {
                "Group": {
                    "Type": "AWS::SageMaker::ModelPackageGroup",
                    "Properties": {"ModelPackageGroupName": "churn"},
                },
                "Ep": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointName": "prod-churn-endpoint"}},
            }
        },
    )
    refs = References(templates, {"S": "s"})
    assert refs.find("S", {"key": [{"prefix": "churn/raw/"}]}) == set()
    assert refs.find("S", {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":model-package-group/churn"]]}) == {
        ("S", "Group")
    }
    assert refs.find("S", "endpoint/prod-churn-endpoint/variant/AllTraffic") == {("S", "Ep")}


def test_svg_has_a_box_per_node_and_an_arrow_per_edge(picture: PlatformPicture) -> None:
    rendered = render(picture)
    assert rendered.problem == "" and rendered.node_count == len(picture.nodes)
    assert rendered.svg_file.count('class="node ') == len(picture.nodes)
    assert rendered.svg_file.count('class="edge event"') == len(picture.event_edges)
    assert rendered.svg.startswith('<svg class="platform-picture"') and "<?xml" not in rendered.svg
