"""AWS Security Hub SageMaker controls (and further AWS Config SageMaker rules) mapped to pack rules.

``SECURITY_HUB_CONTROLS`` is the machine-readable mapping: control id -> the ``SageMakerChecks`` rule(s)
that decide it from a template -> what they check. ``evaluate_controls`` runs those rules on
synthesized templates and returns one result per control, for a "Security Hub control -> rule ->
result" table (``evaluate_assembly`` does the same from a ``cdk.out`` directory).

Sources (read 2026-12-02): AWS Security Hub user guide, "Security Hub CSPM controls for SageMaker AI"
(https://docs.aws.amazon.com/securityhub/latest/userguide/sagemaker-controls.html), SageMaker.1 to
SageMaker.25; AWS Config developer guide, the ``sagemaker-*`` managed rules
(https://docs.aws.amazon.com/config/latest/developerguide/<rule-name>.html).

Where a pack rule is stricter than the control (e.g. ``MonitoringInterContainerEncryption`` asks for
inter-container encryption whatever the instance count, SageMaker.15 only from two instances), the
control result uses the control's own scope (``applies``), so a resource outside it is "N/A" for the
control even when the rule reports a finding on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs_ml.governance.rules_base import CANNOT_VERIFY, PACK_NAME, ResourceView, Rule, Status, evaluate, get
from constructs_ml.governance.rules_security_hub import OptInRule
from constructs_ml.governance.template_view import TemplateSet

_SM = "AWS::SageMaker::"
DATA_QUALITY = _SM + "DataQualityJobDefinition"
MODEL_QUALITY = _SM + "ModelQualityJobDefinition"
MODEL_BIAS = _SM + "ModelBiasJobDefinition"
MODEL_EXPLAINABILITY = _SM + "ModelExplainabilityJobDefinition"
SCHEDULE = _SM + "MonitoringSchedule"
NOTEBOOK = _SM + "NotebookInstance"
MODEL = _SM + "Model"
ENDPOINT_CONFIG = _SM + "EndpointConfig"
FEATURE_GROUP = _SM + "FeatureGroup"
INFERENCE_EXPERIMENT = _SM + "InferenceExperiment"

SECURITY_HUB_DOC = "https://docs.aws.amazon.com/securityhub/latest/userguide/sagemaker-controls.html"
CONFIG_DOC = "https://docs.aws.amazon.com/config/latest/developerguide/{}.html"

# result statuses (same words as the compliance report's GOVERNANCE.md controls)
PASS = "PASS"
FAIL = "FAIL"
ACKNOWLEDGED = "ACKNOWLEDGED"
CANNOT_VERIFY_STATUS = "CANNOT VERIFY"
NOT_APPLICABLE = "N/A"
NOT_ENABLED = "OPT-IN, NOT ENABLED"


def _rid(name: str) -> str:
    return f"{PACK_NAME}-{name}"


def _bias_multi_instance(view: ResourceView) -> bool:
    """SageMaker.15 applies to bias job definitions with an instance count of 2 or more."""
    count = get(view.props, "JobResources", "ClusterConfig", "InstanceCount")
    return not (isinstance(count, int | str) and str(count).isdigit() and int(count) < 2)


def _standard_online_store(view: ResourceView) -> bool:
    """SageMaker.18 applies to online stores with standard storage (the default)."""
    return bool(get(view.props, "OnlineStoreConfig", "StorageType") != "InMemory")


def _inline_schedule(view: ResourceView) -> bool:
    """SageMaker.14/22 read the schedule's own (inline) job definition."""
    return get(view.props, "MonitoringScheduleConfig", "MonitoringJobDefinition") is not None


