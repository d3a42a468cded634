"""A compliant foundation (keys, network, buckets, guardrail) for serve/operate tests."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecr as ecr

from constructs_ml.foundation import MlNetwork, PlatformBuckets, PlatformKeys, SageMakerGuardrail
from constructs_ml.serve import ContainerImage, Model, ModelData

ENV = Environment(account="111111111111", region="eu-west-1")
S3_PREFIX_LIST = "pl-6da54004"


@dataclass
class Foundation:
    stack: Stack
    keys: PlatformKeys
    network: MlNetwork
    buckets: PlatformBuckets
    guardrail: SageMakerGuardrail
    repository: ecr.IRepository

    def model(self, construct_id: str = "Model", **kwargs: object) -> Model:
        """A model of the platform: image from the repository, data in the artifacts bucket, VPC."""
        props: dict[str, object] = {
            "image": ContainerImage.from_ecr_repository(self.repository, "1.0.0"),
            "model_data": ModelData.from_bucket(self.buckets.artifacts.bucket, "churn/model.tar.gz"),
            "vpc": self.network.vpc,
            "vpc_subnets": self.network.subnet_selection,
            "security_groups": [self.network.workload_security_group],
            "guardrail": self.guardrail.policy,
        }
        props.update(kwargs)
        return Model(self.stack, construct_id, **props)  # type: ignore[arg-type]  # test helper, kwargs checked by Model


def foundation(app: App, stack_id: str = "T") -> Foundation:
    stack = Stack(app, stack_id, env=ENV)
    keys = PlatformKeys(stack, "Keys")
    network = MlNetwork(stack, "Network", logs_key=keys.logs, s3_prefix_list_id=S3_PREFIX_LIST)
    buckets = PlatformBuckets(stack, "Buckets", key=keys.data)
    guardrail = SageMakerGuardrail(stack, "Guardrail", keys=[keys.data])
    repository = ecr.Repository.from_repository_name(stack, "Repo", "churn-inference")
    return Foundation(stack, keys, network, buckets, guardrail, repository)
