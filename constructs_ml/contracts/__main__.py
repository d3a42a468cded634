"""``python -m constructs_ml.contracts CDK_OUT``: check every workload contract in a cloud assembly."""

from __future__ import annotations

import sys

from constructs_ml.contracts.check import check_assembly


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m constructs_ml.contracts CLOUD_ASSEMBLY_DIR", file=sys.stderr)
        return 2
    report = check_assembly(argv[0])
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
