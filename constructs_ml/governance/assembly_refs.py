"""References between the resources of a cloud assembly, across stacks, for the platform picture.

A resource refers to another through ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::ImportValue`` (the
exporting stack's output), ``Fn::GetStackOutput`` (CDK's cross-stack reference: a stack name and an
output name), or by a physical name inside a string or an ARN (``.../model-package-group/churn``):
EventBridge patterns and Lambda environments name resources that way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from constructs_ml.governance.template_view import TemplateSet


class References:
    """References between resources across the assembly: tokens, exports, stack outputs, names."""

    def __init__(self, templates: TemplateSet, stack_names: Mapping[str, str]) -> None:
        self.templates = templates
        self.resources = {stack: templates.resources(stack) for stack in templates.templates}
        self.by_stack_name = {v: k for k, v in stack_names.items()}
        self.names: dict[str, tuple[str, str]] = {}
        for stack in templates.templates:
            for lid, res in templates.resources(stack).items():
                props = res.get("Properties")
                for key, value in props.items() if isinstance(props, Mapping) else []:
                    if key.endswith("Name") and isinstance(value, str) and len(value) >= 4:
                        self.names.setdefault(value, (stack, lid))
        alternation = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        self.name_re = re.compile(rf'(?:^|(?<=[/:",]))({alternation})(?=$|[",/])') if self.names else None

    def find(self, stack: str, value: Any, *, names: bool = True) -> set[tuple[str, str]]:
        """Every (stack, logical id) that ``value`` refers to."""
        out: set[tuple[str, str]] = set()
        self._walk(stack, value, out, depth=0)
        if names and self.name_re is not None:
            for text in literals(value):
                out.update(
                    self.names[m.group(1)]
                    for m in self.name_re.finditer(text)
                    # "name/..." only for long generated names: "churn/raw/" is a prefix, not the group
                    if m.end() == len(text) or text[m.end()] != "/" or len(m.group(1)) >= 12
                )
        return out

    def _walk(self, stack: str, value: Any, out: set[tuple[str, str]], depth: int) -> None:
        if depth > 4:
            return
        resources = self.resources.get(stack, {})
        if isinstance(value, list):
            for item in value:
                self._walk(stack, item, out, depth)
            return
        if not isinstance(value, Mapping):
            return
        if isinstance(value.get("Ref"), str) and value["Ref"] in resources:
            out.add((stack, value["Ref"]))
        att = value.get("Fn::GetAtt")
        target = att[0] if isinstance(att, list) and att else att.split(".")[0] if isinstance(att, str) else None
        if isinstance(target, str) and target in resources:
            out.add((stack, target))
        if isinstance(value.get("Fn::Sub"), str):
            out.update((stack, t) for t in re.findall(r"\$\{([A-Za-z0-9]+)", value["Fn::Sub"]) if t in resources)
        imported = value.get("Fn::ImportValue")
        if isinstance(imported, str) and imported in self.templates.exports():
            other, exported = self.templates.exports()[imported]
            self._walk(other, exported, out, depth + 1)
        output = value.get("Fn::GetStackOutput")
        if isinstance(output, Mapping):
            other_stack = self.by_stack_name.get(str(output.get("StackName")))
            outputs = self.templates.templates.get(other_stack or "", {}).get("Outputs", {})
            found = outputs.get(str(output.get("OutputName"))) if isinstance(outputs, Mapping) else None
            if other_stack and isinstance(found, Mapping):
                self._walk(other_stack, found.get("Value"), out, depth + 1)
        for key, item in value.items():
            if key not in ("Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::GetStackOutput"):
                self._walk(stack, item, out, depth)


def literals(value: Any) -> Iterator[str]:
    """Literal strings in a value; an ``Fn::Join`` gives its literal parts joined (tokens as gaps)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from literals(item)
    elif isinstance(value, Mapping):
        join = value.get("Fn::Join")
        if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
            sep = join[0] if isinstance(join[0], str) else ""
            yield sep.join(p if isinstance(p, str) else "\x00" for p in join[1])
            for part in join[1]:
                if not isinstance(part, str):
                    yield from literals(part)
            return
        for key, item in value.items():
            if key not in ("Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::GetStackOutput"):
                yield from literals(item)
