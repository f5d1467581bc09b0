"""SV (Subject Visits): the visits each subject actually had, from the dated forms.

A subject had a visit when a raw form has a record in that visit's folder
(study.yaml ``visits[].raw_folders``; folders in ``non_visit_folders`` are
log forms and are skipped), or when a built domain has a record with that
VISITNUM.  A form's visit date is its first column named ``*DAT`` other than a
birth date (``BRTHDAT``): ``ICDAT`` of the enrolment form, ``EXDAT`` of the
lymphodepletion form, ``RSDAT`` ...; a form without one still shows that the
visit happened.  Folders outside the plan are unplanned visits, numbered as
the engine numbers them (``converters.sdtm.visits.assign_visit``).

SVSTDTC and SVENDTC are the earliest and latest complete dates of the visit
(date part); SVPRESP is Y for visits of the plan (TV) and blank for unplanned
ones, which get a description in SVUPDES; SVOCCUR is Y (only visits that took
place are recorded).  A study with no visit records at all (no VISITNUM in
any built domain, no raw form with a visit folder) gets an empty SV.
VISITDY is the planned day from TV.  Raw rows of
subjects not in DM are dropped and logged, impossible dates are logged and
left out.  Per subject, so partition-safe.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from converters.metadata.model import Dataset
from converters.readers.raw import ROW
from converters.sdtm.dates import DateResult, date_part, iso_day_text, to_iso8601
from converters.sdtm.reference_dates import usubjids
from converters.sdtm.rejections import DROPPED, NULLED, RejectionLog
from converters.sdtm.visits import assign_visit
from converters.sdtm.study_day import derive_study_day
from converters.spec.study import pattern_fields
from converters.sdtm.trial_design._common import DERIVED, add_identifiers, finish

COLUMNS = ["STUDYID", "DOMAIN", "USUBJID", "VISITNUM", "VISIT", "SVPRESP", "SVOCCUR", "VISITDY", "SVSTDTC",
           "SVENDTC", "SVSTDY", "SVENDY", "SVUPDES"]
KEYS = ("STUDYID", "USUBJID", "VISITNUM")
#: Domains that describe visits or the design rather than observations made at them.
NOT_SOURCES = frozenset({"SV", "TV", "TA", "TE", "TI", "TS", "SE"})


def record_date_variable(domain: str, frame: pd.DataFrame) -> str | None:
    """The date a record of ``domain`` is dated by: --STDTC when the domain has one, else --DTC."""
    for name in (f"{domain}STDTC", f"{domain}DTC"):
        if name in frame:
            return name
    return None


def visit_records(domains: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """USUBJID, VISITNUM, VISIT, DATE (calendar day) and DOMAIN of every record that has a VISITNUM (the domains
    read one at a time, only the columns read: ``study.DomainFrames``)."""
    from converters.sdtm.study import domain_column_names, domain_columns

    parts = []
    for name in sorted(domains):
        if name in NOT_SOURCES or name.startswith("SUPP"):
            continue
        names = domain_column_names(domains, name)
        if "VISITNUM" not in names or "USUBJID" not in names:
            continue
        wanted = ["USUBJID", "VISITNUM", "VISIT", f"{name}STDTC", f"{name}DTC"]
        frame = _distinct_visit_rows(domains, name, wanted)
        if frame is None:
            frame = domain_columns(domains, name, wanted)
        dated = record_date_variable(name, frame)
        part = pd.DataFrame({"USUBJID": frame["USUBJID"].astype("object"),
                             "VISITNUM": pd.to_numeric(frame["VISITNUM"], errors="coerce"),
                             "VISIT": frame["VISIT"].astype("object") if "VISIT" in frame else None,
                             "DATE": date_part(frame[dated]) if dated else pd.NaT,
                             "DOMAIN": name})
        part = part[part["VISITNUM"].notna()]
        _codes, _first, kept = distinct_rows(part, ["USUBJID", "VISITNUM", "VISIT", "DATE"])
        parts.append(part.iloc[kept])  # a visit's repeated records add nothing SV reads (see raw_visit_records)
    if not parts:
        return pd.DataFrame(columns=["USUBJID", "VISITNUM", "VISIT", "DATE", "DOMAIN"])
    return pd.concat(parts, ignore_index=True)


def _distinct_visit_rows(domains: Mapping[str, pd.DataFrame], name: str, wanted: list[str]) -> pd.DataFrame | None:
    """Of a domain holding its columns as codes (``BuiltDomain.held``), only the records ``visit_records`` keeps (the
    first and the last of each USUBJID, VISITNUM, VISIT and calendar day, VISITNUM given), told apart on the codes
    and made alone: LB's millions of records are not made object columns to keep a few per visit.  None for a
    domain held as a frame (``visit_records`` then reads its columns)."""
    from converters.engine.compact import CompactFrame, TextColumn
    from converters.sdtm.study import DomainFrames

    held = domains.domains[name].held if isinstance(domains, DomainFrames) else None
    if held is None:
        return None
    present = [n for n in dict.fromkeys(wanted) if n in held.columns]
    dated = record_date_variable(name, pd.DataFrame(columns=present))
    parts: list[np.ndarray] = []
    for column in ("USUBJID", "VISITNUM", "VISIT", dated):
        col = held.columns.get(column) if column else None
        if col is None:
            continue
        if column == dated:  # the calendar day of each distinct text, the records taking theirs by code
            text = col.values if isinstance(col, TextColumn) else None
            if text is None:
                return None
            # a missing text (code -1: the last entry) has no day, as a partial date has none: one group
            day = pd.factorize(date_part(pd.Series([*text, None], dtype=object)), use_na_sentinel=False)[0]
            parts.append(day[np.asarray(col.codes, dtype=np.int64)])
        elif isinstance(col, TextColumn):
            parts.append(np.asarray(col.codes, dtype=np.int64))
        else:
            parts.append(pd.factorize(col, use_na_sentinel=False)[0])
    visitnum = held.columns["VISITNUM"]
    numbers = pd.to_numeric(visitnum.series() if isinstance(visitnum, TextColumn) else visitnum, errors="coerce")
    given = np.flatnonzero(numbers.notna().to_numpy())
    keys = [f"K{i}" for i in range(len(parts))]
    _codes, _first, kept = distinct_rows(pd.DataFrame(dict(zip(keys, (p[given] for p in parts)))), keys)
    only = CompactFrame({n: held.columns[n] for n in present}, held.index, present)  # the columns read, no other
    return only.take(given[kept]).frame()


def form_date_column(columns) -> str | None:
    """The visit date column of a raw form: its first ``*DAT`` column that is not a birth date."""
    for name in columns:
        upper = str(name).upper()
        if upper.endswith("DAT") and not upper.startswith("BRTH"):
            return name
    return None


def _iso_dates(values: pd.Series):
    """``to_iso8601`` computed once per distinct value (dates repeat across records)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    result = to_iso8601(pd.Series(uniques, dtype="object"))
    pick = pd.Series(codes, index=values.index)
    known = pick >= 0

    def spread(column: pd.Series) -> pd.Series:
        out = pd.Series(None, index=values.index, dtype="object")
        out[known] = column.to_numpy(dtype="object")[pick[known].to_numpy()]
        return out.where(out.notna(), None)

    return type(result)(spread(result.iso), spread(result.problem))


