"""``moto_server`` with a few CloudFormation fixes, so the emulator runs real CDK templates.

Run as ``python -m scripts.emulator_server -H 127.0.0.1 -p PORT`` (same arguments as
``moto_server``). Each patch fixes a moto 5.2.1 gap that made a valid, CDK-synthesized template fail
in the emulator (not a gap that merely skips a resource: those are reported, not patched). The job
lists :data:`PATCHES` in its report, so nobody mistakes a patched emulator for plain moto.
Each patch wraps moto's function and leaves everything else to it; if moto fixes the gap, the patch
becomes a no-op.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

#: What each patch does, for the report.
PATCHES: tuple[str, ...] = (
    "CloudFormation: resolve Fn::GetStackOutput (CDK weak cross-stack references; moto 5.2.1 leaves it "
    "unresolved, so IAM rejects the policy that uses it)",
    "CloudFormation AWS::KMS::Key: pass Tags as TagKey/TagValue (moto 5.2.1 fails the stack with KeyError 'TagKey')",
    "CloudFormation AWS::KMS::Key: store KeyPolicy as JSON text (moto 5.2.1 then fails DescribeKey with a 500)",
    "CloudFormation AWS::SSM::Parameter: pass the Tags map as a Key/Value list (moto 5.2.1 stores the "
    "parameter, then fails on the tags; every later ListStackResources fails with ParameterAlreadyExists)",
    "EC2 security-group rules: a rule for a protocol without ports (ESP, IP protocol 50) gets ports -1 "
    "(moto 5.2.1 calls int(None) and fails the stack with a 500; AWS ignores ports for such protocols)",
    "CloudFormation AWS::SageMaker::EndpointConfig / Model: Fn::GetAtt EndpointConfigArn / ModelArn (documented "
    "return values moto 5.2.1 does not answer; it fails the stack)",
    "CloudFormation: Ref / Fn::GetAtt of a resource moto skips resolve to a placeholder "
    "('...emulator-skipped-<logical id>...', ARN-shaped for Ref and *Arn) instead of failing the stack",
)

#: Marks every value that stands in for a resource the emulator did not create.
PLACEHOLDER = "emulator-skipped"


def _patch_get_stack_output() -> None:
    from moto.cloudformation import parsing
    from moto.cloudformation.models import cloudformation_backends

    original: Callable[[Any, Any], Any] = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        stand_in = _skipped_reference(resource_json, resources_map)
        if stand_in is not None:
            return stand_in
        if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
            args = original(resource_json["Fn::GetStackOutput"], resources_map)
            account = getattr(resources_map, "_account_id", None) or resources_map["AWS::AccountId"]
            region = args.get("Region") or resources_map["AWS::Region"]
            backend = cloudformation_backends[account][region]
            for stack in backend.stacks.values():
                if stack.name == args["StackName"] and stack.status != "DELETE_COMPLETE":
                    # Resolve from the producer's template text and live resources: for a stack
                    # created through a change set, moto's parsed template and output map stay empty.
                    outputs = _template_of(stack).get("Outputs") or {}
                    if args["OutputName"] in outputs:
                        return clean_json(outputs[args["OutputName"]]["Value"], stack.resource_map)
            raise ValueError(f"Fn::GetStackOutput: no output {args['OutputName']} in stack {args['StackName']}")
        return original(resource_json, resources_map)

    parsing.clean_json = clean_json


def _skipped_reference(value: Any, resources_map: Any) -> str | None:
    """A placeholder for ``Ref``/``Fn::GetAtt`` of a template resource whose type moto skips, else None."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    if "Ref" in value and isinstance(value["Ref"], str):
        logical_id, attr = value["Ref"], None
    elif "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        if isinstance(target, str):
            target = target.split(".", 1)
        if not (isinstance(target, list) and len(target) == 2 and all(isinstance(t, str) for t in target)):
            return None
        logical_id, attr = target
    else:
        return None
    from moto.cloudformation import parsing

    declared = (getattr(resources_map, "_resource_json_map", None) or {}).get(logical_id)
    if not isinstance(declared, dict):
        return None
    rtype = str(declared.get("Type", ""))
    if rtype.startswith("Custom::") or rtype in parsing.get_model_map():
        return None
    parts = rtype.split("::")
    service = parts[1].lower() if len(parts) == 3 else "unknown"
    kind = parts[2].lower() if len(parts) == 3 else "resource"
    name = f"{PLACEHOLDER}-{logical_id.lower()}"
    if attr is None or attr.endswith("Arn"):
        region, account = resources_map["AWS::Region"], resources_map["AWS::AccountId"]
        return f"arn:aws:{service}:{region}:{account}:{kind}/{name}"
    return f"{name}-{attr.lower()}"


