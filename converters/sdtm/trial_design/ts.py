"""TS (Trial Summary) from study.yaml ``trial_summary``.

One record per parameter value, in file order; TSSEQ numbers the values of a
parameter.  TSPARM is the CDISC CT TSPARM term with the same NCI code as the
TSPARMCD term.  Where a CDISC codelist governs the value (trial phase, study
type, NY indicators ...) TSVAL must be a submission value of it, and
TSVALCD/TSVCDREF/TSVCDVER are filled from CT (``CDISC CT`` and the bundled CT
release) when the row does not give them.  A row without a value gives an
ISO 21090 null flavor in TSVALNF.  A row may say ``derive:`` instead of a
value; derivations read DM (so they need all subjects: TS is a study-level
dataset and is not partition-safe by design).
"""
from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from converters.errors import DataError, Location
from converters.metadata.model import Dataset, Method, Origin, ValueLevel, Variable, WhereCondition
from converters.sdtm.dates import date_part
from converters.sdtm.trial_design._common import DERIVED, PROTOCOL, add_identifiers, finish, rows, spec_error, text
from converters.standards import ct

#: Parameters the FDA Study Data Technical Conformance Guide lists for the TS dataset of a clinical
#: study (section on the Trial Summary dataset); SSTDTC is also a technical rejection criterion (1734).
FDA_TCG_PARAMETERS: tuple[str, ...] = (
    "ADDON", "AGEMAX", "AGEMIN", "LENGTH", "PLANSUB", "RANDOM", "SEXPOP", "STOPRULE", "TBLIND", "TCNTRL",
    "TDIGRP", "TINDTP", "TITLE", "TPHASE", "TTYPE", "CURTRT", "OBJPRIM", "OBJSEC", "SPONSOR", "TRT",
    "RANDQT", "STRATFCT", "REGID", "OUTMSPRI", "OUTMSSEC", "OUTMSEXP", "PCLAS", "FCNTRY", "ADAPT",
    "DCUTDTC", "DCUTDESC", "INTMODEL", "NARMS", "STYPE", "INTTYPE", "SSTDTC", "SENDTC", "ACTSUB",
    "HLTSUBJI", "SDTIGVER", "SDTMVER", "THERAREA",
)

#: TS parameters whose TSVAL is a term of a CDISC CT codelist.
VALUE_CODELISTS: dict[str, str] = {
    "TPHASE": "TPHASE", "STYPE": "STYPE", "TTYPE": "TTYPE", "TINDTP": "TINDTP", "TBLIND": "TBLIND",
    "TCNTRL": "TCNTRL", "INTMODEL": "INTMODEL", "INTTYPE": "INTTYPE", "SEXPOP": "SEXPOP",
    "ROUTE": "ROUTE", "DOSU": "UNIT", "DOSFRQ": "FREQ", "DOSFRM": "FRM",
    **{p: "NY" for p in ("ADDON", "ADAPT", "RANDOM", "HLTSUBJI", "DMCIND", "EXTTIND", "PIPIND", "RDIND",
                         "ONGOSIND", "PDSTIND", "PDPSTIND")},
}
#: Parameters whose value is an ISO 8601 date, duration, or a whole number.
DATE_PARAMETERS = frozenset({"SSTDTC", "SENDTC", "DCUTDTC"})
DURATION_PARAMETERS = frozenset({"AGEMIN", "AGEMAX", "LENGTH", "SDMDUR", "CRMDUR", "PLNTRDUR", "PTRTDUR",
                                 "TRGFUDUR"})
COUNT_PARAMETERS = frozenset({"PLANSUB", "ACTSUB", "NARMS", "NCOHORT", "RANDQT"})
#: ISO 21090 NullFlavor codes (the values TSVALNF takes).
NULL_FLAVORS = frozenset({"NI", "INV", "DER", "OTH", "PINF", "NINF", "UNC", "MSK", "NA", "UNK", "ASKU",
                          "NAV", "NASK", "QS", "TRC", "NP"})
#: Null flavor of a derived value that the data cannot give (no information).
NO_INFORMATION = "NI"
CDISC_CT = "CDISC CT"
TSVAL_MAX = 200

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_COUNT = re.compile(r"^\d+$")
COLUMNS = ["STUDYID", "DOMAIN", "TSSEQ", "TSGRPID", "TSPARMCD", "TSPARM", "TSVAL", "TSVALNF", "TSVALCD",
           "TSVCDREF", "TSVCDVER"]
KEYS = ("STUDYID", "TSPARMCD", "TSSEQ")


def _dm(domains: dict | None) -> pd.DataFrame | None:
    if not domains or "DM" not in domains:
        return None
    dm = domains["DM"]
    return dm.frame if hasattr(dm, "frame") else dm


