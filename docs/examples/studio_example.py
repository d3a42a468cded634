"""Studio example of the README (docs/studio.md): a governed, VPC-only Studio domain with two users."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack

from constructs_ml.foundation import MlNetwork, PersonaKind, Personas, PlatformBuckets, PlatformKeys
from constructs_ml.governance import apply_governance
from constructs_ml.studio import AppInstanceType, StudioDomain, StudioLifecycleConfig, StudioPersona


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    stack = Stack(app, "StudioExample", env=Environment(account="111111111111", region="eu-west-1"))

    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    personas = Personas(stack, "Personas", keys=keys, buckets=buckets, network=network)

    # VPC-only, KMS-encrypted, Docker and sharing off, built-in idle shutdown after an hour.
    studio = StudioDomain(
        stack,
        "Studio",
        network=network,
        key=keys.data,
        personas=StudioPersona.all_from(personas),
        # optional: also the shipped idle-shutdown script (it stops apps with DeleteApp)
        lifecycle_configs=[StudioLifecycleConfig.idle_shutdown(stack, "IdleShutdown")],
    )
    for kind in (PersonaKind.DATA_SCIENTIST, PersonaKind.ML_ENGINEER):
        studio.grant_idle_shutdown(personas.studio_execution_role(kind))

    studio.add_user("ada", persona=PersonaKind.DATA_SCIENTIST)
    studio.add_user("grace", persona=PersonaKind.ML_ENGINEER, default_instance_type=AppInstanceType.ML_M5_LARGE)

    # People open Studio only through the VPC endpoints, only their own profile
    # (named by their `studio-user-profile` session tag).
    studio.grant_presigned_url(personas.role(PersonaKind.DATA_SCIENTIST))
    studio.grant_presigned_url(personas.role(PersonaKind.ML_ENGINEER))

    # Optional: managed MLflow with artifacts in the platform's artifacts bucket.
    studio.add_mlflow_tracking_server(artifact_bucket=buckets.artifacts.bucket, guardrail=personas.guardrail.policy)

    apply_governance(app)  # cdk-nag packs + the SageMaker pack: synth fails on any finding
    return app


if __name__ == "__main__":
    build_app().synth()
