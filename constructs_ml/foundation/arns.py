"""SageMaker ARNs as SageMaker writes them: resource names lower-cased.

SageMaker resource names are case-insensitive and SageMaker writes them in lower case in the ARNs it
returns and authorizes against (an endpoint created as ``Churn-Prod`` has the ARN
``...:endpoint/churn-prod``), while IAM compares ``Resource`` ARNs case-sensitively: a grant on
``endpoint/Churn-Prod`` matches nothing. Observed for endpoints (aws-samples and monitoring tools that
had to lower-case endpoint names to match ARNs: github.com/philschmid/cdk-samples/issues/2,
github.com/prometheus-community/yet-another-cloudwatch-exporter/pull/1178), tuning jobs
(github.com/boto/boto3/issues/4606), and the CloudFormation-created resources of
github.com/aws-solutions/research-service-workbench-on-aws/pull/1048. The SageMaker documentation
states no rule per resource type, so :data:`LOWER_CASE_ARN_TYPES` lists the types whose names the
library puts in ARNs; names of other types are kept as given.

Names that are still tokens (a CloudFormation ``Ref``/``GetAtt``) cannot be lower-cased at synth:
owned resources should then use the ARN attribute their resource returns (``attr_model_arn``,
``attr_endpoint_arn``, ``attr_model_package_group_arn``) instead of an ARN built here.
"""

from __future__ import annotations

from constructs import IConstruct

from constructs_ml._jsii_cache import is_unresolved
from constructs_ml.foundation.roles import stack_arn

#: SageMaker resource types whose names appear lower-cased in their ARNs.
LOWER_CASE_ARN_TYPES: frozenset[str] = frozenset(
    {
        "endpoint",
        "endpoint-config",
        "feature-group",
        "hyper-parameter-tuning-job",
        "model",
        "model-package",
        "model-package-group",
        "monitoring-schedule",
        "pipeline",
        "processing-job",
        "training-job",
        "transform-job",
    }
)


def sagemaker_arn_name(resource_type: str, name: str) -> str:
    """``name`` as it appears in an ARN of ``resource_type`` (tokens are left alone)."""
    if resource_type in LOWER_CASE_ARN_TYPES and not is_unresolved(name):
        return name.lower()
    return name


def sagemaker_arn(scope: IConstruct, resource_type: str, name: str) -> str:
    """The ARN of a SageMaker resource of the scope's account and region, e.g.
    ``sagemaker_arn(self, "pipeline", "Churn-Training")`` → ``arn:...:pipeline/churn-training``.

    ``name`` may be a pattern (``pipelines-*``) or a path (``<group>/*`` for model packages).
    """
    return stack_arn(scope, "sagemaker", f"{resource_type}/{sagemaker_arn_name(resource_type, name)}")
