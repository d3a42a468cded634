"""Multi-account delivery of the reference platform: the pipeline stack and one stage per account.

``build_delivery(app, config)`` (used by ``app.py`` when the config has a ``delivery`` section) adds:

* ``Delivery`` (tooling account): a :class:`~constructs_ml.delivery.PlatformPipeline` that synthesizes this
  app with the governance gate and deploys the stages in order, a manual approval before each stage that
  asks for one (always the production stage);
* one ``Stage`` per configured stage, bound to its account and region. The registry stage (dev) is the
  whole single-account platform (network, platform, build, serving): it trains, registers, and shares its
  model package group read-only with the other stages' accounts (group policy, artifact prefix and key
  grants), and forwards approvals to their buses (:class:`~constructs_ml.delivery.ApprovalForwarding`).
  The other stages do not train: network, platform, a release stack (the deployed-package record) and
  serving, which deploys the central group's approved packages (production: see ``prod_promotion``).

Reproducible: nothing reads "the latest approved model" at synth; a stage serves what its deployed-package
record says (written by deploy-on-approval) or, for production behind the manual gate, the pinned version.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from aws_cdk import Environment, Stack, Stage, Tags
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_ml.delivery import ApprovalForwarding, ForwardingTarget, PipelineSource, PlatformPipeline
from constructs_ml.foundation import apply_permissions_boundary
from constructs_ml.governance import apply_governance
from constructs_ml.serve import ApprovedPackageParameter, ApprovedPackageRecord
from stacks.app import ReferencePlatform, build_platform, foundation_stacks
from stacks.build import BuildConfig
from stacks.config import PlatformConfig
from stacks.delivery_config import DeliveryConfig, ProdPromotion, StageConfig
from stacks.network import NetworkStack
from stacks.platform import PlatformStack, platform_boundary
from stacks.serving import RegistryArtifacts, ServingConfig, ServingStack

#: The model life cycle stage that a package must reach (status Approved) to go to production with
#: ``prod_promotion: lifecycle-approval``.
PRODUCTION_LIFECYCLE_STAGE = "Production"


@dataclass
class TargetPlatform:
    """The stacks of a stage that deploys the central registry's models (no training)."""

    network: NetworkStack
    platform: PlatformStack
    release: Stack
    serving: ServingStack

    @property
    def stacks(self) -> list[Stack]:
        return [self.network, self.platform, self.release, self.serving]


@dataclass
class PlatformDelivery:
    """What :func:`build_delivery` added: the pipeline stack, the stages and their platforms."""

    pipeline_stack: Stack
    pipeline: PlatformPipeline
    stages: dict[str, Stage] = field(default_factory=dict)
    registry: ReferencePlatform | None = None
    targets: dict[str, TargetPlatform] = field(default_factory=dict)
    forwarding: ApprovalForwarding | None = None


def central_group_arn(delivery: DeliveryConfig, group_name: str) -> str:
    """The ARN of the central registry's model package group (SageMaker writes group ARNs in lower case)."""
    reg = delivery.registry
    return f"arn:aws:sagemaker:{reg.region}:{reg.account}:model-package-group/{group_name.lower()}"


def registry_artifacts_bucket_name(config: PlatformConfig, delivery: DeliveryConfig) -> str:
    """The central registry's artifacts bucket name: the other stages name it in their policies, so the
    registry stage gives the bucket this physical name (unique per account and region, at most 63)."""
    reg = delivery.registry
    suffix = f"-artifacts-{reg.account}-{reg.region}"
    return f"{config.name[: 63 - len(suffix)].rstrip('-')}{suffix}"


def _stage_config(
    config: PlatformConfig, stage: StageConfig, readers: tuple[str, ...], artifacts_bucket_name: str | None = None
) -> PlatformConfig:
    return replace(
        config,
        name=f"{config.name}-{stage.name}" if len(f"{config.name}-{stage.name}") <= 32 else config.name,
        account=stage.account,
        region=stage.region,
        registry_reader_accounts=readers,
        delivery=None,
        artifacts_bucket_name=artifacts_bucket_name,
    )


