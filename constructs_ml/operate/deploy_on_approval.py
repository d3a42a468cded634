"""DeployOnApproval: roll an approved model package onto an endpoint, blue/green, and keep the record.

On "SageMaker Model Package State Change" to ``Approved`` for the given group, the function
(``lambdas/deploy_on_approval``, a :class:`~constructs_ml.operate.GlueFunction`) creates a model from
the package (the endpoint's VPC, network isolation, the given execution role) and an endpoint config
copied from the current one, updates the endpoint with the blue/green ``DeploymentConfig`` and the
rollback alarms, and writes the package ARN to an SSM parameter. On "SageMaker Endpoint State
Change" back to ``IN_SERVICE``, and on any "Parameter Store Change" of that parameter, it records the
package actually serving as DescribeEndpoint reports it (so a rollback is recorded, and a record
reset by a CloudFormation update or by hand is repaired).

**Not reverted by the next ``cdk deploy``.** The serving stack takes its model package from the SSM
parameter at deploy time (:meth:`DeployOnApproval.deployed_model_package_arn`, or the
``approved_package`` of ``constructs_ml.serve.Model``): a CloudFormation parameter of type
``AWS::SSM::Parameter::Value<String>``, resolved on every deploy, never ``value_from_lookup``. A
deploy after an approval therefore builds the approved model. CloudFormation resolves that
parameter *before* it creates any resource, so the parameter must exist before the stack that reads
it is first deployed: pass ``deployed_package_parameter`` (created in an earlier stack, e.g.
``ApprovedPackageRecord`` in the build stack), or let this construct create it and put this construct
in a stack deployed before the reader. Who owns what: CloudFormation owns the parameter's existence
and its one-time initial value, and the resource's properties are frozen (constant value and
description, no tags, see ``constructs_ml.serve.freeze_record``), so template changes never update
it; the function owns the value. If something still rewrites it (stack-level tags propagated by
CloudFormation, an operator), the function repairs it from the endpoint. See docs/operate-glue.md.

**Registry in another account.** The rule is on this account's default event bus; SageMaker emits
the approval event in the registry's account. Forward it there with a rule on the registry
account's default bus (pattern: source ``aws.sagemaker``, detail-type ``SageMaker Model Package State
Change``, the group name) whose target is this account's default bus, and allow that account here
with ``allow_events_from_accounts`` (a bus policy limited to ``events:source`` ``aws.sagemaker``).
The group's resource policy must let this function's role ``sagemaker:DescribeModelPackage``
(``ModelRegistry(cross_account_ids=[...])``), and the execution role must be able to read the
package's artifacts and image.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aws_cdk import Annotations, Duration, Names
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved, select_subnets, stack_of
from constructs_ml.errors import ValidationError, is_token
from constructs_ml.operate.deploy_on_approval_parts import (
    DEFAULT_DEPLOYMENT,
    NOT_YET_APPROVED,
    GroupRef,
    approval_pattern,
    component_environment,
    deployment_environment,
    endpoint_in_service_pattern,
    event_bus_statement,
    parameter_arn,
    record_change_pattern,
    subnet_selection,
    validate_props,
)
from constructs_ml.operate.deploy_on_approval_role import (
    INTEGRITY_NAMESPACE,
    deploy_on_approval_contract,
    grant_artifact_checks,
    grant_component_update,
    grant_deployer,
)
from constructs_ml.operate.glue_function import GlueFunction
from constructs_ml.serve.common import NAME_PATTERN, S3Path
from constructs_ml.serve.components import RollingUpdate
from constructs_ml.serve.deployment import DeploymentConfig
from constructs_ml.serve.endpoint_base import EndpointBase, endpoint_arn_for
from constructs_ml.serve.model_parts import ApprovedPackageParameter, freeze_record

__all__ = ["NOT_YET_APPROVED", "DeployOnApproval", "ModelPackageGroupRef"]


class ModelPackageGroupRef(Protocol):
    """Anything with a model package group ARN and name (``ModelRegistry``, owned or imported)."""

    @property
    def model_package_group_arn(self) -> str: ...

    @property
    def model_package_group_name(self) -> str: ...


class DeployOnApproval(Construct):
    """Deploy approved model packages of a group to an endpoint, blue/green with auto-rollback.

    Example (``endpoint`` and ``model`` are ``constructs_ml.serve`` constructs in this stack)::

        deployer = DeployOnApproval.for_endpoint(self, "DeployOnApproval",
            endpoint=endpoint, model_package_group=registry, execution_role=model.execution_role,
            vpc=network.vpc, model_security_groups=[network.workload_security_group],
            deployed_package_parameter=record.resource,      # created in an earlier stack
            key=keys.messaging, log_key=keys.logs, alarm_topic=alerts,
            endpoint_security_group=network.endpoint_security_group)

    Args:
        scope: parent construct.
        construct_id: construct id.
        model_package_group: the group whose approvals deploy (a registry or its ARN; may be in
            another account, see the module docstring).
        endpoint: the endpoint to update (an endpoint or its name, in this account and region).
        execution_role: execution role of the models created (it needs the package's artifacts and
            image); the function may pass only this role, only to SageMaker.
        rollback_alarms: alarms that roll a deployment back (1..10), e.g. ``Endpoint.rollback_alarms``.
        vpc: the VPC the function and the created models run in.
        model_security_groups: security groups of the created models (at least one).
        key: KMS key of the function's dead-letter queue.
        alarm_topic: SNS topic of the function's error and dead-letter alarms.
        model_subnets: subnets of the created models (at least two AZs): the VPC's isolated subnets.
        deployment: traffic shifting of the update (``constructs_ml.serve.DeploymentConfig``; its
            rollback alarms are not used, pass ``rollback_alarms``): all at once, 5 min wait, 10 min
            baking, as the endpoint's default.
        deployed_package_parameter: an existing SSM String parameter recording the deployed package,
            created in a stack deployed earlier: ``ApprovedPackageRecord.parameter`` (an
            ``ApprovedPackageParameter``: name and placeholder, no cross-stack reference) or an
            ``ssm.IStringParameter`` with a literal name: a new parameter when omitted.
        parameter_name: name of the new parameter: ``/constructs-ml/endpoints/<endpoint>/deployed-model-package``.
        initial_model_package_arn: the new parameter's initial value (a package of the group already
            serving): :data:`NOT_YET_APPROVED` (``"none"``), the placeholder ``ApprovedPackageParameter`` expects.
        endpoint_key: the endpoint's KMS key (volumes, captured data); the function may create grants
            for SageMaker on it (``kms:ViaService`` SageMaker): none (configs without a key).
        endpoint_config_names: endpoint configs created for the endpoint outside this construct (read
            only), by literal name: none. Without them (or ``endpoint_config_arns``) the function cannot
            read a config it did not create.
        model_names: models created for the endpoint (read only), by literal name: none.
        endpoint_config_arns: like ``endpoint_config_names``, by ARN: for configs whose names
            CloudFormation generates (mixed case, while SageMaker's ARNs are lower case, so an ARN built
            from such a name never matches), give the resource's ARN attribute: none (``for_endpoint``).
        model_arns: like ``model_names``, by ARN (same reason): none (``for_endpoint``).
        variant_names: production variants that get the new model: all.
        model_name_prefix: prefix of the created model and config names: the endpoint name (40 chars).
        network_isolation: create models with network isolation: on (turn off only for containers
            that must reach the network; a warning says so).
        allow_events_from_accounts: accounts (the registry's) allowed to put ``aws.sagemaker`` events
            on this account's default bus: none.
        vpc_subnets: subnets of the function: the isolated subnets.
        endpoint_security_group: the VPC interface endpoints' security group: HTTPS to the VPC CIDR.
        log_key: KMS key of the function's log group: ``key``.
        guardrail: the platform's SageMaker guardrail, attached to the function's role: none.
        permissions_boundary: permissions boundary of the function's role: none.
        package_artifacts: where approved packages' model data must be (e.g. ``S3Path(artifacts, "pipelines")``,
            the write-once prefix of ``PlatformBuckets``): before serving a package, the function verifies its
            artifact against the identity the register step recorded (see ``lambdas/deploy_on_approval/
            integrity.py``) and refuses it, with an ERROR log line and the ``ArtifactIntegrityFailures``
            metric and alarm, when it differs. Not verified when omitted (a warning says so).
        inference_component: the inference component (its physical name, on ``endpoint``) that approved
            packages roll onto, for an endpoint in component mode: none (the endpoint's variants).
            Then the function updates that component (``UpdateInferenceComponent``: the new model, the
            component's compute reservations and copy count kept, a rolling update with
            ``rollback_alarms``), and may describe and update only that component.
        rolling_update: with ``inference_component``: how the new model replaces copies: one copy at a
            time with ``deployment``'s wait interval.
        reserved_concurrency: reserved concurrency of the function (1..1000): none, so stack creation
            works in accounts with a low concurrency quota. Two approvals handled at once still cannot
            both update the endpoint: SageMaker refuses an update while one runs, and the refused
            invocation is retried and then ordered against what the endpoint serves.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_package_group: ModelPackageGroupRef | str,
        endpoint: EndpointBase | str,
        execution_role: iam.IRole,
        rollback_alarms: Sequence[cloudwatch.IAlarm],
        vpc: ec2.IVpc,
        model_security_groups: Sequence[ec2.ISecurityGroup],
        key: kms.IKey,
        alarm_topic: sns.ITopic,
        model_subnets: ec2.SubnetSelection | None = None,
        deployment: DeploymentConfig | None = None,
        deployed_package_parameter: ApprovedPackageParameter | ssm.IStringParameter | None = None,
        parameter_name: str | None = None,
        initial_model_package_arn: str | None = None,
        endpoint_key: kms.IKey | None = None,
        endpoint_config_names: Sequence[str] = (),
        model_names: Sequence[str] = (),
        endpoint_config_arns: Sequence[str] = (),
        model_arns: Sequence[str] = (),
        variant_names: Sequence[str] = (),
        model_name_prefix: str | None = None,
        network_isolation: bool = True,
        allow_events_from_accounts: Sequence[str] = (),
        vpc_subnets: ec2.SubnetSelection | None = None,
        endpoint_security_group: ec2.ISecurityGroup | None = None,
        log_key: kms.IKey | None = None,
        guardrail: iam.IManagedPolicy | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
        reserved_concurrency: int | None = None,
        package_artifacts: S3Path | None = None,
        inference_component: str | None = None,
        rolling_update: RollingUpdate | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        deployment = deployment or DEFAULT_DEPLOYMENT
        if isinstance(model_package_group, str):
            self.group = GroupRef.of(self, model_package_group)
        else:
            name = model_package_group.model_package_group_name
            self.group = GroupRef.of(self, model_package_group.model_package_group_arn, name)
        self.model_package_group_arn = self.group.arn
        self.endpoint_name = endpoint if isinstance(endpoint, str) else endpoint.endpoint_name
        self.endpoint_arn = (
            endpoint_arn_for(self, self.endpoint_name) if isinstance(endpoint, str) else endpoint.endpoint_arn
        )
        literal_endpoint = not is_unresolved(self.endpoint_name)
        self.model_name_prefix = model_name_prefix or (self.endpoint_name[:40].rstrip("-") if literal_endpoint else "")
        subnets = select_subnets(vpc, **subnet_selection(model_subnets))
        if isinstance(deployed_package_parameter, ApprovedPackageParameter):
            problems_first = deployed_package_parameter.problems()
            if problems_first:
                raise ValidationError(f"{self.node.path}: deployed_package_parameter.{p}" for p in problems_first)
        elif deployed_package_parameter is not None and is_unresolved(deployed_package_parameter.parameter_name):
            raise ValidationError(
                [
                    f"{self.node.path}: deployed_package_parameter must have a literal name (got a token): pass "
                    "ApprovedPackageRecord.parameter or ssm.StringParameter.from_string_parameter_name(...)"
                ]
            )
        problems = validate_props(
            self,
            group=self.group,
            endpoint_name=self.endpoint_name,
            model_name_prefix=self.model_name_prefix,
            deployment=deployment,
            rollback_alarms=rollback_alarms,
            model_security_groups=model_security_groups,
            subnets=subnets,
            parameter_given=deployed_package_parameter is not None,
            parameter_name=parameter_name,
            initial_model_package_arn=initial_model_package_arn,
            variant_names=variant_names,
            allow_events_from_accounts=allow_events_from_accounts,
        )
        if reserved_concurrency is not None:
            problems.require_range("reserved_concurrency", reserved_concurrency, 1, 1000)
        if package_artifacts is not None and (why := package_artifacts.prefix_problem()) is not None:
            problems.add("package_artifacts.prefix", package_artifacts.prefix, why)
        if inference_component is not None:
            problems.require(
                bool(NAME_PATTERN.match(inference_component)),
                "inference_component",
                inference_component,
                "an inference component name [a-zA-Z0-9](-*[a-zA-Z0-9])*, at most 63 characters",
            )
            problems.require(
                not variant_names, "variant_names", list(variant_names), "omitted with inference_component"
            )
        elif rolling_update is not None:
            problems.add("rolling_update", rolling_update, "omitted without inference_component")
        if rolling_update is not None:
            for prop, value, allowed in rolling_update.problems("rolling_update"):
                problems.add(prop, value, allowed)
        problems.raise_if_any()
        if package_artifacts is None:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:deploy-on-approval-artifacts-not-verified",
                "DeployOnApproval: no package_artifacts; approved packages are served without checking that their "
                "model artifact is the one the pipeline wrote and registered.",
            )
        if not network_isolation:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:deploy-on-approval-no-network-isolation",
                "DeployOnApproval: network_isolation=False; the models it creates can reach the network from the VPC.",
            )

        self.rollback_alarms = list(rollback_alarms)
        self.owns_parameter = deployed_package_parameter is None
        self.placeholder = NOT_YET_APPROVED
        if deployed_package_parameter is None:
            self.parameter_name = (
                parameter_name or f"/constructs-ml/endpoints/{self.endpoint_name}/deployed-model-package"
            )
            self.parameter: ssm.IStringParameter = ssm.StringParameter(
                self,
                "DeployedPackage",
                parameter_name=self.parameter_name,
                string_value=initial_model_package_arn or NOT_YET_APPROVED,
                description=f"Model package deployed to endpoint {self.endpoint_name} (written by deploy-on-approval)",
            )
            freeze_record(self.parameter)
            self.parameter_arn = self.parameter.parameter_arn
        elif isinstance(deployed_package_parameter, ApprovedPackageParameter):
            self.parameter_name = deployed_package_parameter.parameter_name
            self.placeholder = deployed_package_parameter.placeholder
            self.parameter = ssm.StringParameter.from_string_parameter_name(
                self, "DeployedPackage", self.parameter_name
            )
            self.parameter_arn = parameter_arn(self, self.parameter_name)
        else:
            self.parameter = deployed_package_parameter
            self.parameter_name = deployed_package_parameter.parameter_name
            self.parameter_arn = deployed_package_parameter.parameter_arn

        self.function = GlueFunction(
            self,
            "Function",
            code="deploy_on_approval",
            description=f"Deploys approved packages of {self.group.name} to endpoint {self.endpoint_name}"[:256]
            if not is_token([self.group.name, self.endpoint_name])
            else f"Deploys approved model packages ({self.node.path})"[:256],
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            endpoint_security_group=endpoint_security_group,
            key=key,
            log_key=log_key,
            alarm_topic=alarm_topic,
            environment={
                "ENDPOINT_NAME": self.endpoint_name,
                "MODEL_PACKAGE_GROUP_ARN": self.group.arn,
                "EXECUTION_ROLE_ARN": execution_role.role_arn,
                "SUBNET_IDS": ",".join(subnets.subnet_ids),
                "SECURITY_GROUP_IDS": ",".join(sg.security_group_id for sg in model_security_groups),
                "DEPLOYED_PACKAGE_PARAMETER": self.parameter_name,
                "ROLLBACK_ALARM_NAMES": ",".join(a.alarm_name for a in rollback_alarms),
                "MODEL_NAME_PREFIX": self.model_name_prefix,
                "ENABLE_NETWORK_ISOLATION": "true" if network_isolation else "false",
                **({"VARIANT_NAMES": ",".join(variant_names)} if variant_names else {}),
                **(
                    {"ARTIFACT_LOCATIONS": package_artifacts.uri, "METRIC_NAMESPACE": INTEGRITY_NAMESPACE}
                    if package_artifacts is not None
                    else {}
                ),
                **deployment_environment(deployment),
                **(
                    component_environment(
                        inference_component, rolling_update or RollingUpdate(wait_interval=deployment.wait_interval)
                    )
                    if inference_component is not None
                    else {}
                ),
            },
            timeout=Duration.minutes(2),
            memory_size=256,
            reserved_concurrent_executions=reserved_concurrency,
            permissions_boundary=permissions_boundary,
        )
        if guardrail is not None:
            self.function.role.attach(guardrail)
        grant_deployer(
            self,
            execution_role,
            endpoint_key,
            endpoint_config_names,
            model_names,
            read_arns=[*endpoint_config_arns, *model_arns],
        )
        deploy_on_approval_contract(
            self.function,
            package_arn=self.group.packages_arn.removesuffix("*") + "1",
            endpoint_arn=self.endpoint_arn,
            name_prefix=self.model_name_prefix,
            execution_role_arn=execution_role.role_arn,
            parameter_arn=self.parameter_arn,
            endpoint_key_arn=endpoint_key.key_arn if endpoint_key is not None else None,
            model_subnet_ids=list(subnets.subnet_ids),
            model_security_group_ids=[sg.security_group_id for sg in model_security_groups],
            network_isolation=network_isolation,
        )
        self.inference_component = inference_component
        if inference_component is not None:
            grant_component_update(self, inference_component)
        self.package_artifacts = package_artifacts
        #: Fires when an approved package's artifact failed its check (None without ``package_artifacts``).
        self.integrity_alarm: cloudwatch.Alarm | None = None
        if package_artifacts is not None:
            grant_artifact_checks(self, package_artifacts)
            self.integrity_alarm = cloudwatch.Alarm(
                self,
                "ArtifactIntegrityAlarm",
                alarm_description=(
                    f"{self.node.path}: an approved model package was refused because its artifact is not the one "
                    "the pipeline wrote and registered (see the function's log: decision 'refused')"
                ),
                metric=self.metric_artifact_integrity_failures(),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            self.integrity_alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))

        self.approval_rule = events.Rule(
            self,
            "ApprovalRule",
            description="Approved model packages of the group start a blue/green deployment",
            event_pattern=approval_pattern(self.group),
        )
        self.approval_rule.add_target(self.function.rule_target())
        self.endpoint_state_rule = events.Rule(
            self,
            "EndpointInServiceRule",
            description="The endpoint back in service: record the package actually serving",
            event_pattern=endpoint_in_service_pattern(self.endpoint_name),
        )
        self.endpoint_state_rule.add_target(self.function.rule_target())
        self.record_change_rule = events.Rule(
            self,
            "RecordChangeRule",
            description="A write to the deployed-package record: repair it from what the endpoint serves",
            event_pattern=record_change_pattern(self.parameter_name),
        )
        self.record_change_rule.add_target(self.function.rule_target())
        #: Component mode: a periodic check that records what the component runs (SageMaker's endpoint
        #: state events do not cover a component's rolling update and its rollback).
        self.component_check_rule: events.Rule | None = None
        if inference_component is not None:
            self.component_check_rule = events.Rule(
                self,
                "ComponentCheckRule",
                description="Every 5 minutes: record the package the inference component actually runs",
                schedule=events.Schedule.rate(Duration.minutes(5)),
            )
            self.component_check_rule.add_target(self.function.rule_target())

        self.event_bus_policies: list[events.CfnEventBusPolicy] = []
        for account in dict.fromkeys(allow_events_from_accounts):
            self.event_bus_policies.append(
                events.CfnEventBusPolicy(
                    self,
                    f"AllowEventsFrom{account}",
                    event_bus_name="default",
                    statement_id=f"cml-{Names.unique_id(self)[-40:]}-{account}"[:64],
                    statement=event_bus_statement(self, account),
                )
            )

    @classmethod
    def for_endpoint(cls, scope: Construct, construct_id: str, *, endpoint: Any, **kwargs: Any) -> DeployOnApproval:
        """A deployer for a ``constructs_ml.serve.Endpoint`` of this app, with its settings.

        Takes from the endpoint (unless given in ``kwargs``): its rollback alarms, its blue/green
        ``deployment``, its KMS key, and the endpoint config and model names CloudFormation created,
        so the function's read permissions name them exactly. For an endpoint in component mode,
        ``component="<InferenceComponent name>"`` picks the component approvals roll onto: its
        physical name, its rollback alarms, its rolling update and its model.

        Raises:
            ValidationError: ``component`` is not one of the endpoint's components, or is missing for an
                endpoint in component mode (its variants have no model to replace).
        """
        config = getattr(endpoint, "config", None)
        variants = [v for v in (getattr(config, "variants", ()) if config is not None else ()) if hasattr(v, "model")]
        component = kwargs.pop("component", None)
        if component is None and getattr(endpoint, "component_mode", False):
            raise ValidationError(
                [
                    f"{scope.node.path}/{construct_id}: component must name one of "
                    f"{sorted(getattr(endpoint, 'components', {}))} for an endpoint in component mode (got None)"
                ]
            )
        if component is not None:
            hosted = getattr(endpoint, "components", {})
            if component not in hosted:
                raise ValidationError(
                    [f"{scope.node.path}/{construct_id}: component must be one of {sorted(hosted)} (got {component!r})"]
                )
            chosen = hosted[component]
            kwargs.setdefault("inference_component", chosen.inference_component_name)
            kwargs.setdefault("rollback_alarms", list(chosen.rollback_alarms))
            kwargs.setdefault("rolling_update", chosen.component.rolling_update)
            kwargs.setdefault("model_arns", [chosen.component.model.model_arn])
        kwargs.setdefault("rollback_alarms", list(getattr(endpoint, "rollback_alarms", [])))
        if getattr(endpoint, "deployment", None) is not None:
            kwargs.setdefault("deployment", endpoint.deployment)
        if getattr(endpoint, "key", None) is not None:
            kwargs.setdefault("endpoint_key", endpoint.key)
        # By ARN attribute: the names are CloudFormation's (mixed case), SageMaker's ARNs lower case.
        if config is not None and getattr(config, "resource", None) is not None:
            kwargs.setdefault("endpoint_config_arns", [config.resource.attr_endpoint_config_arn])
        kwargs.setdefault("model_arns", list(dict.fromkeys(v.model.model_arn for v in variants)))
        return cls(scope, construct_id, endpoint=endpoint, **kwargs)

    def metric_artifact_integrity_failures(self, **props: Any) -> cloudwatch.Metric:
        """Packages refused because their artifact failed the integrity check (Sum per 5 minutes)."""
        return cloudwatch.Metric(
            namespace=INTEGRITY_NAMESPACE,
            metric_name="ArtifactIntegrityFailures",
            dimensions_map={"EndpointName": self.endpoint_name},
            **{"statistic": "Sum", "period": Duration.minutes(5), **props},
        )

    # -- the serving stack's side ------------------------------------------------------------------

    def deployed_model_package_arn(self, scope: Construct) -> str:
        """The recorded package ARN, read by CloudFormation at every deploy of ``scope``'s stack.

        Raises:
            ValidationError: ``scope`` is in the stack that creates the parameter (its first deploy
                would fail: CloudFormation resolves SSM parameters before creating resources).
        """
        if self.owns_parameter and stack_of(scope) is stack_of(self):
            raise ValidationError(
                [
                    f"{self.node.path}: the deployed-package parameter is created in stack "
                    f"{stack_of(self).stack_name}, which cannot also read it at deploy time (CloudFormation resolves "
                    "SSM parameters before it creates them); pass deployed_package_parameter created in an earlier "
                    "stack, or put DeployOnApproval in one"
                ]
            )
        return ssm.StringParameter.value_for_string_parameter(scope, self.parameter_name)

    @property
    def approved_package(self) -> ApprovedPackageParameter:
        """The parameter as ``constructs_ml.serve.Model(approved_package=...)`` expects it."""
        return ApprovedPackageParameter(self.parameter_name, self.placeholder)

    # -- construction --------------------------------------------------------------------------------