def derive_earliest_consent_date(study, domains) -> str | None:
    """SSTDTC: the earliest informed-consent date of any subject (min DM.RFICDTC, date part)."""
    dm = _dm(domains)
    if dm is None or "RFICDTC" not in dm:
        return None
    days = date_part(dm["RFICDTC"]).dropna()
    return days.min().strftime("%Y-%m-%d") if len(days) else None


def derive_latest_participation_end(study, domains) -> str | None:
    """SENDTC: the latest end of participation (max DM.RFPENDTC), once every subject has ended.

    A subject has ended when it has RFPENDTC and, when SE is given, its last element has an end
    (SEENDTC, the end-of-study date): a subject ongoing at the data cut-off has RFPENDTC (its last
    contact) but an open last element, so the study has no end date yet.  A partial end date
    (``2026-06``) that may be later than the latest complete one makes the study end date partial to
    the same precision.
    """
    dm = _dm(domains)
    if dm is None or "RFPENDTC" not in dm or dm.empty or dm["RFPENDTC"].isna().any():
        return None
    se_records = domains.get("SE") if domains else None
    se = getattr(se_records, "frame", se_records)  # built records or a plain frame
    if se is not None and not se.empty:
        last = se.sort_values(["USUBJID", "TAETORD"], kind="mergesort").drop_duplicates("USUBJID", keep="last")
        if last["SEENDTC"].isna().any():
            return None
    text = dm["RFPENDTC"].astype("string").str.slice(0, 10)
    full = date_part(dm["RFPENDTC"])
    latest = full.max().strftime("%Y-%m-%d") if full.notna().any() else ""
    partial = text[full.isna()].dropna()
    partial = partial[partial.str.fullmatch(r"\d{4}(-\d{2})?").fillna(False).astype(bool)]
    later = [p for p in sorted(set(partial)) if p >= latest[: len(p)]]
    if later:
        return max(later, key=lambda p: (p[:4], p[5:7] or "99"))
    return latest or None


def derive_treated_subjects(study, domains) -> str | None:
    """ACTSUB: the number of subjects who received study treatment (DM.RFSTDTC present)."""
    dm = _dm(domains)
    if dm is None or "RFSTDTC" not in dm:
        return None
    return str(int(dm["RFSTDTC"].notna().sum()))


def derive_planned_arms(study, domains) -> str | None:
    """NARMS: the number of arms of the trial design (TA)."""
    return str(len(getattr(study, "trial_arms", {}) or {})) or None


#: ``derive:`` names usable in trial_summary rows.
DERIVATIONS: dict[str, Callable] = {
    "earliest_consent_date": derive_earliest_consent_date,
    "latest_participation_end": derive_latest_participation_end,
    "treated_subjects": derive_treated_subjects,
    "planned_arms": derive_planned_arms,
}


def parameter_names() -> dict[str, str]:
    """TSPARMCD -> TSPARM of the bundled CT (terms paired by NCI code)."""
    names = {t.code: t.submission_value for t in ct.codelist("TSPARM").terms}
    return {t.submission_value: names[t.code] for t in ct.codelist("TSPARMCD").terms if t.code in names}


def split_value(value: str, limit: int = TSVAL_MAX) -> list[str]:
    """``value`` in pieces of at most ``limit`` characters (SDTMIG 3.4 section 4.5.3.2: the first piece is
    TSVAL, the others TSVAL1, TSVAL2 ...).  Pieces are cut at a space, which is dropped (no piece starts
    or ends with a blank): read them joined with one space.  A word longer than ``limit`` is cut inside."""
    pieces, rest = [], value.strip()
    while len(rest) > limit:
        cut = rest.rfind(" ", 1, limit + 1)
        if cut > 0:
            pieces.append(rest[:cut].rstrip())
            rest = rest[cut + 1:].lstrip()
        else:
            pieces.append(rest[:limit])
            rest = rest[limit:]
    return pieces + [rest]


def _check_value(study, parmcd: str, value: str, line) -> None:
    if parmcd in VALUE_CODELISTS and len(value) > TSVAL_MAX:
        raise spec_error(study, f"TS {parmcd}: TSVAL is {len(value)} characters; at most {TSVAL_MAX}", line)
    if parmcd in DATE_PARAMETERS and not _DATE.match(value):
        raise spec_error(study, f"TS {parmcd}: {value!r} is not an ISO 8601 date (YYYY-MM-DD)", line)
    if parmcd in DURATION_PARAMETERS and not _DURATION.match(value):
        raise spec_error(study, f"TS {parmcd}: {value!r} is not an ISO 8601 duration (e.g. P18Y, P24M)", line)
    if parmcd in COUNT_PARAMETERS and not _COUNT.match(value):
        raise spec_error(study, f"TS {parmcd}: {value!r} is not a whole number", line)


