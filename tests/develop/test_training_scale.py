"""Training at scale: Debugger rules, distributed training, managed warm pools and checkpoints.

One governed synth of the documented example (docs/examples/training_scale_example.py) carries the
template assertions, cfn-lint, the schema/botocore checks and the workload contracts; the security-group
check and the props checks use small ungoverned apps.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Annotations, Match

from constructs_ml.contracts import check_assembly
from constructs_ml.develop import (
    BuiltinAlgorithm,
    ContainerImage,
    Debugger,
    DebuggerRule,
    DebuggerRuleConfig,
    Distribution,
    DistributionStrategy,
    ExternalDefinition,
    InstanceType,
    IntegerRange,
    Parameter,
    ParameterInteger,
    S3Location,
    Step,
    TensorCollection,
    TrainingInput,
    TrainingPipeline,
    TrainingStep,
    TuningObjective,
    TuningStep,
)
from constructs_ml.develop.image_accounts import DEBUGGER_ACCOUNTS, MAPPING_ID
from constructs_ml.develop.pipeline.steps_training import MAX_KEEP_ALIVE_SECONDS
from constructs_ml.develop.pipeline.training_distribution import missing_peer_rules
from constructs_ml.errors import ValidationError
from tests.develop.conftest import imported_infra
from tests.develop.definition_schema import body_and_tokens, botocore_errors, schema_errors
from tests.support import cfn_lint_errors, doc_shows_example_verbatim, load_example, new_app, resources_of

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "training_scale_example.py"
DOC = ROOT / "docs" / "develop.md"
XGBOOST = ContainerImage.builtin(BuiltinAlgorithm.XGBOOST, "1.7-1")
#: eu-west-1's account in AWS's Debugger rule image table (the URL suffix is a token).
RULE_IMAGE = '929884845733.dkr.ecr.eu-west-1.<{"Ref": "AWS::URLSuffix"}>/sagemaker-debugger-rules:latest'


class Example:
    outdir: str
    template: dict[str, Any]
    definition: dict[str, Any]
    steps: dict[str, dict[str, Any]]
    tokens: dict[str, Any]


@pytest.fixture(scope="module")
def example() -> Example:
    e = Example()
    e.outdir = tempfile.mkdtemp(prefix="cdkout-")
    load_example(EXAMPLE).build_app(e.outdir).synth()  # governed: raises on any unacknowledged finding
    e.template = json.loads((Path(e.outdir) / "TrainingScaleExample.template.json").read_text())
    (pipeline,) = resources_of(e.template, "AWS::SageMaker::Pipeline").values()
    e.definition, e.tokens = body_and_tokens(pipeline)
    e.steps = {s["Name"]: s for s in _named_tokens(e.definition, e.tokens)["Steps"]}
    return e


def _named_tokens(value: Any, tokens: dict[str, Any]) -> Any:
    """The definition with each placeholder replaced by ``<`` + its CloudFormation value + ``>`` (stable)."""
    if isinstance(value, str):
        return re.sub(r"__TOKEN_\d+__", lambda m: "<" + json.dumps(tokens[m.group(0)], sort_keys=True) + ">", value)
    if isinstance(value, dict):
        return {k: _named_tokens(v, tokens) for k, v in value.items()}
    if isinstance(value, list):
        return [_named_tokens(v, tokens) for v in value]
    return value


def _prefix(e: Example) -> str:
    out = e.steps["Baseline"]["Arguments"]["OutputDataConfig"]["S3OutputPath"]
    return str(out.removesuffix("Baseline/model/"))


def test_the_doc_shows_the_example_verbatim() -> None:
    assert doc_shows_example_verbatim(EXAMPLE, DOC)


def test_debugging_rules_run_in_the_regions_rule_image_and_report_under_the_pipeline_prefix(example: Example) -> None:
    args = example.steps["Baseline"]["Arguments"]
    rules = {r["RuleConfigurationName"]: r for r in args["DebugRuleConfigurations"]}
    assert list(rules) == ["LossNotDecreasing", "VanishingGradient", "Overfit"]
    assert all(r["RuleEvaluatorImage"] == RULE_IMAGE for r in rules.values())
    assert DEBUGGER_ACCOUNTS["eu-west-1"] == "929884845733"
    assert rules["LossNotDecreasing"]["RuleParameters"] == {"rule_to_invoke": "LossNotDecreasing", "num_steps": "10"}
    join = rules["Overfit"]["S3OutputPath"]["Std:Join"]
    assert join["Values"] == [
        f"{_prefix(example)}Baseline/rule-output",
        {"Get": "Execution.PipelineExecutionId"},
        "Overfit",
    ]
    # The prefix is the pipeline's own on the platform artifacts bucket.
    prefix = _prefix(example)
    assert re.match(r'^s3://<\{"Ref": "BucketsArtifacts[0-9A-F]+"\}>/pipelines/trainingscaleexample-vision-', prefix)


def test_the_hook_saves_the_collections_the_rules_read(example: Example) -> None:
    hook = example.steps["Baseline"]["Arguments"]["DebugHookConfig"]
    assert hook["S3OutputPath"] == f"{_prefix(example)}Baseline/debug-output/"
    assert hook["LocalPath"] == "/opt/ml/output/tensors"
    assert hook["CollectionConfigurations"] == [
        {"CollectionName": "losses", "CollectionParameters": {"save_interval": "500"}},
        {"CollectionName": "gradients", "CollectionParameters": {"save_interval": "500"}},
    ]


def test_profiling_rules_and_the_profiler(example: Example) -> None:
    baseline = example.steps["Baseline"]["Arguments"]
    assert baseline["ProfilerConfig"] == {
        "S3OutputPath": f"{_prefix(example)}Baseline/profiler-output/",
        "ProfilingIntervalInMilliseconds": 500,
    }
    profiling = {r["RuleConfigurationName"]: r["RuleParameters"] for r in baseline["ProfilerRuleConfigurations"]}
    assert profiling == {
        "LowGPUUtilization": {"rule_to_invoke": "LowGPUUtilization", "threshold_p95": "80"},
        "ProfilerReport": {"rule_to_invoke": "ProfilerReport"},
    }
    distributed = example.steps["Distributed"]["Arguments"]
    assert "DebugHookConfig" not in distributed and "DebugRuleConfigurations" not in distributed
    assert [r["RuleConfigurationName"] for r in distributed["ProfilerRuleConfigurations"]] == ["ProfilerReport"]


def test_the_distributed_step_shards_its_input_encrypts_between_instances_and_launches_torchrun(
    example: Example,
) -> None:
    args = example.steps["Distributed"]["Arguments"]
    assert args["ResourceConfig"]["InstanceCount"] == 4
    assert args["ResourceConfig"]["InstanceType"] == "ml.g5.12xlarge"
    assert args["EnableInterContainerTrafficEncryption"] is True and args["EnableNetworkIsolation"] is True
    assert args["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert args["HyperParameters"] == {
        "sagemaker_torch_distributed_enabled": "true",
        "sagemaker_instance_type": '"ml.g5.12xlarge"',
        "epochs": "20",
    }


def test_spot_keeps_checkpoints_per_execution_under_the_prefix_and_the_warm_pool_is_set(example: Example) -> None:
    distributed = example.steps["Distributed"]["Arguments"]
    assert distributed["EnableManagedSpotTraining"] is True
    checkpoint = distributed["CheckpointConfig"]
    assert checkpoint["LocalPath"] == "/opt/ml/checkpoints"
    assert checkpoint["S3Uri"]["Std:Join"]["Values"] == [
        f"{_prefix(example)}Distributed/checkpoints",
        {"Get": "Execution.PipelineExecutionId"},
    ]
    baseline = example.steps["Baseline"]["Arguments"]
    assert baseline["ResourceConfig"]["KeepAlivePeriodInSeconds"] == 1800
    assert "CheckpointConfig" not in baseline and "KeepAlivePeriodInSeconds" not in distributed["ResourceConfig"]


def test_the_definition_validates_against_the_schema_and_botocore(example: Example) -> None:
    assert schema_errors(example.definition) == []
    assert botocore_errors(example.definition) == []


def test_the_template_is_cfn_lint_clean(example: Example) -> None:
    assert cfn_lint_errors(example.template) == []


def _job_role_statements(example: Example) -> list[dict[str, Any]]:
    for logical_id, res in resources_of(example.template, "AWS::IAM::ManagedPolicy").items():
        if logical_id.startswith("VisionJobRole"):
            statements: list[dict[str, Any]] = res["Properties"]["PolicyDocument"]["Statement"]
            return statements
    raise AssertionError("no job role policy")


def test_the_job_role_logs_for_the_rule_jobs_and_reads_and_writes_only_the_prefix(example: Example) -> None:
    statements = _job_role_statements(example)
    logs = json.dumps([s for s in statements if "logs:PutLogEvents" in json.dumps(s["Action"])])
    assert "/aws/sagemaker/ProcessingJobs" in logs and "/aws/sagemaker/TrainingJobs" in logs
    writes = [s for s in statements if "s3:PutObject" in json.dumps(s["Action"])]
    resources = json.dumps([s["Resource"] for s in writes])
    assert "/pipelines/trainingscaleexample-vision-" in resources and "images/" not in resources


def test_the_workload_contracts_hold(example: Example) -> None:
    report = check_assembly(example.outdir)
    assert report.ok, report.summary()
    assert report.entries_checked > 0


def test_the_template_passes_the_workload_security_group_with_every_rule_needed(example: Example) -> None:
    ingress = [
        r["Properties"]
        for r in resources_of(example.template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"].get("SourceSecurityGroupId") == r["Properties"]["GroupId"]
    ]
    protocols = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")) for p in ingress}
    assert {("tcp", 0, 65535), ("udp", 500, 500), ("50", None, None)} <= protocols  # 50: ESP


# -- the security-group check ---------------------------------------------------------------------


def _network_app(rules: list[tuple[str, ec2.Port]]) -> tuple[App, Stack, ec2.SecurityGroup, Any]:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Net", env=Environment(account="111111111111", region="eu-west-1"))
    infra = imported_infra(stack)
    sg = ec2.SecurityGroup(stack, "Jobs", vpc=infra.vpc, allow_all_outbound=False, description="jobs")
    for direction, port in rules:
        if direction == "ingress":
            sg.add_ingress_rule(sg, port, f"{direction} {port}")
        else:
            sg.add_egress_rule(sg, port, f"{direction} {port}")
    return app, stack, sg, infra


TCP = [("ingress", ec2.Port.all_tcp()), ("egress", ec2.Port.all_tcp())]
IPSEC = [
    ("ingress", ec2.Port.udp(500)),
    ("egress", ec2.Port.udp(500)),
    ("ingress", ec2.Port(protocol=ec2.Protocol.ESP, string_representation="ESP")),
    ("egress", ec2.Port(protocol=ec2.Protocol.ESP, string_representation="ESP")),
]


def _distributed_pipeline(
    stack: Stack, sg: Any, infra: Any, parameters: Sequence[Parameter] = (), **step: Any
) -> TrainingPipeline:
    props: dict[str, Any] = {
        "image": XGBOOST,
        "instance_count": 2,
        "inputs": [TrainingInput("train", S3Location(infra.data, "train/"))],
        **step,
    }
    return TrainingPipeline(
        stack,
        "Pipe",
        steps=[TrainingStep("Train", **props)],
        parameters=parameters,
        vpc=infra.vpc,
        security_groups=[sg],
        encryption_key=infra.key,
        artifacts_bucket=infra.artifacts,
    )


def test_a_distributed_step_on_a_group_without_peer_rules_fails_synth_naming_what_is_missing() -> None:
    app, stack, sg, infra = _network_app([])
    _distributed_pipeline(stack, sg, infra)
    with pytest.raises(RuntimeError) as err:
        app.synth()
    text = str(err.value)
    assert "Net/Pipe" in text and "steps Train" in text
    for what in (
        "ingress all TCP",
        "egress all TCP",
        "ingress UDP 500 (IKE)",
        "egress UDP 500 (IKE)",
        "ingress ESP (IP protocol 50)",
        "egress ESP (IP protocol 50)",
    ):
        assert what in text
    assert "train-encrypt.html" in text and "MlNetwork.workload_security_group" in text


def test_tcp_alone_fails_an_encrypted_step_and_names_only_the_ipsec_rules() -> None:
    app, stack, sg, infra = _network_app(TCP)
    _distributed_pipeline(stack, sg, infra)
    with pytest.raises(RuntimeError) as err:
        app.synth()
    text = str(err.value)
    assert "ingress UDP 500 (IKE)" in text and "egress ESP (IP protocol 50)" in text
    assert "all TCP" not in text


def test_tcp_alone_is_enough_without_inter_container_encryption_and_the_full_set_is_enough_with_it() -> None:
    assert missing_peer_rules([_network_app(TCP)[2]], encrypted=False) == ([], [])
    assert missing_peer_rules([_network_app(TCP + IPSEC)[2]], encrypted=True) == ([], [])
    app, stack, sg, infra = _network_app(TCP)
    _distributed_pipeline(
        stack,
        sg,
        infra,
        inter_container_encryption=False,
        use_spot_instances=True,
        max_wait=Duration.hours(48),
        checkpointing=False,
    )
    template = app.synth().get_stack_by_name(stack.stack_name).template  # no error
    found = Annotations.from_stack(stack)
    # Turning encryption off, and spot without checkpoints, are loud.
    assert found.find_warning("*", Match.string_like_regexp("Train: inter-container traffic encryption is turned off"))
    assert found.find_warning("*", Match.string_like_regexp("Train: checkpoints with managed spot training"))
    (pipeline,) = resources_of(template, "AWS::SageMaker::Pipeline").values()
    assert "CheckpointConfig" not in body_and_tokens(pipeline)[0]["Steps"][0]["Arguments"]


def test_open_egress_counts_for_the_egress_rules() -> None:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Open", env=Environment(account="111111111111", region="eu-west-1"))
    sg = ec2.SecurityGroup(stack, "Jobs", vpc=imported_infra(stack).vpc, allow_all_outbound=True, description="j")
    for _, port in [r for r in TCP + IPSEC if r[0] == "ingress"]:
        sg.add_ingress_rule(sg, port, "between members")
    assert missing_peer_rules([sg], encrypted=True) == ([], [])
    assert missing_peer_rules(
        [sg, ec2.SecurityGroup.from_security_group_id(stack, "Imp", "sg-0123")], encrypted=True
    ) == (
        [],
        ["Open/Imp"],
    )


def test_a_single_instance_step_needs_no_peer_rules_and_a_parameter_count_is_checked() -> None:
    app, stack, sg, infra = _network_app([])
    _distributed_pipeline(stack, sg, infra, instance_count=1)
    app.synth()
    app, stack, sg, infra = _network_app([])
    count = ParameterInteger("Count", default_value=1)
    _distributed_pipeline(stack, sg, infra, parameters=[count], instance_count=count)
    with pytest.raises(RuntimeError, match="lack the rules between their members"):
        app.synth()


def test_a_definition_produced_elsewhere_with_several_instances_is_checked_too() -> None:
    app, stack, sg, infra = _network_app(TCP)
    job = {
        "AlgorithmSpecification": {"TrainingImage": "${TrainingImage}", "TrainingInputMode": "File"},
        "RoleArn": "${JobRoleArn}",
        "OutputDataConfig": {"S3OutputPath": "${ArtifactsUri}model/", "KmsKeyId": "${KmsKeyArn}"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 3,
            "VolumeSizeInGB": 30,
            "VolumeKmsKeyId": "${KmsKeyArn}",
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "VpcConfig": {"SecurityGroupIds": ["${SecurityGroupIds}"], "Subnets": ["${SubnetIds}"]},
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }
    document = {"Version": "2020-12-01", "Steps": [{"Name": "SdkTrain", "Type": "Training", "Arguments": job}]}
    TrainingPipeline(
        stack,
        "Pipe",
        definition=ExternalDefinition(document),
        vpc=infra.vpc,
        security_groups=[sg],
        encryption_key=infra.key,
        artifacts_bucket=infra.artifacts,
    )
    with pytest.raises(RuntimeError) as err:
        app.synth()
    assert "steps SdkTrain" in str(err.value) and "ingress UDP 500 (IKE)" in str(err.value)


def test_an_imported_group_cannot_be_read_and_is_warned_about() -> None:
    app = new_app(governed=False, validate_cfn=False)
    stack = Stack(app, "Imp", env=Environment(account="111111111111", region="eu-west-1"))
    infra = imported_infra(stack)
    _distributed_pipeline(stack, infra.security_group, infra)
    app.synth()
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("constructs-ml:pipeline-distributed-network-unverified")
    )
    assert len(warnings) == 1


# -- regions ----------------------------------------------------------------------------------------


def _one_rule_pipeline(region: str | None) -> tuple[App, Stack]:
    app = new_app(governed=False, validate_cfn=False)
    env = Environment(account="111111111111", region=region) if region else None
    stack = Stack(app, "Region", env=env)
    infra = imported_infra(stack)
    TrainingPipeline(
        stack,
        "Pipe",
        steps=[TrainingStep("Train", image=XGBOOST, debugger=Debugger(rules=[DebuggerRule.OVERFIT]))],
        vpc=infra.vpc,
        security_groups=[infra.security_group],
        encryption_key=infra.key,
        artifacts_bucket=infra.artifacts,
    )
    return app, stack


#: AWS's developer-guide table "Account IDs for Built-in Rules Container Images by AWS Region"
#: (debugger-docker-images-rules): a second source for the table generated from the SDK's debugger.json.
DOCUMENTED_RULE_ACCOUNTS = {
    "ap-east-1": "199566480951", "ap-northeast-1": "430734990657", "ap-northeast-2": "578805364391",
    "ap-south-1": "904829902805", "ap-southeast-1": "972752614525", "ap-southeast-2": "184798709955",
    "ca-central-1": "519511493484", "cn-north-1": "618459771430", "cn-northwest-1": "658757709296",
    "eu-central-1": "482524230118", "eu-north-1": "314864569078", "eu-west-1": "929884845733",
    "eu-west-2": "250201462417", "eu-west-3": "447278800020", "me-south-1": "986000313247",
    "sa-east-1": "818342061345", "us-east-1": "503895931360", "us-east-2": "915447279597",
    "us-west-1": "685455198987", "us-west-2": "895741380848", "us-gov-west-1": "515509971035",
}  # fmt: skip


def test_the_generated_rule_registries_agree_with_the_developer_guide() -> None:
    assert {r: DEBUGGER_ACCOUNTS[r] for r in DOCUMENTED_RULE_ACCOUNTS} == DOCUMENTED_RULE_ACCOUNTS
    # The SDK lists three regions the guide's table does not.
    assert set(DEBUGGER_ACCOUNTS) - set(DOCUMENTED_RULE_ACCOUNTS) == {"af-south-1", "ap-northeast-3", "eu-south-1"}


def test_a_region_without_a_rule_registry_fails_at_synth_naming_the_regions_that_have_one() -> None:
    assert "il-central-1" not in DEBUGGER_ACCOUNTS
    with pytest.raises(ValidationError) as err:
        _one_rule_pipeline("il-central-1")
    text = str(err.value)
    assert "Region/Pipe: steps[Train].debugger.rules must be in a region where AWS publishes it" in text
    assert "il-central-1 has no Debugger image registry" in text and "eu-west-1" in text


def test_an_agnostic_stack_maps_the_rule_registry_per_region() -> None:
    app, stack = _one_rule_pipeline(None)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    mapping = template["Mappings"][MAPPING_ID]
    assert {r for r, v in mapping.items() if "Debugger" in v} == set(DEBUGGER_ACCOUNTS)
    assert mapping["us-east-1"]["Debugger"] == DEBUGGER_ACCOUNTS["us-east-1"]


# -- props ------------------------------------------------------------------------------------------


def _bad(make: Callable[[Any], Step]) -> str:
    app = App()
    stack = Stack(app, "Bad", env=Environment(account="111111111111", region="eu-west-1"))
    infra = imported_infra(stack)
    with pytest.raises(ValidationError) as err:
        TrainingPipeline(
            stack,
            "Pipe",
            steps=[make(infra)],
            vpc=infra.vpc,
            security_groups=[infra.security_group],
            encryption_key=infra.key,
            artifacts_bucket=infra.artifacts,
        )
    return str(err.value)


def _train(**kwargs: Any) -> TrainingStep:
    return TrainingStep("Train", image=XGBOOST, **kwargs)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda i: _train(distribution=Distribution.torch_distributed()),
            r"steps\[Train\]\.distribution needs several instances \(got 'TORCH_DISTRIBUTED'\)",
        ),
        (
            lambda i: _train(instance_count=2, distribution=Distribution(DistributionStrategy.TORCH_DISTRIBUTED, 8)),
            r"steps\[Train\]\.distribution\.processes_per_host must be only with DistributionStrategy\.MPI",
        ),
        (
            lambda i: _train(
                instance_count=2, distribution=Distribution(DistributionStrategy.PARAMETER_SERVER, None, "-x A")
            ),
            r"custom_mpi_options must be only with DistributionStrategy\.MPI or SMDDP",
        ),
        (
            lambda i: _train(keep_alive=Duration.seconds(0)),
            r"steps\[Train\]\.keep_alive \(s\) must be between 1 and 21600 \(got 0\)",
        ),
        (
            lambda i: _train(keep_alive=Duration.hours(7)),
            r"steps\[Train\]\.keep_alive \(s\) must be between 1 and 21600 \(got 25200\)",
        ),
        (
            lambda i: _train(checkpointing=True, checkpoint_local_path="ckpt"),
            r"checkpoint_local_path must be an absolute path",
        ),
        (
            lambda i: _train(checkpoints=S3Location(i.data, "x/"), checkpointing=False),
            r"steps\[Train\]\.checkpoints is unused",
        ),
        (
            lambda i: _train(inputs=[TrainingInput("train", S3Location(i.data, "x/"), distribution="Sharded")]),
            r"inputs\[0\]\.distribution must be one of 'FullyReplicated', 'ShardedByS3Key' \(got 'Sharded'\)",
        ),
        (
            lambda i: _train(
                debugger=Debugger(rules=[DebuggerRuleConfig(DebuggerRule.LOW_GPU_UTILIZATION, {"threshold": 5})])
            ),
            r"debugger\.rules\[LowGPUUtilization\]\.parameters\[threshold\] is not a parameter of LowGPUUtilization; "
            r"it takes: patience, scan_interval_us, threshold_p5, threshold_p95, window",
        ),
        (
            lambda i: _train(
                debugger=Debugger(rules=[DebuggerRuleConfig(DebuggerRule.OVERFIT, {"rule_to_invoke": "X"})])
            ),
            r"debugger\.rules\[Overfit\]\.parameters must be parameter names .* \(got 'rule_to_invoke'\)",
        ),
        (
            lambda i: _train(debugger=Debugger(rules=[DebuggerRule.OVERFIT, DebuggerRuleConfig(DebuggerRule.OVERFIT)])),
            r"debugger\.rules\[\]\.name",
        ),
        (
            lambda i: _train(
                debugger=Debugger(rules=[DebuggerRuleConfig(DebuggerRule.OVERFIT, name=f"O{n}") for n in range(21)])
            ),
            r"debugger\.rules must be at most 20 debugging rules \(got 21\)",
        ),
        (
            lambda i: _train(debugger=Debugger(rules=[DebuggerRule.PROFILER_REPORT], profiling_interval_ms=300)),
            r"debugger\.profiling_interval_ms must be one of 100, 200, 500, 1000, 5000, 60000 \(got 300\)",
        ),
        (
            lambda i: _train(debugger=Debugger(rules=[DebuggerRule.CPU_BOTTLENECK], profiler=False)),
            r"debugger\.profiler must stay on: profiling rules CPUBottleneck read the profiler's metrics",
        ),
        (
            lambda i: _train(
                instance_count=2,
                distribution=Distribution.mpi(8),
                use_spot_instances=True,
                max_wait=Duration.hours(48),
                debugger=Debugger(collections=[TensorCollection("weights")]),
            ),
            r"debugger cannot save tensors in a distributed job with checkpoints",
        ),
        (
            lambda i: TuningStep(
                "Tune",
                image=XGBOOST,
                objective=TuningObjective.maximize("validation:auc"),
                ranges=[IntegerRange("max_depth", 3, 9)],
                keep_alive=Duration.minutes(5),
                debugger=Debugger(rules=[DebuggerRule.OVERFIT]),
            ),
            r"steps\[Tune\]\.debugger is not supported on a Tuning step"
            r".*\n.*steps\[Tune\]\.keep_alive is not supported",
        ),
    ],
)
def test_bad_props_name_the_step_the_prop_and_what_is_allowed(make: Callable[[Any], Step], message: str) -> None:
    text = _bad(make)
    assert re.search(message, text), text


def test_the_keep_alive_bound_is_botocores() -> None:
    shape = botocore.session.get_session().get_service_model("sagemaker").shape_for("ResourceConfig")
    assert shape.members["KeepAlivePeriodInSeconds"].metadata["max"] == MAX_KEEP_ALIVE_SECONDS


def test_a_tuning_step_carries_the_distribution_in_its_static_hyperparameters() -> None:
    step = TuningStep(
        "Tune",
        image=XGBOOST,
        instance_count=2,
        instance_type=InstanceType.ML_M5_XLARGE,
        distribution=Distribution.mpi(4, "-x NCCL_DEBUG=INFO"),
        objective=TuningObjective.maximize("validation:auc"),
        ranges=[IntegerRange("max_depth", 3, 9)],
    )
    stack = Stack(App(), "Tune", env=Environment(account="111111111111", region="eu-west-1"))
    infra = imported_infra(stack)
    pipeline = TrainingPipeline(
        stack,
        "Pipe",
        steps=[step],
        vpc=infra.vpc,
        security_groups=[infra.security_group],
        encryption_key=infra.key,
        artifacts_bucket=infra.artifacts,
    )
    static = pipeline.definition["Steps"][0]["Arguments"]["TrainingJobDefinition"]["StaticHyperParameters"]
    assert static == {
        "sagemaker_mpi_enabled": "true",
        "sagemaker_mpi_num_of_processes_per_host": "4",
        "sagemaker_mpi_custom_mpi_options": '"-x NCCL_DEBUG=INFO"',
    }
