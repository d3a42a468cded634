"""Default physical names of the build layer's SageMaker resources."""

from __future__ import annotations

from aws_cdk import Names
from constructs import Construct


def resource_name(scope: Construct, given: str | None, *, max_length: int) -> str:
    """The name to give a resource: ``given`` when set (an empty string counts as unset), otherwise a
    name unique in the app made from ``scope``'s path: lower case, hyphen-separated, at most
    ``max_length`` characters, no leading or trailing hyphen.
    """
    return given or Names.unique_resource_name(
        scope, max_length=max_length, separator="-", allowed_special_characters="-"
    ).lower().strip("-")


__all__ = ["resource_name"]
