"""Consistency of the subject-level data with the trial design, checked inside the build.

Each check takes frames and returns a list of findings (empty when it holds):

* every ARMCD in DM is an arm of TA (screen failures have no ARMCD);
* every EPOCH value in any domain is an EPOCH of TA;
* every VISITNUM of a planned visit is in TV, with TV's VISIT name;
* every IETESTCD in IE is a criterion of TI, with TI's IECAT;
* every SE element is an element of the subject's arm in TA, at its TAETORD and EPOCH;
* the EPOCH of every dated record is the EPOCH of the SE element that contains its date.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from converters.sdtm.epoch import derive_epoch
from converters.sdtm.trial_design.sv import record_date_variable

#: DM ARMCD values that mean "no arm" in older SDTMIG versions; 3.4 leaves ARMCD blank instead.
NO_ARM = frozenset({"SCRNFAIL", "NOTASSGN", "NOTTRT"})
#: How many example values a finding names.
EXAMPLES = 3
TRIAL_DESIGN = frozenset({"TA", "TE", "TV", "TI", "TS"})


def _examples(values) -> str:
    values = sorted({str(v) for v in values})
    more = f" and {len(values) - EXAMPLES} more" if len(values) > EXAMPLES else ""
    return ", ".join(values[:EXAMPLES]) + more


def check_dm_arms_in_ta(dm: pd.DataFrame, ta: pd.DataFrame) -> list[str]:
    """ARMCD of DM subjects that TA does not define."""
    if "ARMCD" not in dm:
        return []
    armcd = dm["ARMCD"]
    bad = armcd.notna() & ~armcd.isin(set(ta["ARMCD"])) & ~armcd.isin(NO_ARM)
    if not bad.any():
        return []
    return [f"DM: ARMCD {_examples(armcd[bad])} of {int(bad.sum())} subject(s) "
            f"(e.g. {_examples(dm.loc[bad, 'USUBJID'])}) is not an arm of TA"]


def _names(domains: Mapping[str, pd.DataFrame], name: str) -> list[str]:
    from converters.sdtm.study import domain_column_names

    return domain_column_names(domains, name)


def _columns(domains: Mapping[str, pd.DataFrame], name: str, names: list[str]) -> pd.DataFrame:
    """Only the columns a check reads of one domain (made alone when held as codes, ``study.DomainFrames``)."""
    from converters.sdtm.study import domain_columns

    return domain_columns(domains, name, names)


def check_epochs_in_ta(domains: Mapping[str, pd.DataFrame], ta: pd.DataFrame) -> list[str]:
    """EPOCH values that are not epochs of TA, per domain."""
    epochs = set(ta["EPOCH"])
    out = []
    for name in sorted(domains):
        if name == "TA" or "EPOCH" not in _names(domains, name):
            continue
        frame = _columns(domains, name, ["EPOCH"])
        bad = frame["EPOCH"].notna() & ~frame["EPOCH"].isin(epochs)
        if bad.any():
            out.append(f"{name}: EPOCH {_examples(frame.loc[bad, 'EPOCH'])} in {int(bad.sum())} record(s) "
                       f"is not an epoch of TA")
    return out


def planned_visit_mask(name: str, frame: pd.DataFrame) -> pd.Series:
    """Records at a planned visit: SV says so in SVPRESP; elsewhere unplanned visits are 'UNSCHEDULED ...'."""
    has_visit = pd.to_numeric(frame["VISITNUM"], errors="coerce").notna()
    if name == "SV" and "SVPRESP" in frame:
        return has_visit & (frame["SVPRESP"] == "Y").fillna(False).astype(bool)
    if "VISIT" not in frame:
        return has_visit
    codes, uniques = pd.factorize(frame["VISIT"])  # visit names repeat: each looked at once
    names = pd.Series(uniques, dtype="object").astype("string")
    unscheduled = np.append(names.str.upper().str.startswith("UNSCHEDULED").fillna(False).to_numpy(dtype=bool),
                            False)
    return has_visit & ~pd.Series(unscheduled[codes], index=frame.index)


def check_planned_visits_in_tv(domains: Mapping[str, pd.DataFrame], tv: pd.DataFrame) -> list[str]:
    """Planned-visit VISITNUMs missing from TV, or whose VISIT differs from TV's name for that number."""
    names = dict(zip(tv["VISITNUM"].astype("float64"), tv["VISIT"]))
    out = []
    for name in sorted(domains):
        if name == "TV" or "VISITNUM" not in _names(domains, name):
            continue
        frame = _columns(domains, name, ["VISITNUM", "VISIT", "SVPRESP"])
        planned = planned_visit_mask(name, frame)
        num = pd.to_numeric(frame["VISITNUM"], errors="coerce")
        missing = planned & ~num.isin(set(names))
        if missing.any():
            out.append(f"{name}: planned VISITNUM {_examples(num[missing])} in {int(missing.sum())} record(s) "
                       f"is not a visit of TV")
        if "VISIT" in frame:
            expected = num.map(names)
            wrong = planned & ~missing & (frame["VISIT"] != expected).fillna(True).astype(bool)
            if wrong.any():
                out.append(f"{name}: VISIT {_examples(frame.loc[wrong, 'VISIT'])} in {int(wrong.sum())} record(s) "
                           f"differs from TV's name for its VISITNUM")
    return out