def _target_platform(
    stage: Stage, config: PlatformConfig, delivery: DeliveryConfig, target: StageConfig, registry_bucket: str
) -> TargetPlatform:
    env = Environment(account=target.account, region=target.region)
    network, platform = foundation_stacks(stage, config, env)
    group = BuildConfig().name
    lifecycle = target.production and delivery.prod_promotion is ProdPromotion.LIFECYCLE_APPROVAL
    pinned = delivery.prod_model_package_arn if target.production and not lifecycle else None
    serving_config = ServingConfig(pinned_model_package_arn=pinned)
    deploys_on_approval = not target.production or lifecycle
    release = Stack(
        stage,
        "Release",
        stack_name=config.stack_name("release"),
        description="constructs-ml reference platform: the deployed-package record of this account",
        env=env,
    )
    if serving_config.approved_package_parameter:
        ApprovedPackageRecord(
            release, "DeployedPackage", parameter=ApprovedPackageParameter(serving_config.approved_package_parameter)
        )
    serving = ServingStack(
        stage,
        "Serving",
        stack_name=config.stack_name("serving"),
        config=serving_config,
        keys=network.keys,
        network=network.network,
        buckets=platform.buckets,
        guardrail=platform.personas.guardrail.policy,
        model_package_group=central_group_arn(delivery, group) if deploys_on_approval else None,
        pipeline=None,  # retraining runs in the registry account
        dynamodb_prefix_list_id=config.network.dynamodb_prefix_list_id,
        approval_events_from_accounts=[delivery.registry.account] if deploys_on_approval else [],
        registry_artifacts=RegistryArtifacts(registry_bucket, delivery.registry.account, delivery.registry.region),
        env=env,
    )
    serving.add_stack_dependency(release)
    if config.permissions_boundary:
        for stack in (release, serving):
            apply_permissions_boundary(stack, platform_boundary(stack, config))
    return TargetPlatform(network=network, platform=platform, release=release, serving=serving)


def _source(scope: Construct, delivery: DeliveryConfig) -> PipelineSource:
    src = delivery.source
    if src.bucket_name is not None:
        bucket = s3.Bucket.from_bucket_name(scope, "SourceBucket", src.bucket_name)
        return PipelineSource.s3(bucket, str(src.object_key))
    return PipelineSource.connection(str(src.repository), connection_arn=str(src.connection_arn), branch=src.branch)


def build_delivery(app: Stage, config: PlatformConfig, *, governed: bool = True) -> PlatformDelivery:
    """Add the delivery pipeline and every stage's platform to ``app`` (and, by default, the governance packs).

    Args:
        app: the CDK app.
        config: a validated config with a ``delivery`` section.
        governed: add the cdk-nag packs and our SageMaker pack to the app (they check every stage's stacks).

    Raises:
        ValueError: the config has no ``delivery`` section.
    """
    delivery = config.delivery
    if delivery is None:
        raise ValueError("build_delivery needs a config with a delivery section")
    tooling_env = Environment(account=delivery.tooling_account, region=delivery.region)
    pipeline_stack = Stack(
        app,
        "Delivery",
        stack_name=f"{config.name}-delivery",
        description="constructs-ml: the delivery pipeline (CDK Pipelines) of the multi-account platform",
        env=tooling_env,
    )
    pipeline = PlatformPipeline(
        pipeline_stack,
        "Pipeline",
        source=_source(pipeline_stack, delivery),
        config_file=delivery.config_file,
        pipeline_name=f"{config.name}-delivery",
        qualifier=delivery.qualifier,
    )
    result = PlatformDelivery(pipeline_stack=pipeline_stack, pipeline=pipeline)
    registry = delivery.registry
    others = [s for s in delivery.stages if s.name != registry.name]
    readers = tuple(s.account for s in others)
    registry_bucket = registry_artifacts_bucket_name(config, delivery)
    for stage_config in delivery.stages:
        env = Environment(account=stage_config.account, region=stage_config.region)
        stage = Stage(app, _stage_id(stage_config.name), env=env, stage_name=_stage_id(stage_config.name))
        # Recorded, not looked up: the pipeline's synth has no credentials for the stage accounts.
        stage.node.set_context(
            f"availability-zones:account={stage_config.account}:region={stage_config.region}",
            list(stage_config.availability_zones),
        )
        result.stages[stage_config.name] = stage
        if stage_config.name == registry.name:
            platform_config = _stage_config(config, stage_config, readers, registry_bucket)
            platform = build_platform(stage, platform_config, env=env, governed=False)
            result.registry = platform
            targets = [
                ForwardingTarget(
                    s.account,
                    s.region,
                    PRODUCTION_LIFECYCLE_STAGE if s.production else None,
                )
                for s in others
                if not s.production or delivery.prod_promotion is ProdPromotion.LIFECYCLE_APPROVAL
            ]
            if targets:
                result.forwarding = ApprovalForwarding(
                    platform.serving,
                    "ForwardApprovals",
                    model_package_group=platform.build.registry,
                    targets=targets,
                    key=platform.network.keys.messaging,
                    alarm_topic=platform.serving.alarm_topic.topic,
                )
        else:
            platform_config = _stage_config(config, stage_config, ())
            result.targets[stage_config.name] = _target_platform(
                stage, platform_config, delivery, stage_config, registry_bucket
            )
            Tags.of(stage).add("constructs-ml:platform", platform_config.name)
            for key, value in config.tags.items():
                Tags.of(stage).add(key, value)
        Tags.of(stage).add("constructs-ml:stage", stage_config.name)
        pipeline.add_platform_stage(stage, manual_approval=stage_config.manual_approval)
    pipeline.build()
    Tags.of(pipeline_stack).add("constructs-ml:platform", config.name)
    for key, value in config.tags.items():
        Tags.of(pipeline_stack).add(key, value)
    if governed:
        apply_governance(app)
    return result


def _stage_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
