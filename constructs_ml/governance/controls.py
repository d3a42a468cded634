"""The GOVERNANCE.md controls, machine-readable, each with how it is checked on a cloud assembly.

The compliance report evaluates every control on the synthesized templates (plus the validation
report and the acknowledgements). A control is ``PASS``, ``FAIL``, ``ACKNOWLEDGED`` (its only
failures carry a recorded acknowledgement), ``CANNOT VERIFY``, ``N/A`` (no resource it applies to)
or ``NOT CHECKED`` (needs a tool the report does not run; the detail says which).
"""

from __future__ import annotations

from constructs_ml.governance.control_checks import (
    ACKED,
    FAIL,
    NA,
    NAG_PLUGINS,
    NOT_CHECKED,
    PASS,
    POLICY_TYPES,
    SG_TYPES,
    UNKNOWN,
    Ack,
    AssemblyFacts,
    Control,
    ControlResult,
    Evaluation,
    as_list,
    bucket_bpa,
    bucket_logging,
    bucket_policies,
    bucket_sse,
    endpoints,
    flow_logs,
    key_policy,
    key_retained,
    lambda_hardening,
    lambda_runtime,
    meta_acks,
    meta_cfn,
    meta_custom,
    meta_nag,
    none_of_types,
    pass_role,
    per_resource,
    per_vpc_custom,
    policy_conditions,
    present,
    prop_check,
    props,
    sagemaker,
    sg_described,
    sg_open,
    star_resources,
    stmts,
    wild_actions,
)
from constructs_ml.governance.rules_base import equals, flatten_text, get