@dataclass(frozen=True)
class ControlMapping:
    """One AWS control or AWS Config rule and the pack rule(s) that decide it.

    Attributes:
        control_id: ``SageMaker.<n>`` for Security Hub, the rule name for an AWS Config-only rule.
        source: ``Security Hub`` or ``AWS Config``.
        title: the control's title as AWS words it.
        config_rule: the AWS Config managed rule behind it.
        resource_types: CloudFormation types the control evaluates.
        rule_ids: full pack rule ids (``SageMaker-...``) that decide it.
        checks: what the rule(s) check for this control, in one sentence.
        opt_in: the ``OptInRule`` that must be enabled for the control to be checked, if any.
        applies: narrows the control to the resources AWS evaluates (default: every resource of
            ``resource_types``).
        note: where the pack differs from the deployed control, and why.
    """

    control_id: str
    source: str
    title: str
    config_rule: str
    resource_types: tuple[str, ...]
    rule_ids: tuple[str, ...]
    checks: str
    opt_in: OptInRule | None = None
    applies: Callable[[ResourceView], bool] | None = field(default=None, compare=False)
    note: str = ""

    @property
    def doc_url(self) -> str:
        """The AWS page that defines the control."""
        if self.source == "Security Hub":
            return f"{SECURITY_HUB_DOC}#{self.control_id.lower().replace('.', '-')}"
        return CONFIG_DOC.format(self.config_rule)


def _sh(
    n: int,
    title: str,
    config_rule: str,
    types: Sequence[str],
    rules: Sequence[str],
    checks: str,
    **kw: Any,
) -> ControlMapping:
    return ControlMapping(
        f"SageMaker.{n}", "Security Hub", title, config_rule, tuple(types), tuple(_rid(r) for r in rules), checks, **kw
    )


def _cfg(
    config_rule: str, title: str, types: Sequence[str], rules: Sequence[str], checks: str, **kw: Any
) -> ControlMapping:
    return ControlMapping(
        config_rule, "AWS Config", title, config_rule, tuple(types), tuple(_rid(r) for r in rules), checks, **kw
    )


_ICE = "NetworkConfig.EnableInterContainerTrafficEncryption is true"
_ISO = "NetworkConfig.EnableNetworkIsolation is true"
_STRICT_ICE = "The pack asks for it whatever the instance count (stricter than the control)."

