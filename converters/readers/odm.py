"""CDISC ODM-XML 1.3 clinical data (``ClinicalData``) read as one raw form per FormOID.

Each ``ItemGroupData`` occurrence becomes one record with the columns
``SubjectKey``, ``SiteRef`` (the ``SiteRef/@LocationOID``), ``StudyEventOID``,
``StudyEventRepeatKey``, ``FormOID``, ``FormRepeatKey``, ``ItemGroupOID``,
``ItemGroupRepeatKey`` and one column per ``ItemOID`` (verbatim, in order of first
appearance in the form).  ``__row__`` is the occurrence number of the
``ItemGroupData`` element in the file (1 = the first in the file), so a row points
back to one element.  The form name is the FormOID in lower case (``F.AE`` ->
``f.ae``): a form is what the EDC exports and what a mapping spec names.

Item values come from ``ItemData/@Value`` (ODM 1.3), the text of typed
``ItemDataString``/``ItemDataInteger``/... elements, or ``ItemData/Value`` (ODM 2.0);
``IsNull="Yes"`` and empty values are missing.  Values are never trimmed.

Safety: an ODM file has no DOCTYPE.  A file that declares one (the vehicle of
external-entity and entity-expansion attacks) is rejected before parsing, and the
parser runs with entity resolution, DTD loading and network access off.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from converters.errors import DataError, Location
from converters.readers.raw import ROW, TEXT, RawSource, finish_frame

KEY_COLUMNS = ("SubjectKey", "SiteRef", "StudyEventOID", "StudyEventRepeatKey", "FormOID", "FormRepeatKey",
               "ItemGroupOID", "ItemGroupRepeatKey")
_TYPED_ITEMS = frozenset({
    "ItemDataAny", "ItemDataString", "ItemDataInteger", "ItemDataFloat", "ItemDataDate", "ItemDataTime",
    "ItemDataDatetime", "ItemDataBoolean", "ItemDataDouble", "ItemDataHexBinary", "ItemDataBase64Binary",
    "ItemDataHexFloat", "ItemDataBase64Float", "ItemDataPartialDate", "ItemDataPartialTime",
    "ItemDataPartialDatetime", "ItemDataDurationDatetime", "ItemDataIntervalDatetime",
    "ItemDataIncompleteDatetime", "ItemDataIncompleteDate", "ItemDataIncompleteTime", "ItemDataURI",
})
_PROLOG_BYTES = 1 << 16


def read_odm(path: Path) -> dict[str, RawSource]:
    """Every form of an ODM-XML file's clinical data, keyed by FormOID in lower case."""
    path = Path(path)
    reject_doctype(path)
    records: dict[str, list[dict[str, str | None]]] = {}
    rows: dict[str, list[int]] = {}
    context: dict[str, str | None] = dict.fromkeys(KEY_COLUMNS)
    record: dict[str, str | None] | None = None
    item: str | None = None
    occurrence = 0
    parser = etree.iterparse(
        str(path), events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )
    try:
        for event, el in parser:
            tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if event == "start":
                if tag == "SubjectData":
                    context = dict.fromkeys(KEY_COLUMNS)
                    context["SubjectKey"] = el.get("SubjectKey")
                elif tag == "SiteRef":
                    context["SiteRef"] = el.get("LocationOID")
                elif tag == "StudyEventData":
                    context.update(StudyEventOID=el.get("StudyEventOID"),
                                   StudyEventRepeatKey=el.get("StudyEventRepeatKey"),
                                   FormOID=None, FormRepeatKey=None)
                elif tag == "FormData":
                    context.update(FormOID=el.get("FormOID"), FormRepeatKey=el.get("FormRepeatKey"))
                elif tag == "ItemGroupData":
                    occurrence += 1
                    record = dict(context, ItemGroupOID=el.get("ItemGroupOID"),
                                  ItemGroupRepeatKey=el.get("ItemGroupRepeatKey"))
                elif tag == "ItemData" or tag in _TYPED_ITEMS:
                    item = el.get("ItemOID")
                continue
            if tag == "ItemData" or tag in _TYPED_ITEMS:
                if record is not None and item:
                    _put(record, item, _item_value(el, tag, path), path, occurrence)
                item = None
            elif tag == "ItemGroupData" and record is not None:
                form = record["FormOID"] or ""
                records.setdefault(form, []).append(record)
                rows.setdefault(form, []).append(occurrence)
                record = None
                el.clear()
            elif tag in ("SubjectData", "ClinicalData"):
                el.clear()
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise DataError(f"not well-formed XML: {exc.msg if hasattr(exc, 'msg') else exc}",
                        Location(file=str(path), line=line),
                        hint="check the export is complete ODM-XML (a truncated file cannot be read)") from exc
    return _forms(records, rows, path)


