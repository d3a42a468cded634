"""Cheap answers to questions every construct asks: fewer Python <-> Node round trips at synth.

Each jsii property read or static call is one message to the Node kernel and back. A stack's
partition, region and account never change once it exists, ``Stack.of`` of a construct never
changes, and whether a Python string holds a CDK token is a pattern match on the string itself (CDK
encodes string tokens as ``${Token[...]}`` markers). So these helpers
answer in Python after at most one round trip per construct or stack, with the same results as
``Stack.of``, ``stack.partition``/``region``/``account``/``url_suffix`` and
``Token.is_unresolved``. ``benchmarks/`` counts the round trips they save.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_cdk import Stack, Token
from constructs import IConstruct

_STACK = "_constructs_ml_stack"
_ENV = "_constructs_ml_env"
_MEMO = "_constructs_ml_memo"
#: CDK's own pattern for a string that holds a token (``TokenString.forString``). A list token's
#: element (``#{Token[...]}``) alone is not an unresolved string to CDK either.
_TOKEN = re.compile(r"\$\{Token\[[a-zA-Z0-9:._-]+\]\}")

T = TypeVar("T")


def stack_of(scope: IConstruct) -> Stack:
    """``Stack.of(scope)``, remembered on ``scope``."""
    cache = scope.__dict__
    stack = cache.get(_STACK)
    if stack is None:
        stack = scope if isinstance(scope, Stack) else Stack.of(scope)
        cache[_STACK] = stack
    return stack


@dataclass(frozen=True)
class StackEnv:
    """A stack's partition, region, account and URL suffix (tokens when environment-agnostic)."""

    partition: str
    region: str
    account: str
    url_suffix: str

    @property
    def region_is_token(self) -> bool:
        """True for an environment-agnostic region (``AWS::Region`` at deploy time)."""
        return is_unresolved(self.region)


def stack_env(scope: IConstruct) -> StackEnv:
    """The environment of ``scope``'s stack, read once per stack."""
    stack = stack_of(scope)
    cache = stack.__dict__
    env = cache.get(_ENV)
    if env is None:
        env = StackEnv(stack.partition, stack.region, stack.account, stack.url_suffix)
        cache[_ENV] = env
    return env


def is_unresolved(value: Any) -> bool:
    """``Token.is_unresolved(value)``: decided in Python for strings and plain scalars."""
    if isinstance(value, str):
        return _TOKEN.search(value) is not None
    if value is None or isinstance(value, (bool, int)):
        return False
    return bool(Token.is_unresolved(value))


def memo(obj: Any, key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``obj`` and ``key`` (for values a construct never changes, e.g. ARNs)."""
    cache: dict[str, Any] = obj.__dict__.setdefault(_MEMO, {})
    if key not in cache:
        cache[key] = compute()
    value: T = cache[key]
    return value


def by_reference(obj: T) -> T:
    """``obj`` (a Python object implementing a jsii interface), passed to Node by reference once it exists there.

    jsii's Python runtime creates a new Node-side proxy (one round trip) each time it hands a plain
    Python object to Node; an object that already has a proxy is passed by that reference when it
    carries a jsii type name. Return this from properties Node reads again and again (e.g. a
    ``grant_principal``).
    """
    cache = obj.__dict__
    if "__jsii_ref__" in cache and cache.get("__jsii_type__") is None:
        cache["__jsii_type__"] = "Object"
    return obj


def env_of(obj: Any) -> Any:
    """:func:`stack_env` for a ``Stack``; any other object (with its own ``region``...) as it is."""
    return stack_env(obj) if isinstance(obj, Stack) else obj


def bucket_name(bucket: Any) -> str:
    """``bucket.bucket_name``, read from Node once per bucket."""
    name: str = memo(bucket, "bucket_name", lambda: bucket.bucket_name)
    return name


def security_group_id(group: Any) -> str:
    """``group.security_group_id``, read from Node once per security group."""
    value: str = memo(group, "security_group_id", lambda: group.security_group_id)
    return value


def subnet_id(subnet: Any) -> str:
    """``subnet.subnet_id``, read from Node once per subnet."""
    value: str = memo(subnet, "subnet_id", lambda: subnet.subnet_id)
    return value


def duration_seconds(duration: Any) -> float:
    """``duration.to_seconds()`` (a ``Duration`` never changes), asked of Node once per object."""
    value: float = memo(duration, "to_seconds", lambda: duration.to_seconds())
    return value


def path_of(construct: Any) -> str:
    """``construct.node.path`` (a construct's path never changes), asked of Node once per construct."""
    value: str = memo(construct, "node_path", lambda: construct.node.path)
    return value


def key_arn(key: Any) -> str:
    """``key.key_arn``, read from Node once per key."""
    value: str = memo(key, "key_arn", lambda: key.key_arn)
    return value


def select_subnets(vpc: Any, **selection: Any) -> Any:
    """``vpc.select_subnets(**selection)``, asked of Node once per VPC and selection.

    A VPC's subnets are fixed once it exists (the L2 ``Vpc`` makes them at construction, an imported
    VPC is given them), so a selection always selects the same subnets. The answer is a plain struct
    (reading it back from Node is one round trip per field): every construct placed in the same VPC
    and subnets shares it. Objects in the selection (subnets, filters) count by identity.
    """
    key = "select_subnets:" + repr(sorted((name, _identity(value)) for name, value in selection.items()))
    # the selection is kept with the answer: the objects whose ids are in the key stay alive
    kept: tuple[dict[str, Any], Any] = memo(vpc, key, lambda: (selection, vpc.select_subnets(**selection)))
    return kept[1]


def _identity(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_identity(v) for v in value)
    if value is None or isinstance(value, str | int | float | bool | enum.Enum):
        return value
    return ("object", id(value))


__all__ = [
    "StackEnv",
    "bucket_name",
    "by_reference",
    "duration_seconds",
    "env_of",
    "is_unresolved",
    "key_arn",
    "memo",
    "path_of",
    "security_group_id",
    "select_subnets",
    "stack_env",
    "stack_of",
    "subnet_id",
]
