"""Lambda glue code that constructs_ml deploys, one package per function.

This folder ships inside the wheel as ``constructs_ml._lambdas`` (see ``setup.py``) and is located
at runtime with :func:`constructs_ml.operate.glue_function.lambda_code_root`. Each function is a
self-contained package: its Lambda asset is this folder with every other package excluded, so the
handler string is ``<package>.handler.handler`` and modules import each other relatively. Only the
standard library and the boto3 of the Lambda runtime are used (no bundling, no Docker).
"""
