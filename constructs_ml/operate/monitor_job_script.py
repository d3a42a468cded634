"""The helper job of the monitoring pipelines: runs as a SageMaker processing job (Python 3 + boto3 image).

Standard library and boto3 only. ``MONITOR_MODE`` selects what it does:

* ``window``: list the endpoint's captured records whose ``inferenceTime`` falls in the monitored window
  (``[hour of the execution start + start offset, ... + end offset)``), join them with ground truth by
  ``eventId`` where the monitor needs labels, and write the dataset the analyzer reads plus
  ``window.json`` (``{"records": n, ...}``, read by the pipeline's condition step). With
  ``BASELINE_PARAMETER`` set it also resolves the monitor's baseline: the files the model package
  version deployed to the endpoint records as its ``DriftCheckBaselines`` (the SSM parameter holds
  the version's ARN), else the files under ``BASELINE_URI``, copied to ``baseline/`` for the analysis
  (``window.json`` says ``"baseline": 1`` and where it came from, or ``0`` when there is none yet).
* ``publish``: read the analyzer's reports and publish the metrics Model Monitor would have published
  (Model Monitor publishes what its container writes; a plain processing job publishes nothing), plus
  ``constraint_violations`` (how many violations the report lists).

:class:`~constructs_ml.operate.monitor_pipeline.PipelineMonitor` ships this file inside the pipeline
definition (base64 in ``ContainerArguments``), so the job needs no code bucket.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

OUT = "/opt/ml/processing/output"
REPORT = "/opt/ml/processing/input/report"
BASELINE = "/opt/ml/processing/input/baseline"
_DURATION = re.compile(r"^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def log(message: str, **fields: Any) -> None:
    print(json.dumps({"message": message, **fields}, default=str), flush=True)


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration of days/hours/minutes, e.g. ``-PT2H`` or ``-P1D``."""
    m = _DURATION.match(text)
    if m is None or text in ("P", "-P"):
        raise ValueError(f"not a duration: {text!r}")
    delta = timedelta(days=int(m.group(2) or 0), hours=int(m.group(3) or 0), minutes=int(m.group(4) or 0))
    return -delta if m.group(1) else delta


def parse_time(text: str) -> datetime:
    """An ISO-8601 timestamp (``Z`` or an offset; naive means UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def window(execution_start: str, start_offset: str, end_offset: str) -> tuple[datetime, datetime]:
    """The analysed window: the hour the execution started in, shifted by the offsets."""
    hour = parse_time(execution_start).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start, end = hour + parse_duration(start_offset), hour + parse_duration(end_offset)
    if start >= end:
        raise ValueError(f"empty window: {start} .. {end}")
    return start, end


def split_uri(uri: str) -> tuple[str, str]:
    m = re.match(r"^s3://([^/]+)/?(.*)$", uri)
    if m is None:
        raise ValueError(f"not an S3 URI: {uri!r}")
    prefix = m.group(2)
    return m.group(1), prefix if not prefix or prefix.endswith("/") else prefix + "/"


def hours(start: datetime, end: datetime) -> Iterator[datetime]:
    t = start.replace(minute=0, second=0, microsecond=0)
    while t < end:
        yield t
        t += timedelta(hours=1)


def list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def sub_prefixes(s3: Any, bucket: str, prefix: str) -> list[str]:
    out: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        out += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return out


def json_lines(s3: Any, bucket: str, key: str) -> Iterator[dict[str, Any]]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    for line in body.splitlines():
        if line.strip():
            yield json.loads(line)


def captured(s3: Any, capture_uri: str, endpoint: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Captured records of every variant (``<capture>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl``) in the window."""
    bucket, prefix = split_uri(capture_uri)
    records: list[dict[str, Any]] = []
    for variant in sub_prefixes(s3, bucket, f"{prefix}{endpoint}/"):
        for hour in hours(start, end):
            for key in list_keys(s3, bucket, f"{variant}{hour:%Y/%m/%d/%H}/"):
                for record in json_lines(s3, bucket, key):
                    when = record.get("eventMetadata", {}).get("inferenceTime")
                    if when is not None and start <= parse_time(when) < end:
                        records.append(record)
    return records


