"""Construct paths and acknowledgements of a synthesized cloud assembly, read from its files.

A validation plugin runs after the assembly is written: each stack's template, and its metadata
(``<stack>.metadata.json`` or inline in ``manifest.json``) with the ``aws:cdk:logicalId`` of every
resource by construct path and every ``Validations.of(...).acknowledge(...)`` entry. Reading them
lets :class:`~constructs_ml.governance.SageMakerChecks` check and report a whole app without one
jsii round trip per resource. Constructs above the stacks (the app, stages) are not in any stack's
metadata; their acknowledgements come from the caller (:meth:`AssemblyIndex.add_ancestor_acks`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: ``Validations.ACKNOWLEDGED_RULES_METADATA_KEY`` (written by ``Validations.of(c).acknowledge``).
ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
LOGICAL_ID = "aws:cdk:logicalId"
_PREFIX = re.compile(r"^annotation::", re.IGNORECASE)


def acknowledged_ids(entries: Iterable[Any]) -> set[str]:
    """Rule ids acknowledged by metadata ``entries`` (the ``Annotation::`` prefix removed, as cdk-nag does)."""
    out: set[str] = set()
    for entry in entries:
        if (
            isinstance(entry, Mapping)
            and entry.get("type") == ACKNOWLEDGED_RULES
            and isinstance(entry.get("data"), Mapping)
        ):
            out.update(_PREFIX.sub("", str(k)) for k in entry["data"])
    return out


@dataclass
class AssemblyIndex:
    """Per template name: logical id -> construct path; per construct path: acknowledged rule ids.

    Attributes:
        paths: template name (file name without ``.template.json``) -> {logical id: path}.
        stack_paths: template name -> the stack's construct path.
        acks: construct path (no leading ``/``) -> acknowledged rule ids.
    """

    paths: dict[str, dict[str, str]] = field(default_factory=dict)
    stack_paths: dict[str, str] = field(default_factory=dict)
    acks: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, template_paths: Iterable[str | Path]) -> AssemblyIndex | None:
        """Read the manifests next to ``template_paths``; None if any stack's metadata is unreadable."""
        out = cls()
        wanted = {Path(p).resolve() for p in template_paths}
        for folder in {p.parent for p in wanted}:
            try:
                manifest = json.loads((folder / "manifest.json").read_text())
            except (OSError, ValueError):
                return None
            for artifact in (manifest.get("artifacts") or {}).values():
                if not isinstance(artifact, Mapping) or artifact.get("type") != "aws:cloudformation:stack":
                    continue
                template_file = (artifact.get("properties") or {}).get("templateFile")
                if not isinstance(template_file, str) or (folder / template_file).resolve() not in wanted:
                    continue
                metadata = artifact.get("metadata")
                extra = artifact.get("additionalMetadataFile")
                if isinstance(extra, str):
                    try:
                        metadata = {**(metadata or {}), **json.loads((folder / extra).read_text())}
                    except (OSError, ValueError):
                        return None
                if not isinstance(metadata, Mapping):
                    return None
                display = artifact.get("displayName")
                out._add(
                    template_file.removesuffix(".template.json"),
                    metadata,
                    display if isinstance(display, str) else None,
                )
        return out

    def _add(self, name: str, metadata: Mapping[str, Any], stack_path: str | None) -> None:
        ids: dict[str, str] = {}
        shortest: str | None = None
        for raw_path, entries in metadata.items():
            path = str(raw_path).lstrip("/")
            if not isinstance(entries, list):
                continue
            if shortest is None or len(path) < len(shortest):
                shortest = path
            for entry in entries:
                if (
                    isinstance(entry, Mapping)
                    and entry.get("type") == LOGICAL_ID
                    and isinstance(entry.get("data"), str)
                ):
                    ids[entry["data"]] = path
            found = acknowledged_ids(entries)
            if found:
                self.acks.setdefault(path, set()).update(found)
        self.paths[name] = ids
        self.stack_paths[name] = stack_path or shortest or name

    def path_of(self, name: str, logical_id: str) -> str | None:
        """The construct path of a resource of template ``name``, or None when not recorded."""
        return self.paths.get(name, {}).get(logical_id)

    def ancestors_above_stacks(self) -> set[str]:
        """Paths of the constructs above each stack (``""`` is the app), whose acks are not in metadata."""
        out = {""}
        for stack_path in self.stack_paths.values():
            parts = stack_path.split("/")
            out.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return out

    def add_ancestor_acks(self, path: str, ids: Iterable[str]) -> None:
        """Record acknowledgements of a construct above the stacks (from its ``node.metadata``)."""
        found = set(ids)
        if found:
            self.acks.setdefault(path, set()).update(found)

    def is_acknowledged(self, path: str, rule_id: str) -> bool:
        """True when ``rule_id`` is acknowledged on ``path`` or any ancestor (cdk-nag's rule)."""
        parts = path.split("/") if path else []
        return any(rule_id in self.acks.get("/".join(parts[:i]), ()) for i in range(len(parts), -1, -1))


__all__ = ["ACKNOWLEDGED_RULES", "AssemblyIndex", "acknowledged_ids"]
