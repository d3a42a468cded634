"""A small, documented IAM policy evaluator for offline workload-contract checks.

It implements the parts of AWS's policy evaluation logic that decide the platform's workloads
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

1. An explicit ``Deny`` in any applicable policy (identity, permissions boundary, resource policy, VPC
   endpoint policy) denies.
2. Within one account, the request is allowed if an identity policy *or* the resource policy allows it,
   and the permissions boundary (if any) allows it too (a boundary limits what resource policies grant
   to a role ARN).
3. KMS keys and role trust policies must allow the request themselves: directly (naming the principal)
   or by delegating to the account (``arn:aws:iam::<account>:root``), in which case an identity policy
   must allow it as well.
4. Across accounts, both the resource policy and the identity policy must allow.
5. A VPC endpoint policy is one more filter: it must allow the request (it grants nothing).

Matching follows the policy grammar: ``Action``/``NotAction`` (case-insensitive wildcards),
``Resource``/``NotResource`` (case-sensitive wildcards), ``Principal``/``NotPrincipal``, and every
condition operator family (String, Numeric, Bool, Arn, Null, IpAddress, with ``IfExists`` and the
``ForAnyValue``/``ForAllValues`` set operators), with policy variables (``${aws:username}``,
``${aws:PrincipalTag/x}``) substituted from the request context.

Why not an existing library: the maintained Python evaluators found (principalmapper 1.1.5, iam-ape)
are AGPL/GPL-licensed, which this Apache-2.0 library cannot ship; principalmapper is used in the test
suite as an independent oracle instead, and every case here is also checked against it.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ContextValue = str | bool | int | Sequence[str]


@dataclass(frozen=True)
class Principal:
    """Who makes the request: an IAM role (session) of an account, or an AWS service."""

    arn: str = ""
    account: str = ""
    service: str = ""
    #: the role's tags (become ``aws:PrincipalTag/<key>``).
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One AWS API request: action, resource and the request context (condition keys)."""

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def full_context(self) -> dict[str, ContextValue]:
        """The context with the keys AWS adds about the principal (lower-cased names)."""
        ctx: dict[str, ContextValue] = {}
        if self.principal.arn:
            ctx["aws:principalarn"] = self.principal.arn
        if self.principal.account:
            ctx["aws:principalaccount"] = self.principal.account
            if self.action.lower().startswith("kms:"):
                # KMS adds the caller's account to every request (kms:CallerAccount,
                # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
                ctx["kms:calleraccount"] = self.principal.account
        if self.principal.service:
            ctx["aws:principalservicename"] = self.principal.service
        for k, v in self.principal.tags.items():
            ctx[f"aws:principaltag/{k}".lower()] = v
        arn_parts = self.resource.split(":")
        if len(arn_parts) > 4 and arn_parts[4]:
            ctx.setdefault("aws:resourceaccount", arn_parts[4])
        ctx.update({k.lower(): v for k, v in self.context.items()})
        return ctx


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class _Unresolvable(Exception):
    """A policy variable has no value in the request context."""


