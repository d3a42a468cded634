"""Distributed training on pipeline steps: launcher settings, and the network a multi-instance job needs.

A training job with more than one instance runs its instances in the pipeline's VPC and security
groups. AWS's pages say what those groups must allow between the instances:

* the instances talk to each other ("Give SageMaker training jobs access to resources in your Amazon
  VPC", :data:`~constructs_ml.contracts.sources.TRAINING_VPC`): all TCP within the group, both ways;
* with inter-container traffic encryption (on by default here), IPsec between them ("Protect
  communications between ML compute instances in a distributed training job",
  :data:`~constructs_ml.contracts.sources.INTER_CONTAINER_ENCRYPTION`): UDP 500 and ESP (IP protocol 50)
  within the group, both ways.

:class:`~constructs_ml.foundation.MlNetwork`'s workload security group has all of them.
:func:`missing_peer_rules` reads a group's rules from the construct tree (inline rules and the
``AWS::EC2::SecurityGroupIngress``/``Egress`` resources of its stack), and a :class:`TrainingPipeline
<constructs_ml.develop.TrainingPipeline>` with a multi-instance step fails synth when its groups lack one.

Framework images start their processes from ``sagemaker_*`` hyperparameters (what the SageMaker Python
SDK's ``distribution=`` renders); :class:`Distribution` renders the same ones.

Example::

    TrainingStep("Train", image=ContainerImage.from_uri(pytorch_training_uri),
        instance_type=InstanceType.of("ml.g5.12xlarge"), instance_count=4,
        distribution=Distribution.torch_distributed(),
        inputs=[TrainingInput("train", data, distribution=S3DataDistribution.SHARDED_BY_S3_KEY)])
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import jsii
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from constructs import IConstruct, IValidation

from constructs_ml._jsii_cache import stack_of
from constructs_ml.contracts import sources as src
from constructs_ml.errors import Problems
from constructs_ml.instance_types import InstanceType


class S3DataDistribution:
    """How a training channel's S3 objects are spread over the instances (``S3DataDistributionType``)."""

    #: Every instance gets every object (the default).
    FULLY_REPLICATED = "FullyReplicated"
    #: Each instance gets ``1/instance_count`` of the objects (by key): data-parallel training.
    SHARDED_BY_S3_KEY = "ShardedByS3Key"

    ALL: tuple[str, ...] = (FULLY_REPLICATED, SHARDED_BY_S3_KEY)


class DistributionStrategy(Enum):
    """The launchers AWS's framework training images start from hyperparameters (SageMaker Python SDK)."""

    #: ``torchrun`` on every instance (PyTorch, Hugging Face images).
    TORCH_DISTRIBUTED = "sagemaker_torch_distributed_enabled"
    #: PyTorch DDP through ``mpirun`` (PyTorch images).
    PYTORCH_DDP = "sagemaker_pytorch_ddp_enabled"
    #: MPI (Horovod and the like; TensorFlow, PyTorch, MXNet images).
    MPI = "sagemaker_mpi_enabled"
    #: The SageMaker distributed data parallel library (smddp).
    SMDDP = "sagemaker_distributed_dataparallel_enabled"
    #: TensorFlow/MXNet parameter servers.
    PARAMETER_SERVER = "sagemaker_parameter_server_enabled"
    #: TensorFlow ``MultiWorkerMirroredStrategy``.
    MULTI_WORKER_MIRRORED = "sagemaker_multi_worker_mirrored_strategy_enabled"


#: Hyperparameters the SDK adds next to the launcher's switch.
INSTANCE_TYPE_HYPERPARAMETER = "sagemaker_instance_type"
MPI_PROCESSES_HYPERPARAMETER = "sagemaker_mpi_num_of_processes_per_host"
MPI_OPTIONS_HYPERPARAMETER = "sagemaker_mpi_custom_mpi_options"
SMDDP_OPTIONS_HYPERPARAMETER = "sagemaker_distributed_dataparallel_custom_mpi_options"