def ground_truth(s3: Any, uri: str, start: datetime, until: datetime) -> dict[str, str]:
    """Labels by ``eventId``, from ``<uri>/yyyy/mm/dd/hh/*.jsonl`` written between ``start`` and ``until``."""
    bucket, prefix = split_uri(uri)
    labels: dict[str, str] = {}
    for hour in hours(start, until):
        for key in list_keys(s3, bucket, f"{prefix}{hour:%Y/%m/%d/%H}/"):
            for record in json_lines(s3, bucket, key):
                event = record.get("eventMetadata", {}).get("eventId")
                data = record.get("groundTruthData", {}).get("data")
                if event is not None and data is not None:
                    labels[str(event)] = str(data)
    return labels


def attribute(payload: Mapping[str, Any], path: str | None) -> str | None:
    """A field of a captured payload: a CSV column index, or a dotted path / index into JSON."""
    data = str(payload.get("data", ""))
    if "json" in str(payload.get("observedContentType", payload.get("encoding", ""))).lower():
        value: Any = json.loads(data)
        for part in [p for p in re.split(r"[.\[\]]", (path or "").lstrip("$")) if p]:
            value = value[int(part)] if isinstance(value, list) else value[part]
        return None if value is None else str(value)
    row = next(csv.reader([data]), [])
    index = int(path or 0)
    return row[index].strip() if index < len(row) else None


def features(payload: Mapping[str, Any]) -> list[str]:
    return [v.strip() for v in next(csv.reader([str(payload.get("data", ""))]), [])]


#: Per monitor: the ``DriftCheckBaselines`` entries it compares against and the file names the analysis reads.
PACKAGE_BASELINES: dict[str, list[tuple[str, str, str]]] = {
    "DataQuality": [
        ("ModelDataQuality", "Statistics", "statistics.json"),
        ("ModelDataQuality", "Constraints", "constraints.json"),
    ],
    "ModelQuality": [("ModelQuality", "Constraints", "constraints.json")],
    "ModelBias": [("Bias", "PostTrainingConstraints", "analysis.json")],
    "ModelExplainability": [("Explainability", "Constraints", "analysis.json")],
}
_PACKAGE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[A-Za-z0-9-]+/\d+$")


def split_key(uri: str) -> tuple[str, str]:
    """``(bucket, key)`` of an object URI."""
    m = re.match(r"^s3://([^/]+)/(.+)$", uri)
    if m is None or m.group(2).endswith("/"):
        raise ValueError(f"not an S3 object URI: {uri!r}")
    return m.group(1), m.group(2)


def baseline_sources(kind: str, env: Mapping[str, str], ssm: Any, sagemaker: Any) -> tuple[dict[str, str], str]:
    """The baseline files of the monitor (file name -> S3 URI) and where they come from.

    The deployed package version's ``DriftCheckBaselines`` when the parameter names a version that records
    every file the monitor needs; else ``BASELINE_URI/<file>`` when set; else none (``({}, "")``).
    """
    value = str(ssm.get_parameter(Name=env["BASELINE_PARAMETER"])["Parameter"]["Value"]).strip()
    if _PACKAGE_ARN.match(value):
        recorded = sagemaker.describe_model_package(ModelPackageName=value).get("DriftCheckBaselines", {})
        found = {
            name: recorded.get(section, {}).get(key, {}).get("S3Uri") for section, key, name in PACKAGE_BASELINES[kind]
        }
        if all(found.values()):
            return {k: str(v) for k, v in found.items()}, value
        log("the deployed model package records no baseline for this monitor", package=value, kind=kind)
    else:
        log("no model package deployed yet", parameter=env["BASELINE_PARAMETER"], value=value)
    if env.get("BASELINE_URI"):
        bucket, prefix = split_uri(env["BASELINE_URI"])
        return {name: f"s3://{bucket}/{prefix}{name}" for _, _, name in PACKAGE_BASELINES[kind]}, env["BASELINE_URI"]
    return {}, ""


def copy_baseline(s3: Any, sources: Mapping[str, str], out: str, required: bool) -> bool:
    """Copy the baseline files to ``out/baseline/``. A missing file is an error when ``required`` (the
    deployed version records it), else it means "no baseline yet" (False)."""
    os.makedirs(f"{out}/baseline", exist_ok=True)
    for name, uri in sources.items():
        bucket, key = split_key(uri)
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            if required:
                raise
            log("no baseline file yet", uri=uri)
            return False
        with open(f"{out}/baseline/{name}", "wb") as f:
            f.write(body)
    return bool(sources)