def _known_dates(values: pd.Series, known: tuple[dict, dict]):
    """``_iso_dates`` of ``values``, parsing only the texts not in ``known`` yet (text -> ISO, text -> problem)."""
    isos, problems = known
    present = values.dropna()
    fresh = pd.unique(present[~present.isin(isos.keys())].to_numpy(dtype=object))
    if len(fresh):
        result = _iso_dates(pd.Series(fresh, dtype="object"))
        isos.update(zip(fresh, result.iso))
        problems.update(zip(fresh, result.problem))

    def spread(table: dict) -> pd.Series:
        out = values.astype("object").map(table).astype("object")
        return out.where(out.notna(), None)

    return DateResult(spread(isos), spread(problems))


def distinct_rows(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of ``frame`` told apart by ``columns``: each row's code, the first row of each code (in order of first
    appearance), and the rows that are the first or the last of their code (in row order).

    Steps that give identical rows identical answers run once per code; keeping the first and the last row of
    each code keeps what an order-sensitive step reads (the first value of a group, the last of ties)."""
    if not len(frame):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    key = np.zeros(len(frame), dtype=np.int64)
    bound = 1  # key < bound
    for column in columns:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        if bound * (len(uniques) + 1) >= 2**62:  # renumbered only when the product could overflow
            key = pd.factorize(key)[0].astype(np.int64)
            bound = int(key.max()) + 1
        key = key * (len(uniques) + 1) + codes
        bound *= len(uniques) + 1
    codes = pd.factorize(key)[0].astype(np.int64)  # numbered in order of first appearance
    count = int(codes.max()) + 1
    rows = np.arange(len(codes))
    first = np.full(count, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, rows)
    last = np.full(count, -1, dtype=np.int64)
    np.maximum.at(last, codes, rows)
    return codes, first, np.union1d(first, last)


def _normalized_folder(values: pd.Series) -> pd.Series:
    """Folder names trimmed, inner blanks made one space, upper case (a ``string`` column); each distinct name
    worked on once."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    names = pd.Series(uniques, dtype="object").astype("string").str.strip().str.replace(r"\s+", " ", regex=True)
    upper = np.empty(len(uniques) + 1, dtype=object)
    upper[:-1] = names.str.upper().to_numpy(dtype=object)
    upper[-1] = pd.NA  # the last entry: a missing folder stays missing
    table = pd.array(upper, dtype="string")
    return pd.Series(table[np.where(codes < 0, len(uniques), codes)], index=values.index, dtype="string")


