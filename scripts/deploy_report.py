"""What was declared, what was created: the per-resource-type deploy report and its smoke checks.

The report is driven by the synthesized templates, so it follows the app as stacks are added: each
declared resource is looked up in the deployed stack (``list_stack_resources``) and classified
(created / skipped by the emulator / missing), and each created resource whose type has a probe is
checked through its own service API (it exists, and the security properties the template declares
hold: key rotation, bucket encryption and versioning, role permission boundary, ...).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: A factory for boto3 clients: ``clients("ec2")``.
Clients = Callable[[str], Any]

CREATED = "created"
SKIPPED = "skipped"
MISSING = "missing"
OUTCOMES = (CREATED, SKIPPED, MISSING)


@dataclass(frozen=True)
class StackTemplate:
    """One stack of the cloud assembly.

    Attributes:
        artifact_id: the assembly's id for the stack (what ``cdk deploy`` selects).
        stack_name: the CloudFormation stack name.
        template: the synthesized template.
    """

    artifact_id: str
    stack_name: str
    template: dict[str, Any]

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The template's resources by logical id."""
        res: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return res


def load_stacks(outdir: Path) -> list[StackTemplate]:
    """The top-level stacks of a synthesized cloud assembly (what ``cdk deploy --all`` deploys).

    Args:
        outdir: the assembly directory (``cdk.out``).

    Returns:
        The stacks in manifest order.
    """
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks: list[StackTemplate] = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        props = artifact.get("properties", {})
        template = json.loads((outdir / props["templateFile"]).read_text())
        stacks.append(StackTemplate(artifact_id, props.get("stackName", artifact_id), template))
    return stacks


@dataclass(frozen=True)
class ResourceResult:
    """One declared resource after the deploy."""

    stack: str
    logical_id: str
    type: str
    outcome: str
    physical_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Check:
    """One smoke check on a created resource, through its service's API.

    Attributes:
        ok: what the API showed.
        status: ``pass``, ``fail``, or ``gap``: failed, but the target is known not to apply that
            declared property (a reported emulator limitation, not a success and not a failure).
    """

    stack: str
    logical_id: str
    type: str
    name: str
    ok: bool
    detail: str = ""
    status: str = "pass"


@dataclass
class TypeRow:
    """The table's row for one resource type."""

    type: str
    declared: int = 0
    created: int = 0
    skipped: int = 0
    missing: int = 0
    checked: int = 0
    check_failures: int = 0
    left_after_destroy: int = 0
    reason: str = ""


