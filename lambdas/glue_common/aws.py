"""boto3 clients created once per container, with standard retries."""

from __future__ import annotations

import functools
from typing import Any, Protocol

import boto3
from botocore.config import Config as BotoConfig


class ClientFactory(Protocol):
    """``client(service)``: the container's client for ``service``; ``cache_clear()`` forgets them all."""

    def __call__(self, service: str) -> Any: ...

    def cache_clear(self) -> None: ...


def client_factory() -> ClientFactory:
    """A new client cache for one function's handler module (``client = client_factory()``)."""

    @functools.cache
    def client(service: str) -> Any:
        """A boto3 client per service, created once per container (standard retries)."""
        return boto3.client(service, config=BotoConfig(retries={"mode": "standard", "max_attempts": 5}))

    return client
