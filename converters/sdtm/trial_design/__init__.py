"""Trial design and subject-level design domains: TS, TA, TE, TV, TI, IE, SV, SE.

``build_trial_design(context)`` is the engine's built-in builder (registered in
``converters.sdtm.study.BUILTIN_BUILDERS``); it runs after the spec-driven
domains.  The trial design datasets (TS, TA, TE, TV, TI) come from study.yaml
alone; IE (unless a mapping spec builds it) comes from the raw eligibility
form, SV from the visits of the built domains and SE from the subject element
timeline.  The cross-checks of ``crosschecks`` then run on everything built;
any finding stops the build with a DataError that lists them.
"""
from __future__ import annotations

from converters.errors import DataError, Location
from converters.sdtm.trial_design.crosschecks import check_trial_design
from converters.sdtm.trial_design.ie import build_ie
from converters.sdtm.trial_design.se import build_se
from converters.sdtm.trial_design.sv import build_sv
from converters.sdtm.trial_design.ta import build_ta
from converters.sdtm.trial_design.te import build_te
from converters.sdtm.trial_design.ti import build_ti
from converters.sdtm.trial_design.ts import build_ts, missing_fda_parameters
from converters.sdtm.trial_design.tv import build_tv

__all__ = ["build_ie", "build_se", "build_sv", "build_ta", "build_te", "build_ti", "build_trial_design",
           "build_ts", "build_tv", "check_trial_design", "missing_fda_parameters"]


def build_trial_design(context) -> list:
    """TS, TA, TE, TV, TI, IE (when no spec built it), SE and SV for the engine's build context."""
    from converters.sdtm.study import BuiltDomain, DomainFrames

    study = context.study
    dm = context.domains["DM"].frame
    built = []

    def add(name, frame, dataset, **counts):
        domain = BuiltDomain(name, frame, dataset, **counts)
        built.append(domain)
        return domain

    timeline = context.timeline()
    se = build_se(study, timeline, dm)  # TS SENDTC needs to know who has ended (an open last element)
    add("TS", *build_ts(study, {**context.domains, "SE": se[0]}, context.methods))
    add("TA", *build_ta(study))
    add("TE", *build_te(study))
    tv = add("TV", *build_tv(study)).frame
    ti = add("TI", *build_ti(study, context.comments)).frame
    if "IE" not in context.domains:
        result = build_ie(study, context.raw, dm, ti, timeline, context.log)
        if result is not None:
            source = context.raw[study.document["ie_source"]["form"]].path.name
            add("IE", result.frame, result.dataset, rows_read=result.rows_read, filtered=result.filtered,
                rejected=context.log.dropped_count("IE"), sources=(source,))
            if result.supp is not None:
                add("SUPPIE", *result.supp, rows_read=len(result.frame), parent="IE")
    add("SE", *se)
    domains = {**context.domains, **{d.name: d for d in built}}  # read one domain at a time (DomainFrames)
    add("SV", *build_sv(study, DomainFrames(domains), dm, tv, context.raw, context.log,
                        raw_visits=context.raw_visits))
    domains["SV"] = built[-1]
    findings = check_trial_design(DomainFrames(domains))
    if findings:
        raise DataError("the data disagree with the trial design:\n  " + "\n  ".join(findings),
                        Location(str(study.path)),
                        hint="fix trial_arms, visits or inclusion_exclusion in study.yaml, or the mapping "
                             "spec that fills the variable named")
    return built
