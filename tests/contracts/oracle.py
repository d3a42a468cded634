"""principalmapper as an independent oracle for the library's own IAM evaluator (tests only).

principalmapper (AGPL-3.0, unmaintained since 2022) cannot ship in this Apache-2.0 library; the test suite
uses it to cross-check :mod:`constructs_ml.contracts.iam` decision by decision. It still imports
``collections.Mapping``, removed in Python 3.10: the shim aliases it before the import, in this one place.
"""

from __future__ import annotations

import collections
import collections.abc
from collections.abc import Mapping, Sequence
from typing import Any

for _name in ("Mapping", "MutableMapping", "Sequence", "Iterable"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

from principalmapper.common import Node, Policy  # type: ignore[import-untyped]  # noqa: E402
from principalmapper.querying.query_interface import (  # type: ignore[import-untyped]  # noqa: E402
    local_check_authorization_full,
)


def decide(
    *,
    principal_arn: str,
    action: str,
    resource: str,
    context: Mapping[str, Any],
    identity_policies: Sequence[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None,
    resource_policy: Mapping[str, Any] | None,
    resource_owner: str | None,
    tags: Mapping[str, str] | None = None,
) -> bool:
    """principalmapper's decision for one request."""
    policies = [
        Policy(f"arn:aws:iam::000000000000:policy/p{i}", f"p{i}", dict(p)) for i, p in enumerate(identity_policies)
    ]
    node = Node(
        principal_arn,
        "AROAORACLE",
        policies,
        [],
        {"Version": "2012-10-17", "Statement": []},
        None,
        0,
        False,
        False,
        Policy("arn:aws:iam::000000000000:policy/boundary", "boundary", dict(boundary)) if boundary else None,
        False,
        dict(tags or {}),
    )
    ctx = {
        k: (v if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in context.items()
    }
    return bool(
        local_check_authorization_full(
            node, action, resource, ctx, dict(resource_policy) if resource_policy else None, resource_owner, None, None
        )
    )