def raw_visit_records(study, raw: dict, subjects: set, log: RejectionLog | None = None,
                      visit_column: str = "FOLDER") -> tuple[pd.DataFrame, int]:
    """Visit records (as ``visit_records``) of every raw form with a visit column, and the rows read.

    Rows alike in their visit, subject fields and date give alike records: each such row is read once (folder,
    USUBJID, date), the log still names every row, and only the first and the last row of each go on to the
    visit numbering (what it reads of repeated rows: first visit name, last visit on a date)."""
    skip = {" ".join(str(f).split()).upper() for f in getattr(study, "non_visit_folders", ())}
    fields = [text for is_field, text in pattern_fields(study.usubjid_pattern) if is_field and text != "STUDYID"]
    parts, read = [], 0
    iso_of: tuple[dict, dict] = ({}, {})  # date text -> ISO date, -> problem: each distinct text parsed once
    for form, src in sorted(raw.items()):
        frame = src.frame
        if visit_column not in frame:
            continue
        dated = form_date_column(frame.columns)
        columns = list(dict.fromkeys([visit_column, *(f for f in fields if f in frame), *([dated] if dated else [])]))
        codes, first, kept = distinct_rows(frame, columns)
        distinct = frame.iloc[first][columns].reset_index(drop=True)
        folder = _normalized_folder(distinct[visit_column])
        wanted = (folder.notna() & ~folder.isin(skip).fillna(False).astype(bool)).to_numpy()
        taken = wanted[codes]
        if not taken.any():
            continue
        read += int(taken.sum())
        usubjid = usubjids(study, distinct).astype("object")
        known = usubjid.isin(subjects).to_numpy()
        unknown = taken & ~known[codes]
        if log is not None and unknown.any():
            log.add("SV", src.path.name, frame.loc[unknown, ROW], "SUBJID",
                    frame.loc[unknown, "SUBJID"] if "SUBJID" in frame else None,
                    "subject not in DM (not enrolled in the study)", DROPPED)
        use = wanted & known
        if dated is not None:
            dates = _known_dates(distinct[dated], iso_of)
            bad = taken & known[codes] & dates.problem.notna().to_numpy()[codes]
            if log is not None and bad.any():
                log.add("SV", src.path.name, frame.loc[bad, ROW], dated, frame.loc[bad, dated],
                        "not a valid date; the visit is kept without it", NULLED)
            iso = dates.iso
        else:
            iso = pd.Series(None, index=distinct.index, dtype="object")
        rows = kept[use[codes[kept]]]
        pick = codes[rows]
        parts.append(pd.DataFrame({"USUBJID": usubjid.to_numpy()[pick],
                                   "FOLDER": distinct[visit_column].to_numpy(dtype=object)[pick],
                                   "DTC": iso.to_numpy(dtype=object)[pick], "DOMAIN": form}))
    if not parts:
        return pd.DataFrame(columns=["USUBJID", "VISITNUM", "VISIT", "DATE", "DOMAIN"]), read
    pool = pd.concat(parts, ignore_index=True)
    visits = assign_visit(pool["FOLDER"], pool["DTC"], pool["USUBJID"], study.visits)
    out = pd.DataFrame({"USUBJID": pool["USUBJID"], "VISITNUM": visits["VISITNUM"], "VISIT": visits["VISIT"],
                        "DATE": date_part(pool["DTC"]), "DOMAIN": pool["DOMAIN"] + " form"})
    return out[out["VISITNUM"].notna()], read


