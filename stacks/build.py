"""The build stack of the reference platform: the churn training pipeline (which also computes the
monitoring baselines of every model it registers), its model registry (read-only cross-account access only
for configured reader accounts), a model card, and the customer feature group (online + offline stores).

Wiring (in ``stacks/app.py``, after the network and platform stacks)::

    build = BuildStack(app, "Build", stack_name=config.stack_name("build"), config=BuildConfig(),
                       keys=network.keys, network=network.network, buckets=platform.buckets,
                       guardrail=platform.personas.guardrail.policy,
                       approver=platform.personas.role(PersonaKind.MODEL_APPROVER), env=env)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_ml.develop import (
    BuiltinAlgorithm,
    Condition,
    ConditionStep,
    ContainerImage,
    DatasetFormat,
    DriftCheckBaselines,
    Evaluation,
    EvaluationMetric,
    FailStep,
    FeatureDefinition,
    FeatureGroup,
    IntendedUses,
    Join,
    MetricsSource,
    ModelCard,
    ModelCardContent,
    ModelMetrics,
    ModelOverview,
    ModelRegistry,
    OfflineStore,
    OnlineStore,
    ParameterFloat,
    ParameterString,
    ProcessingInput,
    ProcessingOutput,
    ProcessingStep,
    PropertyFile,
    QualityCheckStep,
    QualityCheckType,
    RegisterModelStep,
    RiskRating,
    S3Location,
    TrainingInput,
    TrainingPipeline,
    TrainingStep,
)
from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, apply_permissions_boundary
from constructs_ml.serve import ApprovedPackageParameter, ApprovedPackageRecord

#: The scikit-learn processing image: AWS publishes it in the same per-region registries as XGBoost.
SKLEARN = BuiltinAlgorithm.of("sagemaker-scikit-learn", "XGBoost", "1.2-1-cpu-py3")


@dataclass(frozen=True)
class BuildConfig:
    """What the build stack trains, registers and stores.

    Attributes:
        name: the model's short name (registry group, prefixes): ``churn``.
        data_prefix: raw training data in the data bucket.
        code_prefix: the processing scripts in the artifacts bucket: ``prepare.py`` (writes the ``train``,
            ``validation`` and ``test`` sets, and ``baseline``: the training features without the label, as
            CSV without a header, i.e. what the endpoint receives) and ``evaluate.py`` (writes
            ``evaluation.json`` and ``predictions``: CSV with the header ``probability,prediction,label``).
        auc_threshold: default of the ``AucThreshold`` parameter: register only at or above it.
        training_instance_type: default of the ``TrainingInstanceType`` parameter.
        registry_reader_accounts: other accounts that may read the registry, create models from it
            (e.g. production) and read the pipeline's artifacts (bucket and key policy statements scoped
            to the pipeline's prefix): none.
        feature_store_prefix: the offline store's prefix in the data bucket.
    """

    name: str = "churn"
    data_prefix: str = "churn/raw/"
    code_prefix: str = "code/churn/"
    auc_threshold: float = 0.8
    training_instance_type: str = "ml.m5.xlarge"
    registry_reader_accounts: Sequence[str] = ()
    feature_store_prefix: str = "feature-store/churn/"


class BuildStack(Stack):
    """Pipeline, registry, model card and feature group of the reference platform.

    Args:
        scope: parent construct.
        construct_id: construct id.
        config: what to build.
        keys: platform keys (data: job volumes and outputs, feature store, model card).
        network: the isolated VPC (jobs run in its subnets with the workload security group).
        buckets: platform buckets (data: inputs and offline store; artifacts: code, models, outputs).
        guardrail: the platform guardrail, attached to every role: none.
        approver: who may approve model versions (the model-approver persona): nobody in this stack.
        permissions_boundary: applied to every role of the stack: none.
        deployed_package: the SSM parameter that records the model package deployed to the endpoint;
            created here (with its "nothing approved yet" placeholder) because the serving stack reads it
            at deploy time and so must find it existing: not created when omitted.
        **kwargs: ``Stack`` props (env, stack_name, ...).

    Attributes:
        registry, registry_artifacts_grant (None without reader accounts), model_card, pipeline, feature_group,
        deployed_package.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: BuildConfig,
        keys: PlatformKeys,
        network: MlNetwork,
        buckets: PlatformBuckets,
        guardrail: iam.IManagedPolicy | None = None,
        approver: iam.IGrantable | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
        deployed_package: ApprovedPackageParameter | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description="constructs-ml reference platform: build", **kwargs)
        if permissions_boundary is not None:
            apply_permissions_boundary(self, permissions_boundary)
        c = config
        data, artifacts = buckets.data.bucket, buckets.artifacts.bucket

        self.registry = ModelRegistry(
            self,
            "Registry",
            model_package_group_name=c.name,
            description=f"Versions of the {c.name} model",
            cross_account_ids=list(c.registry_reader_accounts),
        )
        if approver is not None:
            self.registry.grant_approve(approver)
        self.model_card = ModelCard(
            self,
            "ModelCard",
            encryption_key=keys.data,
            content=ModelCardContent(
                model_overview=ModelOverview(
                    model_description=f"{c.name} classifier (XGBoost)",
                    problem_type="BinaryClassification",
                    algorithm_type="XGBoost",
                ),
                intended_uses=IntendedUses(
                    purpose_of_model="Rank customers by churn risk for retention offers",
                    risk_rating=RiskRating.MEDIUM,
                    explanations_for_risk_rating="Drives offers, not prices or credit",
                ),
                evaluations=[
                    Evaluation(
                        "acceptance",
                        observation="Registered only at or above the AUC threshold",
                        metrics=[EvaluationMetric("auc_threshold", c.auc_threshold)],
                    )
                ],
            ),
        )

        # The SSM record of the package deployed to the endpoint: created here, before the serving stack
        # reads it at deploy time; deploy-on-approval updates it, CloudFormation never does.
        self.deployed_package = (
            ApprovedPackageRecord(self, "DeployedPackage", parameter=deployed_package) if deployed_package else None
        )

        threshold = ParameterFloat("AucThreshold", default_value=c.auc_threshold)
        # Why a run started (schedule, new data, drift...): set by the retraining trigger, kept in the
        # execution's parameters for lineage.
        trigger_reason = ParameterString("TriggerReason", default_value="manual")
        instance_type = ParameterString("TrainingInstanceType", default_value=c.training_instance_type)
        sklearn = ContainerImage.builtin(SKLEARN)
        xgboost = ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1")
        prepare = ProcessingStep(
            "Prepare",
            image=sklearn,
            code=S3Location(artifacts, f"{c.code_prefix}prepare.py"),
            inputs=[ProcessingInput("raw", S3Location(data, c.data_prefix))],
            outputs=[
                ProcessingOutput("train"),
                ProcessingOutput("validation"),
                ProcessingOutput("test"),
                ProcessingOutput("baseline"),
            ],
        )
        train = TrainingStep(
            "Train",
            image=xgboost,
            instance_type=instance_type,
            inputs=[
                TrainingInput("train", prepare.output("train"), content_type="text/csv"),
                TrainingInput("validation", prepare.output("validation"), content_type="text/csv"),
            ],
            hyperparameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": 200},
            use_spot_instances=True,
            max_runtime=Duration.hours(2),
            max_wait=Duration.hours(4),
        )
        evaluate = ProcessingStep(
            "Evaluate",
            image=sklearn,
            code=S3Location(artifacts, f"{c.code_prefix}evaluate.py"),
            inputs=[ProcessingInput("model", train.model_artifacts), ProcessingInput("test", prepare.output("test"))],
            outputs=[ProcessingOutput("evaluation"), ProcessingOutput("predictions")],
            property_files=[PropertyFile("EvaluationReport", "evaluation", "evaluation.json")],
        )
        # The monitoring baselines of the version the run may register (AWS's analyzer image, network
        # isolated, written once under the execution's prefix): computed only, never checked against the
        # previous version's (retraining after drift must not fail on that drift). The register step
        # records them; the serving stack's monitors read them from the deployed version.
        data_quality = QualityCheckStep(
            "DataQualityBaseline",
            check_type=QualityCheckType.DATA_QUALITY,
            baseline_dataset=prepare.output("baseline"),
            dataset_format=DatasetFormat.csv(header=False),
            skip_check=True,
            register_new_baseline=True,
        )
        model_quality = QualityCheckStep(
            "ModelQualityBaseline",
            check_type=QualityCheckType.MODEL_QUALITY,
            baseline_dataset=evaluate.output("predictions"),
            problem_type="BinaryClassification",
            inference_attribute="prediction",
            probability_attribute="probability",
            ground_truth_attribute="label",
            skip_check=True,
            register_new_baseline=True,
        )
        register = RegisterModelStep(
            "Register",
            registry=self.registry,
            model_data=train.model_artifacts,
            image=xgboost,
            model_card=self.model_card,
            model_metrics=ModelMetrics(
                model_quality_statistics=MetricsSource(
                    Join([evaluate.output("evaluation"), "evaluation.json"], on="/")
                ),
                model_quality_constraints=MetricsSource(model_quality.calculated_baseline_constraints),
                data_quality_statistics=MetricsSource(data_quality.calculated_baseline_statistics),
                data_quality_constraints=MetricsSource(data_quality.calculated_baseline_constraints),
            ),
            drift_check_baselines=DriftCheckBaselines(
                data_quality_statistics=MetricsSource(data_quality.calculated_baseline_statistics),
                data_quality_constraints=MetricsSource(data_quality.calculated_baseline_constraints),
                model_quality_statistics=MetricsSource(model_quality.calculated_baseline_statistics),
                model_quality_constraints=MetricsSource(model_quality.calculated_baseline_constraints),
            ),
        )
        gate = ConditionStep(
            "CheckAuc",
            conditions=[
                Condition.greater_than_or_equal_to(
                    evaluate.property_file("EvaluationReport").json_get("metrics.auc.value"), threshold
                )
            ],
            if_steps=[register],
            else_steps=[FailStep("AucBelowThreshold", error_message=Join(["AUC below ", threshold]))],
        )
        self.pipeline = TrainingPipeline(
            self,
            "Pipeline",
            # The check steps run beside the gate, not in its branch: the published definition schema admits
            # only Training/Processing/Transform/RegisterModel/Fail steps there.
            steps=[prepare, train, evaluate, data_quality, model_quality, gate],
            parameters=[threshold, instance_type, trigger_reason],
            vpc=network.vpc,
            vpc_subnets=network.subnet_selection,
            security_groups=[network.workload_security_group],
            encryption_key=keys.data,
            artifacts_bucket=artifacts,
            guardrail=guardrail,
            description=f"{c.name}: prepare, train (spot), evaluate, baseline, register if AUC >= threshold",
        )
        # Reader accounts use a package only if they can read its artifacts: the pipeline's prefix holds the
        # model data and the evaluation report the package names (statements land in the bucket's and key's
        # own stacks).
        self.registry_artifacts_grant = (
            self.registry.grant_cross_account_read(artifacts, prefixes=[self.pipeline.artifacts.prefix], key=keys.data)
            if c.registry_reader_accounts
            else None
        )

        self.feature_group = FeatureGroup(
            self,
            "CustomerFeatures",
            features=[
                FeatureDefinition.string("customer_id"),
                FeatureDefinition.fractional("event_time"),
                FeatureDefinition.integral("tenure_months"),
                FeatureDefinition.fractional("monthly_spend"),
                FeatureDefinition.integral("support_calls"),
            ],
            record_identifier="customer_id",
            event_time="event_time",
            encryption_key=keys.data,
            online_store=OnlineStore(ttl=Duration.days(365)),
            offline_store=OfflineStore(S3Location(data, c.feature_store_prefix)),
            guardrail=guardrail,
            description=f"Customer features of the {c.name} model",
        )
