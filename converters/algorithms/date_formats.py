"""The date and time layouts a spec's ``datetime`` algorithm may name (``formats``), and their strptime synonyms.

Shared by the spec loader (which checks a spec's formats) and the SDTM engine (``converters.sdtm.dates``, which reads
dates in them), so neither imports the other.
"""
from __future__ import annotations

MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_UNKNOWN = r"UN|UNK|UNKN|UK|NK|XX|XXX|XXXX|--|-"

#: Named date layouts the spec may use, as regular expressions with groups y, m, d.
DATE_FORMATS: dict[str, str] = {
    "DD-MON-YYYY": rf"^(?P<d>\d{{1,2}}|{_UNKNOWN})[-/ ](?P<m>[A-Z]{{3}}|{_UNKNOWN})[-/ ](?P<y>\d{{4}}|{_UNKNOWN})$",
    "DDMONYYYY": r"^(?P<d>\d{2}|UN|UK|NK)(?P<m>[A-Z]{3}|UNK|UN)(?P<y>\d{4}|UNKN)$",
    "YYYY-MM-DD": r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?$",
    "DD/MM/YYYY": rf"^(?P<d>\d{{1,2}}|{_UNKNOWN})/(?P<m>\d{{1,2}}|{_UNKNOWN})/(?P<y>\d{{4}})$",
    "MM/DD/YYYY": rf"^(?P<m>\d{{1,2}}|{_UNKNOWN})/(?P<d>\d{{1,2}}|{_UNKNOWN})/(?P<y>\d{{4}})$",
}
#: strptime spellings accepted as synonyms of the named layouts.
FORMAT_SYNONYMS = {"%d-%b-%Y": "DD-MON-YYYY", "%d%b%Y": "DDMONYYYY", "%Y-%m-%d": "YYYY-MM-DD",
                   "%d/%m/%Y": "DD/MM/YYYY", "%m/%d/%Y": "MM/DD/YYYY", "%H:%M": "HH:MM", "%H:%M:%S": "HH:MM:SS"}
DEFAULT_DATE_FORMATS = ("DD-MON-YYYY", "YYYY-MM-DD")
TIME_FORMATS: dict[str, str] = {
    "HH:MM": rf"^(?P<h>\d{{1,2}}|{_UNKNOWN}):(?P<mi>\d{{2}}|{_UNKNOWN})$",
    "HH:MM:SS": rf"^(?P<h>\d{{1,2}}|{_UNKNOWN}):(?P<mi>\d{{2}}|{_UNKNOWN}):(?P<s>\d{{2}}|{_UNKNOWN})$",
}
DEFAULT_TIME_FORMATS = ("HH:MM", "HH:MM:SS")


def canonical_format(name: str) -> str | None:
    """The named layout a spec's format string means, or None if unknown."""
    name = FORMAT_SYNONYMS.get(name, name).upper()
    return name if name in DATE_FORMATS or name in TIME_FORMATS else None
