"""The monitoring pipelines' helper job against moto's S3 and CloudWatch, with real boto3 clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from constructs_ml.operate import monitor_job_script as job

REGION = "eu-west-1"
BUCKET = "capture-bucket"
START = "2026-12-02T10:07:31.123Z"  # the execution started in the 10:00 hour


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client


def _record(event: str, when: datetime, features: str, output: str) -> dict[str, Any]:
    return {
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": features, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": output, "encoding": "CSV"},
        },
        "eventMetadata": {"eventId": event, "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0",
    }


def _put(s3: Any, key: str, records: list[dict[str, Any]]) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(json.dumps(r) for r in records).encode())


def _capture(s3: Any) -> None:
    nine, eight = datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 8, tzinfo=UTC)
    for variant in ("AllTraffic", "Canary"):
        _put(
            s3,
            f"capture/churn-ep/{variant}/2026/12/02/09/a.jsonl",
            [
                _record(f"{variant}-1", nine + timedelta(minutes=5), "1,2.5,a", "0.91"),
                _record(f"{variant}-2", nine + timedelta(minutes=50), "3,0.5,b", "0.20"),
            ],
        )
        _put(s3, f"capture/churn-ep/{variant}/2026/12/02/08/a.jsonl", [_record(f"{variant}-0", eight, "9,9,z", "0.5")])
    # A file of the 09 folder may hold a record written just after the hour: outside the window.
    _put(
        s3,
        "capture/churn-ep/AllTraffic/2026/12/02/09/late.jsonl",
        [_record("late", nine + timedelta(hours=1), "0,0,x", "0.7")],
    )
    _put(s3, "capture/other-ep/AllTraffic/2026/12/02/09/a.jsonl", [_record("other", nine, "0,0,x", "0.7")])


def _env(kind: str, **extra: str) -> dict[str, str]:
    return {
        "MONITOR_KIND": kind,
        "EXECUTION_START": START,
        "ENDPOINT_NAME": "churn-ep",
        "CAPTURE_URI": f"s3://{BUCKET}/capture/",
        "START_OFFSET": "-PT1H",
        "END_OFFSET": "-PT0H",
        **extra,
    }


def test_window_is_the_previous_hour_shifted_by_the_offsets() -> None:
    assert job.window(START, "-PT1H", "-PT0H") == (
        datetime(2026, 12, 2, 9, tzinfo=UTC),
        datetime(2026, 12, 2, 10, tzinfo=UTC),
    )
    assert job.window("2026-12-02T10:59:59+00:00", "-P1D", "-PT23H")[0] == datetime(2026, 12, 1, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="empty window"):
        job.window(START, "-PT1H", "-PT2H")
    with pytest.raises(ValueError, match="not a duration"):
        job.parse_duration("-P")


def test_data_quality_window_keeps_only_this_endpoints_records_of_the_hour(s3: Any, tmp_path: Path) -> None:
    _capture(s3)
    summary = job.prepare("DataQuality", _env("DataQuality"), s3, out=str(tmp_path))
    assert summary["records"] == 4 and summary["captured"] == 4
    lines = (tmp_path / "dataset" / "data.jsonl").read_text().splitlines()
    events = sorted(json.loads(line)["eventMetadata"]["eventId"] for line in lines)
    assert events == ["AllTraffic-1", "AllTraffic-2", "Canary-1", "Canary-2"]
    assert json.loads((tmp_path / "window" / "window.json").read_text())["records"] == 4


def test_model_quality_joins_late_labels_and_applies_the_threshold(s3: Any, tmp_path: Path) -> None:
    _capture(s3)
    # Labels arrive later (10:00 hour), keyed by eventId; one event has no label yet.
    s3.put_object(
        Bucket=BUCKET,
        Key="ground-truth/churn/2026/12/02/10/labels.jsonl",
        Body="\n".join(
            json.dumps(
                {
                    "groundTruthData": {"data": label, "encoding": "CSV"},
                    "eventMetadata": {"eventId": e},
                    "eventVersion": "0",
                }
            )
            for e, label in (("AllTraffic-1", "1"), ("AllTraffic-2", "1"), ("Canary-1", "0"))
        ).encode(),
    )
    env = _env(
        "ModelQuality",
        GROUND_TRUTH_URI=f"s3://{BUCKET}/ground-truth/churn/",
        PROBABILITY_ATTRIBUTE="0",
        PROBABILITY_THRESHOLD="0.5",
    )
    summary = job.prepare("ModelQuality", env, s3, out=str(tmp_path))
    assert summary["records"] == 3 and summary["labelled"] == 3
    rows = [json.loads(line) for line in (tmp_path / "dataset" / "data.jsonl").read_text().splitlines()]
    assert sorted((r["probability"], r["prediction"], r["groundTruth"]) for r in rows) == [
        ("0.20", "0", "1"),
        ("0.91", "1", "0"),
        ("0.91", "1", "1"),
    ]


def test_bias_and_explainability_datasets_are_csv(s3: Any, tmp_path: Path) -> None:
    _capture(s3)
    job.prepare("ModelExplainability", _env("ModelExplainability"), s3, out=str(tmp_path))
    rows = (tmp_path / "dataset" / "data.csv").read_text().splitlines()
    assert sorted(rows) == ["1,2.5,a", "1,2.5,a", "3,0.5,b", "3,0.5,b"]


def test_json_payload_attribute() -> None:
    payload = {"observedContentType": "application/json", "data": json.dumps({"predictions": [{"score": 0.7}]})}
    assert job.attribute(payload, "$.predictions[0].score") == "0.7"
    assert job.attribute({"observedContentType": "text/csv", "data": "0.1,0.9"}, "1") == "0.9"


def _stats(tmp: Path, name: str, features: list[dict[str, Any]]) -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / name).write_text(json.dumps({"version": 0.0, "features": features}))


def _numeric(name: str, counts: list[float]) -> dict[str, Any]:
    buckets = [{"lower_bound": i, "upper_bound": i + 1, "count": c} for i, c in enumerate(counts)]
    return {
        "name": name,
        "inferred_type": "Fractional",
        "numerical_statistics": {"distribution": {"kll": {"buckets": buckets}}},
    }


def _categorical(counts: dict[str, int]) -> dict[str, Any]:
    buckets = [{"value": v, "count": c} for v, c in counts.items()]
    return {"string_statistics": {"distribution": {"categorical": {"buckets": buckets}}}}


def test_drift_distance_is_the_largest_cdf_gap() -> None:
    assert job.drift_distance(_numeric("x", [5, 5]), _numeric("x", [5, 5])) == 0.0
    assert job.drift_distance(_numeric("x", [10, 0]), _numeric("x", [0, 10])) == 1.0
    assert job.drift_distance(_numeric("x", [6, 4]), _numeric("x", [4, 6])) == pytest.approx(0.2)
    assert job.drift_distance(_categorical({"a": 3, "b": 1}), _categorical({"a": 1, "b": 3})) == pytest.approx(0.5)
    assert job.drift_distance({}, {}) is None


def test_publish_puts_the_model_monitor_metrics_with_its_dimensions(tmp_path: Path) -> None:
    report, baseline = tmp_path / "report", tmp_path / "baseline"
    _stats(baseline, "statistics.json", [_numeric("tenure", [8, 2]), _numeric("age", [5, 5])])
    _stats(report, "statistics.json", [_numeric("tenure", [2, 8]), _numeric("age", [5, 5])])
    (report / "constraint_violations.json").write_text(
        json.dumps({"violations": [{"feature_name": "tenure", "constraint_check_type": "baseline_drift_check"}]})
    )
    found = job.metrics("DataQuality", report=str(report), baseline=str(baseline))
    by_name = {name: (value, dims) for name, value, dims in found}
    assert by_name["constraint_violations"] == (1.0, {})
    assert by_name["feature_baseline_drift_tenure"][0] == pytest.approx(0.6)
    assert by_name["feature_baseline_drift_age"] == (0.0, {"Feature": "age"})
    env = {
        "EXECUTION_START": START,
        "ENDPOINT_NAME": "churn-ep",
        "MONITOR_NAME": "mon-dq",
        "NAMESPACE": "aws/sagemaker/Endpoints/data-metrics",
    }
    with mock_aws():
        cw = boto3.client("cloudwatch", region_name=REGION)
        assert job.publish(cw, env, found) == 3
        listed = cw.list_metrics(Namespace=env["NAMESPACE"], MetricName="feature_baseline_drift_tenure")["Metrics"]
        (metric,) = listed
        assert {d["Name"]: d["Value"] for d in metric["Dimensions"]} == {
            "Endpoint": "churn-ep",
            "MonitoringSchedule": "mon-dq",
            "Feature": "tenure",
        }
        stats = cw.get_metric_statistics(
            Namespace=env["NAMESPACE"],
            MetricName="constraint_violations",
            Dimensions=[{"Name": "Endpoint", "Value": "churn-ep"}, {"Name": "MonitoringSchedule", "Value": "mon-dq"}],
            StartTime=datetime(2026, 12, 2, 9, tzinfo=UTC),
            EndTime=datetime(2026, 12, 2, 11, tzinfo=UTC),
            Period=3600,
            Statistics=["Maximum"],
        )["Datapoints"]
        assert [d["Maximum"] for d in stats] == [1.0]


def test_model_quality_bias_and_explainability_metrics(tmp_path: Path) -> None:
    (tmp_path / "statistics.json").write_text(
        json.dumps({"binary_classification_metrics": {"accuracy": {"value": 0.75}, "confusion_matrix": {"0": {}}}})
    )
    assert ("accuracy", 0.75, {}) in job.metrics("ModelQuality", report=str(tmp_path))
    (tmp_path / "analysis.json").write_text(
        json.dumps(
            {
                "post_training_bias_metrics": {
                    "label": "churn",
                    "label_value_or_threshold": "1",
                    "facets": {"gender": [{"value_or_threshold": "F", "metrics": [{"name": "DPPL", "value": 0.12}]}]},
                },
                "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"tenure": 0.3}}}},
            }
        )
    )
    bias = job.metrics("ModelBias", report=str(tmp_path))
    assert (
        "DPPL",
        0.12,
        {"BiasStage": "post_training", "Label": "churn", "LabelValue": "1", "Facet": "gender", "FacetValue": "F"},
    ) in bias
    shap = job.metrics("ModelExplainability", report=str(tmp_path))
    assert ("tenure", 0.3, {"ExplainabilityMethod": "KernelShap", "Label": "label0"}) in shap


def test_main_rejects_a_malformed_environment_without_side_effects(capsys: pytest.CaptureFixture[str]) -> None:
    assert job.main({"MONITOR_MODE": "window"}) == 2
    logged = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert logged["message"] == "missing environment" and "EXECUTION_START" in logged["missing"]
    assert (
        job.main(
            {"MONITOR_MODE": "dance", "MONITOR_KIND": "DataQuality", "EXECUTION_START": START, "ENDPOINT_NAME": "e"}
        )
        == 2
    )


# -- baselines of the deployed model package version ---------------------------------------------------

PARAMETER = "/constructs-ml/churn/deployed-package"


@pytest.fixture
def registry(s3: Any) -> Iterator[tuple[Any, Any]]:
    """moto's SSM and SageMaker (inside the s3 fixture's mock), with the placeholder recorded."""
    ssm = boto3.client("ssm", region_name=REGION)
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    ssm.put_parameter(Name=PARAMETER, Value="none", Type="String")
    sagemaker.create_model_package_group(ModelPackageGroupName="churn")
    yield ssm, sagemaker


def _package(sagemaker: Any, baselines: dict[str, Any]) -> str:
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="churn",
        InferenceSpecification={
            "Containers": [{"Image": "1.dkr.ecr.eu-west-1.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        DriftCheckBaselines=baselines,
    )["ModelPackageArn"]
    return str(arn)


def _source(key: str) -> dict[str, str]:
    return {"S3Uri": f"s3://{BUCKET}/{key}", "ContentType": "application/json"}


def test_window_copies_the_deployed_versions_data_quality_baseline(
    s3: Any, registry: tuple[Any, Any], tmp_path: Path
) -> None:
    ssm, sagemaker = registry
    _capture(s3)
    run = "pipelines/churn/DataQualityBaseline/quality_check_output/run1"
    s3.put_object(Bucket=BUCKET, Key=f"{run}/statistics.json", Body=b'{"version": 0.0, "features": []}')
    s3.put_object(Bucket=BUCKET, Key=f"{run}/constraints.json", Body=b'{"version": 0.0}')
    s3.put_object(Bucket=BUCKET, Key="baselines/churn/data-quality/constraints.json", Body=b'{"static": true}')
    arn = _package(
        sagemaker,
        {
            "ModelDataQuality": {
                "Statistics": _source(f"{run}/statistics.json"),
                "Constraints": _source(f"{run}/constraints.json"),
            }
        },
    )
    ssm.put_parameter(Name=PARAMETER, Value=arn, Type="String", Overwrite=True)
    env = _env("DataQuality", BASELINE_PARAMETER=PARAMETER, BASELINE_URI=f"s3://{BUCKET}/baselines/churn/data-quality/")
    summary = job.prepare("DataQuality", env, s3, out=str(tmp_path), ssm=ssm, sagemaker=sagemaker)
    assert summary["baseline"] == 1 and summary["baseline_source"] == arn
    assert json.loads((tmp_path / "baseline/constraints.json").read_text()) == {"version": 0.0}
    assert (tmp_path / "baseline/statistics.json").exists()
    assert json.loads((tmp_path / "window/window.json").read_text())["baseline"] == 1


def test_window_falls_back_to_the_monitors_prefix_until_a_version_is_deployed(
    s3: Any, registry: tuple[Any, Any], tmp_path: Path
) -> None:
    ssm, sagemaker = registry
    s3.put_object(Bucket=BUCKET, Key="baselines/churn/model-quality/constraints.json", Body=b'{"static": true}')
    env = _env(
        "ModelQuality",
        BASELINE_PARAMETER=PARAMETER,
        BASELINE_URI=f"s3://{BUCKET}/baselines/churn/model-quality/",
        GROUND_TRUTH_URI=f"s3://{BUCKET}/ground-truth/",
    )
    summary = job.prepare("ModelQuality", env, s3, out=str(tmp_path), ssm=ssm, sagemaker=sagemaker)
    assert summary["baseline"] == 1 and summary["baseline_source"] == env["BASELINE_URI"]
    assert json.loads((tmp_path / "baseline/constraints.json").read_text()) == {"static": True}


def test_window_reports_no_baseline_when_neither_exists(s3: Any, registry: tuple[Any, Any], tmp_path: Path) -> None:
    ssm, sagemaker = registry
    # A deployed version that records no data-quality baseline, and no file under the monitor's prefix.
    arn = _package(sagemaker, {"ModelQuality": {"Constraints": _source("pipelines/x/constraints.json")}})
    ssm.put_parameter(Name=PARAMETER, Value=arn, Type="String", Overwrite=True)
    env = _env("DataQuality", BASELINE_PARAMETER=PARAMETER, BASELINE_URI=f"s3://{BUCKET}/baselines/churn/data-quality/")
    summary = job.prepare("DataQuality", env, s3, out=str(tmp_path), ssm=ssm, sagemaker=sagemaker)
    assert summary["baseline"] == 0 and summary["baseline_source"] == ""
    assert list((tmp_path / "baseline").iterdir()) == []


def test_a_baseline_the_deployed_version_records_but_s3_lacks_fails_the_run(
    s3: Any, registry: tuple[Any, Any], tmp_path: Path
) -> None:
    ssm, sagemaker = registry
    arn = _package(sagemaker, {"ModelQuality": {"Constraints": _source("pipelines/gone/constraints.json")}})
    ssm.put_parameter(Name=PARAMETER, Value=arn, Type="String", Overwrite=True)
    env = _env("ModelQuality", BASELINE_PARAMETER=PARAMETER, GROUND_TRUTH_URI=f"s3://{BUCKET}/ground-truth/")
    with pytest.raises(s3.exceptions.NoSuchKey):
        job.prepare("ModelQuality", env, s3, out=str(tmp_path), ssm=ssm, sagemaker=sagemaker)
    assert not (tmp_path / "window/window.json").exists() and not (tmp_path / "dataset").exists()
