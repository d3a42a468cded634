"""The Lambda code the glue functions run: where the library ships it, and the asset of one function.

The code lives in the library's packaged ``lambdas/`` folder (``constructs_ml._lambdas`` once
installed): a function's asset is that folder with everything but the function's own package and the
shared ``glue_common`` package excluded, so a ``pip install``-only user deploys exactly the code
shipped in the wheel, with no bundling and no Docker. The environment a handler sees: Lambda's
reserved variables, and ``FUNCTION_TIMEOUT_SECONDS``, which every glue handler requires.
"""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

#: Environment variable names Lambda reserves (a function may not set them).
RESERVED_ENVIRONMENT = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
#: The variable that tells the handler its timeout (set from ``timeout``; the handlers require it).
FUNCTION_TIMEOUT_VARIABLE = "FUNCTION_TIMEOUT_SECONDS"
ENV_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
#: The package that holds the Lambda code once installed (mapped onto ``lambdas/`` by setup.py).
LAMBDAS_PACKAGE = "constructs_ml._lambdas"
#: The package of plumbing every function imports (logging, environment, clients, event envelopes).
SHARED_PACKAGE = "glue_common"


def lambda_code_root() -> Path:
    """The folder holding the packaged Lambda code (``constructs_ml._lambdas``).

    In a wheel install this is ``site-packages/constructs_ml/_lambdas``; in an editable install it
    is the checkout's ``lambdas/`` folder.

    Raises:
        FileNotFoundError: the package is missing or not on the file system (e.g. a zipped install).
    """
    try:
        root = importlib.resources.files(LAMBDAS_PACKAGE)
    except ModuleNotFoundError as error:
        raise FileNotFoundError(
            f"{LAMBDAS_PACKAGE} is not installed; reinstall constructs-ml (pip install -e . in a checkout)"
        ) from error
    path = Path(str(root))
    if not isinstance(root, Path) or not path.is_dir():
        raise FileNotFoundError(f"{LAMBDAS_PACKAGE} is not a folder on disk ({root!r}); install constructs-ml unzipped")
    return path


def available_functions() -> list[str]:
    """The function folders shipped with the library (each has a ``handler.py``)."""
    root = lambda_code_root()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "handler.py").is_file())


def function_code(folder: str) -> lambda_.AssetCode:
    """The asset of one packaged function: the code root holding only ``folder`` and ``glue_common``.

    Both are top-level packages of the asset (``/var/task``): the handler is
    ``<folder>.handler.handler``, the function's modules import each other relatively and the shared
    plumbing as ``glue_common``, exactly as in the tests. Caches and dot files are excluded, so the
    asset hash depends only on the shipped sources.
    """
    keep = [f"!{package}{suffix}" for package in (folder, SHARED_PACKAGE) for suffix in ("", "/**")]
    return lambda_.Code.from_asset(
        str(lambda_code_root()),
        exclude=["*", *keep, "**/__pycache__", "**/*.pyc", "**/.*"],
    )
