"""SageMaker pack rules for hosting, the feature store, the model registry and IAM."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from constructs_ml.governance.rules_base import (
    NOT_APPLICABLE,
    PASS,
    Outcome,
    ResourceView,
    Rule,
    equals,
    fail,
    flatten_text,
    get,
    is_intrinsic,
    list_items,
    presence,
    require_equal,
    require_set,
    unknown,
)

MODEL = frozenset({"AWS::SageMaker::Model"})
ENDPOINT_CONFIG = frozenset({"AWS::SageMaker::EndpointConfig"})
FEATURE_GROUP = frozenset({"AWS::SageMaker::FeatureGroup"})
MODEL_PACKAGE_GROUP = frozenset({"AWS::SageMaker::ModelPackageGroup"})
IAM_TYPES = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::RolePolicy",
        "AWS::IAM::User",
        "AWS::IAM::Group",
    }
)


def _model_isolation(view: ResourceView) -> Outcome:
    return require_equal(view.props, ("EnableNetworkIsolation",), True, default=False)


def vpc_config_status(vpc: Any, where: str, *, min_subnets: int = 1) -> Outcome:
    """``vpc`` (a ``VpcConfig``) names security groups and at least ``min_subnets`` subnets."""
    if vpc is None:
        return fail(f"{where} is not set")
    subnets = list_items(get(vpc, "Subnets"))
    groups = list_items(get(vpc, "SecurityGroupIds"))
    if subnets is None or groups is None:
        if subnets == [] or groups == []:
            return fail(f"{where} lacks subnets or security groups")
        if subnets is None and min_subnets > 1:
            return unknown(f"{where}.Subnets is an unresolved list; cannot count subnets")
        return PASS
    if not groups:
        return fail(f"{where}.SecurityGroupIds is empty")
    if len(subnets) < min_subnets:
        return fail(f"{where}.Subnets has {len(subnets)} subnet(s), at least {min_subnets} required")
    return PASS


def _model_vpc(view: ResourceView) -> Outcome:
    return vpc_config_status(get(view.props, "VpcConfig"), "VpcConfig", min_subnets=2)


def _all_serverless(props: Any) -> bool:
    variants = list_items(get(props, "ProductionVariants"))
    return bool(variants) and all(presence(get(v, "ServerlessConfig")) for v in variants or [])


def _endpoint_kms(view: ResourceView) -> Outcome:
    if _all_serverless(view.props):
        return NOT_APPLICABLE  # serverless variants have no customer volume; KmsKeyId is rejected
    return require_set(view.props, ("KmsKeyId",), "the endpoint's ML storage volumes use an AWS owned key")


def _data_capture_kms(view: ResourceView) -> Outcome:
    capture = get(view.props, "DataCaptureConfig")
    if capture is None or equals(get(capture, "EnableCapture"), False) is True:
        return NOT_APPLICABLE
    return require_set(view.props, ("DataCaptureConfig", "KmsKeyId"), "captured requests are not encrypted")


def _async_output_kms(view: ResourceView) -> Outcome:
    if get(view.props, "AsyncInferenceConfig") is None:
        return NOT_APPLICABLE
    return require_set(
        view.props, ("AsyncInferenceConfig", "OutputConfig", "KmsKeyId"), "async results are not encrypted"
    )


def _online_kms(view: ResourceView) -> Outcome:
    online = get(view.props, "OnlineStoreConfig")
    enabled = equals(get(online, "EnableOnlineStore"), True)
    if online is None or enabled is False:
        return NOT_APPLICABLE
    if enabled is None:
        return unknown("OnlineStoreConfig.EnableOnlineStore is an unresolved value")
    return require_set(view.props, ("OnlineStoreConfig", "SecurityConfig", "KmsKeyId"), "online store")


def _offline_kms(view: ResourceView) -> Outcome:
    if get(view.props, "OfflineStoreConfig") is None:
        return NOT_APPLICABLE
    return require_set(view.props, ("OfflineStoreConfig", "S3StorageConfig", "KmsKeyId"), "offline store")


def _statements(doc: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return
    stmts = get(doc, "Statement")
    for stmt in stmts if isinstance(stmts, list) else [stmts] if isinstance(stmts, Mapping) else []:
        if isinstance(stmt, Mapping):
            yield stmt


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and any("*" in _as_list(v) for v in principal.values())


def _package_group_policy(view: ResourceView) -> Outcome:
    policy = get(view.props, "ModelPackageGroupPolicy")
    if policy is None:
        return PASS
    if is_intrinsic(policy):
        return unknown("ModelPackageGroupPolicy is an unresolved value")
    if isinstance(policy, str):
        try:
            json.loads(policy)
        except ValueError:
            return fail("ModelPackageGroupPolicy is not valid JSON")
    bad = [
        str(s.get("Sid", i))
        for i, s in enumerate(_statements(policy))
        if s.get("Effect") == "Allow" and _wildcard_principal(s.get("Principal"))
    ]
    return fail(f"statement(s) {', '.join(bad)} allow a wildcard principal") if bad else PASS


_FULL_ACCESS = re.compile(r":policy/(.+/)?AmazonSageMakerFullAccess$")


def _policy_documents(view: ResourceView) -> Iterator[Any]:
    if view.type in ("AWS::IAM::Policy", "AWS::IAM::RolePolicy"):
        yield get(view.props, "PolicyDocument")
    if view.type == "AWS::IAM::ManagedPolicy" and any(
        presence(get(view.props, k)) for k in ("Roles", "Users", "Groups")
    ):
        yield get(view.props, "PolicyDocument")  # unattached ones (permission boundaries) grant nothing
    for inline in _as_list(get(view.props, "Policies") or []):
        yield get(inline, "PolicyDocument")


def _wildcard_grants(doc: Any) -> list[str]:
    out: list[str] = []
    for stmt in _statements(doc):
        if stmt.get("Effect") != "Allow":
            continue
        actions = [a for a in _as_list(stmt.get("Action")) if isinstance(a, str)]
        out.extend(f"Allow {a}" for a in actions if a == "*" or a.lower() == "sagemaker:*")
    return out


def _full_access(view: ResourceView) -> Outcome:
    problems: list[str] = []
    for index, arn in enumerate(_as_list(get(view.props, "ManagedPolicyArns") or [])):
        if _FULL_ACCESS.search(flatten_text(arn)):
            problems.append("AmazonSageMakerFullAccess is attached")
        elif is_intrinsic(arn):  # a customer managed policy of the app, attached here
            policy = view.resolver.referenced(view, ("ManagedPolicyArns", index), arn)
            if policy is not None and policy.type == "AWS::IAM::ManagedPolicy":
                grants = _wildcard_grants(get(policy.props, "PolicyDocument"))
                problems.extend(f"{g} (via {policy.path})" for g in grants)
    for doc in _policy_documents(view):
        problems.extend(_wildcard_grants(doc))
    return fail("; ".join(problems)) if problems else PASS


RULES: tuple[Rule, ...] = (
    Rule(
        "ModelNetworkIsolation",
        MODEL,
        "The SageMaker model does not enable network isolation.",
        "Without network isolation the inference container can make outbound calls and exfiltrate "
        "request data or model artifacts.",
        "Set EnableNetworkIsolation to true (Model does by default); acknowledge only for containers "
        "that must call other services, with the reason.",
        ("SM-05",),
        _model_isolation,
    ),
    Rule(
        "ModelVpc",
        MODEL,
        "The SageMaker model is not attached to the VPC on at least two subnets with security groups.",
        "Hosting in the VPC keeps model traffic on private networks behind security groups; two subnets "
        "in different AZs keep the endpoint available when one AZ fails.",
        "Set VpcConfig with SecurityGroupIds and at least two private subnets in different AZs.",
        ("SM-05",),
        _model_vpc,
    ),
    Rule(
        "EndpointConfigKms",
        ENDPOINT_CONFIG,
        "The endpoint config does not encrypt its ML storage volumes with a KMS key.",
        "Model artifacts and scratch data on the hosting instances' volumes must use the platform key.",
        "Set KmsKeyId to the platform key (not applicable to all-serverless configs).",
        ("SM-06",),
        _endpoint_kms,
    ),
    Rule(
        "EndpointConfigDataCaptureKms",
        ENDPOINT_CONFIG,
        "The endpoint config captures data without a KMS key.",
        "Captured requests and responses are production data; they must be encrypted with the platform key.",
        "Set DataCaptureConfig.KmsKeyId to the platform key.",
        ("SM-07",),
        _data_capture_kms,
    ),
    Rule(
        "EndpointConfigAsyncOutputKms",
        ENDPOINT_CONFIG,
        "The endpoint config writes async inference results without a KMS key.",
        "Async inference results are written to S3 and hold model output for production requests.",
        "Set AsyncInferenceConfig.OutputConfig.KmsKeyId to the platform key.",
        ("SM-07",),
        _async_output_kms,
    ),
    Rule(
        "FeatureGroupOnlineKms",
        FEATURE_GROUP,
        "The feature group's online store is not encrypted with a KMS key.",
        "Online store records are served to models at low latency and often hold personal data.",
        "Set OnlineStoreConfig.SecurityConfig.KmsKeyId (PascalCase keys) to the platform key.",
        ("SM-08",),
        _online_kms,
    ),
    Rule(
        "FeatureGroupOfflineKms",
        FEATURE_GROUP,
        "The feature group's offline store is not encrypted with a KMS key.",
        "The offline store keeps the full feature history in S3.",
        "Set OfflineStoreConfig.S3StorageConfig.KmsKeyId (PascalCase keys) to the platform key.",
        ("SM-08",),
        _offline_kms,
    ),
    Rule(
        "ModelPackageGroupNoPublicPolicy",
        MODEL_PACKAGE_GROUP,
        "The model package group policy allows a wildcard principal.",
        "A wildcard principal shares the model registry (and its model artifacts) with every AWS account.",
        "Name the account or role principals that may read or register models.",
        ("SM-12",),
        _package_group_policy,
    ),
    Rule(
        "NoFullAccess",
        IAM_TYPES,
        "The IAM identity or attached policy grants AmazonSageMakerFullAccess, sagemaker:* or *.",
        "Full SageMaker access bypasses the platform's guardrails (VPC, KMS, approval) and lets the "
        "holder create or delete any SageMaker resource.",
        "Grant the specific sagemaker actions on the specific resources the role needs "
        "(ExecutionRoles and Personas build such policies). Permission boundaries (managed policies not "
        "attached to any identity) are not findings: a boundary grants nothing by itself.",
        ("IAM-03", "IAM-04"),
        _full_access,
    ),
)

__all__ = ["RULES", "vpc_config_status"]
