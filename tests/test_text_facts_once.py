"""Text facts once (issue 17, item 1): a build measures each text column once, and sharing the measurement
changes no byte of the files written."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

import converters.sdtm.finalize  # noqa: F401  (imported so that every user of text_facts is counted)
import converters.writers.dataset_json  # noqa: F401
import converters.writers.transport  # noqa: F401
import converters.writers.xpt  # noqa: F401
from converters.sdtm.output import DEFAULT_CREATED, write_build
from converters.sdtm.study import build_study
from converters.writers import text_facts as facts_module
from converters.writers.dataset_json import write_dataset_json
from converters.writers.xpt import write_xpt

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def measured(monkeypatch) -> Counter:
    """Counts of text_facts calls by (dataset, variable), wherever the function was imported."""
    calls: Counter = Counter()
    original = facts_module.text_facts

    def counting(series, dataset=None, variable=None):
        calls[(dataset, variable)] += 1
        return original(series, dataset, variable)

    factorized = facts_module.factorized_facts

    def counting_factorized(codes, values, dataset=None, variable=None):  # measured where a column is factorized
        calls[(dataset, variable)] += 1
        return factorized(codes, values, dataset, variable)

    for module in list(sys.modules.values()):
        if module is not None and getattr(module, "text_facts", None) is original:
            monkeypatch.setattr(module, "text_facts", counting)
        if module is not None and getattr(module, "factorized_facts", None) is factorized:
            monkeypatch.setattr(module, "factorized_facts", counting_factorized)
    return calls


@pytest.mark.parametrize("study", ["carnk-sclc"])
def test_each_text_column_is_measured_once_per_build_and_write(study, measured, tmp_path):
    build = build_study(ROOT / "mappings" / study)
    out = write_build(build, tmp_path / "sdtm", define=False)
    text_columns = {(d.name, v.name) for d in build.domains for v in d.dataset.variables if not v.is_numeric}
    assert text_columns and text_columns <= set(measured), sorted(text_columns - set(measured))[:5]
    assert {key: n for key, n in measured.items() if n > 1} == {}  # lengths, codelists, checks, XPT, JSON
    assert (None, None) not in measured  # nothing measured again without saying which column
    # the shared measurement changes nothing: each file is byte-identical to one written on its own
    from define_xml.context import mdv_oid

    alone = tmp_path / "alone"
    alone.mkdir()
    for d in build.domains:
        name = d.name.lower()
        write_xpt(d.frame, d.dataset, alone / f"{name}.xpt", created=DEFAULT_CREATED)
        write_dataset_json(d.frame, d.dataset, alone / f"{name}.json", study_oid=build.study.studyid,
                           metadata_version_oid=mdv_oid(build.study), created=DEFAULT_CREATED)
        for suffix in ("xpt", "json"):
            assert (alone / f"{name}.{suffix}").read_bytes() == (out / f"{name}.{suffix}").read_bytes(), d.name
