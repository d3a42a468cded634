"""The pipeline backend of :class:`~constructs_ml.operate.ModelMonitor`: one scheduled SageMaker pipeline per monitor.

No Model Monitor API is used (Model Monitor closed to new customers on 2026-07-30; see docs/operate.md).
Each monitor is an ``AWS::SageMaker::Pipeline`` that an EventBridge rule starts on the monitor's
schedule (:class:`~constructs_ml.develop.pipeline_target.SageMakerPipelineTarget`: dead-letter queue,
retries), with these steps::

    Window ──> HasRecords? ──yes──> Analyze ──> Publish
                            └─no──> (nothing to analyse: the execution succeeds)

* ``Window`` (helper image): selects the captured records of the monitored hour(s) (and joins them with
  ground truth for model quality and bias), writes the dataset and a ``window.json`` property file.
* ``Analyze``: AWS's Model Monitor analyzer image (data and model quality) or Clarify image (bias,
  explainability) as a plain processing job on that dataset, against the baseline; it writes the same
  reports as a Model Monitor execution (``statistics.json``, ``constraint_violations.json``,
  ``analysis.json``) under ``output/<type>/Analyze/report/<execution id>/``.
* ``Publish`` (helper image): publishes the metrics Model Monitor would have published to the same
  namespace with the same ``Endpoint`` / ``MonitoringSchedule`` dimensions, plus
  ``constraint_violations``, on which :attr:`PipelineMonitor.violations_alarm` alarms.

The helper steps run :mod:`constructs_ml.operate.monitor_job_script`, shipped inside the pipeline
definition (zlib + base64 in ``ContainerArguments``, 256 characters per argument): no code bucket, no
asset the job would need access to, and what runs is what the reviewed definition says. They call the
S3 and CloudWatch APIs, so they run without network isolation (in the VPC, through its endpoints), as
does the explainability analysis (Clarify serves the model on a shadow endpoint through the SageMaker
API). Everything else keeps isolation and inter-container encryption on.
"""

from __future__ import annotations

import base64
import dataclasses
import zlib
from pathlib import Path
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_ml.develop.images import BuiltinAlgorithm, ContainerImage
from constructs_ml.develop.pipeline import (
    Condition,
    ConditionStep,
    ExecutionVariables,
    ProcessingInput,
    ProcessingOutput,
    ProcessingStep,
    PropertyFile,
    S3Location,
    TrainingPipeline,
)
from constructs_ml.develop.pipeline_target import SageMakerPipelineTarget
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.governance.acknowledgements import acknowledge
from constructs_ml.instance_types import InstanceType
from constructs_ml.operate.monitor_config import (
    BiasMonitor,
    DataQualityMonitor,
    ExplainabilityMonitor,
    ModelQualityMonitor,
    MonitorConfig,
    MonitoringType,
    PackageBaselines,
)
from constructs_ml.operate.monitor_metrics import MonitorMetrics
from constructs_ml.serve.common import S3Path, physical_name
from constructs_ml.serve.endpoint_base import EndpointBase

#: The helper steps' default image: SageMaker's scikit-learn processing image (Python 3 and boto3), in the
#: same per-region registries as the XGBoost image (SageMaker Python SDK ``image_uri_config/sklearn.json``).
SKLEARN_PROCESSING = BuiltinAlgorithm.of("sagemaker-scikit-learn", "XGBoost", "1.2-1-cpu-py3")

_SCRIPT = Path(__file__).with_name("monitor_job_script.py")
_LOADER = (
    "import base64,sys,zlib;"
    "exec(compile(zlib.decompress(base64.b64decode(''.join(sys.argv[1:]))),'monitor_job','exec'))"
)
_DATASET = "/opt/ml/processing/input/endpoint"
_BASELINE = "/opt/ml/processing/input/baseline"
_REPORT = "/opt/ml/processing/output/report"
_CLARIFY = {MonitoringType.MODEL_BIAS, MonitoringType.MODEL_EXPLAINABILITY}