def _coded(study, parmcd: str, record: dict, line) -> None:
    """Check a CT-governed value and fill its code, dictionary name and version from CT."""
    info = ct.codelist(VALUE_CODELISTS[parmcd])
    term = info.term(record["TSVAL"])
    if term is None:
        suggestion = ct.to_submission_value(info.name, record["TSVAL"])
        hint = (f"write the submission value {suggestion!r}" if suggestion else
                f"use a term of codelist {info.name} ({info.code})")
        raise spec_error(study, f"TS {parmcd}: {record['TSVAL']!r} is not a term of CDISC codelist {info.name}",
                         line, hint=hint)
    if record["TSVALCD"] and record["TSVALCD"] != term.code:
        raise spec_error(study, f"TS {parmcd}: TSVALCD {record['TSVALCD']} is not the NCI code of "
                                f"{record['TSVAL']!r} ({term.code})", line)
    if record["TSVCDREF"] and record["TSVCDREF"] != CDISC_CT:
        raise spec_error(study, f"TS {parmcd}: a CDISC CT value needs TSVCDREF {CDISC_CT!r}", line)
    if record["TSVCDVER"] and record["TSVCDVER"] != ct.version:
        raise spec_error(study, f"TS {parmcd}: TSVCDVER {record['TSVCDVER']} is not the CT release in use "
                                f"({ct.version})", line)
    record.update(TSVALCD=term.code, TSVCDREF=CDISC_CT, TSVCDVER=ct.version)


def trial_summary_records(study, domains: dict | None = None) -> list[dict]:
    """The TS records of ``trial_summary`` (derivations resolved, CT codes filled), in file order."""
    names = parameter_names()
    out = []
    for node, line in rows(study, "trial_summary"):
        parmcd = text(node.get("TSPARMCD"))
        if parmcd is None:
            raise spec_error(study, "trial_summary row needs TSPARMCD", line)
        if parmcd not in names:
            raise spec_error(study, f"TSPARMCD {parmcd!r} is not a term of CDISC codelist TSPARMCD (C66738)", line,
                             hint="'cdisc-convert standards codelist TSPARMCD' lists the parameters")
        record = {"TSPARMCD": parmcd, "TSPARM": names[parmcd],
                  **{k: text(node.get(k)) for k in ("TSVAL", "TSVALNF", "TSVALCD", "TSVCDREF", "TSVCDVER",
                                                    "TSGRPID")}}
        derive = text(node.get("derive"))
        if derive is not None:
            if derive not in DERIVATIONS:
                raise spec_error(study, f"TS {parmcd}: unknown derivation {derive!r}", line,
                                 hint=f"known: {', '.join(sorted(DERIVATIONS))}")
            record["TSVAL"] = DERIVATIONS[derive](study, domains)
            record["derive"] = derive
            if record["TSVAL"] is not None:
                record["TSVALNF"] = None  # a TSVALNF given with derive: is the null flavor when underivable
            if record["TSVAL"] is None and parmcd == "SSTDTC" and domains is not None:
                raise DataError("TS SSTDTC: no informed-consent date to derive the study start date from",
                                Location(str(study.path), line),
                                hint="FDA rejects a submission whose TS has no valid SSTDTC; give the date in "
                                     "study.yaml or check DM.RFICDTC")
            if record["TSVAL"] is None:
                record["TSVALNF"] = record["TSVALNF"] or NO_INFORMATION
        if (record["TSVAL"] is None) == (record["TSVALNF"] is None):
            raise spec_error(study, f"TS {parmcd}: give either TSVAL or TSVALNF (a null flavor), not "
                                    f"{'both' if record['TSVAL'] else 'neither'}", line)
        if record["TSVALNF"] is not None:
            if record["TSVALNF"] not in NULL_FLAVORS:
                raise spec_error(study, f"TS {parmcd}: TSVALNF {record['TSVALNF']!r} is not an ISO 21090 "
                                        f"null flavor", line, hint=f"use one of {', '.join(sorted(NULL_FLAVORS))}")
            out.append(record)
            continue
        tsval = record["TSVAL"]
        if tsval is None:  # pragma: no cover - the either/or check above rules this out
            raise spec_error(study, f"TS {parmcd}: give either TSVAL or TSVALNF (a null flavor)", line)
        _check_value(study, parmcd, tsval, line)
        cutoff = getattr(study, "data_cutoff", None)
        if parmcd == "DCUTDTC" and cutoff and record["TSVAL"] != cutoff:
            raise spec_error(study, f"TS DCUTDTC is {record['TSVAL']} but study.yaml data_cutoff is {cutoff}", line)
        arms = getattr(study, "trial_arms", None)
        if parmcd == "NARMS" and arms and record["TSVAL"] != str(len(arms)):
            raise spec_error(study, f"TS NARMS is {record['TSVAL']} but trial_arms defines {len(arms)} arm(s)", line,
                             hint="write the number of arms, or 'derive: planned_arms'")
        if parmcd in VALUE_CODELISTS:
            _coded(study, parmcd, record, line)
        elif record["TSVCDREF"] == "ISO 3166" and record["TSVALCD"] is None:
            record["TSVALCD"] = record["TSVAL"]  # the alpha-3 code is its own value
        if (record["TSVALCD"] is None) != (record["TSVCDREF"] is None):
            raise spec_error(study, f"TS {parmcd}: TSVALCD and TSVCDREF go together", line)
        if record["TSVCDREF"] and not record["TSVCDVER"] and not record["TSVCDREF"].startswith("ISO"):
            raise spec_error(study, f"TS {parmcd}: TSVCDREF {record['TSVCDREF']} needs TSVCDVER (the dictionary "
                                    f"version the code is from)", line,
                             hint="give TSVCDVER, or leave the value uncoded")
        out.append(record)
    return out


