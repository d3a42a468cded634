"""Building blocks of the governance controls: assembly facts, results and template checks.

The control table itself is in :mod:`constructs_ml.governance.controls`.

The compliance report evaluates every control on the synthesized templates (plus the validation
report and the acknowledgements). A control is ``PASS``, ``FAIL``, ``ACKNOWLEDGED`` (its only
failures carry a recorded acknowledgement), ``CANNOT VERIFY``, ``N/A`` (no resource it applies to)
or ``NOT CHECKED`` (needs a tool the report does not run; the detail says which).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_ml.governance.acknowledgements import find_entry
from constructs_ml.governance.rules_base import Outcome, Status, equals, flatten_text, get
from constructs_ml.governance.template_view import TemplateSet

PASS, FAIL, ACKED, UNKNOWN, NA, NOT_CHECKED = "PASS", "FAIL", "ACKNOWLEDGED", "CANNOT VERIFY", "N/A", "NOT CHECKED"
NAG_PLUGINS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321", "Serverless", "SageMaker")


@dataclass(frozen=True)
class Ack:
    """One acknowledgement recorded in the assembly."""

    stack: str
    path: str
    rule: str
    reason: str


@dataclass(frozen=True)
class Evaluation:
    """One SageMaker rule evaluated on one resource of a template."""

    stack: str
    path: str
    rule: str
    controls: tuple[str, ...]
    outcome: Outcome
    acknowledged: bool


@dataclass
class AssemblyFacts:
    """What the controls look at."""

    templates: TemplateSet
    acks: list[Ack] = field(default_factory=list)
    plugin_reports: list[Mapping[str, Any]] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)

    def resources(self, *types: str) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
        """(path, logical id, resource) for every resource of the given types in every template."""
        for stack in self.templates.templates:
            for lid, res in self.templates.resources(stack).items():
                if res.get("Type") in types:
                    yield self.templates.path_of(stack, lid), lid, res

    def acked(self, path: str, prefix: str) -> bool:
        """Is a rule whose id ends with ``prefix`` acknowledged on ``path`` or a parent?"""
        return any(
            a.rule.split("[")[0].endswith(prefix) and (path == a.path or path.startswith(a.path + "/"))
            for a in self.acks
        )


@dataclass(frozen=True)
class ControlResult:
    """A control's status and the reason."""

    status: str
    detail: str = ""


@dataclass(frozen=True)
class Control:
    """One GOVERNANCE.md control.

    Attributes:
        assembly_wide: the check relates resources across stacks (e.g. a guardrail policy in one stack
            covering SageMaker resources in others), so it has one result for the whole assembly and
            no result per stack; otherwise the report also evaluates it on each stack alone.
    """

    id: str
    title: str
    how: str
    check: Callable[[AssemblyFacts], ControlResult] | None = None
    assembly_wide: bool = False


Check = Callable[[Mapping[str, Any]], str | None]


def props(res: Mapping[str, Any]) -> Mapping[str, Any]:
    p = res.get("Properties")
    return p if isinstance(p, Mapping) else {}


def per_resource(
    types: Iterable[str], check: Check, *, ack_rule: str | None = None
) -> Callable[[AssemblyFacts], ControlResult]:
    """A control that holds when ``check`` returns None for every resource of ``types``."""
    type_list = tuple(types)

    def run(facts: AssemblyFacts) -> ControlResult:
        problems: list[str] = []
        acked: list[str] = []
        seen = 0
        for path, _, res in facts.resources(*type_list):
            seen += 1
            why = check(res)
            if why is None:
                continue
            (acked if ack_rule and facts.acked(path, ack_rule) else problems).append(f"{path}: {why}")
        if not seen:
            return ControlResult(NA, "no " + ", ".join(type_list))
        if problems:
            return ControlResult(FAIL, "; ".join(problems[:10]) + (" ..." if len(problems) > 10 else ""))
        if acked:
            return ControlResult(ACKED, "; ".join(acked[:10]))
        return ControlResult(PASS, f"{seen} resource(s) checked")

    return run


def stmts(doc: Any) -> list[Mapping[str, Any]]:
    s = get(doc, "Statement")
    items = s if isinstance(s, list) else [s]
    return [x for x in items if isinstance(x, Mapping)]


def as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [] if v is None else [v]


def none_of_types(*types: str) -> Callable[[AssemblyFacts], ControlResult]:
    def run(facts: AssemblyFacts) -> ControlResult:
        found = [f"{p} ({r.get('Type')})" for p, _, r in facts.resources(*types)]
        return ControlResult(FAIL, "; ".join(found)) if found else ControlResult(PASS, "none present")

    return run


