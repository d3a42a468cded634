"""A Ground Truth labeling workflow: a Step Functions state machine that runs a labeling job and publishes
the labeled manifest as new data for retraining (label → train → deploy).

Each execution names a job ``<prefix>-<uuid>``, runs it with Step Functions' optimized
``arn:aws:states:::sagemaker:createLabelingJob.sync`` integration (the execution waits for the job), and on
success copies ``<output>/<job>/manifests/output/output.manifest`` to ``<publish_to>/<job>.manifest`` with
an S3 ``CopyObject`` SDK task. When ``publish_to`` is the prefix a
:class:`~constructs_ml.operate.RetrainingTrigger` watches (``NewDataTrigger``), that copy is the
"Object Created" event that starts retraining.

Example::

    LabelingWorkflow(stack, "LabelImages", workteam=team, task_type=LabelingTaskType.BOUNDING_BOX,
        manifest=S3Path(buckets.data.bucket, "churn/labeling/input.manifest"),
        ui_template=S3Path(buckets.artifacts.bucket, "labeling/bounding-box.liquid.html"),
        output=S3Path(buckets.data.bucket, "churn/labeling/output"),
        publish_to=S3Path(buckets.data.bucket, "churn/incoming"),
        key=keys.data, log_key=keys.logs, guardrail=guardrail.policy)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, select_subnets, stack_of
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import ManagedPolicyRole
from constructs_ml.label.task_types import (
    AUTOMATED_LABELING_ACCOUNT,
    BUILTIN_FUNCTION_ACCOUNTS,
    BUILTIN_TASKS,
    LabelingTaskType,
)
from constructs_ml.label.workflow_roles import labeling_job_role, state_machine_role
from constructs_ml.label.workforce import Workteam, WorkteamRef
from constructs_ml.serve.common import S3Path, physical_name

#: Label attribute names (the key the labels get in the output manifest).
_LABEL_ATTRIBUTE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,126}$")
#: Characters allowed in prefixes that are embedded in States.Format strings.
_SAFE_PREFIX = re.compile(r"^[a-zA-Z0-9!_.*()/-]*$")

_SELECTION_KEYS = ("availability_zones", "one_per_az", "subnet_filters", "subnet_group_name", "subnets", "subnet_type")


@dataclass(frozen=True)
class AutomatedLabeling:
    """Automated data labeling (active learning) for the task types that have a built-in algorithm.

    Ground Truth trains and runs models on your data: their instances run in ``vpc`` (private subnets)
    with ``security_groups``, and their volumes are encrypted with the workflow's key.

    Attributes:
        vpc: the VPC of the automated-labeling instances (``MlNetwork.vpc``).
        security_groups: their security groups (``MlNetwork.workload_security_group``).
        subnets: which subnets: the VPC's private isolated subnets.
    """

    vpc: ec2.IVpc
    security_groups: Sequence[ec2.ISecurityGroup]
    subnets: ec2.SubnetSelection | None = None


class LabelingWorkflow(Construct):
    """A state machine that runs a Ground Truth labeling job and publishes its labeled manifest.

    Secure by default: the output is encrypted with ``key`` (the platform key: the guardrail denies
    labeling jobs without it), automated labeling runs in the VPC with the volume key, the job role
    reads only the manifest, the data prefixes, the UI template and label categories and writes only the
    output prefix, the state machine's role passes that role to SageMaker only, and the state machine
    logs every event to a KMS-encrypted log group with X-Ray tracing.

    Args:
        scope: parent construct.
        construct_id: construct id.
        workteam: a private :class:`Workteam` of this stack, or one imported with
            :meth:`Workteam.from_workteam_arn` (it must be of this account).
        task_type: what workers do (:class:`LabelingTaskType`).
        manifest: the input manifest object (one JSON line per data object).
        ui_template: the worker UI template object (Liquid/crowd-html).
        output: the output prefix; each job writes under ``<output>/<job name>/``.
        key: the KMS key of the output (and of automated labeling's volumes); the buckets' key.
        log_key: the KMS key of the state machine's log group (the platform logs key).
        data: prefixes of the data objects the manifest names (``source-ref``): the manifest's folder.
        label_categories: the label-category configuration object: none (the template holds them).
        label_attribute_name: the key of the labels in the output manifest: ``"label"`` (semantic
            segmentation: ``"label-ref"``).
        task_title: shown to workers: derived from the task type.
        task_description: shown to workers: derived from the task type.
        workers_per_object: how many workers label each object (1..9): 1.
        task_time_limit: how long a worker may take per task (30 s..8 h): 5 minutes.
        task_availability: how long a task stays available to the team (1 min..30 days): 10 days.
        automated_labeling: run automated labeling in the VPC: off (every object is labeled by people).
        publish_to: where the labeled manifest is copied on success (the retraining trigger's new-data
            prefix): not published.
        allowed_buckets: the buckets the manifest, data, template, categories, output and publish path
            may be in: the output's bucket.
        job_name_prefix: the labeling jobs' name prefix (1..26 characters): derived from the construct path.
        guardrail: the SageMaker guardrail, attached to both roles: none.
        permissions_boundary: a boundary for both roles: none (the reference app sets one on every role).
        timeout: the longest an execution may run: 14 days.
        log_retention: the log group's retention: one year.

    Raises:
        ValidationError: an unknown task type, a manifest (or other path) outside ``allowed_buckets``, a
            work team of another account, a task type without built-in functions in this region, or
            values out of range.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workteam: Workteam | WorkteamRef,
        task_type: LabelingTaskType,
        manifest: S3Path,
        ui_template: S3Path,
        output: S3Path,
        key: kms.IKey,
        log_key: kms.IKey,
        data: Sequence[S3Path] | None = None,
        label_categories: S3Path | None = None,
        label_attribute_name: str | None = None,
        task_title: str | None = None,
        task_description: str | None = None,
        workers_per_object: int = 1,
        task_time_limit: Duration | None = None,
        task_availability: Duration | None = None,
        automated_labeling: AutomatedLabeling | None = None,
        publish_to: S3Path | None = None,
        allowed_buckets: Sequence[s3.IBucket] | None = None,
        job_name_prefix: str | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
        timeout: Duration | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = stack_of(self)
        env = env_of(stack)
        problems = Problems(self)
        folder = manifest.clean_prefix.rsplit("/", 1)[0] if "/" in manifest.clean_prefix else ""
        data = list(data) if data is not None else [S3Path(manifest.bucket, folder)]
        attribute = label_attribute_name or ("label-ref" if "SemanticSegmentation" in task_type.name else "label")
        prefix = job_name_prefix or physical_name(self, max_length=26)
        time_limit = (task_time_limit or Duration.minutes(5)).to_seconds()
        availability = (task_availability or Duration.days(10)).to_seconds()

        self._check_task_type(problems, task_type, env.region, automated_labeling)
        self._check_workteam(problems, workteam, env.account)
        allowed = list(allowed_buckets) if allowed_buckets is not None else [output.bucket]
        allowed_names = [stack.resolve(b.bucket_name) for b in allowed]
        paths: list[tuple[str, S3Path | None]] = [
            ("manifest", manifest),
            ("ui_template", ui_template),
            ("output", output),
            ("label_categories", label_categories),
            ("publish_to", publish_to),
            *[("data", d) for d in data],
        ]
        for prop, path in paths:
            if path is None:
                continue
            name = stack.resolve(path.bucket.bucket_name)
            problems.require(
                name in allowed_names,
                prop,
                path.uri if not is_unresolved(path.bucket.bucket_name) else f"{prop} bucket {name}",
                "in one of allowed_buckets (by default the output's bucket)",
                what="must be in one of allowed_buckets (by default the output's bucket); pass the bucket in "
                "allowed_buckets if the job may read it",
            )
            problem = path.prefix_problem()
            if problem is not None:
                problems.add(prop, path.prefix, problem)
            elif not _SAFE_PREFIX.match(path.prefix):
                problems.add(prop, path.prefix, "a key of letters, digits and !_.*()/-")
        for prop, path in (("manifest", manifest), ("ui_template", ui_template)):
            problems.require(bool(path.clean_prefix), prop, path.prefix, "an object key, not the whole bucket")
        problems.require(bool(output.clean_prefix), "output", output.prefix, "a key prefix (not the whole bucket)")
        problems.require(
            bool(_LABEL_ATTRIBUTE.match(attribute))
            and (attribute.endswith("-ref") == ("SemanticSegmentation" in task_type.name)),
            "label_attribute_name",
            attribute,
            "1..127 letters, digits and hyphens; ending in '-ref' exactly for semantic segmentation",
        )
        problems.require(
            bool(re.match(r"^[a-z0-9](-*[a-z0-9]){0,25}$", prefix)),
            "job_name_prefix",
            prefix,
            "1..26 lowercase letters, digits and hyphens (a UUID is appended per execution)",
        )
        problems.require_range("workers_per_object", workers_per_object, 1, 9)
        problems.require_range("task_time_limit (seconds)", time_limit, 30, 28800)
        problems.require_range("task_availability (seconds)", availability, 60, 2592000)
        problems.require(
            time_limit <= availability, "task_time_limit", time_limit, f"<= task_availability ({availability} s)"
        )
        problems.raise_if_any()

        subnet_ids: list[str] = []
        if automated_labeling is not None:
            selection = automated_labeling.subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            subnet_ids = list(
                select_subnets(
                    automated_labeling.vpc,
                    **{k: getattr(selection, k) for k in _SELECTION_KEYS if getattr(selection, k, None) is not None},
                ).subnet_ids
            )
        functions = [f for f in (task_type.pre_annotation, task_type.post_annotation) if f is not None]
        objects = [p for p in (ui_template, label_categories) if p is not None]
        self.job_role: ManagedPolicyRole = labeling_job_role(
            self,
            manifest=manifest,
            data=data,
            output=output,
            objects=objects,
            key=key,
            functions=functions,
            vpc=automated_labeling.vpc if automated_labeling else None,
            security_groups=automated_labeling.security_groups if automated_labeling else (),
            subnet_ids=subnet_ids,
            guardrail=guardrail,
            permissions_boundary=permissions_boundary,
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{physical_name(self, max_length=200)}",
            encryption_key=log_key,
            retention=log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role: ManagedPolicyRole = state_machine_role(
            self,
            job_role=self.job_role,
            job_name_prefix=prefix,
            output=output,
            publish_to=publish_to,
            key=key,
            guardrail=guardrail,
            permissions_boundary=permissions_boundary,
        )

        request = self._request(
            stack,
            workteam_arn=workteam.workteam_arn,
            job_role_arn=self.job_role.role_arn,
            task_type=task_type,
            manifest=manifest,
            ui_template=ui_template,
            output=output,
            key=key,
            label_categories=label_categories,
            attribute=attribute,
            title=task_title or f"{task_type.name} labeling",
            description=task_description or f"Label each data object ({task_type.name})",
            workers=workers_per_object,
            time_limit=int(time_limit),
            availability=int(availability),
            automated=automated_labeling,
            subnet_ids=subnet_ids,
        )
        name = sfn.Pass(
            self,
            "Name the job",
            parameters={"labelingJobName.$": f"States.Format('{prefix}-{{}}', States.UUID())"},
        )
        label = sfn.CustomState(
            self,
            "Label",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{env.partition}:states:::sagemaker:createLabelingJob.sync",
                "Parameters": request,
                "ResultSelector": {
                    "labelingJobArn.$": "$.LabelingJobArn",
                    "status.$": "$.LabelingJobStatus",
                    "outputManifest.$": "$.LabelingJobOutput.OutputDatasetS3Uri",
                },
                "ResultPath": "$.labelingJob",
            },
        )
        failed = sfn.Fail(self, "Labeling failed", error="LabelingJobFailed", cause="The labeling job did not complete")
        label.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        chain = name.next(label)
        if publish_to is not None:
            publish = tasks.CallAwsService(
                self,
                "Publish manifest",
                service="s3",
                action="copyObject",
                iam_resources=[publish_to.objects_arn],
                parameters={
                    "Bucket": publish_to.bucket.bucket_name,
                    "Key.$": f"States.Format('{publish_to.clean_prefix}/{{}}.manifest', $.labelingJobName)",
                    "CopySource.$": (
                        f"States.Format('{output.bucket.bucket_name}/{output.clean_prefix}/"
                        "{}/manifests/output/output.manifest', $.labelingJobName)"
                    ),
                    "ServerSideEncryption": "aws:kms",
                    "SSEKMSKeyId": key.key_arn,
                },
                result_path=sfn.JsonPath.DISCARD,
            )
            publish.add_retry(errors=["S3.S3Exception", "States.TaskFailed"], max_attempts=3)
            publish.add_catch(failed, errors=["States.ALL"], result_path="$.error")
            chain = chain.next(publish)
        chain = chain.next(sfn.Succeed(self, "Labeled"))

        self.state_machine = sfn.StateMachine(
            self,
            "Resource",
            definition_body=sfn.DefinitionBody.from_chainable(chain),
            role=self.role.immutable_role,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
            timeout=timeout or Duration.days(14),
        )
        self.state_machine.node.add_dependency(self.role)
        self.job_name_prefix = prefix
        self.output = output
        self.publish_to = publish_to

    @property
    def state_machine_arn(self) -> str:
        return self.state_machine.state_machine_arn

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to start (and describe) executions of this workflow."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["states:StartExecution"], resource_arns=[self.state_machine_arn]
        )

    def metric_executions_failed(self, **props: Any) -> cloudwatch.Metric:
        """Executions that failed (the labeling job failed or stopped, or the publish step failed); sum."""
        return self.state_machine.metric_failed(**props)

    def metric_executions_succeeded(self, **props: Any) -> cloudwatch.Metric:
        """Executions that labeled (and published) their manifest; sum."""
        return self.state_machine.metric_succeeded(**props)

    # -- checks ------------------------------------------------------------------------------

    @staticmethod
    def _check_task_type(
        problems: Problems, task_type: LabelingTaskType, region: str, automated: AutomatedLabeling | None
    ) -> None:
        if not task_type.is_known:
            problems.add(
                "task_type",
                task_type.name,
                "",
                what="must be a built-in task type ("
                + ", ".join(sorted(BUILTIN_TASKS))
                + ") or LabelingTaskType.custom(pre_annotation=..., post_annotation=...)",
            )
            return
        if task_type.is_builtin and not is_unresolved(region) and region not in BUILTIN_FUNCTION_ACCOUNTS:
            problems.add(
                "task_type",
                task_type.name,
                "",
                what=f"has no built-in Ground Truth functions listed for region {region} (regions: "
                + ", ".join(sorted(BUILTIN_FUNCTION_ACCOUNTS))
                + "); use LabelingTaskType.custom",
            )
        if automated is not None and task_type.automated_labeling_algorithm is None:
            problems.add(
                "automated_labeling",
                task_type.name,
                "",
                what="is only available for "
                + ", ".join(sorted(k for k, v in BUILTIN_TASKS.items() if v))
                + f"; task type {task_type.name!r} has no built-in algorithm",
            )

    @staticmethod
    def _check_workteam(problems: Problems, workteam: Workteam | WorkteamRef, account: str) -> None:
        if isinstance(workteam, Workteam):
            return
        team_account = workteam.account
        if team_account is None or is_unresolved(account):
            return
        problems.require(
            team_account == account and ":workteam/private-crowd/" in workteam.workteam_arn,
            "workteam",
            workteam.workteam_arn,
            f"a private work team of this account ({account}), 'arn:...:{account}:workteam/private-crowd/<name>'",
        )

    # -- the CreateLabelingJob request ------------------------------------------------------

    @staticmethod
    def _request(
        stack: Stack,
        *,
        workteam_arn: str,
        job_role_arn: str,
        task_type: LabelingTaskType,
        manifest: S3Path,
        ui_template: S3Path,
        output: S3Path,
        key: kms.IKey,
        label_categories: S3Path | None,
        attribute: str,
        title: str,
        description: str,
        workers: int,
        time_limit: int,
        availability: int,
        automated: AutomatedLabeling | None,
        subnet_ids: list[str],
    ) -> dict[str, Any]:
        env = env_of(stack)
        if task_type.is_builtin:
            pre = task_type.builtin_function_arn(env.partition, env.region, "PRE")
            acs = task_type.builtin_function_arn(env.partition, env.region, "ACS")
        else:
            assert task_type.pre_annotation is not None and task_type.post_annotation is not None
            pre, acs = task_type.pre_annotation.function_arn, task_type.post_annotation.function_arn
        request: dict[str, Any] = {
            "LabelingJobName.$": "$.labelingJobName",
            "LabelAttributeName": attribute,
            "RoleArn": job_role_arn,
            "InputConfig": {
                "DataSource": {"S3DataSource": {"ManifestS3Uri": manifest.uri}},
            },
            "OutputConfig": {"S3OutputPath": output.uri + "/", "KmsKeyId": key.key_arn},
            "HumanTaskConfig": {
                "WorkteamArn": workteam_arn,
                "UiConfig": {"UiTemplateS3Uri": ui_template.uri},
                "PreHumanTaskLambdaArn": pre,
                "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": acs},
                "TaskTitle": title,
                "TaskDescription": description,
                "NumberOfHumanWorkersPerDataObject": workers,
                "TaskTimeLimitInSeconds": time_limit,
                "TaskAvailabilityLifetimeInSeconds": availability,
            },
        }
        if label_categories is not None:
            request["LabelCategoryConfigS3Uri"] = label_categories.uri
        if automated is not None:
            algorithm = task_type.automated_labeling_algorithm
            request["LabelingJobAlgorithmsConfig"] = {
                "LabelingJobAlgorithmSpecificationArn": (
                    f"arn:{env.partition}:sagemaker:{env.region}:{AUTOMATED_LABELING_ACCOUNT}:"
                    f"labeling-job-algorithm-specification/{algorithm}"
                ),
                "LabelingJobResourceConfig": {
                    "VolumeKmsKeyId": key.key_arn,
                    "VpcConfig": {
                        "SecurityGroupIds": [sg.security_group_id for sg in automated.security_groups],
                        "Subnets": subnet_ids,
                    },
                },
            }
        return request


__all__ = ["AutomatedLabeling", "LabelingWorkflow"]
