"""Edge: approved models on AWS IoT Greengrass V2 devices (SageMaker Edge Manager is discontinued).

Its own layer: it uses ``foundation`` and the shared ``S3Path`` of ``serve.common``; nothing in the library
imports it.
"""

from constructs_ml.edge.deployment import EdgeDeployment, EdgeInference
from constructs_ml.edge.token_exchange import TokenExchangeRole

__all__ = ["EdgeDeployment", "EdgeInference", "TokenExchangeRole"]
