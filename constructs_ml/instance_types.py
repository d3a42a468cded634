"""The one SageMaker ML instance type class, shared by every layer.

:class:`InstanceType` is exported as ``constructs_ml.develop.InstanceType`` (pipeline steps, model
registration) and as ``constructs_ml.serve.InstanceType`` (endpoints, batch transform, monitoring
jobs): both names are this class. It lives outside ``build`` and ``serve`` so that either layer may
import it without ``build`` depending on ``serve``.
"""

from __future__ import annotations

import re
from typing import ClassVar

from constructs_ml._jsii_cache import is_unresolved

#: SageMaker developer guide, "Instance storage volumes" (hosting): instance types with NVMe instance
#: storage get no EBS ML storage volume, so ``VolumeSizeInGB`` is not supported on them.
HOST_INSTANCE_STORAGE = "https://docs.aws.amazon.com/sagemaker/latest/dg/host-instance-storage.html"

#: ``ml.<family>.<size>``, e.g. ``ml.m5.xlarge``, ``ml.g6e.2xlarge``, ``ml.trn1n.32xlarge``.
ML_INSTANCE_TYPE = re.compile(r"ml\.[a-z0-9-]+\.[a-z0-9]+")


class InstanceType:
    """An ML instance type for training, processing, transform, hosting or monitoring jobs.

    Use a constant (``InstanceType.ML_M5_LARGE``) or :meth:`of` for any other type
    (``InstanceType.of("ml.g6.xlarge")``). :meth:`of` accepts any name (also a token); the construct or
    pipeline step that uses the instance type validates it, so a name that does not look like
    ``ml.<family>.<size>`` (e.g. ``m5.large``, without ``ml.``) is a ``ValidationError`` there.
    Pipeline steps also take a pipeline parameter (e.g. a ``ParameterString``) instead of an instance type.

    Two instance types are equal when their names are; they are hashable and immutable.

    Attributes:
        name: the SageMaker name, e.g. ``ml.m5.large`` (or a token).
    """

    ML_T2_MEDIUM: ClassVar[InstanceType]
    ML_M5_LARGE: ClassVar[InstanceType]
    ML_M5_XLARGE: ClassVar[InstanceType]
    ML_M5_2XLARGE: ClassVar[InstanceType]
    ML_C5_LARGE: ClassVar[InstanceType]
    ML_C5_XLARGE: ClassVar[InstanceType]
    ML_C5_2XLARGE: ClassVar[InstanceType]
    ML_G4DN_XLARGE: ClassVar[InstanceType]
    ML_G5_XLARGE: ClassVar[InstanceType]
    ML_G5_2XLARGE: ClassVar[InstanceType]
    ML_P3_2XLARGE: ClassVar[InstanceType]
    ML_INF2_XLARGE: ClassVar[InstanceType]

    #: NVIDIA GPU families (SageMaker publishes ``GPUUtilization`` for them).
    GPU_FAMILIES: ClassVar[frozenset[str]] = frozenset(
        {"p2", "p3", "p4d", "p4de", "p5", "g4dn", "g5", "g6", "g6e", "g4ad"}
    )
    #: AWS Inferentia and Trainium families.
    ACCELERATOR_FAMILIES: ClassVar[frozenset[str]] = frozenset({"inf1", "inf2", "trn1", "trn1n"})

    #: Families whose instances carry NVMe instance storage instead of an EBS ML storage volume: an
    #: endpoint variant on them takes no ``VolumeSizeInGB`` (:data:`HOST_INSTANCE_STORAGE`).
    INSTANCE_STORAGE_FAMILIES: ClassVar[frozenset[str]] = frozenset(
        {"c5d", "m5d", "r5d", "g4dn", "g4ad", "g5", "g6", "g6e", "p3dn", "p4d", "p4de", "p5", "p5e", "trn1", "trn1n"}
    )

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    @classmethod
    def of(cls, name: str) -> InstanceType:
        """Any instance type by name, ``ml.<family>.<size>`` (checked by the construct or step that uses it)."""
        return cls(name)

    @property
    def name(self) -> str:
        """The SageMaker name, e.g. ``ml.m5.large`` (or a token)."""
        return self._name

    @property
    def is_token(self) -> bool:
        """True if the name is unresolved (e.g. a CloudFormation parameter): it cannot be checked at synth."""
        return is_unresolved(self._name)

    @property
    def is_valid(self) -> bool:
        """True if the name looks like an ML instance type (``ml.<family>.<size>``) or is a token."""
        return self.is_token or ML_INSTANCE_TYPE.fullmatch(self._name) is not None

    @property
    def family(self) -> str:
        """The family, e.g. ``m5`` for ``ml.m5.large`` (empty for tokens and malformed names)."""
        if not self.is_valid or self.is_token:
            return ""
        return self._name.split(".")[1]

    @property
    def is_gpu(self) -> bool:
        """True for NVIDIA GPU families (``GPUUtilization`` is published for them)."""
        return self.family in self.GPU_FAMILIES

    @property
    def is_accelerated(self) -> bool:
        """True for GPU, Inferentia and Trainium families."""
        return self.is_gpu or self.family in self.ACCELERATOR_FAMILIES

    @property
    def has_instance_storage(self) -> bool:
        """True for families with NVMe instance storage (no EBS volume size may be set for hosting)."""
        return self.family in self.INSTANCE_STORAGE_FAMILIES

    def __str__(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"InstanceType({self._name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InstanceType) and other.name == self._name

    def __hash__(self) -> int:
        return hash(self._name)


InstanceType.ML_T2_MEDIUM = InstanceType("ml.t2.medium")
InstanceType.ML_M5_LARGE = InstanceType("ml.m5.large")
InstanceType.ML_M5_XLARGE = InstanceType("ml.m5.xlarge")
InstanceType.ML_M5_2XLARGE = InstanceType("ml.m5.2xlarge")
InstanceType.ML_C5_LARGE = InstanceType("ml.c5.large")
InstanceType.ML_C5_XLARGE = InstanceType("ml.c5.xlarge")
InstanceType.ML_C5_2XLARGE = InstanceType("ml.c5.2xlarge")
InstanceType.ML_G4DN_XLARGE = InstanceType("ml.g4dn.xlarge")
InstanceType.ML_G5_XLARGE = InstanceType("ml.g5.xlarge")
InstanceType.ML_G5_2XLARGE = InstanceType("ml.g5.2xlarge")
InstanceType.ML_P3_2XLARGE = InstanceType("ml.p3.2xlarge")
InstanceType.ML_INF2_XLARGE = InstanceType("ml.inf2.xlarge")

__all__ = ["HOST_INSTANCE_STORAGE", "ML_INSTANCE_TYPE", "InstanceType"]
