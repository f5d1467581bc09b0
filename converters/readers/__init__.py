"""Raw-data readers: every export format read into the same all-text :class:`RawSource`.

``read_raw(path)`` picks the reader by extension (CSV/TSV, Excel, SAS7BDAT, XPT,
Dataset-JSON, ODM-XML); ``read_raw_folder(folder)`` reads a whole raw folder keyed
by form name.
"""
from converters.readers.raw import ROW, RawSource, form_name, read_raw, read_raw_folder

__all__ = ["ROW", "RawSource", "form_name", "read_raw", "read_raw_folder"]
