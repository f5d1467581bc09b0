"""``--engine dask``: the per-batch plan on a Dask cluster gives the same bytes as the local engine."""
from __future__ import annotations

import builtins
import sys

import pytest
from batch_fixtures import differing_files, write_unbatched
from click.testing import CliRunner

from converters.cli import cli
from converters.engine import get_engine
from converters.errors import CdiscConvertError
from converters.sdtm.output import write_build
from converters.sdtm.study import build_study
from converters.shipped import study_mappings, study_raw


@pytest.mark.slow
def test_a_two_worker_local_cluster_writes_the_same_bytes(tmp_path):
    pytest.importorskip("dask.distributed", reason="the dask extra is part of the test extra")
    expected = write_unbatched("carnk-sclc", tmp_path / "whole")
    engine = get_engine("dask", workers=2)
    try:
        build = build_study(study_mappings("carnk-sclc"), study_raw("carnk-sclc"), batch_subjects=30, engine=engine)
        assert len(engine.client.scheduler_info()["workers"]) == 2  # type: ignore[attr-defined]
    finally:
        engine.close()
    write_build(build, tmp_path / "dask", None)
    assert differing_files(expected, tmp_path / "dask") == []


def test_without_dask_the_engine_says_which_extra_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    for name in [m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(CdiscConvertError) as err:
        get_engine("dask")
    assert "pip install 'cdisc-convert[dask]'" in str(err.value)


def test_scheduler_without_dask_engine_is_a_user_error(tmp_path):
    result = CliRunner().invoke(cli, ["sdtm", str(study_mappings("carnk-sclc")), "--out", str(tmp_path / "o"),
                                      "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2 and "--engine dask" in result.output