def prepare(
    kind: str, env: Mapping[str, str], s3: Any, out: str = OUT, ssm: Any = None, sagemaker: Any = None
) -> dict[str, Any]:
    """Write the window's dataset under ``out/dataset``, the baseline under ``out/baseline`` (with
    ``BASELINE_PARAMETER``) and the summary to ``out/window/window.json``."""
    start, end = window(env["EXECUTION_START"], env["START_OFFSET"], env["END_OFFSET"])
    found, origin = False, ""
    if env.get("BASELINE_PARAMETER"):
        # First: a baseline the deployed version records but S3 lacks fails the run before any dataset is written.
        sources, origin = baseline_sources(kind, env, ssm, sagemaker)
        found = copy_baseline(s3, sources, out, required=origin.startswith("arn:"))
    records = captured(s3, env["CAPTURE_URI"], env["ENDPOINT_NAME"], start, end)
    labels: dict[str, str] = {}
    if kind in ("ModelQuality", "ModelBias"):
        labels = ground_truth(s3, env["GROUND_TRUTH_URI"], start, parse_time(env["EXECUTION_START"]))
    os.makedirs(f"{out}/dataset", exist_ok=True)
    os.makedirs(f"{out}/window", exist_ok=True)
    rows = 0
    threshold = float(env["PROBABILITY_THRESHOLD"]) if env.get("PROBABILITY_THRESHOLD") else None
    with open(f"{out}/dataset/data.{'jsonl' if kind in ('DataQuality', 'ModelQuality') else 'csv'}", "w") as f:
        writer = csv.writer(f)
        for r in records:
            inp, outp = (
                r.get("captureData", {}).get("endpointInput", {}),
                r.get("captureData", {}).get("endpointOutput", {}),
            )
            label = labels.get(str(r.get("eventMetadata", {}).get("eventId")))
            if kind == "DataQuality":
                f.write(json.dumps(r) + "\n")
            elif kind == "ModelExplainability":
                writer.writerow(features(inp))
            elif label is None:
                continue
            else:
                probability = (
                    attribute(outp, env["PROBABILITY_ATTRIBUTE"]) if env.get("PROBABILITY_ATTRIBUTE") else None
                )
                prediction = attribute(outp, env.get("INFERENCE_ATTRIBUTE") or None) if probability is None else None
                if probability is not None and threshold is not None:
                    prediction = "1" if float(probability) >= threshold else "0"
                if kind == "ModelQuality":
                    row = {"prediction": prediction, "probability": probability, "groundTruth": label}
                    f.write(json.dumps({k: v for k, v in row.items() if v is not None}) + "\n")
                else:
                    writer.writerow([*features(inp), label, prediction])
            rows += 1
    summary: dict[str, Any] = {
        "records": rows,
        "captured": len(records),
        "labelled": len(labels),
        "start": start,
        "end": end,
    }
    if env.get("BASELINE_PARAMETER"):
        summary.update({"baseline": 1 if found else 0, "baseline_source": origin if found else ""})
    with open(f"{out}/window/window.json", "w") as f:
        json.dump(summary, f, default=str)
    log("window prepared", kind=kind, **summary)
    return summary


def drift_distance(baseline: Mapping[str, Any], current: Mapping[str, Any]) -> float | None:
    """The L-infinity distance between a feature's baseline and current distributions (0..1).

    Numerical features: the largest difference of the two empirical CDFs at the KLL bucket edges;
    string features: the largest difference of the category frequencies.
    """

    def kll(f: Mapping[str, Any]) -> list[dict[str, float]]:
        return list(f.get("numerical_statistics", {}).get("distribution", {}).get("kll", {}).get("buckets", []))

    def cats(f: Mapping[str, Any]) -> list[dict[str, Any]]:
        return list(f.get("string_statistics", {}).get("distribution", {}).get("categorical", {}).get("buckets", []))

    a, b = kll(baseline), kll(current)
    if a and b:
        edges = sorted({x["upper_bound"] for x in a + b})

        def cdf(buckets: list[dict[str, float]], x: float) -> float:
            total = sum(k["count"] for k in buckets) or 1.0
            return sum(k["count"] for k in buckets if k["upper_bound"] <= x) / total

        return float(max(abs(cdf(a, x) - cdf(b, x)) for x in edges))
    c, d = cats(baseline), cats(current)
    if c and d:
        fa = {k["value"]: k["count"] for k in c}
        fb = {k["value"]: k["count"] for k in d}
        ta, tb = sum(fa.values()) or 1, sum(fb.values()) or 1
        return float(max(abs(fa.get(v, 0) / ta - fb.get(v, 0) / tb) for v in set(fa) | set(fb)))
    return None


