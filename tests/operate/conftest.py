"""Operate tests load the glue's configuration modules the way Lambda does: the shipped code root on sys.path.

The handlers import their shared package (``glue_common``) from the asset root, as ``/var/task`` holds it;
without this, a module that imports a handler's config fails when it runs on its own.
"""

from __future__ import annotations

import sys

from constructs_ml.operate.glue_function import lambda_code_root

_CODE_ROOT = str(lambda_code_root())
if _CODE_ROOT not in sys.path:
    sys.path.insert(0, _CODE_ROOT)