def helper_arguments() -> list[str]:
    """The helper script, compressed and base64-encoded, in arguments of at most 256 characters."""
    packed = base64.b64encode(zlib.compress(_SCRIPT.read_bytes(), 9)).decode()
    return [packed[i : i + 256] for i in range(0, len(packed), 256)]


class PipelineMonitor(MonitorMetrics):
    """One monitor run by a scheduled SageMaker pipeline (see the module docstring).

    Built by :class:`~constructs_ml.operate.ModelMonitor`; the props are its own (validated there).

    Attributes:
        pipeline: the monitoring pipeline (its ``job_role`` is shared by every monitor of the ModelMonitor).
        rule: the EventBridge rule that starts it on the schedule.
        monitoring_schedule_name: the monitor's name, the ``MonitoringSchedule`` dimension of its metrics.
        violations_alarm: alarms when a run reports constraint violations (None without an alarm action).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: MonitorConfig,
        endpoint: EndpointBase,
        capture: S3Path,
        output: S3Path,
        kms_key: kms.IKey,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: list[ec2.ISecurityGroup],
        job_role: ManagedPolicyRole,
        guardrail: iam.IManagedPolicy | None,
        image: str,
        helper_image: ContainerImage,
        instance_type: InstanceType,
        instance_count: int,
        volume_size_in_gb: int,
        max_runtime: Duration,
        schedule_role: iam.IRole,
        dead_letter_queue: sqs.IQueue,
        alarm_action: cloudwatch.IAlarmAction | None,
        baselines_from: PackageBaselines | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        t = config.monitoring_type
        self.monitoring_type = t
        self.endpoint_name = endpoint.endpoint_name
        self.monitoring_schedule_name = physical_name(self)
        self.config = config
        attrs = getattr(config, "attributes", None)
        start = (attrs.start_time_offset if attrs else None) or "-PT1H"
        end = (attrs.end_time_offset if attrs else None) or "-PT0H"
        job: dict[str, Any] = {
            "instance_type": instance_type,
            "instance_count": instance_count,
            "volume_size_gb": volume_size_in_gb,
            "max_runtime": max_runtime,
        }
        common_env: dict[str, Any] = {
            "MONITOR_KIND": t.value,
            "ENDPOINT_NAME": endpoint.endpoint_name,
            "EXECUTION_START": ExecutionVariables.START_DATETIME,
        }
        window_env = {**common_env, "MONITOR_MODE": "window", "CAPTURE_URI": capture.uri + "/"}
        window_env.update({"START_OFFSET": start, "END_OFFSET": end})
        ground_truth = getattr(config, "ground_truth", None)
        if ground_truth is not None:
            window_env["GROUND_TRUTH_URI"] = ground_truth.uri + "/"
        window_outputs = [
            ProcessingOutput("dataset", source="/opt/ml/processing/output/dataset"),
            ProcessingOutput("window", source="/opt/ml/processing/output/window"),
        ]
        if baselines_from is not None:
            # The Window step resolves the deployed version's baseline (or the monitor's own prefix) at run time.
            window_env["BASELINE_PARAMETER"] = baselines_from.deployed_package.parameter_name
            if config.baseline is not None:
                window_env["BASELINE_URI"] = config.baseline.uri + "/"
            window_outputs.append(ProcessingOutput("baseline", source="/opt/ml/processing/output/baseline"))
        if attrs is not None:
            for key, value in (
                ("INFERENCE_ATTRIBUTE", attrs.inference_attribute),
                ("PROBABILITY_ATTRIBUTE", attrs.probability_attribute),
                ("PROBABILITY_THRESHOLD", attrs.probability_threshold),
            ):
                if value is not None:
                    window_env[key] = str(value)
        helper: dict[str, Any] = {
            "image": helper_image,
            "entrypoint": ["python3", "-c", _LOADER],
            "arguments": helper_arguments(),
            "network_isolation": False,
            **job,
            "instance_type": InstanceType.ML_M5_LARGE,
            "instance_count": 1,
        }
        window = ProcessingStep(
            "Window",
            description="Select the monitored window of captured data (and join ground truth)",
            outputs=window_outputs,
            property_files=[PropertyFile("Window", output_name="window", path="window.json")],
            environment=window_env,
            **helper,
        )
        resolved = window.output("baseline") if baselines_from is not None else None
        baseline_inputs, analyze_env = self._analysis(config, window, resolved)
        analyze = ProcessingStep(
            "Analyze",
            description=f"{t.value} analysis of the window against the baseline",
            image=ContainerImage.from_uri(image),
            inputs=baseline_inputs,
            outputs=[ProcessingOutput("report", source=_REPORT if t not in _CLARIFY else "/opt/ml/processing/output")],
            environment=analyze_env,
            network_isolation=t is not MonitoringType.MODEL_EXPLAINABILITY,
            **job,
        )
        publish_inputs = [
            ProcessingInput("report", analyze.output("report"), destination="/opt/ml/processing/input/report")
        ]
        if isinstance(config, DataQualityMonitor) and resolved is not None:
            publish_inputs.append(ProcessingInput("baseline", resolved, destination=_BASELINE))
        elif isinstance(config, DataQualityMonitor) and config.baseline is not None:
            publish_inputs.append(
                ProcessingInput("baseline", _location(config.baseline.child("statistics.json")), destination=_BASELINE)
            )
        publish = ProcessingStep(
            "Publish",
            description="Publish the analysis as CloudWatch metrics",
            inputs=publish_inputs,
            environment={
                **common_env,
                "MONITOR_MODE": "publish",
                "MONITOR_NAME": self.monitoring_schedule_name,
                "NAMESPACE": t.namespace,
            },
            **helper,
        )
        conditions = [Condition.greater_than(window.property_file("Window").json_get("records"), 0)]
        if baselines_from is not None:
            conditions.append(Condition.greater_than(window.property_file("Window").json_get("baseline"), 0))
        gate = ConditionStep(
            "HasRecords",
            description="Analyse only when the window holds records"
            + (" and a baseline was found" if baselines_from is not None else ""),
            conditions=conditions,
            if_steps=[analyze, publish],
        )
        self.pipeline = TrainingPipeline(
            self,
            "Pipeline",
            steps=[window, gate],
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
            encryption_key=kms_key,
            artifacts_bucket=output.bucket,
            artifacts_prefix=f"{output.child(t.value).clean_prefix}/",
            job_role=job_role,
            guardrail=guardrail,
            description=f"{t.value} monitor of endpoint {endpoint.node.path} (constructs-ml, pipeline backend)",
        )
        isolated_off = ["Window", "Publish"] + (["Analyze"] if t is MonitoringType.MODEL_EXPLAINABILITY else [])
        acknowledge(
            self.pipeline.resource,
            "monitor-jobs-need-aws-apis",
            rules=tuple(f"SageMaker-PipelineStepNetworkIsolation[{s}]" for s in isolated_off),
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"Runs the {t.value} monitoring pipeline of {self.node.path}",
            schedule=events.Schedule.expression(config.schedule.expression),
        )
        self.rule.add_target(
            SageMakerPipelineTarget(
                pipeline_arn=self.pipeline.pipeline_arn,
                role=schedule_role,
                dead_letter_queue=dead_letter_queue,
                max_event_age=Duration.hours(1),
            )
        )
        self.violations_alarm: cloudwatch.Alarm | None = None
        if alarm_action is not None:
            self.violations_alarm = cloudwatch.Alarm(
                self,
                "Violations",
                alarm_description=f"{self.monitoring_schedule_name}: the {t.value} run reported constraint violations",
                metric=self.metric("constraint_violations"),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            self.violations_alarm.add_alarm_action(alarm_action)
            self.alarms.append(self.violations_alarm)

    def metric_constraint_violations(self, **props: Any) -> cloudwatch.Metric:
        """How many constraint violations the last run reported (published by the pipeline backend only)."""
        return self.metric("constraint_violations", **props)

    def metric_execution_failed(self, **props: Any) -> cloudwatch.Metric:
        """Failed executions of the monitoring pipeline."""
        return self.pipeline.metric_execution_failed(**props)

    @property
    def pipeline_arn(self) -> str:
        return self.pipeline.pipeline_arn

    @staticmethod
    def _analysis(
        config: MonitorConfig, window: ProcessingStep, resolved: Any = None
    ) -> tuple[list[ProcessingInput], dict[str, Any]]:
        """The analysis step's inputs and environment (the analyzer's / Clarify's container contract).

        ``resolved``: the Window step's ``baseline`` output (the files it resolved at run time), which
        replaces the monitor's static baseline inputs.
        """
        t = config.monitoring_type
        dataset = window.output("dataset")
        if resolved is not None:
            own, own_env = PipelineMonitor._analysis(dataclasses.replace(config, baseline=None), window)
            own.append(ProcessingInput("baseline", resolved, destination=_BASELINE))
            # The file names the Window step gives them (monitor_job_script.PACKAGE_BASELINES).
            own_env["baseline_constraints"] = f"{_BASELINE}/{'analysis' if t in _CLARIFY else 'constraints'}.json"
            if t is MonitoringType.DATA_QUALITY:
                own_env["baseline_statistics"] = f"{_BASELINE}/statistics.json"
            return own, own_env
        if t in _CLARIFY:
            assert isinstance(config, BiasMonitor | ExplainabilityMonitor)
            inputs = [
                ProcessingInput(
                    "analysis_config", _location(config.analysis_config), destination="/opt/ml/processing/input/config"
                ),
                ProcessingInput("dataset", dataset, destination="/opt/ml/processing/input/data"),
            ]
            env: dict[str, Any] = {}
            if config.baseline is not None:
                inputs.append(
                    ProcessingInput(
                        "baseline", _location(config.baseline.child("analysis.json")), destination=_BASELINE
                    )
                )
                env["baseline_constraints"] = f"{_BASELINE}/analysis.json"
            return inputs, env
        inputs = [ProcessingInput("endpoint", dataset, destination=_DATASET)]
        env = {"dataset_source": _DATASET, "output_path": _REPORT, "publish_cloudwatch_metrics": "Disabled"}
        if isinstance(config, DataQualityMonitor):
            env["dataset_format"] = '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}'
            if config.baseline is not None:
                inputs.append(
                    ProcessingInput(
                        "constraints",
                        _location(config.baseline.child("constraints.json")),
                        destination=f"{_BASELINE}/constraints",
                    )
                )
                inputs.append(
                    ProcessingInput(
                        "statistics",
                        _location(config.baseline.child("statistics.json")),
                        destination=f"{_BASELINE}/statistics",
                    )
                )
                env["baseline_constraints"] = f"{_BASELINE}/constraints/constraints.json"
                env["baseline_statistics"] = f"{_BASELINE}/statistics/statistics.json"
            return inputs, env
        assert isinstance(config, ModelQualityMonitor)
        env.update(
            {
                "analysis_type": "MODEL_QUALITY",
                "problem_type": config.problem_type.value,
                "dataset_format": '{"json": {"lines": true}}',
                "ground_truth_attribute": "groundTruth",
                "inference_attribute": "prediction",
            }
        )
        if config.attributes.probability_attribute is not None:
            env["probability_attribute"] = "probability"
        if config.attributes.probability_threshold is not None:
            env["probability_threshold_attribute"] = str(config.attributes.probability_threshold)
        if config.baseline is not None:
            inputs.append(
                ProcessingInput(
                    "constraints",
                    _location(config.baseline.child("constraints.json")),
                    destination=f"{_BASELINE}/constraints",
                )
            )
            env["baseline_constraints"] = f"{_BASELINE}/constraints/constraints.json"
        return inputs, env


def _location(path: S3Path) -> S3Location:
    return S3Location(path.bucket, path.clean_prefix)


__all__ = ["SKLEARN_PROCESSING", "PipelineMonitor", "helper_arguments"]
