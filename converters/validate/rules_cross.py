"""Cross-domain rules: subjects known to DM, arms, epochs, visits and elements known to trial design,
SUPP-- parents, reference dates against EX, death across DM, AE and DS, required datasets."""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.validate.data import DatasetData, StudyData
from converters.validate.iso8601 import later_than
from converters.validate.model import Hits, distinct_keys, rule, rows_of

_DESIGN = {"TA", "TE", "TV", "TI", "TS", "TD", "TM", "DM"}
_NOT_TREATED = ("SCRNFAIL", "NOTASSGN", "NOTTRT")


def _pairs_in_codes(ds: DatasetData, names: tuple[str, str], other: DatasetData, other_names: tuple[str, str]) -> np.ndarray:
    """Per record of ``ds``: whether ``other`` has a record whose ``other_names`` have the same (stripped) texts as
    its ``names``; :func:`_pairs_in` on codes: the other's pairs as one integer each, and ``ds``'s distinct texts
    looked up among the other's once each."""
    first, second = (other.text_codes(n).astype(np.int64) for n in other_names)
    width = int(second.max()) + 1 if len(second) else 1
    known = distinct_keys(first * width + second)
    mine = []
    for own, theirs in zip(names, other_names):
        codes, _, stripped = ds._factor(own)
        mine.append(other.codes_of(theirs, np.append(stripped, ""))[codes].astype(np.int64))  # -1: not in other
    return (mine[0] >= 0) & (mine[1] >= 0) & np.isin(mine[0] * width + mine[1], known)


def _pairs_in(pairs: tuple[pd.Series, pd.Series], known: tuple[pd.Series, pd.Series]) -> pd.Series:
    """Rows whose (first, second) value pair occurs among the ``known`` pairs (matched column-wise)."""
    found = pd.MultiIndex.from_arrays(pairs).isin(pd.MultiIndex.from_arrays(known))
    return pd.Series(found, index=pairs[0].index)


def _values(study: StudyData, dataset: str, name: str) -> set[str] | None:
    ds = study.get(dataset)
    if ds is None or name not in ds.frame.columns:
        return None
    return set(ds.text(name).unique()) - {""}


def _unknown(ds: DatasetData, name: str, known: set[str], extra_ok: tuple[str, ...] = ()):
    allowed = known | set(extra_ok)
    mask = ds.unique_mask(name, lambda u: u.ne("") & ~u.isin(allowed))  # per distinct value
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("CR0001", "Error", "Subject not in DM", "USUBJID is not a subject of DM", "SDTMIG 3.4 4.2.3",
      needs=("USUBJID",))
def check_subject_in_dm(study, ds: DatasetData):
    if ds.name == "DM" or "DM" not in study:
        return
    yield from _unknown(ds, "USUBJID", set(study.subjects()))


def _design_check(dataset: str, name: str, source: str, source_name: str | None = None, extra_ok=()):
    def check(study, ds: DatasetData):
        known = _values(study, source, source_name or name)
        if known is None or name not in ds.frame.columns:
            return
        yield from _unknown(ds, name, known, extra_ok)
    return check


rule("CR0002", "Error", "ARMCD not in TA", "ARMCD is not an arm of TA", "SDTMIG 3.4 5.2; SDTMIG 3.4 7.2.1",
     applies_to=("DM",), needs=("ARMCD",))(_design_check("DM", "ARMCD", "TA", extra_ok=_NOT_TREATED))
rule("CR0003", "Error", "ACTARMCD not in TA", "ACTARMCD is not an arm of TA", "SDTMIG 3.4 5.2; SDTMIG 3.4 7.2.1",
     applies_to=("DM",), needs=("ACTARMCD",))(_design_check("DM", "ACTARMCD", "TA", "ARMCD", extra_ok=_NOT_TREATED))


@rule("CR0004", "Error", "EPOCH not in TA", "EPOCH is not an epoch of TA", "SDTMIG 3.4 4.1.3; SDTMIG 3.4 7.2.1",
      needs=("EPOCH",))
