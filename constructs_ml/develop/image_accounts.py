"""Where AWS publishes its SageMaker images: the registry account of each image family, per region.

One place for the region data of every AWS-owned image constructs_ml resolves by itself: built-in
algorithms (:class:`~constructs_ml.develop.ContainerImage`), the Model Monitor analyzer and the Clarify
image (:func:`~constructs_ml.operate.monitoring_image_uri`), and the Debugger rule images of training steps
(:class:`~constructs_ml.develop.pipeline.DebuggerRule`). The tables are generated from the SageMaker
Python SDK's ``image_uri_config`` data by ``scripts/image_accounts.py`` (the source, with the commit and
version, is :data:`SOURCE`; the same data ships in the ``sagemaker-core`` 2.27.0 wheel).

How a lookup resolves (:func:`image_account`):

* the stack's region is concrete and the family is published there: the account, as a literal;
* concrete and not published there: a :class:`~constructs_ml.errors.ValidationError` at synth naming the
  construct, the region, the regions where the family exists and the way out (pass the image URI);
* environment-agnostic: ``Fn::FindInMap`` on ``AWS::Region`` in one ``CfnMapping`` per stack holding
  only the families the stack looks up (a region where a family is missing has no entry for it, so the
  deploy fails there at ``FindInMap``; pin the stack's region to get the synth-time error instead).

Image families (the keys of :data:`IMAGE_ACCOUNTS`):

* ``AlgorithmsA``: linear-learner, kmeans, pca;
* ``AlgorithmsB``: blazingtext, seq2seq, object-detection, image-classification;
* ``XGBoost``: sagemaker-xgboost (0.90-1 and later) and sagemaker-scikit-learn;
* ``ModelMonitor``: sagemaker-model-monitor-analyzer;
* ``Clarify``: sagemaker-clarify-processing;
* ``Debugger``: sagemaker-debugger-rules, the evaluator of Debugger's built-in rules (the SDK's
  ``debugger.json``; the table AWS publishes as "Docker images for Debugger rules").
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, CfnMapping
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_of
from constructs_ml.develop import image_accounts_data as _data
from constructs_ml.errors import Problems

#: The SDK data the tables were generated from (repository, commit, version).
SOURCE: str = _data.SOURCE

#: Family -> region -> AWS account of the family's registry (generated; see the module docstring).
IMAGE_ACCOUNTS: Mapping[str, Mapping[str, str]] = _data.ACCOUNTS

#: The families of the built-in algorithms (``BuiltinAlgorithm.family``).
ALGORITHM_FAMILIES: tuple[str, ...] = ("AlgorithmsA", "AlgorithmsB", "XGBoost")

#: Built-in algorithm registries: region -> {family: account}, every region where all three families exist.
REGISTRY_ACCOUNTS: dict[str, dict[str, str]] = {
    region: {f: IMAGE_ACCOUNTS[f][region] for f in ALGORITHM_FAMILIES}
    for region in sorted(set.intersection(*(set(IMAGE_ACCOUNTS[f]) for f in ALGORITHM_FAMILIES)))
}

#: The Model Monitor analyzer (``sagemaker-model-monitor-analyzer``): region -> account.
MODEL_MONITOR_ACCOUNTS: dict[str, str] = dict(IMAGE_ACCOUNTS["ModelMonitor"])

#: The Clarify image (``sagemaker-clarify-processing``): region -> account.
CLARIFY_ACCOUNTS: dict[str, str] = dict(IMAGE_ACCOUNTS["Clarify"])

#: Debugger's built-in rule evaluator (``sagemaker-debugger-rules``): region -> account.
DEBUGGER_ACCOUNTS: dict[str, str] = dict(IMAGE_ACCOUNTS["Debugger"])

#: The id of the per-stack mapping of environment-agnostic stacks.
MAPPING_ID = "ConstructsMlImageAccounts"


def supported_regions(family: str) -> tuple[str, ...]:
    """The regions where AWS publishes ``family`` (sorted); empty for an unknown family."""
    return tuple(sorted(IMAGE_ACCOUNTS.get(family, {})))


def check_region(problems: Problems, region: str, family: str, prop: str, image: str, remedy: str) -> bool:
    """Record a problem if ``family`` is unknown, or not published in a concrete ``region``.

    Args:
        problems: where the problem goes (its scope is the construct the message names).
        region: the stack's region (a token is never a problem).
        family: the image family.
        prop: the prop the image came from.
        image: the image, for the message (e.g. ``sagemaker-xgboost:1.7-1``).
        remedy: how to do without it (e.g. "or give the image by URI (ContainerImage.from_uri)").
    """
    if family not in IMAGE_ACCOUNTS:
        problems.add(prop, family, "one of " + ", ".join(IMAGE_ACCOUNTS), what="has an unknown image family")
        return False
    if is_unresolved(region) or region in IMAGE_ACCOUNTS[family]:
        return True
    problems.add(
        prop,
        f"{image} in {region}",
        "",
        what=(
            f"must be in a region where AWS publishes it; {region} has no {family} image registry "
            f"(SageMaker Python SDK data, {SOURCE}). Regions: {', '.join(supported_regions(family))}; {remedy}"
        ),
    )
    return False


def image_account(scope: Construct, family: str, *, prop: str, image: str, remedy: str) -> str:
    """The registry account of ``family`` in the region of ``scope``'s stack.

    A literal for a concrete region; ``Fn::FindInMap`` on ``AWS::Region`` (in the stack's
    :data:`MAPPING_ID` mapping, which gets the family's column on first use) for an
    environment-agnostic stack.

    Raises:
        ValidationError: the family is unknown, or not published in the stack's concrete region
            (naming ``scope``'s path, ``prop``, the region, the supported regions and ``remedy``).
    """
    stack = stack_of(scope)
    env = env_of(stack)
    problems = Problems(scope)
    check_region(problems, env.region, family, prop, image, remedy)
    problems.raise_if_any()
    if not is_unresolved(env.region):
        return IMAGE_ACCOUNTS[family][env.region]
    # one FindInMap token per stack and family: the lookup is the same wherever it is used
    lookups: dict[str, str] = stack.__dict__.setdefault("_constructs_ml_image_accounts", {})
    if family not in lookups:
        # The stack's mapping holds a column per family used. It is written in one call: a new family
        # replaces it with the merged table (one value at a time would be a call to Node per region).
        table: dict[str, dict[str, str]] = stack.__dict__.setdefault("_constructs_ml_image_account_table", {})
        found = None if lookups else stack.node.try_find_child(MAPPING_ID)
        if isinstance(found, CfnMapping):  # a mapping this function did not write: add the column to it
            mapping = found
            for region, account in IMAGE_ACCOUNTS[family].items():
                mapping.set_value(region, family, account)
        else:
            for region, account in IMAGE_ACCOUNTS[family].items():
                table.setdefault(region, {})[family] = account
            if lookups:
                stack.node.try_remove_child(MAPPING_ID)
            mapping = CfnMapping(stack, MAPPING_ID, mapping=table)
        # the replaced mappings' lookups render the same (the logical id comes from the same path)
        lookups[family] = mapping.find_in_map(Aws.REGION, family)
    return lookups[family]


__all__ = [
    "ALGORITHM_FAMILIES",
    "CLARIFY_ACCOUNTS",
    "DEBUGGER_ACCOUNTS",
    "IMAGE_ACCOUNTS",
    "MAPPING_ID",
    "MODEL_MONITOR_ACCOUNTS",
    "REGISTRY_ACCOUNTS",
    "SOURCE",
    "check_region",
    "image_account",
    "supported_regions",
]