def read_json(path: str) -> dict[str, Any]:
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return dict(json.load(f))


def metrics(kind: str, report: str = REPORT, baseline: str = BASELINE) -> list[tuple[str, float, dict[str, str]]]:
    """``(metric name, value, extra dimensions)`` from the analyzer's reports."""
    out: list[tuple[str, float, dict[str, str]]] = []
    violations = read_json(f"{report}/constraint_violations.json").get("violations", [])
    out.append(("constraint_violations", float(len(violations)), {}))
    if kind == "DataQuality":
        base = {f["name"]: f for f in read_json(f"{baseline}/statistics.json").get("features", [])}
        for feature in read_json(f"{report}/statistics.json").get("features", []):
            name = feature["name"]
            distance = drift_distance(base[name], feature) if name in base else None
            if distance is not None:
                out.append((f"feature_baseline_drift_{name}", distance, {"Feature": name}))
    elif kind == "ModelQuality":
        for group, values in read_json(f"{report}/statistics.json").items():
            if group.endswith("_metrics") and isinstance(values, dict):
                for name, value in values.items():
                    if isinstance(value, dict) and isinstance(value.get("value"), int | float):
                        out.append((name, float(value["value"]), {}))
    elif kind == "ModelBias":
        analysis = read_json(f"{report}/analysis.json")
        for stage in ("pre_training", "post_training"):
            section = analysis.get(f"{stage}_bias_metrics", {})
            for facet, entries in section.get("facets", {}).items():
                for entry in entries:
                    for m in entry.get("metrics", []):
                        if isinstance(m.get("value"), int | float):
                            dims = {
                                "BiasStage": stage,
                                "Label": str(section.get("label", "")),
                                "LabelValue": str(section.get("label_value_or_threshold", "")),
                                "Facet": facet,
                                "FacetValue": str(entry.get("value_or_threshold", "")),
                            }
                            out.append((m["name"], float(m["value"]), dims))
    elif kind == "ModelExplainability":
        shap = read_json(f"{report}/analysis.json").get("explanations", {}).get("kernel_shap", {})
        for label, values in shap.items():
            for name, value in values.get("global_shap_values", {}).items():
                out.append((name, float(value), {"ExplainabilityMethod": "KernelShap", "Label": label}))
    return out


def publish(cloudwatch: Any, env: Mapping[str, str], found: list[tuple[str, float, dict[str, str]]]) -> int:
    """Put the metrics in the monitor's namespace with its ``Endpoint``/``MonitoringSchedule`` dimensions."""
    when = parse_time(env["EXECUTION_START"]).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    base = {"Endpoint": env["ENDPOINT_NAME"], "MonitoringSchedule": env["MONITOR_NAME"]}
    data = [
        {
            "MetricName": name[:255],
            "Timestamp": when,
            "Value": value,
            "Dimensions": [{"Name": k, "Value": v[:255] or "-"} for k, v in {**base, **dims}.items()][:30],
        }
        for name, value, dims in found
    ]
    for i in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace=env["NAMESPACE"], MetricData=data[i : i + 500])
    log("metrics published", count=len(data), namespace=env["NAMESPACE"])
    return len(data)


def main(env: Mapping[str, str]) -> int:
    import boto3  # only in the job: the tests pass their own clients

    missing = [k for k in ("MONITOR_MODE", "MONITOR_KIND", "EXECUTION_START", "ENDPOINT_NAME") if not env.get(k)]
    if missing:
        log("missing environment", missing=missing)
        return 2
    kind = env["MONITOR_KIND"]
    if env["MONITOR_MODE"] == "window":
        package = bool(env.get("BASELINE_PARAMETER"))
        ssm, sagemaker = (boto3.client("ssm"), boto3.client("sagemaker")) if package else (None, None)
        prepare(kind, env, boto3.client("s3"), ssm=ssm, sagemaker=sagemaker)
        return 0
    if env["MONITOR_MODE"] == "publish":
        publish(boto3.client("cloudwatch"), env, metrics(kind))
        return 0
    log("unknown mode", mode=env["MONITOR_MODE"])
    return 2


if __name__ == "__main__":
    sys.exit(main(os.environ))
