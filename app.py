#!/usr/bin/env python3
"""The constructs_ml reference platform: reads the config, builds the stacks, applies governance."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from aws_cdk import App, Environment

from stacks.app import build_platform
from stacks.config import ConfigError, load_config
from stacks.delivery import build_delivery


def main() -> None:
    app = App()
    try:
        config = load_config(app.node.get_all_context(), base_dir=Path(__file__).parent)
    except ConfigError as err:
        print(f"constructs-ml: invalid platform config:\n{err}", file=sys.stderr)
        raise SystemExit(2) from err
    if config.delivery is not None:
        # Multi-account: the pipeline stack (tooling account) and one stage per account (docs/delivery.md).
        build_delivery(app, config)
        app.synth()
        return
    env = None
    if not (config.account or config.region) and os.environ.get("CDK_DEFAULT_ACCOUNT"):
        env = Environment(account=os.environ["CDK_DEFAULT_ACCOUNT"], region=os.environ.get("CDK_DEFAULT_REGION"))
    build_platform(app, config, env=env)
    app.synth()


if __name__ == "__main__":
    main()
