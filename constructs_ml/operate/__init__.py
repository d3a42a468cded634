"""Operate: glue functions, monitoring, alarms, retraining and deployment automation."""

from constructs_ml.operate.glue_function import GlueFunction, available_functions, function_code, lambda_code_root

__all__ = ["GlueFunction", "available_functions", "function_code", "lambda_code_root"]
