"""Evaluate every workload contract recorded in a cloud assembly, offline.

For each call of a contract: the role's identity policies, its permissions boundary, explicit denies
(guardrails), the resource's own policy (key, bucket, queue, topic, model registry, trust policy) and the
VPC endpoint policies on the workload's network path decide it (:mod:`constructs_ml.contracts.iam`).
For each network destination: security groups, VPC endpoints and routes decide it
(:mod:`constructs_ml.contracts.network`).

What this cannot prove: service quotas, whether AWS-owned images and artifacts exist in the region,
Service Control Policies and resource control policies of your organization, and anything decided at run
time (a job's actual request parameters beyond those the contract states).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_ml.contracts.assembly import Assembly, StackView
from constructs_ml.contracts.iam import Principal, Request, evaluate
from constructs_ml.contracts.model import GATEWAY_SERVICES, METADATA_TYPE
from constructs_ml.contracts.network import Network

#: The VPC endpoint service a call goes through, by action prefix (runtime calls have their own).
_ENDPOINT_SERVICE = {
    "s3": "s3",
    "dynamodb": "dynamodb",
    "sagemaker": "sagemaker.api",
    "kms": "kms",
    "logs": "logs",
    "cloudwatch": "monitoring",
    "ecr": "ecr.api",
    "sts": "sts",
    "events": "events",
    "ssm": "ssm",
    "sqs": "sqs",
    "sns": "sns",
    "glue": "glue",
    "greengrass": "greengrass",
}
_RUNTIME_ACTIONS = {
    "sagemaker:invokeendpoint": "sagemaker.runtime",
    "sagemaker:invokeendpointasync": "sagemaker.runtime",
    "sagemaker:invokeendpointwithresponsestream": "sagemaker.runtime",
    "sagemaker:putrecord": "sagemaker.featurestore-runtime",
    "sagemaker:getrecord": "sagemaker.featurestore-runtime",
    "sagemaker:batchgetrecord": "sagemaker.featurestore-runtime",
    "sagemaker:deleterecord": "sagemaker.featurestore-runtime",
}


#: A caller outside the platform (a person's IAM user): its own permissions are not the platform's to check.
_ANY_CALLER_PERMISSION: dict[str, Any] = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def endpoint_service_of(action: str) -> str | None:
    """The VPC endpoint service an SDK call of ``action`` goes to."""
    low = action.lower()
    return _RUNTIME_ACTIONS.get(low) or _ENDPOINT_SERVICE.get(low.split(":", 1)[0])


@dataclass(frozen=True)
class Finding:
    """One contract entry the templates do not honour."""

    role: str
    entry: dict[str, Any]
    problem: str

    def __str__(self) -> str:
        e = self.entry
        what = (
            f"{e['expect']} {e['action']} on {e['resource']}"
            if e["kind"] == "call"
            else f"reach {e['service']} ({e['protocol']}/{e['port']})"
        )
        return f"{self.role}: {what}: {self.problem} [needed for: {e['why']}; {e['source']}]"


@dataclass
class ContractReport:
    """The outcome of :func:`check_assembly`."""

    roles: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    roles_without_contract: list[str] = field(default_factory=list)

    @property
    def entries_checked(self) -> int:
        return sum(self.roles.values())

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        lines = [
            f"workload contracts: {len(self.roles)} roles, {self.entries_checked} entries, "
            f"{len(self.findings)} not honoured, {len(self.roles_without_contract)} roles without a contract"
        ]
        lines += [f"  FAIL {f}" for f in self.findings]
        lines += [f"  no contract: {r}" for r in self.roles_without_contract]
        return "\n".join(lines)


@dataclass
class _Role:
    view: StackView
    logical_id: str
    arn: str
    path: str
    tags: dict[str, str]
    identity: list[dict[str, Any]]
    boundary: dict[str, Any] | None


class ContractChecker:
    """Evaluates contracts against one assembly (build once, ask many times)."""

    def __init__(self, assembly: Assembly) -> None:
        self.assembly = assembly
        self.network = Network(assembly)
        a = assembly
        self._policies_by_arn: dict[str, dict[str, Any]] = {}
        self._attached: dict[str, list[dict[str, Any]]] = {}
        for view, lid, _ in a.resources("AWS::IAM::ManagedPolicy"):
            props = a.properties(view, lid)
            doc = props.get("PolicyDocument", {})
            self._policies_by_arn[a.arn(view, lid)] = doc
            for role_name in props.get("Roles", []):
                self._attached.setdefault(str(role_name), []).append(doc)
        for view, lid, _ in a.resources("AWS::IAM::Policy"):
            props = a.properties(view, lid)
            for role_name in props.get("Roles", []):
                self._attached.setdefault(str(role_name), []).append(props.get("PolicyDocument", {}))
        self.roles: dict[str, _Role] = {}
        for view, lid, _ in a.resources("AWS::IAM::Role"):
            props = a.properties(view, lid)
            name = a.physical_name(view, lid)
            identity = [p.get("PolicyDocument", {}) for p in props.get("Policies", [])]
            identity += [
                self._policies_by_arn[arn] for arn in props.get("ManagedPolicyArns", []) if arn in self._policies_by_arn
            ]
            identity += self._attached.get(name, [])
            boundary_arn = props.get("PermissionsBoundary")
            self.roles[a.arn(view, lid)] = _Role(
                view=view,
                logical_id=lid,
                arn=a.arn(view, lid),
                path=a.path_of(view, lid),
                tags={t["Key"]: str(t["Value"]) for t in props.get("Tags", [])},
                identity=identity,
                boundary=self._policies_by_arn.get(str(boundary_arn)) if boundary_arn else None,
            )
        self.contracts: list[tuple[_Role | None, str, list[dict[str, Any]]]] = []
        for view in a.stacks.values():
            for path, mtype, data in view.metadata:
                if mtype != METADATA_TYPE or not isinstance(data, dict):
                    continue
                resolved = a.resolve(view, data)
                role_arn = str(resolved.get("role"))
                self.contracts.append((self.roles.get(role_arn), path, list(resolved.get("entries", []))))

    # -- resource policies ---------------------------------------------------------------------

    def resource_policy(self, action: str, resource: str) -> tuple[dict[str, Any] | None, bool, str | None]:
        """(policy, must-allow-itself, owning account) of the resource a call acts on."""
        a = self.assembly
        service = resource.split(":")[2] if resource.startswith("arn:") and resource.count(":") >= 5 else ""
        if service == "s3":
            bucket = resource.split(":::", 1)[1].split("/", 1)[0]
            owner = next(
                (v.account for v, lid, _ in a.resources("AWS::S3::Bucket") if a.physical_name(v, lid) == bucket), None
            )
            for view, lid, _ in a.resources("AWS::S3::BucketPolicy"):
                props = a.properties(view, lid)
                if props.get("Bucket") == bucket:
                    return props.get("PolicyDocument"), False, owner
            return None, False, owner
        if service == "kms":
            for view, lid, _ in a.resources("AWS::KMS::Key"):
                if a.arn(view, lid) == resource:
                    return a.properties(view, lid).get("KeyPolicy"), True, view.account
            return None, True, resource.split(":")[4]
        if service == "sqs":
            for view, lid, _ in a.resources("AWS::SQS::Queue"):
                if a.arn(view, lid) == resource:
                    url = a.ref(view, lid)
                    for v2, l2, _ in a.resources("AWS::SQS::QueuePolicy"):
                        props = a.properties(v2, l2)
                        if url in props.get("Queues", []):
                            return props.get("PolicyDocument"), False, None
            return None, False, None
        if service == "sns":
            for view, lid, _ in a.resources("AWS::SNS::TopicPolicy"):
                props = a.properties(view, lid)
                if resource in props.get("Topics", []):
                    return props.get("PolicyDocument"), False, None
            return None, False, None
        if service == "sagemaker" and (":model-package/" in resource or ":model-package-group/" in resource):
            group = resource.split(":", 5)[5].split("/")[1]
            for view, lid, _ in a.resources("AWS::SageMaker::ModelPackageGroup"):
                if a.physical_name(view, lid).lower() == group.lower():
                    return a.properties(view, lid).get("ModelPackageGroupPolicy"), False, None
            return None, False, None
        if service == "iam" and action.lower().startswith("sts:"):
            role = self.roles.get(resource)
            if role is not None:
                return a.properties(role.view, role.logical_id).get("AssumeRolePolicyDocument"), True, role.view.account
        return None, False, None

    # -- checks --------------------------------------------------------------------------------

    def check_call(self, role: _Role, entry: dict[str, Any], endpoint_policies: list[dict[str, Any]]) -> str | None:
        """None when the call's outcome matches ``entry["expect"]``, else the problem in words."""
        caller = entry.get("caller")
        identity: list[dict[str, Any]]
        boundary: dict[str, Any] | None
        if caller and str(caller).startswith("service:"):
            principal = Principal(service=str(caller).removeprefix("service:"))
            identity, boundary = [], None
        elif caller:
            principal = Principal(arn=str(caller), account=role.view.account, tags=entry.get("principalTags", {}))
            identity = [_ANY_CALLER_PERMISSION]
            boundary = None
        else:
            principal = Principal(
                arn=role.arn,
                account=role.view.account,
                tags={**role.tags, **entry.get("principalTags", {})},
            )
            identity, boundary = role.identity, role.boundary
        policy, required, owner = self.resource_policy(entry["action"], str(entry["resource"]))
        context = dict(entry.get("context", {}))
        if owner is not None:
            context.setdefault("aws:ResourceAccount", owner)
        request = Request(principal, entry["action"], str(entry["resource"]), context)
        decision = evaluate(
            request,
            identity_policies=identity,
            boundary=boundary,
            resource_policy=policy,
            resource_account=owner,
            resource_policy_required=required,
            endpoint_policies=endpoint_policies,
        )
        want_allow = entry.get("expect", "allow") == "allow"
        if decision.allowed == want_allow:
            return None
        return f"{'denied' if want_allow else 'allowed'}: {decision.reason}"

    def check(self) -> ContractReport:
        report = ContractReport()
        covered: set[str] = set()
        for role, path, entries in self.contracts:
            if role is None:
                report.findings.append(
                    Finding(
                        path,
                        {"kind": "reach", "service": "-", "protocol": "-", "port": 0, "why": "-", "source": "-"},
                        "the contract's role is not in the assembly",
                    )
                )
                continue
            covered.add(role.arn)
            report.roles[role.path] = report.roles.get(role.path, 0) + len(entries)
            reaches = [e for e in entries if e.get("kind") == "reach"]
            subnets_by_service = {e["service"]: [str(s) for s in e["subnets"]] for e in reaches}
            for e in reaches:
                for problem in self.network.reach(
                    e["service"],
                    [str(g) for g in e["securityGroups"]],
                    [str(s) for s in e["subnets"]],
                    protocol=e.get("protocol", "tcp"),
                    port=int(e.get("port", 443)),
                ):
                    report.findings.append(Finding(role.path, e, problem))
            for e in entries:
                if e.get("kind") != "call":
                    continue
                svc = endpoint_service_of(e["action"])
                endpoint_policies: list[dict[str, Any]] = []
                # Calls by another caller (a service assuming the role, a person) do not leave the workload's VPC.
                if svc is not None and svc in subnets_by_service and not e.get("caller"):
                    pol = self.network.endpoint_policy(svc, subnets_by_service[svc])
                    if pol is not None:
                        endpoint_policies.append(pol)
                failure = self.check_call(role, e, endpoint_policies)
                if failure:
                    report.findings.append(Finding(role.path, e, failure))
        report.roles_without_contract = sorted(r.path for arn, r in self.roles.items() if arn not in covered)
        return report


def check_assembly(outdir: str | Path, **kwargs: Any) -> ContractReport:
    """Evaluate every workload contract recorded in the cloud assembly at ``outdir``."""
    return ContractChecker(Assembly(outdir, **kwargs)).check()


__all__ = ["GATEWAY_SERVICES", "ContractChecker", "ContractReport", "Finding", "check_assembly", "endpoint_service_of"]