def check_epoch(study, ds: DatasetData):
    if ds.name in ("TA",):
        return
    known = _values(study, "TA", "EPOCH")
    if known is not None:
        yield from _unknown(ds, "EPOCH", known)


@rule("CR0005", "Error", "VISITNUM not in TV or SV",
      "VISITNUM is neither a planned visit (TV) nor a subject visit (SV)", "SDTMIG 3.4 4.4.5; SDTMIG 3.4 7.3.1", needs=("VISITNUM",))
def check_visitnum_known(study, ds: DatasetData):
    if ds.name in ("TV", "SV"):
        return
    tv, sv = _values(study, "TV", "VISITNUM"), _values(study, "SV", "VISITNUM")
    if tv is None and sv is None:
        return
    yield from _unknown(ds, "VISITNUM", (tv or set()) | (sv or set()))


@rule("CR0006", "Warning", "Visit not in the subject's SV records", "USUBJID and VISITNUM have no record in SV",
      "SDTMIG 3.4 5.5", needs=("USUBJID", "VISITNUM"))
def check_visit_in_sv(study, ds: DatasetData):
    sv = study.get("SV")
    if ds.name in _DESIGN or ds.name == "SV" or sv is None or not sv.has("USUBJID", "VISITNUM"):
        return
    known = _pairs_in_codes(ds, ("USUBJID", "VISITNUM"), sv, ("USUBJID", "VISITNUM"))
    mask = ds.filled("VISITNUM").to_numpy() & ~known
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", "VISITNUM"))


@rule("CR0007", "Warning", "Planned visit in SV not in TV", "SV VISITNUM is not in TV and SVUPDES is null",
      "SDTMIG 3.4 5.5", applies_to=("SV",), needs=("VISITNUM",))
def check_sv_planned(study, ds: DatasetData):
    tv = _values(study, "TV", "VISITNUM")
    if tv is None:
        return
    updes = ds.filled("SVUPDES") if "SVUPDES" in ds.frame.columns else pd.Series(False, index=ds.frame.index)
    mask = ds.filled("VISITNUM") & ~ds.text("VISITNUM").isin(tv) & ~updes
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("VISITNUM",))


def _parent(study: StudyData, ds: DatasetData) -> DatasetData | None:
    rdomain = ds.text("RDOMAIN")
    name = rdomain.iloc[0] if len(rdomain) else ds.name[4:]
    return study.get(name) or study.get(ds.name[4:])


@rule("CR0008", "Error", "SUPP-- parent dataset missing", "RDOMAIN {parent} has no dataset in the folder",
      "SDTMIG 3.4 8.4.1", applies_to=("SUPP*",), needs=("RDOMAIN",))
def check_supp_parent_dataset(study, ds: DatasetData):
    for value in sorted(set(ds.text("RDOMAIN").unique()) - {""}):
        if study.get(value) is None:
            mask = ds.text("RDOMAIN").eq(value)
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("RDOMAIN",), params={"parent": value})


@rule("CR0009", "Error", "SUPP-- IDVAR not a variable of the parent", "IDVAR names no variable of {parent}",
      "SDTMIG 3.4 8.4.1", applies_to=("SUPP*",), needs=("RDOMAIN", "IDVAR"))
def check_supp_idvar(study, ds: DatasetData):
    parent = _parent(study, ds)
    if parent is None:
        return
    mask = ds.filled("IDVAR") & ~ds.text("IDVAR").isin(parent.columns)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("IDVAR",), params={"parent": parent.name})


@rule("CR0010", "Error", "SUPP-- parent record not found",
      "No {parent} record has this USUBJID and IDVAR = IDVARVAL", "SDTMIG 3.4 8.4.1",
      applies_to=("SUPP*",), needs=("RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL"))
