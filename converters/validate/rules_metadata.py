"""Dataset and variable metadata: names, labels, types, lengths, order, Core, unknown variables, XPT limits, ASCII."""
from __future__ import annotations

import re


from converters.validate._std import INTRODUCED, class_variables, standard_key, standard_variables
from converters.validate.data import DatasetData, StudyData
from converters.validate.model import Hits, rule, rows_of

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
#: Variables that SDTMIG lets any domain of a general class carry (SDTM v2.0 section 2.2).
_TIMING_AND_IDS = {"STUDYID", "DOMAIN", "USUBJID", "POOLID", "SPDEVID", "VISITNUM", "VISIT", "VISITDY",
                   "TAETORD", "EPOCH", "APID", "SUBJID"}
XPT = "SAS XPORT v5 (SAS TS-140); FDA Study Data Technical Conformance Guide 3.3"


@rule("MD0000", "Error", "Dataset file cannot be read",
      "{file} cannot be read: {reason}", "FDA Study Data Technical Conformance Guide 3.3", applies_to=("study",), standard="any")
def check_unreadable(study: StudyData, _):
    for file, reason in study.problems:
        yield Hits(dataset=file.rsplit(".", 1)[0].upper(), params={"file": file, "reason": reason}, value=file)


@rule("MD0001", "Error", "Dataset name is not a valid XPT v5 name",
      "Dataset name {dataset} is longer than 8 characters or is not letters, digits and underscores",
      f"{XPT}; SDTMIG 3.4 4.1.6", fda="", standard="any")
def check_dataset_name(study, ds: DatasetData):
    if len(ds.name) > 8 or not _NAME.match(ds.name):
        yield Hits(dataset=ds.name, value=ds.name)


@rule("MD0002", "Error", "Dataset label longer than 40 characters",
      "Dataset label of {dataset} is {length} characters long (XPT v5 allows 40)", XPT, standard="any")
def check_dataset_label_length(study, ds: DatasetData):
    if len(ds.meta.label or "") > 40:
        yield Hits(dataset=ds.name, params={"length": len(ds.meta.label)}, value=ds.meta.label)


@rule("MD0003", "Warning", "Dataset label missing", "Dataset {dataset} has no label",
      "SDTMIG 3.4 3.2.1", standard="any")
def check_dataset_label_missing(study, ds: DatasetData):
    if not (ds.meta.label or "").strip():
        yield Hits(dataset=ds.name)


@rule("MD0004", "Warning", "Dataset label differs from SDTMIG",
      "Dataset label '{label}' of {dataset} differs from the SDTMIG label '{expected}'", "SDTMIG 3.4 3.2.1")
def check_dataset_label_standard(study, ds: DatasetData):
    from converters.standards import sdtmig

    if ds.name.startswith("SUPP") or not sdtmig.has_dataset(ds.name):
        return
    expected = sdtmig.dataset(ds.name).label
    label = (ds.meta.label or "").strip()
    if label and expected and label.upper() != expected.upper():
        yield Hits(dataset=ds.name, params={"label": label, "expected": expected}, value=label)


@rule("MD0005", "Error", "Variable name longer than 8 characters",
      "Variable name {variable} is longer than 8 characters", f"{XPT}; SDTMIG 3.4 4.2.1", standard="any")
def check_variable_name_length(study, ds: DatasetData):
    for name in ds.columns:
        if len(name) > 8:
            yield Hits(dataset=ds.name, variables=(name,), value=name)


@rule("MD0006", "Error", "Variable name has invalid characters",
      "Variable name {variable} must start with a letter and hold only letters, digits and underscores",
      f"{XPT}; SDTMIG 3.4 4.2.1", standard="any")
def check_variable_name_chars(study, ds: DatasetData):
    for name in ds.columns:
        if not _NAME.match(name):
            yield Hits(dataset=ds.name, variables=(name,), value=name)


@rule("MD0007", "Error", "Variable label longer than 40 characters",
      "Label of {variable} is {length} characters long (XPT v5 allows 40)", XPT, standard="any")
def check_variable_label_length(study, ds: DatasetData):
    for var in ds.meta.variables:
        if len(var.label or "") > 40:
            yield Hits(dataset=ds.name, variables=(var.name,), params={"length": len(var.label)}, value=var.label)


@rule("MD0008", "Warning", "Variable label missing", "Variable {variable} has no label", "SDTMIG 3.4 3.2.1", standard="any")
def check_variable_label_missing(study, ds: DatasetData):
    for var in ds.meta.variables:
        if not (var.label or "").strip():
            yield Hits(dataset=ds.name, variables=(var.name,))