@dataclass
class DeployReport:
    """The outcome of one run of the main job.

    Attributes:
        target: ``emulator`` or ``aws``.
        region: the region deployed to.
        endpoint: the emulator endpoint (empty for AWS).
        app_dir: the CDK app deployed.
        stacks: CloudFormation status of each stack after deploy.
        resources: every declared resource and its outcome.
        checks: the smoke checks.
        phases: seconds per phase, in order.
        destroyed: whether destroy ran.
        remaining_stacks: the app's stacks still present after destroy.
        left_after_destroy: created resources still found after destroy (``type -> count``).
        actions: notable things the job did (emulator workarounds).
        errors: what went wrong; empty on success.
    """

    target: str
    region: str
    endpoint: str
    app_dir: str
    stacks: dict[str, str] = field(default_factory=dict)
    resources: list[ResourceResult] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    destroyed: bool = False
    remaining_stacks: list[str] = field(default_factory=list)
    left_after_destroy: dict[str, int] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every stack complete, nothing missing, every check passed, destroy clean, no error."""
        return (
            not self.errors
            and bool(self.stacks)
            and all(s == "CREATE_COMPLETE" for s in self.stacks.values())
            and not any(r.outcome == MISSING for r in self.resources)
            and all(c.status != "fail" for c in self.checks)
            and not self.remaining_stacks
        )

    def rows(self) -> list[TypeRow]:
        """One row per declared resource type, sorted by type."""
        rows: dict[str, TypeRow] = {}
        for res in self.resources:
            row = rows.setdefault(res.type, TypeRow(res.type))
            row.declared += 1
            setattr(row, res.outcome, getattr(row, res.outcome) + 1)
            if res.outcome == SKIPPED:
                row.reason = res.reason
        for check in self.checks:
            if check.name == "exists" and check.ok:
                rows[check.type].checked += 1
            if check.status == "fail":
                rows[check.type].check_failures += 1
        for rtype, count in self.left_after_destroy.items():
            rows[rtype].left_after_destroy = count
        return [rows[t] for t in sorted(rows)]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (what ``deploy-report.json`` holds)."""
        rows = self.rows()
        totals = {k: sum(getattr(r, k) for r in rows) for k in ("declared", *OUTCOMES, "checked")}
        return {
            "ok": self.ok,
            "target": self.target,
            "region": self.region,
            "endpoint": self.endpoint,
            "app_dir": self.app_dir,
            "phases_seconds": {k: round(v, 2) for k, v in self.phases.items()},
            "stacks": self.stacks,
            "totals": totals,
            "types": [asdict(r) for r in rows],
            "skipped_types": sorted({r.type for r in self.resources if r.outcome == SKIPPED}),
            "resources": [asdict(r) for r in self.resources],
            "checks": [asdict(c) for c in self.checks],
            "destroyed": self.destroyed,
            "remaining_stacks": self.remaining_stacks,
            "left_after_destroy": self.left_after_destroy,
            "actions": self.actions,
            "errors": self.errors,
        }

    def write(self, path: Path) -> None:
        """Write :meth:`to_json` to ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")

    def table(self) -> str:
        """The per-resource-type table, the stack statuses and any failed check, as text."""
        rows = self.rows()
        width = max([len("Resource type"), *(len(r.type) for r in rows)])
        cols = ("declared", "created", "skipped", "missing", "checked")
        head = f"{'Resource type':<{width}}  " + "  ".join(f"{c:>8}" for c in cols)
        if self.destroyed:
            head += "  left after destroy"
        lines = [head, "-" * len(head)]
        for r in rows:
            line = f"{r.type:<{width}}  " + "  ".join(f"{getattr(r, c):>8}" for c in cols)
            if self.destroyed:
                line += f"  {r.left_after_destroy:>8}"
            lines.append(line)
        lines.append("-" * len(head))
        lines.append(f"{'TOTAL':<{width}}  " + "  ".join(f"{sum(getattr(r, c) for r in rows):>8}" for c in cols))
        skipped = [r for r in rows if r.skipped]
        if skipped:
            lines.append("")
            lines.append("Skipped by the emulator (declared, NOT created; real AWS would create them):")
            lines.extend(f"  {r.type}: {r.skipped} ({r.reason})" for r in skipped)
        missing = [r for r in self.resources if r.outcome == MISSING]
        if missing:
            lines.append("")
            lines.append("MISSING (expected to be created, were not):")
            lines.extend(f"  {r.stack}/{r.logical_id} {r.type}: {r.reason}" for r in missing)
        failed = [c for c in self.checks if c.status == "fail"]
        gaps = [c for c in self.checks if c.status == "gap"]
        passed = len(self.checks) - len(failed) - len(gaps)
        lines.append("")
        lines.append(
            f"Smoke checks: {passed} passed, {len(failed)} failed, {len(gaps)} not applied by the emulator"
            f" (of {len(self.checks)})"
        )
        lines.extend(f"  FAILED {c.stack}/{c.logical_id} {c.type} {c.name}: {c.detail}" for c in failed)
        lines.extend(f"  NOT APPLIED {c.stack}/{c.logical_id} {c.type} {c.name}: {c.detail}" for c in gaps)
        lines.append("")
        lines.append("Stacks: " + ", ".join(f"{k} {v}" for k, v in self.stacks.items()))
        if self.destroyed:
            lines.append("After destroy: " + (", ".join(self.remaining_stacks) or "no stacks left"))
        return "\n".join(lines)


def classify(
    stacks: Iterable[StackTemplate],
    deployed: dict[str, dict[str, tuple[str, str]]],
    outcome_of: Callable[[str, bool], tuple[str, str]],
) -> list[ResourceResult]:
    """Classify every declared resource.

    Args:
        stacks: the synthesized stacks.
        deployed: per stack name, ``logical id -> (type, physical id)`` as the target lists them.
        outcome_of: ``(type, present) -> (outcome, reason)`` for the target (emulator rules, or
            "absent means missing" for AWS).

    Returns:
        One result per declared resource.
    """
    results: list[ResourceResult] = []
    for stack in stacks:
        listed = deployed.get(stack.stack_name, {})
        for logical_id, res in stack.resources.items():
            rtype = res.get("Type", "")
            physical = listed.get(logical_id, ("", ""))[1]
            outcome, reason = outcome_of(rtype, logical_id in listed)
            results.append(ResourceResult(stack.stack_name, logical_id, rtype, outcome, physical, reason))
    return results


def aws_outcome(resource_type: str, present: bool) -> tuple[str, str]:
    """Real AWS creates every type: anything absent is missing."""
    del resource_type
    return (CREATED, "") if present else (MISSING, "not in the deployed stack")


def list_deployed(cfn: Any, stack_name: str) -> dict[str, tuple[str, str]]:
    """``logical id -> (type, physical id)`` of a deployed stack.

    moto lists a resource it skipped as a blank entry (no logical id), which is left out here; a
    few moto models have no physical id (e.g. ``AWS::EC2::SecurityGroupIngress``), which is kept
    as an empty string.
    """
    out: dict[str, tuple[str, str]] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for s in page.get("StackResourceSummaries", []):
            if s.get("LogicalResourceId") and not str(s.get("ResourceStatus", "")).endswith("FAILED"):
                out[s["LogicalResourceId"]] = (s.get("ResourceType", ""), s.get("PhysicalResourceId") or "")
    return out


def stack_statuses(cfn: Any, names: Iterable[str]) -> dict[str, str]:
    """CloudFormation status per stack name; ``ABSENT`` for a stack that does not exist."""
    out: dict[str, str] = {}
    for name in names:
        try:
            found = cfn.describe_stacks(StackName=name).get("Stacks", [])
        except Exception as err:  # botocore ClientError "does not exist"
            if "does not exist" not in str(err):
                raise
            found = []
        live = [s for s in found if s.get("StackStatus") != "DELETE_COMPLETE"]
        out[name] = live[0]["StackStatus"] if live else "ABSENT"
    return out


# --- probes: one per resource type, driven by the template's declared properties -------------------

Result = list[tuple[str, bool, str]]


def _lit(value: Any) -> Any:
    """A literal template value, or None when it is an intrinsic function (unknown until deploy)."""
    return None if isinstance(value, dict) else value


def _probe_vpc(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    vpc = c("ec2").describe_vpcs(VpcIds=[pid])["Vpcs"][0]
    out: Result = [("exists", True, pid)]
    if isinstance(_lit(props.get("CidrBlock")), str):
        out.append(("cidr", vpc.get("CidrBlock") == props["CidrBlock"], str(vpc.get("CidrBlock"))))
    return out


def _probe_vpc_endpoint(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    ep = c("ec2").describe_vpc_endpoints(VpcEndpointIds=[pid])["VpcEndpoints"][0]
    state = str(ep.get("State", "")).lower()
    out: Result = [("exists", state not in ("deleted", "deleting"), f"{pid} {ep.get('ServiceName', '')} {state}")]
    declared = str(_lit(props.get("VpcEndpointType")) or "Gateway")
    got = str(ep.get("VpcEndpointType", ""))
    out.append(("type", got.lower() == declared.lower(), got))
    return out


def _probe_ec2_by(method: str, key: str, result_key: str) -> Callable[[Clients, str, dict[str, Any]], Result]:
    def probe(c: Clients, pid: str, props: dict[str, Any]) -> Result:
        del props
        found = getattr(c("ec2"), method)(**{key: [pid]})[result_key]
        return [("exists", bool(found), pid)]

    return probe


def _check(name: str, fn: Callable[[], tuple[bool, str]]) -> tuple[str, bool, str]:
    """Run one secondary check; an API error fails that check only."""
    try:
        ok, detail = fn()
    except Exception as err:
        return (name, False, f"{type(err).__name__}: {err}"[:300])
    return (name, ok, detail)


def _probe_kms_key(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    kms = c("kms")
    try:
        state = kms.describe_key(KeyId=pid)["KeyMetadata"].get("KeyState", "")
    except Exception as err:
        # moto 5.2.1 stores a CloudFormation key's policy as a dict and answers DescribeKey with
        # a 500; the rotation status call below still proves the key exists.
        if "(500)" not in str(err) and "InternalError" not in str(err):
            raise
        state = "unknown (DescribeKey failed on the emulator)"
    rotation = kms.get_key_rotation_status(KeyId=pid)
    out: Result = [("exists", state != "PendingDeletion", f"{pid} {state}")]
    if _lit(props.get("EnableKeyRotation")) is True:
        on = bool(rotation.get("KeyRotationEnabled"))
        out.append(("rotation enabled", on, str(on)))
    return out


def _probe_bucket(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    s3 = c("s3")
    s3.head_bucket(Bucket=pid)
    out: Result = [("exists", True, pid)]
    rules = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
    if rules and isinstance(rules, list):
        want = _lit((rules[0].get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm"))

        def encryption() -> tuple[bool, str]:
            got_rules = s3.get_bucket_encryption(Bucket=pid)["ServerSideEncryptionConfiguration"]["Rules"]
            got = got_rules[0].get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
            return want is None or got == want, f"{got} (declared {want})"

        out.append(_check("encryption", encryption))
    if _lit((props.get("VersioningConfiguration") or {}).get("Status")) == "Enabled":

        def versioning() -> tuple[bool, str]:
            got = s3.get_bucket_versioning(Bucket=pid).get("Status")
            return got == "Enabled", f"{got} (declared Enabled)"

        out.append(_check("versioning", versioning))
    pab = props.get("PublicAccessBlockConfiguration")
    if isinstance(pab, dict) and pab and all(v is True for v in pab.values()):

        def public_access() -> tuple[bool, str]:
            got = s3.get_public_access_block(Bucket=pid)["PublicAccessBlockConfiguration"]
            return all(got.get(k) for k in pab), json.dumps(got)

        out.append(_check("public access blocked", public_access))
    return out


def _probe_role(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    role = c("iam").get_role(RoleName=pid.split("/")[-1])["Role"]
    out: Result = [("exists", True, role.get("Arn", pid))]
    if "PermissionsBoundary" in props:
        got = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn", "")
        want = _lit(props["PermissionsBoundary"])
        out.append(("permissions boundary", bool(got) and (want is None or got == want), got or "none"))
    return out


def _probe_managed_policy(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    del props
    pol = c("iam").get_policy(PolicyArn=pid)["Policy"]
    return [("exists", True, pol.get("Arn", pid))]


def _probe_topic(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    attrs = c("sns").get_topic_attributes(TopicArn=pid)["Attributes"]
    out: Result = [("exists", True, pid)]
    if props.get("KmsMasterKeyId"):
        out.append(("kms encrypted", bool(attrs.get("KmsMasterKeyId")), attrs.get("KmsMasterKeyId", "none")))
    return out


def _probe_queue(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    attrs = c("sqs").get_queue_attributes(QueueUrl=pid, AttributeNames=["All"]).get("Attributes", {})
    out: Result = [("exists", True, pid)]
    if props.get("KmsMasterKeyId"):
        out.append(("kms encrypted", bool(attrs.get("KmsMasterKeyId")), attrs.get("KmsMasterKeyId", "none")))
    return out


def _probe_rule(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    """An EventBridge rule: it exists, keeps its schedule, and every target declared with a dead-letter
    queue and retry policy has them (the monitoring pipelines' schedules, direct pipeline targets)."""
    name = pid.split("|")[-1].split("/")[-1]
    events = c("events")
    rule = events.describe_rule(Name=name)
    out: Result = [("exists", True, pid)]
    schedule = _lit(props.get("ScheduleExpression"))
    if isinstance(schedule, str):
        out.append(("schedule", rule.get("ScheduleExpression") == schedule, str(rule.get("ScheduleExpression"))))
    declared = props.get("Targets") or []
    if declared:
        targets = {t["Id"]: t for t in events.list_targets_by_rule(Rule=name).get("Targets", [])}
        out.append(("targets", len(targets) == len(declared), f"{len(targets)} of {len(declared)}"))
        for d in declared:
            got = targets.get(str(d.get("Id")), {})
            if d.get("DeadLetterConfig"):
                out.append(
                    (
                        f"{d.get('Id')} dead-letter queue",
                        bool(got.get("DeadLetterConfig")),
                        str(got.get("DeadLetterConfig")),
                    )
                )
            if d.get("RetryPolicy"):
                out.append((f"{d.get('Id')} retry policy", bool(got.get("RetryPolicy")), str(got.get("RetryPolicy"))))
    return out


def _probe_log_group(c: Clients, pid: str, props: dict[str, Any]) -> Result:
    groups = c("logs").describe_log_groups(logGroupNamePrefix=pid)["logGroups"]
    group = next((g for g in groups if g["logGroupName"] == pid), None)
    out: Result = [("exists", group is not None, pid)]
    want = _lit(props.get("RetentionInDays"))
    if group is not None and want is not None:
        out.append(("retention", group.get("retentionInDays") == want, str(group.get("retentionInDays"))))
    return out


def _by_name(
    service: str, method: str, key: str, *, arn: bool = False, as_list: bool = False
) -> Callable[[Clients, str, dict[str, Any]], Result]:
    """A probe that calls ``service.method(key=...)`` and passes when it does not raise.

    Args:
        service: boto3 service name.
        method: the describe/get method.
        key: the parameter that takes the resource's name.
        arn: pass the physical id as is (an ARN, or a name that contains ``/``) instead of its last
            ``/`` or ``|`` part.
        as_list: the parameter takes a list of names.
    """

    def probe(c: Clients, pid: str, props: dict[str, Any]) -> Result:
        del props
        name = pid if arn else pid.split("|")[-1].split("/")[-1]
        getattr(c(service), method)(**{key: [name] if as_list else name})
        return [("exists", True, pid)]

    return probe


#: Smoke probes per CloudFormation type; a type without a probe is counted, not checked.
PROBES: dict[str, Callable[[Clients, str, dict[str, Any]], Result]] = {
    "AWS::EC2::VPC": _probe_vpc,
    "AWS::EC2::VPCEndpoint": _probe_vpc_endpoint,
    "AWS::EC2::Subnet": _probe_ec2_by("describe_subnets", "SubnetIds", "Subnets"),
    "AWS::EC2::SecurityGroup": _probe_ec2_by("describe_security_groups", "GroupIds", "SecurityGroups"),
    "AWS::EC2::RouteTable": _probe_ec2_by("describe_route_tables", "RouteTableIds", "RouteTables"),
    "AWS::EC2::FlowLog": _probe_ec2_by("describe_flow_logs", "FlowLogIds", "FlowLogs"),
    "AWS::KMS::Key": _probe_kms_key,
    "AWS::S3::Bucket": _probe_bucket,
    "AWS::IAM::Role": _probe_role,
    "AWS::IAM::ManagedPolicy": _probe_managed_policy,
    "AWS::SNS::Topic": _probe_topic,
    "AWS::SQS::Queue": _probe_queue,
    "AWS::Logs::LogGroup": _probe_log_group,
    "AWS::Events::Rule": _probe_rule,
    "AWS::Events::EventBus": _by_name("events", "describe_event_bus", "Name"),
    "AWS::Lambda::Function": _by_name("lambda", "get_function", "FunctionName"),
    # A parameter's physical id is its full name, slashes included ("/ml/churn/deployed-package").
    "AWS::SSM::Parameter": _by_name("ssm", "get_parameter", "Name", arn=True),
    "AWS::ECR::Repository": _by_name("ecr", "describe_repositories", "repositoryNames", as_list=True),
    "AWS::SageMaker::Model": _by_name("sagemaker", "describe_model", "ModelName"),
    "AWS::SageMaker::EndpointConfig": _by_name("sagemaker", "describe_endpoint_config", "EndpointConfigName"),
    "AWS::SageMaker::Endpoint": _by_name("sagemaker", "describe_endpoint", "EndpointName"),
    "AWS::CloudWatch::Dashboard": _by_name("cloudwatch", "get_dashboard", "DashboardName"),
    "AWS::StepFunctions::StateMachine": _by_name(
        "stepfunctions", "describe_state_machine", "stateMachineArn", arn=True
    ),
    "AWS::DynamoDB::Table": _by_name("dynamodb", "describe_table", "TableName"),
}


def smoke_checks(
    clients: Clients,
    stacks: Iterable[StackTemplate],
    results: Iterable[ResourceResult],
    gaps: dict[tuple[str, str], str] | None = None,
) -> list[Check]:
    """Probe every created resource whose type has a probe.

    Args:
        clients: client factory bound to the target.
        stacks: the synthesized stacks (for the declared properties).
        results: the classified resources.
        gaps: ``(type, check name) -> reason`` the target is known not to apply; such a check that
            fails gets status ``gap`` with the reason (one that passes is a plain pass).

    Returns:
        The checks; a probe that raises counts as a failed ``exists`` check.
    """
    gaps = gaps or {}
    props = {(s.stack_name, lid): r.get("Properties", {}) for s in stacks for lid, r in s.resources.items()}
    checks: list[Check] = []
    for res in results:
        probe = PROBES.get(res.type)
        if res.outcome != CREATED or probe is None or not res.physical_id:
            continue
        try:
            found = probe(clients, res.physical_id, props.get((res.stack, res.logical_id), {}))
        except Exception as err:
            found = [("exists", False, f"{type(err).__name__}: {err}")]
        for name, ok, detail in found:
            gap = gaps.get((res.type, name))
            status = "pass" if ok else ("gap" if gap else "fail")
            detail = f"{detail} ({gap})" if gap and not ok else detail
            checks.append(Check(res.stack, res.logical_id, res.type, name, ok, detail, status))
    return checks


def still_present(clients: Clients, results: Iterable[ResourceResult]) -> dict[str, int]:
    """After destroy: how many created (and probe-able) resources per type still exist.

    Resources kept on purpose (``DeletionPolicy: Retain``, e.g. keys and data buckets) are counted
    too; on the emulator, so are the types moto's CloudFormation cannot delete.
    """
    left: Counter[str] = Counter()
    for res in results:
        probe = PROBES.get(res.type)
        if res.outcome != CREATED or probe is None or not res.physical_id:
            continue
        try:
            found = probe(clients, res.physical_id, {})
        except Exception:
            continue
        if found and found[0][0] == "exists" and found[0][1]:
            left[res.type] += 1
    return dict(sorted(left.items()))
