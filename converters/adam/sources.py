"""The input of an ADaM build: any SDTM folder (XPT or Dataset-JSON), ours or another sponsor's.

Datasets are read once, when a spec first uses one (a study's ADaM reads few of its SDTM datasets: VS, CM or SV
need not be read), by the validator's reader (same transport shape as every other step), blanks become nulls,
and a parent domain is offered with its SUPP-- qualifiers as columns (QNAM), joined on IDVAR/IDVARVAL or on the
subject when IDVAR is blank, so a spec reads ``AEDLT`` or ``ASTCTGR`` as if they were AE variables.
"""
from __future__ import annotations

import mmap
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from converters.adam.columns import blank_mask, per_distinct, working_copy
from converters.errors import DataError, Location
from converters.metadata.model import Dataset


def nulls_for_blanks(frame: pd.DataFrame, tables: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Text columns as ``object`` with None for blank values (the transport readers give '').

    A column read as codes (pandas Categorical, see :class:`FolderDatasets`) is tested per distinct value and
    spread back through its codes; the result is the same ``object`` column the text read would give.
    ``tables``: per column, its distinct values prepared (:func:`blank_table`), shared by the batches of one
    dataset (whose columns keep the whole dataset's distinct values), so each is prepared once, not per batch.
    """
    out = working_copy(frame)
    for name in out.columns:
        col = out[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if tables is None:
                out[name] = text_from_codes(col)
            else:
                if name not in tables:
                    tables[name] = blank_table(col)
                out[name] = pd.Series(tables[name][col.cat.codes.to_numpy()], index=col.index, dtype=object)
        elif col.dtype == object:
            out[name] = col.where(~blank_mask(col), None)
    return out


def blank_table(col: pd.Series) -> np.ndarray:
    """A Categorical text column's distinct values as prepared text (None for blank), with None last for code -1."""
    categories = np.asarray(col.cat.categories, dtype=object)
    table = np.empty(len(categories) + 1, dtype=object)  # the last entry is for code -1 (missing)
    table[:-1] = [None if not isinstance(v, str) or not v.strip() else v for v in categories]
    return table


def text_from_codes(col: pd.Series) -> pd.Series:
    """A Categorical text column as ``object`` values, None where it is missing or blank (per distinct value)."""
    return pd.Series(blank_table(col)[col.cat.codes.to_numpy()], index=col.index, dtype=object)


def merge_supp(parent: pd.DataFrame, supp: pd.DataFrame, domain: str) -> pd.DataFrame:
    """``parent`` with one column per QNAM of ``supp`` (qualifiers that would overwrite a parent variable skipped)."""
    if supp.empty:
        return parent
    supp = supp[supp["RDOMAIN"].astype(str).str.upper() == domain.upper()] if "RDOMAIN" in supp else supp
    out = parent
    idvars = supp["IDVAR"].fillna("").astype(str).str.strip()
    for idvar, part in supp.groupby(idvars, sort=True):
        wide = part.pivot_table(index=["USUBJID", "IDVARVAL"] if idvar else ["USUBJID"], columns="QNAM",
                                values="QVAL", aggfunc="first")
        wide = wide[[c for c in wide.columns if c not in out.columns]]
        if wide.empty:
            continue
        wide = wide.reset_index()
        if idvar:
            if idvar not in out.columns:
                continue
            key = out[idvar]
            text = (per_distinct(key, lambda u: u.map(lambda v: f"{v:g}" if isinstance(v, float) else v), np.nan)
                    if pd.api.types.is_numeric_dtype(key)
                    else per_distinct(key, lambda u: u.astype(str).str.strip(), pd.NA))
            wide["IDVARVAL"] = wide["IDVARVAL"].astype(str).str.strip()
            out = out.assign(__idvarval__=text.astype(object)).merge(
                wide.rename(columns={"IDVARVAL": "__idvarval__"}), on=["USUBJID", "__idvarval__"], how="left"
            ).drop(columns="__idvarval__")
        else:
            out = out.merge(wide, on="USUBJID", how="left")
    return out


class FolderDatasets(Mapping[str, pd.DataFrame]):
    """The datasets of an SDTM folder by name, each read when first asked for and then kept.

    A dataset is found by its file name, as submission folders name them (``lb.xpt`` holds LB); ``metas`` holds
    the file metadata of the datasets read so far.  Text of a plain XPT v5 file is read as codes (pandas
    Categorical over its distinct values, blanks as ''), so a dataset kept costs its codes, not a Python object
    per cell; other files give ``object`` text.  :meth:`SdtmFolder.dataset` turns either into ``object`` text
    with nulls for blanks.

    ``columns``: per dataset name, the variables to read (None or no entry: all; a SUPP-- always all), with those
    its SUPP-- names (IDVAR, QNAM) added, so the qualifiers merge as they would on the whole dataset.  A plain XPT
    v5 file then skips the other columns' bytes (:func:`converters.validate.fastxpt.parse_xpt`); any other file is
    read whole and the other columns dropped.  The file metadata then describes the variables read.
    """

    def __init__(self, files: dict[str, Path], columns: Mapping[str, frozenset[str] | None] | None = None):
        self._files = dict(files)
        self._columns = dict(columns or {})
        self._frames: dict[str, pd.DataFrame] = {}
        self.metas: dict[str, Dataset] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            from converters.validate.data import why_unreadable

            path = self._files[name]  # KeyError for a dataset the folder does not hold
            wanted = self.columns_of(name)
            try:
                frame, meta = _read_columns(path, wanted)
            except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file: say which and why
                raise DataError(f"cannot read {path.name}: {why_unreadable(exc)}", Location(str(path))) from None
            self._frames[name], self.metas[name] = frame, meta
        return self._frames[name]

    def columns_of(self, name: str) -> frozenset[str] | None:
        """The variables read of dataset ``name`` (None: all): those asked for and those its SUPP-- refers to.

        A SUPP-- dataset is read whole: small, and its merge and labels use every variable (QLABEL too)."""
        wanted = self._columns.get(name)
        supp = f"SUPP{name}"
        if name.startswith("SUPP"):
            return None
        if wanted is None or supp not in self._files:
            return wanted
        qualifiers = self[supp]
        refers = {str(v).strip() for col in ("IDVAR", "QNAM") if col in qualifiers for v in qualifiers[col].unique()}
        return wanted | refers

    @property
    def held(self) -> list[str]:
        """Names of the datasets read and held."""
        return list(self._frames)

    def release(self, name: str) -> None:
        """Let go of a dataset read (its file metadata stays); a later lookup reads the file again."""
        self._frames.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def _read_columns(path: Path, columns: frozenset[str] | None) -> tuple[pd.DataFrame, Dataset]:
    """Frame (text as codes where the fast XPT path applies) and file metadata of one dataset file, with only
    ``columns`` (None: all); the frame and metadata the whole read gives, less the other columns."""
    from converters.validate.data import read_dataset

    if columns is not None and path.suffix.lower() == ".xpt" and path.stat().st_size:
        from converters.validate.fastxpt import parse_xpt

        with open(path, "rb") as handle:
            raw = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)  # pages let go as read (fastxpt.release)
            try:
                parsed = parse_xpt(raw, "auto", codes=True, columns=columns)
            finally:
                try:
                    raw.close()
                except BufferError:  # pragma: no cover - a view still open; the mapping goes with it
                    pass
        if parsed is not None:
            return parsed[0], parsed[1]
    frame, meta, _facts = read_dataset(path, codes=True)
    if columns is not None:
        frame = frame[[c for c in frame.columns if c in columns]]
        meta = replace(meta, variables=[v for v in meta.variables if v.name in columns])
    return frame, meta


@dataclass
class SdtmFolder:
    """The SDTM datasets of one folder as read (blank text ''); ``dataset(name)`` gives one prepared for ADaM."""

    folder: Path
    frames: Mapping[str, pd.DataFrame]
    metas: Mapping[str, Dataset]
    _merged: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def has(self, name: str) -> bool:
        return name.upper() in self.frames

    def dataset(self, name: str) -> pd.DataFrame:
        """The domain with nulls for blanks and its SUPP-- merged, prepared once; callers must not modify it."""
        name = name.upper()
        if name not in self._merged:
            frame = nulls_for_blanks(self.frames[name])
            supp = self.frames.get(f"SUPP{name}")
            if supp is not None and "USUBJID" in frame:
                frame = merge_supp(frame, nulls_for_blanks(supp), name)
            self._merged[name] = frame
        return self._merged[name]

    @property
    def held(self) -> list[str]:
        """Names of the datasets read or prepared and held so far (SUPP-- datasets count as their parent)."""
        read = self.frames.held if isinstance(self.frames, FolderDatasets) else []
        return sorted({*self._merged, *(n[4:] if n.startswith("SUPP") else n for n in read)})

    def release(self, name: str, files: bool = False) -> None:
        """Let go of the prepared copy of ``name``; ``files``: of the dataset as read (and its SUPP--) too.

        Nothing is lost: a later ``dataset(name)`` reads and prepares it again; the file metadata stays.
        """
        name = name.upper()
        self._merged.pop(name, None)
        if files and isinstance(self.frames, FolderDatasets):
            self.frames.release(name)
            self.frames.release(f"SUPP{name}")

    def label(self, dataset: str, variable: str) -> str | None:
        """The label the SDTM file gives a variable (None when it has none)."""
        if dataset.upper() in self.frames and dataset.upper() not in self.metas:
            self.frames[dataset.upper()]  # read it, for its file metadata
        meta = self.metas.get(dataset.upper())
        if meta is None:
            return None
        for var in meta.variables:
            if var.name == variable:
                return var.label or None
        return None


def read_sdtm_folder(folder: str | os.PathLike[str],
                     columns: Mapping[str, frozenset[str] | None] | None = None) -> SdtmFolder:
    """An SDTM folder whose datasets are read as the specs use them; DataError when it has no DM.

    ``columns``: per dataset, the variables to read (see :class:`FolderDatasets`); None reads every variable.
    """
    from converters.validate.data import dataset_files

    root = Path(folder)
    if not root.is_dir():
        raise DataError("SDTM folder not found", Location(str(root)),
                        hint="give --sdtm a folder of .xpt or .json files")
    files, _skipped = dataset_files(root)
    frames = FolderDatasets(files, columns)
    if "DM" not in frames:
        raise DataError("the SDTM folder has no DM dataset", Location(str(root)),
                        hint="ADaM starts from DM: give the folder that holds dm.xpt or dm.json")
    return SdtmFolder(root, frames, frames.metas)
