"""Packaging step that pyproject.toml cannot express: ship ``lambdas/`` as ``constructs_ml._lambdas``.

The Lambda glue lives in the top-level ``lambdas/`` folder (one package per function), but a user who
only ``pip install``s the library must get it too. ``package_dir`` maps the package
``constructs_ml._lambdas`` onto that folder, so the wheel carries ``constructs_ml/_lambdas/...`` and
an editable install (``pip install -e .``) resolves the same package name to the checkout's folder.
The packages are listed here because ``[tool.setuptools.packages.find]`` cannot discover a package
whose directory is mapped elsewhere. Everything else stays in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

LAMBDAS_DIR = "lambdas"
LAMBDAS_PACKAGE = "constructs_ml._lambdas"

library = find_namespace_packages(include=["constructs_ml", "constructs_ml.*"], exclude=["*.__pycache__"])
glue = [LAMBDAS_PACKAGE, *(f"{LAMBDAS_PACKAGE}.{name}" for name in find_packages(LAMBDAS_DIR))]

setup(packages=[*library, *glue], package_dir={LAMBDAS_PACKAGE: LAMBDAS_DIR})