def check_ie_tests_in_ti(ie: pd.DataFrame, ti: pd.DataFrame) -> list[str]:
    """IE criteria that TI does not define, or whose IECAT differs from TI's."""
    out = []
    bad = ~ie["IETESTCD"].isin(set(ti["IETESTCD"]))
    if bad.any():
        out.append(f"IE: IETESTCD {_examples(ie.loc[bad, 'IETESTCD'])} in {int(bad.sum())} record(s) "
                   f"is not a criterion of TI")
    if "IECAT" in ie and "IECAT" in ti:
        expected = ie["IETESTCD"].map(ti.set_index("IETESTCD")["IECAT"])
        wrong = ~bad & (ie["IECAT"] != expected)
        if wrong.any():
            out.append(f"IE: IECAT of {_examples(ie.loc[wrong, 'IETESTCD'])} differs from TI")
    return out


def check_se_follows_ta(se: pd.DataFrame, dm: pd.DataFrame, ta: pd.DataFrame) -> list[str]:
    """SE records whose (ETCD, TAETORD, EPOCH) is not in TA for the subject's arm (first arm if none)."""
    if se.empty:
        return []
    first_arm = ta["ARMCD"].iloc[0] if len(ta) else None
    arm = se["USUBJID"].map(dm.set_index("USUBJID")["ARMCD"]) if "ARMCD" in dm else pd.Series(None, index=se.index)
    arm = arm.where(arm.notna() & ~arm.isin(NO_ARM), first_arm)
    probe = pd.DataFrame({"ARMCD": arm.astype("object"), "ETCD": se["ETCD"],
                          "TAETORD": se["TAETORD"].astype("float64"), "EPOCH": se["EPOCH"]})
    plan = ta[["ARMCD", "ETCD", "TAETORD", "EPOCH"]].astype({"TAETORD": "float64"}).drop_duplicates()
    hit = probe.merge(plan.assign(__in__=True), on=["ARMCD", "ETCD", "TAETORD", "EPOCH"], how="left")
    bad = hit["__in__"].isna().to_numpy()
    if not bad.any():
        return []
    return [f"SE: {int(bad.sum())} element record(s) (e.g. {_examples(se.loc[bad, 'USUBJID'])}) do not match "
            f"the ETCD, TAETORD and EPOCH of the subject's arm in TA"]


def check_epoch_agrees_with_se(domains: Mapping[str, pd.DataFrame], se: pd.DataFrame) -> list[str]:
    """Records whose EPOCH is not the EPOCH of the SE element containing their date (--STDTC, else --DTC)."""
    out = []
    for name in sorted(domains):
        if name in TRIAL_DESIGN or name == "SE":
            continue
        present = _names(domains, name)
        if "EPOCH" not in present or "USUBJID" not in present:
            continue
        dated = record_date_variable(name, pd.DataFrame(columns=present))
        if dated is None:
            continue
        frame = _columns(domains, name, ["USUBJID", dated, "EPOCH"]).drop_duplicates().reset_index(drop=True)
        expected = derive_epoch(frame[dated], frame["USUBJID"], se)
        wrong = (frame["EPOCH"].astype("object").fillna("") != expected.astype("object").fillna("")).to_numpy()
        if wrong.any():
            out.append(f"{name}: EPOCH of {int(wrong.sum())} distinct subject-date(s) (e.g. "
                       f"{_examples(frame.loc[wrong, 'USUBJID'])}) is not the EPOCH of the SE element "
                       f"containing {dated}")
    return out


def check_trial_design(domains: Mapping[str, pd.DataFrame]) -> list[str]:
    """Every check whose datasets are present in ``domains`` (name -> frame)."""
    findings: list[str] = []
    if "TA" in domains:
        if "DM" in domains:
            findings += check_dm_arms_in_ta(domains["DM"], domains["TA"])
        findings += check_epochs_in_ta(domains, domains["TA"])
        if "SE" in domains and "DM" in domains:
            findings += check_se_follows_ta(domains["SE"], domains["DM"], domains["TA"])
    if "TV" in domains:
        findings += check_planned_visits_in_tv(domains, domains["TV"])
    if "IE" in domains and "TI" in domains:
        findings += check_ie_tests_in_ti(domains["IE"], domains["TI"])
    if "SE" in domains:
        findings += check_epoch_agrees_with_se(domains, domains["SE"])
    return findings
