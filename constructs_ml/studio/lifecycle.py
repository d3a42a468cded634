"""Studio lifecycle configurations: scripts that run when a Studio app starts.

Example::

    idle = StudioLifecycleConfig.idle_shutdown(self, "IdleShutdown", idle_timeout=Duration.hours(2))
    setup = StudioLifecycleConfig(self, "Setup", content=LifecycleContent.from_file("setup.sh"))
    StudioDomain(self, "Studio", ..., lifecycle_configs=[idle, setup])

``AWS::SageMaker::StudioLifecycleConfig`` exists in CloudFormation, but every property of it is
create-only (name, app type, content, tags). A changed script therefore means a new resource; the
construct derives the physical name from a hash of what it creates, so a change creates a new config
under a new name (the domain switches to it) instead of failing on a name clash.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from aws_cdk import CfnResource, Duration, Names
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from constructs_ml._jsii_cache import is_unresolved
from constructs_ml.errors import Problems

#: Maximum size of ``StudioLifecycleConfigContent`` (the base64-encoded script), from the resource schema.
MAX_CONTENT_CHARS = 16384


class StudioAppType(enum.Enum):
    """Studio app types a lifecycle configuration can run in (the CloudFormation enum)."""

    JUPYTER_LAB = "JupyterLab"
    CODE_EDITOR = "CodeEditor"
    JUPYTER_SERVER = "JupyterServer"
    KERNEL_GATEWAY = "KernelGateway"


class LifecycleContent:
    """The script of a lifecycle configuration.

    Use :meth:`from_string` or :meth:`from_file`; the script is base64-encoded at synth and its
    encoded size is checked against the CloudFormation limit (16384 characters).
    """

    def __init__(self, script: str, source: str) -> None:
        self.script = script
        self.source = source

    @classmethod
    def from_string(cls, script: str) -> LifecycleContent:
        """A script given inline."""
        return cls(script, "inline script")

    @classmethod
    def from_file(cls, path: str | Path) -> LifecycleContent:
        """A script read from ``path`` (read at synth; the file travels in the template, not as an asset)."""
        p = Path(path)
        return cls(p.read_text(encoding="utf-8"), str(p))

    @property
    def encoded(self) -> str:
        """The base64 form CloudFormation expects."""
        return base64.b64encode(self.script.encode("utf-8")).decode("ascii")


def idle_shutdown_script(idle_timeout: Duration) -> str:
    """The shipped idle-shutdown script with its timeout filled in."""
    template = resources.files("constructs_ml.studio").joinpath("idle_shutdown.sh").read_text(encoding="utf-8")
    return template.replace("__IDLE_MINUTES__", str(int(idle_timeout.to_minutes())))


class StudioLifecycleConfigBase(Construct):
    """What owned and imported lifecycle configurations share: an ARN and an app type."""

    lifecycle_config_arn: str
    app_type: StudioAppType


class StudioLifecycleConfig(StudioLifecycleConfigBase):
    """A Studio lifecycle configuration (``AWS::SageMaker::StudioLifecycleConfig``).

    Attach it to a domain with ``StudioDomain(lifecycle_configs=[...])``: it is listed in the app type's
    ``LifecycleConfigArns`` and, unless ``run_by_default=False``, set as the default that runs at
    every app start.

    Args:
        scope: parent construct.
        construct_id: construct id.
        content: the script (:class:`LifecycleContent`).
        app_type: the app it runs in: JupyterLab.
        run_by_default: make it the app type's default script (runs whenever the app starts): yes.
        lifecycle_config_name: a physical name (1..63 letters, digits, hyphens). A name derived from the
            construct path and a hash of the content, app type and tags when omitted (recommended: every
            property is create-only, so a fixed name makes content changes fail).
        tags: tags of the configuration. Tags inherited from parent scopes are not applied: tags are
            create-only here and an inherited tag change would replace the configuration.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        content: LifecycleContent,
        app_type: StudioAppType = StudioAppType.JUPYTER_LAB,
        run_by_default: bool = True,
        lifecycle_config_name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = Problems(self)
        encoded = content.encoded
        problems.require(bool(content.script.strip()), "content", content.source, "a non-empty script")
        problems.require(
            len(encoded) <= MAX_CONTENT_CHARS,
            "content",
            f"{content.source}: {len(encoded)} base64 characters",
            f"at most {MAX_CONTENT_CHARS} characters once base64-encoded (about 12 KiB of script)",
            what=f"is too large: at most {MAX_CONTENT_CHARS} base64 characters are allowed",
        )
        problems.require(content.script.startswith("#!"), "content", content.script[:40], "a script starting with '#!'")
        if lifecycle_config_name is not None:
            check_name(problems, "lifecycle_config_name", lifecycle_config_name)
        problems.require(isinstance(app_type, StudioAppType), "app_type", app_type, "a StudioAppType")
        problems.raise_if_any()

        tag_items = sorted((tags or {}).items())
        digest = hashlib.sha256(
            "\n".join([app_type.value, encoded, *(f"{k}={v}" for k, v in tag_items)]).encode()
        ).hexdigest()[:10]
        name = lifecycle_config_name or (
            Names.unique_resource_name(self, max_length=52, separator="-").strip("-") + "-" + digest
        )
        self.app_type = app_type
        self.run_by_default = run_by_default
        self.content = content
        self.resource = sagemaker.CfnStudioLifecycleConfig(
            self,
            "Resource",
            studio_lifecycle_config_app_type=app_type.value,
            studio_lifecycle_config_content=encoded,
            studio_lifecycle_config_name=name,
        )
        pin_tags(self.resource, tags)
        self.lifecycle_config_name = name
        self.lifecycle_config_arn = self.resource.attr_studio_lifecycle_config_arn

    @classmethod
    def idle_shutdown(
        cls,
        scope: Construct,
        construct_id: str,
        *,
        idle_timeout: Duration | None = None,
    ) -> StudioLifecycleConfig:
        """The shipped script that stops an idle JupyterLab app.

        Every five minutes it asks the app's Jupyter server for kernel and terminal activity; after
        ``idle_timeout`` without any (no busy kernel, no open connection) it stops the app with
        ``sagemaker:DeleteApp`` (the space and its storage stay). It needs no internet access
        (standard-library Python and the AWS CLI of the SageMaker images); grant the execution roles
        ``StudioDomain.grant_idle_shutdown``. It never stops an app whose server it cannot reach. Code
        Editor has no Jupyter server to ask: it relies on the built-in idle settings (:class:`IdleShutdown`).

        Args:
            scope: parent construct.
            construct_id: construct id.
            idle_timeout: how long an app may be idle: one hour (5..525600 minutes).
        """
        timeout = idle_timeout or Duration.hours(1)
        problems = Problems(f"{scope.node.path}/{construct_id}")
        if not is_unresolved(timeout.to_minutes()):
            problems.require_range("idle_timeout (minutes)", timeout.to_minutes(), 5, 525600)
        problems.raise_if_any()
        return cls(
            scope,
            construct_id,
            content=LifecycleContent(idle_shutdown_script(timeout), "constructs_ml/studio/idle_shutdown.sh"),
            app_type=StudioAppType.JUPYTER_LAB,
        )

    @classmethod
    def from_lifecycle_config_arn(
        cls, scope: Construct, construct_id: str, lifecycle_config_arn: str, app_type: StudioAppType
    ) -> StudioLifecycleConfigBase:
        """An existing lifecycle configuration, to attach to a domain."""
        imported = StudioLifecycleConfigBase(scope, construct_id)
        imported.lifecycle_config_arn = lifecycle_config_arn
        imported.app_type = app_type
        return imported


def check_name(problems: Problems, prop: str, name: str) -> None:
    """A SageMaker resource name: 1..63 letters, digits and hyphens."""
    problems.require(
        bool(re.fullmatch(r"(?=[a-zA-Z0-9-]{1,63}(?![a-zA-Z0-9-]))[a-zA-Z0-9](-*[a-zA-Z0-9])*", name)),
        prop,
        name,
        "1..63 letters, digits and hyphens, starting and ending with a letter or digit",
    )


def pin_tags(resource: CfnResource, tags: Mapping[str, str] | None) -> None:
    """Emit exactly ``tags`` on ``resource``, ignoring tags inherited from parent scopes.

    For resources whose ``Tags`` are create-only: a tag added later with ``Tags.of(stack)`` would
    otherwise replace them.
    """
    if tags:
        resource.add_property_override("Tags", [{"Key": k, "Value": v} for k, v in sorted(tags.items())])
    else:
        resource.add_property_deletion_override("Tags")
