"""What the platform deploys, read from a cloud assembly: nodes grouped by stack and layer, and edges.

One node per resource people ask about (VPC, KMS key, bucket, Studio domain, pipeline, model registry,
model, endpoint, Lambda function, table, topic...) and one node per stack for resources that only
matter as a group (subnets, VPC endpoints, security groups, IAM roles and policies, alarms, log
groups, queues, monitoring schedules). Dependent resources (aliases, bucket policies, endpoint
configs, scaling targets, Lambda permissions) are folded into the node they belong to.

Edges:

* ``event``: an EventBridge rule, from the resource whose events it matches (found through
  references or physical names in its event pattern; a schedule or an AWS service otherwise) to
  each of its targets. These are the flows of the MLOps loop.
* ``uses``: a resource that references another (``Ref``, ``Fn::GetAtt``, ``Fn::ImportValue``,
  ``Fn::GetStackOutput``, or a physical name in a string), leaving out references to the
  context groups (IAM, subnets, security groups, log groups, queues) that almost everything has.

The layout is Graphviz's job (:mod:`constructs_ml.governance.picture_render`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_ml.governance.assembly_refs import References, literals
from constructs_ml.governance.template_view import TemplateSet

#: Layers, in the order they are drawn inside a stack.
LAYERS = ("Network", "Security", "Data", "Studio", "Build", "Serving", "Monitoring", "Events and glue", "Other")

EACH, GROUP, FOLD, SKIP = "each", "group", "fold", "skip"
#: One node per stack for what supports the workloads but is not a story of its own: IAM roles and
#: policies, security groups, log groups, queues (dead-letter queues), CDK's custom resource providers.
SUPPORT = "Supporting resources"


@dataclass(frozen=True)
class Kind:
    """How a resource type is drawn: ``mode`` is EACH (own node), GROUP (one node per stack and
    kind), FOLD (into the ``parent`` type's node it references or is referenced by) or SKIP."""

    layer: str
    name: str
    mode: str = EACH
    parent: str = ""


def _fold(parent: str) -> Kind:
    return Kind("", "", FOLD, parent)


KINDS: dict[str, Kind] = {
    "AWS::EC2::VPC": Kind("Network", "VPC"),
    "AWS::EC2::Subnet": Kind("Network", "Subnets", GROUP),
    "AWS::EC2::RouteTable": Kind("Network", "Subnets", GROUP),
    "AWS::EC2::SubnetRouteTableAssociation": Kind("Network", "Subnets", GROUP),
    "AWS::EC2::Route": Kind("Network", "Subnets", GROUP),
    "AWS::EC2::VPCEndpoint": Kind("Network", "VPC endpoints", GROUP),
    "AWS::EC2::SecurityGroup": Kind("Security", SUPPORT, GROUP),
    "AWS::EC2::SecurityGroupIngress": Kind("Security", SUPPORT, GROUP),
    "AWS::EC2::SecurityGroupEgress": Kind("Security", SUPPORT, GROUP),
    "AWS::EC2::FlowLog": _fold("AWS::EC2::VPC"),
    "Custom::VpcRestrictDefaultSG": _fold("AWS::EC2::VPC"),
    "AWS::KMS::Key": Kind("Security", "KMS key"),
    "AWS::KMS::Alias": _fold("AWS::KMS::Key"),
    "AWS::IAM::Role": Kind("Security", SUPPORT, GROUP),
    "AWS::IAM::ManagedPolicy": Kind("Security", SUPPORT, GROUP),
    "AWS::IAM::Policy": Kind("Security", SUPPORT, GROUP),
    "AWS::IAM::InstanceProfile": Kind("Security", SUPPORT, GROUP),
    "AWS::S3::Bucket": Kind("Data", "S3 bucket"),
    "AWS::S3::BucketPolicy": _fold("AWS::S3::Bucket"),
    "AWS::SageMaker::FeatureGroup": Kind("Data", "Feature group"),
    "AWS::DynamoDB::Table": Kind("Data", "DynamoDB table"),
    "AWS::SSM::Parameter": Kind("Data", "SSM parameter"),
    "AWS::SageMaker::Domain": Kind("Studio", "Studio domain"),
    "AWS::SageMaker::UserProfile": Kind("Studio", "User profiles", GROUP),
    "AWS::SageMaker::Space": Kind("Studio", "Spaces", GROUP),
    "AWS::SageMaker::StudioLifecycleConfig": Kind("Studio", "Lifecycle configs", GROUP),
    "AWS::SageMaker::AppImageConfig": Kind("Studio", "App images", GROUP),
    "AWS::SageMaker::Image": Kind("Studio", "App images", GROUP),
    "AWS::SageMaker::ImageVersion": Kind("Studio", "App images", GROUP),
    "AWS::SageMaker::Pipeline": Kind("Build", "Pipeline"),
    "AWS::SageMaker::ModelPackageGroup": Kind("Build", "Model registry"),
    "AWS::SageMaker::ModelCard": Kind("Build", "Model card"),
    "AWS::ECR::Repository": Kind("Build", "ECR repository"),
    "AWS::SageMaker::Model": Kind("Serving", "Model"),
    "AWS::SageMaker::Endpoint": Kind("Serving", "Endpoint"),
    "AWS::SageMaker::EndpointConfig": _fold("AWS::SageMaker::Endpoint"),
    "AWS::ApplicationAutoScaling::ScalableTarget": _fold("AWS::SageMaker::Endpoint"),
    "AWS::ApplicationAutoScaling::ScalingPolicy": _fold("AWS::ApplicationAutoScaling::ScalableTarget"),
    "AWS::SageMaker::MonitoringSchedule": Kind("Monitoring", "Model monitoring", GROUP),
    "AWS::SageMaker::DataQualityJobDefinition": Kind("Monitoring", "Model monitoring", GROUP),
    "AWS::SageMaker::ModelQualityJobDefinition": Kind("Monitoring", "Model monitoring", GROUP),
    "AWS::SageMaker::ModelBiasJobDefinition": Kind("Monitoring", "Model monitoring", GROUP),
    "AWS::SageMaker::ModelExplainabilityJobDefinition": Kind("Monitoring", "Model monitoring", GROUP),
    "AWS::CloudWatch::Alarm": Kind("Monitoring", "CloudWatch alarms", GROUP),
    "AWS::CloudWatch::CompositeAlarm": Kind("Monitoring", "CloudWatch alarms", GROUP),
    "AWS::CloudWatch::Dashboard": Kind("Monitoring", "Dashboard"),
    "AWS::Logs::LogGroup": Kind("Security", SUPPORT, GROUP),
    "AWS::SNS::Topic": Kind("Monitoring", "SNS topic"),
    "AWS::SNS::TopicPolicy": _fold("AWS::SNS::Topic"),
    "AWS::SNS::Subscription": _fold("AWS::SNS::Topic"),
    "AWS::Lambda::Function": Kind("Events and glue", "Lambda"),
    "AWS::Lambda::Permission": _fold("AWS::Lambda::Function"),
    "AWS::Lambda::EventInvokeConfig": _fold("AWS::Lambda::Function"),
    "AWS::SQS::Queue": Kind("Security", SUPPORT, GROUP),
    "AWS::SQS::QueuePolicy": _fold("AWS::SQS::Queue"),
    "AWS::Events::Rule": Kind("", "", SKIP),
    "AWS::CDK::Metadata": Kind("", "", SKIP),
}

#: The ``uses`` edges drawn: (from kind, to kind) -> what the reference means. These are the steps of
#: the MLOps loop; other references (to keys, roles, subnets, log groups, alarms...) would hide the
#: loop, so a bucket names its key in its label instead and supporting resources are counted.
USES: dict[tuple[str, str], str] = {
    ("Lambda", "Pipeline"): "starts",
    ("Lambda", "Endpoint"): "updates",
    ("Lambda", "Model registry"): "reads",
    ("Lambda", "SSM parameter"): "records",
    ("Lambda", "DynamoDB table"): "idempotency",
    ("Pipeline", "Model registry"): "registers",
    ("Model", "Model registry"): "package",
    ("Endpoint", "Model"): "serves",
    ("Endpoint", "S3 bucket"): "data capture",
    ("Model monitoring", "Endpoint"): "monitors",
    ("Studio domain", "VPC"): "VPC only",
    ("Feature group", "S3 bucket"): "offline store",
}
#: (stack, logical id) -> the id of the node that shows the resource
Owners = dict[tuple[str, str], str]
_GENERIC = {"Resource", "Default", "Function", "Domain", "Handler"}


@dataclass
class Node:
    """One box in the picture."""

    id: str
    stack: str
    layer: str
    kind: str
    name: str
    members: list[tuple[str, str]] = field(default_factory=list)  # (logical id, type)
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        """Kind and name on one line, e.g. ``Lambda Retraining`` or ``CloudWatch alarms (13)``."""
        return self.label.splitlines()[0] + (f" {self.name}" if self.name and not self.name.isdigit() else "")

    @property
    def label(self) -> str:
        """Kind, name and notes, one per line."""
        if self.name.isdigit():  # a group of one kind: "CloudWatch alarms (13)"
            lines = [f"{self.kind} ({self.name})"]
        else:
            lines = [self.kind] if self.kind == self.name or not self.name else [self.kind, self.name]
        return "\n".join(lines + self.notes)


@dataclass(frozen=True)
class Edge:
    """An arrow: ``event`` (an EventBridge rule, ``label`` says which events) or ``uses``."""

    src: str
    dst: str
    kind: str
    label: str = ""


@dataclass
class PlatformPicture:
    """Stacks (in assembly order), their nodes and the edges between nodes."""

    stacks: list[str]
    display: dict[str, str]
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def nodes_of(self, stack: str, layer: str) -> list[Node]:
        """The nodes of one layer of one stack."""
        return [n for n in self.nodes.values() if n.stack == stack and n.layer == layer]

    @property
    def event_edges(self) -> list[Edge]:
        """The EventBridge flows."""
        return [e for e in self.edges if e.kind == "event"]


def slug(text: str) -> str:
    """A token safe for Graphviz, SVG and HTML ids (Graphviz would write ``-`` as ``&#45;``)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"


def _name_from_path(path: str) -> str:
    parts = [p for p in path.split("/")[1:] if p not in _GENERIC]
    return parts[-1] if parts else path.split("/")[-1]


def _kind_of(rtype: str, path: str) -> Kind:
    if rtype == "AWS::Lambda::Function" and "/Custom::" in f"/{path}":
        return Kind("Security", SUPPORT, GROUP)  # the provider of a CDK custom resource
    if rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
        return KINDS.get(rtype, Kind("Security", SUPPORT, GROUP))
    if rtype == "AWS::SageMaker::Pipeline" and "/Monitor/" in f"/{path}":
        return Kind("Monitoring", "Model monitoring", GROUP)  # the pipeline backend's scheduled monitors
    return KINDS.get(rtype, Kind("Other", rtype.split("::")[-1] if "::" in rtype else rtype, GROUP))


def build_picture(
    templates: TemplateSet, stacks: list[str], display: Mapping[str, str], stack_names: Mapping[str, str]
) -> PlatformPicture:
    """The picture of the stacks ``stacks`` (artifact ids) of an assembly.

    Args:
        templates: the assembly's templates, by artifact id, with construct paths.
        stacks: the artifact ids, in the order to draw them.
        display: artifact id -> the stack's construct path (its label).
        stack_names: artifact id -> CloudFormation stack name (``Fn::GetStackOutput`` names stacks so).
    """
    pic = PlatformPicture(list(stacks), {s: display.get(s, s) for s in stacks})
    refs = References(templates, stack_names)
    owner: Owners = {}
    folded: list[tuple[str, str, Kind]] = []
    for stack in stacks:
        for lid, res in templates.resources(stack).items():
            rtype = str(res.get("Type", ""))
            path = templates.path_of(stack, lid)
            kind = _kind_of(rtype, path)
            if kind.mode == SKIP:
                continue
            if kind.mode == FOLD:
                folded.append((stack, lid, kind))
                continue
            key = f"{stack}-{kind.name}" if kind.mode == GROUP else f"{stack}-{kind.name}-{lid}"
            name = kind.name if kind.mode == GROUP else _name_from_path(path)
            node = pic.nodes.setdefault(slug(key), Node(slug(key), stack, kind.layer, kind.name, name))
            node.members.append((lid, rtype))
            owner[(stack, lid)] = node.id
    _resolve_folds(pic, templates, refs, owner, folded)
    for node in pic.nodes.values():
        _describe(node, templates)
    for node in pic.nodes.values():
        if node.kind == "S3 bucket":
            node.notes.append(_bucket_key(node, templates, refs, owner, pic))
    _event_edges(pic, templates, refs, owner)
    _uses_edges(pic, templates, refs, owner)
    return pic


def _resolve_folds(
    pic: PlatformPicture,
    templates: TemplateSet,
    refs: References,
    owner: Owners,
    folded: list[tuple[str, str, Kind]],
) -> None:
    """Attach each folded resource to the node of the parent it references or that references it."""
    pending = folded
    for _ in range(3):  # a fold may hang on another fold (scaling policy -> target -> endpoint)
        left: list[tuple[str, str, Kind]] = []
        for stack, lid, kind in pending:
            resources = templates.resources(stack)
            parent = next(
                (
                    owner[r]
                    for r in sorted(refs.find(stack, resources[lid].get("Properties")))
                    if r in owner and templates.resources(r[0]).get(r[1], {}).get("Type") == kind.parent
                ),
                None,
            ) or next(
                (
                    owner[(stack, other)]
                    for other, res in resources.items()
                    if res.get("Type") == kind.parent
                    and (stack, other) in owner
                    and (stack, lid) in refs.find(stack, res.get("Properties"), names=False)
                ),
                None,
            )
            if parent is None:
                left.append((stack, lid, kind))
                continue
            pic.nodes[parent].members.append((lid, str(resources[lid].get("Type"))))
            owner[(stack, lid)] = parent
        pending = left
    for stack, lid, _ in pending:  # no parent found: shown as the stack's "Other" group
        rtype = str(templates.resources(stack)[lid].get("Type"))
        key = slug(f"{stack}-{rtype.split('::')[-1]}")
        node = pic.nodes.setdefault(key, Node(key, stack, "Other", rtype.split("::")[-1], rtype.split("::")[-1]))
        node.members.append((lid, rtype))
        owner[(stack, lid)] = key


def _bucket_key(node: Node, templates: TemplateSet, refs: References, owner: Owners, pic: PlatformPicture) -> str:
    """``KMS: <alias>`` for a bucket encrypted with a key of the assembly, else its SSE algorithm."""
    bucket = templates.resources(node.stack)[node.members[0][0]]
    encryption = (bucket.get("Properties") or {}).get("BucketEncryption")
    for ref in sorted(refs.find(node.stack, encryption, names=False)):
        if ref in owner and pic.nodes[owner[ref]].kind == "KMS key":
            return f"KMS: {pic.nodes[owner[ref]].name}"
    algorithms = re.findall(r"'SSEAlgorithm': '([^']+)'", str(encryption))
    return f"SSE: {algorithms[0]}" if algorithms else "no default encryption"


def _support_lines(node: Node) -> list[str]:
    types = [t for _, t in node.members]
    roles = types.count("AWS::IAM::Role")
    policies = sum(1 for t in types if t.startswith("AWS::IAM::") and t != "AWS::IAM::Role")
    rules = types.count("AWS::EC2::SecurityGroupIngress") + types.count("AWS::EC2::SecurityGroupEgress")
    lines = [
        f"IAM: {_plural(roles, 'role')}, {policies} {'policy' if policies == 1 else 'policies'}"
        if roles or policies
        else "",
        f"{_plural(types.count('AWS::EC2::SecurityGroup'), 'security group')}, {_plural(rules, 'rule')}"
        if "AWS::EC2::SecurityGroup" in types
        else "",
        _plural(types.count("AWS::Logs::LogGroup"), "log group") if "AWS::Logs::LogGroup" in types else "",
        _plural(types.count("AWS::SQS::Queue"), "SQS queue") if "AWS::SQS::Queue" in types else "",
    ]
    custom = sum(1 for t in types if t.startswith("AWS::Lambda") or t.startswith("Custom::"))
    lines.append(f"CDK custom resource provider: {custom} resources" if custom else "")
    return [line for line in lines if line]


def _count(node: Node, rtype: str) -> int:
    return sum(1 for _, t in node.members if t == rtype)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _describe(node: Node, templates: TemplateSet) -> None:
    """Short notes under a node's name: counts of a group, folded protections, endpoint services."""
    resources = templates.resources(node.stack)
    props = [(t, resources[lid].get("Properties") or {}) for lid, t in node.members]
    if node.kind == "VPC":
        if any(t == "AWS::EC2::FlowLog" and p.get("TrafficType") == "ALL" for t, p in props):
            node.notes.append("flow logs: all traffic")
        if any(t == "Custom::VpcRestrictDefaultSG" for t, _ in props):
            node.notes.append("default SG closed")
    elif node.kind == "KMS key":
        aliases = [str(p.get("AliasName")) for t, p in props if t == "AWS::KMS::Alias" and p.get("AliasName")]
        node.name = aliases[0] if aliases else node.name
    elif node.kind == "Subnets":
        node.name = _plural(_count(node, "AWS::EC2::Subnet"), "subnet")
    elif node.kind == "VPC endpoints":
        services = sorted({_service(p.get("ServiceName")) for _, p in props})
        node.name = _plural(len(services), "endpoint")
        node.notes += [", ".join(services[i : i + 4]) for i in range(0, len(services), 4)]
    elif node.kind == SUPPORT:
        node.name = ""
        node.notes += _support_lines(node)
    elif node.kind == "Model monitoring":
        schedules = [str(p.get("MonitoringScheduleConfig", {}).get("MonitoringType", "")) for t, p in props]
        pipelines = _count(node, "AWS::SageMaker::Pipeline")
        node.name = (
            _plural(pipelines, "scheduled pipeline")
            if pipelines
            else _plural(_count(node, "AWS::SageMaker::MonitoringSchedule"), "schedule")
        )
        kinds = sorted({s for s in schedules if s})
        node.notes += [", ".join(kinds[i : i + 2]) for i in range(0, len(kinds), 2)]
    elif node.kind == "Endpoint" and any(t.startswith("AWS::ApplicationAutoScaling") for t, _ in props):
        node.notes.append("autoscaling")
    if node.name == node.kind:  # "Endpoint / Endpoint" says nothing: a group shows its count instead
        same = _count(node, node.members[0][1])
        node.name = str(same) if same > 1 else ""


def _service(name: Any) -> str:
    text = next(iter(literals(name)), "") if not isinstance(name, str) else name
    return re.sub(r"^.*?\.(?:\x00|[a-z]{2}-[a-z]+-\d)\.", "", text)


def _event_label(pattern: Any) -> str:
    if not isinstance(pattern, Mapping):
        return ""
    types = [t for t in pattern.get("detail-type", []) if isinstance(t, str)]
    label = ", ".join(t.removeprefix("SageMaker ") for t in types) or ", ".join(map(str, pattern.get("source", [])))
    detail = pattern.get("detail")
    states = [
        v[0]
        for k, v in (detail.items() if isinstance(detail, Mapping) else [])
        if k in ("ModelApprovalStatus", "EndpointStatus", "state", "CurrentPipelineExecutionStatus")
        for v in ([v.get("value")] if isinstance(v, Mapping) else [v])
        if isinstance(v, list) and v and isinstance(v[0], str)
    ]
    return label + (f": {', '.join(states)}" if states else "")


def _event_edges(pic: PlatformPicture, templates: TemplateSet, refs: References, owner: Owners) -> None:
    for stack in pic.stacks:
        for lid, res in templates.resources(stack).items():
            if res.get("Type") != "AWS::Events::Rule":
                continue
            props = res.get("Properties") or {}
            targets = sorted(
                {owner[r] for t in props.get("Targets") or [] for r in refs.find(stack, t.get("Arn")) if r in owner}
            )
            pattern = props.get("EventPattern")
            sources = sorted({owner[r] for r in refs.find(stack, pattern) if r in owner} - set(targets))
            label = _event_label(pattern)
            if not sources:
                schedule = props.get("ScheduleExpression")
                what = str(schedule) if schedule else ", ".join(map(str, (pattern or {}).get("source", ["events"])))
                key = slug(f"{stack}-source-{what}")
                kind = "Schedule" if schedule else "AWS events"
                pic.nodes.setdefault(key, Node(key, stack, "Events and glue", kind, what)).members.append(
                    (lid, "AWS::Events::Rule")
                )
                sources, label = [key], label or str(schedule or "")
            for src in sources:
                for dst in targets:
                    edge = Edge(src, dst, "event", label)
                    if edge not in pic.edges:  # one arrow per flow, however many targets of a box it reaches
                        pic.edges.append(edge)


def _uses_edges(pic: PlatformPicture, templates: TemplateSet, refs: References, owner: Owners) -> None:
    drawn = {(e.src, e.dst) for e in pic.edges}
    for (stack, lid), nid in sorted(owner.items()):
        node = pic.nodes[nid]
        rtype = str(templates.resources(stack)[lid].get("Type"))
        if rtype.endswith("Policy") or rtype == "AWS::Lambda::Permission":
            continue  # a resource policy names who may use the resource, not what it uses
        for ref in sorted(refs.find(stack, templates.resources(stack)[lid].get("Properties"))):
            dst = owner.get(ref)
            label = USES.get((node.kind, pic.nodes[dst].kind)) if dst else None
            if dst is None or label is None or dst == nid or (nid, dst) in drawn:
                continue
            pic.edges.append(Edge(nid, dst, "uses", label))
            drawn.add((nid, dst))
