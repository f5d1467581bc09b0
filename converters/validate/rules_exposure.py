"""Exposure against what was planned and what DM and TS say: doses of incomplete administrations, the actual arm
against the treatment EX shows, and the TS dose unit against EX."""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.validate.data import DatasetData, StudyData
from converters.validate.model import Hits, rule, rows_of

#: EXADJ / ECADJ wording that says the administration was not completed (SDTMIG 3.4 6.1.4 EX assumptions: --ADJ
#: gives the reason a dose differs from the planned one).
_INCOMPLETE = r"INCOMPLETE|PARTIAL|NOT COMPLETED|STOPPED EARLY"


def _incomplete(study: StudyData, ds: DatasetData) -> pd.Series:
    """EX records whose administration was incomplete: EXADJ says so, or a SUPPEX qualifier labelled as such is Y."""
    out = ds.per_value("EXADJ", lambda u: u.str.upper().str.contains(_INCOMPLETE, regex=True)) \
        if "EXADJ" in ds.frame.columns else pd.Series(False, index=ds.frame.index)
    supp = study.get("SUPPEX")
    if supp is not None and supp.has("USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"):
        label = supp.per_value("QLABEL" if "QLABEL" in supp.frame.columns else "QNAM",
                               lambda u: u.str.upper().str.contains(_INCOMPLETE, regex=True))
        said = supp.text("QVAL").eq("Y") & label & supp.text("IDVAR").eq("EXSEQ")
        if said.any() and "EXSEQ" in ds.frame.columns:
            known = pd.MultiIndex.from_arrays([supp.text("USUBJID")[said], supp.text("IDVARVAL")[said]])
            found = pd.MultiIndex.from_arrays([ds.text("USUBJID"), ds.text("EXSEQ")]).isin(known)
            out = out | pd.Series(found, index=ds.frame.index)
    return out


def _planned_dose(study: StudyData, ds: DatasetData) -> pd.Series:
    """The planned dose of each EX record: the EC SCHEDULED dose of the same subject, treatment and day when EC
    holds one, else the dose most records of the same treatment in the subject's actual arm were given."""
    subject, treatment = ds.text("USUBJID"), ds.text("EXTRT")
    dose = ds.number("EXDOSE")
    planned = pd.Series(np.nan, index=ds.frame.index)
    ec = study.get("EC")
    if ec is not None and ec.has("USUBJID", "ECTRT", "ECMOOD", "ECDOSE", "ECSTDTC") and "EXSTDTC" in ds.frame.columns:
        scheduled = ec.text("ECMOOD").eq("SCHEDULED")
        table = pd.Series(ec.number("ECDOSE")[scheduled].to_numpy(), index=pd.MultiIndex.from_arrays(
            [ec.text("USUBJID")[scheduled], ec.text("ECTRT")[scheduled], ec.text("ECSTDTC")[scheduled].str[:10]]))
        table = table[~table.index.duplicated()]
        keys = pd.MultiIndex.from_arrays([subject, treatment, ds.text("EXSTDTC").str[:10]])
        planned = pd.Series(table.reindex(keys).to_numpy(), index=ds.frame.index)
    dm = study.get("DM")
    if dm is not None and dm.has("USUBJID", "ACTARMCD"):
        arm = subject.map(dm.lookup("USUBJID", "ACTARMCD")).fillna("")
        usual = pd.DataFrame({"arm": arm, "trt": treatment, "dose": dose})[dose.notna()]
        modal = usual.groupby(["arm", "trt"])["dose"].agg(lambda d: d.mode().iloc[0])
        by_arm = pd.Series(modal.reindex(pd.MultiIndex.from_arrays([arm, treatment])).to_numpy(), index=ds.frame.index)
        planned = planned.fillna(by_arm)
    return planned


@rule("CR0037", "Warning", "Dose of an incomplete administration equals the planned dose",
      "EXADJ (or SUPPEX) says the administration was incomplete but EXDOSE is the full planned dose; EXDOSE is "
      "the dose actually given", "SDTMIG 3.4 6.1.4 (EX assumptions); SDTMIG 3.4 6.1.3 (EC)",
      applies_to=("EX",), needs=("USUBJID", "EXTRT", "EXDOSE"))
def check_incomplete_dose(study: StudyData, ds: DatasetData):
    incomplete = _incomplete(study, ds)
    if not incomplete.any():
        return
    planned = _planned_dose(study, ds)
    dose = ds.number("EXDOSE")
    bad = incomplete & planned.notna() & dose.notna() & (dose >= planned * (1 - 1e-9))
    if bad.any():
        shown = tuple(n for n in ("EXTRT", "EXDOSE", "EXADJ") if n in ds.frame.columns)
        yield Hits(dataset=ds.name, rows=rows_of(bad), variables=shown, extra={"planned": planned[bad].to_numpy()})