def build_sv(study, domains: Mapping[str, pd.DataFrame], dm: pd.DataFrame, tv: pd.DataFrame,
             raw: dict | None = None, log: RejectionLog | None = None,
             raw_visits: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Dataset]:
    """SV frame and metadata from the raw forms, the built domains (name -> frame) and the visit plan TV.

    ``raw_visits``: ``raw_visit_records`` already taken per batch of subjects (then ``raw`` is not read)."""
    records = visit_records(domains)
    if raw_visits is None and raw:
        raw_visits, _read = raw_visit_records(study, raw, set(dm["USUBJID"]), log)
    if raw_visits is not None:
        from_raw = raw_visits
        parts = [part for part in (records, from_raw) if len(part)]  # an empty part would decide no dtype
        records = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts[0] if parts else records)
    records = records[records["USUBJID"].isin(set(dm["USUBJID"]))].copy()
    # a study without visit-bearing domains or forms has no visit records: SV is then empty, not an error
    records["DATE"] = pd.to_datetime(records["DATE"], errors="coerce")
    records["VISITNUM"] = pd.to_numeric(records["VISITNUM"], errors="coerce")
    grouped = records.groupby(["USUBJID", "VISITNUM"], sort=True)
    out = grouped.agg(VISIT=("VISIT", "first"), START=("DATE", "min"), END=("DATE", "max")).reset_index()
    planned = out["VISITNUM"].isin(set(tv["VISITNUM"]))
    plan = tv.reindex(columns=["VISITNUM", "VISIT", "VISITDY"]).set_index("VISITNUM")  # no visit plan: no columns
    out["VISIT"] = out["VISIT"].where(~planned, out["VISITNUM"].map(plan["VISIT"]))
    out["SVPRESP"] = pd.Series("Y", index=out.index, dtype="object").where(planned, None)
    out["SVOCCUR"] = "Y"
    # TV drops VISITDY (Perm) when no planned visit has one, or when there is no visit plan at all
    visitdy = plan["VISITDY"] if "VISITDY" in plan else pd.Series(dtype="float64")
    out["VISITDY"] = out["VISITNUM"].map(visitdy).where(planned)
    out["SVSTDTC"] = iso_day_text(out["START"])
    out["SVENDTC"] = iso_day_text(out["END"])
    rfstdtc = dm.set_index("USUBJID")["RFSTDTC"] if "RFSTDTC" in dm else pd.Series(dtype="object")
    out["SVSTDY"] = derive_study_day(out["SVSTDTC"], out["USUBJID"].map(rfstdtc))
    out["SVENDY"] = derive_study_day(out["SVENDTC"], out["USUBJID"].map(rfstdtc))
    out["SVUPDES"] = None
    if (~planned).any():
        unplanned = records.merge(out.loc[~planned, ["USUBJID", "VISITNUM"]], on=["USUBJID", "VISITNUM"])
        where = (unplanned.drop_duplicates(["USUBJID", "VISITNUM", "DOMAIN"])
                 .groupby(["USUBJID", "VISITNUM"])["DOMAIN"].agg(", ".join))
        keys = pd.MultiIndex.from_frame(out.loc[~planned, ["USUBJID", "VISITNUM"]])
        out.loc[~planned, "SVUPDES"] = ("Unplanned visit with records in " + where.reindex(keys)).to_numpy()
    out = out.sort_values(["USUBJID", "VISITNUM"], kind="mergesort").reset_index(drop=True)
    add_identifiers(out, study, "SV")
    return finish("SV", out[COLUMNS], KEYS, {}, DERIVED)
