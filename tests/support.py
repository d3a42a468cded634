"""Shared test helpers: governed synth, the validation report, acknowledgements, cfn-lint.

Synthesize once per test module (module-scoped fixtures) and assert many times.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from aws_cdk import App, Stack
from aws_cdk.cx_api import CloudAssembly

from constructs_ml.governance import apply_governance
from constructs_ml.governance.acknowledgements import find_entry

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ANNOTATIONS_PLUGIN = "Construct Annotations"

ACCOUNT = "111111111111"
REGION = "eu-west-1"

#: Context for test apps: no bundling, CDK's CloudFormation validation as errors, and synth that
#: does not throw on findings so tests can read the report and say exactly what failed.
GOVERNED_CONTEXT: dict[str, Any] = {
    "aws:cdk:bundling-stacks": [],
    "@aws-cdk/core:validateAgainstDefaultRules": True,
    "@aws-cdk/core:failSynthOnValidationErrors": False,
}


def new_app(*, governed: bool = True, validate_cfn: bool = True, outdir: str | None = None, **context: Any) -> App:
    """A test app (in a new temporary outdir unless ``outdir`` is given); ``governed`` adds the baseline packs.

    ``validate_cfn=False`` turns CDK's built-in template validation off (it is most of the cost of a
    synth); use it only in modules that assert on template shape and have a governed synth elsewhere.
    """
    ctx = dict(GOVERNED_CONTEXT)
    ctx.update(context)
    outdir = outdir or tempfile.mkdtemp(prefix="cdkout-")
    app = (
        App(context=ctx, outdir=outdir)
        if validate_cfn
        else App(context=ctx, outdir=outdir, builtin_cloud_formation_validation=False)
    )
    if governed:
        apply_governance(app)
    return app


@dataclass
class GovernedSynth:
    """The result of one governed synth: the assembly, the validation report, acknowledgements."""

    assembly: CloudAssembly
    outdir: Path
    report: dict[str, Any] = field(default_factory=dict)

    def findings(self, plugin: str | None = None) -> list[tuple[str, str, str]]:
        """Unacknowledged findings as (plugin, rule, construct path), optionally for one plugin.

        Construct annotations (our constructs' ``add_warning_v2`` warnings) are not findings of a
        pack: read them with :meth:`warnings`.
        """
        out: list[tuple[str, str, str]] = []
        for rep in self.report.get("pluginReports", []):
            name = rep.get("pluginName", "")
            if name == ANNOTATIONS_PLUGIN or (plugin is not None and name != plugin):
                continue
            for v in rep.get("violations", []):
                for c in v.get("violatingConstructs", []):
                    out.append((name, v.get("ruleName", ""), c.get("constructPath", "")))
        return out

    def warnings(self) -> list[tuple[str, str]]:
        """Construct warnings as (warning id, construct path)."""
        out: list[tuple[str, str]] = []
        for rep in self.report.get("pluginReports", []):
            if rep.get("pluginName") != ANNOTATIONS_PLUGIN:
                continue
            for v in rep.get("violations", []):
                for c in v.get("violatingConstructs", []):
                    out.append((v.get("ruleName", "").removeprefix("Annotation::"), c.get("constructPath", "")))
        return out

    def failed_plugins(self) -> list[str]:
        return [r["pluginName"] for r in self.report.get("pluginReports", []) if r.get("conclusion") == "failure"]

    def acknowledgements(self) -> list[tuple[str, str, str]]:
        """Every acknowledgement in the assembly as (construct path, rule id, reason)."""
        out: list[tuple[str, str, str]] = []
        for meta_file in sorted(self.outdir.glob("*.metadata.json")):
            meta = json.loads(meta_file.read_text())
            for path, entries in meta.items():
                for entry in entries:
                    if entry.get("type") != "aws:cdk:acknowledged-rules":
                        continue
                    for rule, reason in entry.get("data", {}).items():
                        out.append((path, rule.removeprefix("Annotation::"), reason))
        return out

    def unlisted_acknowledgements(self) -> list[tuple[str, str, str]]:
        """Acknowledgements whose (rule, reason) is not in the reviewed allowlist."""
        return [a for a in self.acknowledgements() if find_entry(a[1], a[2]) is None]

    def template(self, stack: Stack | str) -> dict[str, Any]:
        name = stack if isinstance(stack, str) else stack.artifact_id
        template: dict[str, Any] = json.loads((self.outdir / f"{name}.template.json").read_text())
        return template

    def templates(self) -> dict[str, dict[str, Any]]:
        return {
            p.name.removesuffix(".template.json"): json.loads(p.read_text())
            for p in self.outdir.glob("*.template.json")
        }


def governed_synth(app: App) -> GovernedSynth:
    """Synthesize ``app`` (built with :func:`new_app`) and read its validation report."""
    return read_governed_synth(Path(app.synth().directory))


def read_governed_synth(outdir: Path) -> GovernedSynth:
    """A governed synth already written to ``outdir`` (e.g. the run's shared ``reference_assembly``)."""
    assembly = CloudAssembly(str(outdir))
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return GovernedSynth(assembly=assembly, outdir=outdir, report=report)


def assert_governance_clean(result: GovernedSynth) -> None:
    """No unacknowledged finding in any pack, and every acknowledgement is in the allowlist."""
    findings = result.findings()
    assert not findings, "unacknowledged findings:\n" + "\n".join(" ".join(f) for f in findings)
    unlisted = result.unlisted_acknowledgements()
    assert not unlisted, "acknowledgements not in the allowlist:\n" + "\n".join(map(str, unlisted))


def cfn_lint_errors(template: dict[str, Any], region: str = REGION) -> list[str]:
    """cfn-lint errors (not warnings or informational) on a template, as readable strings.

    The same checks as ``cfnlint.api.lint``, cheaper: cfn-lint's rule collection is loaded once per
    process and region (``lint`` reloads all rules on every call, ~0.4 s), the template is decoded
    with cfn-lint's JSON decoder (``lint`` parses a string with its YAML decoder first), and a
    template already linted in this process is not linted again.
    """
    text = json.dumps(template)
    return list(_cfn_lint_cached(text, region))


@functools.lru_cache(maxsize=256)
def _cfn_lint_cached(text: str, region: str) -> tuple[str, ...]:
    from cfnlint.decode import cfn_json
    from cfnlint.runner import run_template_by_data

    config, rules = _cfn_lint_runner(region)
    matches = run_template_by_data(cfn_json.loads(text), config, rules)
    return tuple(
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path or []))})" for m in matches if m.rule.id.startswith("E")
    )


@functools.cache
def _cfn_lint_runner(region: str) -> tuple[Any, Any]:
    """cfn-lint's configuration and loaded rules for one region (what ``cfnlint.api.lint`` builds per call)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    config = ConfigMixIn(regions=[region])
    return config, Runner(config).rules


def load_example(path: Path) -> ModuleType:
    """Import a documented example file (``docs/examples/*.py``) as a module."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doc_shows_example_verbatim(example: Path, doc: Path) -> bool:
    """True if ``doc`` has the example's code (from its first ``from aws_cdk import``) as a python block."""
    code = example.read_text()
    body = code[code.index("from aws_cdk import") :]
    return f"```python\n{body}```" in doc.read_text()


def resources_of(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    """The resources of one type in a template, by logical id."""
    return {k: v for k, v in template.get("Resources", {}).items() if v.get("Type") == type_name}
