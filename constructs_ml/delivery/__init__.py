"""Delivery: a CDK Pipelines pipeline that takes the platform through its accounts, and model promotion.

* :class:`PlatformPipeline`: the self-mutating pipeline in the tooling account (governance gate in synth,
  compliance report in the synth artifact, stages in order, manual approvals, KMS-encrypted artifacts,
  bootstrap roles only).
* :class:`PipelineSource`: a CodeConnections repository or an S3 object (air-gapped).
* :class:`ApprovalForwarding`: the registry account's rules that forward approvals to the deploying accounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_ml.delivery.forwarding import ApprovalForwarding, ForwardingTarget
    from constructs_ml.delivery.pipeline import PlatformPipeline, StageTarget
    from constructs_ml.delivery.source import PipelineSource

_EXPORTS: dict[str, str] = {
    "ApprovalForwarding": "constructs_ml.delivery.forwarding",
    "ForwardingTarget": "constructs_ml.delivery.forwarding",
    "PipelineSource": "constructs_ml.delivery.source",
    "PlatformPipeline": "constructs_ml.delivery.pipeline",
    "StageTarget": "constructs_ml.delivery.pipeline",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["ApprovalForwarding", "ForwardingTarget", "PipelineSource", "PlatformPipeline", "StageTarget"]
