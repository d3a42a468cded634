"""Edge: approved models on AWS IoT Greengrass V2 devices (SageMaker Edge Manager is discontinued).

Its own layer: it uses ``foundation``, the shared ``S3Path`` of ``serve.common`` and ``operate``'s
``GlueFunction`` (the on-approval path); nothing in the library imports it.
"""

from constructs_ml.edge.deployment import EdgeDeployment, EdgeInference
from constructs_ml.edge.on_approval import EdgeDeployOnApproval
from constructs_ml.edge.token_exchange import TokenExchangeRole

__all__ = ["EdgeDeployOnApproval", "EdgeDeployment", "EdgeInference", "TokenExchangeRole"]