@rule("MD0009", "Warning", "Variable label differs from SDTMIG",
      "Label '{label}' of {variable} differs from the SDTMIG label '{expected}'", "SDTMIG 3.4 4.1.4; SDTMIG 3.4 6")
def check_variable_label_standard(study, ds: DatasetData):
    if ds.name.startswith("SUPP"):
        return
    expected = {v.name: v.label for v in standard_variables(ds)}
    for var in ds.meta.variables:
        want = expected.get(var.name)
        if want and (var.label or "").strip() and var.label.strip().upper() != want.upper():
            yield Hits(dataset=ds.name, variables=(var.name,), params={"label": var.label, "expected": want},
                       value=var.label)


@rule("MD0010", "Error", "Variable type differs from SDTMIG",
      "{variable} is stored as {actual} but SDTMIG defines it as {expected}", "SDTMIG 3.4 6; SDTM v2.0 2.2")
def check_variable_type(study, ds: DatasetData):
    expected = {v.name: v.type for v in standard_variables(ds)}
    for name in ds.columns:
        want = expected.get(name)
        if want:
            actual = "Num" if ds.is_numeric(name) else "Char"
            if actual != want:
                yield Hits(dataset=ds.name, variables=(name,), params={"actual": actual, "expected": want},
                           value=actual)


@rule("MD0011", "Warning", "Variables not in SDTMIG order",
      "{variable} comes before {before} in {dataset}, but SDTMIG orders {before} first", "SDTMIG 3.4 4.1.4")
def check_variable_order(study, ds: DatasetData):
    order = {v.name: v.order for v in standard_variables(ds)}
    present = [(name, order[name]) for name in ds.columns if name in order]
    for (first, a), (second, b) in zip(present, present[1:]):
        if a > b:
            yield Hits(dataset=ds.name, variables=(first,), params={"before": second}, value=second)
            return


@rule("MD0012", "Error", "Required variable missing", "Required variable {variable} is not in {dataset}",
      "SDTMIG 3.4 4.1.5", fda="")
def check_required_present(study, ds: DatasetData):
    for var in standard_variables(ds):
        if var.core == "Req" and var.name not in ds.frame.columns:
            yield Hits(dataset=ds.name, variables=(var.name,), value=var.name)


@rule("MD0013", "Error", "Required variable has null values",
      "Required variable {variable} is null", "SDTMIG 3.4 4.1.5")
def check_required_not_null(study, ds: DatasetData):
    for var in standard_variables(ds):
        if var.core == "Req" and var.name in ds.frame.columns:
            mask = ~ds.filled(var.name)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(var.name,))


@rule("MD0014", "Warning", "Expected variable missing", "Expected variable {variable} is not in {dataset}",
      "SDTMIG 3.4 4.1.5")
def check_expected_present(study, ds: DatasetData):
    for var in standard_variables(ds):
        if var.core == "Exp" and var.name not in ds.frame.columns:
            yield Hits(dataset=ds.name, variables=(var.name,), value=var.name,
                       params={"since": INTRODUCED.get(var.name, "")})


@rule("MD0015", "Warning", "Variable not defined for the domain",
      "{variable} is neither an SDTMIG variable of {dataset} nor an SDTM model variable of its class; "
      "non-standard variables belong in SUPP{dataset}", "SDTMIG 3.4 2.7; SDTMIG 3.4 8.4; SDTM v2.0 2.2")
def check_unknown_variables(study, ds: DatasetData):
    from converters.validate.engine import dataset_class

    known = {v.name for v in standard_variables(ds)}
    if not known:
        return
    allowed = class_variables(dataset_class(ds))
    for name in ds.columns:
        if name in known or name in _TIMING_AND_IDS:
            continue
        if name.startswith(ds.prefix) and "--" + name[len(ds.prefix):] in allowed:
            continue  # e.g. AEDTC (timing) or MHHLT (MedDRA hierarchy of the Events class)
        yield Hits(dataset=ds.name, variables=(name,), value=name)


@rule("MD0016", "Error", "Character value longer than 200 bytes",
      "{variable} has a value longer than 200 bytes (XPT v5 limit)", f"{XPT}; SDTMIG 3.4 4.5.3.2", standard="any")
def check_value_length(study, ds: DatasetData):
    for name in ds.columns:
        if not ds.is_numeric(name):
            mask = ds.rows_mask(name, ds.text_facts(name).over_200)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("MD0017", "Error", "Variable length over 200", "{variable} is declared {length} bytes long (XPT v5 allows 200)",
      XPT, standard="any")