#: Every Security Hub SageMaker control, SageMaker.1 to SageMaker.25, in order.
SECURITY_HUB_CONTROLS: tuple[ControlMapping, ...] = (
    _sh(
        1,
        "Amazon SageMaker notebook instances should not have direct internet access",
        "sagemaker-notebook-no-direct-internet-access",
        [NOTEBOOK],
        ["NotebookNoDirectInternet"],
        "DirectInternetAccess is Disabled (absent means Enabled)",
    ),
    _sh(
        2,
        "SageMaker notebook instances should be launched in a custom VPC",
        "sagemaker-notebook-instance-inside-vpc",
        [NOTEBOOK],
        ["NotebookVpc"],
        "SubnetId is set",
    ),
    _sh(
        3,
        "Users should not have root access to SageMaker notebook instances",
        "sagemaker-notebook-instance-root-access-check",
        [NOTEBOOK],
        ["NotebookRootAccessDisabled"],
        "RootAccess is Disabled (absent means Enabled)",
    ),
    _sh(
        4,
        "SageMaker endpoint production variants should have an initial instance count greater than 1",
        "sagemaker-endpoint-config-prod-instance-count",
        [ENDPOINT_CONFIG],
        [OptInRule.ENDPOINT_CONFIG_MULTI_INSTANCE.value],
        "every instance-based ProductionVariants entry has InitialInstanceCount > 1",
        opt_in=OptInRule.ENDPOINT_CONFIG_MULTI_INSTANCE,
        note="Opt-in: a single-instance variant is the normal setup for development and cost-bound endpoints.",
    ),
    _sh(
        5,
        "SageMaker models should have network isolation enabled",
        "sagemaker-model-isolation-enabled",
        [MODEL],
        ["ModelNetworkIsolation"],
        "EnableNetworkIsolation is true",
    ),
    _sh(
        6,
        "SageMaker app image configurations should be tagged",
        "sagemaker-app-image-config-tagged",
        [_SM + "AppImageConfig"],
        ["AppImageConfigTagged"],
        "at least one non-aws: tag, and every key of SageMakerChecks(required_tag_keys=...)",
    ),
    _sh(
        7,
        "SageMaker images should be tagged",
        "sagemaker-image-tagged",
        [_SM + "Image"],
        ["ImageTagged"],
        "at least one non-aws: tag, and every key of SageMakerChecks(required_tag_keys=...)",
    ),
    _sh(
        8,
        "SageMaker notebook instances should run on supported platforms",
        "sagemaker-notebook-instance-platform-version",
        [NOTEBOOK],
        ["NotebookPlatformSupported"],
        "PlatformIdentifier is one of SageMakerChecks(supported_notebook_platforms=...), default notebook-al2023-v1",
        note="AWS changes the supported list over time; the pack checks the list it was given at synth.",
    ),
    _sh(
        9,
        "SageMaker data quality job definitions should have inter-container traffic encryption enabled",
        "sagemaker-data-quality-job-encrypt-in-transit",
        [DATA_QUALITY],
        ["MonitoringInterContainerEncryption"],
        _ICE,
    ),
    _sh(
        10,
        "SageMaker model explainability job definitions should have inter-container traffic encryption enabled",
        "sagemaker-model-explainability-job-encrypt-in-transit",
        [MODEL_EXPLAINABILITY],
        ["MonitoringInterContainerEncryption"],
        _ICE,
    ),
    _sh(
        11,
        "SageMaker data quality job definitions should have network isolation enabled",
        "sagemaker-data-quality-job-isolation",
        [DATA_QUALITY],
        ["MonitoringNetworkIsolation"],
        _ISO,
    ),
    _sh(
        12,
        "SageMaker model bias job definitions should have network isolation enabled",
        "sagemaker-model-bias-job-isolation",
        [MODEL_BIAS],
        ["MonitoringNetworkIsolation"],
        _ISO,
    ),
    _sh(
        13,
        "SageMaker model quality job definitions should have inter-container traffic encryption enabled",
        "sagemaker-model-quality-job-encrypt-in-transit",
        [MODEL_QUALITY],
        ["MonitoringInterContainerEncryption"],
        _ICE,
    ),
    _sh(
        14,
        "SageMaker monitoring schedules should have network isolation enabled",
        "sagemaker-monitoring-schedule-isolation",
        [SCHEDULE],
        ["MonitoringNetworkIsolation"],
        "MonitoringScheduleConfig.MonitoringJobDefinition.NetworkConfig.EnableNetworkIsolation is true",
        applies=_inline_schedule,
        note="Schedules that name a job definition are N/A here; the job definition is checked by "
        "SageMaker.11/12/20/25.",
    ),
    _sh(
        15,
        "SageMaker model bias job definitions should have inter-container traffic encryption enabled",
        "sagemaker-model-bias-job-encrypt-in-transit",
        [MODEL_BIAS],
        ["MonitoringInterContainerEncryption"],
        _ICE + " (the control: when JobResources.ClusterConfig.InstanceCount >= 2)",
        applies=_bias_multi_instance,
        note=_STRICT_ICE,
    ),
    _sh(
        16,
        "SageMaker models should use private registry in VPC for primary containers",
        "sagemaker-model-private-registry-required",
        [MODEL],
        [OptInRule.MODEL_PRIVATE_REGISTRY.value],
        "PrimaryContainer.ImageConfig.RepositoryAccessMode is Vpc",
        opt_in=OptInRule.MODEL_PRIVATE_REGISTRY,
        note="Opt-in: Vpc access mode is for private Docker registries; images in Amazon ECR (the normal "
        "setup, and the platform's) use Platform mode and always fail.",
    ),
    _sh(
        17,
        "SageMaker feature group offline stores should be encrypted with AWS KMS keys",
        "sagemaker-featuregroup-encryption-at-rest",
        [FEATURE_GROUP],
        ["FeatureGroupOfflineKms"],
        "OfflineStoreConfig.S3StorageConfig.KmsKeyId is set",
    ),
    _sh(
        18,
        "SageMaker feature group online stores with standard storage should be encrypted with AWS KMS keys",
        "sagemaker-featuregroup-online-store-encryption",
        [FEATURE_GROUP],
        ["FeatureGroupOnlineKms"],
        "OnlineStoreConfig.SecurityConfig.KmsKeyId is set when the online store is enabled",
        applies=_standard_online_store,
        note="The pack also asks for a key on InMemory online stores; the control covers Standard storage only.",
    ),
    _sh(
        19,
        "SageMaker models should use private registry in VPC for multi-container inference pipelines",
        "sagemaker-model-multicontainer-private-registry",
        [MODEL],
        [OptInRule.MODEL_MULTI_CONTAINER_PRIVATE_REGISTRY.value],
        "every Containers entry has ImageConfig.RepositoryAccessMode Vpc",
        opt_in=OptInRule.MODEL_MULTI_CONTAINER_PRIVATE_REGISTRY,
        note="Opt-in for the same reason as SageMaker.16.",
    ),
    _sh(
        20,
        "SageMaker model explainability job definitions should have network isolation enabled",
        "sagemaker-model-explainability-job-network-isolation",
        [MODEL_EXPLAINABILITY],
        ["MonitoringNetworkIsolation"],
        _ISO,
    ),
    _sh(
        21,
        "SageMaker notebook instances should be encrypted with customer managed AWS KMS keys",
        "sagemaker-notebook-instance-storage-vol-kms-encrypted",
        [NOTEBOOK],
        ["NotebookKms"],
        "KmsKeyId is set",
    ),
    _sh(
        22,
        "SageMaker monitoring schedules should have inter-container traffic encryption enabled",
        "sagemaker-monitoring-schedule-traffic-encryption",
        [SCHEDULE],
        ["MonitoringInterContainerEncryption"],
        "MonitoringScheduleConfig.MonitoringJobDefinition.NetworkConfig.EnableInterContainerTrafficEncryption is true",
        applies=_inline_schedule,
        note="Schedules that name a job definition are N/A here; the job definition is checked by "
        "SageMaker.9/10/13/15.",
    ),
    _sh(
        23,
        "SageMaker inference experiments should have instance storage volume encrypted with customer managed "
        "AWS KMS keys",
        "sagemaker-inf-experiment-instance-storage-kms-encrypted",
        [INFERENCE_EXPERIMENT],
        ["InferenceExperimentKms"],
        "KmsKey is set",
    ),
    _sh(
        24,
        "SageMaker inference experiments should have data storage encrypted with customer managed AWS KMS keys",
        "sagemaker-inf-experiment-data-storage-kms-encrypted",
        [INFERENCE_EXPERIMENT],
        ["InferenceExperimentDataCaptureKms"],
        "DataStorageConfig.KmsKey is set when DataStorageConfig exists",
    ),
    _sh(
        25,
        "SageMaker model quality job definitions should have network isolation enabled",
        "sagemaker-model-quality-job-definition-isolation",
        [MODEL_QUALITY],
        ["MonitoringNetworkIsolation"],
        _ISO,
    ),
)

