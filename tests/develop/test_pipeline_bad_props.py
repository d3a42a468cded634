"""TrainingPipeline rejects bad props with one ValidationError naming the construct, prop and value (no synth)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Duration, Stack

from constructs_ml.develop import (
    BuiltinAlgorithm,
    CategoricalRange,
    ClarifyCheckStep,
    ClarifyCheckType,
    ContainerImage,
    ContinuousRange,
    ExternalDefinition,
    FailStep,
    IntegerRange,
    ParameterFloat,
    ProcessingOutput,
    ProcessingStep,
    PropertyFile,
    QualityCheckStep,
    QualityCheckType,
    RetryException,
    RetryPolicy,
    S3Location,
    Step,
    TrainingInput,
    TrainingPipeline,
    TrainingStep,
    TuningObjective,
    TuningStep,
    TuningStrategy,
)
from constructs_ml.develop.pipeline.properties import PropertyFileRef, StepProperty
from constructs_ml.errors import ValidationError
from tests.develop.conftest import SKLEARN_IMAGE, ImportedInfra, imported_infra
from tests.fixtures import ENV

XGB = ContainerImage.builtin(BuiltinAlgorithm.XGBOOST)
SK = ContainerImage.from_uri(SKLEARN_IMAGE)


@pytest.fixture
def infra() -> tuple[Stack, ImportedInfra]:
    stack = Stack(App(), "Bad", env=ENV)
    return stack, imported_infra(stack)


def _pipeline(infra: tuple[Stack, ImportedInfra], steps: list[Step], **kwargs: Any) -> TrainingPipeline:
    stack, i = infra
    return TrainingPipeline(
        stack,
        "P",
        steps=steps,
        vpc=i.vpc,
        security_groups=[i.security_group],
        encryption_key=i.key,
        artifacts_bucket=i.artifacts,
        **kwargs,
    )


def _train(name: str = "Train", **kwargs: Any) -> TrainingStep:
    return TrainingStep(name, image=XGB, **kwargs)


def test_duplicate_step_names(infra: Any) -> None:
    with pytest.raises(
        ValidationError, match=r"Bad/P: steps\[\]\.name must not repeat names; duplicated \(got \['Train'\]\)"
    ):
        _pipeline(infra, [_train(), _train()])


def test_duplicate_name_inside_a_condition_branch(infra: Any) -> None:
    from constructs_ml.develop import Condition, ConditionStep

    train = _train()
    gate = ConditionStep(
        "Gate", conditions=[Condition.equals(train.final_metric("auc"), 1)], if_steps=[FailStep("Train")]
    )
    with pytest.raises(ValidationError, match=r"steps\[\]\.name must not repeat names"):
        _pipeline(infra, [train, gate])


def test_reference_to_a_step_not_in_the_pipeline(infra: Any) -> None:
    prep = ProcessingStep("Prepare", image=SK, outputs=[ProcessingOutput("train")])
    train = _train(inputs=[TrainingInput("train", prep.output("train"))])
    with pytest.raises(
        ValidationError,
        match=r"Bad/P: steps\[Train\] refers to a step that is not in the pipeline "
        r"\(got \"Steps\.Prepare\.ProcessingOutputConfig",
    ):
        _pipeline(infra, [train])


def test_depends_on_a_step_not_in_the_pipeline(infra: Any) -> None:
    with pytest.raises(ValidationError, match=r"steps\[Train\]\.depends_on refers to a step .* \(got 'Ghost'\)"):
        _pipeline(infra, [_train(depends_on=["Ghost"])])


def test_cycle_in_dependencies(infra: Any) -> None:
    a = _train("A", depends_on=["B"])
    b = _train("B", inputs=[TrainingInput("train", StepProperty("A", "ModelArtifacts.S3ModelArtifacts"))])
    with pytest.raises(ValidationError, match=r"steps form a dependency cycle \(got 'A -> B -> A'\)"):
        _pipeline(infra, [a, b])


def test_undeclared_parameter_and_property_file(infra: Any) -> None:
    evaluate = ProcessingStep(
        "Eval", image=SK, outputs=[ProcessingOutput("out")], property_files=[PropertyFile("Report", "out", "r.json")]
    )
    from constructs_ml.develop import Condition, ConditionStep

    gate = ConditionStep(
        "Gate",
        conditions=[
            Condition.greater_than(
                PropertyFileRef("Eval", PropertyFile("Other", "out", "x")).json_get("a"), ParameterFloat("Missing")
            )
        ],
        if_steps=[FailStep("F")],
    )
    with pytest.raises(ValidationError) as err:
        _pipeline(infra, [evaluate, gate])
    text = str(err.value)
    assert "refers to a property file that step does not declare (got 'Steps.Eval.PropertyFiles.Other')" in text
    assert "refers to a parameter that is not declared (got 'Parameters.Missing')" in text


def test_spot_without_max_wait(infra: Any) -> None:
    with pytest.raises(ValidationError, match=r"steps\[Train\]\.max_wait is required with use_spot_instances"):
        _pipeline(infra, [_train(use_spot_instances=True, max_runtime=Duration.hours(2))])


def test_spot_max_wait_below_max_runtime(infra: Any) -> None:
    with pytest.raises(
        ValidationError,
        match=r"steps\[Train\]\.max_wait \(s\) must be >= max_runtime \(7200 s\) "
        r"\(got 3600\)",
    ):
        _pipeline(infra, [_train(use_spot_instances=True, max_runtime=Duration.hours(2), max_wait=Duration.hours(1))])


def test_tuning_range_min_above_max(infra: Any) -> None:
    tune = TuningStep(
        "Tune",
        image=XGB,
        objective=TuningObjective.maximize("validation:auc"),
        ranges=[IntegerRange("max_depth", 10, 3), ContinuousRange("eta", 0.5, 0.1)],
    )
    with pytest.raises(ValidationError) as err:
        _pipeline(infra, [tune])
    assert "steps[Tune].ranges[max_depth] must be min_value <= max_value (got '10..3')" in str(err.value)
    assert "steps[Tune].ranges[eta] must be min_value <= max_value (got '0.5..0.1')" in str(err.value)


def test_grid_only_with_categorical_ranges_and_hyperband_without_early_stopping(infra: Any) -> None:
    grid = TuningStep(
        "Grid",
        image=XGB,
        objective=TuningObjective.minimize("loss"),
        strategy=TuningStrategy.GRID,
        ranges=[IntegerRange("d", 1, 2), CategoricalRange("c", ["a"])],
    )
    band = TuningStep(
        "Band",
        image=XGB,
        objective=TuningObjective.minimize("loss"),
        strategy=TuningStrategy.HYPERBAND,
        ranges=[IntegerRange("d", 1, 2)],
        early_stopping=True,
    )
    with pytest.raises(ValidationError) as err:
        _pipeline(infra, [grid, band])
    assert "steps[Grid].ranges must be categorical ranges only with the Grid strategy" in str(err.value)
    assert "steps[Band].early_stopping must be off with Hyperband" in str(err.value)


def test_bad_names_retry_and_all_problems_at_once(infra: Any) -> None:
    step = _train("bad name!", retry_policies=[RetryPolicy(["Nope"], max_attempts=50)])
    with pytest.raises(ValidationError) as err:
        _pipeline(
            infra,
            [step, FailStep("F", retry_policies=[RetryPolicy([RetryException.THROTTLING])])],
            pipeline_name="bad_name",
        )
    problems = err.value.problems
    assert any("pipeline_name must be 1..256 letters" in p for p in problems)
    assert any("steps[bad name!].name must be 1..64 of [A-Za-z0-9-_]" in p for p in problems)
    assert any("retry_policies[0].exception_types must be one of" in p for p in problems)
    assert any("retry_policies[0].max_attempts must be between 0 and 20 (got 50)" in p for p in problems)
    assert any("steps[F].retry_policies is not supported" in p for p in problems)


def test_property_file_on_an_unknown_output(infra: Any) -> None:
    step = ProcessingStep(
        "Eval", image=SK, outputs=[ProcessingOutput("out")], property_files=[PropertyFile("R", "missing", "r.json")]
    )
    with pytest.raises(ValidationError, match=r"property_files\[R\]\.output_name must be the name of one of"):
        _pipeline(infra, [step])


def test_steps_and_definition_are_exclusive_and_one_is_required(infra: Any) -> None:
    stack, i = infra
    with pytest.raises(ValidationError, match=r"steps are missing"):
        TrainingPipeline(stack, "Empty", vpc=i.vpc, security_groups=[i.security_group], artifacts_bucket=i.artifacts)
    with pytest.raises(ValidationError, match=r"steps and definition cannot both be given"):
        _pipeline(infra, [_train()], definition=ExternalDefinition({"Steps": []}))


def test_external_definition_without_platform_controls(infra: Any) -> None:
    doc = {
        "Version": "2020-12-01",
        "Steps": [
            {
                "Name": "T",
                "Type": "Training",
                "Arguments": {
                    "AlgorithmSpecification": {"TrainingImage": "x", "TrainingInputMode": "File"},
                    "RoleArn": "${JobRoleArn}",
                    "OutputDataConfig": {"S3OutputPath": "s3://b/p"},
                    "EnableNetworkIsolation": False,
                },
            }
        ],
    }
    stack, i = infra
    with pytest.raises(ValidationError) as err:
        TrainingPipeline(
            stack,
            "Ext",
            definition=ExternalDefinition(doc),
            vpc=i.vpc,
            security_groups=[i.security_group],
            artifacts_bucket=i.artifacts,
        )
    text = str(err.value)
    for missing in (
        "VpcConfig",
        "ResourceConfig.VolumeKmsKeyId",
        "OutputDataConfig.KmsKeyId",
        "EnableNetworkIsolation",
        "EnableInterContainerTrafficEncryption",
    ):
        assert f"definition.steps[T] lacks a control (got '{missing}')" in text


def test_model_checks_need_network_isolation_off_explicitly(infra: Any) -> None:
    _, i = infra
    step = ClarifyCheckStep(
        "Bias",
        check_type=ClarifyCheckType.MODEL_BIAS,
        image=SK,
        analysis_config=S3Location(i.artifacts, "c.json"),
        dataset=S3Location(i.data, "d/"),
    )
    with pytest.raises(ValidationError) as err:
        _pipeline(infra, [step])
    assert "steps[Bias].model_name must be a model for MODEL_BIAS" in str(err.value)
    assert "steps[Bias].network_isolation must be off for MODEL_BIAS" in str(err.value)


def test_builtin_image_in_a_region_without_a_registry() -> None:
    from aws_cdk import Environment

    stack = Stack(App(), "Far", env=Environment(account="111111111111", region="mars-north-1"))
    i = imported_infra(stack)
    with pytest.raises(
        ValidationError,
        match=r"steps\[Train\]\.image must be in a region where AWS publishes it; mars-north-1 has no "
        r"XGBoost image registry.*\(got 'sagemaker-xgboost:1\.7-1 in mars-north-1'\)",
    ):
        TrainingPipeline(
            stack, "P", steps=[_train()], vpc=i.vpc, security_groups=[i.security_group], artifacts_bucket=i.artifacts
        )


@pytest.mark.parametrize("prefix", ["", "/", "/pipelines/p/baselines", "pipelines//baselines"])
def test_check_step_output_must_be_a_clean_prefix_below_the_root(infra: Any, prefix: str) -> None:
    _, i = infra
    step = QualityCheckStep(
        "DataQuality",
        check_type=QualityCheckType.DATA_QUALITY,
        baseline_dataset=S3Location(i.data, "d/"),
        output=S3Location(i.artifacts, prefix),
    )
    with pytest.raises(
        ValidationError, match=rf"steps\[DataQuality\]\.output must be a prefix below the bucket's root.*got '{prefix}'"
    ):
        _pipeline(infra, [step])


def test_check_step_default_image_needs_a_region_where_aws_publishes_it() -> None:
    from aws_cdk import Environment

    stack = Stack(App(), "Far", env=Environment(account="111111111111", region="mars-north-1"))
    i = imported_infra(stack)
    step = ClarifyCheckStep(
        "DataBias",
        check_type=ClarifyCheckType.DATA_BIAS,
        analysis_config=S3Location(i.artifacts, "c.json"),
        dataset=S3Location(i.data, "d/"),
    )
    with pytest.raises(ValidationError, match=r"steps\[DataBias\]\.image .*mars-north-1 has no Clarify image registry"):
        TrainingPipeline(
            stack, "P", steps=[step], vpc=i.vpc, security_groups=[i.security_group], artifacts_bucket=i.artifacts
        )
