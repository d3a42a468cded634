"""The rule model of the SageMaker pack: outcomes, rules, resource views and value helpers.

Every rule is a pure function over the *resolved* CloudFormation properties of one resource
(``ResourceView.props``), so the same rule runs inside cdk-nag (on the construct tree or on the
synthesized templates) and in the compliance report (on the templates in ``cdk.out``).

Values that are CloudFormation intrinsics (``Ref``, ``Fn::GetAtt``, ``Fn::ImportValue``, ...) are
"set" for presence checks (a key reference is a key) but unknown for value checks (a ``Ref`` to a
parameter may be ``true`` or ``false``); unknown values make the rule's outcome ``CANNOT_VERIFY``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Pack name: the prefix of every rule id and the plugin name in ``validation-report.json``.
PACK_NAME = "SageMaker"

#: Tag (key, value) that marks the platform admin role (set by ``Personas`` in the foundation).
ADMIN_PERSONA_TAG: tuple[str, str] = ("constructs-ml:persona", "platform-admin")

#: Suffix of the finding id a rule reports when it cannot verify a resource at synth time.
CANNOT_VERIFY = "CannotVerify"


class Status(enum.Enum):
    """What a rule concluded about one resource."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    NOT_APPLICABLE = "not-applicable"
    CANNOT_VERIFY = "cannot-verify"


@dataclass(frozen=True)
class Outcome:
    """The result of one rule on one resource.

    Attributes:
        status: the conclusion.
        findings: for rules with per-item findings (pipeline steps), the offending items; each
            becomes the finding id ``SageMaker-<Rule>[<item>]``.
        detail: a human-readable reason (which property, which value).
        unverified: items that could not be verified (reported once as ``[CannotVerify]``).
    """

    status: Status
    findings: tuple[str, ...] = ()
    detail: str = ""
    unverified: tuple[str, ...] = ()


PASS = Outcome(Status.COMPLIANT)
NOT_APPLICABLE = Outcome(Status.NOT_APPLICABLE)


def fail(detail: str, findings: Iterable[str] = ()) -> Outcome:
    """A non-compliant outcome."""
    return Outcome(Status.NON_COMPLIANT, tuple(findings), detail)


def unknown(detail: str) -> Outcome:
    """A "cannot verify at synth" outcome."""
    return Outcome(Status.CANNOT_VERIFY, (), detail)


class Resolver(Protocol):
    """Finds the resource a property value refers to (``Ref``/``GetAtt``/import/token)."""

    def referenced(self, view: ResourceView, path: Sequence[str | int], value: Any) -> ResourceView | None:
        """The resource ``value`` (found at ``path`` in ``view.props``) refers to, or None if unknown."""
        ...


class _NoResolver:
    def referenced(self, view: ResourceView, path: Sequence[str | int], value: Any) -> ResourceView | None:
        return None


@dataclass
class ResourceView:
    """One resource as the rules see it.

    Attributes:
        type: the CloudFormation type, e.g. ``AWS::SageMaker::Domain``.
        path: the construct path (or ``<stack>/<logical id>`` when read from a template).
        props: resolved CloudFormation properties; ``{}`` when the resource has none. A value that
            is not a mapping (e.g. an unresolved token) is kept as is and makes rules cannot-verify.
        logical_id: the logical id in its template, when known.
        resolver: finds referenced resources (roles, subnets).
        admin_role_names: role-name patterns (``fnmatch``) that also mark the platform admin role.
        memo: per-resource cache for expensive parses shared by several rules.
    """

    type: str
    path: str
    props: Any
    logical_id: str = ""
    resolver: Resolver = field(default_factory=_NoResolver)
    admin_role_names: tuple[str, ...] = ()
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """One rule of the pack.

    Attributes:
        id: the rule id suffix; the full id is ``SageMaker-<id>``.
        resource_types: CloudFormation types the rule applies to.
        info: the one-line finding shown in the validation report.
        explanation: why the rule exists.
        fix: how to fix a finding (documentation and verbose output).
        controls: GOVERNANCE.md control ids this rule implements.
        check: the rule function.
        per_item: the rule reports one finding per item (``SageMaker-<id>[<item>]``).
    """

    id: str
    resource_types: frozenset[str]
    info: str
    explanation: str
    fix: str
    controls: tuple[str, ...]
    check: Callable[[ResourceView], Outcome]
    per_item: bool = False

    @property
    def full_id(self) -> str:
        """``SageMaker-<id>``."""
        return f"{PACK_NAME}-{self.id}"


