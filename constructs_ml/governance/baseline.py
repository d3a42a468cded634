"""Governance baseline: the cdk-nag packs every constructs_ml app runs.

Example::

    app = App()
    ...  # build stacks
    apply_governance(app)
    app.synth()  # fails on any unacknowledged finding
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import IPolicyValidationPlugin, Stage, Validations
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)

from constructs_ml.governance.resource_limit import AppResourceLimit

#: Plugin names of the cdk-nag packs, as they appear in ``validation-report.json``.
NAG_PACK_NAMES: tuple[str, ...] = (
    "AwsSolutions",
    "HIPAA.Security",
    "NIST.800.53.R5",
    "PCI.DSS.321",
    "Serverless",
)

_APPLIED = "_constructs_ml_governance_applied"  # what apply_governance already added to a stage

#: Context that makes CDK's built-in CloudFormation validation report errors as errors.
VALIDATION_CONTEXT: dict[str, object] = {"@aws-cdk/core:validateAgainstDefaultRules": True}


def nag_packs(stage: Stage, *, verbose: bool = True) -> list[IPolicyValidationPlugin]:
    """The five cdk-nag packs of the baseline, registered on ``stage``."""
    return [
        AwsSolutionsChecks(stage, verbose=verbose),
        HIPAASecurityChecks(stage, verbose=verbose),
        NIST80053R5Checks(stage, verbose=verbose),
        PCIDSS321Checks(stage, verbose=verbose),
        ServerlessChecks(stage, verbose=verbose),
    ]


def apply_governance(
    stage: Stage,
    *,
    extra_plugins: Sequence[IPolicyValidationPlugin] = (),
    include_sagemaker_pack: bool = True,
) -> None:
    """Add the baseline packs (and our SageMaker pack) to ``stage`` (an ``App`` or ``Stage``).

    The packs run once per synth of the stage, over every template of it (not per stack or per
    construct); calling this again on the same stage adds only the new ``extra_plugins``. Also
    checks at synth that no stack of the stage holds more than CloudFormation's 500 resources,
    naming the stack, its count and the fix.

    Also turns on CDK's own CloudFormation template validation as errors
    (:data:`VALIDATION_CONTEXT`, ``@aws-cdk/core:validateAgainstDefaultRules``) when ``stage`` has no
    children yet: CDK accepts context only before constructs are added, so call it right after
    ``App()``. Called later, it leaves the context as the app has it (``cdk.json``, or
    ``App(context=VALIDATION_CONTEXT)``): CloudFormation schema errors are then only warnings, which
    still fail synth as findings.

    Args:
        stage: the app or stage whose stacks are checked at synth.
        extra_plugins: further validation plugins to run alongside.
        include_sagemaker_pack: also run our :class:`constructs_ml.governance.SageMakerChecks` pack.
    """
    for key, value in VALIDATION_CONTEXT.items():
        if stage.node.try_get_context(key) is None and not stage.node.children:
            stage.node.set_context(key, value)
    plugins: list[IPolicyValidationPlugin] = []
    applied: set[str] = getattr(stage, _APPLIED, set())
    if "baseline" not in applied:
        plugins.extend(nag_packs(stage))
        stage.node.add_validation(AppResourceLimit(stage))
        applied.add("baseline")
    if include_sagemaker_pack and "sagemaker" not in applied:
        plugins.extend(_sagemaker_pack(stage))
        applied.add("sagemaker")
    plugins.extend(extra_plugins)
    setattr(stage, _APPLIED, applied)
    if plugins:
        Validations.of(stage).add_plugins(*plugins)


def _sagemaker_pack(stage: Stage) -> list[IPolicyValidationPlugin]:
    from constructs_ml.governance.sagemaker_checks import SageMakerChecks

    return [SageMakerChecks(stage)]
