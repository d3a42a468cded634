"""Moved to :mod:`constructs_ml.build.pipeline_target` (``serve`` uses it too); re-exported here unchanged."""

from constructs_ml.build.pipeline_target import SageMakerPipelineTarget, pipeline_target_role_statement

__all__ = ["SageMakerPipelineTarget", "pipeline_target_role_statement"]
