"""Where the ADaM and Define-XML stages plug into ``run``: the functions the pipeline expects, by import path.

The lead wires the real functions at merge by setting these two strings (nothing else changes); until the module
named exists, ``run`` skips the stage and says so, and the rejection criteria that depend on it (``adsl.xpt``,
``define.xml``, rule 1736) are reported as ``pending``.

**ADaM** (``ADAM_BUILDER``)::

    def build_adam(sdtm: Path, out: Path, *, mappings: Path, created: datetime,
                   progress: Callable[[str], None] | None = None,
                   batch_subjects: int | None = None) -> Sequence[object] | None

reads the SDTM datasets and ``metadata.json`` that the ``sdtm`` stage wrote in ``sdtm``, and the ADaM specs of the
study under ``mappings`` (``mappings/<study>/adam/``); writes into ``out`` (a fresh folder) ``<name>.xpt`` and
``<name>.json`` per ADaM dataset (``adsl`` among them), ``metadata.json`` (the ADaM ``Study`` model), and
optionally ``rejections.csv`` / ``build-summary.csv``; returns the datasets built (anything with ``name`` and
``records``, for the summary table), or an empty sequence / None when the study has no ADaM specs (then the
package holds no analysis folder); ``batch_subjects`` is ``run``'s ``--batch-subjects`` (subjects per batch of
the datasets derived per batch; the output is the same whatever it is). Errors are ``CdiscConvertError``s.

**Define-XML** (``DEFINE_WRITER``)::

    def write_folder_define(folder: Path, *, created: datetime) -> DefineReport

reads ``folder/metadata.json`` and the datasets beside it (SDTM or ADaM: the metadata says which) and writes
``folder/define.xml`` (Define-XML 2.1, XSD-valid), ``folder/define.html`` and the stylesheet ``folder/*.xsl`` the
HTML or the XML refers to; returns the report (``xml``, ``html``: the files written). study.yaml's define
settings are already in ``metadata.json`` (the ``sdtm`` and ``adam`` writers apply them). ``created`` is the ODM
``CreationDateTime``, so two runs give the same bytes. The pipeline calls it once per standard folder (SDTM, then ADaM when there is one).
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

#: "module:function" of the ADaM builder (the ADaM issue, converters/adam/).
ADAM_BUILDER = "converters.adam.pipeline:build_adam"
#: "module:function" of the Define-XML writer (the Define-XML issue, define_xml/).
DEFINE_WRITER = "define_xml.writer:write_folder_define"


def load(target: str | Callable[..., Any]) -> Callable[..., Any] | None:
    """The function ``module:attr`` names, or None when the module or the attribute is not there."""
    if callable(target):
        return target
    module_name, attr = target.split(":")
    try:
        if importlib.util.find_spec(module_name) is None:
            return None
    except ModuleNotFoundError:  # a parent package is missing
        return None
    return getattr(importlib.import_module(module_name), attr, None)
