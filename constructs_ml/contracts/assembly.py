"""A synthesized cloud assembly, read back as concrete values for offline evaluation.

CloudFormation templates hold references (``Ref``, ``Fn::GetAtt``, ``Fn::ImportValue``, ``Fn::Join``...)
that only a deployment resolves. To evaluate policies and network paths offline, every reference is
resolved to a deterministic *stand-in* physical value of the right form: a bucket's ``Arn`` becomes
``arn:aws:s3:::<stack>-<logical id>`` (lower case), a key's ``Arn`` ``arn:aws:kms:<region>:<account>:key/<id>``,
a security group's ``Ref`` ``sg-<logical id>``. Two references to one resource always resolve to the same
stand-in, which is all that policy and network evaluation need: whether the ARN in a grant and the ARN of
the resource it protects are the same, and whether a rule names the group a workload runs in.

Environment-agnostic stacks are evaluated in a fixed stand-in environment (:data:`DEFAULT_ACCOUNT`,
:data:`DEFAULT_REGION`); stacks pinned to an environment use their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ACCOUNT = "111111111111"
DEFAULT_REGION = "eu-west-1"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"


class AssemblyError(ValueError):
    """The assembly cannot be read or a reference in it cannot be resolved."""


class _NoValue:
    """``Ref AWS::NoValue``: the property is removed."""


NO_VALUE = _NoValue()


def _short(logical_id: str) -> str:
    return re.sub(r"[^a-z0-9]", "", logical_id.lower())[:40]


# type -> (name property, what Ref returns: name|arn|id|url, ARN pattern with {name}/{region}/{account})
_TYPES: dict[str, tuple[str | None, str, str]] = {
    "AWS::S3::Bucket": ("BucketName", "name", "arn:aws:s3:::{name}"),
    "AWS::KMS::Key": (None, "id", "arn:aws:kms:{region}:{account}:key/{name}"),
    "AWS::KMS::Alias": ("AliasName", "name", "arn:aws:kms:{region}:{account}:{name}"),
    "AWS::IAM::Role": ("RoleName", "name", "arn:aws:iam::{account}:role/{name}"),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName", "arn", "arn:aws:iam::{account}:policy/{name}"),
    "AWS::SQS::Queue": ("QueueName", "url", "arn:aws:sqs:{region}:{account}:{name}"),
    "AWS::SNS::Topic": ("TopicName", "arn", "arn:aws:sns:{region}:{account}:{name}"),
    "AWS::DynamoDB::Table": ("TableName", "name", "arn:aws:dynamodb:{region}:{account}:table/{name}"),
    "AWS::Lambda::Function": ("FunctionName", "name", "arn:aws:lambda:{region}:{account}:function:{name}"),
    "AWS::Logs::LogGroup": ("LogGroupName", "name", "arn:aws:logs:{region}:{account}:log-group:{name}:*"),
    "AWS::Events::Rule": ("Name", "name", "arn:aws:events:{region}:{account}:rule/{name}"),
    "AWS::SSM::Parameter": ("Name", "name", "arn:aws:ssm:{region}:{account}:parameter/{name}"),
    "AWS::SageMaker::Pipeline": ("PipelineName", "name", "arn:aws:sagemaker:{region}:{account}:pipeline/{lname}"),
    "AWS::SageMaker::ModelPackageGroup": (
        "ModelPackageGroupName",
        "arn",
        "arn:aws:sagemaker:{region}:{account}:model-package-group/{lname}",
    ),
    "AWS::SageMaker::Endpoint": ("EndpointName", "arn", "arn:aws:sagemaker:{region}:{account}:endpoint/{lname}"),
    "AWS::SageMaker::EndpointConfig": (
        "EndpointConfigName",
        "arn",
        "arn:aws:sagemaker:{region}:{account}:endpoint-config/{lname}",
    ),
    "AWS::SageMaker::Model": ("ModelName", "arn", "arn:aws:sagemaker:{region}:{account}:model/{lname}"),
    "AWS::SageMaker::FeatureGroup": (
        "FeatureGroupName",
        "name",
        "arn:aws:sagemaker:{region}:{account}:feature-group/{lname}",
    ),
    "AWS::SageMaker::Domain": (None, "id", "arn:aws:sagemaker:{region}:{account}:domain/{name}"),
    "AWS::SageMaker::ModelCard": ("ModelCardName", "name", "arn:aws:sagemaker:{region}:{account}:model-card/{lname}"),
    "AWS::SageMaker::MlflowTrackingServer": (
        "TrackingServerName",
        "name",
        "arn:aws:sagemaker:{region}:{account}:mlflow-tracking-server/{lname}",
    ),
    "AWS::StepFunctions::StateMachine": (
        "StateMachineName",
        "arn",
        "arn:aws:states:{region}:{account}:stateMachine:{name}",
    ),
}

#: Ids of EC2-like resources: the ``Ref`` is ``<prefix>-<logical id>``.
_ID_PREFIX: dict[str, str] = {
    "AWS::EC2::VPC": "vpc",
    "AWS::EC2::Subnet": "subnet",
    "AWS::EC2::SecurityGroup": "sg",
    "AWS::EC2::VPCEndpoint": "vpce",
    "AWS::EC2::RouteTable": "rtb",
    "AWS::EC2::InternetGateway": "igw",
    "AWS::EC2::NatGateway": "nat",
    "AWS::EC2::PrefixList": "pl",
    "AWS::SageMaker::Domain": "d",
    "AWS::KMS::Key": "key",
}


@dataclass
class StackView:
    """One stack of the assembly: its template, environment and construct paths."""

    artifact_id: str
    stack_name: str
    template: dict[str, Any]
    account: str
    region: str
    #: construct path -> logical id (from the ``aws:cdk:logicalId`` metadata).
    logical_ids: dict[str, str] = field(default_factory=dict)
    #: logical id -> construct path of the resource.
    paths: dict[str, str] = field(default_factory=dict)
    #: all metadata entries: (construct path, type, data).
    metadata: list[tuple[str, str, Any]] = field(default_factory=list)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        res: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return res


class Assembly:
    """A cloud assembly directory (``cdk.out``), its stacks, and a resolver for their references.

    Args:
        outdir: the cloud assembly directory.
        account: the stand-in account for environment-agnostic stacks.
        region: the stand-in region for environment-agnostic stacks.
    """

    def __init__(self, outdir: str | Path, *, account: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> None:
        self.outdir = Path(outdir)
        manifest_path = self.outdir / "manifest.json"
        if not manifest_path.is_file():
            raise AssemblyError(f"{self.outdir}: no manifest.json (not a cloud assembly)")
        manifest = json.loads(manifest_path.read_text())
        self.stacks: dict[str, StackView] = {}
        for artifact_id, art in manifest.get("artifacts", {}).items():
            if art.get("type") != "aws:cloudformation:stack":
                continue
            props = art.get("properties", {})
            template = json.loads((self.outdir / props["templateFile"]).read_text())
            env = str(art.get("environment", "aws://unknown-account/unknown-region"))
            env_account, _, env_region = env.removeprefix("aws://").partition("/")
            view = StackView(
                artifact_id=artifact_id,
                stack_name=props.get("stackName", artifact_id),
                template=template,
                account=account if env_account.startswith("unknown") else env_account,
                region=region if env_region.startswith("unknown") else env_region,
            )
            metadata: dict[str, list[dict[str, Any]]] = dict(art.get("metadata", {}))
            extra = art.get("additionalMetadataFile")
            if extra and (self.outdir / extra).is_file():
                for path, entries in json.loads((self.outdir / extra).read_text()).items():
                    metadata.setdefault(path, []).extend(entries)
            for path, entries in metadata.items():
                for entry in entries:
                    view.metadata.append((path, entry.get("type", ""), entry.get("data")))
                    if entry.get("type") == "aws:cdk:logicalId":
                        view.logical_ids[path] = entry["data"]
                        view.paths[entry["data"]] = path
            self.stacks[artifact_id] = view
        self._exports: dict[str, tuple[StackView, Any]] = {}
        for view in self.stacks.values():
            for output in view.template.get("Outputs", {}).values():
                name = output.get("Export", {}).get("Name")
                if isinstance(name, str):
                    self._exports[name] = (view, output["Value"])

    # -- lookups -------------------------------------------------------------------------------

    def resources(self, resource_type: str | None = None) -> Iterator[tuple[StackView, str, dict[str, Any]]]:
        """Every resource (of ``resource_type``) as (stack, logical id, resource)."""
        for view in self.stacks.values():
            for lid, res in view.resources.items():
                if resource_type is None or res.get("Type") == resource_type:
                    yield view, lid, res

    def owner_of(self, logical_id: str, prefer: StackView) -> StackView:
        """The stack that holds ``logical_id``: ``prefer`` if it does, else the one other stack that does."""
        if logical_id in prefer.resources:
            return prefer
        owners = [v for v in self.stacks.values() if logical_id in v.resources]
        if len(owners) != 1:
            raise AssemblyError(
                f"{prefer.artifact_id}: reference to {logical_id!r} matches {len(owners)} stacks' resources"
            )
        return owners[0]

    def path_of(self, view: StackView, logical_id: str) -> str:
        return view.paths.get(logical_id, f"/{view.artifact_id}/{logical_id}")

    # -- resolution ----------------------------------------------------------------------------

    def physical_name(self, view: StackView, logical_id: str) -> str:
        """The stand-in physical name of a resource: its name property when literal, else derived."""
        res = view.resources[logical_id]
        name_prop = _TYPES.get(res.get("Type", ""), (None, "", ""))[0]
        if name_prop:
            given = res.get("Properties", {}).get(name_prop)
            if given is not None:
                value = self.resolve(view, given)
                if isinstance(value, str):
                    return value
        return f"{view.stack_name}-{_short(logical_id)}".lower()

    def ref(self, view: StackView, logical_id: str) -> Any:
        """What ``Ref`` returns for a resource or parameter of ``view``."""
        params = view.template.get("Parameters", {})
        if logical_id in params:
            default = params[logical_id].get("Default")
            if params[logical_id].get("Type", "").startswith("AWS::SSM::Parameter::Value"):
                return f"ssm-value-of:{default}"
            return default
        owner = self.owner_of(logical_id, view)
        res_type = owner.resources[logical_id].get("Type", "")
        if res_type in _ID_PREFIX and res_type not in _TYPES:
            return f"{_ID_PREFIX[res_type]}-{_short(owner.stack_name)}-{_short(logical_id)}"
        if res_type == "AWS::KMS::Key":
            return self._key_id(owner, logical_id)
        spec = _TYPES.get(res_type)
        if spec is None:
            return f"{owner.stack_name}-{_short(logical_id)}".lower()
        kind = spec[1]
        if kind == "arn":
            return self.arn(owner, logical_id)
        if kind == "url":
            return f"https://sqs.{owner.region}.{URL_SUFFIX}/{owner.account}/{self.physical_name(owner, logical_id)}"
        if kind == "id" and res_type == "AWS::SageMaker::Domain":
            return f"d-{_short(owner.stack_name)}-{_short(logical_id)}"
        return self.physical_name(owner, logical_id)

    @staticmethod
    def _key_id(view: StackView, logical_id: str) -> str:
        return f"key-{_short(view.stack_name)}-{_short(logical_id)}"

    def arn(self, view: StackView, logical_id: str) -> str:
        """The stand-in ARN of a resource."""
        res_type = view.resources[logical_id].get("Type", "")
        spec = _TYPES.get(res_type)
        if res_type == "AWS::KMS::Key":
            name = self._key_id(view, logical_id)
        elif res_type == "AWS::SageMaker::Domain":
            name = f"d-{_short(view.stack_name)}-{_short(logical_id)}"
        else:
            name = self.physical_name(view, logical_id)
        if spec is None:
            service = res_type.split("::")[1].lower() if res_type.count("::") == 2 else "unknown"
            kind = res_type.split("::")[-1].lower()
            return f"arn:{PARTITION}:{service}:{view.region}:{view.account}:{kind}/{name}"
        if res_type == "AWS::IAM::Role":
            path = view.resources[logical_id].get("Properties", {}).get("Path", "/")
            name = f"{str(path).strip('/')}/{name}".lstrip("/")
        return spec[2].format(name=name, lname=name.lower(), region=view.region, account=view.account)

    def get_att(self, view: StackView, logical_id: str, attribute: str) -> Any:
        """What ``Fn::GetAtt`` returns for a resource (stand-in values of the documented forms)."""
        owner = self.owner_of(logical_id, view)
        res = owner.resources[logical_id]
        res_type = res.get("Type", "")
        props = res.get("Properties", {})
        if attribute in ("Arn", "RoleArn", "PolicyArn", "TopicArn", "QueueArn", "TableArn", "FunctionArn") or (
            attribute.endswith("Arn") and res_type.startswith("AWS::SageMaker::")
        ):
            return self.arn(owner, logical_id)
        if attribute in ("KeyId",):
            return self._key_id(owner, logical_id)
        if attribute in ("GroupId", "VpcEndpointId", "SubnetId", "VpcId", "RouteTableId", "DomainId", "Id"):
            return self.ref(owner, logical_id)
        if attribute == "RoleId":
            return f"AROA{_short(logical_id).upper()[:17]}"
        if attribute in ("CidrBlock",) and "CidrBlock" in props:
            return self.resolve(owner, props["CidrBlock"])
        if attribute == "AvailabilityZone" and "AvailabilityZone" in props:
            return self.resolve(owner, props["AvailabilityZone"])
        if attribute in ("QueueName", "TopicName", "EndpointName", "ModelName", "EndpointConfigName", "PipelineName"):
            return self.physical_name(owner, logical_id)
        if attribute == "QueueUrl":
            return self.ref(owner, logical_id)
        if attribute == "DefaultSecurityGroup":
            return f"sg-default-{_short(owner.stack_name)}-{_short(logical_id)}"
        return f"{self.physical_name(owner, logical_id)}.{attribute}"

    def resolve(self, view: StackView, value: Any) -> Any:
        """``value`` with every intrinsic function resolved (``AWS::NoValue`` entries dropped)."""
        if isinstance(value, list):
            items = [self.resolve(view, v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self._pseudo(view, arg)
            if fn == "Fn::GetAtt":
                lid, attr = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(view, lid, str(self.resolve(view, attr)))
            if fn == "Fn::Join":
                sep, parts = arg
                return str(sep).join(str(self.resolve(view, p)) for p in self.resolve(view, parts))
            if fn == "Fn::Sub":
                return self._sub(view, arg)
            if fn == "Fn::Select":
                index, items = arg
                return self.resolve(view, items)[int(self.resolve(view, index))]
            if fn == "Fn::Split":
                sep, text = arg
                return str(self.resolve(view, text)).split(sep)
            if fn == "Fn::ImportValue":
                name = self.resolve(view, arg)
                if name not in self._exports:
                    raise AssemblyError(f"{view.artifact_id}: Fn::ImportValue of unknown export {name!r}")
                owner, exported = self._exports[name]
                return self.resolve(owner, exported)
            if fn == "Fn::GetStackOutput":
                stack_name = self.resolve(view, arg.get("StackName"))
                output = self.resolve(view, arg.get("OutputName"))
                for other in self.stacks.values():
                    if other.stack_name == stack_name and output in other.template.get("Outputs", {}):
                        return self.resolve(other, other.template["Outputs"][output]["Value"])
                raise AssemblyError(f"{view.artifact_id}: Fn::GetStackOutput of unknown {stack_name}.{output}")
            if fn == "Fn::FindInMap":
                mapping, top, second = (self.resolve(view, a) for a in arg)
                return view.template["Mappings"][mapping][top][second]
            if fn == "Fn::GetAZs":
                return [f"{view.region}a", f"{view.region}b", f"{view.region}c"]
            if fn == "Fn::If":
                cond, when_true, when_false = arg
                return self.resolve(view, when_true if self.condition(view, cond) else when_false)
            if fn == "Fn::Base64":
                return self.resolve(view, arg)
            if fn in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
                return self._condition_fn(view, fn, arg)
        return {k: v for k, v in ((k, self.resolve(view, v)) for k, v in value.items()) if v is not NO_VALUE}

    def condition(self, view: StackView, name: str) -> bool:
        """The value of a template condition."""
        conditions = view.template.get("Conditions", {})
        if name not in conditions:
            raise AssemblyError(f"{view.artifact_id}: unknown condition {name!r}")
        return bool(self.resolve(view, conditions[name]))

    def _condition_fn(self, view: StackView, fn: str, arg: Any) -> bool:
        if fn == "Condition":
            return self.condition(view, arg)
        if fn == "Fn::Equals":
            a, b = (self.resolve(view, x) for x in arg)
            return bool(a == b)
        if fn == "Fn::Not":
            return not self.resolve(view, arg[0])
        if fn == "Fn::And":
            return all(self.resolve(view, x) for x in arg)
        return any(self.resolve(view, x) for x in arg)

    def _pseudo(self, view: StackView, name: str) -> Any:
        pseudo: Mapping[str, Any] = {
            "AWS::Partition": PARTITION,
            "AWS::Region": view.region,
            "AWS::AccountId": view.account,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": view.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{view.region}:{view.account}:stack/{view.stack_name}/id",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        return self.ref(view, name)

    def _sub(self, view: StackView, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        resolved = {k: self.resolve(view, v) for k, v in variables.items()}

        def one(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in resolved:
                return str(resolved[token])
            if "." in token:
                lid, attr = token.split(".", 1)
                return str(self.get_att(view, lid, attr))
            return str(self._pseudo(view, token))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def properties(self, view: StackView, logical_id: str) -> dict[str, Any]:
        """A resource's properties with every reference resolved."""
        props = self.resolve(view, view.resources[logical_id].get("Properties", {}))
        return props if isinstance(props, dict) else {}

    def find(self, resource_type: str, predicate: Any) -> list[tuple[StackView, str]]:
        """Resources of ``resource_type`` whose resolved properties satisfy ``predicate(props)``."""
        return [(v, lid) for v, lid, _ in self.resources(resource_type) if predicate(self.properties(v, lid))]
