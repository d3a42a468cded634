"""Generate ``constructs_ml/develop/image_accounts_data.py`` from the SageMaker Python SDK's image data.

AWS publishes the registry account of each of its images, per region, in the SageMaker Python SDK's
``image_uri_config/*.json`` files (``sagemaker-core/src/sagemaker/core/image_uri_config`` in the SDK
repository since v3; ``src/sagemaker/image_uri_config`` before; ``sagemaker/core/image_uri_config`` in the
``sagemaker-core`` wheel). This script reads those files (a directory, or a ``sagemaker-core`` wheel
fetched with ``pip download --no-deps sagemaker-core==<version>``), groups the images into the registry
families constructs_ml looks up, checks that every image of a family has the same registry in every
region, and writes the generated module with the source it came from::

    python -m scripts.image_accounts --source sagemaker_core-2.27.0-py3-none-any.whl \\
        --label "sagemaker-core 2.27.0 (PyPI wheel)"
    python -m scripts.image_accounts --source <dir> --check    # the checked-in module is up to date

Only the facts (region -> account, per family) are written: no SDK file is copied.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import runpy
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "constructs_ml" / "develop" / "image_accounts_data.py"
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Source:
    """Which SDK file and which of its version entries hold a family's registries.

    Attributes:
        file: the SDK file name without ``.json``.
        scopes: the image scopes whose ``versions`` are read (``()``: the file's top level).
        versions: the versions read: all of them.
        exclude: versions left out (``1`` of xgboost is the legacy ``xgboost`` repository of another family).
    """

    file: str
    scopes: tuple[str, ...] = ()
    versions: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()


#: The registry families constructs_ml looks up, and the SDK entries each one must agree with.
FAMILIES: dict[str, tuple[Source, ...]] = {
    "AlgorithmsA": tuple(Source(f, versions=("1",)) for f in ("linear-learner", "kmeans", "pca")),
    "AlgorithmsB": tuple(
        Source(f, versions=("1",)) for f in ("blazingtext", "seq2seq", "object-detection", "image-classification")
    ),
    "XGBoost": (
        Source("xgboost", scopes=("training", "inference"), exclude=("1",)),
        Source("sklearn", scopes=("training", "inference")),
    ),
    "ModelMonitor": (Source("model-monitor", versions=("",)),),
    "Clarify": (Source("clarify", scopes=("processing",), versions=("1.0",)),),
    "Debugger": (Source("debugger", versions=("latest",)),),
}


class SourceError(ValueError):
    """The SDK data does not have the shape or the agreement this script relies on."""


def read_source(path: Path) -> dict[str, bytes]:
    """The raw ``image_uri_config`` files (name without ``.json`` -> bytes) of a directory or a wheel."""
    wanted = {s.file for sources in FAMILIES.values() for s in sources}
    files: dict[str, bytes] = {}
    if path.is_dir():
        for name in wanted:
            candidate = path / f"{name}.json"
            if candidate.is_file():
                files[name] = candidate.read_bytes()
    else:
        with zipfile.ZipFile(path) as wheel:
            for member in wheel.namelist():
                parts = member.split("/")
                if len(parts) >= 2 and parts[-2] == "image_uri_config" and parts[-1].removesuffix(".json") in wanted:
                    files[parts[-1].removesuffix(".json")] = wheel.read(member)
    missing = sorted(wanted - set(files))
    if missing:
        raise SourceError(f"{path}: no image_uri_config file for {', '.join(missing)}")
    return files


def _registries(name: str, data: Mapping[str, Any], source: Source) -> list[tuple[str, dict[str, str]]]:
    scopes = [data[s] for s in source.scopes] if source.scopes else [data]
    found: list[tuple[str, dict[str, str]]] = []
    for scope_name, scope in zip(source.scopes or ("",), scopes, strict=True):
        versions: Mapping[str, Any] = scope["versions"]
        keys = source.versions if source.versions is not None else tuple(versions)
        for version in keys:
            if version in source.exclude:
                continue
            if version not in versions:
                raise SourceError(f"{name}.json: no version {version!r} in {scope_name or 'versions'}")
            where = " ".join(p for p in (f"{name}.json", scope_name, version) if p)
            found.append((where, dict(versions[version]["registries"])))
    return found


def derive(files: Mapping[str, bytes]) -> dict[str, dict[str, str]]:
    """Family -> region -> account, checked: every entry of a family agrees on every region and account.

    Raises:
        SourceError: an entry of a family disagrees with the first one, or an account is not 12 digits.
    """
    tables: dict[str, dict[str, str]] = {}
    for family, sources in FAMILIES.items():
        entries = [e for s in sources for e in _registries(s.file, json.loads(files[s.file]), s)]
        first_name, first = entries[0]
        for entry_name, registries in entries[1:]:
            if registries != first:
                diff = sorted(set(registries.items()) ^ set(first.items()))
                raise SourceError(f"{family}: {entry_name} disagrees with {first_name} on {diff[:6]}")
        bad = sorted(a for a in first.values() if not _ACCOUNT.match(a))
        if bad:
            raise SourceError(f"{family}: accounts that are not 12 digits: {bad}")
        tables[family] = dict(sorted(first.items()))
    return tables


def digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """SHA-256 of each SDK file, by file name."""
    return {f"{n}.json": hashlib.sha256(files[n]).hexdigest() for n in sorted(files)}


def render(tables: Mapping[str, Mapping[str, str]], label: str, source_files: Mapping[str, str]) -> str:
    """The generated module's text (ruff-format stable); ``source_files``: :func:`digests` of the SDK files."""
    lines = [
        '"""Registry accounts of AWS\'s SageMaker images, per family and region. GENERATED: do not edit.',
        "",
        "Generated by ``python -m scripts.image_accounts`` from the SageMaker Python SDK's image_uri_config data:",
        f"{label}.",
        "Re-generate (``--check`` to compare) when the SDK publishes new regions; see scripts/image_accounts.py.",
        '"""',
        "",
        "#: Where the data was taken from.",
        f"SOURCE = {json.dumps(label)}",
        "",
        "#: SHA-256 of each SDK file read (provenance: the exact files the tables were derived from).",
        "SOURCE_FILES: dict[str, str] = {",
        *(f'    "{n}": "{digest}",' for n, digest in source_files.items()),
        "}",
        "",
        "#: Family -> region -> AWS account of the family's registry.",
        "ACCOUNTS: dict[str, dict[str, str]] = {",
    ]
    for family, regions in tables.items():
        lines.append(f'    "{family}": {{')
        lines.extend(f'        "{region}": "{account}",' for region, account in regions.items())
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, required=True, help="image_uri_config directory or sagemaker-core wheel")
    parser.add_argument("--label", help="provenance written to the module (SDK version / commit); --check: unused")
    parser.add_argument("--check", action="store_true", help="compare the tables with the checked-in module")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    files = read_source(args.source)
    tables = derive(files)
    if args.check:
        if runpy.run_path(str(args.output))["ACCOUNTS"] != tables:
            print(f"{args.output}: out of date with {args.source}", file=sys.stderr)
            return 1
        print(f"{args.output}: matches {args.source}")
        return 0
    if not args.label:
        parser.error("--label is required to write the module (say which SDK version or commit)")
    args.output.write_text(render(tables, args.label, digests(files)))
    print(f"wrote {args.output}: " + ", ".join(f"{f} {len(r)} regions" for f, r in tables.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
