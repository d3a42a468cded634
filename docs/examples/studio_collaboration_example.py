"""Studio collaboration example (docs/studio.md): a curated JumpStart hub, spaces and a custom image."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecr as ecr

from constructs_ml.foundation import MlNetwork, PersonaKind, Personas, PlatformBuckets, PlatformKeys
from constructs_ml.governance import apply_governance
from constructs_ml.studio import (
    CuratedHub,
    JumpStartModel,
    SpaceAppType,
    SpaceSharing,
    StudioDomain,
    StudioImage,
    StudioPersona,
)


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    stack = Stack(app, "StudioCollaborationExample", env=Environment(account="111111111111", region="eu-west-1"))

    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    personas = Personas(stack, "Personas", keys=keys, buckets=buckets, network=network)

    # The models the platform team allows; Studio users browse this hub only (not the public one).
    hub = CuratedHub(
        stack,
        "Hub",
        description="Foundation models approved by the platform team",
        models=[
            JumpStartModel("huggingface-llm-mistral-7b-instruct"),
            JumpStartModel("meta-textgeneration-llama-3-8b", min_version="2.0.0"),
        ],
    )
    hub.grant_manage_content(personas.role(PersonaKind.PLATFORM_ADMIN))

    # A JupyterLab image from the platform's ECR repository, read by its own scoped role.
    image = StudioImage(
        stack,
        "TeamImage",
        repository=ecr.Repository.from_repository_name(stack, "ImageRepo", "platform/studio-jupyterlab"),
        tag="2026.12.1",
        description="Team JupyterLab image: the platform's Python stack, packages from the internal index",
        environment={"PIP_INDEX_URL": "https://pypi.internal.example/simple"},
        guardrail=personas.guardrail.policy,
    )

    studio = StudioDomain(
        stack,
        "Studio",
        network=network,
        key=keys.data,
        personas=StudioPersona.all_from(personas),
        curated_hub=hub,
        custom_images=[image],
    )
    ada = studio.add_user("ada", persona=PersonaKind.DATA_SCIENTIST)
    grace = studio.add_user("grace", persona=PersonaKind.ML_ENGINEER)

    # A private space for Ada, and a shared Code Editor space for the team (owned by Grace).
    studio.add_space("ada-scratch", owner=ada)
    studio.add_space(
        "churn-team", owner=grace, sharing=SpaceSharing.SHARED, app_type=SpaceAppType.CODE_EDITOR, storage_gb=50
    )

    apply_governance(app)  # cdk-nag packs + the SageMaker pack: synth fails on any finding
    return app


if __name__ == "__main__":
    build_app().synth()