def build_ts(study, domains: dict | None = None,
             methods: dict[str, Method] | None = None) -> tuple[pd.DataFrame, Dataset]:
    """TS frame and metadata from study.yaml.

    ``domains`` (name -> built domain or frame) feeds the ``derive:`` rows; without it they get the null
    flavor NI, and with it a study start date that cannot be derived is an error.  With ``methods`` (the
    build's method registry) each derived parameter gets a value-level TSVAL entry (origin Derived) and
    its method.
    """
    records = trial_summary_records(study, domains)
    extra: dict[str, list] = {}
    for i, record in enumerate(records):
        if record["TSVAL"] and len(record["TSVAL"]) > TSVAL_MAX:
            first, *rest = split_value(record["TSVAL"])
            record["TSVAL"] = first
            for n, piece in enumerate(rest, start=1):
                extra.setdefault(f"TSVAL{n}", [None] * len(records))[i] = piece
    derived_rows = [(r["TSPARMCD"], r.pop("derive")) for r in records if "derive" in r]
    frame = pd.DataFrame(records, columns=[c for c in COLUMNS if c not in ("STUDYID", "DOMAIN", "TSSEQ")])
    add_identifiers(frame, study, "TS")
    frame.insert(2, "TSSEQ", (frame.groupby("TSPARMCD", sort=False).cumcount() + 1).astype("float64"))
    frame = frame.astype({c: "object" for c in COLUMNS if c != "TSSEQ"})
    frame = frame.where(frame.notna(), None)
    frame, dataset = finish("TS", frame[COLUMNS], KEYS, {"TSSEQ": DERIVED}, PROTOCOL)
    if extra:
        at = dataset.variable_names.index("TSVAL") + 1
        for n, name in enumerate(sorted(extra, key=lambda k: int(k[5:])), start=0):
            frame.insert(at + n, name, pd.Series(extra[name], dtype="object"))
            dataset.variables.insert(at + n, Variable(
                name=name, label=f"Parameter Value {name[5:]}", data_type="text", core="Perm",
                length=max(len(v) for v in extra[name] if v), origin=PROTOCOL))
        for order, var in enumerate(dataset.variables, start=1):
            var.order = order
    if methods is not None:
        _describe_derived(frame, dataset, derived_rows, methods)
    return frame, dataset


def _describe_derived(frame: pd.DataFrame, dataset: Dataset, derived: list[tuple[str, str]],
                      methods: dict[str, Method]) -> None:
    """Value-level TSVAL entries (origin Derived, with a method) for the derived parameters."""
    tsval = dataset.variable("TSVAL")
    for parmcd, name in derived:
        values = frame.loc[frame["TSPARMCD"] == parmcd, "TSVAL"].dropna()
        if values.empty:
            continue
        oid = f"MT.TS.{parmcd}"
        doc = (DERIVATIONS[name].__doc__ or name).strip()
        methods[oid] = Method(oid, f"Algorithm to derive TS.TSVAL for {parmcd}", doc.split(": ", 1)[-1])
        item = Variable(name="TSVAL", label=tsval.label, data_type="date" if parmcd in DATE_PARAMETERS else
                        ("integer" if parmcd in COUNT_PARAMETERS else "text"),
                        length=int(values.str.len().max()), origin=Origin("Derived", "Sponsor"), method=oid)
        dataset.value_level.append(ValueLevel("TSVAL", (WhereCondition("TS", "TSPARMCD", "EQ", (parmcd,)),), item))
    if dataset.value_level:
        tsval.value_list = "VL.TS.TSVAL"


def missing_fda_parameters(ts: pd.DataFrame) -> list[str]:
    """FDA TCG parameters with no TS record (a record with a null flavor counts as present)."""
    present = set(ts["TSPARMCD"]) if "TSPARMCD" in ts else set()
    return [p for p in FDA_TCG_PARAMETERS if p not in present]