def evaluate(rule: Rule, view: ResourceView) -> Outcome:
    """Run ``rule`` on ``view``; never raises (an unexpected error becomes ``CANNOT_VERIFY``)."""
    if not isinstance(view.props, Mapping):
        return unknown(f"the resource's properties are not an object ({short(view.props)})")
    try:
        return rule.check(view)
    except Exception as err:  # a rule must never crash synth: report what it could not read
        return unknown(f"the rule could not read the resource ({type(err).__name__}: {err})")


# --- value helpers -------------------------------------------------------------------------------

_INTRINSIC = re.compile(r"^(Ref|Fn::[A-Za-z0-9]+|Condition)$")


def short(value: Any, limit: int = 80) -> str:
    """A short repr for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_intrinsic(value: Any) -> bool:
    """True for a CloudFormation intrinsic (``{"Ref": ...}``, ``{"Fn::...": ...}``) or CDK token text."""
    if isinstance(value, Mapping):
        return len(value) == 1 and bool(_INTRINSIC.match(next(iter(value))))
    if isinstance(value, str):
        return "${Token[" in value
    return False


def is_no_value(value: Any) -> bool:
    """True for ``{"Ref": "AWS::NoValue"}``."""
    return isinstance(value, Mapping) and value.get("Ref") == "AWS::NoValue"


def get(obj: Any, *keys: str | int) -> Any:
    """Nested lookup that returns None for anything missing or of the wrong shape."""
    cur = obj
    for key in keys:
        if isinstance(key, int):
            if not isinstance(cur, list) or key >= len(cur):
                return None
            cur = cur[key]
        else:
            if not isinstance(cur, Mapping):
                return None
            cur = cur.get(key)
        if cur is None:
            return None
    return cur


def presence(value: Any) -> bool | None:
    """Is a value set? True/False, or None when it depends on a condition (``Fn::If``)."""
    if value is None or is_no_value(value):
        return False
    if isinstance(value, str | list | tuple | Mapping) and len(value) == 0:
        return False
    if isinstance(value, Mapping) and "Fn::If" in value:
        return None
    return True


def equals(value: Any, expected: str | bool) -> bool | None:
    """Does ``value`` equal ``expected``? None when the value is an intrinsic (unknown at synth).

    Booleans accept CloudFormation's string forms (``"true"``/``"false"``); strings compare exactly.
    """
    if is_intrinsic(value):
        return None
    if isinstance(expected, bool):
        if isinstance(value, bool):
            return value is expected
        if isinstance(value, str):
            return value.lower() == str(expected).lower()
        return False
    return bool(value == expected)


def list_items(value: Any) -> list[Any] | None:
    """A list value as a list; None when the list itself is an intrinsic (unknown length)."""
    if value is None or is_no_value(value):
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return None


def flatten_text(value: Any) -> str:
    """Literal text of a string or ``Fn::Join`` (intrinsic parts become ``?``), for name matching."""
    if isinstance(value, str):
        return value
    join = get(value, "Fn::Join")
    if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
        sep = join[0] if isinstance(join[0], str) else ""
        return sep.join(flatten_text(part) for part in join[1])
    return "?"


def require_set(props: Any, path: Sequence[str], what: str) -> Outcome:
    """Compliant when the property at ``path`` is set."""
    state = presence(get(props, *path))
    if state is None:
        return unknown(f"{'.'.join(path)} depends on a condition")
    return PASS if state else fail(f"{'.'.join(path)} is not set ({what})")


def require_equal(props: Any, path: Sequence[str], expected: str | bool, *, default: Any = None) -> Outcome:
    """Compliant when the property at ``path`` (or ``default`` when absent) equals ``expected``."""
    value = get(props, *path)
    if value is None or is_no_value(value):
        value = default
    state = equals(value, expected)
    dotted = ".".join(path)
    if state is None:
        return unknown(f"{dotted} is an unresolved value ({short(value)})")
    return PASS if state else fail(f"{dotted} is {short(value)}, expected {expected!r}")


def first_failure(*outcomes: Outcome) -> Outcome:
    """Combine sub-checks: the first non-compliant wins, then the first cannot-verify, else compliant."""
    for o in outcomes:
        if o.status is Status.NON_COMPLIANT:
            return o
    for o in outcomes:
        if o.status is Status.CANNOT_VERIFY:
            return o
    return PASS


def tags_of(props: Any) -> dict[str, Any]:
    """A resource's ``Tags`` (list of ``{Key, Value}`` or a map) as a dict."""
    tags = get(props, "Tags")
    if isinstance(tags, Mapping):
        return {str(k): v for k, v in tags.items()}
    out: dict[str, Any] = {}
    for tag in tags if isinstance(tags, list) else []:
        key = get(tag, "Key")
        if isinstance(key, str):
            out[key] = get(tag, "Value")
    return out
