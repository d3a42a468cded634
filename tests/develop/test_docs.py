"""Every python example in docs/develop.md runs, on a foundation, and the result passes the governance gate
(the cdk-nag packs and the SageMaker pack, CDK's template validation) with only allowlisted acknowledgements."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aws_cdk import CfnResource, Stack

from constructs_ml.foundation import PersonaKind
from tests.fixtures import ENV, Foundation
from tests.support import GovernedSynth, assert_governance_clean, governed_synth, new_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "develop.md"
ALL_EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
#: Whole apps shown verbatim from docs/examples/ (``def build_app``) have tests of their own that synthesize
#: them with governance on (tests/develop/test_training_scale.py); the rest run here on a shared foundation.
EXAMPLES = [code for code in ALL_EXAMPLES if "def build_app(" not in code]


def test_the_doc_has_an_example_per_construct() -> None:
    text = "\n".join(ALL_EXAMPLES)
    for construct in (
        "TrainingPipeline(",
        "TuningStep(",
        "ExternalDefinition.",
        "ModelRegistry(",
        "FeatureGroup(",
        "ModelCard(",
        "ContainerImage.builtin(",
        "Debugger(",
        "Distribution.",
    ):
        assert construct in text, construct


@pytest.fixture(scope="module")
def synth() -> tuple[GovernedSynth, list[str]]:
    """Run every example in one governed app (one stack each), then synthesize once."""
    app = new_app()
    base = Stack(app, "DocsBase", env=ENV)
    f = Foundation(base)
    names = []
    for i, code in enumerate(EXAMPLES):
        stack = Stack(app, f"Docs{i}", env=ENV)
        namespace = {
            "stack": stack,
            "keys": f.keys,
            "network": f.network,
            "buckets": f.buckets,
            "personas": f.personas,
            "PersonaKind": PersonaKind,
        }
        exec(compile(code, f"{DOC.name} example {i}", "exec"), namespace)
        if any(isinstance(c, CfnResource) for c in stack.node.find_all()):
            names.append(stack.stack_name)
        else:  # an example that only builds values (ContainerImage): an empty template is not a stack
            app.node.try_remove_child(stack.node.id)
    return governed_synth(app), names


def test_every_example_runs_and_synthesizes(synth: tuple[GovernedSynth, list[str]]) -> None:
    assert len(synth[1]) == len(EXAMPLES) - 1  # the ContainerImage example creates no resource of its own


def test_every_example_passes_the_governance_gate(synth: tuple[GovernedSynth, list[str]]) -> None:
    result = synth[0]
    assert result.report.get("title") == "Validation Report", "the governance packs did not run"
    assert_governance_clean(result)