def _substitute(text: str, ctx: Mapping[str, ContextValue]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in ("*", "?", "$"):
            return name
        value = ctx.get(name.lower())
        if value is None or isinstance(value, list | tuple):
            raise _Unresolvable(name)
        return str(value).lower() if isinstance(value, bool) else str(value)

    return _VARIABLE.sub(one, text)


def _glob(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    # fnmatch treats [] as a class; IAM does not.
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(_glob(p, action, case_sensitive=False) for p in patterns)


def _resource_matches(patterns: Iterable[str], resource: str, ctx: Mapping[str, ContextValue]) -> bool:
    for p in patterns:
        try:
            pattern = _substitute(str(p), ctx)
        except _Unresolvable:
            continue
        if pattern == "*" or _glob(pattern, resource, case_sensitive=True):
            return True
    return False


# -- conditions ---------------------------------------------------------------------------------------


def _str(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _base_match(op: str, actual: str, expected: str) -> bool:
    """``actual`` (from the request) against one ``expected`` value, for a non-negated base operator."""
    if op in ("StringEquals", "ArnEquals"):
        return actual == expected if op == "StringEquals" else _glob(expected, actual, case_sensitive=True)
    if op == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if op in ("StringLike", "ArnLike"):
        return _glob(expected, actual, case_sensitive=True)
    if op == "Bool":
        return actual.lower() == expected.lower()
    if op == "BinaryEquals":
        return actual == expected
    if op.startswith("Numeric"):
        a, e = float(actual), float(expected)
        return {
            "NumericEquals": a == e,
            "NumericLessThan": a < e,
            "NumericLessThanEquals": a <= e,
            "NumericGreaterThan": a > e,
            "NumericGreaterThanEquals": a >= e,
        }[op]
    if op.startswith("Date"):
        return {
            "DateEquals": actual == expected,
            "DateLessThan": actual < expected,
            "DateLessThanEquals": actual <= expected,
            "DateGreaterThan": actual > expected,
            "DateGreaterThanEquals": actual >= expected,
        }[op]
    if op == "IpAddress":
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    raise ValueError(f"unsupported condition operator {op!r}")


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


def _condition_holds(operator: str, key: str, expected_raw: Any, ctx: Mapping[str, ContextValue]) -> bool:
    set_op = ""
    if ":" in operator:
        set_op, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    op = operator.removesuffix("IfExists")
    present = key.lower() in ctx
    actual_raw = ctx.get(key.lower())
    if op == "Null":
        wants_absent = _str(_as_list(expected_raw)[0]).lower() == "true"
        return (not present) if wants_absent else present
    expected: list[str] = []
    for e in _as_list(expected_raw):
        try:
            expected.append(_substitute(_str(e), ctx))
        except _Unresolvable:
            continue
    negated = op in _NEGATED
    base = _NEGATED.get(op, op)
    actual_values = [_str(a) for a in _as_list(actual_raw)] if present else []

    def one(value: str) -> bool:
        hit = any(_base_match(base, value, e) for e in expected)
        return not hit if negated else hit

    if set_op == "ForAllValues":
        return all(one(v) for v in actual_values)
    if set_op == "ForAnyValue":
        return any(one(v) for v in actual_values)
    if not present:
        return if_exists or negated
    return any(one(v) for v in actual_values)


def conditions_hold(conditions: Mapping[str, Mapping[str, Any]] | None, ctx: Mapping[str, ContextValue]) -> bool:
    for operator, keys in (conditions or {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, expected, ctx):
                return False
    return True


# -- principals ---------------------------------------------------------------------------------------


def _principal_matches(element: Any, principal: Principal) -> bool:
    """Does a policy's ``Principal`` element name ``principal`` (directly or through its account)?"""
    return _principal_match_kind(element, principal) is not None


def _principal_match_kind(element: Any, principal: Principal) -> str | None:
    """``"direct"``, ``"account"`` (through the account root), ``"any"`` (``*``), or None."""
    if element == "*":
        return "any"
    if not isinstance(element, Mapping):
        return None
    for kind, values in element.items():
        for v in _as_list(values):
            v = str(v)
            if kind == "Service" and principal.service and v == principal.service:
                return "direct"
            if kind == "AWS":
                if v == "*":
                    return "any"
                if principal.arn and v == principal.arn:
                    return "direct"
                if principal.account and v in (principal.account, f"arn:aws:iam::{principal.account}:root"):
                    return "account"
    return None


# -- statements and policies --------------------------------------------------------------------------


def statement_applies(statement: Mapping[str, Any], request: Request, ctx: Mapping[str, ContextValue]) -> bool:
    """Do the statement's action, resource and conditions match the request (principal not checked)?"""
    if "Action" in statement and not action_matches(_as_list(statement["Action"]), request.action):
        return False
    if "NotAction" in statement and action_matches(_as_list(statement["NotAction"]), request.action):
        return False
    if "Resource" in statement and not _resource_matches(_as_list(statement["Resource"]), request.resource, ctx):
        return False
    if "NotResource" in statement and _resource_matches(_as_list(statement["NotResource"]), request.resource, ctx):
        return False
    try:
        return conditions_hold(statement.get("Condition"), ctx)
    except (ValueError, TypeError):
        return False


def _statements(policy: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return [s for s in _as_list((policy or {}).get("Statement")) if isinstance(s, Mapping)]


def matching(
    policy: Mapping[str, Any] | None, effect: str, request: Request, *, resource_policy: bool = False
) -> list[tuple[Mapping[str, Any], str | None]]:
    """Statements of ``policy`` with ``effect`` that match the request, with how the principal matched."""
    ctx = request.full_context()
    out: list[tuple[Mapping[str, Any], str | None]] = []
    for s in _statements(policy):
        if s.get("Effect") != effect or not statement_applies(s, request, ctx):
            continue
        how: str | None = None
        if resource_policy:
            if "NotPrincipal" in s:
                if _principal_matches(s["NotPrincipal"], request.principal):
                    continue
                how = "any"
            else:
                how = _principal_match_kind(s.get("Principal"), request.principal)
                if how is None:
                    continue
        out.append((s, how))
    return out


@dataclass(frozen=True)
class Decision:
    """The outcome of one evaluation, with the reason in words."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def evaluate(
    request: Request,
    *,
    identity_policies: Sequence[Mapping[str, Any]] = (),
    boundary: Mapping[str, Any] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
    resource_account: str | None = None,
    resource_policy_required: bool = False,
    endpoint_policies: Sequence[Mapping[str, Any]] = (),
) -> Decision:
    """Evaluate one request.

    Args:
        request: the request.
        identity_policies: the principal's identity policies (empty for a service principal).
        boundary: the principal's permissions boundary, if any.
        resource_policy: the policy of the resource (bucket, key, queue, topic, registry, trust policy).
        resource_account: the account that owns the resource: the principal's when omitted.
        resource_policy_required: the resource policy must allow by itself or by delegating to the
            account (KMS key policies, role trust policies).
        endpoint_policies: VPC endpoint policies the request passes through.
    """
    for name, pol, rp in (
        *(("identity policy", p, False) for p in identity_policies),
        ("permissions boundary", boundary, False),
        ("resource policy", resource_policy, True),
        *(("VPC endpoint policy", p, True) for p in endpoint_policies),
    ):
        hits = matching(pol, "Deny", request, resource_policy=rp) if pol is not None else []
        if hits:
            sid = hits[0][0].get("Sid", "")
            return Decision(False, f"explicit deny in the {name}{f' (Sid {sid})' if sid else ''}")
    for pol in endpoint_policies:
        if not matching(pol, "Allow", request, resource_policy=True):
            return Decision(False, "the VPC endpoint policy does not allow it")
    identity_allows = any(matching(p, "Allow", request) for p in identity_policies)
    boundary_allows = boundary is None or bool(matching(boundary, "Allow", request))
    rp_hits = matching(resource_policy, "Allow", request, resource_policy=True) if resource_policy else []
    rp_kinds = {how for _, how in rp_hits}
    same_account = resource_account is None or resource_account == request.principal.account
    if not request.principal.arn and request.principal.service:
        return (
            Decision(True, "the resource policy allows the service")
            if rp_kinds
            else Decision(False, "no resource policy statement allows the service")
        )
    if resource_policy_required:
        names_principal = bool(rp_kinds & {"direct", "any"})
        if not names_principal and "account" not in rp_kinds:
            return Decision(False, "the resource policy (key or trust policy) does not allow it")
        if not names_principal and not identity_allows:
            return Decision(False, "the resource policy delegates to the account, but no identity policy allows it")
        if not boundary_allows:
            return Decision(False, "the permissions boundary does not allow it")
        return Decision(True, "allowed by the resource policy" + (" and an identity policy" if identity_allows else ""))
    if not same_account:
        if not rp_kinds:
            return Decision(False, "cross-account: the resource policy does not allow it")
        if not identity_allows:
            return Decision(False, "cross-account: no identity policy allows it")
    elif not (identity_allows or rp_kinds - {"account"}):
        return Decision(False, "no identity policy (or resource policy) allows it")
    if not boundary_allows:
        return Decision(False, "the permissions boundary does not allow it")
    return Decision(True, "allowed")