def sagemaker(control: str) -> Callable[[AssemblyFacts], ControlResult]:
    def run(facts: AssemblyFacts) -> ControlResult:
        evs = [e for e in facts.evaluations if control in e.controls and e.outcome.status is not Status.NOT_APPLICABLE]
        if not evs:
            return ControlResult(NA, "no resource the SageMaker rules of this control apply to")
        bad = [e for e in evs if e.outcome.status is Status.NON_COMPLIANT and not e.acknowledged]
        unk = [e for e in evs if e.outcome.status is Status.CANNOT_VERIFY and not e.acknowledged]
        acked = [e for e in evs if e.acknowledged]
        if bad:
            return ControlResult(FAIL, "; ".join(f"{e.path}: {e.rule} ({e.outcome.detail})" for e in bad[:10]))
        if unk:
            return ControlResult(UNKNOWN, "; ".join(f"{e.path}: {e.rule} ({e.outcome.detail})" for e in unk[:10]))
        if acked:
            return ControlResult(ACKED, "; ".join(f"{e.path}: {e.rule}" for e in acked[:10]))
        return ControlResult(PASS, f"{len(evs)} rule check(s) passed")

    return run


_OPEN = {"0.0.0.0/0", "::/0"}


def sg_open(res: Mapping[str, Any]) -> str | None:
    """A rule to or from anywhere, except HTTPS egress to ``0.0.0.0/0``.

    That one egress rule is how workloads in isolated subnets reach the S3/DynamoDB gateway endpoints when
    the region's prefix-list ids are not known at synth (see ``MlNetwork``): with no internet gateway, NAT
    or other route out of the VPC (NET-01, NET-03, and per workload the contracts' route check), it reaches
    nothing outside the VPC but the gateway endpoints. Any other open rule fails.
    """
    p = props(res)
    if res.get("Type") == "AWS::EC2::SecurityGroup":
        rules = [(r, False) for r in as_list(p.get("SecurityGroupIngress"))]
        rules += [(r, True) for r in as_list(p.get("SecurityGroupEgress"))]
    else:
        rules = [(p, res.get("Type") == "AWS::EC2::SecurityGroupEgress")]
    for r, egress in rules:
        if get(r, "CidrIpv6") in _OPEN:
            return "rule open to the internet (IPv6)"
        if get(r, "CidrIp") in _OPEN:
            https_only = (
                str(get(r, "IpProtocol")) in ("tcp", "6") and get(r, "FromPort") == 443 and get(r, "ToPort") == 443
            )
            if not (egress and https_only):
                return "rule open to the internet"
    return None


def sg_described(res: Mapping[str, Any]) -> str | None:
    p = props(res)
    rules = (
        [p]
        if res.get("Type") != "AWS::EC2::SecurityGroup"
        else (as_list(p.get("SecurityGroupIngress")) + as_list(p.get("SecurityGroupEgress")))
    )
    return "rule without Description" if any(not get(r, "Description") for r in rules) else None


_REQUIRED_ENDPOINTS = (
    "sagemaker.api",
    "sagemaker.runtime",
    "sts",
    "logs",
    "monitoring",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "s3",
)


def endpoints(facts: AssemblyFacts) -> ControlResult:
    if not any(True for _ in facts.resources("AWS::EC2::VPC")):
        return ControlResult(NA, "no VPC")
    services: set[str] = set()
    problems: list[str] = []
    for path, _, res in facts.resources("AWS::EC2::VPCEndpoint"):
        p = props(res)
        name = flatten_text(p.get("ServiceName"))
        services.add(re.sub(r"^.*?\.(?:\?|[a-z]{2}-[a-z]+-\d)\.", "", name))
        interface = p.get("VpcEndpointType") == "Interface"
        if interface and equals(p.get("PrivateDnsEnabled"), True) is False:
            problems.append(f"{path}: PrivateDnsEnabled not true")
    missing = [s for s in _REQUIRED_ENDPOINTS if s not in services]
    if missing:
        problems.append("missing endpoints: " + ", ".join(missing))
    return ControlResult(FAIL, "; ".join(problems)) if problems else ControlResult(PASS, "all required endpoints")


def flow_logs(facts: AssemblyFacts) -> ControlResult:
    vpcs = [(path, lid) for path, lid, _ in facts.resources("AWS::EC2::VPC")]
    if not vpcs:
        return ControlResult(NA, "no VPC")
    logged = {
        str(get(props(r), "ResourceId", "Ref"))
        for _, _, r in facts.resources("AWS::EC2::FlowLog")
        if props(r).get("ResourceType") == "VPC" and props(r).get("TrafficType") == "ALL"
    }
    missing = [path for path, lid in vpcs if lid not in logged]
    return ControlResult(FAIL, "no ALL-traffic flow log: " + ", ".join(missing)) if missing else ControlResult(PASS)


