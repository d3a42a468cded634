"""Moved to :mod:`constructs_ml.develop.pipeline_target` (``serve`` uses it too); re-exported here unchanged."""

from constructs_ml.develop.pipeline_target import SageMakerPipelineTarget, pipeline_target_role_statement

__all__ = ["SageMakerPipelineTarget", "pipeline_target_role_statement"]
