"""``SageMakerChecks``: a cdk-nag 3 rule pack for SageMaker (Studio, hosting, pipelines, monitors, ...).

Example::

    from aws_cdk import App, Validations
    from constructs_ml.governance import SageMakerChecks

    app = App()
    ...  # any stacks, with our constructs or raw L1s
    Validations.of(app).add_plugins(SageMakerChecks(app))

Findings appear in ``cdk.out/validation-report.json`` under the plugin name ``SageMaker`` with ids
like ``SageMaker-DomainVpcOnly``; per-step pipeline findings carry the step name
(``SageMaker-PipelineStepVpc[Train]``). A rule that cannot read a value at synth time (a parameter,
an import from outside the app, a condition, a definition in S3) reports the warning
``SageMaker-<Rule>[CannotVerify]`` instead of passing or crashing. Acknowledge any of these ids with
``Validations.of(construct).acknowledge(Acknowledgment(id=..., reason=...))``.

The pack covers every AWS Security Hub SageMaker control (SageMaker.1-25) and the further AWS
Config SageMaker rules; each finding names the controls it decides, and
:mod:`constructs_ml.governance.security_hub` maps control -> rule -> result. Three rules whose
control fails every normal setup are opt-in: ``SageMakerChecks(opt_in_rules=[OptInRule...])``.

During a synth the pack reads each resource from the synthesized template (so property overrides
and tags added by aspects are seen). ``validate_scope(scope)`` without a synth reads the L1
properties from the construct tree instead; it does not see ``add_property_override`` values or
tags that aspects add at synth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import jsii
from aws_cdk import (
    CfnResource,
    IPolicyValidationContext,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Reference,
    Tokenization,
)
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

from constructs_ml._jsii_cache import stack_of
from constructs_ml.errors import ValidationError
from constructs_ml.governance import rules_hosting, rules_pipeline, rules_security_hub, rules_studio
from constructs_ml.governance.assembly_index import AssemblyIndex, acknowledged_ids
from constructs_ml.governance.rules_base import (
    CANNOT_VERIFY,
    PACK_NAME,
    Outcome,
    ResourceView,
    Rule,
    Status,
    evaluate,
    get,
)
from constructs_ml.governance.rules_security_hub import (
    OPT_IN_RULES,
    SUPPORTED_NOTEBOOK_PLATFORMS,
    OptInRule,
)
from constructs_ml.governance.rules_security_hub import (
    opt_in_rules as _opt_in_rules,
)
from constructs_ml.governance.security_hub import controls_of_rule
from constructs_ml.governance.template_view import TemplateSet


def _default_rules(required_tag_keys: Sequence[str], supported_notebook_platforms: Sequence[str]) -> tuple[Rule, ...]:
    return (
        rules_studio.RULES
        + rules_hosting.RULES
        + rules_pipeline.RULES
        + rules_security_hub.default_rules(
            required_tag_keys=required_tag_keys, supported_notebook_platforms=supported_notebook_platforms
        )
    )


def rules_by_type(rules: Sequence[Rule]) -> dict[str, tuple[Rule, ...]]:
    """``rules`` grouped by the CloudFormation types they apply to."""
    out: dict[str, tuple[Rule, ...]] = {}
    for rule in rules:
        for type_ in rule.resource_types:
            out[type_] = (*out.get(type_, ()), rule)
    return out


#: Every default rule of the pack (opt-in rules excluded), in documentation order.
ALL_RULES: tuple[Rule, ...] = _default_rules((), SUPPORTED_NOTEBOOK_PLATFORMS)

#: Default rules by the CloudFormation type they apply to.
RULES_BY_TYPE: dict[str, tuple[Rule, ...]] = rules_by_type(ALL_RULES)

#: Full ids (``SageMaker-...``) of the default rules.
RULE_IDS: tuple[str, ...] = tuple(r.full_id for r in ALL_RULES)

#: Full ids of the opt-in rules (``SageMakerChecks(opt_in_rules=...)``).
OPT_IN_RULE_IDS: tuple[str, ...] = tuple(r.full_id for r in OPT_IN_RULES.values())


def finding_info(rule: Rule) -> str:
    """A rule's finding text, naming the AWS Security Hub controls / AWS Config rules it decides."""
    controls = controls_of_rule(rule.full_id)
    if not controls:
        return rule.info
    named = ", ".join(f"Security Hub {c}" if c.startswith("SageMaker.") else f"AWS Config {c}" for c in controls)
    return f"{rule.info} ({named})"


