"""Delivery: a CDK Pipelines pipeline that takes the platform through its accounts, and model promotion.

* :class:`PlatformPipeline`: the self-mutating pipeline in the tooling account (governance gate in synth,
  compliance report in the synth artifact, stages in order, manual approvals, KMS-encrypted artifacts,
  bootstrap roles only).
* :class:`PipelineSource`: a CodeConnections repository or an S3 object (air-gapped).
* :class:`ApprovalForwarding`: the registry account's rules that forward approvals to the deploying accounts.
"""

from constructs_ml.delivery.forwarding import ApprovalForwarding, ForwardingTarget
from constructs_ml.delivery.pipeline import PlatformPipeline, StageTarget
from constructs_ml.delivery.source import PipelineSource

__all__ = ["ApprovalForwarding", "ForwardingTarget", "PipelineSource", "PlatformPipeline", "StageTarget"]
