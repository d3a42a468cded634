#!/bin/bash
# constructs-ml: stop this JupyterLab app after it has been idle.
#
# Shipped by constructs_ml.studio.StudioLifecycleConfig.idle_shutdown(). Self-contained: it needs only
# python3 (standard library) and the AWS CLI that SageMaker Distribution images carry, so it works in a
# VPC-only domain with no internet access (nothing is installed). The timeout placeholder is set at synth.
#
# Idle = no kernel/terminal activity and no connected session for IDLE_MINUTES. The app is stopped with
# sagemaker:DeleteApp through the SageMaker API VPC endpoint; the space and its storage are kept.
# The execution role needs sagemaker:DeleteApp on the domain's apps (StudioDomain.grant_idle_shutdown).
set -eu

IDLE_MINUTES="__IDLE_MINUTES__"
CHECKER=/opt/conda/share/constructs-ml-idle-check.py
[ -w /opt/conda/share ] || CHECKER="$HOME/.constructs-ml-idle-check.py"

cat > "$CHECKER" <<'PYEOF'
"""Stop this Studio app when it has been idle longer than the limit (run every 5 minutes)."""
import datetime
import json
import os
import subprocess
import sys
import urllib.request

LIMIT = datetime.timedelta(minutes=int(sys.argv[1]))
META = os.environ.get("CONSTRUCTS_ML_METADATA", "/opt/ml/metadata/resource-metadata.json")
PORT = int(os.environ.get("CONSTRUCTS_ML_JUPYTER_PORT", "8888"))
BASE = "/jupyterlab/default/"


def parse(ts):
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def last_activity():
    """(reachable, latest activity): busy kernels or open connections count as activity now."""
    now = datetime.datetime.now(datetime.timezone.utc)
    latest, reachable = None, False
    for path in ("api/kernels", "api/terminals"):
        try:
            with urllib.request.urlopen(f"http://localhost:{PORT}{BASE}{path}", timeout=10) as resp:
                items = json.load(resp)
        except (OSError, ValueError):
            continue
        reachable = True
        for item in items:
            if item.get("execution_state") == "busy" or item.get("connections", 0) > 0:
                return True, now
            stamp = item.get("last_activity")
            if stamp and (latest is None or parse(stamp) > latest):
                latest = parse(stamp)
    return reachable, latest


def main():
    reachable, latest = last_activity()
    if not reachable:
        return  # the server is starting or stopping: never stop an app we cannot observe
    with open(META) as f:
        meta = json.load(f)
    started = datetime.datetime.fromtimestamp(os.stat(META).st_mtime, datetime.timezone.utc)
    idle = datetime.datetime.now(datetime.timezone.utc) - (latest or started)
    if idle < LIMIT:
        return
    cmd = ["aws", "sagemaker", "delete-app", "--domain-id", meta["DomainId"], "--app-type", "JupyterLab",
           "--app-name", meta.get("ResourceName", "default")]
    if meta.get("SpaceName"):
        cmd += ["--space-name", meta["SpaceName"]]
    else:
        cmd += ["--user-profile-name", meta["UserProfileName"]]
    print(f"constructs-ml idle shutdown: idle for {idle}, stopping", flush=True)
    subprocess.run(cmd, check=False)


main()
PYEOF

# Check every five minutes in the background, for the lifetime of the app.
nohup bash -c "while true; do sleep 300; python3 '$CHECKER' '$IDLE_MINUTES' || true; done" \
  > /tmp/constructs-ml-idle-shutdown.log 2>&1 &
echo "constructs-ml idle shutdown armed: ${IDLE_MINUTES} minutes"