#: AWS Config SageMaker managed rules that no Security Hub control uses, and the pack rules for them.
CONFIG_RULES: tuple[ControlMapping, ...] = (
    _cfg(
        "sagemaker-domain-in-vpc",
        "SageMaker domain uses a customer VPC for non-EFS traffic",
        [_SM + "Domain"],
        ["DomainVpcOnly"],
        "AppNetworkAccessType is VpcOnly",
    ),
    _cfg(
        "sagemaker-domain-tagged",
        "SageMaker domains have tags",
        [_SM + "Domain"],
        [OptInRule.DOMAIN_TAGGED.value],
        "at least one non-aws: tag, and every key of SageMakerChecks(required_tag_keys=...)",
        opt_in=OptInRule.DOMAIN_TAGGED,
        note="Opt-in: StudioDomain adds no tags of its own (tag the app or stack), and domain tags are create-only.",
    ),
    _cfg(
        "sagemaker-endpoint-configuration-kms-key-configured",
        "SageMaker endpoint configuration has a KMS key",
        [ENDPOINT_CONFIG],
        ["EndpointConfigKms"],
        "KmsKeyId is set (not applicable to all-serverless configs, which reject it)",
    ),
    _cfg(
        "sagemaker-feature-group-tagged",
        "SageMaker feature groups have tags",
        [FEATURE_GROUP],
        [OptInRule.FEATURE_GROUP_TAGGED.value],
        "at least one non-aws: tag, and every key of SageMakerChecks(required_tag_keys=...)",
        opt_in=OptInRule.FEATURE_GROUP_TAGGED,
        note="Opt-in: FeatureGroup adds tags only when given some.",
    ),
    _cfg(
        "sagemaker-image-description",
        "SageMaker images have a description",
        [_SM + "Image"],
        ["ImageDescription"],
        "ImageDescription is set",
    ),
    _cfg(
        "sagemaker-model-in-vpc",
        "SageMaker model uses a VPC for container traffic",
        [MODEL],
        ["ModelVpc"],
        "VpcConfig with security groups and at least two subnets (stricter: the Config rule wants VpcConfig)",
    ),
    _cfg(
        "sagemaker-notebook-instance-kms-key-configured",
        "SageMaker notebook instance has a KMS key",
        [NOTEBOOK],
        ["NotebookKms"],
        "KmsKeyId is set",
    ),
)