@dataclass(frozen=True)
class Distribution:
    """How a framework image distributes training over the job's instances.

    Attributes:
        strategy: the launcher.
        processes_per_host: MPI only: processes per instance (e.g. the GPUs per instance): the image's default.
        custom_mpi_options: MPI and SMDDP only: extra ``mpirun`` options: none.
    """

    strategy: DistributionStrategy
    processes_per_host: int | None = None
    custom_mpi_options: str | None = None

    @staticmethod
    def torch_distributed() -> Distribution:
        return Distribution(DistributionStrategy.TORCH_DISTRIBUTED)

    @staticmethod
    def mpi(processes_per_host: int | None = None, custom_mpi_options: str | None = None) -> Distribution:
        return Distribution(DistributionStrategy.MPI, processes_per_host, custom_mpi_options)

    def hyperparameters(self, instance_type: InstanceType | Any) -> dict[str, str]:
        """The ``sagemaker_*`` hyperparameters, JSON-encoded as the SDK sends them (the images decode JSON)."""
        out = {self.strategy.value: json.dumps(True)}
        if self.strategy is DistributionStrategy.TORCH_DISTRIBUTED and isinstance(instance_type, InstanceType):
            out[INSTANCE_TYPE_HYPERPARAMETER] = json.dumps(instance_type.name)
        if self.processes_per_host is not None:
            out[MPI_PROCESSES_HYPERPARAMETER] = json.dumps(self.processes_per_host)
        if self.custom_mpi_options is not None:
            key = (
                SMDDP_OPTIONS_HYPERPARAMETER
                if self.strategy is DistributionStrategy.SMDDP
                else MPI_OPTIONS_HYPERPARAMETER
            )
            out[key] = json.dumps(self.custom_mpi_options)
        return out

    def validate(self, problems: Problems, prop: str) -> None:
        if self.processes_per_host is not None:
            problems.require(
                self.strategy is DistributionStrategy.MPI,
                f"{prop}.processes_per_host",
                self.processes_per_host,
                "only with DistributionStrategy.MPI",
            )
            problems.require_range(f"{prop}.processes_per_host", self.processes_per_host, 1, None)
        if self.custom_mpi_options is not None:
            problems.require(
                self.strategy in (DistributionStrategy.MPI, DistributionStrategy.SMDDP),
                f"{prop}.custom_mpi_options",
                self.custom_mpi_options,
                "only with DistributionStrategy.MPI or SMDDP",
            )


# -- the network of a multi-instance job ----------------------------------------------------------

#: (direction, protocol, port, what) the group must allow between its members; port -1: every port.
_ALWAYS: tuple[tuple[str, str, int, str], ...] = (
    ("ingress", "tcp", -1, "all TCP"),
    ("egress", "tcp", -1, "all TCP"),
)
_IPSEC: tuple[tuple[str, str, int, str], ...] = (
    ("ingress", "udp", 500, "UDP 500 (IKE)"),
    ("egress", "udp", 500, "UDP 500 (IKE)"),
    ("ingress", "esp", 0, "ESP (IP protocol 50)"),
    ("egress", "esp", 0, "ESP (IP protocol 50)"),
)
_PROTOCOLS = {"6": "tcp", "17": "udp", "50": "esp"}


def required_peer_rules(*, encrypted: bool) -> tuple[tuple[str, str, int, str], ...]:
    """What a multi-instance job's security groups must allow between their members."""
    return _ALWAYS + (_IPSEC if encrypted else ())


def _key(stack: Stack, value: Any) -> str:
    return json.dumps(stack.resolve(value), sort_keys=True)


def _covers(rule: dict[str, Any], protocol: str, port: int) -> bool:
    proto = str(rule.get("IpProtocol", "")).lower()
    proto = _PROTOCOLS.get(proto, proto)
    if proto == "-1":
        return True
    if proto != protocol:
        return False
    if protocol == "esp":
        return True
    low, high = rule.get("FromPort"), rule.get("ToPort")
    if not isinstance(low, int) or not isinstance(high, int):
        return False
    return (low <= 0 and high >= 65535) if port == -1 else low <= port <= high


def _rules_of(groups: Sequence[ec2.CfnSecurityGroup]) -> list[tuple[str, dict[str, Any]]]:
    """(direction, rule) of every rule of ``groups`` whose peer is one of ``groups`` (or anywhere, for egress)."""
    out: list[tuple[str, dict[str, Any]]] = []
    by_stack: dict[str, tuple[Stack, set[str]]] = {}
    for g in groups:
        stack = stack_of(g)
        ids = by_stack.setdefault(stack.node.path, (stack, set()))[1]
        ids.add(_key(stack, g.attr_group_id))
        ids.add(_key(stack, g.ref))
    peers = {i for _, ids in by_stack.values() for i in ids}
    for stack, ids in by_stack.values():
        for g in groups:
            if stack_of(g) is not stack:
                continue
            for direction, prop in (("ingress", g.security_group_ingress), ("egress", g.security_group_egress)):
                for raw in stack.resolve(prop) or []:
                    # Inline rules resolve with the L1 struct's camelCase keys before rendering.
                    rule = {k[:1].upper() + k[1:]: v for k, v in raw.items()}
                    peer = rule.get("SourceSecurityGroupId") or rule.get("DestinationSecurityGroupId")
                    open_egress = direction == "egress" and rule.get("CidrIp") == "0.0.0.0/0"
                    if open_egress or (peer is not None and json.dumps(peer, sort_keys=True) in peers):
                        out.append((direction, rule))
        for c in stack.node.find_all():
            if isinstance(c, ec2.CfnSecurityGroupIngress):
                group, peer_value, direction = c.group_id, c.source_security_group_id, "ingress"
            elif isinstance(c, ec2.CfnSecurityGroupEgress):
                group, peer_value, direction = c.group_id, c.destination_security_group_id, "egress"
            else:
                continue
            if _key(stack, group) not in ids:
                continue
            open_egress = isinstance(c, ec2.CfnSecurityGroupEgress) and c.cidr_ip == "0.0.0.0/0"
            if open_egress or (peer_value is not None and _key(stack, peer_value) in peers):
                out.append(
                    (
                        direction,
                        {"IpProtocol": c.ip_protocol, "FromPort": c.from_port, "ToPort": c.to_port},
                    )
                )
    return out