def cannot_verify_info(rule: Rule) -> str:
    """The one-line finding of a rule's ``[CannotVerify]`` warning."""
    return (
        f"Cannot verify {rule.full_id} at synth: a value it reads is unknown until deploy "
        "(parameter, import, condition or S3 definition). Check the deployed value, then fix it or "
        f"acknowledge {rule.full_id}[{CANNOT_VERIFY}] with the reason."
    )


@jsii.implements(IApplyRule)
class _AppliedRule:
    """One finding handed to ``NagPack.applyRule``; the outcome was computed in Python already."""

    def __init__(
        self,
        node: CfnResource,
        suffix: str,
        info: str,
        explanation: str,
        level: NagMessageLevel,
        result: NagRuleCompliance | list[str],
    ) -> None:
        self._node = node
        self._suffix: str | None = suffix
        self._info = info
        self._explanation = explanation
        self._level = level
        self._result = result

    @property
    def node(self) -> CfnResource:
        return self._node

    @node.setter
    def node(self, value: CfnResource) -> None:
        self._node = value

    @property
    def rule_suffix_override(self) -> str | None:
        return self._suffix

    @rule_suffix_override.setter
    def rule_suffix_override(self, value: str | None) -> None:
        self._suffix = value

    @property
    def info(self) -> str:
        return self._info

    @info.setter
    def info(self, value: str) -> None:
        self._info = value

    @property
    def explanation(self) -> str:
        return self._explanation

    @explanation.setter
    def explanation(self, value: str) -> None:
        self._explanation = value

    @property
    def level(self) -> NagMessageLevel:
        return self._level

    @level.setter
    def level(self, value: NagMessageLevel) -> None:
        self._level = value

    def rule(self, node: CfnResource) -> NagRuleCompliance | list[str]:
        return self._result


