"""apply_governance turns on CDK's template validation as errors when it can (issue 13)."""

from __future__ import annotations

from aws_cdk import App, Stack

from constructs_ml.governance import VALIDATION_CONTEXT, apply_governance

KEY = "@aws-cdk/core:validateAgainstDefaultRules"


def test_called_first_it_turns_on_cdks_template_validation() -> None:
    app = App()
    apply_governance(app)
    assert app.node.try_get_context(KEY) is True
    assert VALIDATION_CONTEXT == {KEY: True}


def test_an_explicit_context_is_left_as_given() -> None:
    app = App(context={KEY: False})
    apply_governance(app)
    assert app.node.try_get_context(KEY) is False


def test_called_after_constructs_it_leaves_the_context_alone() -> None:
    """CDK refuses context once children exist; the README says to use cdk.json or App(context=...) then."""
    app = App()
    Stack(app, "Early")
    apply_governance(app)
    assert app.node.try_get_context(KEY) is None
