"""Transport-format writers: SAS XPT v5 and CDISC Dataset-JSON 1.1.

``write_xpt(frame, dataset, path)`` checks the XPT v5 rules and writes atomically;
``write_dataset_json(frame, dataset, path, study_oid=..., metadata_version_oid=...)`` writes
``.json`` or ``.ndjson``; ``write_csv`` writes a review copy.  All give identical bytes for
identical input.  The matching readers are :mod:`converters.readers.xpt` and
:mod:`converters.readers.dataset_json`; ``normalize_transport_frame`` puts frames from either
format in one comparable form.
"""
from converters.writers.csv import write_csv
from converters.writers.dataset_json import write_dataset_json
from converters.writers.transport import item_oid, normalize_transport_frame
from converters.writers.xpt import check_xpt, write_xpt

__all__ = ["check_xpt", "item_oid", "normalize_transport_frame", "write_csv", "write_dataset_json", "write_xpt"]
