"""Write a package ``__init__.py`` in the lazy-export form (see ``constructs_ml/_lazy.py``).

A layer that gains a name adds one ``from constructs_ml.<layer>.<module> import Name`` line (eager or
under ``if TYPE_CHECKING:``); this tool rewrites the file so the name is in the ``TYPE_CHECKING``
imports, in ``_EXPORTS`` and in ``__all__``, which ``tests/test_public_api.py`` checks agree.

    python -m scripts.lazy_init constructs_ml/serve/__init__.py [more sources to union ...]

With more than one source (e.g. both sides of a merge, ``git show A:path``), the written file exports
the union of their names; the first source's docstring and other statements are kept.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

_SKIP_MODULES = {"__future__", "typing", "constructs_ml._lazy"}
_GENERATED = {"_EXPORTS", "__all__", "__getattr__", "__dir__"}


def _imports(tree: ast.Module) -> tuple[dict[str, str], list[str]]:
    """name -> ``module`` (or ``module:original`` for an alias) of every re-export in ``tree``, and the
    other statements under ``if TYPE_CHECKING:`` (aliases such as ``IEndpoint = EndpointBase``)."""
    found: dict[str, str] = {}
    extra: list[str] = []
    nodes: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "_EXPORTS" and node.value is not None:
            found.update(ast.literal_eval(node.value))
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            extra += [ast.unparse(n) for n in node.body if not isinstance(n, ast.ImportFrom | ast.Import)]
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes.extend(node.body)
        else:
            nodes.append(node)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module not in _SKIP_MODULES:
            for alias in node.names:
                name = alias.asname or alias.name
                found[name] = node.module if alias.asname in (None, alias.name) else f"{node.module}:{alias.name}"
    return found, extra


def _kept(tree: ast.Module, source: str) -> tuple[str | None, list[str]]:
    """The docstring and the statements that are neither imports nor generated."""
    doc = ast.get_docstring(tree, clean=False)
    kept: list[str] = []
    for i, node in enumerate(tree.body):
        if i == 0 and doc is not None:
            continue
        if isinstance(node, ast.ImportFrom | ast.Import):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        targets = [t for t in getattr(node, "targets", [getattr(node, "target", None)]) if t is not None]
        names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if names & _GENERATED:
            continue
        kept.append(ast.get_source_segment(source, node) or ast.unparse(node))
    return doc, kept


def render(sources: list[str]) -> str:
    exports: dict[str, str] = {}
    aliases: list[str] = []
    doc: str | None = None
    kept: list[str] = []
    for i, source in enumerate(sources):
        tree = ast.parse(source)
        found, extra = _imports(tree)
        exports.update(found)
        aliases += [a for a in extra if a not in aliases]
        if i == 0:
            doc, kept = _kept(tree, source)
    alias_names = {a.split("=")[0].strip() for a in aliases}
    kept = [k for k in kept if k.split("=")[0].strip() not in alias_names]  # an eager alias moves under TYPE_CHECKING
    by_module: dict[str, list[str]] = {}
    for name, target in exports.items():
        if name in alias_names:
            continue
        module, _, original = target.partition(":")
        by_module.setdefault(module, []).append(f"{original} as {name}" if original else name)
    lines = [f'"""{doc}"""', ""] if doc is not None else []
    lines += [
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING",
        "",
        "from constructs_ml._lazy import lazy_exports",
        "",
        "if TYPE_CHECKING:",
    ]
    for module in sorted(by_module):
        lines.append(f"    from {module} import {', '.join(sorted(by_module[module]))}")
    lines += [f"    {a}" for a in aliases]
    lines.append("")
    lines += kept + ([""] if kept else [])
    lines.append("_EXPORTS: dict[str, str] = {")
    lines += [f'    "{name}": "{target}",' for name, target in sorted(exports.items())]
    lines += ["}", "", "__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)", ""]
    lines.append("__all__ = [" + ", ".join(f'"{n}"' for n in sorted(exports)) + "]")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    target = Path(argv[0])
    sources = [target.read_text()] + [Path(p).read_text() for p in argv[1:]]
    target.write_text(render(sources))
    for args in (["check", "--fix", "--select", "I,RUF022", "-q"], ["format", "-q"]):
        subprocess.run([sys.executable, "-m", "ruff", *args, str(target)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