CONTROLS: tuple[Control, ...] = (
    Control(
        "NET-01",
        "No IGW, NAT gateway or EIP",
        "none of these types present",
        none_of_types("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EIP"),
    ),
    Control(
        "NET-02",
        "No public-IP subnets",
        "Subnet MapPublicIpOnLaunch not true",
        per_resource(
            ["AWS::EC2::Subnet"],
            lambda r: "MapPublicIpOnLaunch true" if equals(props(r).get("MapPublicIpOnLaunch"), True) else None,
        ),
    ),
    Control(
        "NET-03",
        "No default route to internet",
        "no Route to 0.0.0.0/0 or ::/0",
        per_resource(
            ["AWS::EC2::Route"],
            lambda r: (
                "default route"
                if (
                    props(r).get("DestinationCidrBlock") == "0.0.0.0/0"
                    or props(r).get("DestinationIpv6CidrBlock") == "::/0"
                )
                else None
            ),
        ),
    ),
    Control("NET-04", "VPC flow logs, all traffic", "a FlowLog per VPC with TrafficType ALL", flow_logs),
    Control("NET-05", "Default SG closed", "a Custom::VpcRestrictDefaultSG per VPC", per_vpc_custom),
    Control(
        "NET-06",
        "No SG rule to/from the internet",
        "no CidrIp 0.0.0.0/0 or CidrIpv6 ::/0, except HTTPS egress to the gateway endpoints of isolated subnets",
        per_resource(SG_TYPES, sg_open),
    ),
    Control("NET-07", "Every SG rule described", "every rule has a Description", per_resource(SG_TYPES, sg_described)),
    Control(
        "NET-08", "Required endpoints exist, with private DNS", "VPCEndpoint service set + PrivateDnsEnabled", endpoints
    ),
    Control(
        "NET-09",
        "Endpoint SG admits only HTTPS from platform SGs",
        "needs the endpoint SG's role in the design; reviewed with the network construct tests",
    ),
    Control(
        "NET-10",
        "Endpoint policies restrict scope",
        "every VPCEndpoint has a PolicyDocument",
        per_resource(["AWS::EC2::VPCEndpoint"], present(("PolicyDocument",))),
    ),
    Control(
        "NET-11",
        "SageMaker SG rules match the docs",
        "needs which SG is the SageMaker SG; reviewed with the network construct tests",
    ),
    *(
        Control(cid, title, "SageMaker pack rules " + cid, sagemaker(cid))
        for cid, title in (
            ("SM-01", "Studio is VPC-only"),
            ("SM-02", "Domain volumes use the CMK"),
            ("SM-03", "Domain and user profiles carry persona roles"),
            ("SM-04", "Studio sharing/docker locked down"),
            ("SM-05", "Models isolated and in VPC"),
            ("SM-06", "Endpoint volumes use the CMK"),
            ("SM-07", "Captured data / async outputs encrypted"),
            ("SM-08", "Feature store encrypted"),
            ("SM-09", "Notebook instances locked down"),
            ("SM-10", "Monitoring and pipeline jobs encrypted and isolated"),
        )
    ),
    Control(
        "SM-11",
        "Runtime guardrail policy present",
        "ManagedPolicy Deny on the guardrail condition keys",
        lambda f: policy_conditions(
            f,
            (
                "sagemaker:VpcSubnets",
                "sagemaker:VolumeKmsKey",
                "sagemaker:InterContainerTrafficEncryption",
                "sagemaker:AppNetworkAccessType",
            ),
        ),
        assembly_wide=True,
    ),
    Control(
        "SM-12",
        "Persona guardrails for approval and Studio access",
        "ManagedPolicy conditions on ModelApprovalStatus and aws:SourceVpce; no public model package group",
        lambda f: policy_conditions(f, ("aws:SourceVpce",)),
        assembly_wide=True,
    ),
    Control(
        "KMS-01",
        "Key rotation",
        "EnableKeyRotation true",
        per_resource(
            ["AWS::KMS::Key"],
            lambda r: (
                None
                if equals(props(r).get("EnableKeyRotation"), True)
                or props(r).get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
                else "rotation off"
            ),
        ),
    ),
    Control(
        "KMS-02",
        "Keys retained",
        "DeletionPolicy/UpdateReplacePolicy Retain",
        per_resource(["AWS::KMS::Key"], key_retained),
    ),
    Control(
        "KMS-03", "Key policy scoped", "no Allow to * without Condition", per_resource(["AWS::KMS::Key"], key_policy)
    ),
    Control(
        "S3-01",
        "SSE-KMS",
        "SSEAlgorithm aws:kms",
        per_resource(["AWS::S3::Bucket"], bucket_sse, ack_rule="S3DefaultEncryptionKMS"),
    ),
    Control("S3-02", "Block Public Access", "all four flags true", per_resource(["AWS::S3::Bucket"], bucket_bpa)),
    Control(
        "S3-03",
        "Versioning",
        "VersioningConfiguration.Status Enabled",
        per_resource(
            ["AWS::S3::Bucket"], prop_check(("VersioningConfiguration", "Status"), "Enabled", "versioning off")
        ),
    ),
    Control("S3-04", "Access logging", "LoggingConfiguration except the log target", bucket_logging),
    Control(
        "S3-05",
        "TLS only",
        "BucketPolicy Deny on aws:SecureTransport",
        lambda f: bucket_policies(f, "aws:SecureTransport"),
    ),
    Control(
        "S3-06",
        "ACLs disabled",
        "ObjectOwnership BucketOwnerEnforced",
        per_resource(
            ["AWS::S3::Bucket"],
            lambda r: None if "BucketOwnerEnforced" in str(get(props(r), "OwnershipControls")) else "ACLs enabled",
        ),
    ),
    Control(
        "S3-07",
        "Buckets retained",
        "DeletionPolicy Retain",
        per_resource(["AWS::S3::Bucket"], lambda r: None if r.get("DeletionPolicy") == "Retain" else "not retained"),
    ),
    Control(
        "S3-08",
        "Network-origin enforcement",
        "BucketPolicy Deny on aws:SourceVpce",
        lambda f: bucket_policies(f, "aws:SourceVpce", ack_rule="control:S3-08"),
    ),
    Control(
        "S3-09",
        "Replication or documented DR decision",
        "ReplicationConfiguration or acknowledgement",
        per_resource(
            ["AWS::S3::Bucket"], present(("ReplicationConfiguration",)), ack_rule="S3BucketReplicationEnabled"
        ),
    ),
    Control(
        "IAM-01",
        "No IAM users/groups/keys",
        "none present",
        none_of_types("AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::AccessKey"),
    ),
    Control(
        "IAM-02",
        "No inline policies",
        "no IAM::Policy and no Role.Policies",
        lambda f: (
            none_of_types("AWS::IAM::Policy", "AWS::IAM::RolePolicy")(f)
            if none_of_types("AWS::IAM::Policy", "AWS::IAM::RolePolicy")(f).status == FAIL
            else per_resource(
                ["AWS::IAM::Role"],
                lambda r: "inline Policies" if props(r).get("Policies") else None,
                ack_rule="control:IAM-02",
            )(f)
        ),
    ),
    Control(
        "IAM-03",
        "No AWS-managed policies",
        "no :iam::aws:policy/ in ManagedPolicyArns",
        per_resource(
            ["AWS::IAM::Role"],
            lambda r: (
                "AWS managed policy"
                if any(":iam::aws:policy/" in flatten_text(a) for a in as_list(props(r).get("ManagedPolicyArns")))
                else None
            ),
        ),
    ),
    # A permissions boundary lists service-level actions as its ceiling; its reviewed acknowledgement of
    # the *FullAccess rules marks it, so it reports ACKNOWLEDGED with the path instead of FAIL.
    Control(
        "IAM-04",
        "No * / svc:* actions",
        "no Allow with such actions",
        per_resource(POLICY_TYPES, wild_actions, ack_rule="IAMPolicyNoStatementsWithFullAccess"),
    ),
    Control(
        "IAM-05",
        "Resource * only where unavoidable",
        "Resource * only with a Condition (or acknowledged IAM5)",
        per_resource(POLICY_TYPES, star_resources, ack_rule="IAM5"),
    ),
    Control(
        "IAM-06",
        "Permission boundary on every role",
        "PermissionsBoundary set",
        per_resource(["AWS::IAM::Role"], present(("PermissionsBoundary",))),
    ),
    Control(
        "IAM-07",
        "Trust policies specific",
        "no Principal * in AssumeRolePolicyDocument",
        per_resource(
            ["AWS::IAM::Role"],
            lambda r: (
                "Principal *"
                if any(
                    st.get("Principal") == "*" or "*" in as_list(get(st, "Principal", "AWS"))
                    for st in stmts(props(r).get("AssumeRolePolicyDocument"))
                )
                else None
            ),
        ),
    ),
    Control(
        "IAM-08",
        "PassRole scoped",
        "specific roles + iam:PassedToService",
        per_resource(POLICY_TYPES, pass_role, ack_rule="IAMPolicyNoStatementsWithFullAccess"),
    ),
    Control(
        "LMB-01",
        "Lambda hardening",
        "VpcConfig, DLQ, tracing, memory, timeout (reserved concurrency optional: idempotent handlers)",
        per_resource(["AWS::Lambda::Function"], lambda_hardening, ack_rule="control:LMB-01"),
    ),
    Control(
        "LMB-02", "Latest runtime", "python3.14 / nodejs24.x", per_resource(["AWS::Lambda::Function"], lambda_runtime)
    ),
    Control(
        "LMB-03",
        "Invoke permissions scoped",
        "Principal not *, SourceArn/SourceAccount",
        per_resource(
            ["AWS::Lambda::Permission"],
            lambda r: (
                "Principal * or no source"
                if (
                    props(r).get("Principal") == "*" or not (props(r).get("SourceArn") or props(r).get("SourceAccount"))
                )
                else None
            ),
        ),
    ),
    Control(
        "LOG-01",
        "Logs encrypted with retention",
        "KmsKeyId and RetentionInDays",
        per_resource(["AWS::Logs::LogGroup"], present(("KmsKeyId",), ("RetentionInDays",))),
    ),
    Control(
        "MSG-01", "SNS encrypted", "KmsMasterKeyId", per_resource(["AWS::SNS::Topic"], present(("KmsMasterKeyId",)))
    ),
    Control(
        "MSG-02",
        "SNS subscriptions redrive",
        "RedrivePolicy",
        per_resource(["AWS::SNS::Subscription"], present(("RedrivePolicy",))),
    ),
    Control(
        "MSG-03", "SQS encrypted", "KmsMasterKeyId", per_resource(["AWS::SQS::Queue"], present(("KmsMasterKeyId",)))
    ),
    Control(
        "MSG-04",
        "SQS redrive except terminal DLQs",
        "RedrivePolicy unless a DLQ",
        per_resource(["AWS::SQS::Queue"], present(("RedrivePolicy",)), ack_rule="SQSRedrivePolicy"),
    ),
    Control(
        "EVT-01",
        "EventBridge targets have DLQs",
        "every target has DeadLetterConfig",
        per_resource(
            ["AWS::Events::Rule"],
            lambda r: (
                "target without DeadLetterConfig"
                if any(not get(t, "DeadLetterConfig") for t in as_list(props(r).get("Targets")))
                else None
            ),
        ),
    ),
    Control(
        "SFN-01",
        "State machine logging/tracing",
        "LoggingConfiguration.Level ALL, tracing on",
        per_resource(
            ["AWS::StepFunctions::StateMachine"],
            lambda r: (
                None
                if (
                    get(props(r), "LoggingConfiguration", "Level") == "ALL"
                    and equals(get(props(r), "TracingConfiguration", "Enabled"), True)
                )
                else "logging/tracing off"
            ),
        ),
    ),
    Control(
        "CW-01",
        "Alarms act",
        "AlarmActions non-empty",
        per_resource(
            ["AWS::CloudWatch::Alarm"],
            lambda r: (
                None
                if any(props(r).get(k) for k in ("AlarmActions", "OKActions", "InsufficientDataActions"))
                else "no actions"
            ),
        ),
    ),
    Control("META-01", "cdk-nag clean", "no cdk-nag plugin (5 packs + SageMaker) concluded failure", meta_nag),
    Control(
        "META-02", "Every acknowledgement is justified", "each acknowledgement is in the reviewed allowlist", meta_acks
    ),
    Control("META-03", "checkov clean", "run checkov on cdk.out (not run by this report)"),
    Control("META-04", "CFN schema clean", "no error from CloudFormation Validate in the report", meta_cfn),
    Control("META-05", "No unexpected CDK-internal Lambdas", "only allowlisted Custom:: types", meta_custom),
)


def evaluate_controls(facts: AssemblyFacts) -> list[tuple[Control, ControlResult]]:
    """Every control with its result; a control's own error becomes ``CANNOT VERIFY``."""
    out: list[tuple[Control, ControlResult]] = []
    for control in CONTROLS:
        if control.check is None:
            out.append((control, ControlResult(NOT_CHECKED, control.how)))
            continue
        try:
            out.append((control, control.check(facts)))
        except Exception as err:  # a malformed template must not stop the report
            out.append((control, ControlResult(UNKNOWN, f"check failed: {type(err).__name__}: {err}")))
    return out


__all__ = [
    "ACKED",
    "CONTROLS",
    "FAIL",
    "NA",
    "NAG_PLUGINS",
    "NOT_CHECKED",
    "PASS",
    "UNKNOWN",
    "Ack",
    "AssemblyFacts",
    "Control",
    "ControlResult",
    "Evaluation",
    "evaluate_controls",
]
