"""Edge: approved models on AWS IoT Greengrass V2 devices (SageMaker Edge Manager is discontinued).

Its own layer: it uses ``foundation``, the shared ``S3Path`` of ``serve.common`` and ``operate``'s
``GlueFunction`` (the on-approval path); nothing in the library imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_ml._lazy import lazy_exports

if TYPE_CHECKING:
    from constructs_ml.edge.deployment import EdgeDeployment, EdgeInference
    from constructs_ml.edge.on_approval import EdgeDeployOnApproval
    from constructs_ml.edge.token_exchange import TokenExchangeRole

_EXPORTS: dict[str, str] = {
    "EdgeDeployOnApproval": "constructs_ml.edge.on_approval",
    "EdgeDeployment": "constructs_ml.edge.deployment",
    "EdgeInference": "constructs_ml.edge.deployment",
    "TokenExchangeRole": "constructs_ml.edge.token_exchange",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["EdgeDeployOnApproval", "EdgeDeployment", "EdgeInference", "TokenExchangeRole"]
