"""Errors and small prop checks shared by every constructs_ml construct.

Every construct collects all problems with its props in ``__init__`` and raises one
:class:`ValidationError` naming the construct path, the prop, the value received and what is
allowed. Values that are still CDK tokens (unresolved at synth time) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct, IConstruct

from constructs_ml._jsii_cache import is_unresolved


class ValidationError(ValueError):
    """Bad construct props: construct path, what is wrong, the value received, what is allowed.

    Attributes:
        problems: every problem found, one message each (all are reported at once).
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


def is_token(value: Any) -> bool:
    """True if ``value`` is (or contains) a CDK token that cannot be checked at synth time."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return is_unresolved(value)
    if isinstance(value, list | tuple):
        return is_unresolved(value) or any(is_token(v) for v in value)
    return False


#: What :meth:`Problems.require_type` accepts as the expected type: types, or an attribute name.
Expected = type | tuple[type, ...] | str


def is_a(value: Any, expected: Expected) -> bool:
    """True if ``value`` is an ``expected`` (a type, types, or an object with the named attribute)."""
    if isinstance(expected, str):
        return not isinstance(value, str | int | float | list | tuple | dict) and hasattr(value, expected)
    types = expected if isinstance(expected, tuple) else (expected,)
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def sagemaker_name_pattern(max_length: int) -> str:
    """The regex of a SageMaker resource name: letters, digits and single/multiple hyphens, starting and
    ending with a letter or digit, at most ``max_length`` characters (counted as characters, not as
    repetitions of the hyphen group). Embeddable in ARN patterns (no anchors)."""
    return rf"(?=[a-zA-Z0-9-]{{1,{max_length}}}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*"


def _path_of(scope: IConstruct | str) -> str:
    return scope if isinstance(scope, str) else scope.node.path


@dataclass
class Problems:
    """Collects prop problems for one construct, then raises them together.

    Example::

        problems = Problems(self)
        problems.require(count >= 1, "initial_instance_count", count, ">= 1")
        problems.raise_if_any()
    """

    scope: IConstruct | str
    messages: list[str] = field(default_factory=list)

    def add(self, prop: str, value: Any, allowed: str, what: str | None = None) -> None:
        """Record that ``prop`` got ``value``; ``allowed`` says what would be accepted."""
        reason = what or f"must be {allowed}"
        self.messages.append(f"{_path_of(self.scope)}: {prop} {reason} (got {value!r})")

    def require(self, ok: bool, prop: str, value: Any, allowed: str, what: str | None = None) -> bool:
        """Record a problem unless ``ok``; tokens are never reported. Returns ``ok``."""
        if ok or is_token(value):
            return True
        self.add(prop, value, allowed, what)
        return False

    def require_type(self, prop: str, value: Any, expected: Expected, allowed: str) -> bool:
        """``value`` must be of the ``expected`` type, so a wrong Python type is an error, not a traceback.

        Check the type before any other check of the prop (``max_azs="2"`` then gives this error
        instead of a ``TypeError`` from a comparison). Tokens pass.

        Args:
            prop: the prop name, for the message.
            value: what was given.
            expected: a type or tuple of types (``bool`` never passes for ``int``/``float``), or the name
                of an attribute the value must have: CDK interfaces (``ec2.ISecurityGroup``) cannot be
                checked with ``isinstance``, so they are recognised by an attribute
                (``"security_group_id"``).
            allowed: what is allowed, in words (``"an int"``, ``"a security group"``).

        Returns:
            True if the type is right (or ``value`` is a token).
        """
        if is_a(value, expected) or is_token(value):
            return True
        self.add(prop, value, allowed, what=f"must be {allowed}, not {type(value).__name__}")
        return False

    def require_sequence(self, prop: str, value: Any, item: Expected, allowed: str) -> bool:
        """``value`` must be a list or tuple of ``item`` (see :meth:`require_type`), not a single item.

        Returns:
            True if ``value`` is such a sequence.
        """
        if isinstance(value, list | tuple) and all(is_a(v, item) for v in value):
            return True
        if isinstance(value, list | tuple):
            wrong = [v for v in value if not is_a(v, item)]
            self.add(prop, wrong, allowed, what=f"must be {allowed}; these items are not")
        else:
            self.add(prop, value, allowed, what=f"must be {allowed}, not a single {type(value).__name__}")
        return False

    def require_one_of(self, prop: str, value: Any, allowed: Iterable[Any]) -> bool:
        """``value`` must be one of ``allowed``."""
        options = list(allowed)
        return self.require(value in options, prop, value, "one of " + ", ".join(repr(o) for o in options))

    def require_range(self, prop: str, value: float | None, low: float | None, high: float | None) -> bool:
        """``value`` must lie in ``[low, high]`` (either bound may be open)."""
        if value is None:
            return True
        if not self.require_type(prop, value, (int, float), "a number"):
            return False
        ok = (low is None or value >= low) and (high is None or value <= high)
        if low is not None and high is not None:
            allowed = f"between {low} and {high}"
        elif low is not None:
            allowed = f">= {low}"
        else:
            allowed = f"<= {high}"
        return self.require(ok, prop, value, allowed)

    def exclusive(self, prop_a: str, a: Any, prop_b: str, b: Any) -> bool:
        """At most one of two props may be given (an existing resource or props for a new one)."""
        if a is not None and b is not None:
            self.messages.append(
                f"{_path_of(self.scope)}: {prop_a} and {prop_b} cannot both be given "
                f"(got {prop_a}={a!r} and {prop_b}={b!r}); pass an existing resource or props for a new one"
            )
            return False
        return True

    def unique(self, prop: str, values: Iterable[Any]) -> bool:
        """Every value must be unique; duplicates are reported once each."""
        seen: set[Any] = set()
        dups: list[Any] = []
        for v in values:
            if v in seen and v not in dups:
                dups.append(v)
            seen.add(v)
        if dups:
            self.add(prop, dups, "unique", what="must not repeat names; duplicated")
            return False
        return True

    def raise_if_any(self) -> None:
        """Raise one :class:`ValidationError` with every recorded problem, if any."""
        if self.messages:
            raise ValidationError(self.messages)


def validation_problems(scope: Construct) -> Problems:
    """Shorthand: ``Problems(scope)``."""
    return Problems(scope)
