"""Fixtures of the build tests: the churn pipeline's steps on a compliant foundation."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_ml.develop import (
    BuiltinAlgorithm,
    Condition,
    ConditionStep,
    ContainerImage,
    FailStep,
    Join,
    MetricsSource,
    ModelMetrics,
    ModelRegistryBase,
    ParameterFloat,
    ProcessingInput,
    ProcessingOutput,
    ProcessingStep,
    PropertyFile,
    RegisterModelStep,
    S3Location,
    Step,
    TrainingInput,
    TrainingStep,
)

SKLEARN_IMAGE = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@dataclass
class ChurnSteps:
    """process -> train (spot) -> evaluate -> condition on AUC -> register | fail."""

    threshold: ParameterFloat
    prepare: ProcessingStep
    train: TrainingStep
    evaluate: ProcessingStep
    register: RegisterModelStep
    fail: FailStep
    gate: ConditionStep

    @property
    def top_level(self) -> list[Step]:
        return [self.prepare, self.train, self.evaluate, self.gate]


def churn_steps(data: s3.IBucket, artifacts: s3.IBucket, registry: ModelRegistryBase) -> ChurnSteps:
    threshold = ParameterFloat("AucThreshold", default_value=0.8)
    sklearn = ContainerImage.from_uri(SKLEARN_IMAGE)
    xgboost = ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1")
    prepare = ProcessingStep(
        "Prepare",
        image=sklearn,
        code=S3Location(artifacts, "code/prepare.py"),
        inputs=[ProcessingInput("raw", S3Location(data, "churn/raw/"))],
        outputs=[ProcessingOutput("train"), ProcessingOutput("test")],
    )
    train = TrainingStep(
        "Train",
        image=xgboost,
        inputs=[TrainingInput("train", prepare.output("train"), content_type="text/csv")],
        hyperparameters={"objective": "binary:logistic", "num_round": 100},
        use_spot_instances=True,
        max_runtime=Duration.hours(1),
        max_wait=Duration.hours(2),
    )
    evaluate = ProcessingStep(
        "Evaluate",
        image=sklearn,
        code=S3Location(artifacts, "code/evaluate.py"),
        inputs=[ProcessingInput("model", train.model_artifacts), ProcessingInput("test", prepare.output("test"))],
        outputs=[ProcessingOutput("evaluation")],
        property_files=[PropertyFile("EvaluationReport", "evaluation", "evaluation.json")],
    )
    register = RegisterModelStep(
        "Register",
        registry=registry,
        model_data=train.model_artifacts,
        image=xgboost,
        model_metrics=ModelMetrics(
            model_quality_statistics=MetricsSource(Join([evaluate.output("evaluation"), "evaluation.json"], on="/"))
        ),
    )
    fail = FailStep("AucTooLow", error_message=Join(["AUC below ", threshold]))
    gate = ConditionStep(
        "CheckAuc",
        conditions=[
            Condition.greater_than_or_equal_to(
                evaluate.property_file("EvaluationReport").json_get("metrics.auc.value"), threshold
            )
        ],
        if_steps=[register],
        else_steps=[fail],
    )
    return ChurnSteps(threshold, prepare, train, evaluate, register, fail, gate)


@dataclass
class ImportedInfra:
    """Imported VPC, security group, key and buckets: cheap to build, for tests that never synthesize."""

    vpc: ec2.IVpc
    security_group: ec2.ISecurityGroup
    key: kms.IKey
    data: s3.IBucket
    artifacts: s3.IBucket


def imported_infra(stack: Stack) -> ImportedInfra:
    vpc = ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        isolated_subnet_ids=["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
    )
    return ImportedInfra(
        vpc=vpc,
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "Sg", "sg-0123456789abcdef0"),
        key=kms.Key.from_key_arn(
            stack, "Key", "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
        ),
        data=s3.Bucket.from_bucket_name(stack, "Data", "data-bucket"),
        artifacts=s3.Bucket.from_bucket_name(stack, "Artifacts", "artifacts-bucket"),
    )