def per_vpc_custom(facts: AssemblyFacts) -> ControlResult:
    vpcs = list(facts.resources("AWS::EC2::VPC"))
    if not vpcs:
        return ControlResult(NA, "no VPC")
    n = sum(1 for _ in facts.resources("Custom::VpcRestrictDefaultSG"))
    return ControlResult(PASS) if n >= len(vpcs) else ControlResult(FAIL, f"{len(vpcs)} VPC(s), {n} restricted")


def policy_conditions(facts: AssemblyFacts, keys: Iterable[str], effect: str = "Deny") -> ControlResult:
    wanted = set(keys)
    found: set[str] = set()
    any_sm = any(True for _ in facts.resources(*SM_TYPES))
    for _, _, res in facts.resources("AWS::IAM::ManagedPolicy"):
        for st in stmts(props(res).get("PolicyDocument")):
            if st.get("Effect") != effect:
                continue
            for ops in as_list(st.get("Condition")):
                for op in ops.values() if isinstance(ops, Mapping) else []:
                    found.update(k for k in (op.keys() if isinstance(op, Mapping) else []) if k in wanted)
    if not any_sm:
        return ControlResult(NA, "no SageMaker resources")
    missing = sorted(wanted - found)
    return ControlResult(FAIL, "no Deny on: " + ", ".join(missing)) if missing else ControlResult(PASS)


SM_TYPES = (
    "AWS::SageMaker::Domain",
    "AWS::SageMaker::Model",
    "AWS::SageMaker::Pipeline",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::UserProfile",
)


def key_retained(res: Mapping[str, Any]) -> str | None:
    if res.get("DeletionPolicy") != "Retain" or res.get("UpdateReplacePolicy") != "Retain":
        return "DeletionPolicy/UpdateReplacePolicy not Retain"
    return None


def key_policy(res: Mapping[str, Any]) -> str | None:
    for st in stmts(props(res).get("KeyPolicy")):
        princ = st.get("Principal")
        star = princ == "*" or (isinstance(princ, Mapping) and "*" in as_list(princ.get("AWS")))
        if st.get("Effect") == "Allow" and star and not st.get("Condition"):
            return "Allow to Principal * without Condition"
    return None


def bucket_sse(res: Mapping[str, Any]) -> str | None:
    rules = as_list(get(props(res), "BucketEncryption", "ServerSideEncryptionConfiguration"))
    algo = [get(r, "ServerSideEncryptionByDefault", "SSEAlgorithm") for r in rules]
    return None if "aws:kms" in algo else f"SSEAlgorithm {algo or 'not set'}"


def bucket_bpa(res: Mapping[str, Any]) -> str | None:
    cfg = get(props(res), "PublicAccessBlockConfiguration")
    flags = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    return None if all(equals(get(cfg, f), True) for f in flags) else "public access block incomplete"


def bucket_logged_targets(facts: AssemblyFacts) -> set[str]:
    return {
        str(get(props(r), "LoggingConfiguration", "DestinationBucketName", "Ref"))
        for _, _, r in facts.resources("AWS::S3::Bucket")
    }


def bucket_logging(facts: AssemblyFacts) -> ControlResult:
    targets = bucket_logged_targets(facts)
    problems = [
        path
        for path, lid, r in facts.resources("AWS::S3::Bucket")
        if lid not in targets and not get(props(r), "LoggingConfiguration")
    ]
    if not any(True for _ in facts.resources("AWS::S3::Bucket")):
        return ControlResult(NA, "no buckets")
    return ControlResult(FAIL, "no access logging: " + ", ".join(problems)) if problems else ControlResult(PASS)


def bucket_policies(facts: AssemblyFacts, needle: str, *, ack_rule: str | None = None) -> ControlResult:
    """Every bucket's policy denies on ``needle``; with ``ack_rule``, an acknowledged bucket is ACKNOWLEDGED."""
    buckets = {lid: path for path, lid, _ in facts.resources("AWS::S3::Bucket")}
    if not buckets:
        return ControlResult(NA, "no buckets")
    covered = set()
    for _, _, r in facts.resources("AWS::S3::BucketPolicy"):
        doc = props(r).get("PolicyDocument")
        if any(st.get("Effect") == "Deny" and needle in str(st.get("Condition")) for st in stmts(doc)):
            covered.add(str(get(props(r), "Bucket", "Ref")))
    uncovered = [p for lid, p in buckets.items() if lid not in covered]
    missing = [p for p in uncovered if not (ack_rule and facts.acked(p, ack_rule))]
    if missing:
        return ControlResult(FAIL, f"no Deny on {needle}: " + ", ".join(missing))
    if uncovered:
        return ControlResult(ACKED, f"no Deny on {needle} (acknowledged): " + ", ".join(uncovered))
    return ControlResult(PASS)


