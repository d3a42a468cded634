"""Lazy package exports (PEP 562): a name is imported from its module on first access.

``import constructs_ml`` (or a layer) then costs no aws-cdk-lib import: ``from constructs_ml import
Endpoint`` imports the serve modules it needs and nothing else. Each package keeps its ``__all__``
and imports the same names under ``if TYPE_CHECKING:`` so type checkers and IDEs see them.

Example (a package ``__init__``)::

    if TYPE_CHECKING:
        from constructs_ml.serve.endpoint import Endpoint

    __getattr__, __dir__ = lazy_exports(__name__, {"Endpoint": "constructs_ml.serve.endpoint"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` for ``package``.

    Args:
        package: the package's ``__name__``.
        exports: public name -> the module that defines it (``"pkg.module"``), or
            ``"pkg.module:other_name"`` for an alias.

    Returns:
        ``(__getattr__, __dir__)`` to assign in the package; a resolved name is cached in the
        package, so the next access is a plain attribute read.
    """

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(module_name), attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
