"""StudioDomain: a VPC-only SageMaker Studio domain (controls SM-01..SM-04, SM-12).

Example::

    studio = StudioDomain(self, "Studio", network=network, key=keys.data,
                          personas=StudioPersona.all_from(personas))
    alice = studio.add_user("alice", persona=PersonaKind.DATA_SCIENTIST)
    alice.grant_presigned_url(personas.role(PersonaKind.DATA_SCIENTIST))
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations, CfnOutput, CfnTag, Names, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import stack_of
from constructs_ml.errors import Problems
from constructs_ml.foundation.network import MlNetwork
from constructs_ml.foundation.personas import PersonaKind
from constructs_ml.foundation.roles import stack_arn
from constructs_ml.studio.domain_base import StudioDomainBase, allow_source_identity, runs_by_default
from constructs_ml.studio.domain_checks import check_hub_and_images, check_network
from constructs_ml.studio.hub import CuratedHubBase
from constructs_ml.studio.image import StudioImage, StudioImageBase, custom_images_by_app
from constructs_ml.studio.lifecycle import StudioAppType, StudioLifecycleConfigBase, check_name
from constructs_ml.studio.settings import (
    FORBIDDEN_STUDIO_PERSONAS,
    SHARING_DISABLED,
    AppInstanceType,
    CanvasSettings,
    IdleShutdown,
    NotebookSharing,
    SpaceStorage,
    StudioAuth,
    StudioMlTool,
    StudioPersona,
    canvas_request_json,
    persona_key,
)

if TYPE_CHECKING:
    from constructs_ml.studio.mlflow import MlflowTrackingServer, TrackingServerSize
    from constructs_ml.studio.space import StudioSpace
    from constructs_ml.studio.user_profile import UserProfile, UserProfileBase

#: Lifecycle-config app types a domain attaches (Studio Classic types are not supported).
SUPPORTED_LIFECYCLE_APP_TYPES = (StudioAppType.JUPYTER_LAB, StudioAppType.CODE_EDITOR)


class StudioDomain(StudioDomainBase):
    """A SageMaker Studio domain that is VPC-only, encrypted and attributable (``AWS::SageMaker::Domain``).

    Secure by default:

    * ``AppNetworkAccessType=VpcOnly`` on the private subnets of the network (SM-01): Studio reaches AWS
      only through the VPC endpoints; public subnets and fewer than two subnets are rejected.
    * the EFS home volume (and the spaces' EBS volumes) are encrypted with ``key`` (SM-02);
    * every user runs as a persona execution role, never the platform admin, in the workload security
      group (SM-03); ``ExecutionRoleIdentityConfig=USER_PROFILE_NAME`` makes CloudTrail name the user
      profile behind every call (the domain adds ``sts:SetSourceIdentity`` to the personas' trust);
    * Docker access off and notebook sharing off, or to the platform bucket with KMS (SM-04);
    * JupyterLab and Code Editor stop after an hour idle (SageMaker's built-in idle settings, see
      :class:`IdleShutdown` for why; lifecycle configs may be added too);
    * Canvas hidden unless :class:`CanvasSettings` are given; RStudio hidden; JumpStart hidden unless a
      :class:`CuratedHub` is given, and then its users browse that hub only (the public JumpStart hub is
      denied to their execution roles);
    * custom images only from the platform's ECR (:class:`StudioImage`), offered in JupyterLab (and
      KernelGateway) settings;
    * tags propagate to the resources users create in Studio (cost and ownership attribution);
    * retained on stack deletion (users' home directories live on the domain's EFS volume).

    Root access: Studio apps have no root-access switch (``RootAccess`` exists only for notebook
    instances); with Docker off, users cannot start privileged containers.

    Teardown: CloudFormation cannot delete a domain that still has user profiles, spaces or running
    apps (spaces and apps are created by users in Studio, outside the template), and it never deletes
    the EFS home volume. The domain is therefore retained by default; to remove it, delete the apps and
    spaces (``aws sagemaker list-apps/delete-app``, ``list-spaces/delete-space``), then the stack, then the
    EFS file system ``HomeEfsFileSystemId`` once its data is saved. No clean-up custom resource is shipped:
    deleting people's work is a decision, not a side effect of ``cdk destroy``.

    Args:
        scope: parent construct.
        construct_id: construct id.
        key: the KMS key for the EFS and EBS volumes (``PlatformKeys.data``).
        personas: the personas whose users use Studio (e.g. ``StudioPersona.all_from(personas)``); at least one.
        default_persona: the persona whose execution role is the domain default: the data scientist.
        network: the platform network: its VPC, private subnets and workload security group, and its
            SageMaker API/Studio endpoint ids for presigned URLs. Or give ``vpc`` and ``subnets``.
        vpc: the VPC, when not using ``network``.
        subnets: with ``vpc``: at least two private subnets.
        security_groups: security groups of every Studio app: the network's workload security group
            (required when ``vpc`` is given).
        auth: IAM (default) or IAM Identity Center.
        domain_name: the domain's name: derived from the construct path.
        idle_shutdown: built-in idle shutdown of JupyterLab and Code Editor: one hour. ``None`` turns it
            off, which is loud (a warning) unless a lifecycle config does the job.
        lifecycle_configs: lifecycle configurations offered to (and, when ``run_by_default``, run in)
            JupyterLab and Code Editor apps: none.
        notebook_sharing: allow sharing notebooks to S3 with KMS: sharing disabled.
        default_instance_type: instance type of new JupyterLab and Code Editor apps: ml.t3.medium.
        space_storage: EBS storage of private spaces: 5 GB, up to 100 GB.
        canvas: Canvas settings: Canvas hidden.
        curated_hub: the private JumpStart hub the domain's users may browse: none, and JumpStart hidden.
            With a hub, every persona's execution role gets :meth:`CuratedHub.restrict_studio_role`.
        custom_images: custom images offered to users (JupyterLab and KernelGateway ``CustomImages``): none.
        hidden_ml_tools: Studio tools hidden from the navigation pane: JumpStart when no ``curated_hub``
            is given, otherwise none.
        presigned_url_vpc_endpoint_ids: VPC endpoints through which presigned Studio URLs may be created:
            the network's SageMaker API and Studio endpoints.
        tags: tags of the domain (propagated to Studio resources).
        removal_policy: retained by default; anything else is loud (a warning).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        personas: Sequence[StudioPersona],
        default_persona: str | enum.Enum = PersonaKind.DATA_SCIENTIST,
        network: MlNetwork | None = None,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        auth: StudioAuth = StudioAuth.IAM,
        domain_name: str | None = None,
        idle_shutdown: IdleShutdown | None = IdleShutdown(),  # noqa: B008 (frozen value object)
        lifecycle_configs: Sequence[StudioLifecycleConfigBase] = (),
        notebook_sharing: NotebookSharing | None = None,
        default_instance_type: AppInstanceType = AppInstanceType.ML_T3_MEDIUM,
        space_storage: SpaceStorage = SpaceStorage(),  # noqa: B008 (frozen value object)
        canvas: CanvasSettings | None = None,
        curated_hub: CuratedHubBase | None = None,
        custom_images: Sequence[StudioImageBase] = (),
        hidden_ml_tools: Sequence[StudioMlTool] | None = None,
        presigned_url_vpc_endpoint_ids: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        check_network(problems, network, vpc, subnets, security_groups)
        problems.require(len(personas) >= 1, "personas", list(personas), "at least one StudioPersona")
        problems.unique("personas", [p.name for p in personas])
        for p in personas:
            problems.require(
                p.name not in FORBIDDEN_STUDIO_PERSONAS,
                "personas",
                p.name,
                "personas other than platform-admin (SM-03: Studio never runs as the admin role)",
            )
        known = [p.name for p in personas]
        if personas:
            problems.require(
                persona_key(default_persona) in known,
                "default_persona",
                persona_key(default_persona),
                "one of the given personas: " + ", ".join(known),
            )
        problems.require(isinstance(auth, StudioAuth), "auth", auth, "a StudioAuth")
        if domain_name is not None:
            check_name(problems, "domain_name", domain_name)
        if idle_shutdown is not None:
            idle_shutdown.check(problems, "idle_shutdown")
        space_storage.check(problems, "space_storage")
        default_instance_type.check(problems, "default_instance_type")
        for lcc in lifecycle_configs:
            problems.require(
                lcc.app_type in SUPPORTED_LIFECYCLE_APP_TYPES,
                "lifecycle_configs",
                lcc.app_type.value,
                "JupyterLab or CodeEditor lifecycle configs (Studio Classic apps are not supported)",
            )
        for app_type in SUPPORTED_LIFECYCLE_APP_TYPES:
            defaults = [c.node.path for c in lifecycle_configs if c.app_type is app_type and runs_by_default(c)]
            problems.require(
                len(defaults) <= 1, "lifecycle_configs", defaults, f"at most one default {app_type.value} config"
            )
        check_hub_and_images(problems, curated_hub, custom_images, hidden_ml_tools)
        problems.raise_if_any()

        stack = stack_of(self)
        self.key = key
        self.auth = auth
        self.network = network
        the_vpc = network.vpc if network is not None else vpc
        assert the_vpc is not None  # checked by check_network
        self.vpc: ec2.IVpc = the_vpc
        self.subnets: list[ec2.ISubnet] = list(network.subnets if network is not None else subnets or [])
        self.security_groups: list[ec2.ISecurityGroup] = list(
            security_groups or ([network.workload_security_group] if network is not None else [])
        )
        self.default_security_group_ids = [sg.security_group_id for sg in self.security_groups]
        self.idle_shutdown = idle_shutdown
        self.lifecycle_configs = list(lifecycle_configs)
        self.default_instance_type = default_instance_type
        self.canvas = canvas
        self.space_storage = space_storage
        self.curated_hub = curated_hub
        self.custom_images = list(custom_images)
        if hidden_ml_tools is None:
            hidden_ml_tools = [] if curated_hub is not None else [StudioMlTool.JUMP_START]
        self.hidden_ml_tools = list(hidden_ml_tools)
        for p in personas:
            self._personas[p.name] = p
        self.default_persona = self._personas[persona_key(default_persona)]
        endpoint_ids = (
            list(presigned_url_vpc_endpoint_ids)
            if presigned_url_vpc_endpoint_ids is not None
            else [i for i in ((network.api_endpoint_id, network.studio_endpoint_id) if network else ()) if i]
        )
        self.presigned_url_vpc_endpoint_ids = endpoint_ids

        default_role_arn = self.default_persona.role.role_arn
        sharing: Any = notebook_sharing.to_cfn() if notebook_sharing is not None else dict(SHARING_DISABLED)
        hidden = ["RStudioServerPro"] if canvas is not None else ["Canvas", "RStudioServerPro"]
        portal: dict[str, Any] = {"HiddenAppTypes": hidden}
        if self.hidden_ml_tools:
            portal["HiddenMlTools"] = [t.value for t in self.hidden_ml_tools]
        kernel_images = custom_images_by_app(self.custom_images).get("KernelGatewayAppSettings")
        user_settings: dict[str, Any] = {
            "ExecutionRole": default_role_arn,
            "SecurityGroups": self.security_group_ids_for(self.default_persona),
            "SharingSettings": sharing,
            "JupyterLabAppSettings": self.app_settings(StudioAppType.JUPYTER_LAB),
            "CodeEditorAppSettings": self.app_settings(StudioAppType.CODE_EDITOR),
            "SpaceStorageSettings": space_storage.to_cfn(),
            "StudioWebPortal": "ENABLED",
            "StudioWebPortalSettings": portal,
        }
        space_settings: dict[str, Any] = {
            "ExecutionRole": default_role_arn,
            "SecurityGroups": self.security_group_ids_for(self.default_persona),
            "JupyterLabAppSettings": self.app_settings(StudioAppType.JUPYTER_LAB),
            "SpaceStorageSettings": space_storage.to_cfn(),
        }
        if kernel_images:
            user_settings["KernelGatewayAppSettings"] = {"CustomImages": kernel_images}
            space_settings["KernelGatewayAppSettings"] = {"CustomImages": kernel_images}
        name = domain_name or Names.unique_resource_name(self, max_length=63, separator="-").strip("-")
        self.resource = sagemaker.CfnDomain(
            self,
            "Resource",
            domain_name=name,
            auth_mode=auth.value,
            app_network_access_type="VpcOnly",
            vpc_id=self.vpc.vpc_id,
            subnet_ids=[s.subnet_id for s in self.subnets],
            kms_key_id=key.key_arn,
            # Typed minimum here; the full settings below are PascalCase overrides, shared with UserProfile
            # and checked by CDK's template validation and cfn-lint in the tests.
            default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(execution_role=default_role_arn),
            domain_settings=sagemaker.CfnDomain.DomainSettingsProperty(
                docker_settings=sagemaker.CfnDomain.DockerSettingsProperty(enable_docker_access="DISABLED"),
                execution_role_identity_config="USER_PROFILE_NAME",
            ),
            tag_propagation="ENABLED",
            tags=[CfnTag(key=k, value=v) for k, v in sorted((tags or {}).items())] or None,
        )
        self.resource.add_property_override("DefaultUserSettings", user_settings)
        self.resource.add_property_override("DefaultSpaceSettings", space_settings)
        self.resource.apply_removal_policy(removal_policy)
        for image in self.custom_images:
            if isinstance(image, StudioImage):
                # Settings name an image version and an app image config that must exist first.
                self.resource.add_dependency(image.version)
                self.resource.add_dependency(image.app_image_config)
        if removal_policy != RemovalPolicy.RETAIN:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:studio-domain-not-retained",
                f"StudioDomain: removal_policy={removal_policy}. CloudFormation cannot delete a domain that still "
                "has user profiles, spaces or apps, and never deletes its EFS home volume: delete apps and spaces "
                "first, and the EFS file system (HomeEfsFileSystemId) yourself once its data is saved.",
            )
        self.domain_name = name
        self.domain_id = self.resource.attr_domain_id
        self.domain_arn = self.resource.attr_domain_arn
        self.home_efs_file_system_id = self.resource.attr_home_efs_file_system_id
        self.url = self.resource.attr_url

        for p in personas:
            allow_source_identity(self, p.role)
            self.grant_apps_and_spaces(p.grantee)
            if curated_hub is not None:
                curated_hub.restrict_studio_role(p.grantee)
            key.grant(p.grantee, "kms:DescribeKey")
            iam.Grant.add_to_principal(
                grantee=p.grantee,
                actions=["kms:CreateGrant"],
                resource_arns=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        if idle_shutdown is None:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:studio-idle-shutdown-off",
                "StudioDomain: built-in idle shutdown is off; idle JupyterLab/Code Editor apps keep running "
                "unless a lifecycle config stops them.",
            )
        if not endpoint_ids:
            Annotations.of(self).add_warning_v2(
                "constructs-ml:studio-no-vpce-for-presigned-urls",
                "StudioDomain: no VPC endpoint ids for presigned URLs; grant_presigned_url is unavailable.",
            )
        if canvas is not None:
            self.canvas_update_request = canvas_request_json(stack, self.domain_id, canvas)
            CfnOutput(
                self,
                "CanvasUpdateDomainRequest",
                value=self.canvas_update_request,
                description="Apply once after deploy: aws sagemaker update-domain --cli-input-json '<value>'",
            )
            Annotations.of(self).add_warning_v2(
                "constructs-ml:studio-canvas-settings-out-of-band",
                "StudioDomain: CloudFormation has no CanvasAppSettings property; apply the Canvas settings with the "
                "UpdateDomain request in the CanvasUpdateDomainRequest output after deploy.",
            )

    # -- settings -----------------------------------------------------------------------------------

    def app_settings(
        self,
        app_type: StudioAppType,
        *,
        idle_shutdown: IdleShutdown | None = None,
        instance_type: AppInstanceType | None = None,
    ) -> dict[str, Any]:
        """``JupyterLabAppSettings``/``CodeEditorAppSettings`` of the domain (or a user's overrides of it)."""
        configs = [c for c in self.lifecycle_configs if c.app_type is app_type]
        default = next((c for c in configs if runs_by_default(c)), None)
        spec: dict[str, Any] = {"InstanceType": (instance_type or self.default_instance_type).name}
        if default is not None:
            spec["LifecycleConfigArn"] = default.lifecycle_config_arn
        out: dict[str, Any] = {"DefaultResourceSpec": spec}
        idle = idle_shutdown or self.idle_shutdown
        if idle is not None:
            out["AppLifecycleManagement"] = idle.to_cfn()
        if configs:
            out["LifecycleConfigArns"] = [c.lifecycle_config_arn for c in configs]
        images = custom_images_by_app(self.custom_images).get(f"{app_type.value}AppSettings")
        if images:
            out["CustomImages"] = images
        return out

    # -- users and MLflow ---------------------------------------------------------------------------

    def add_user(
        self,
        user_profile_name: str,
        *,
        persona: str | enum.Enum = PersonaKind.DATA_SCIENTIST,
        **options: Any,
    ) -> UserProfile:
        """Add a user profile (see :class:`UserProfile` for ``options``); its construct id is ``User-<name>``."""
        from constructs_ml.studio.user_profile import UserProfile

        problems = Problems(self)
        problems.require(
            user_profile_name not in self._user_names,
            "user_profile_name",
            user_profile_name,
            "unique in the domain",
            what="must be unique in the domain; already used",
        )
        problems.raise_if_any()
        return UserProfile(
            self,
            f"User-{user_profile_name}",
            domain=self,
            user_profile_name=user_profile_name,
            persona=persona,
            **options,
        )

    def add_space(
        self,
        space_name: str,
        *,
        owner: UserProfileBase | str,
        **options: Any,
    ) -> StudioSpace:
        """Add a space owned by ``owner`` (see :class:`StudioSpace` for ``options``); id ``Space-<name>``."""
        from constructs_ml.studio.space import StudioSpace

        return StudioSpace(self, f"Space-{space_name}", domain=self, space_name=space_name, owner=owner, **options)

    def add_mlflow_tracking_server(
        self,
        construct_id: str = "Mlflow",
        *,
        artifact_bucket: s3.IBucket,
        size: TrackingServerSize | None = None,
        **options: Any,
    ) -> MlflowTrackingServer:
        """Add a managed MLflow tracking server with artifacts in ``artifact_bucket`` (an MlflowTrackingServer).

        The domain's personas get access to it (``grant_use``).
        """
        from constructs_ml.studio.mlflow import MlflowTrackingServer, TrackingServerSize

        server = MlflowTrackingServer(
            self, construct_id, artifact_bucket=artifact_bucket, size=size or TrackingServerSize.SMALL, **options
        )
        for p in self.personas:
            server.grant_use(p.grantee)
        return server

    # -- imports ------------------------------------------------------------------------------------

    @classmethod
    def from_domain_id(
        cls,
        scope: Construct,
        construct_id: str,
        domain_id: str,
        *,
        auth: StudioAuth = StudioAuth.IAM,
        personas: Sequence[StudioPersona] = (),
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        presigned_url_vpc_endpoint_ids: Sequence[str] = (),
    ) -> StudioDomainBase:
        """An existing domain, to grant on and to add user profiles to."""
        imported = StudioDomainBase(scope, construct_id)
        imported.domain_id = domain_id
        imported.domain_arn = stack_arn(imported, "sagemaker", f"domain/{domain_id}")
        imported.auth = auth
        imported.presigned_url_vpc_endpoint_ids = list(presigned_url_vpc_endpoint_ids)
        imported.default_security_group_ids = [sg.security_group_id for sg in security_groups]
        for p in personas:
            imported._personas[p.name] = p
        return imported