def check_supp_parent_record(study, ds: DatasetData):
    parent = _parent(study, ds)
    if parent is None or "USUBJID" not in parent.frame.columns:
        return
    missing = pd.Series(False, index=ds.frame.index)
    idvar = ds.text("IDVAR")
    for name in sorted(set(idvar.unique())):
        rows = idvar.eq(name)
        if name == "":
            keys = set(parent.text("USUBJID"))
            missing |= rows & ~ds.text("USUBJID").isin(keys)
            continue
        if name not in parent.frame.columns:
            continue
        known = _pairs_in((ds.text("USUBJID"), ds.text("IDVARVAL")), (parent.text("USUBJID"), parent.text(name)))
        missing |= rows & ~known
    if missing.any():
        yield Hits(dataset=ds.name, rows=rows_of(missing), variables=("USUBJID", "IDVAR", "IDVARVAL"),
                   params={"parent": parent.name})


@rule("CR0011", "Warning", "SUPP-- QNAM is a standard variable of the parent",
      "QNAM {qnam} is an SDTMIG variable of {parent}; put it in the parent dataset", "SDTMIG 3.4 8.4.1",
      applies_to=("SUPP*",), needs=("QNAM",))
def check_supp_standard_qnam(study, ds: DatasetData):
    from converters.standards import sdtmig

    parent = ds.name[4:]
    if not sdtmig.has_dataset(parent):
        return
    standard = {v.name for v in sdtmig.variables(parent)}
    for qnam in sorted(set(ds.text("QNAM").unique()) & standard):
        yield Hits(dataset=ds.name, rows=rows_of(ds.text("QNAM").eq(qnam)), variables=("QNAM",),
                   params={"qnam": qnam, "parent": parent})


def _exposure_bounds(study: StudyData) -> tuple[pd.Series, pd.Series] | None:
    """Each subject's first and last exposure date in EX (text, complete dates only); computed once per study
    (CR0012, CR0013 and CR0014 ask for it)."""
    if "exposure_bounds" not in study._cache:
        study._cache["exposure_bounds"] = _first_and_last_exposure(study)
    return study._cache["exposure_bounds"]


def _first_and_last_exposure(study: StudyData) -> tuple[pd.Series, pd.Series] | None:
    ex = study.get("EX")
    if ex is None or not ex.has("USUBJID", "EXSTDTC"):
        return None
    start = ex.per_value("EXSTDTC", lambda u: u.str[:10])
    ok_s = ex.per_value("EXSTDTC", lambda u: u.str[:10].str.fullmatch(r"\d{4}-\d{2}-\d{2}"))
    if "EXENDTC" in ex.frame.columns:
        end = ex.per_value("EXENDTC", lambda u: u.str[:10])
        ok_e = ex.per_value("EXENDTC", lambda u: u.str[:10].str.fullmatch(r"\d{4}-\d{2}-\d{2}"))
        blank = end.eq("")
        end, ok_e = end.where(~blank, start), ok_e.where(~blank, ok_s)
    else:
        end, ok_e = start, ok_s
    subj = ex.text("USUBJID")
    return _text_extreme(start[ok_s], subj[ok_s], np.min), _text_extreme(end[ok_e], subj[ok_e], np.max)


