"""Fixtures of the Studio tests: a compliant foundation (keys, network, buckets, personas) in a stack."""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws_cdk import App, Environment, Stack

from constructs_ml.foundation import MlNetwork, Personas, PlatformBuckets, PlatformKeys
from constructs_ml.studio import StudioPersona
from tests.support import ACCOUNT, REGION

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ENV = Environment(account=ACCOUNT, region=REGION)
#: eu-west-1's S3 managed prefix list id format (any 'pl-' id satisfies the network's check).
S3_PREFIX_LIST = "pl-6da54004"


@dataclass
class Foundation:
    stack: Stack
    keys: PlatformKeys
    network: MlNetwork
    buckets: PlatformBuckets
    personas: Personas

    @property
    def studio_personas(self) -> list[StudioPersona]:
        return StudioPersona.all_from(self.personas)


def foundation(app: App, stack_id: str = "Studio") -> Foundation:
    """A stack with the platform foundation the Studio constructs build on."""
    stack = Stack(app, stack_id, env=ENV)
    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id=S3_PREFIX_LIST)
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    personas = Personas(stack, "Personas", keys=keys, buckets=buckets, network=network)
    return Foundation(stack, keys, network, buckets, personas)
