"""CuratedHub: a private SageMaker JumpStart hub whose models the platform chooses (``AWS::SageMaker::Hub``).

Example::

    hub = CuratedHub(self, "Hub", description="Models approved by the platform team",
                     models=[JumpStartModel("huggingface-llm-mistral-7b-instruct"),
                             JumpStartModel("meta-textgeneration-llama-3-8b", min_version="2.0.0")])
    StudioDomain(self, "Studio", ..., curated_hub=hub)      # Studio users see this hub, not the public one
    hub.grant_manage_content(personas.role(PersonaKind.PLATFORM_ADMIN))

What CloudFormation does and does not cover: ``AWS::SageMaker::Hub`` creates the hub (name, description,
display name, keywords, storage). There is no resource type for hub *content*: the model references that
put a public JumpStart model into the hub are made with the ``CreateHubContentReference`` API (the
SageMaker Python SDK's ``Hub.create_model_reference``). The construct therefore publishes the exact
requests for the chosen models as stack outputs (one per model) to apply after deploy
with the admin role (``grant_manage_content``), and tests them against the SageMaker API model. It ships
no custom resource: the platform forbids ``Custom::AWS`` (META-05), and a Lambda in the isolated VPC
could not reach CloudFormation's pre-signed response bucket through the S3 endpoint, whose policy only
admits the platform's buckets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, CfnOutput, CfnTag, Names, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import env_of, is_unresolved, stack_env, stack_of
from constructs_ml.contracts.model import contract_for
from constructs_ml.errors import Problems
from constructs_ml.foundation.roles import stack_arn

#: The AWS-owned hub of every public JumpStart model.
PUBLIC_HUB_NAME = "SageMakerPublicHub"
#: AWS's curated-hub guide: private hubs, model references, and what users of Studio see.
CURATED_HUBS = "https://docs.aws.amazon.com/sagemaker/latest/dg/jumpstart-curated-hubs.html"
#: The API call that adds a public model to a private hub.
CREATE_REFERENCE = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateHubContentReference.html"
#: The SageMaker service authorization reference (hub and hub-content resource types).
SAGEMAKER_SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html"

#: What a Studio user does with a hub: browse it and read its models.
HUB_READ_ACTIONS: tuple[str, ...] = (
    "sagemaker:DescribeHub",
    "sagemaker:ListHubContents",
    "sagemaker:ListHubContentVersions",
    "sagemaker:DescribeHubContent",
)
#: What the platform admin does with a hub's content: add, update and remove model references.
HUB_CONTENT_ACTIONS: tuple[str, ...] = (
    "sagemaker:CreateHubContentReference",
    "sagemaker:UpdateHubContentReference",
    "sagemaker:DeleteHubContentReference",
)
#: Browsing the public hub: denied to Studio roles when a curated hub is in use.
PUBLIC_HUB_BROWSE_ACTIONS: tuple[str, ...] = (
    "sagemaker:DescribeHub",
    "sagemaker:ListHubContents",
    "sagemaker:ListHubContentVersions",
)

#: Regions where curated private hubs are generally available (AWS admin guide for private model hubs;
#: il-central-1 is SDK-only and left out: Studio cannot show it).
CURATED_HUB_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
    }
)
#: The admin guide for private hubs: supported regions, prerequisites.
CURATED_HUBS_ADMIN = "https://docs.aws.amazon.com/sagemaker/latest/dg/jumpstart-curated-hubs-admin-guide.html"

_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
_MODEL_ID = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}")
_VERSION = re.compile(r"\d{1,4}\.\d{1,4}\.\d{1,4}")
_KEYWORD = re.compile(r"[^A-Z]{0,255}")


@dataclass(frozen=True)
class JumpStartModel:
    """A public JumpStart model the platform puts in its curated hub.

    Attributes:
        model_id: the JumpStart model id (``huggingface-llm-mistral-7b-instruct``), as listed in the
            SageMaker Python SDK's pre-trained model table; letters, digits and hyphens.
        min_version: the lowest model version users may use (``"2.0.0"``): any version.
        name: the reference's name in the hub: the model id (at most 63 characters).
    """

    model_id: str
    min_version: str | None = None
    name: str | None = None

    @property
    def content_name(self) -> str:
        return self.name or self.model_id

    def check(self, problems: Problems, prop: str) -> None:
        problems.require(
            bool(_MODEL_ID.fullmatch(self.model_id)),
            f"{prop}.model_id",
            self.model_id,
            "a JumpStart model id: 1..64 letters, digits and hyphens",
        )
        problems.require(
            bool(_NAME.fullmatch(self.content_name)),
            f"{prop}.name",
            self.content_name,
            "1..63 letters, digits and hyphens (give name= for model ids longer than 63 characters)",
        )
        if self.min_version is not None:
            problems.require(
                bool(_VERSION.fullmatch(self.min_version)), f"{prop}.min_version", self.min_version, "a version 'x.y.z'"
            )


def public_hub_arn(scope: Construct) -> str:
    """The ARN of the AWS-owned public JumpStart hub in the scope's region."""
    stack = stack_of(scope)
    env = env_of(stack)
    return f"arn:{env.partition}:sagemaker:{env.region}:aws:hub/{PUBLIC_HUB_NAME}"


