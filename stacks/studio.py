"""The reference platform's Studio: a VPC-only domain with two user profiles.

Wiring (in the platform stack, after keys, network, buckets and personas exist)::

    self.studio = StudioResources(self, "Studio", network=network, keys=keys, buckets=self.buckets,
                                  personas=self.personas)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from constructs_ml.errors import Problems
from constructs_ml.foundation import MlNetwork, PersonaKind, Personas, PlatformBuckets, PlatformKeys
from constructs_ml.studio import StudioDomain, StudioPersona, UserProfile


@dataclass(frozen=True)
class StudioUser:
    """One Studio user of the reference platform.

    Attributes:
        name: the user profile name (and the value of the person's ``studio-user-profile`` session tag).
        persona: the person's persona.
    """

    name: str
    persona: PersonaKind


#: The two example users of the reference platform.
DEFAULT_USERS: tuple[StudioUser, ...] = (
    StudioUser("example-data-scientist", PersonaKind.DATA_SCIENTIST),
    StudioUser("example-ml-engineer", PersonaKind.ML_ENGINEER),
)


class StudioResources(Construct):
    """The Studio domain of the reference platform, its users, and who may open Studio.

    The domain uses the platform network (VPC-only, workload security group), the data key, and the
    personas' Studio execution roles (data scientist as the default). The data-scientist and ML-engineer
    person roles may create presigned Studio URLs only through the VPC endpoints, and only for the profile
    named by their ``studio-user-profile`` session tag.

    Args:
        scope: parent construct.
        construct_id: construct id.
        network: the platform network.
        keys: the platform keys.
        buckets: the platform buckets (MLflow artifacts go to the artifacts bucket).
        personas: the platform personas.
        users: the user profiles: :data:`DEFAULT_USERS`.
        mlflow: add a managed MLflow tracking server: no.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: MlNetwork,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        personas: Personas,
        users: Sequence[StudioUser] = DEFAULT_USERS,
        mlflow: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.unique("users", [u.name for u in users])
        problems.raise_if_any()
        self.domain = StudioDomain(
            self, "Domain", network=network, key=keys.data, personas=StudioPersona.all_from(personas)
        )
        self.users: dict[str, UserProfile] = {u.name: self.domain.add_user(u.name, persona=u.persona) for u in users}
        for kind in sorted({u.persona for u in users}, key=lambda k: k.value):
            self.domain.grant_presigned_url(personas.role(kind))
        self.mlflow = (
            self.domain.add_mlflow_tracking_server(
                artifact_bucket=buckets.artifacts.bucket, guardrail=personas.guardrail.policy
            )
            if mlflow
            else None
        )