#: Both tables, Security Hub first.
ALL_CONTROLS: tuple[ControlMapping, ...] = SECURITY_HUB_CONTROLS + CONFIG_RULES


def controls_of_rule(rule_id: str) -> tuple[str, ...]:
    """The Security Hub control ids and AWS Config rule names a pack rule (full id) decides."""
    return tuple(c.control_id for c in ALL_CONTROLS if rule_id in c.rule_ids)


# --- per-control results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceResult:
    """One pack rule on one resource, for one control."""

    path: str
    rule_id: str
    status: Status
    detail: str
    acknowledged: bool


@dataclass(frozen=True)
class ControlResult:
    """A control's status for an app and the resource results behind it.

    ``status`` is ``PASS``, ``FAIL`` (a finding not acknowledged), ``ACKNOWLEDGED``, ``CANNOT VERIFY``,
    ``N/A`` (no resource the control applies to) or ``OPT-IN, NOT ENABLED``.
    """

    control: ControlMapping
    status: str
    detail: str
    resources: tuple[ResourceResult, ...] = ()


def _finding_ids(rule: Rule, status: Status, findings: Sequence[str], unverified: bool) -> list[str]:
    ids: list[str] = []
    if status is Status.NON_COMPLIANT:
        ids = [f"{rule.full_id}[{f}]" for f in findings] if rule.per_item and findings else [rule.full_id]
    if status is Status.CANNOT_VERIFY or unverified:
        ids.append(f"{rule.full_id}[{CANNOT_VERIFY}]")
    return ids


def _is_acked(path: str, ids: Sequence[str], acks: Sequence[tuple[str, str]]) -> bool:
    def covered(rid: str) -> bool:
        return any(r == rid and (path == p or path.startswith(p + "/")) for p, r in acks)

    return bool(ids) and all(covered(rid) for rid in ids)


def evaluate_controls(
    templates: TemplateSet,
    *,
    rules: Iterable[Rule] | None = None,
    acknowledgements: Iterable[tuple[str, str]] = (),
    controls: Sequence[ControlMapping] = ALL_CONTROLS,
) -> list[ControlResult]:
    """Run the pack rules behind each control on ``templates``; one result per control, in order.

    Args:
        templates: the synthesized templates (e.g. ``TemplateSet.from_paths(...)``).
        rules: the rules that ran (``SageMakerChecks(...).rules``, which includes enabled opt-in
            rules and the pack's parameters); the default rules when omitted.
        acknowledgements: ``(construct path, finding id)`` pairs (paths without a leading ``/``);
            an acknowledgement on a parent path covers the resources below it.
        controls: the mapping to evaluate (both tables by default).
    """
    from constructs_ml.governance.sagemaker_checks import ALL_RULES  # the pack imports this module

    by_id = {r.full_id: r for r in (ALL_RULES if rules is None else rules)}
    acks = [(p.lstrip("/"), r) for p, r in acknowledgements]
    views = [v for stack in templates.templates for v in templates.views(stack)]
    out: list[ControlResult] = []
    for control in controls:
        enabled = [by_id[r] for r in control.rule_ids if r in by_id]
        if not enabled:
            out.append(
                ControlResult(control, NOT_ENABLED, f"enable it with SageMakerChecks(opt_in_rules=[{control.opt_in}])")
            )
            continue
        results: list[ResourceResult] = []
        for view in views:
            if view.type not in control.resource_types or (control.applies and not control.applies(view)):
                continue
            for rule in enabled:
                outcome = evaluate(rule, view)
                if outcome.status is Status.NOT_APPLICABLE:
                    continue
                ids = _finding_ids(rule, outcome.status, outcome.findings, bool(outcome.unverified))
                results.append(
                    ResourceResult(
                        view.path, rule.full_id, outcome.status, outcome.detail, _is_acked(view.path, ids, acks)
                    )
                )
        out.append(_summarize(control, results))
    return out


