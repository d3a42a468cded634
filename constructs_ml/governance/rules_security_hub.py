"""SageMaker pack rules that close the gaps to AWS Security Hub's SageMaker controls and AWS Config.

The other rule modules already cover most Security Hub SageMaker controls (see
:mod:`constructs_ml.governance.security_hub` for the mapping). This module adds the rest:

- notebook instances in a customer VPC, with a KMS key and on a supported platform
  (SageMaker.2, SageMaker.21, SageMaker.8);
- tagging of app image configs and images (SageMaker.6, SageMaker.7) and image descriptions
  (AWS Config ``sagemaker-image-description``);
- inference experiment KMS keys (SageMaker.23, SageMaker.24);
- **opt-in** rules whose controls fail every normal setup: production variants with more than
  one instance (SageMaker.4), models that pull images from a private registry in the VPC
  (SageMaker.16, SageMaker.19; SageMaker's ``Vpc`` repository access mode is for private Docker
  registries, so a model whose image is in Amazon ECR can never meet them), and tags on domains and
  feature groups (AWS Config only; ``StudioDomain`` and ``FeatureGroup`` add no tags of their own).

Rules that take a parameter (tag keys, supported notebook platforms) are built by a factory; the
module-level ``RULES`` use the defaults Security Hub uses.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any

from constructs_ml.governance.rules_base import (
    NOT_APPLICABLE,
    PASS,
    Outcome,
    ResourceView,
    Rule,
    Status,
    equals,
    fail,
    get,
    is_intrinsic,
    list_items,
    presence,
    require_set,
    short,
    unknown,
)

NOTEBOOK = frozenset({"AWS::SageMaker::NotebookInstance"})
APP_IMAGE_CONFIG = frozenset({"AWS::SageMaker::AppImageConfig"})
IMAGE = frozenset({"AWS::SageMaker::Image"})
DOMAIN = frozenset({"AWS::SageMaker::Domain"})
FEATURE_GROUP = frozenset({"AWS::SageMaker::FeatureGroup"})
INFERENCE_EXPERIMENT = frozenset({"AWS::SageMaker::InferenceExperiment"})
ENDPOINT_CONFIG = frozenset({"AWS::SageMaker::EndpointConfig"})
MODEL = frozenset({"AWS::SageMaker::Model"})

#: Notebook platforms Security Hub SageMaker.8 accepts (its ``supportedPlatformIdentifierVersions``,
#: not customizable in Security Hub; AWS Security Hub user guide, "Security Hub CSPM controls for
#: SageMaker AI", SageMaker.8).
SUPPORTED_NOTEBOOK_PLATFORMS: tuple[str, ...] = ("notebook-al2023-v1",)


class OptInRule(enum.StrEnum):
    """Rules that are off by default because their Security Hub control fails every normal setup.

    Pass them to ``SageMakerChecks(opt_in_rules=[...])`` to turn them on.
    """

    #: Security Hub SageMaker.4: every instance-based production variant starts with 2+ instances.
    ENDPOINT_CONFIG_MULTI_INSTANCE = "EndpointConfigMultiInstance"
    #: Security Hub SageMaker.16: the model's primary container pulls from a private registry in the VPC.
    MODEL_PRIVATE_REGISTRY = "ModelPrivateRegistry"
    #: Security Hub SageMaker.19: every container of a multi-container model pulls from a private registry.
    MODEL_MULTI_CONTAINER_PRIVATE_REGISTRY = "ModelMultiContainerPrivateRegistry"
    #: AWS Config ``sagemaker-domain-tagged``: the domain carries tags (``StudioDomain`` adds none itself).
    DOMAIN_TAGGED = "DomainTagged"
    #: AWS Config ``sagemaker-feature-group-tagged``: the feature group carries tags.
    FEATURE_GROUP_TAGGED = "FeatureGroupTagged"


# --- notebook instances ----------------------------------------------------------------------------


def _notebook_vpc(view: ResourceView) -> Outcome:
    return require_set(view.props, ("SubnetId",), "the instance runs in the SageMaker service VPC")


def _notebook_kms(view: ResourceView) -> Outcome:
    return require_set(view.props, ("KmsKeyId",), "the ML storage volume uses an AWS managed key")


def notebook_platform_check(supported: Sequence[str]) -> Callable[[ResourceView], Outcome]:
    """A check that the notebook's ``PlatformIdentifier`` is one of ``supported``.

    An absent identifier fails: the API then picks an Amazon Linux 2 platform
    (``CreateNotebookInstance``), which is not in Security Hub's supported list.
    """
    allowed = tuple(supported)

    def check(view: ResourceView) -> Outcome:
        value = get(view.props, "PlatformIdentifier")
        if value is None:
            return fail(f"PlatformIdentifier is not set (the API default is an Amazon Linux 2 platform); use {allowed}")
        if is_intrinsic(value):
            return unknown(f"PlatformIdentifier is an unresolved value ({short(value)})")
        if value in allowed:
            return PASS
        return fail(f"PlatformIdentifier is {value!r}, supported: {', '.join(allowed)}")

    return check


# --- tags and descriptions -------------------------------------------------------------------------


def tags_check(required_keys: Sequence[str]) -> Callable[[ResourceView], Outcome]:
    """A check like AWS Config's ``*-tagged`` rules: at least one non-``aws:`` tag, and every required key.

    ``Tags`` may be a list of ``{Key, Value}`` or a map; an intrinsic list or key cannot be verified.
    """
    required = tuple(required_keys)

    def check(view: ResourceView) -> Outcome:
        tags = get(view.props, "Tags")
        keys: list[str] = []
        if is_intrinsic(tags):
            return unknown(f"Tags is an unresolved value ({short(tags)})")
        if isinstance(tags, dict):
            keys = [str(k) for k in tags]
        else:
            items = list_items(tags)
            if items is None:
                return unknown(f"Tags is an unresolved value ({short(tags)})")
            for tag in items:
                key = get(tag, "Key")
                if not isinstance(key, str) or is_intrinsic(key):
                    return unknown(f"a tag key is an unresolved value ({short(tag)})")
                keys.append(key)
        user_keys = [k for k in keys if not k.startswith("aws:")]
        if not user_keys:
            return fail("the resource has no tags")
        missing = [k for k in required if k not in user_keys]
        return fail(f"missing tag key(s): {', '.join(missing)}") if missing else PASS

    return check


def _image_description(view: ResourceView) -> Outcome:
    return require_set(view.props, ("ImageDescription",), "reviewers cannot tell what the image is for")


# --- inference experiments -------------------------------------------------------------------------


def _experiment_kms(view: ResourceView) -> Outcome:
    return require_set(view.props, ("KmsKey",), "the shadow variants' storage volumes use an AWS managed key")


def _experiment_capture_kms(view: ResourceView) -> Outcome:
    if get(view.props, "DataStorageConfig") is None:
        return NOT_APPLICABLE
    return require_set(view.props, ("DataStorageConfig", "KmsKey"), "captured requests are not encrypted")


# --- opt-in: redundancy and private registries -----------------------------------------------------


def _multi_instance(view: ResourceView) -> Outcome:
    variants = list_items(get(view.props, "ProductionVariants"))
    if variants is None:
        return unknown("ProductionVariants is an unresolved list")
    single: list[str] = []
    unresolved: list[str] = []
    relevant = False
    for index, variant in enumerate(variants):
        if presence(get(variant, "ServerlessConfig")):
            continue  # the control applies to instance-based variants only
        relevant = True
        name = str(get(variant, "VariantName") or f"variant{index}")
        count = get(variant, "InitialInstanceCount")
        if count is None:
            continue  # AWS Config fails only a count of 1
        if is_intrinsic(count):
            unresolved.append(name)
        elif isinstance(count, int | str) and str(count).isdigit() and int(count) <= 1:
            single.append(name)
    if single:
        return fail(f"variant(s) {', '.join(single)} start with a single instance")
    if unresolved:
        return unknown(f"variant(s) {', '.join(unresolved)} have an unresolved InitialInstanceCount")
    return PASS if relevant else NOT_APPLICABLE


def _registry_state(container: Any, where: str) -> Outcome:
    mode = get(container, "ImageConfig", "RepositoryAccessMode")
    if mode is None:
        return fail(f"{where}.ImageConfig is not set (images are pulled by the platform, not through the VPC)")
    state = equals(mode, "Vpc")
    if state is None:
        return unknown(f"{where}.ImageConfig.RepositoryAccessMode is an unresolved value ({short(mode)})")
    return PASS if state else fail(f"{where}.ImageConfig.RepositoryAccessMode is {mode!r}, expected 'Vpc'")


def _primary_private_registry(view: ResourceView) -> Outcome:
    primary = get(view.props, "PrimaryContainer")
    if primary is None:
        return NOT_APPLICABLE  # multi-container models are SageMaker.19
    return _registry_state(primary, "PrimaryContainer")


def _containers_private_registry(view: ResourceView) -> Outcome:
    containers = list_items(get(view.props, "Containers"))
    if containers is None:
        return unknown("Containers is an unresolved list")
    if not containers:
        return NOT_APPLICABLE
    outcomes = [_registry_state(c, f"Containers[{i}]") for i, c in enumerate(containers)]
    failed = [o.detail for o in outcomes if o.status is Status.NON_COMPLIANT]
    if failed:
        return fail("; ".join(failed))
    unresolved = [o.detail for o in outcomes if o.status is Status.CANNOT_VERIFY]
    return unknown("; ".join(unresolved)) if unresolved else PASS


# --- rule sets -------------------------------------------------------------------------------------

_TAG_FIX = (
    "Tag it (Tags.of(scope).add(...) or the resource's Tags); with SageMakerChecks(required_tag_keys=[...]) "
    "every listed key must be present. Tags whose key starts with aws: do not count."
)


def _tag_rule(rule_id: str, types: frozenset[str], what: str, required: Sequence[str]) -> Rule:
    keys = f" with the keys {', '.join(required)}" if required else ""
    return Rule(
        rule_id,
        types,
        f"The {what} is not tagged{keys}.",
        "Tags identify owner, purpose and data classification; untagged ML resources escape cost, "
        "inventory and attribute-based access reviews.",
        _TAG_FIX,
        (),  # no GOVERNANCE.md control: AWS Security Hub / AWS Config only
        tags_check(required),
    )


def default_rules(
    *,
    required_tag_keys: Sequence[str] = (),
    supported_notebook_platforms: Sequence[str] = SUPPORTED_NOTEBOOK_PLATFORMS,
) -> tuple[Rule, ...]:
    """The rules of this module that are on by default, with the given parameters."""
    platforms = tuple(supported_notebook_platforms)
    return (
        Rule(
            "NotebookVpc",
            NOTEBOOK,
            "The notebook instance is not launched in a customer VPC.",
            "Without SubnetId the instance runs in the SageMaker service VPC, outside the platform's "
            "security groups, endpoints and flow logs.",
            "Set SubnetId (a private subnet) and SecurityGroupIds.",
            ("SM-09",),
            _notebook_vpc,
        ),
        Rule(
            "NotebookKms",
            NOTEBOOK,
            "The notebook instance does not encrypt its ML storage volume with a customer managed KMS key.",
            "The volume holds notebooks, datasets and model artifacts; the platform key gives key-policy "
            "control and a CloudTrail record of every use.",
            "Set KmsKeyId to the platform key (it can only be set when the instance is created).",
            ("SM-09",),
            _notebook_kms,
        ),
        Rule(
            "NotebookPlatformSupported",
            NOTEBOOK,
            "The notebook instance does not run on a supported platform.",
            "An unsupported platform gets no SageMaker security updates or critical bug fixes.",
            f"Set PlatformIdentifier to one of {', '.join(platforms)} (SageMakerChecks("
            "supported_notebook_platforms=...) changes the list when AWS changes it).",
            ("SM-09",),
            notebook_platform_check(platforms),
        ),
        _tag_rule("AppImageConfigTagged", APP_IMAGE_CONFIG, "app image config", required_tag_keys),
        _tag_rule("ImageTagged", IMAGE, "SageMaker image", required_tag_keys),
        Rule(
            "ImageDescription",
            IMAGE,
            "The SageMaker image has no description.",
            "Custom Studio images run user code next to platform data; reviewers need to know what each one is.",
            "Set ImageDescription.",
            (),  # no GOVERNANCE.md control: AWS Config only
            _image_description,
        ),
        Rule(
            "InferenceExperimentKms",
            INFERENCE_EXPERIMENT,
            "The inference experiment does not encrypt its instance storage volumes with a KMS key.",
            "Shadow variants hold model artifacts and inference data on their ML storage volumes.",
            "Set KmsKey to the platform key.",
            ("SM-06",),
            _experiment_kms,
        ),
        Rule(
            "InferenceExperimentDataCaptureKms",
            INFERENCE_EXPERIMENT,
            "The inference experiment captures data without a KMS key.",
            "Captured requests and responses of a shadow test are production data in S3.",
            "Set DataStorageConfig.KmsKey to the platform key.",
            ("SM-07",),
            _experiment_capture_kms,
        ),
    )


def opt_in_rules(*, required_tag_keys: Sequence[str] = ()) -> dict[OptInRule, Rule]:
    """The opt-in rules, by their ``OptInRule`` value, with the given tag keys."""
    return {
        **_FIXED_OPT_IN,
        OptInRule.DOMAIN_TAGGED: _tag_rule(
            OptInRule.DOMAIN_TAGGED.value, DOMAIN, "SageMaker domain", required_tag_keys
        ),
        OptInRule.FEATURE_GROUP_TAGGED: _tag_rule(
            OptInRule.FEATURE_GROUP_TAGGED.value, FEATURE_GROUP, "feature group", required_tag_keys
        ),
    }


_FIXED_OPT_IN: dict[OptInRule, Rule] = {
    OptInRule.ENDPOINT_CONFIG_MULTI_INSTANCE: Rule(
        OptInRule.ENDPOINT_CONFIG_MULTI_INSTANCE.value,
        ENDPOINT_CONFIG,
        "An instance-based production variant of the endpoint config starts with a single instance.",
        "With one instance a variant has no redundancy across Availability Zones: an instance or AZ "
        "failure takes the endpoint down until SageMaker replaces it.",
        "Set InitialInstanceCount to 2 or more on every instance-based variant.",
        ("SM-06",),
        _multi_instance,
    ),
    OptInRule.MODEL_PRIVATE_REGISTRY: Rule(
        OptInRule.MODEL_PRIVATE_REGISTRY.value,
        MODEL,
        "The model's primary container does not pull its image from a private registry in the VPC.",
        "With RepositoryAccessMode Vpc the image is pulled from a registry you control through the VPC.",
        "Host the image in a private Docker registry reachable in the VPC and set "
        "PrimaryContainer.ImageConfig.RepositoryAccessMode to Vpc (not possible for Amazon ECR images).",
        ("SM-05",),
        _primary_private_registry,
    ),
    OptInRule.MODEL_MULTI_CONTAINER_PRIVATE_REGISTRY: Rule(
        OptInRule.MODEL_MULTI_CONTAINER_PRIVATE_REGISTRY.value,
        MODEL,
        "A container of the multi-container model does not pull its image from a private registry in the VPC.",
        "Each container of an inference pipeline is a separate image pulled at deploy time.",
        "Set ImageConfig.RepositoryAccessMode to Vpc on every entry of Containers (private Docker registry).",
        ("SM-05",),
        _containers_private_registry,
    ),
}

#: The opt-in rules with no required tag keys.
OPT_IN_RULES: dict[OptInRule, Rule] = opt_in_rules()

#: The default rules of this module with Security Hub's default parameters.
RULES: tuple[Rule, ...] = default_rules()

__all__ = [
    "OPT_IN_RULES",
    "RULES",
    "SUPPORTED_NOTEBOOK_PLATFORMS",
    "OptInRule",
    "default_rules",
    "notebook_platform_check",
    "opt_in_rules",
    "tags_check",
]
