"""Lambda glue code that constructs_ml deploys, one package per function.

This folder ships inside the wheel as ``constructs_ml._lambdas`` (see ``setup.py``) and is located
at runtime with :func:`constructs_ml.operate.glue_function.lambda_code_root`. Each function is a
package; the plumbing they share (JSON decision log, environment parsing, boto3 clients, EventBridge
envelopes) is the ``glue_common`` package. A function's Lambda asset is this folder with everything
but its own package and ``glue_common`` excluded, so the handler string is
``<package>.handler.handler``, a function's modules import each other relatively and the shared code
as the top-level ``glue_common``. Only the standard library and the boto3 of the Lambda runtime are
used (no bundling, no Docker).
"""
