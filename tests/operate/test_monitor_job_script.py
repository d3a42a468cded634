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