def _template_of(stack: Any) -> dict[str, Any]:
    """A moto stack's current template as a dict (JSON, as CDK writes it; else moto's own parser)."""
    text = stack.template
    if isinstance(text, dict):
        return text
    try:
        parsed: dict[str, Any] = json.loads(text)
    except ValueError:
        parsed = stack.parse_template(text)
    return parsed


def _patch_kms_key() -> None:
    from moto.kms.models import Key

    original = Key.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: type[Key], /, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Key:
        props = dict(cloudformation_json.get("Properties", {}))
        props["Tags"] = [
            {"TagKey": t.get("TagKey", t.get("Key")), "TagValue": t.get("TagValue", t.get("Value"))}
            for t in props.get("Tags", [])
        ]
        if isinstance(props.get("KeyPolicy"), dict):
            props["KeyPolicy"] = json.dumps(props["KeyPolicy"])
        fixed = {**cloudformation_json, "Properties": props}
        key: Key = original(cls, resource_name, fixed, account_id, region_name, **kw)
        return key

    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _patch_ssm_parameter() -> None:
    from moto.ssm.models import Parameter

    original = Parameter.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(
        cls: type[Parameter],
        /,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> Parameter:
        props = dict(cloudformation_json.get("Properties", {}))
        if isinstance(props.get("Tags"), dict):  # CloudFormation's AWS::SSM::Parameter Tags is a map
            props["Tags"] = [{"Key": k, "Value": v} for k, v in props["Tags"].items()]
        fixed = {**cloudformation_json, "Properties": props}
        parameter: Parameter = original(cls, resource_name, fixed, account_id, region_name, **kw)
        return parameter

    Parameter.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _patch_security_group_rule() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    original = SecurityGroupRule.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        names = ("ec2_backend", "ip_protocol", "group_id", "from_port", "to_port")
        bound = dict(zip(names, args, strict=False)) | kwargs
        protocol = str(bound.get("ip_protocol") or "")
        if protocol not in ("", "-1", "tcp", "udp", "icmp", "icmpv6", "6", "17", "1", "58"):
            bound["from_port"] = -1 if bound.get("from_port") is None else bound["from_port"]
            bound["to_port"] = -1 if bound.get("to_port") is None else bound["to_port"]
        rest = args[len(names) :]
        original(self, *(bound.pop(n) for n in names), *rest, **{k: v for k, v in bound.items() if k not in names})

    SecurityGroupRule.__init__ = __init__


def _patch_sagemaker_arn_attributes() -> None:
    from moto.sagemaker.models import FakeEndpointConfig, Model

    for cls, attr, value in (
        (FakeEndpointConfig, "EndpointConfigArn", lambda o: o.endpoint_config_arn),
        (Model, "ModelArn", lambda o: o.arn),
    ):
        original_has = cls.has_cfn_attr.__func__
        original_get = cls.get_cfn_attribute

        def has_cfn_attr(klass: Any, name: str, _attr: str = attr, _has: Any = original_has) -> bool:
            return name == _attr or bool(_has(klass, name))

        def get_cfn_attribute(
            self: Any, name: str, _attr: str = attr, _get: Any = original_get, _v: Any = value
        ) -> Any:
            return _v(self) if name == _attr else _get(self, name)

        setattr(cls, "has_cfn_attr", classmethod(has_cfn_attr))  # noqa: B010 (patching a class of either type)
        setattr(cls, "get_cfn_attribute", get_cfn_attribute)  # noqa: B010


def apply_patches() -> None:
    """Apply every patch in :data:`PATCHES` to the imported moto."""
    _patch_sagemaker_arn_attributes()
    _patch_security_group_rule()
    _patch_get_stack_output()
    _patch_kms_key()
    _patch_ssm_parameter()


def main(argv: list[str] | None = None) -> None:
    """Patch moto, then run its server with ``argv``."""
    apply_patches()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
