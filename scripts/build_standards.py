#!/usr/bin/env python3
"""Build the bundled standards data of ``converters/standards/data/`` from the reference files.

Reads ``../shared/reference/`` (SDTMIG 3.4 and ADaMIG 1.3 metadata, CDISC CT
2025-03-28 for SDTM, ADaM and Define-XML, the Define-XML 2.1 schemas) and
writes compact, deterministic package data.  Only the fields the tool uses are
kept.  Run it when a reference file changes; the output is committed, and the
installed tool never reads ``../shared/``.

    python scripts/build_standards.py [--reference PATH]
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
DATA = ROOT / "converters" / "standards" / "data"
SCHEMA_TARGET = ROOT / "define_xml" / "schema"
CT_VERSION = "2025-03-28"


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle, delimiter=delimiter)]


def split_codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace(",", ";").split(";") if c.strip()]


def build_sdtmig(ref: Path) -> dict:
    base = ref / "standards-metadata" / "sdtmig-3.4"
    datasets = {
        row["Dataset Name"]: {"label": row["Dataset Label"], "class": row["Class"], "structure": row["Structure"]}
        for row in read_csv(base / "Datasets.csv")
    }
    variables: dict[str, list[list]] = {}
    for row in read_csv(base / "Variables.csv"):
        variables.setdefault(row["Dataset Name"], []).append([
            int(row["Variable Order"]), row["Variable Name"], row["Variable Label"], row["Type"],
            row["Role"], row["Core"], split_codes(row["CDISC CT Codelist Code(s)"]),
            row["Described Value Domain(s)"], row["Value List"],
        ])
    for rows in variables.values():
        rows.sort(key=lambda r: r[0])
    return {
        "name": "SDTMIG", "version": "3.4",
        "fields": ["order", "name", "label", "type", "role", "core", "codelists", "value_domain", "value_list"],
        "datasets": datasets, "variables": variables,
    }


def build_adamig(ref: Path) -> dict:
    base = ref / "standards-metadata" / "adamig-1.3"
    structures = {}
    for row in read_csv(base / "DataStructures.csv"):
        structures[row["Data Structure Name"]] = {
            "label": row["Data Structure Description"], "class": row["Class"], "subclass": row["Subclass"],
            "structure": row["CDISC Notes"],
        }
    by_name = {"Subject-Level Analysis Dataset": "ADSL", "Basic Data Structure": "BDS"}
    variables: dict[str, list[list]] = {}
    for row in read_csv(base / "Variables.csv"):
        key = by_name[row["Data Structure Name"]]
        variables.setdefault(key, []).append([
            len(variables.get(key, [])) + 1, row["Variable Name"], row["Variable Label"], row["Type"],
            row["Variable Set"], row["Core"], split_codes(row["CDISC CT Codelist Code(s)"]),
            row["Described Value Domain(s)"], row["Value List Value"],
        ])
    return {
        "name": "ADaMIG", "version": "1.3",
        "fields": ["order", "name", "label", "type", "variable_set", "core", "codelists", "value_domain", "value_list"],
        "datasets": structures, "variables": variables,
    }


def synonyms(text: str) -> list[str]:
    return [s.strip() for s in text.split(";") if s.strip()]


def build_ct_package(rows: list[dict[str, str]]) -> dict:
    """Codelists of one CT package: header rows have an empty 'Codelist Code'."""
    codelists: dict[str, dict] = {}
    for row in rows:
        if not row["Codelist Code"]:
            codelists[row["Code"]] = {
                "name": row["CDISC Submission Value"], "label": row["Codelist Name"],
                "extensible": row["Codelist Extensible (Yes/No)"] == "Yes",
                "preferred_term": row["NCI Preferred Term"], "terms": [],
            }
    for row in rows:
        if row["Codelist Code"]:
            codelists[row["Codelist Code"]]["terms"].append([
                row["Code"], row["CDISC Submission Value"], synonyms(row["CDISC Synonym(s)"]),
                row["NCI Preferred Term"],
            ])
    for codelist in codelists.values():
        codelist["terms"].sort(key=lambda t: t[1])
    return dict(sorted(codelists.items()))


def build_ct(ref: Path) -> dict:
    base = ref / "ct" / CT_VERSION
    return {
        "version": CT_VERSION,
        "term_fields": ["code", "submission_value", "synonyms", "preferred_term"],
        "packages": {
            "sdtm": build_ct_package(read_csv(base / f"SDTM_Terminology_{CT_VERSION}.txt", delimiter="\t")),
            "adam": build_ct_package(read_csv(base / f"ADaM_CT_{CT_VERSION}.csv")),
            "define": build_ct_package(read_csv(base / f"Define-XML_CT_{CT_VERSION}.csv")),
        },
    }


def write_json_gz(obj: dict, path: Path) -> None:
    """Deterministic gzip: no file name and a fixed mtime in the header."""
    payload = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=False).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    tmp.replace(path)


def copy_schemas(ref: Path) -> None:
    """Bundle the Define-XML 2.1 schema tree (imports resolve by relative path, so keep it whole)."""
    source = ref / "define-xml-2.1" / "schema"
    if SCHEMA_TARGET.exists():
        shutil.rmtree(SCHEMA_TARGET)
    shutil.copytree(source, SCHEMA_TARGET)
    SCHEMA_TARGET.chmod(0o755)
    for path in SCHEMA_TARGET.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
        else:
            path.chmod(0o755)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    args = parser.parse_args()
    ref = args.reference
    write_json_gz(build_sdtmig(ref), DATA / "sdtmig-3.4.json.gz")
    write_json_gz(build_adamig(ref), DATA / "adamig-1.3.json.gz")
    write_json_gz(build_ct(ref), DATA / f"ct-{CT_VERSION}.json.gz")
    copy_schemas(ref)
    for path in sorted(DATA.glob("*.json.gz")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