def statements_of(res: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    p = props(res)
    docs = [p.get("PolicyDocument")] + [get(x, "PolicyDocument") for x in as_list(p.get("Policies"))]
    return [s for d in docs for s in stmts(d)]


def wild_actions(res: Mapping[str, Any]) -> str | None:
    for st in statements_of(res):
        acts = [a for a in as_list(st.get("Action")) if isinstance(a, str)]
        if st.get("Effect") == "Allow" and any(a == "*" or a.endswith(":*") for a in acts):
            return "Allow with * or service:* action"
    return None


def star_resources(res: Mapping[str, Any]) -> str | None:
    for st in statements_of(res):
        if st.get("Effect") == "Allow" and "*" in as_list(st.get("Resource")) and not st.get("Condition"):
            return f"Resource * without Condition for {as_list(st.get('Action'))[:3]}"
    return None


def pass_role(res: Mapping[str, Any]) -> str | None:
    for st in statements_of(res):
        acts = as_list(st.get("Action"))
        scoped = "*" not in as_list(st.get("Resource")) and "iam:PassedToService" in str(st.get("Condition"))
        if st.get("Effect") == "Allow" and "iam:PassRole" in acts and not scoped:
            return "iam:PassRole without specific roles and iam:PassedToService"
    return None


_LATEST = {"python": "python3.14", "nodejs": "nodejs24.x"}


def lambda_runtime(res: Mapping[str, Any]) -> str | None:
    rt = props(res).get("Runtime")
    if not isinstance(rt, str):
        return None  # container image functions have no runtime
    family = re.sub(r"[\d.x]+$", "", rt)
    latest = _LATEST.get(family)
    return None if latest is None or rt == latest else f"{rt} (latest: {latest})"


def lambda_hardening(res: Mapping[str, Any]) -> str | None:
    p = props(res)
    missing = [k for k in ("VpcConfig", "DeadLetterConfig", "MemorySize", "Timeout") if p.get(k) is None]
    if get(p, "TracingConfig", "Mode") != "Active":
        missing.append("TracingConfig.Mode Active")
    return ("missing " + ", ".join(missing)) if missing else None


def meta_nag(facts: AssemblyFacts) -> ControlResult:
    failed = [
        r.get("pluginName")
        for r in facts.plugin_reports
        if r.get("pluginName") in NAG_PLUGINS and r.get("conclusion") == "failure"
    ]
    return ControlResult(FAIL, "failing packs: " + ", ".join(map(str, failed))) if failed else ControlResult(PASS)


def meta_acks(facts: AssemblyFacts) -> ControlResult:
    bad = [f"{a.path} {a.rule}" for a in facts.acks if find_entry(a.rule, a.reason) is None]
    if not facts.acks:
        return ControlResult(PASS, "no acknowledgements")
    return ControlResult(FAIL, "not in the allowlist: " + "; ".join(bad[:10])) if bad else ControlResult(PASS)


def meta_cfn(facts: AssemblyFacts) -> ControlResult:
    for r in facts.plugin_reports:
        if "CloudFormation" in str(r.get("pluginName")):
            errs = [v for v in r.get("violations", []) if v.get("severity") == "error"]
            if r.get("conclusion") == "failure" or errs:
                return ControlResult(FAIL, f"{len(errs)} error finding(s) from {r.get('pluginName')}")
    return ControlResult(PASS, "no CloudFormation validation errors in the report")


_ALLOWED_CUSTOM = {"Custom::VpcRestrictDefaultSG"}


def meta_custom(facts: AssemblyFacts) -> ControlResult:
    bad = [
        f"{p} ({r.get('Type')})"
        for s in facts.templates.templates
        for p, r in ((facts.templates.path_of(s, lid), r) for lid, r in facts.templates.resources(s).items())
        if (str(r.get("Type", "")).startswith("Custom::") or r.get("Type") == "AWS::CloudFormation::CustomResource")
        and r.get("Type") not in _ALLOWED_CUSTOM
    ]
    return ControlResult(FAIL, "; ".join(bad)) if bad else ControlResult(PASS)


def prop_check(path: tuple[str, ...], expected: Any, msg: str) -> Check:
    return lambda r: None if equals(get(props(r), *path), expected) else msg


def present(*paths: tuple[str, ...]) -> Check:
    def check(r: Mapping[str, Any]) -> str | None:
        missing = [".".join(p) for p in paths if get(props(r), *p) in (None, "", [])]
        return ("missing " + ", ".join(missing)) if missing else None

    return check


SG_TYPES = ("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")
POLICY_TYPES = ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::Role")