def check_declared_length(study, ds: DatasetData):
    for var in ds.meta.variables:
        if not var.is_numeric and (var.length or 0) > 200:
            yield Hits(dataset=ds.name, variables=(var.name,), params={"length": var.length}, value=str(var.length))


@rule("MD0018", "Error", "Non-ASCII characters in values",
      "{variable} holds characters outside ASCII, which XPT v5 cannot carry", f"{XPT}; SDTMIG 3.4 4.2.4", standard="any")
def check_ascii_values(study, ds: DatasetData):
    for name in ds.columns:
        if not ds.is_numeric(name):
            if not ds.text_facts(name).ascii:
                mask = ds.unique_mask(name, lambda u: ~u.map(str.isascii), raw=True)
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("MD0019", "Error", "Non-ASCII characters in labels",
      "Label of {variable} holds characters outside ASCII", XPT, standard="any")
def check_ascii_labels(study, ds: DatasetData):
    if not (ds.meta.label or "").isascii():
        yield Hits(dataset=ds.name, variables=("(dataset label)",), value=ds.meta.label)
    for var in ds.meta.variables:
        if not (var.label or "").isascii():
            yield Hits(dataset=ds.name, variables=(var.name,), value=var.label)


@rule("MD0020", "Notice", "Dataset has no records", "{dataset} has no records; empty datasets are not submitted",
      "FDA Study Data Technical Conformance Guide 4.1.1.2", standard="any")
def check_empty(study, ds: DatasetData):
    if len(ds) == 0:
        yield Hits(dataset=ds.name)


@rule("MD0021", "Notice", "Custom domain", "{dataset} is not a domain of SDTMIG 3.4 (custom domain)",
      "SDTMIG 3.4 2.6")
def check_custom_domain(study, ds: DatasetData):
    if standard_key(ds) is None:
        yield Hits(dataset=ds.name, value=ds.name)


@rule("MD0022", "Error", "DOMAIN value does not match the dataset",
      "DOMAIN is not {domain}, the domain of dataset {dataset}", "SDTMIG 3.4 4.2.2", needs=("DOMAIN",))
def check_domain_value(study, ds: DatasetData):
    if ds.name.startswith("SUPP") or len(ds) == 0:
        return
    expected = ds.name if len(ds.name) == 2 else ds.domain
    mask = ds.per_value("DOMAIN", lambda u: u.ne(expected))  # per distinct value; missing is '' (not expected)
    if mask.any():
        yield Hits(dataset=ds.name, rows=rows_of(mask), variables=("DOMAIN",), params={"domain": expected})


@rule("MD0023", "Warning", "Declared length longer than the longest value",
      "{variable} is declared {length} bytes but its longest value has {longest}; set lengths to the longest value",
      "FDA Study Data Technical Conformance Guide 3.3.2", standard="any")
def check_length_trimmed(study, ds: DatasetData):
    if len(ds) == 0:
        return
    for var in ds.meta.variables:
        if var.is_numeric or not var.length or var.name not in ds.frame.columns:
            continue
        longest = ds.text_facts(var.name).longest
        if var.length > max(longest, 1):
            yield Hits(dataset=ds.name, variables=(var.name,), params={"length": var.length, "longest": longest},
                       value=str(var.length))


@rule("MD0024", "Notice", "Permissible variable never populated",
      "Permissible variable {variable} has no values in {dataset}; leave it out", "SDTMIG 3.4 4.1.5")
def check_perm_empty(study, ds: DatasetData):
    if len(ds) == 0:
        return
    for var in standard_variables(ds):
        if var.core == "Perm" and var.name in ds.frame.columns and not ds.filled(var.name).any():
            yield Hits(dataset=ds.name, variables=(var.name,), value=var.name)


@rule("MD0025", "Warning", "Value with leading spaces", "{variable} has values that start with a space",
      "SDTMIG 3.4 4.2.4", standard="any")
def check_leading_spaces(study, ds: DatasetData):
    for name in ds.columns:
        if not ds.is_numeric(name):
            mask = ds.rows_mask(name, ds.text_facts(name).leading_space)
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(name,))


@rule("MD0026", "Error", "File name does not match the dataset name",
      "File {file} holds dataset {dataset}; the file must be named after the dataset", "FDA Study Data Technical "
      "Conformance Guide 3.3.1", standard="any")
def check_file_name(study, ds: DatasetData):
    if ds.path is not None and ds.path.stem.upper() != ds.name:
        yield Hits(dataset=ds.name, params={"file": ds.path.name}, value=ds.path.name)


