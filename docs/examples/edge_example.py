"""Edge example (docs/edge.md): an approved model as a Greengrass V2 component with its inference application,
deployed to a thing group; devices download it with a token-exchange role scoped to these two objects."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack

from constructs_ml.edge import EdgeDeployment, EdgeInference
from constructs_ml.foundation import PlatformBuckets, PlatformKeys
from constructs_ml.governance import apply_governance
from constructs_ml.serve import S3Path


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    stack = Stack(app, "EdgeExample", env=Environment(account="111111111111", region="eu-west-1"))

    keys = PlatformKeys(stack, "Keys")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    artifacts = buckets.artifacts.bucket

    edge = EdgeDeployment(
        stack,
        "ChurnAtTheEdge",
        model=S3Path(artifacts, "edge/churn/3/model.onnx"),  # the approved package's ONNX export
        key=keys.data,
        component_name="com.example.churn.Model",
        component_version="3.0.0",
        inference=EdgeInference(
            code=S3Path(artifacts, "edge/churn/3/app.zip"),
            run=(
                "python3 -u {artifacts:decompressedPath}/app/serve.py"
                " --model {com.example.churn.Model:artifacts:path}/model.onnx"
            ),
        ),
        thing_group_name="store-gateways",
        # a deployment replaces the group's component set: keep the nucleus version the devices run
        additional_components={"aws.greengrass.Nucleus": "2.14.3"},
    )
    # devices' certificates need this IoT policy; their nucleus config names the role alias
    assert edge.token_exchange_role.device_policy is not None

    apply_governance(app)  # cdk-nag packs + the SageMaker pack: synth fails on any finding
    return app


if __name__ == "__main__":
    build_app().synth()
