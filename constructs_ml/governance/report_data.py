"""Read a cloud assembly into the facts the compliance report shows.

Reads ``manifest.json`` (stacks, nested stage assemblies), each stack's template and metadata
(acknowledgements with their reasons and construct paths), and ``validation-report.json`` (findings
of every validation plugin). It re-runs the SageMaker rules on the templates to count passed checks,
and evaluates every GOVERNANCE.md control (:mod:`constructs_ml.governance.controls`).

cdk-nag 3 records only findings, never passes, and ``validation-report.json`` omits packs without
findings. So for the cdk-nag packs "passed" counts the stack's resources with no finding and no
acknowledgement from that pack; for the SageMaker pack it counts rule checks (rule x resource) that
passed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_ml.governance.controls import (
    FAIL,
    NAG_PLUGINS,
    Ack,
    AssemblyFacts,
    Control,
    ControlResult,
    Evaluation,
    evaluate_controls,
)
from constructs_ml.governance.rules_base import CANNOT_VERIFY, PACK_NAME, Status, evaluate
from constructs_ml.governance.sagemaker_checks import RULES_BY_TYPE
from constructs_ml.governance.template_view import TemplateSet

#: The plugin name under which CDK reports construct annotations in ``validation-report.json``.
ANNOTATIONS_PLUGIN = "Construct Annotations"


@dataclass(frozen=True)
class Finding:
    """One unacknowledged finding from ``validation-report.json``."""

    plugin: str
    rule: str
    severity: str
    path: str
    description: str


@dataclass(frozen=True)
class PackCounts:
    """Per stack, per pack counts."""

    stack: str
    pack: str
    passed: int
    failed: int
    acknowledged: int


@dataclass
class ComplianceReport:
    """Everything the report shows."""

    source: str
    stacks: list[str] = field(default_factory=list)
    #: artifact id -> construct path of the stack (``Stage/Stack`` in a nested assembly)
    display: dict[str, str] = field(default_factory=dict)
    #: artifact id -> the CloudFormation stack name it deploys as
    stack_names: dict[str, str] = field(default_factory=dict)
    facts: AssemblyFacts = field(default_factory=lambda: AssemblyFacts(TemplateSet()))
    findings: list[Finding] = field(default_factory=list)
    #: construct warnings (``Annotations.add_warning_v2``): shown, but not findings of a pack
    warnings: list[Finding] = field(default_factory=list)
    counts: list[PackCounts] = field(default_factory=list)
    controls: list[tuple[Control, ControlResult]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """No unacknowledged finding and no failed control."""
        return not self.findings and all(r.status != FAIL for _, r in self.controls)


def _load(path: Path, problems: list[str]) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        problems.append(f"cannot read {path}: {err}")
        return None


def strip_path(path: str) -> str:
    return path.lstrip("/")


@dataclass(frozen=True)
class _StackArtifact:
    art_id: str
    display: str
    stack_name: str
    template_file: Path
    metadata: dict[str, Any]


def _stack_artifacts(outdir: Path, problems: list[str]) -> list[_StackArtifact]:
    """Every stack of the assembly, nested assemblies included."""
    manifest = _load(outdir / "manifest.json", problems)
    out: list[_StackArtifact] = []
    artifacts = manifest.get("artifacts", {}) if isinstance(manifest, dict) else {}
    for art_id, art in artifacts.items():
        props = art.get("properties", {}) if isinstance(art, dict) else {}
        if art.get("type") == "cdk:cloud-assembly" and props.get("directoryName"):
            out.extend(_stack_artifacts(outdir / props["directoryName"], problems))
        if art.get("type") != "aws:cloudformation:stack":
            continue
        metadata: dict[str, Any] = dict(art.get("metadata") or {})
        extra = art.get("additionalMetadataFile")
        if extra:
            loaded = _load(outdir / extra, problems)
            if isinstance(loaded, dict):
                metadata.update(loaded)
        out.append(
            _StackArtifact(
                art_id,
                strip_path(str(art.get("displayName", art_id))),
                str(props.get("stackName", art_id)),
                outdir / props.get("templateFile", ""),
                metadata,
            )
        )
    return out


def read_assembly(outdir: str | Path, *, packs: Sequence[str] = NAG_PLUGINS) -> ComplianceReport:
    """Read a cloud assembly directory into a :class:`ComplianceReport`.

    Args:
        outdir: the ``cdk.out`` directory.
        packs: plugin names that ran (the report omits packs without findings); the baseline
            cdk-nag packs and the SageMaker pack by default.
    """
    root = Path(outdir)
    report = ComplianceReport(source=str(root))
    facts = report.facts
    for art in _stack_artifacts(root, report.problems):
        art_id, metadata = art.art_id, art.metadata
        template = _load(art.template_file, report.problems)
        if not isinstance(template, dict):
            continue
        paths: dict[str, str] = {}
        for path, entries in metadata.items():
            for entry in entries if isinstance(entries, list) else []:
                if entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str):
                    paths[entry["data"]] = strip_path(path)
                if entry.get("type") == "aws:cdk:acknowledged-rules" and isinstance(entry.get("data"), dict):
                    for rule, reason in entry["data"].items():
                        rule_id = rule.split("::", 1)[1] if rule.lower().startswith("annotation::") else rule
                        facts.acks.append(Ack(art_id, strip_path(path), rule_id, str(reason)))
        facts.templates.add(art_id, template, paths)
        report.stacks.append(art_id)
        report.display[art_id] = art.display
        report.stack_names[art_id] = art.stack_name

    report_file = root / "validation-report.json"
    validation = _load(report_file, report.problems) if report_file.exists() else {}
    plugin_reports = validation.get("pluginReports", []) if isinstance(validation, dict) else []
    facts.plugin_reports = [r for r in plugin_reports if isinstance(r, dict)]
    for rep in facts.plugin_reports:
        # our constructs' add_warning_v2 warnings come as a plugin too: they are not findings of a pack
        into = report.warnings if rep.get("pluginName") == ANNOTATIONS_PLUGIN else report.findings
        for v in rep.get("violations", []):
            for c in v.get("violatingConstructs", []):
                into.append(
                    Finding(
                        str(rep.get("pluginName")),
                        str(v.get("ruleName")),
                        str(v.get("severity")),
                        strip_path(str(c.get("constructPath"))),
                        str(v.get("description", "")),
                    )
                )

    _evaluate_sagemaker(facts)
    report.controls = evaluate_controls(facts)
    reported = [str(r.get("pluginName")) for r in facts.plugin_reports if r.get("pluginName") != ANNOTATIONS_PLUGIN]
    ran = list(dict.fromkeys([*packs, *reported]))
    report.counts = [_counts(report, stack, report.display[stack], pack) for stack in report.stacks for pack in ran]
    return report


def _acked(facts: AssemblyFacts, path: str, rule_ids: Iterable[str]) -> bool:
    ids = list(rule_ids)
    return bool(ids) and all(
        any(a.rule == rid and (path == a.path or path.startswith(a.path + "/")) for a in facts.acks) for rid in ids
    )


def _evaluate_sagemaker(facts: AssemblyFacts) -> None:
    for stack in facts.templates.templates:
        for view in facts.templates.views(stack):
            for rule in RULES_BY_TYPE.get(view.type, ()):
                outcome = evaluate(rule, view)
                ids: list[str] = []
                if outcome.status is Status.NON_COMPLIANT:
                    ids = (
                        [f"{rule.full_id}[{f}]" for f in outcome.findings]
                        if rule.per_item and outcome.findings
                        else [rule.full_id]
                    )
                if outcome.status is Status.CANNOT_VERIFY or outcome.unverified:
                    ids.append(f"{rule.full_id}[{CANNOT_VERIFY}]")
                facts.evaluations.append(
                    Evaluation(stack, view.path, rule.full_id, rule.controls, outcome, _acked(facts, view.path, ids))
                )


def in_stack(path: str, stack_path: str) -> bool:
    return path == stack_path or path.startswith(stack_path + "/")


def _counts(report: ComplianceReport, stack: str, stack_path: str, pack: str) -> PackCounts:
    facts = report.facts
    failed = [f for f in report.findings if f.plugin == pack and in_stack(f.path, stack_path)]
    acks = [a for a in facts.acks if a.stack == stack and a.rule.startswith(pack + "-")]
    if pack == PACK_NAME:
        passed = sum(1 for e in facts.evaluations if e.stack == stack and e.outcome.status is Status.COMPLIANT)
    else:
        flagged = {f.path for f in failed}
        ack_paths = [a.path for a in acks]
        passed = sum(
            1
            for lid in facts.templates.resources(stack)
            if (p := facts.templates.path_of(stack, lid)) not in flagged
            and not any(p == ap or p.startswith(ap + "/") for ap in ack_paths)
        )
    return PackCounts(stack, pack, passed, len(failed), len(acks))
