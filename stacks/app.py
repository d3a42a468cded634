"""Builds the whole reference platform into a CDK app."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Environment, Stack, Stage, Tags
from constructs import Construct

from constructs_ml.foundation import PersonaKind, apply_permissions_boundary
from constructs_ml.governance import apply_governance
from constructs_ml.serve import ApprovedPackageParameter
from stacks.build import BuildConfig, BuildStack
from stacks.config import PlatformConfig
from stacks.network import NetworkStack
from stacks.platform import PlatformStack, platform_boundary
from stacks.serving import ServingConfig, ServingStack


@dataclass
class ReferencePlatform:
    """The stacks of the reference platform."""

    network: NetworkStack
    platform: PlatformStack
    build: BuildStack
    serving: ServingStack

    @property
    def stacks(self) -> list[Stack]:
        return [self.network, self.platform, self.build, self.serving]


def foundation_stacks(
    scope: Construct, config: PlatformConfig, env: Environment | None
) -> tuple[NetworkStack, PlatformStack]:
    """The network stack (keys, VPC) and the platform stack (buckets, personas, Studio) of one account."""
    network = NetworkStack(scope, "Network", stack_name=config.stack_name("network"), config=config, env=env)
    platform = PlatformStack(
        scope,
        "Platform",
        stack_name=config.stack_name("platform"),
        config=config,
        keys=network.keys,
        network=network.network,
        env=env,
    )
    return network, platform


def build_platform(
    app: Stage, config: PlatformConfig, *, env: Environment | None = None, governed: bool = True
) -> ReferencePlatform:
    """Add the reference platform's stacks to ``app`` and (by default) the governance packs.

    Args:
        app: the CDK app, or a ``Stage`` of it (one account of a multi-account delivery, ``stacks/delivery.py``).
        config: the validated platform config.
        env: the deployment environment: the config's account/region, else environment-agnostic.
        governed: add the cdk-nag packs and our SageMaker pack (the reference app always does).
    """
    if env is None and (config.account or config.region):
        env = Environment(account=config.account, region=config.region)
    network, platform = foundation_stacks(app, config, env)
    serving_config = ServingConfig()
    deployed_package = (
        ApprovedPackageParameter(serving_config.approved_package_parameter)
        if serving_config.approved_package_parameter
        else None
    )
    boundary = config.permissions_boundary
    build = BuildStack(
        app,
        "Build",
        stack_name=config.stack_name("build"),
        config=BuildConfig(registry_reader_accounts=config.registry_reader_accounts),
        keys=network.keys,
        network=network.network,
        buckets=platform.buckets,
        guardrail=platform.personas.guardrail.policy,
        approver=platform.personas.role(PersonaKind.MODEL_APPROVER),
        deployed_package=deployed_package,
        env=env,
    )
    serving = ServingStack(
        app,
        "Serving",
        stack_name=config.stack_name("serving"),
        config=serving_config,
        keys=network.keys,
        network=network.network,
        buckets=platform.buckets,
        guardrail=platform.personas.guardrail.policy,
        model_package_group=build.registry,
        pipeline=build.pipeline,
        dynamodb_prefix_list_id=config.network.dynamodb_prefix_list_id,
        env=env,
    )
    # The serving stack reads the deployed-package parameter at deploy time: the build stack creates it.
    serving.add_stack_dependency(build)
    if boundary:
        for stack in (build, serving):
            apply_permissions_boundary(stack, platform_boundary(stack, config))
    Tags.of(app).add("constructs-ml:platform", config.name)
    for key, value in config.tags.items():
        Tags.of(app).add(key, value)
    if governed:
        apply_governance(app)
    return ReferencePlatform(network=network, platform=platform, build=build, serving=serving)
