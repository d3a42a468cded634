"""Plumbing shared by the glue functions: JSON decision log, environment parsing, boto3 clients, event envelopes.

Deployed next to each function: a function's Lambda asset holds its own folder and this one (see
:func:`constructs_ml.operate.glue_function.function_code`), so function modules import it as the
top-level package ``glue_common`` (``from glue_common.log import DecisionLog``), exactly as the
tests do with the code root on ``sys.path``. Only the standard library and boto3 are used.
"""
