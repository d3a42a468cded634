"""Every step type renders a definition that validates against the published schema (patched only for
the documented gaps in ``definition_schema.py``) and against botocore's API shapes. One shape-only synth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Duration, Stack

from constructs_ml.develop import (
    BuiltinAlgorithm,
    CacheConfig,
    CategoricalRange,
    ClarifyCheckStep,
    ClarifyCheckType,
    Condition,
    ConditionStep,
    ContainerImage,
    ContinuousRange,
    CreateModelStep,
    Debugger,
    DebuggerRule,
    DriftCheckBaselines,
    ExecutionVariables,
    FailStep,
    InstanceType,
    IntegerRange,
    Join,
    MetricsSource,
    ModelRegistry,
    ParameterBoolean,
    ParameterInteger,
    ParameterString,
    QualityCheckStep,
    QualityCheckType,
    RegisterModelStep,
    RetryException,
    RetryPolicy,
    S3Location,
    TrainingInput,
    TrainingPipeline,
    TrainingStep,
    TransformStep,
    TuningObjective,
    TuningStep,
    TuningStrategy,
)
from tests.develop.conftest import SKLEARN_IMAGE, churn_steps, imported_infra
from tests.develop.definition_schema import SCHEMA_GAPS, body_of, botocore_errors, schema_errors, steps_by_type
from tests.fixtures import ENV
from tests.support import new_app, resources_of

# The SageMaker SDK's image configs for eu-west-1 (model-monitor, clarify): registry account and repository:tag
# (the URL suffix between them is the partition's, a token in the definition).
MONITOR_IMAGE = ("468650794304.dkr.ecr.eu-west-1.", "/sagemaker-model-monitor-analyzer:latest")
CLARIFY_IMAGE = ("131013547314.dkr.ecr.eu-west-1.", "/sagemaker-clarify-processing:1.0")


def _image(uri: str) -> tuple[str, str]:
    return uri[: uri.index(".dkr.ecr.eu-west-1.") + len(".dkr.ecr.eu-west-1.")], uri[uri.rindex("/") :]


def _tuning(name: str, strategy: str, infra: Any, **kwargs: Any) -> TuningStep:
    ranges = kwargs.pop("ranges", [IntegerRange("max_depth", 3, 10), ContinuousRange("eta", 0.01, 0.3)])
    return TuningStep(
        name,
        image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST),
        inputs=[TrainingInput("train", S3Location(infra.data, "train/"), content_type="text/csv")],
        hyperparameters={"objective": "binary:logistic", "num_round": ParameterInteger("Rounds", default_value=50)},
        objective=TuningObjective.maximize("validation:auc"),
        ranges=ranges,
        strategy=strategy,
        **kwargs,
    )


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Steps", env=ENV)
    infra = imported_infra(stack)
    registry = ModelRegistry(stack, "Registry")
    common: dict[str, Any] = {
        "vpc": infra.vpc,
        "security_groups": [infra.security_group],
        "encryption_key": infra.key,
        "artifacts_bucket": infra.artifacts,
    }
    churn = churn_steps(infra.data, infra.artifacts, registry)
    retry = RetryPolicy([RetryException.CAPACITY_ERROR, RetryException.JOB_INTERNAL_ERROR], max_attempts=3)
    churn.train.retry_policies.append(retry)
    churn.prepare.cache = CacheConfig(Duration.days(7))
    TrainingPipeline(stack, "Churn", steps=churn.top_level, parameters=[churn.threshold], **common)

    bayes = _tuning(
        "TuneBayes",
        TuningStrategy.BAYESIAN,
        infra,
        retry_policies=[RetryPolicy([RetryException.RESOURCE_LIMIT], expire_after=Duration.hours(2))],
    )
    model = CreateModelStep(
        "CreateModel", image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST), model_data=bayes.top_model_artifacts(0)
    )
    transform = TransformStep(
        "BatchScore",
        model_name=model.model_name,
        input_data=S3Location(infra.data, "score/"),
        instance_type=InstanceType.ML_M5_LARGE,
    )
    quality = QualityCheckStep(
        "DataQuality",
        check_type=QualityCheckType.DATA_QUALITY,
        baseline_dataset=S3Location(infra.data, "train/"),
        output=S3Location(infra.artifacts, "pipelines/all-steps/baselines/data-quality"),
        registry=registry,
        register_new_baseline=ParameterBoolean("NewBaseline", default_value=False),
    )
    model_quality = QualityCheckStep(
        "ModelQuality",
        check_type=QualityCheckType.MODEL_QUALITY,
        baseline_dataset=transform.output_path,
        problem_type="BinaryClassification",
        inference_attribute="prediction",
        ground_truth_attribute="label",
    )
    clarify = ClarifyCheckStep(
        "DataBias",
        check_type=ClarifyCheckType.DATA_BIAS,
        analysis_config=S3Location(infra.artifacts, "clarify/analysis_config.json"),
        dataset=S3Location(infra.data, "train/"),
        registry=registry,
        skip_check=True,
    )
    gate = ConditionStep(
        "QualityGate",
        conditions=[
            Condition.or_(
                Condition.equals(ParameterString("Mode", default_value="full"), "full"),
                Condition.in_(ParameterString("Region2", default_value="a"), ["a", "b"]),
            ),
        ],
        if_steps=[transform],
        else_steps=[FailStep("Stop", error_message=Join(["run ", ExecutionVariables.PIPELINE_EXECUTION_ID]))],
    )
    register = RegisterModelStep(
        "RegisterWithBaselines",
        registry=registry,
        model_data=bayes.top_model_artifacts(0),
        image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST),
        drift_check_baselines=DriftCheckBaselines(
            data_quality_statistics=MetricsSource(quality.calculated_baseline_statistics),
            data_quality_constraints=MetricsSource(quality.calculated_baseline_constraints),
            model_quality_constraints=MetricsSource(model_quality.calculated_baseline_constraints),
            bias_config_file=MetricsSource(S3Location(infra.artifacts, "clarify/analysis_config.json")),
            bias_pre_training_constraints=MetricsSource(clarify.calculated_baseline_constraints),
        ),
    )
    TrainingPipeline(
        stack,
        "AllSteps",
        steps=[bayes, model, gate, quality, model_quality, clarify, register],
        parameters=[
            ParameterInteger("Rounds", default_value=50),
            ParameterBoolean("NewBaseline", default_value=False),
            ParameterString("Mode", default_value="full"),
            ParameterString("Region2", default_value="a"),
        ],
        **common,
    )
    TrainingPipeline(
        stack,
        "Random",
        steps=[_tuning("TuneRandom", TuningStrategy.RANDOM, infra)],
        parameters=[ParameterInteger("Rounds")],
        **common,
    )
    TrainingPipeline(
        stack,
        "Grid",
        steps=[
            _tuning("TuneGrid", TuningStrategy.GRID, infra, ranges=[CategoricalRange("max_depth", ["3", "5", "7"])])
        ],
        parameters=[ParameterInteger("Rounds")],
        **common,
    )
    TrainingPipeline(
        stack,
        "Hyperband",
        steps=[
            _tuning(
                "TuneHyperband", TuningStrategy.HYPERBAND, infra, hyperband_min_resource=1, hyperband_max_resource=20
            )
        ],
        parameters=[ParameterInteger("Rounds")],
        **common,
    )
    # Training at scale (tests/develop/test_training_scale.py has the rest): the schema's gaps it needs.
    TrainingPipeline(
        stack,
        "Scale",
        steps=[
            TrainingStep(
                "TrainProfiled",
                image=ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1"),
                inputs=[TrainingInput("train", S3Location(infra.data, "train/"))],
                keep_alive=Duration.minutes(10),
                debugger=Debugger(rules=[DebuggerRule.LOSS_NOT_DECREASING, DebuggerRule.PROFILER_REPORT]),
            )
        ],
        **common,
    )
    template = app.synth().get_stack_by_name(stack.stack_name).template
    return {
        r["Properties"]["PipelineName"].split("-")[1]: body_of(r)
        for r in resources_of(template, "AWS::SageMaker::Pipeline").values()
    }


STEP_TYPES = [
    "Processing",
    "Training",
    "Tuning",
    "Condition",
    "RegisterModel",
    "Model",
    "Transform",
    "QualityCheck",
    "ClarifyCheck",
    "Fail",
]


def _steps(docs: dict[str, dict[str, Any]], step_type: str) -> list[tuple[dict[str, Any], Any]]:
    return [(doc, s) for doc in docs.values() for s in steps_by_type(doc).get(step_type, [])]


@pytest.mark.parametrize("step_type", STEP_TYPES)
def test_each_step_type_validates_against_the_schema(docs: dict[str, dict[str, Any]], step_type: str) -> None:
    found = _steps(docs, step_type)
    assert found, f"no {step_type} step rendered"
    for doc, step in found:
        alone = {"Version": doc["Version"], "Parameters": doc.get("Parameters", []), "Steps": [step]}
        assert schema_errors(alone) == [], step["Name"]


@pytest.mark.parametrize(
    "step_type",
    ["Processing", "Training", "Tuning", "RegisterModel", "Model", "Transform", "QualityCheck", "ClarifyCheck"],
)
def test_job_step_arguments_match_the_botocore_request_shapes(docs: dict[str, dict[str, Any]], step_type: str) -> None:
    for doc, _ in _steps(docs, step_type):
        assert botocore_errors(doc) == []


@pytest.mark.parametrize(("name", "patch"), SCHEMA_GAPS)
def test_every_schema_patch_is_needed(docs: dict[str, dict[str, Any]], name: str, patch: Any) -> None:
    """Each documented gap is real: without its patch the published schema rejects what we (or the SDK) emit."""
    sdk = json.loads((Path(__file__).parent / "data" / "sdk_pipeline.json").read_text())
    candidates = [*docs.values(), sdk]
    assert all(schema_errors(doc) == [] for doc in candidates)
    assert any(schema_errors(doc, skip_gap=name) for doc in candidates), f"patch {name} is not needed"


@pytest.mark.parametrize("strategy", ["Bayesian", "Random", "Grid", "Hyperband"])
def test_tuning_strategies(docs: dict[str, dict[str, Any]], strategy: str) -> None:
    (step,) = [
        s for _, s in _steps(docs, "Tuning") if s["Arguments"]["HyperParameterTuningJobConfig"]["Strategy"] == strategy
    ]
    config = step["Arguments"]["HyperParameterTuningJobConfig"]
    limits = config["ResourceLimits"]
    assert ("MaxNumberOfTrainingJobs" in limits) == (strategy != "Grid")
    assert config["TrainingJobEarlyStoppingType"] == ("Off" if strategy == "Hyperband" else "Auto")
    if strategy == "Hyperband":
        assert config["StrategyConfig"] == {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 20}}
    job = step["Arguments"]["TrainingJobDefinition"]
    assert job["StaticHyperParameters"]["num_round"] == {
        "Std:Join": {"On": "", "Values": [{"Get": "Parameters.Rounds"}]}
    }
    assert job["EnableNetworkIsolation"] is True and job["VpcConfig"]["Subnets"]


def test_typed_references_render_as_get_expressions(docs: dict[str, dict[str, Any]]) -> None:
    steps = {s["Name"]: s for _, s in _steps(docs, "Model") + _steps(docs, "Transform") + _steps(docs, "Training")}
    top = steps["CreateModel"]["Arguments"]["PrimaryContainer"]["ModelDataUrl"]["Std:Join"]
    assert top["Values"][1] == {"Get": "Steps.TuneBayes.TrainingJobSummaries[0].TrainingJobName"}
    assert steps["BatchScore"]["Arguments"]["ModelName"] == {"Get": "Steps.CreateModel.ModelName"}
    channel = steps["Train"]["Arguments"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    assert channel == {"Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}


def test_spot_training_keeps_checkpoints_per_execution(docs: dict[str, dict[str, Any]]) -> None:
    (train,) = [s for _, s in _steps(docs, "Training") if s["Name"] == "Train"]
    checkpoint = train["Arguments"]["CheckpointConfig"]
    assert checkpoint["LocalPath"] == "/opt/ml/checkpoints"
    assert checkpoint["S3Uri"]["Std:Join"]["Values"][1] == {"Get": "Execution.PipelineExecutionId"}


def test_retry_policies_and_caching(docs: dict[str, dict[str, Any]]) -> None:
    steps = {s["Name"]: s for _, s in _steps(docs, "Training") + _steps(docs, "Processing") + _steps(docs, "Tuning")}
    assert steps["Train"]["RetryPolicies"] == [
        {
            "ExceptionType": ["SageMaker.CAPACITY_ERROR", "SageMaker.JOB_INTERNAL_ERROR"],
            "IntervalSeconds": 1,
            "BackoffRate": 2.0,
            "MaxAttempts": 3,
        }
    ]
    assert steps["TuneBayes"]["RetryPolicies"][0]["ExpireAfterMin"] == 120
    assert steps["Prepare"]["CacheConfig"] == {"Enabled": True, "ExpireAfter": "P7D"}


def test_check_steps_carry_the_check_fields(docs: dict[str, dict[str, Any]]) -> None:
    (quality,) = [s for _, s in _steps(docs, "QualityCheck") if s["Name"] == "DataQuality"]
    assert quality["CheckType"] == "DATA_QUALITY"
    assert quality["RegisterNewBaseline"] == {"Get": "Parameters.NewBaseline"}
    assert quality["Arguments"]["NetworkConfig"]["EnableNetworkIsolation"] is True
    (clarify,) = _steps(docs, "ClarifyCheck")
    assert clarify[1]["CheckType"] == "DATA_BIAS" and clarify[1]["SkipCheck"] is True


def test_condition_branches_are_nested_not_top_level(docs: dict[str, dict[str, Any]]) -> None:
    churn = docs["churn"]
    assert [s["Name"] for s in churn["Steps"]] == ["Prepare", "Train", "Evaluate", "CheckAuc"]
    gate = churn["Steps"][3]["Arguments"]
    assert [s["Name"] for s in gate["IfSteps"]] == ["Register"]
    assert [s["Name"] for s in gate["ElseSteps"]] == ["AucTooLow"]


def test_sklearn_image_is_used_verbatim(docs: dict[str, dict[str, Any]]) -> None:
    prepare = docs["churn"]["Steps"][0]["Arguments"]["AppSpecification"]
    assert prepare["ImageUri"] == SKLEARN_IMAGE
    assert prepare["ContainerEntrypoint"] == ["python3", "/opt/ml/processing/input/code/prepare.py"]


def test_check_steps_default_to_the_regions_analyzer_and_clarify_images(docs: dict[str, dict[str, Any]]) -> None:
    images = {
        s["Name"]: _image(s["Arguments"]["AppSpecification"]["ImageUri"]) for _, s in _steps(docs, "QualityCheck")
    }
    assert images == {"DataQuality": MONITOR_IMAGE, "ModelQuality": MONITOR_IMAGE}
    ((_, clarify),) = _steps(docs, "ClarifyCheck")
    assert _image(clarify["Arguments"]["AppSpecification"]["ImageUri"]) == CLARIFY_IMAGE


def test_check_step_output_is_the_given_prefix_per_execution(docs: dict[str, dict[str, Any]]) -> None:
    outputs = {
        s["Name"]: s["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
        for _, s in _steps(docs, "QualityCheck")
    }
    given = outputs["DataQuality"]["Std:Join"]
    assert given["On"] == "/"
    assert given["Values"][0].endswith("/pipelines/all-steps/baselines/data-quality")
    assert given["Values"][1] == {"Get": "Execution.PipelineExecutionId"}
    # Without output=: the pipeline's step output location, also per execution.
    default = outputs["ModelQuality"]["Std:Join"]["Values"]
    assert "/ModelQuality/quality_check_output" in json.dumps(default[0])
    assert default[1] == {"Get": "Execution.PipelineExecutionId"}


def test_register_records_the_drift_check_baselines(docs: dict[str, dict[str, Any]]) -> None:
    (register,) = [s for _, s in _steps(docs, "RegisterModel") if s["Name"] == "RegisterWithBaselines"]
    baselines = register["Arguments"]["DriftCheckBaselines"]
    assert baselines["ModelDataQuality"] == {
        "Statistics": {
            "S3Uri": {"Get": "Steps.DataQuality.CalculatedBaselineStatistics"},
            "ContentType": "application/json",
        },
        "Constraints": {
            "S3Uri": {"Get": "Steps.DataQuality.CalculatedBaselineConstraints"},
            "ContentType": "application/json",
        },
    }
    assert baselines["ModelQuality"]["Constraints"]["S3Uri"] == {
        "Get": "Steps.ModelQuality.CalculatedBaselineConstraints"
    }
    assert baselines["Bias"]["PreTrainingConstraints"]["S3Uri"] == {
        "Get": "Steps.DataBias.CalculatedBaselineConstraints"
    }
    assert set(baselines) == {"ModelDataQuality", "ModelQuality", "Bias"}
