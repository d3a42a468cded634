"""Governed third-party models (docs/serve.md): an AWS Marketplace model package and a JumpStart model."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack

from constructs_ml.foundation import MlNetwork, PlatformKeys, SageMakerGuardrail
from constructs_ml.governance import apply_governance
from constructs_ml.serve import (
    AlarmTopic,
    ContainerImage,
    Endpoint,
    InstanceType,
    InstanceVariant,
    Model,
    ModelData,
)

ENV = Environment(account="111111111111", region="eu-west-1")
#: A seller's model package, subscribed to in AWS Marketplace (the seller's account, this region).
MARKETPLACE_PACKAGE = "arn:aws:sagemaker:eu-west-1:985815980388:model-package/sentiment-analysis-v2-1a2b3c4d5e6f"
#: An AWS deep learning container for the JumpStart model (from the model's JumpStart specs).
JUMPSTART_IMAGE = (
    "763104351884.dkr.ecr.eu-west-1.amazonaws.com/"
    "huggingface-pytorch-inference:2.1.0-transformers4.37.0-cpu-py310-ubuntu22.04"
)
JUMPSTART_ARTIFACT = "huggingface-infer/prepack/v1.0.0/infer-prepack-huggingface-text2text-flan-t5-small.tar.gz"


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    apply_governance(app)
    stack = Stack(app, "ThirdParty", env=ENV)
    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    guardrail = SageMakerGuardrail(stack, "Guardrail", keys=[keys.data])
    alerts = AlarmTopic(stack, "Alerts", master_key=keys.messaging)
    in_vpc = {
        "vpc": network.vpc,
        "vpc_subnets": network.subnet_selection,
        "security_groups": [network.workload_security_group],
        "guardrail": guardrail.policy,
    }

    # AWS Marketplace: the package names the seller's image and artifact; network isolation is required.
    sentiment = Model(stack, "Sentiment", model_package_arn=MARKETPLACE_PACKAGE, marketplace=True, **in_vpc)

    # JumpStart: an AWS image and the artifact in AWS's JumpStart bucket, read through the S3 gateway endpoint.
    network.allow_s3_buckets(ModelData.jumpstart_bucket(stack))
    flan = Model(
        stack,
        "FlanT5",
        image=ContainerImage.from_uri(JUMPSTART_IMAGE),
        model_data=ModelData.from_jumpstart(stack, JUMPSTART_ARTIFACT),
        environment={"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"},
        **in_vpc,
    )

    for name, model in (("SentimentEndpoint", sentiment), ("FlanT5Endpoint", flan)):
        Endpoint(
            stack,
            name,
            variants=[InstanceVariant(model=model, instance_type=InstanceType.ML_M5_XLARGE, initial_instance_count=2)],
            kms_key=keys.data,
            alarm_topic=alerts.topic,
        )
    return app


if __name__ == "__main__":
    build_app().synth()
