"""Pipeline parameters: typed inputs of a pipeline execution (string, integer, float, boolean).

Example::

    threshold = ParameterFloat("AucThreshold", default_value=0.8)
    instance_type = ParameterString("TrainingInstanceType", default_value="ml.m5.xlarge")
    TrainingPipeline(self, "Pipeline", parameters=[threshold, instance_type], ...)

A parameter is a :class:`~constructs_ml.develop.pipeline.properties.PipelineValue`: pass it wherever a
step accepts a value (``instance_count=ParameterInteger("Count", default_value=1)``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from constructs_ml.develop.pipeline.properties import Get
from constructs_ml.errors import Problems

#: Parameter names (schema ``ParameterName``).
PARAMETER_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")


class Parameter(Get):
    """A named, typed input of the pipeline; its value is ``{"Get": "Parameters.<name>"}``.

    Args:
        name: 1..64 of ``[A-Za-z0-9-_]``; unique in the pipeline.
        default_value: used when an execution does not set the parameter: no default (the execution
            must then pass a value).
        description: shown in the pipeline's definition: none.
    """

    type_name: ClassVar[str] = ""

    def __init__(self, name: str, *, default_value: Any = None, description: str | None = None) -> None:
        super().__init__(f"Parameters.{name}")
        self.name = name
        self.default_value = default_value
        self.description = description

    def to_definition(self) -> dict[str, Any]:
        """The parameter's entry in the definition's ``Parameters`` list."""
        out: dict[str, Any] = {"Name": self.name, "Type": self.type_name}
        if self.default_value is not None:
            out["DefaultValue"] = self.default_value
        if self.description:
            out["Description"] = self.description
        return out

    def validate(self, problems: Problems) -> None:
        problems.require(
            bool(PARAMETER_NAME.match(self.name)), "parameters[].name", self.name, "1..64 of [A-Za-z0-9-_]"
        )
        if self.default_value is not None:
            self._validate_default(problems)

    def _validate_default(self, problems: Problems) -> None:
        return None


class ParameterString(Parameter):
    """A string parameter (``enum_values`` limits the accepted values at synth for the default)."""

    type_name = "String"

    def __init__(
        self,
        name: str,
        *,
        default_value: str | None = None,
        description: str | None = None,
        enum_values: Sequence[str] | None = None,
    ) -> None:
        super().__init__(name, default_value=default_value, description=description)
        self.enum_values = list(enum_values) if enum_values is not None else None

    def _validate_default(self, problems: Problems) -> None:
        ok = isinstance(self.default_value, str) and len(self.default_value) <= 4096
        problems.require(
            ok, f"parameter {self.name} default_value", self.default_value, "a string of <= 4096 characters"
        )
        if self.enum_values is not None:
            problems.require_one_of(f"parameter {self.name} default_value", self.default_value, self.enum_values)


class ParameterInteger(Parameter):
    """An integer parameter."""

    type_name = "Integer"

    def __init__(self, name: str, *, default_value: int | None = None, description: str | None = None) -> None:
        super().__init__(name, default_value=default_value, description=description)

    def _validate_default(self, problems: Problems) -> None:
        ok = isinstance(self.default_value, int) and not isinstance(self.default_value, bool)
        problems.require(ok, f"parameter {self.name} default_value", self.default_value, "an integer")


class ParameterFloat(Parameter):
    """A floating-point parameter."""

    type_name = "Float"

    def __init__(self, name: str, *, default_value: float | None = None, description: str | None = None) -> None:
        super().__init__(name, default_value=default_value, description=description)

    def _validate_default(self, problems: Problems) -> None:
        ok = isinstance(self.default_value, int | float) and not isinstance(self.default_value, bool)
        problems.require(ok, f"parameter {self.name} default_value", self.default_value, "a number")


class ParameterBoolean(Parameter):
    """A boolean parameter."""

    type_name = "Boolean"

    def __init__(self, name: str, *, default_value: bool | None = None, description: str | None = None) -> None:
        super().__init__(name, default_value=default_value, description=description)

    def _validate_default(self, problems: Problems) -> None:
        problems.require(
            isinstance(self.default_value, bool), f"parameter {self.name} default_value", self.default_value, "a bool"
        )


__all__ = ["Parameter", "ParameterBoolean", "ParameterFloat", "ParameterInteger", "ParameterString"]