def public_model_arn(scope: Construct, model_id: str) -> str:
    """The ARN of a public JumpStart model (the ``SageMakerPublicHubContentArn`` of a reference)."""
    stack = stack_of(scope)
    env = env_of(stack)
    return f"arn:{env.partition}:sagemaker:{env.region}:aws:hub-content/{PUBLIC_HUB_NAME}/Model/{model_id}"


class CuratedHubBase(Construct):
    """What owned and imported hubs share: the name, ARNs and the grants."""

    hub_name: str
    models: list[JumpStartModel]

    @property
    def hub_arn(self) -> str:
        return stack_arn(self, "sagemaker", f"hub/{self.hub_name}")

    def hub_content_arn(self, content_type: str = "*", content_name: str = "*") -> str:
        """The ARN of content of this hub (``hub-content/<hub>/<type>/<name>``); patterns allowed."""
        return stack_arn(self, "sagemaker", f"hub-content/{self.hub_name}/{content_type}/{content_name}")

    def model_reference_arn(self, model: JumpStartModel | str) -> str:
        """The ARN of a model reference in this hub (what ``AWS::SageMaker::Model`` ``HubAccessConfig`` takes)."""
        name = model.content_name if isinstance(model, JumpStartModel) else model
        return self.hub_content_arn("ModelReference", name)

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` browse this hub and read its models (Studio's JumpStart view, the SDK).

        Also ``sagemaker:ListHubs``, which has no resource-level permission (``Resource: "*"``).
        """
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(HUB_READ_ACTIONS), resource_arns=[self.hub_arn, self.hub_content_arn()]
        )
        iam.Grant.add_to_principal(grantee=grantee, actions=["sagemaker:ListHubs"], resource_arns=["*"])
        contract = contract_for(grantee)
        if contract is not None:
            contract.allows(
                "sagemaker:ListHubs",
                "*",
                why="Studio's JumpStart view lists the hubs the user may open",
                source=CURATED_HUBS,
            ).allows(
                ["sagemaker:DescribeHub", "sagemaker:ListHubContents"],
                self.hub_arn,
                why="Studio's JumpStart view lists the curated hub's models",
                source=CURATED_HUBS,
            ).allows(
                "sagemaker:DescribeHubContent",
                self.model_reference_arn("contract-check"),
                why="a user opens a curated model's card",
                source=CURATED_HUBS,
            )
        return grant

    def grant_manage_content(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the platform admin) add and remove this hub's model references.

        Also reading the public hub's models, which ``CreateHubContentReference`` points at.
        """
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[*HUB_CONTENT_ACTIONS, *HUB_READ_ACTIONS],
            resource_arns=[self.hub_arn, self.hub_content_arn()],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:DescribeHub", "sagemaker:ListHubContents", "sagemaker:DescribeHubContent"],
            resource_arns=[public_hub_arn(self), public_model_arn(self, "*")],
        )
        contract = contract_for(grantee)
        if contract is not None:
            contract.allows(
                "sagemaker:CreateHubContentReference",
                self.hub_arn,
                why="the admin adds the platform's chosen models to the curated hub",
                source=CREATE_REFERENCE,
            ).allows(
                "sagemaker:DescribeHubContent",
                public_model_arn(self, "contract-check"),
                why="the admin reads the public model a reference points at",
                source=CURATED_HUBS,
            ).denies(
                "sagemaker:CreateHubContentReference",
                stack_arn(self, "sagemaker", "hub/contract-check-other-hub"),
                why="the admin grant covers this hub only",
                source=SAGEMAKER_SAR,
            )
        return grant

    def restrict_studio_role(self, grantee: iam.IGrantable) -> None:
        """Make this hub the only one ``grantee`` (a Studio execution role) browses.

        Grants :meth:`grant_read` on this hub, and denies browsing the public JumpStart hub
        (``DescribeHub``/``ListHubContents``/``ListHubContentVersions`` on ``SageMakerPublicHub``), so a
        broader grant added later cannot show it again. Reading a public model's content stays possible
        through a reference of this hub (that is how a reference resolves); browsing the public catalogue
        does not.
        """
        self.grant_read(grantee)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="DenyPublicJumpStartHub",
                effect=iam.Effect.DENY,
                actions=list(PUBLIC_HUB_BROWSE_ACTIONS),
                resources=[public_hub_arn(self)],
            )
        )
        contract = contract_for(grantee)
        if contract is not None:
            contract.denies(
                "sagemaker:ListHubContents",
                public_hub_arn(self),
                why="Studio users browse only the platform's curated hub, not the public JumpStart catalogue",
                source=CURATED_HUBS,
            ).denies(
                "sagemaker:CreateHubContentReference",
                self.hub_arn,
                why="only the platform admin changes what the curated hub holds",
                source=CREATE_REFERENCE,
            )


class CuratedHub(CuratedHubBase):
    """A private JumpStart hub (``AWS::SageMaker::Hub``) holding only the models the platform chooses.

    Studio users of a domain given this hub (``StudioDomain(curated_hub=hub)``) see it in JumpStart and
    cannot browse the public JumpStart hub (see :meth:`restrict_studio_role`). Each chosen model becomes
    a ``CreateHubContentReference`` request in a stack output whose key starts with the hub's logical id
    and contains ``Reference`` (see the module notes for why not a custom resource); apply them after
    deploy with the admin role (``grant_manage_content``)::

        aws cloudformation describe-stacks --stack-name S \\
          --query "Stacks[0].Outputs[?contains(OutputKey, 'Reference')].OutputValue" --output text |
          tr '\\t' '\\n' | while read -r req; do
            aws sagemaker create-hub-content-reference --cli-input-json "$req"; done

    Args:
        scope: parent construct.
        construct_id: construct id.
        description: what the hub is for (shown in Studio); required, 1..1023 characters.
        models: the public JumpStart models the hub references: none (an empty hub).
        hub_name: the hub's name: derived from the construct path (1..63 letters, digits, hyphens).
        display_name: the name Studio shows: the hub name.
        search_keywords: lower-case keywords Studio search matches: none.
        storage_bucket: where content imported into the hub (not references) is kept: no storage
            configuration (references need none). Give the platform's artifacts bucket to import models.
        storage_prefix: the prefix in ``storage_bucket``: ``jumpstart-hub/``.
        tags: tags of the hub: none.
        removal_policy: deleted with the stack by default (a hub holds references, not data; CloudFormation
            cannot delete a hub that still has content, so remove the references first).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        models: Sequence[JumpStartModel] = (),
        hub_name: str | None = None,
        display_name: str | None = None,
        search_keywords: Sequence[str] = (),
        storage_bucket: s3.IBucket | None = None,
        storage_prefix: str = "jumpstart-hub/",
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        problems.require(
            len(description.strip()) > 0 and len(description) <= 1023, "description", description, "1..1023 characters"
        )
        if hub_name is not None:
            problems.require(bool(_NAME.fullmatch(hub_name)), "hub_name", hub_name, "1..63 letters, digits and hyphens")
            problems.require(hub_name != PUBLIC_HUB_NAME, "hub_name", hub_name, "a name other than the public hub's")
        if display_name is not None:
            problems.require(1 <= len(display_name) <= 255, "display_name", display_name, "1..255 characters")
        problems.require(len(search_keywords) <= 50, "search_keywords", len(search_keywords), "at most 50 keywords")
        for k in search_keywords:
            problems.require(bool(_KEYWORD.fullmatch(k)), "search_keywords", k, "keywords without upper-case letters")
        for i, m in enumerate(models):
            problems.require(isinstance(m, JumpStartModel), f"models[{i}]", m, "a JumpStartModel")
            if isinstance(m, JumpStartModel):
                m.check(problems, f"models[{i}]")
        problems.unique("models", [m.content_name for m in models if isinstance(m, JumpStartModel)])
        problems.require(
            storage_prefix == "" or (storage_prefix.endswith("/") and not storage_prefix.startswith("/")),
            "storage_prefix",
            storage_prefix,
            "a prefix ending in '/' (not starting with '/')",
        )
        problems.raise_if_any()

        self.hub_name = hub_name or Names.unique_resource_name(self, max_length=63, separator="-").strip("-")
        self.models = list(models)
        self.resource = sagemaker.CfnHub(
            self,
            "Resource",
            hub_name=self.hub_name,
            hub_description=description,
            hub_display_name=display_name,
            hub_search_keywords=list(search_keywords) or None,
            s3_storage_config=sagemaker.CfnHub.S3StorageConfigProperty(
                s3_output_path=f"s3://{storage_bucket.bucket_name}/{storage_prefix}"
            )
            if storage_bucket is not None
            else None,
            tags=[CfnTag(key=k, value=v) for k, v in sorted((tags or {}).items())] or None,
        )
        self.resource.apply_removal_policy(removal_policy)
        self.storage_bucket = storage_bucket
        region = stack_env(self).region
        if not is_unresolved(region) and region not in CURATED_HUB_REGIONS:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:curated-hub-region-unsupported",
                f"CuratedHub: curated private hubs are not generally available in {region} (supported: "
                f"{', '.join(sorted(CURATED_HUB_REGIONS))}; see {CURATED_HUBS_ADMIN}).",
            )
        stack = stack_of(self)
        for model, request in zip(self.models, self.content_reference_requests(), strict=True):
            CfnOutput(
                self,
                f"Reference-{model.content_name}",
                description=f"CreateHubContentReference request for {model.model_id} in hub {self.hub_name}",
                value=stack.to_json_string(request),
            )
        if self.models:
            Annotations.of(self).add_info(
                f"CuratedHub: {len(self.models)} model reference(s) are applied after deploy with "
                "CreateHubContentReference (one stack output per model, keys containing 'Reference'): "
                "CloudFormation has no resource type for hub content."
            )

    def content_reference_requests(self) -> list[dict[str, object]]:
        """One ``CreateHubContentReference`` request per chosen model (tokens unresolved)."""
        out: list[dict[str, object]] = []
        for m in self.models:
            request: dict[str, object] = {
                "HubName": self.hub_name,
                "SageMakerPublicHubContentArn": public_model_arn(self, m.model_id),
                "HubContentName": m.content_name,
            }
            if m.min_version is not None:
                request["MinVersion"] = m.min_version
            out.append(request)
        return out

    @classmethod
    def from_hub_name(cls, scope: Construct, construct_id: str, hub_name: str) -> CuratedHubBase:
        """An existing private hub of this account, to grant on or to give a Studio domain."""
        problems = Problems(scope.node.path + "/" + construct_id)
        if not is_unresolved(hub_name):
            problems.require(bool(_NAME.fullmatch(hub_name)), "hub_name", hub_name, "1..63 letters, digits and hyphens")
        problems.raise_if_any()
        imported = CuratedHubBase(scope, construct_id)
        imported.hub_name = hub_name
        imported.models = []
        return imported
