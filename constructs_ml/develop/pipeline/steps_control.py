"""Control steps: Condition (branch on step properties, property-file values or parameters) and Fail.

Example::

    auc = evaluate.property_file("EvaluationReport").json_get("metrics.auc.value")
    gate = ConditionStep("CheckAuc",
        conditions=[Condition.greater_than_or_equal_to(auc, threshold)],
        if_steps=[register],
        else_steps=[FailStep("AucTooLow", error_message=Join(["AUC below ", threshold]))])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from constructs_ml.develop.pipeline.properties import PipelineValue, render_value
from constructs_ml.develop.pipeline.steps_base import RenderContext, Step
from constructs_ml.errors import Problems

Operand = str | int | float | bool | PipelineValue


@dataclass(frozen=True)
class Condition:
    """A condition of a :class:`ConditionStep`; build with the static methods."""

    type: str
    left: Operand | None = None
    right: Operand | None = None
    values: tuple[Operand, ...] = ()
    conditions: tuple[Condition, ...] = ()

    @staticmethod
    def equals(left: Operand, right: Operand) -> Condition:
        return Condition("Equals", left, right)

    @staticmethod
    def not_equals(left: Operand, right: Operand) -> Condition:
        return Condition("NotEquals", left, right)

    @staticmethod
    def greater_than(left: Operand, right: Operand) -> Condition:
        return Condition("GreaterThan", left, right)

    @staticmethod
    def greater_than_or_equal_to(left: Operand, right: Operand) -> Condition:
        return Condition("GreaterThanOrEqualTo", left, right)

    @staticmethod
    def less_than(left: Operand, right: Operand) -> Condition:
        return Condition("LessThan", left, right)

    @staticmethod
    def less_than_or_equal_to(left: Operand, right: Operand) -> Condition:
        return Condition("LessThanOrEqualTo", left, right)

    @staticmethod
    def in_(value: Operand, values: Sequence[Operand]) -> Condition:
        """``value`` is one of ``values``."""
        return Condition("In", left=value, values=tuple(values))

    @staticmethod
    def not_in(value: Operand, values: Sequence[Operand]) -> Condition:
        return Condition("NotIn", left=value, values=tuple(values))

    @staticmethod
    def or_(*conditions: Condition) -> Condition:
        """Any of ``conditions`` (the conditions of one step are combined with AND)."""
        return Condition("Or", conditions=tuple(conditions))

    def to_definition(self) -> dict[str, Any]:
        if self.type in ("In", "NotIn"):
            return {"Type": self.type, "Value": render_value(self.left), "In": [render_value(v) for v in self.values]}
        if self.type == "Or":
            return {"Type": "Or", "Conditions": [c.to_definition() for c in self.conditions]}
        return {"Type": self.type, "LeftValue": render_value(self.left), "RightValue": render_value(self.right)}

    def validate(self, problems: Problems, prop: str) -> None:
        if self.type in ("In", "NotIn"):
            problems.require(bool(self.values), f"{prop}.values", list(self.values), "at least one value")
        elif self.type == "Or":
            problems.require(
                len(self.conditions) >= 2, f"{prop}.conditions", len(self.conditions), "at least two conditions"
            )
            for i, c in enumerate(self.conditions):
                problems.require(c.type != "Or", f"{prop}.conditions[{i}]", c.type, "a comparison or In (no nested Or)")
                c.validate(problems, f"{prop}.conditions[{i}]")
        else:
            problems.require(
                self.left is not None and self.right is not None, prop, (self.left, self.right), "two operands"
            )
            operands = [o for o in (self.left, self.right) if o is not None]
            problems.require(
                any(isinstance(o, PipelineValue) for o in operands),
                prop,
                operands,
                "at least one pipeline value (a step property, JSON value or parameter)",
                what="compares two constants; it is always true or always false",
            )


class ConditionStep(Step):
    """Run ``if_steps`` when every condition holds, else ``else_steps``.

    The branch steps belong to this step: do not list them in the pipeline's ``steps`` too.

    Args:
        name: the step's name.
        conditions: conditions, combined with AND (at least one).
        if_steps: steps to run when they hold: none.
        else_steps: steps to run otherwise: none.
        **kwargs: ``display_name``, ``description``, ``depends_on``.
    """

    step_type = "Condition"
    supports_retry = False
    supports_cache = False

    def __init__(
        self,
        name: str,
        *,
        conditions: Sequence[Condition],
        if_steps: Sequence[Step] = (),
        else_steps: Sequence[Step] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(name, **kwargs)
        self.conditions = list(conditions)
        self.if_steps = list(if_steps)
        self.else_steps = list(else_steps)

    @property
    def outcome(self) -> Any:
        """The boolean outcome of the conditions (``Steps.<name>.Outcome``)."""
        return self.property("Outcome")

    def children(self) -> list[Step]:
        return [*self.if_steps, *self.else_steps]

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        return {
            "Conditions": [c.to_definition() for c in self.conditions],
            "IfSteps": [s.render(ctx) for s in self.if_steps],
            "ElseSteps": [s.render(ctx) for s in self.else_steps],
        }

    def validate(self, scope: Construct, problems: Problems) -> None:
        super().validate(scope, problems)
        problems.require(bool(self.conditions), self.prop("conditions"), self.conditions, "at least one condition")
        for i, c in enumerate(self.conditions):
            c.validate(problems, self.prop(f"conditions[{i}]"))
        problems.require(
            bool(self.if_steps or self.else_steps),
            self.prop("if_steps/else_steps"),
            [],
            "at least one step in a branch",
        )


class FailStep(Step):
    """Stop the execution as failed, with an error message (e.g. in a condition's else branch).

    Args:
        name: the step's name.
        error_message: the message; may join pipeline values: none.
        **kwargs: ``display_name``, ``description``, ``depends_on``.
    """

    step_type = "Fail"
    supports_retry = False
    supports_cache = False

    def __init__(self, name: str, *, error_message: str | PipelineValue | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.error_message = error_message

    def arguments(self, ctx: RenderContext) -> dict[str, Any]:
        return {"ErrorMessage": render_value(self.error_message)} if self.error_message is not None else {}


__all__ = ["Condition", "ConditionStep", "FailStep", "Operand"]
