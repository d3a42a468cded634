"""The deployed-package record: an SSM String parameter holding the ARN of the package the endpoint serves.

Ownership: the record's *value* belongs to deploy-on-approval. CloudFormation creates the parameter
once, with a placeholder, in a stack deployed before the serving stack (``ApprovedPackageRecord``),
and its template never changes afterwards. Should anything else still write it (a CloudFormation
update of that stack after a tag change, an operator), the function hears the "Parameter Store
Change" event and writes back the package the endpoint actually serves (see
:func:`deploy_on_approval.endpoint.reconcile`).
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import ClientError

from .config import Config


class SsmClient(Protocol):
    """The SSM calls this module makes (a boto3 ``ssm`` client)."""

    def get_parameter(self, **kwargs: Any) -> dict[str, Any]: ...
    def put_parameter(self, **kwargs: Any) -> dict[str, Any]: ...


def error_code(error: ClientError) -> str:
    """The AWS error code of a ``ClientError``."""
    return str(error.response.get("Error", {}).get("Code", ""))


def recorded_package(ssm: SsmClient, config: Config) -> str | None:
    """The package ARN recorded as deployed, or None before the first deployment.

    Before any approval the parameter holds a placeholder (``none``, see
    ``constructs_ml.serve.ApprovedPackageParameter``): any value that is not a model package ARN means
    "nothing deployed from the registry yet".
    """
    try:
        response = ssm.get_parameter(Name=config.deployed_parameter)
    except ClientError as error:
        if error_code(error) == "ParameterNotFound":
            return None
        raise
    value = response.get("Parameter", {}).get("Value")
    if not value or ":model-package/" not in str(value):
        return None
    return str(value)


def record_package(ssm: SsmClient, config: Config, package_arn: str) -> None:
    """Record ``package_arn`` as the deployed package (the serving stack reads it on its next deploy)."""
    ssm.put_parameter(
        Name=config.deployed_parameter,
        Value=package_arn,
        Type="String",
        Overwrite=True,
        Description=f"Model package deployed to endpoint {config.endpoint_name} (written by deploy-on-approval)"[:1024],
    )