class SageMakerChecks(NagPack):
    """cdk-nag 3 pack with the SageMaker rules of GOVERNANCE.md (plugin name ``SageMaker``).

    Rules work on any CDK app: our constructs, L1 ``Cfn*`` classes and plain ``CfnResource``.
    See ``docs/governance.md`` for every rule, what it checks and how to fix a finding.

    Args:
        scope: the app or stage the pack is registered on (needed for
            ``write_suppressions_to_cloud_formation``).
        verbose: add each rule's explanation and fix to the finding text.
        write_suppressions_to_cloud_formation: also write acknowledgements into template metadata.
        admin_role_names: role-name patterns (``fnmatch``, e.g. ``"*-platform-admin"``) that mark the
            platform admin role, in addition to the tag ``constructs-ml:persona=platform-admin``;
            none by default.
        required_tag_keys: tag keys every app image config and image must carry (Security Hub
            SageMaker.6/7), and domains and feature groups when their opt-in tagging rules are on;
            with none (the default, as in Security Hub) any tag whose key does not start with
            ``aws:`` passes.
        supported_notebook_platforms: notebook ``PlatformIdentifier`` values that count as
            supported (Security Hub SageMaker.8); by default Security Hub's list,
            ``("notebook-al2023-v1",)``.
        opt_in_rules: rules that are off by default because their Security Hub control fails every
            normal setup: ``OptInRule.ENDPOINT_CONFIG_MULTI_INSTANCE`` (SageMaker.4),
            ``OptInRule.MODEL_PRIVATE_REGISTRY`` (SageMaker.16),
            ``OptInRule.MODEL_MULTI_CONTAINER_PRIVATE_REGISTRY`` (SageMaker.19), and the AWS Config
            tagging rules ``OptInRule.DOMAIN_TAGGED`` and ``OptInRule.FEATURE_GROUP_TAGGED`` (the
            library's domain and feature group constructs add no tags themselves); none by default.
    """

    def __init__(
        self,
        scope: IConstruct | None = None,
        *,
        verbose: bool | None = None,
        write_suppressions_to_cloud_formation: bool | None = None,
        admin_role_names: Sequence[str] = (),
        required_tag_keys: Sequence[str] = (),
        supported_notebook_platforms: Sequence[str] = SUPPORTED_NOTEBOOK_PLATFORMS,
        opt_in_rules: Sequence[OptInRule] = (),
    ) -> None:
        super().__init__(
            scope, verbose=verbose, write_suppressions_to_cloud_formation=write_suppressions_to_cloud_formation
        )
        problems: list[str] = []
        for prop, value in (
            ("required_tag_keys", required_tag_keys),
            ("supported_notebook_platforms", supported_notebook_platforms),
        ):
            if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
                problems.append(f"SageMakerChecks: {prop} must be a sequence of non-empty strings (got {value!r})")
        if not supported_notebook_platforms:
            problems.append("SageMakerChecks: supported_notebook_platforms must name at least one platform (got ())")
        unknown_opt_in = [o for o in opt_in_rules if o not in OPT_IN_RULES]
        if unknown_opt_in:
            problems.append(
                f"SageMakerChecks: opt_in_rules has unknown entries (got {unknown_opt_in!r}); "
                f"allowed: {', '.join(o.value for o in OptInRule)}"
            )
        if problems:
            raise ValidationError(problems)
        self._pack_name = PACK_NAME
        self._verbose = bool(verbose)
        self._admin_role_names = tuple(admin_role_names)
        self._templates: TemplateSet | None = None
        self.rules: tuple[Rule, ...] = _default_rules(
            tuple(required_tag_keys), tuple(supported_notebook_platforms)
        ) + tuple(
            rule for o, rule in _opt_in_rules(required_tag_keys=tuple(required_tag_keys)).items() if o in opt_in_rules
        )
        """The rules this pack runs: the defaults with its parameters, then the enabled opt-in rules."""
        self._rules_by_type = rules_by_type(self.rules)

    @property
    def name(self) -> str:
        """The plugin name in the validation report."""
        return PACK_NAME

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        """Run the pack during synth, reading each resource from its synthesized template.

        The whole pass runs on the assembly's files (templates, construct paths and
        acknowledgements from the stacks' metadata) in Python: no jsii round trip per resource.
        Only acknowledgements on constructs above the stacks (the app, stages) are read from the
        tree. If some resource's construct path is not recorded, the pack walks the tree instead.
        """
        templates = TemplateSet.from_paths(context.template_paths)
        index = AssemblyIndex.load(context.template_paths)
        report = None if index is None else self._validate_assembly(context, templates, index)
        if report is not None:
            return report
        self._templates = templates
        try:
            return super().validate(context)
        finally:
            self._templates = None

    def _validate_assembly(
        self, context: IPolicyValidationContext, templates: TemplateSet, index: AssemblyIndex
    ) -> PolicyValidationPluginReport | None:
        findings: list[tuple[str, str, str, str]] = []  # (rule id, severity, description, path)
        for name in templates.templates:
            for logical_id, resource in templates.resources(name).items():
                rules = self._rules_by_type.get(str(resource.get("Type", "")))
                if not rules:
                    continue
                path = index.path_of(name, logical_id)
                if path is None:
                    return None
                view = templates.view(name, logical_id, path=path, admin_role_names=self._admin_role_names)
                assert view is not None
                for rule in rules:
                    findings.extend(self._findings(path, rule, evaluate(rule, view)))
        open_findings = [f for f in findings if not index.is_acknowledged(f[3], f[0])]
        if open_findings:  # acknowledgements on the app or a stage are not in any stack's metadata
            self._add_ancestor_acks(context, index)
            open_findings = [f for f in open_findings if not index.is_acknowledged(f[3], f[0])]
        grouped: dict[str, PolicyViolation] = {}
        for rule_id, severity, description, path in open_findings:
            resource = PolicyViolatingResource(construct_path=path, locations=["Properties"])
            existing = grouped.get(rule_id)
            if existing is None:
                grouped[rule_id] = PolicyViolation(
                    rule_name=rule_id, description=description, severity=severity, violating_resources=[resource]
                )
            else:
                grouped[rule_id] = PolicyViolation(
                    rule_name=rule_id,
                    description=existing.description,
                    severity=existing.severity,
                    violating_resources=[*existing.violating_resources, resource],
                )
        return PolicyValidationPluginReport(success=not grouped, violations=list(grouped.values()))

    def _findings(self, path: str, rule: Rule, outcome: Outcome) -> list[tuple[str, str, str, str]]:
        """What ``NagPack.applyRule`` would report for one outcome (before acknowledgements)."""
        explanation = f"{rule.explanation} Fix: {rule.fix}"
        rule_id = f"{PACK_NAME}-{rule.id}"
        out: list[tuple[str, str, str, str]] = []
        if outcome.status is Status.NON_COMPLIANT:
            info = finding_info(rule)
            text = f"{info} {explanation}" if self._verbose else info
            if rule.per_item and outcome.findings:
                out.extend((f"{rule_id}[{f}]", "error", text, path) for f in outcome.findings)
            else:
                out.append((rule_id, "error", text, path))
        if outcome.status is Status.CANNOT_VERIFY or outcome.unverified:
            info = cannot_verify_info(rule)
            text = f"{info} {explanation}" if self._verbose else info
            out.append((f"{rule_id}[{CANNOT_VERIFY}]", "warning", text, path))
        return out

    @staticmethod
    def _add_ancestor_acks(context: IPolicyValidationContext, index: AssemblyIndex) -> None:
        root = context.app_construct
        for path in sorted(index.ancestors_above_stacks(), key=len):
            node: IConstruct | None = root
            for part in path.split("/") if path else []:
                node = node.node.try_find_child(part) if node is not None else None
            if node is not None:
                index.add_ancestor_acks(
                    path, acknowledged_ids({"type": m.type, "data": m.data} for m in node.node.metadata)
                )

    def _check_resource(self, node: CfnResource) -> None:
        rules = self._rules_by_type.get(node.cfn_resource_type)
        if not rules:
            return
        view = self.view_of(node)
        for rule in rules:
            self._report(node, rule, evaluate(rule, view))

    def view_of(self, node: CfnResource) -> ResourceView:
        """The rule input for one resource: from the synthesized template if available, else the tree."""
        path = node.node.path
        try:
            stack = stack_of(node)
            if self._templates is not None:
                name = stack.template_file.removesuffix(".template.json")
                view = self._templates.view(
                    name, str(stack.resolve(node.logical_id)), path=path, admin_role_names=self._admin_role_names
                )
                if view is not None:
                    return view
            # render after resolving, as CfnResource does at synth (validators accept intrinsics)
            props: Any = node._render_properties(stack.resolve(node._cfn_properties) or {})
        except Exception as err:  # unresolvable properties: every rule reports CannotVerify
            props = f"<unreadable properties: {err}>"
        return ResourceView(
            type=node.cfn_resource_type,
            path=path,
            props=props if props is not None else {},
            resolver=_TreeResolver(self, node),
            admin_role_names=self._admin_role_names,
        )

    def _report(self, node: CfnResource, rule: Rule, outcome: Outcome) -> None:
        info = finding_info(rule)
        explanation = f"{rule.explanation} Fix: {rule.fix}"
        if outcome.status is Status.NON_COMPLIANT:
            result: NagRuleCompliance | list[str] = (
                list(outcome.findings) if rule.per_item and outcome.findings else NagRuleCompliance.NON_COMPLIANT
            )
            self._apply_rule(_AppliedRule(node, rule.id, info, explanation, NagMessageLevel.ERROR, result))
        if outcome.status is Status.CANNOT_VERIFY or outcome.unverified:
            self._apply_rule(
                _AppliedRule(
                    node, rule.id, cannot_verify_info(rule), explanation, NagMessageLevel.WARN, [CANNOT_VERIFY]
                )
            )


