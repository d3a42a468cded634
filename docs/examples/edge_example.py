"""Edge example (docs/edge.md): an approved model as a Greengrass V2 component with its inference application,
deployed to a thing group (on demand), and every later approval of a group deployed to another thing group
(on approval); devices download with token-exchange roles scoped to their artifacts."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack

from constructs_ml.edge import EdgeDeployment, EdgeDeployOnApproval, EdgeInference
from constructs_ml.foundation import DEFAULT_ENDPOINTS, EndpointService, MlNetwork, PlatformBuckets, PlatformKeys
from constructs_ml.governance import apply_governance
from constructs_ml.serve import AlarmTopic, S3Path


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    stack = Stack(app, "EdgeExample", env=Environment(account="111111111111", region="eu-west-1"))

    keys = PlatformKeys(stack, "Keys")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    artifacts = buckets.artifacts.bucket

    # On demand: the model is fixed at synth, so every deploy is reproducible.
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

    # On approval: each approved package of "churn-edge" goes to the kiosks as version <package>.0.0.
    network = MlNetwork(
        stack,
        "Network",
        logs_key=keys.logs,
        s3_prefix_list_id="pl-6da54004",
        endpoints=[*DEFAULT_ENDPOINTS, EndpointService.GREENGRASS],  # the function calls Greengrass privately
    )
    alerts = AlarmTopic(stack, "Alerts", master_key=keys.messaging)
    EdgeDeployOnApproval(
        stack,
        "KiosksOnApproval",
        model_package_group_arn="arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/churn-edge",
        artifacts=S3Path(artifacts, "edge/churn-edge"),  # packages' ModelDataUrl must be under it
        artifact_key=keys.data,
        component_name="com.example.churn.KioskModel",
        thing_group_name="kiosks",
        additional_components={"aws.greengrass.Nucleus": "2.14.3"},
        vpc=network.vpc,
        endpoint_security_group=network.endpoint_security_group,
        key=keys.messaging,
        log_key=keys.logs,
        alarm_topic=alerts.topic,
    )

    apply_governance(app)  # cdk-nag packs + the SageMaker pack: synth fails on any finding
    return app


if __name__ == "__main__":
    build_app().synth()