def _summarize(control: ControlMapping, results: list[ResourceResult]) -> ControlResult:
    if not results:
        return ControlResult(control, NOT_APPLICABLE, "no resource the control applies to")
    bad = [r for r in results if r.status is Status.NON_COMPLIANT and not r.acknowledged]
    unknown = [r for r in results if r.status is Status.CANNOT_VERIFY and not r.acknowledged]
    acked = [r for r in results if r.acknowledged]
    if bad:
        status, shown = FAIL, bad
    elif unknown:
        status, shown = CANNOT_VERIFY_STATUS, unknown
    elif acked:
        status, shown = ACKNOWLEDGED, acked
    else:
        return ControlResult(control, PASS, f"{len(results)} resource(s) passed", tuple(results))
    detail = "; ".join(f"{r.path}: {r.rule_id} ({r.detail})" if r.detail else f"{r.path}: {r.rule_id}" for r in shown)
    return ControlResult(control, status, detail, tuple(results))


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_assembly(outdir: str | Path) -> tuple[TemplateSet, list[tuple[str, str]]]:
    """Templates and acknowledgements ``(path, finding id)`` of a ``cdk.out``, nested assemblies included."""
    templates = TemplateSet()
    acks: list[tuple[str, str]] = []
    _read(Path(outdir), templates, acks)
    return templates, acks


def _read(root: Path, templates: TemplateSet, acks: list[tuple[str, str]]) -> None:
    manifest = _load(root / "manifest.json")
    artifacts = manifest.get("artifacts", {}) if isinstance(manifest, Mapping) else {}
    for art_id, art in artifacts.items():
        if not isinstance(art, Mapping):
            continue
        props = art.get("properties") or {}
        if art.get("type") == "cdk:cloud-assembly" and props.get("directoryName"):
            _read(root / props["directoryName"], templates, acks)
        if art.get("type") != "aws:cloudformation:stack":
            continue
        metadata: dict[str, Any] = dict(art.get("metadata") or {})
        extra = art.get("additionalMetadataFile")
        loaded = _load(root / extra) if extra else None
        if isinstance(loaded, Mapping):
            metadata.update(loaded)
        paths: dict[str, str] = {}
        for path, entries in metadata.items():
            for entry in entries if isinstance(entries, list) else []:
                data = entry.get("data") if isinstance(entry, Mapping) else None
                if entry.get("type") == "aws:cdk:logicalId" and isinstance(data, str):
                    paths[data] = path.lstrip("/")
                if entry.get("type") == "aws:cdk:acknowledged-rules" and isinstance(data, Mapping):
                    for rule in data:
                        rid = rule.split("::", 1)[1] if rule.lower().startswith("annotation::") else rule
                        acks.append((path.lstrip("/"), rid))
        template = _load(root / str(props.get("templateFile", "")))
        if isinstance(template, dict):
            templates.add(str(art_id), template, paths)


def evaluate_assembly(outdir: str | Path, *, rules: Iterable[Rule] | None = None) -> list[ControlResult]:
    """:func:`evaluate_controls` on a ``cdk.out`` directory, with its acknowledgements."""
    templates, acks = read_assembly(outdir)
    return evaluate_controls(templates, rules=rules, acknowledgements=acks)


def control_table(results: Iterable[ControlResult]) -> list[dict[str, str]]:
    """Rows ``{control, title, rules, checks, result, detail, source, url}`` for a report table."""
    return [
        {
            "control": r.control.control_id,
            "title": r.control.title,
            "rules": ", ".join(r.control.rule_ids),
            "checks": r.control.checks,
            "result": r.status,
            "detail": r.detail,
            "source": r.control.source,
            "url": r.control.doc_url,
        }
        for r in results
    ]


__all__ = [
    "ACKNOWLEDGED",
    "ALL_CONTROLS",
    "CANNOT_VERIFY_STATUS",
    "CONFIG_RULES",
    "FAIL",
    "NOT_APPLICABLE",
    "NOT_ENABLED",
    "PASS",
    "SECURITY_HUB_CONTROLS",
    "ControlMapping",
    "ControlResult",
    "ResourceResult",
    "control_table",
    "controls_of_rule",
    "evaluate_assembly",
    "evaluate_controls",
    "read_assembly",
]
