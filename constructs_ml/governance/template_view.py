"""Read synthesized templates as rule inputs: resources, construct paths, cross-stack references.

Used by :class:`~constructs_ml.governance.SageMakerChecks` during a synth (templates are written
before validation plugins run) and by the compliance report (templates in ``cdk.out``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_ml.governance.rules_base import ResourceView, get


@dataclass
class TemplateSet:
    """Templates by name (template file name without ``.template.json``), with their exports.

    Attributes:
        templates: stack name -> template.
        paths: stack name -> {logical id: construct path} (from ``aws:cdk:path`` metadata or the
            assembly's ``aws:cdk:logicalId`` metadata).
    """

    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    paths: dict[str, dict[str, str]] = field(default_factory=dict)
    _exports: dict[str, tuple[str, Any]] | None = None

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path]) -> TemplateSet:
        """Load ``*.template.json`` files; unreadable files are skipped."""
        out = cls()
        for p in paths:
            path = Path(p)
            try:
                template = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(template, dict):
                out.add(path.name.removesuffix(".template.json"), template)
        return out

    def add(self, name: str, template: dict[str, Any], paths: Mapping[str, str] | None = None) -> None:
        """Add one template; ``paths`` maps logical ids to construct paths."""
        self.templates[name] = template
        found = {
            lid: str(get(res, "Metadata", "aws:cdk:path"))
            for lid, res in self.resources(name).items()
            if isinstance(get(res, "Metadata", "aws:cdk:path"), str)
        }
        found.update(paths or {})
        self.paths[name] = found
        self._exports = None

    def resources(self, name: str) -> dict[str, Any]:
        """The ``Resources`` of one template (only well-formed entries)."""
        res = get(self.templates.get(name), "Resources")
        return {k: v for k, v in res.items() if isinstance(v, Mapping)} if isinstance(res, Mapping) else {}

    def exports(self) -> dict[str, tuple[str, Any]]:
        """Export name -> (stack name, exported value)."""
        if self._exports is None:
            self._exports = {}
            for name, template in self.templates.items():
                outputs = get(template, "Outputs")
                for out in outputs.values() if isinstance(outputs, Mapping) else []:
                    export = get(out, "Export", "Name")
                    if isinstance(export, str):
                        self._exports[export] = (name, get(out, "Value"))
        return self._exports

    def path_of(self, stack: str, logical_id: str) -> str:
        """The construct path of a resource, or ``<stack>/<logical id>`` when unknown."""
        return self.paths.get(stack, {}).get(logical_id, f"{stack}/{logical_id}")

    def view(
        self, stack: str, logical_id: str, *, path: str | None = None, admin_role_names: Sequence[str] = ()
    ) -> ResourceView | None:
        """A rule input for one resource of one template."""
        res = self.resources(stack).get(logical_id)
        if res is None:
            return None
        return ResourceView(
            type=str(res.get("Type", "")),
            path=path or self.path_of(stack, logical_id),
            props=res.get("Properties", {}),
            logical_id=logical_id,
            resolver=TemplateResolver(self, stack),
            admin_role_names=tuple(admin_role_names),
        )

    def views(self, stack: str, admin_role_names: Sequence[str] = ()) -> Iterator[ResourceView]:
        """Rule inputs for every resource of one template."""
        for lid in self.resources(stack):
            view = self.view(stack, lid, admin_role_names=admin_role_names)
            if view is not None:
                yield view


@dataclass
class TemplateResolver:
    """Follows ``Ref``/``Fn::GetAtt`` within a template and ``Fn::ImportValue`` across templates."""

    templates: TemplateSet
    stack: str

    def referenced(self, view: ResourceView, path: Sequence[str | int], value: Any) -> ResourceView | None:
        """The resource ``value`` points to, or None."""
        return self._follow(self.stack, value, view.admin_role_names, depth=0)

    def _follow(self, stack: str, value: Any, admin: tuple[str, ...], depth: int) -> ResourceView | None:
        if depth > 3 or not isinstance(value, Mapping):
            return None
        target: Any = None
        if "Ref" in value:
            target = value["Ref"]
        elif "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            target = att[0] if isinstance(att, list) and att else att.split(".")[0] if isinstance(att, str) else None
        elif "Fn::ImportValue" in value:
            export = self.templates.exports().get(str(value["Fn::ImportValue"]))
            return None if export is None else self._follow(export[0], export[1], admin, depth + 1)
        if not isinstance(target, str):
            return None
        return self.templates.view(stack, target, admin_role_names=admin)