def missing_peer_rules(groups: Sequence[ec2.ISecurityGroup], *, encrypted: bool) -> tuple[list[str], list[str]]:
    """What ``groups`` do not allow between their members for a multi-instance job.

    Returns:
        (missing rules as "ingress UDP 500 (IKE)"..., paths of groups whose rules cannot be read:
        imported groups, checked by no one at synth).
    """
    owned: list[ec2.CfnSecurityGroup] = []
    unreadable: list[str] = []
    for g in groups:
        cfn = g.node.default_child
        if isinstance(cfn, ec2.CfnSecurityGroup):
            owned.append(cfn)
        else:
            unreadable.append(g.node.path)
    if not owned:
        return [], unreadable
    rules = _rules_of(owned)
    missing = [
        f"{direction} {what}"
        for direction, protocol, port, what in required_peer_rules(encrypted=encrypted)
        if not any(d == direction and _covers(r, protocol, port) for d, r in rules)
    ]
    return ([] if unreadable else missing), unreadable


@jsii.implements(IValidation)
class DistributedNetworkCheck:
    """Synth-time check (``node.add_validation``): the groups of multi-instance steps allow what they need."""

    def __init__(self, groups: Sequence[ec2.ISecurityGroup], steps: Sequence[tuple[str, bool]]) -> None:
        self.groups = list(groups)
        self.steps = list(steps)

    def validate(self) -> list[str]:
        errors: list[str] = []
        for encrypted in sorted({e for _, e in self.steps}):
            missing, _ = missing_peer_rules(self.groups, encrypted=encrypted)
            if missing:
                names = ", ".join(n for n, e in self.steps if e == encrypted)
                errors.append(
                    f"security_groups ({', '.join(g.node.path for g in self.groups)}) lack the rules between "
                    f"their members that multi-instance training needs (steps {names}): {', '.join(missing)}. "
                    f"AWS: {src.TRAINING_VPC}"
                    + (f" and {src.INTER_CONTAINER_ENCRYPTION}" if encrypted else "")
                    + ". MlNetwork.workload_security_group has them; or add them with "
                    "sg.add_ingress_rule(sg, ...) and sg.add_egress_rule(sg, ...)."
                )
        return errors


def is_multi_instance(instance_count: Any) -> bool:
    """A step whose instance count is above 1, or a pipeline parameter (it may be, at run time)."""
    return not isinstance(instance_count, int) or instance_count > 1


def multi_instance_jobs(doc: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(step, inter-container encryption) of a definition's training and tuning steps that run several
    instances (``ResourceConfig.InstanceCount`` above 1, or an expression such as a pipeline parameter)."""
    from constructs_ml.develop.pipeline.definition import walk_steps

    out: list[tuple[str, bool]] = []
    for step, _ in walk_steps(doc.get("Steps")):
        args = step.get("Arguments") or {}
        if step.get("Type") == "Training":
            jobs = [args]
        elif step.get("Type") == "Tuning":
            jobs = [j for j in [args.get("TrainingJobDefinition"), *(args.get("TrainingJobDefinitions") or [])] if j]
        else:
            continue
        for job in jobs:
            count = (job.get("ResourceConfig") or {}).get("InstanceCount", 1)
            if is_multi_instance(count):
                encrypted = job.get("EnableInterContainerTrafficEncryption") in (True, "true", "True")
                out.append((str(step.get("Name")), encrypted))
                break
    return out


def add_network_check(
    scope: IConstruct, groups: Sequence[ec2.ISecurityGroup], steps: Sequence[tuple[str, bool]]
) -> list[str]:
    """Add the synth-time check for ``steps`` ((name, inter-container encryption)) to ``scope``.

    Returns:
        the paths of the groups whose rules cannot be read (imported), for a warning.
    """
    unreadable = [g.node.path for g in groups if not isinstance(g.node.default_child, ec2.CfnSecurityGroup)]
    if steps:
        scope.node.add_validation(DistributedNetworkCheck(groups, steps))
    return unreadable


__all__ = [
    "DistributedNetworkCheck",
    "Distribution",
    "DistributionStrategy",
    "S3DataDistribution",
    "add_network_check",
    "is_multi_instance",
    "missing_peer_rules",
    "multi_instance_jobs",
    "required_peer_rules",
]