def _item_value(el: etree._Element, tag: str, path: Path) -> str | None:
    if any(isinstance(child, etree._Entity) for child in el):
        raise DataError(f"item {el.get('ItemOID')} holds an entity reference, which is not resolved",
                        # lxml-stubs type sourceline as "..."; at run time it is int | None
                        Location(file=str(path), line=el.sourceline),  # type: ignore[arg-type]
                        hint="export the clinical data again as plain ODM-XML (no entities)")
    if el.get("IsNull") == "Yes":
        return None
    if tag == "ItemData":
        value = el.get("Value")
        if value is None:  # ODM 2.0: <Value> children
            values = [v.text or "" for v in el if isinstance(v.tag, str) and etree.QName(v).localname == "Value"]
            value = " ".join(values) if values else None
        return value
    return el.text


def _put(record: dict[str, str | None], item: str, value: str | None, path: Path, occurrence: int) -> None:
    if item in KEY_COLUMNS or item == ROW:
        raise DataError(f"ItemOID {item!r} clashes with a key column name", Location(file=str(path), row=occurrence),
                        hint="rename the item in the study metadata")
    if item in record:
        raise DataError(f"ItemOID {item!r} occurs twice in one ItemGroupData",
                        Location(file=str(path), row=occurrence),
                        hint="each item may hold one value per item group occurrence")
    record[item] = value


def _forms(records: dict[str, list[dict]], rows: dict[str, list[int]], path: Path) -> dict[str, RawSource]:
    forms: dict[str, RawSource] = {}
    for form, recs in records.items():
        key = form.lower()
        if not form:
            raise DataError("ItemGroupData outside any FormData", Location(file=str(path), row=rows[form][0]),
                            hint="ODM clinical data nests ItemGroupData in FormData")
        if key in forms:
            raise DataError(f"FormOIDs differ only by case: {forms[key].frame['FormOID'].iloc[0]} and {form}",
                            Location(file=str(path)), hint="form names are case-insensitive")
        frame = pd.DataFrame.from_records(recs).astype(object)
        frame = frame.where(frame.notna(), None).astype(TEXT)
        forms[key] = finish_frame(frame, path, key, rows=np.asarray(rows[form], dtype=np.int64), encoding=None)
    return dict(sorted(forms.items()))


def reject_doctype(path: Path) -> None:
    """Reject an XML file whose prolog declares a DOCTYPE (or does not end within 64 KiB)."""
    with open(path, "rb") as handle:
        head = handle.read(_PROLOG_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        prolog = head.decode("utf-16", errors="replace")
    else:
        prolog = head.decode("latin-1")
    prolog = re.sub(r"<!--.*?-->|<\?.*?\?>", "", prolog, flags=re.S)
    root = re.search(r"<[A-Za-z_]", prolog)
    declared = "<!DOCTYPE" in (prolog[:root.start()] if root else prolog) or "<!ENTITY" in prolog
    if declared or (root is None and len(head) == _PROLOG_BYTES):
        raise DataError(
            "the XML declares a DOCTYPE or entities; ODM files have none and this one is not read",
            Location(file=str(path)),
            hint="export the clinical data again as plain ODM-XML (no DOCTYPE, no entity declarations)",
        )
