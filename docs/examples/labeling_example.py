"""Labeling example (docs/labeling.md): a private workforce and team, and a labeling workflow whose labeled
manifest lands where the retraining trigger listens for new data."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack

from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, SageMakerGuardrail
from constructs_ml.governance import apply_governance
from constructs_ml.label import AutomatedLabeling, LabelingTaskType, LabelingWorkflow, PrivateWorkforce, Workteam
from constructs_ml.serve import S3Path


def build_app(outdir: str | None = None) -> App:
    app = App(outdir=outdir)
    stack = Stack(app, "LabelingExample", env=Environment(account="111111111111", region="eu-west-1"))

    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id="pl-6da54004")
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    guardrail = SageMakerGuardrail(stack, "Guardrail", keys=[keys.data])

    # One private workforce per account and region: Cognito with MFA, reachable from the office only.
    workforce = PrivateWorkforce(stack, "Workforce", source_ip_cidrs=["203.0.113.0/24"])
    team = Workteam(stack, "Labelers", workforce=workforce, description="Churn image labelers")

    data = buckets.data.bucket
    workflow = LabelingWorkflow(
        stack,
        "LabelImages",
        workteam=team,
        task_type=LabelingTaskType.BOUNDING_BOX,
        manifest=S3Path(data, "churn/labeling/input.manifest"),
        data=[S3Path(data, "churn/images")],
        ui_template=S3Path(buckets.artifacts.bucket, "labeling/bounding-box.liquid.html"),
        label_categories=S3Path(buckets.artifacts.bucket, "labeling/categories.json"),
        allowed_buckets=[data, buckets.artifacts.bucket],
        output=S3Path(data, "churn/labeling/output"),
        # the prefix RetrainingTrigger(new_data=NewDataTrigger(buckets.data, "churn/incoming/")) watches
        publish_to=S3Path(data, "churn/incoming"),
        automated_labeling=AutomatedLabeling(vpc=network.vpc, security_groups=[network.workload_security_group]),
        workers_per_object=3,
        key=keys.data,
        log_key=keys.logs,
        guardrail=guardrail.policy,
    )
    assert workflow.state_machine_arn

    apply_governance(app)  # cdk-nag packs + the SageMaker pack: synth fails on any finding
    return app


if __name__ == "__main__":
    build_app().synth()