def _text_extreme(values: pd.Series, groups: pd.Series, pick) -> pd.Series:
    """``values.groupby(groups).min()`` (``pick`` np.min) or ``.max()`` of texts, comparing each distinct text once:
    texts are ranked in text order and the groups take the smallest or largest rank."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    ordered = np.sort(np.asarray(uniques, dtype=object))
    rank = np.empty(len(ordered), dtype=np.int64)
    rank[np.argsort(np.asarray(uniques, dtype=object), kind="stable")] = np.arange(len(ordered))
    best = pd.Series(rank[codes], index=values.index).groupby(groups).agg(pick.__name__)
    return pd.Series(ordered[best.to_numpy()], index=best.index, name=values.name)


def _dm_vs_ex(variable: str, which: int):
    def check(study, ds: DatasetData):
        bounds = _exposure_bounds(study)
        if bounds is None or variable not in ds.frame.columns:
            return
        expected = ds.text("USUBJID").map(bounds[which]).fillna("")
        actual = ds.text(variable).str[:10]
        mask = expected.ne("") & actual.ne("") & actual.str.len().eq(10) & actual.ne(expected)
        if mask.any():
            yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", variable),
                       extra={"EX": expected[mask].to_numpy()})
    return check


rule("CR0012", "Error", "RFXSTDTC is not the first exposure in EX",
     "RFXSTDTC is not the date of the subject's first EX record", "SDTMIG 3.4 5.2 (RFXSTDTC)",
     applies_to=("DM",), needs=("USUBJID", "RFXSTDTC"))(_dm_vs_ex("RFXSTDTC", 0))
rule("CR0013", "Error", "RFXENDTC is not the last exposure in EX",
     "RFXENDTC is not the date of the subject's last EX record", "SDTMIG 3.4 5.2 (RFXENDTC)",
     applies_to=("DM",), needs=("USUBJID", "RFXENDTC"))(_dm_vs_ex("RFXENDTC", 1))


@rule("CR0014", "Warning", "RFSTDTC after first exposure", "RFSTDTC is after the subject's first EXSTDTC",
      "SDTMIG 3.4 5.2 (RFSTDTC)", applies_to=("DM",), needs=("USUBJID", "RFSTDTC"))
def check_rfstdtc_ex(study, ds: DatasetData):
    bounds = _exposure_bounds(study)
    if bounds is None:
        return
    first = ds.text("USUBJID").map(bounds[0]).fillna("")
    mask = later_than(ds.text("RFSTDTC"), first)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", "RFSTDTC"),
                   extra={"EXSTDTC": first[mask].to_numpy()})


@rule("CR0015", "Error", "Treated subject without reference start", "Subject has EX records but RFSTDTC is null",
      "SDTMIG 3.4 5.2 (RFSTDTC)", applies_to=("DM",), needs=("USUBJID", "RFSTDTC"))
def check_treated_rfstdtc(study, ds: DatasetData):
    treated = _values(study, "EX", "USUBJID")
    if not treated:
        return
    mask = ds.text("USUBJID").isin(treated) & ~ds.filled("RFSTDTC")
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", "RFSTDTC"))


@rule("CR0016", "Warning", "Subject with an actual arm but no exposure",
      "ACTARMCD is populated but the subject has no EX record", "SDTMIG 3.4 5.2 (ACTARMCD)",
      applies_to=("DM",), needs=("USUBJID", "ACTARMCD"))
def check_arm_without_ex(study, ds: DatasetData):
    treated = _values(study, "EX", "USUBJID")
    if treated is None:
        return
    mask = ds.filled("ACTARMCD") & ~ds.text("ACTARMCD").isin(_NOT_TREATED) & ~ds.text("USUBJID").isin(treated)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", "ACTARMCD"))


@rule("CR0017", "Error", "Exposure for a subject not treated",
      "Subject has EX records but DM.ACTARMCD is null or not an arm", "SDTMIG 3.4 5.2 (ACTARMCD)",
      applies_to=("EX",), needs=("USUBJID",))
def check_ex_untreated(study, ds: DatasetData):
    dm = study.get("DM")
    if dm is None or not dm.has("USUBJID", "ACTARMCD"):
        return
    mapped = ds.text("USUBJID").map(dm.lookup("USUBJID", "ACTARMCD"))
    mask = mapped.notna() & (mapped.eq("") | mapped.isin(_NOT_TREATED))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID",),
                   extra={"ACTARMCD": mapped[mask].to_numpy()})


def _dm_flag(study: StudyData, ds: DatasetData) -> pd.Series | None:
    dm = study.get("DM")
    if dm is None or "USUBJID" not in dm.frame.columns:
        return None
    if "DTHFL" not in dm.frame.columns:
        return ds.text("USUBJID").map(pd.Series("", index=dm.text("USUBJID").unique()))
    return ds.text("USUBJID").map(dm.lookup("USUBJID", "DTHFL"))


@rule("CR0018", "Error", "Fatal adverse event but DM.DTHFL not Y",
      "AEOUT is FATAL or AESDTH is Y but DM.DTHFL is not Y", "SDTMIG 3.4 5.2 (DTHFL); SDTMIG 3.4 6.2.1",
      applies_to=("AE",), needs=("USUBJID",))
def check_fatal_ae(study, ds: DatasetData):
    flag = _dm_flag(study, ds)
    if flag is None:
        return
    fatal = pd.Series(False, index=ds.frame.index)
    for name, value in (("AEOUT", "FATAL"), ("AESDTH", "Y")):
        if name in ds.frame.columns:
            fatal |= ds.text(name).eq(value)
    mask = fatal & flag.notna() & flag.ne("Y")
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask),
                   variables=tuple(n for n in ("AEOUT", "AESDTH") if n in ds.frame.columns),
                   extra={"DTHFL": flag[mask].to_numpy()})


@rule("CR0019", "Warning", "Death disposition but DM.DTHFL not Y", "DSDECOD is DEATH but DM.DTHFL is not Y",
      "SDTMIG 3.4 5.2 (DTHFL); SDTMIG 3.4 6.2.3", applies_to=("DS",), needs=("USUBJID", "DSDECOD"))
def check_death_ds(study, ds: DatasetData):
    flag = _dm_flag(study, ds)
    if flag is None:
        return
    mask = ds.text("DSDECOD").eq("DEATH") & flag.notna() & flag.ne("Y")
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("DSDECOD",), extra={"DTHFL": flag[mask].to_numpy()})


@rule("CR0020", "Warning", "Death flag without a death disposition",
      "DTHFL is Y but DS has no DEATH record for the subject", "SDTMIG 3.4 5.2 (DTHFL); SDTMIG 3.4 6.2.3",
      applies_to=("DM",), needs=("USUBJID", "DTHFL"))
def check_dm_death_ds(study, ds: DatasetData):
    dsd = study.get("DS")
    if dsd is None or not dsd.has("USUBJID", "DSDECOD"):
        return
    died = set(dsd.text("USUBJID")[dsd.text("DSDECOD").eq("DEATH")])
    mask = ds.text("DTHFL").eq("Y") & ~ds.text("USUBJID").isin(died)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", "DTHFL"))


@rule("CR0021", "Warning", "Death date differs between DM and DS",
      "DS death record date DSSTDTC differs from DM.DTHDTC", "SDTMIG 3.4 5.2 (DTHDTC); SDTMIG 3.4 6.2.3",
      applies_to=("DS",), needs=("USUBJID", "DSDECOD", "DSSTDTC"))
def check_death_date_ds(study, ds: DatasetData):
    dm = study.get("DM")
    if dm is None or not dm.has("USUBJID", "DTHDTC"):
        return
    mapped = ds.text("USUBJID").map(dm.lookup("USUBJID", "DTHDTC")).fillna("")
    mask = ds.text("DSDECOD").eq("DEATH") & mapped.ne("") & ds.filled("DSSTDTC") & \
        ds.text("DSSTDTC").str[:10].ne(mapped.str[:10])
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", "DSSTDTC"),
                   extra={"DTHDTC": mapped[mask].to_numpy()})


rule("CR0022", "Error", "TA element not in TE", "ETCD is not an element of TE", "SDTMIG 3.4 7.2.1",
     applies_to=("TA",), needs=("ETCD",))(_design_check("TA", "ETCD", "TE"))
rule("CR0023", "Error", "SE element not in TE", "ETCD is not an element of TE", "SDTMIG 3.4 5.3",
     applies_to=("SE",), needs=("ETCD",))(_design_check("SE", "ETCD", "TE", extra_ok=("UNPLAN",)))
rule("CR0024", "Error", "IE criterion not in TI", "IETESTCD is not a criterion of TI", "SDTMIG 3.4 6.3 (IE); "
     "SDTMIG 3.4 7.4.1", applies_to=("IE",), needs=("IETESTCD",))(_design_check("IE", "IETESTCD", "TI"))
rule("CR0025", "Error", "TV arm not in TA", "ARMCD is not an arm of TA", "SDTMIG 3.4 7.3.1",
     applies_to=("TV",), needs=("ARMCD",))(_design_check("TV", "ARMCD", "TA"))


@rule("CR0026", "Error", "More than one STUDYID", "STUDYID {value} differs from the study's STUDYID {studyid}",
      "SDTMIG 3.4 4.1.1; SDTM v2.0 2.2.6", needs=("STUDYID",))
def check_studyid(study, ds: DatasetData):
    expected = study.studyid
    mask = ds.unique_mask("STUDYID", lambda u: u.ne("") & u.ne(expected))  # per distinct value
    if mask.any():
        first = ds.text("STUDYID")[mask].iloc[0]
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("STUDYID",),
                   params={"value": first, "studyid": expected})


def _required_dataset(name: str):
    def check(study, _):
        unreadable = {file.rsplit(".", 1)[0].upper() for file, _ in study.problems}
        if study.get(name) is None and name not in unreadable:  # a file that cannot be read is MD0000
            yield Hits(dataset=name, value=name)
    return check


_REJECTION = "FDA Technical Rejection Criteria for Study Data"
rule("CR0027", "Error", "DM missing", "The folder has no DM dataset", f"SDTMIG 3.4 5.2; {_REJECTION}",
     applies_to=("study",))(_required_dataset("DM"))
rule("CR0028", "Error", "TS missing", "The folder has no TS dataset", f"SDTMIG 3.4 7.4.2; {_REJECTION}",
     applies_to=("study",))(_required_dataset("TS"))


@rule("CR0029", "Warning", "Trial design dataset missing", "The folder has no {dataset} dataset",
      "SDTMIG 3.4 7", applies_to=("study",))
def check_design_datasets(study, _):
    if study.get("DM") is None:
        return
    for name in ("TA", "TE", "TV", "TI"):
        if study.get(name) is None:
            yield Hits(dataset=name, value=name)


@rule("CR0030", "Error", "ELEMENT differs from TE", "ELEMENT in {dataset} differs from TE for the same ETCD",
      "SDTMIG 3.4 7.2.2", applies_to=("TA", "SE"), needs=("ETCD", "ELEMENT"))
def check_element_names(study, ds: DatasetData):
    te = study.get("TE")
    if te is None or not te.has("ETCD", "ELEMENT"):
        return
    expected = ds.text("ETCD").map(te.lookup("ETCD", "ELEMENT"))
    mask = expected.notna() & ds.text("ELEMENT").ne(expected.fillna(""))
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("ETCD", "ELEMENT"),
                   extra={"TE.ELEMENT": expected[mask].to_numpy()})


def _event_date(ds: DatasetData) -> str | None:
    """The date that places a record in time: --STDTC (events, interventions), else --DTC (findings)."""
    for generic in ("--STDTC", "--DTC"):
        if ds.has(generic):
            return ds.var(generic)
    return None


@rule("CR0035", "Warning", "EPOCH null although the date falls in an element",
      "EPOCH is null but {variable} falls within the subject's element in SE", "SDTMIG 3.4 4.1.3; SDTMIG 3.4 5.3",
      needs=("USUBJID", "EPOCH"))
def check_epoch_from_se(study, ds: DatasetData):
    se = study.get("SE")
    date = _event_date(ds)
    if ds.name in _DESIGN or ds.name == "SE" or se is None or date is None or \
            not se.has("USUBJID", "SESTDTC", "EPOCH"):
        return
    dates = ds.date(date)
    candidates = ~ds.filled("EPOCH") & dates.notna()
    if not candidates.any():
        return
    start = se.date("SESTDTC")
    end = se.date("SEENDTC") if "SEENDTC" in se.frame.columns else pd.Series(pd.NaT, index=se.frame.index)
    elements = pd.DataFrame({"s": se.text("USUBJID"), "start": start, "end": end.fillna(start),
                             "epoch": se.text("EPOCH")})[start.notna() & se.filled("EPOCH")]
    records = pd.DataFrame({"s": ds.text("USUBJID")[candidates], "d": dates[candidates],
                            "row": np.flatnonzero(candidates.to_numpy())})
    joined = records.merge(elements, on="s", how="inner")
    inside = joined[(joined["d"] >= joined["start"]) & (joined["d"] <= joined["end"])].drop_duplicates("row")
    if len(inside):
        yield Hits(dataset=ds.name, rows=inside["row"].to_numpy(), variables=("USUBJID", date),
                   extra={"SE.EPOCH": inside["epoch"].to_numpy()})


def _died(study: StudyData) -> dict[str, str]:
    """Subjects who died and where the data says so (DM.DTHFL, DS DEATH, DD)."""
    out: dict[str, list[str]] = {}
    dm, dsd, dd = study.get("DM"), study.get("DS"), study.get("DD")
    if dm is not None and dm.has("USUBJID", "DTHFL"):
        for subject in dm.text("USUBJID")[dm.text("DTHFL").eq("Y")]:
            out.setdefault(subject, []).append("DM.DTHFL")
    if dsd is not None and dsd.has("USUBJID", "DSDECOD"):
        for subject in dsd.text("USUBJID")[dsd.text("DSDECOD").eq("DEATH")].unique():
            out.setdefault(subject, []).append("DS DEATH")
    if dd is not None and "USUBJID" in dd.frame.columns:
        for subject in dd.text("USUBJID").unique():
            out.setdefault(subject, []).append("DD")
    return {s: ", ".join(w) for s, w in out.items() if s}


def _death_causes(study: StudyData) -> dict[str, str]:
    """Primary cause of death per subject from DD (DDTESTCD PRCDTH), when the folder has it."""
    dd = study.get("DD")
    if dd is None or not dd.has("USUBJID", "DDTESTCD"):
        return {}
    result = dd.text("DDSTRESC") if "DDSTRESC" in dd.frame.columns else dd.text("DDORRES")
    primary = dd.text("DDTESTCD").eq("PRCDTH")
    return dict(zip(dd.text("USUBJID")[primary], result[primary]))


@rule("CR0036", "Warning", "Death without an adverse event of fatal outcome",
      "The subject died (DM.DTHFL, DS DEATH or DD: see values) but has no AE with AEOUT = FATAL or AESDTH = Y",
      "SDTMIG 3.4 6.2.1 (AE: AEOUT, AESDTH); SDTMIG 3.4 5.2 (DTHFL); SDTMIG 3.4 6.2.3 (DS); SDTMIG 3.4 6.3 (DD)",
      applies_to=("DM",), needs=("USUBJID",))
def check_death_without_fatal_ae(study, ds: DatasetData):
    ae = study.get("AE")
    died = _died(study)
    if ae is None or not died or "USUBJID" not in ae.frame.columns:
        return
    fatal = pd.Series(False, index=ae.frame.index)
    for name, value in (("AEOUT", "FATAL"), ("AESDTH", "Y")):
        if name in ae.frame.columns:
            fatal |= ae.text(name).eq(value)
    with_fatal = set(ae.text("USUBJID")[fatal])
    subjects = ds.text("USUBJID")
    mask = subjects.isin(set(died) - with_fatal)
    if mask.any():
        causes = _death_causes(study)
        extra: dict[str, object] = {"died": subjects[mask].map(died).to_numpy()}
        if causes:
            extra["DD cause"] = subjects[mask].map(causes).fillna("").to_numpy()
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID",), extra=extra)