class _TreeResolver:
    """Follows tokens to the construct they reference (``validate_scope`` without templates)."""

    def __init__(self, pack: SageMakerChecks, node: CfnResource) -> None:
        self._pack = pack
        self._node = node

    def referenced(self, view: ResourceView, path: Sequence[str | int], value: Any) -> ResourceView | None:
        try:
            raw = _raw_get(self._node._cfn_properties, path)
            target = _reference_target(raw)
            if target is None:
                target = _by_logical_id(self._node, value)
            return None if target is None else self._pack.view_of(target)
        except Exception:  # an unusual token: the rule reports CannotVerify
            return None


def _raw_get(props: Any, path: Sequence[str | int]) -> Any:
    """Look up a CloudFormation path in unresolved L1 props (camelCase keys) or raw props (PascalCase)."""
    cur = props
    for key in path:
        if isinstance(key, str) and isinstance(cur, Mapping):
            cur = cur.get(key, cur.get(key[:1].lower() + key[1:]))
        else:
            cur = get(cur, key)
        if cur is None:
            return None
    return cur


def _reference_target(raw: Any) -> CfnResource | None:
    if not isinstance(raw, str):
        return None
    ref = Tokenization.reverse(raw)
    target = ref.target if isinstance(ref, Reference) else None
    return cast(CfnResource, target) if target is not None and CfnResource.is_cfn_resource(target) else None


def _by_logical_id(node: CfnResource, value: Any) -> CfnResource | None:
    if not isinstance(value, Mapping):
        return None
    att = value.get("Fn::GetAtt")
    lid = value.get("Ref") or (att[0] if isinstance(att, list) and att else None)
    if not isinstance(lid, str):
        return None
    stack = stack_of(node)
    for child in stack.node.find_all():
        if not CfnResource.is_cfn_resource(child):
            continue
        res = cast(CfnResource, child)
        if stack_of(res).node.path == stack.node.path and stack.resolve(res.logical_id) == lid:
            return res
    return None


__all__ = [
    "ALL_RULES",
    "OPT_IN_RULE_IDS",
    "RULES_BY_TYPE",
    "RULE_IDS",
    "OptInRule",
    "SageMakerChecks",
    "cannot_verify_info",
    "finding_info",
    "rules_by_type",
]
