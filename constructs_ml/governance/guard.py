"""Export the Security Hub / AWS Config part of the SageMaker pack as AWS CloudFormation Guard rules.

For teams without CDK: ``python -m constructs_ml.governance.guard --out sagemaker.guard``, then
``cfn-guard validate --rules sagemaker.guard --data template.json``. One named Guard rule per control
of :mod:`constructs_ml.governance.security_hub` (``sagemaker_1`` ... ``sagemaker_25``, and the AWS
Config rule names with ``_`` for ``-``), with the same scope and parameters as the pack.

Guard reads templates, not the construct tree, so it differs from the pack in one way: a value that is
an intrinsic (``{"Ref": ...}``) satisfies a presence check ("a key is set") but fails a value check
("isolation is true"), where the pack reports ``[CannotVerify]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from constructs_ml.governance.rules_security_hub import SUPPORTED_NOTEBOOK_PLATFORMS, OptInRule
from constructs_ml.governance.security_hub import ALL_CONTROLS, ControlMapping

_TRUE = "IN [true, 'true']"
_MONITOR_NETWORK = {
    "AWS::SageMaker::DataQualityJobDefinition": "dq",
    "AWS::SageMaker::ModelQualityJobDefinition": "mq",
    "AWS::SageMaker::ModelBiasJobDefinition": "bias",
    "AWS::SageMaker::ModelExplainabilityJobDefinition": "explain",
}


def _quote(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "") + "'" for v in values) + "]"


def _bodies(required_tag_keys: Sequence[str], platforms: Sequence[str]) -> dict[str, tuple[str, str]]:
    """control id -> (variable the rule needs, Guard clauses on each resource of that variable)."""
    tags = "Properties.Tags exists\n        some Properties.Tags[*].Key != /^aws:/"
    for key in required_tag_keys:
        tags += f"\n        some Properties.Tags[*].Key == '{key.replace(chr(39), '')}'"
    ice = f"Properties.NetworkConfig.EnableInterContainerTrafficEncryption {_TRUE}"
    iso = f"Properties.NetworkConfig.EnableNetworkIsolation {_TRUE}"
    inline = "Properties.MonitoringScheduleConfig.MonitoringJobDefinition.NetworkConfig"
    return {
        "SageMaker.1": ("notebooks", "Properties.DirectInternetAccess == 'Disabled'"),
        "SageMaker.2": ("notebooks", "Properties.SubnetId exists"),
        "SageMaker.3": ("notebooks", "Properties.RootAccess == 'Disabled'"),
        "SageMaker.4": (
            "endpoint_configs",
            "Properties.ProductionVariants[ ServerlessConfig !exists ] {\n"
            "            InitialInstanceCount !exists or InitialInstanceCount != 1\n"
            "            {message}\n        }",
        ),
        "SageMaker.5": ("models", f"Properties.EnableNetworkIsolation {_TRUE}"),
        "SageMaker.6": ("app_image_configs", tags),
        "SageMaker.7": ("images", tags),
        "SageMaker.8": ("notebooks", f"Properties.PlatformIdentifier IN {_quote(platforms)}"),
        "SageMaker.9": ("dq", ice),
        "SageMaker.10": ("explain", ice),
        "SageMaker.11": ("dq", iso),
        "SageMaker.12": ("bias", iso),
        "SageMaker.13": ("mq", ice),
        "SageMaker.14": ("inline_schedules", f"{inline}.EnableNetworkIsolation {_TRUE}"),
        "SageMaker.15": ("multi_instance_bias", ice),
        "SageMaker.16": (
            "primary_container_models",
            "Properties.PrimaryContainer.ImageConfig.RepositoryAccessMode == 'Vpc'",
        ),
        "SageMaker.17": ("offline_feature_groups", "Properties.OfflineStoreConfig.S3StorageConfig.KmsKeyId exists"),
        "SageMaker.18": (
            "standard_online_feature_groups",
            "Properties.OnlineStoreConfig.SecurityConfig.KmsKeyId exists",
        ),
        "SageMaker.19": (
            "multi_container_models",
            "Properties.Containers[*].ImageConfig.RepositoryAccessMode == 'Vpc'",
        ),
        "SageMaker.20": ("explain", iso),
        "SageMaker.21": ("notebooks", "Properties.KmsKeyId exists"),
        "SageMaker.22": ("inline_schedules", f"{inline}.EnableInterContainerTrafficEncryption {_TRUE}"),
        "SageMaker.23": ("inference_experiments", "Properties.KmsKey exists"),
        "SageMaker.24": ("capturing_inference_experiments", "Properties.DataStorageConfig.KmsKey exists"),
        "SageMaker.25": ("mq", iso),
        "sagemaker-domain-in-vpc": ("domains", "Properties.AppNetworkAccessType == 'VpcOnly'"),
        "sagemaker-domain-tagged": ("domains", tags),
        "sagemaker-endpoint-configuration-kms-key-configured": (
            "instance_endpoint_configs",
            "Properties.KmsKeyId exists",
        ),
        "sagemaker-feature-group-tagged": ("feature_groups", tags),
        "sagemaker-image-description": ("images", "Properties.ImageDescription exists"),
        "sagemaker-model-in-vpc": (
            "models",
            "Properties.VpcConfig.SecurityGroupIds !empty\n        Properties.VpcConfig.Subnets !empty",
        ),
        "sagemaker-notebook-instance-kms-key-configured": ("notebooks", "Properties.KmsKeyId exists"),
    }


_SM = "Resources.*[ Type == 'AWS::SageMaker::{}' ]"
_VARIABLES = {
    "notebooks": _SM.format("NotebookInstance"),
    "endpoint_configs": _SM.format("EndpointConfig"),
    "instance_endpoint_configs": _SM.format("EndpointConfig")[:-2]
    + "\n    some Properties.ProductionVariants[*].ServerlessConfig !exists ]",
    "models": _SM.format("Model"),
    "primary_container_models": _SM.format("Model")[:-2] + " Properties.PrimaryContainer exists ]",
    "multi_container_models": _SM.format("Model")[:-2] + " Properties.Containers !empty ]",
    "app_image_configs": _SM.format("AppImageConfig"),
    "images": _SM.format("Image"),
    "domains": _SM.format("Domain"),
    "feature_groups": _SM.format("FeatureGroup"),
    "offline_feature_groups": _SM.format("FeatureGroup")[:-2] + " Properties.OfflineStoreConfig exists ]",
    "standard_online_feature_groups": _SM.format("FeatureGroup")[:-2]
    + f"\n    Properties.OnlineStoreConfig.EnableOnlineStore {_TRUE}"
    + "\n    Properties.OnlineStoreConfig.StorageType !exists"
    + " or Properties.OnlineStoreConfig.StorageType != 'InMemory' ]",
    "dq": _SM.format("DataQualityJobDefinition"),
    "mq": _SM.format("ModelQualityJobDefinition"),
    "bias": _SM.format("ModelBiasJobDefinition"),
    "multi_instance_bias": _SM.format("ModelBiasJobDefinition")[:-2]
    + " Properties.JobResources.ClusterConfig.InstanceCount >= 2 ]",
    "explain": _SM.format("ModelExplainabilityJobDefinition"),
    "inline_schedules": _SM.format("MonitoringSchedule")[:-2]
    + " Properties.MonitoringScheduleConfig.MonitoringJobDefinition exists ]",
    "inference_experiments": _SM.format("InferenceExperiment"),
    "capturing_inference_experiments": _SM.format("InferenceExperiment")[:-2]
    + " Properties.DataStorageConfig exists ]",
}


def guard_rule_name(control: ControlMapping) -> str:
    """The Guard rule name of a control: ``sagemaker_14``, ``sagemaker_domain_in_vpc``."""
    return control.control_id.lower().replace(".", "_").replace("-", "_")


def guard_rules(
    *,
    required_tag_keys: Sequence[str] = (),
    supported_notebook_platforms: Sequence[str] = SUPPORTED_NOTEBOOK_PLATFORMS,
    opt_in_rules: Sequence[OptInRule] = (),
) -> str:
    """The Guard rules file, with the same parameters as ``SageMakerChecks``.

    Opt-in controls (SageMaker.4/16/19) are left out unless named in ``opt_in_rules``.
    """
    bodies = _bodies(tuple(required_tag_keys), tuple(supported_notebook_platforms))
    controls = [c for c in ALL_CONTROLS if c.opt_in is None or c.opt_in in opt_in_rules]
    used = sorted({bodies[c.control_id][0] for c in controls})
    out = [
        "# AWS CloudFormation Guard rules for SageMaker: AWS Security Hub SageMaker controls and AWS Config rules.",
        "# Generated by constructs_ml.governance.guard; see docs/governance.md for what each rule checks.",
        "",
    ]
    out += [f"let {name} = {_VARIABLES[name]}" for name in used]
    for control in controls:
        variable, clauses = bodies[control.control_id]
        message = f"{control.source} {control.control_id}: {control.title} ({control.checks})".replace(">>", "")
        note = f"<< {message} >>"
        # the message follows the innermost clause (Guard attaches it to a clause, not to a block)
        body = clauses.replace("{message}", note) if "{message}" in clauses else f"{clauses}\n        {note}"
        out += [
            "",
            f"# {control.source} {control.control_id}: {control.title}",
            f"rule {guard_rule_name(control)} when %{variable} !empty {{",
            f"    %{variable} {{",
            f"        {body}",
            "    }",
            "}",
        ]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m constructs_ml.governance.guard [--out FILE] [--tag-key K ...] [--opt-in RULE ...]``."""
    parser = argparse.ArgumentParser(prog="python -m constructs_ml.governance.guard", description=__doc__)
    parser.add_argument("--out", type=Path, help="write the rules here (default: stdout)")
    parser.add_argument("--tag-key", action="append", default=[], help="a required tag key (repeatable)")
    parser.add_argument("--platform", action="append", default=[], help="a supported notebook platform (repeatable)")
    parser.add_argument(
        "--opt-in", action="append", default=[], choices=[o.value for o in OptInRule], help="enable an opt-in rule"
    )
    args = parser.parse_args(argv)
    text = guard_rules(
        required_tag_keys=args.tag_key,
        supported_notebook_platforms=args.platform or SUPPORTED_NOTEBOOK_PLATFORMS,
        opt_in_rules=[OptInRule(o) for o in args.opt_in],
    )
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