def _profiles(ex: DatasetData) -> pd.Series:
    """Per subject, what EX shows was given: each treatment with its most frequent dose and unit, as one text."""
    unit = ex.text("EXDOSU") if "EXDOSU" in ex.frame.columns else pd.Series("", index=ex.frame.index)
    dose = ex.text("EXDOSE") if "EXDOSE" in ex.frame.columns else pd.Series("", index=ex.frame.index)
    frame = pd.DataFrame({"s": ex.text("USUBJID"), "t": ex.text("EXTRT") + " " + dose + " " + unit})
    frame = frame[ex.text("EXTRT").ne("")]
    # the most frequent text per subject and treatment (the first in sort order on a tie, as Series.mode gives),
    # counted with one groupby rather than a mode per group
    counts = frame.assign(trt=ex.text("EXTRT")).groupby(["s", "trt", "t"], sort=True).size().reset_index(name="n")
    best = counts.sort_values(["s", "trt", "n"], ascending=[True, True, False], kind="stable").drop_duplicates(["s", "trt"])
    subjects, texts = best["s"].to_numpy(dtype=object), best["t"].to_numpy(dtype=object)
    if not len(subjects):
        return pd.Series([], index=pd.Index([], name="s", dtype=object), name="t", dtype=object)
    starts = np.flatnonzero(np.r_[True, subjects[1:] != subjects[:-1]])
    ends = np.r_[starts[1:], len(subjects)]
    joined = [" + ".join(texts[a:b]) for a, b in zip(starts, ends)]
    return pd.Series(joined, index=pd.Index(subjects[starts], name="s"), name="t", dtype=object)


@rule("CR0038", "Warning", "Actual arm differs from the treatment EX shows",
      "DM.ACTARMCD differs from the arm whose treatment EX shows: other subjects of that arm got this treatment, "
      "no other subject of the subject's own arm did", "SDTMIG 3.4 5.2 (ACTARMCD); SDTMIG 3.4 6.1.4 (EX)",
      applies_to=("DM",), needs=("USUBJID", "ACTARMCD"))
def check_actarm_vs_ex(study: StudyData, ds: DatasetData):
    ex = study.get("EX")
    if ex is None or not ex.has("USUBJID", "EXTRT"):
        return
    profile = _profiles(ex)
    arm = pd.Series(ds.text("ACTARMCD").to_numpy(), index=ds.text("USUBJID").to_numpy())
    arm = arm[~arm.index.duplicated()]
    known = pd.DataFrame({"arm": arm.reindex(profile.index).fillna(""), "profile": profile})
    known = known[known["arm"].ne("")]
    if known.empty:
        return
    counts = known.groupby(["profile", "arm"]).size()
    arm_sizes = known.groupby("arm").size()
    top = counts.sort_values(ascending=False, kind="stable").reset_index().drop_duplicates("profile")
    shown = known["profile"].map(top.set_index("profile")["arm"])
    shown_count = known["profile"].map(top.set_index("profile")[0])
    own_count = pd.Series(counts.reindex(pd.MultiIndex.from_arrays([known["profile"], known["arm"]])).to_numpy(),
                          index=known.index)
    odd = shown.ne(known["arm"]) & own_count.eq(1) & shown_count.ge(1) & known["arm"].map(arm_sizes).ge(2)
    if not odd.any():
        return
    subjects = ds.text("USUBJID")
    mask = subjects.isin(set(known.index[odd.to_numpy()]))
    yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("USUBJID", "ACTARMCD"),
               extra={"EX shows arm": subjects[mask].map(shown).to_numpy(),
                      "EX": subjects[mask].map(known["profile"]).to_numpy()})


@rule("TD0010", "Warning", "TS dose unit not used in EX", "TS DOSU {unit} is not an EXDOSU of any EX record",
      "SDTMIG 3.4 7.4.2 (DOSU); SDTMIG 3.4 Appendix C", applies_to=("TS",), needs=("TSPARMCD", "TSVAL"))
def check_ts_dosu(study: StudyData, ds: DatasetData):
    ex = study.get("EX")
    if ex is None or "EXDOSU" not in ex.frame.columns:
        return
    units = set(ex.text("EXDOSU").unique()) - {""}
    mask = ds.text("TSPARMCD").eq("DOSU") & ds.filled("TSVAL") & ~ds.text("TSVAL").isin(units)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("TSPARMCD", "TSVAL"),
                   params={"unit": ds.text("TSVAL")[mask].iloc[0]}, extra={"EXDOSU": [", ".join(sorted(units))] *
                                                                          int(mask.sum())})