@rule("MD0027", "Warning", "Dataset larger than 5 GB",
      "{dataset} is {size} GB; datasets over 5 GB must be split", "FDA Study Data Technical Conformance Guide 3.3.2", standard="any")
def check_file_size(study, ds: DatasetData):
    if ds.path is not None and ds.path.is_file():
        size = ds.path.stat().st_size / 1e9
        if size > 5:
            yield Hits(dataset=ds.name, params={"size": f"{size:.1f}"}, value=f"{size:.1f}")


@rule("MD0028", "Error", "Numeric variable holds non-numbers",
      "{variable} is defined as Num in SDTMIG but holds text that is not a number", "SDTMIG 3.4 6")
def check_numeric_text(study, ds: DatasetData):
    for var in standard_variables(ds):
        if var.type == "Num" and var.name in ds.frame.columns and not ds.is_numeric(var.name):
            text = ds.text(var.name)
            mask = text.ne("") & ds.number(var.name).isna()
            if mask.any():
                yield Hits(dataset=ds.name, rows=rows_of(mask), variables=(var.name,))



def _xpt_facts(ds: DatasetData):
    from converters.validate.xptfile import XptFacts

    return ds.facts if isinstance(ds.facts, XptFacts) else None


@rule("MD0029", "Error", "XPT file is not version 5",
      "{file} is a SAS transport version {version} file; FDA requires version 5", f"{XPT}; FDA Study Data "
      "Technical Conformance Guide 3.3.1", standard="any")
def check_xpt_version(study, ds: DatasetData):
    facts = _xpt_facts(ds)
    if facts is not None and facts.version != 5 and ds.path is not None:
        yield Hits(dataset=ds.name, params={"file": ds.path.name, "version": facts.version},
                   value=f"version {facts.version}")


@rule("MD0030", "Error", "Dataset file truncated or damaged",
      "{file} is damaged: {problem}; the records that could be read were validated",
      "FDA Study Data Technical Conformance Guide 3.3; SAS XPORT v5 (SAS TS-140); Dataset-JSON 1.1", standard="any")
def check_damaged_file(study, ds: DatasetData):
    for problem in getattr(ds.facts, "damage", None) or ():
        yield Hits(dataset=ds.name, params={"file": ds.path.name if ds.path else ds.name, "problem": problem},
                   value=problem)


@rule("MD0031", "Error", "XPT member name not the upper-case dataset name, or more than one member",
      "{file}: {problem}", f"{XPT}; SDTMIG 3.4 4.1.6; FDA Study Data Technical Conformance Guide 3.3.1",
      standard="any")
def check_member_names(study, ds: DatasetData):
    facts = _xpt_facts(ds)
    if facts is None or ds.path is None:
        return
    file = ds.path.name
    if len(facts.members) > 1:
        yield Hits(dataset=ds.name, params={"file": file, "problem": f"the file holds {len(facts.members)} members "
                                            f"({', '.join(facts.members)}); one dataset per file, only the first "
                                            "was read"}, value=", ".join(facts.members))
    first = facts.members[0] if facts.members else ""
    if first and first != first.upper():
        yield Hits(dataset=ds.name, params={"file": file, "problem": f"member name {first!r} is not upper case"},
                   value=first)


@rule("MD0032", "Notice", "Character data not in ASCII: encoding used",
      "{file}: character data read as {encoding} ({how})", f"{XPT}; FDA Study Data Technical Conformance Guide 3.3.1",
      standard="any")
def check_text_encoding(study, ds: DatasetData):
    facts = _xpt_facts(ds)
    if facts is not None and facts.encoding_how and ds.path is not None:
        how = {"declared": "declared with the encoding option", "detected": "detected from its bytes"}.get(
            facts.encoding_how, facts.encoding_how)
        yield Hits(dataset=ds.name, params={"file": ds.path.name, "encoding": facts.encoding, "how": how},
                   value=facts.encoding)


@rule("MD0033", "Error", "Dataset-JSON value of the wrong type",
      "{variable} is declared {data_type} but holds a value of another type (read as missing when it cannot be "
      "converted)", "Dataset-JSON 1.1 (dataType); CDISC Define-XML 2.1 (DataType)", standard="any")
def check_json_value_types(study, ds: DatasetData):
    for problem in getattr(ds.facts, "problems", None) or ():
        shown = [repr(v) if not isinstance(v, str) else f'"{v}"' for v in problem.values]
        yield Hits(dataset=ds.name, rows=problem.rows, variables=(problem.variable,),
                   params={"data_type": problem.data_type}, extra={"given": shown})
