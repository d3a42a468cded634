"""Where the delivery pipeline takes the app's source from: a CodeConnections repository, or S3.

Example::

    source = PipelineSource.connection(
        "example-org/ml-platform", branch="main",
        connection_arn="arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-...")
    source = PipelineSource.s3(bucket, "source/ml-platform.zip")   # air-gapped: upload a zip of the repo
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines

from constructs_ml._jsii_cache import is_unresolved
from constructs_ml.errors import Problems

#: A CodeConnections (or the older CodeStar Connections) connection ARN.
CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$"
)
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")

#: CodePipeline's CodeConnections source action (GitHub, GitLab, Bitbucket through a connection).
CONNECTIONS_DOC = (
    "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html"
)
#: CodePipeline's S3 source action.
S3_SOURCE_DOC = "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3.html"


@dataclass(frozen=True)
class PipelineSource:
    """The pipeline's source. Build it with :meth:`connection` (the normal path) or :meth:`s3` (air-gapped).

    Attributes:
        repository: ``owner/name`` of the repository (connection sources).
        branch: the branch the pipeline follows (connection sources).
        connection_arn: the CodeConnections connection, created and authorized in the tooling account.
        bucket: the versioned bucket holding the source zip (S3 sources).
        object_key: the zip's key (S3 sources).
    """

    repository: str | None = None
    branch: str = "main"
    connection_arn: str | None = None
    bucket: s3.IBucket | None = None
    object_key: str | None = None

    @classmethod
    def connection(cls, repository: str, *, connection_arn: str, branch: str = "main") -> PipelineSource:
        """A repository reached through a CodeConnections connection (GitHub, GitLab, Bitbucket)."""
        return cls(repository=repository, branch=branch, connection_arn=connection_arn)

    @classmethod
    def s3(cls, bucket: s3.IBucket, object_key: str) -> PipelineSource:
        """A zip in a versioned S3 bucket of the tooling account (no connection to a Git host needed)."""
        return cls(bucket=bucket, object_key=object_key)

    @property
    def kind(self) -> str:
        """``connection`` or ``s3``."""
        return "s3" if self.bucket is not None else "connection"

    def check(self, problems: Problems, prop: str = "source") -> None:
        """Record what is wrong with this source in ``problems``."""
        if self.bucket is not None:
            problems.require(
                self.repository is None and self.connection_arn is None,
                prop,
                self.repository,
                "",
                what="names both an S3 object and a repository: choose one",
            )
            key = self.object_key or ""
            problems.require(
                bool(key) and not key.startswith("/"),
                f"{prop}.object_key",
                self.object_key,
                "an S3 key (not starting with '/')",
            )
            return
        problems.require(
            self.connection_arn is not None,
            f"{prop}.connection_arn",
            self.connection_arn,
            "",
            what="is missing: a connection source needs the CodeConnections connection ARN "
            "(create it in the tooling account and complete the handshake in the console)",
        )
        if self.connection_arn is not None and not is_unresolved(self.connection_arn):
            problems.require(
                bool(CONNECTION_ARN.match(self.connection_arn)),
                f"{prop}.connection_arn",
                self.connection_arn,
                "an ARN arn:aws:codeconnections:<region>:<account>:connection/<id>",
            )
        problems.require(
            bool(_REPOSITORY.match(self.repository or "")), f"{prop}.repository", self.repository, "'owner/name'"
        )
        problems.require(bool(self.branch), f"{prop}.branch", self.branch, "a branch name")

    def to_code_pipeline_source(self) -> pipelines.CodePipelineSource:
        """The CDK Pipelines source (call :meth:`check` first)."""
        if self.bucket is not None:
            return pipelines.CodePipelineSource.s3(self.bucket, str(self.object_key))
        return pipelines.CodePipelineSource.connection(
            str(self.repository), self.branch, connection_arn=str(self.connection_arn)
        )
