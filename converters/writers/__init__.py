"""Transport-format writers: SAS XPT v5 and CDISC Dataset-JSON 1.1.

``write_xpt(frame, dataset, path)`` checks the XPT v5 rules and writes atomically (our own
numpy writer, :mod:`converters.writers.xpt`, IBM doubles from :mod:`converters.writers.ibm`);
``write_dataset_json(frame, dataset, path, study_oid=..., metadata_version_oid=...)`` writes
``.json`` or ``.ndjson`` to the file in steps of records; ``write_csv`` writes a review copy.
All give identical bytes for identical input.  ``dataset_text_facts(frame, dataset)`` measures
each text column once (:mod:`converters.writers.text_facts`); pass it as ``facts=`` to both
writers of the same frame to share the measuring.  The matching readers are
:mod:`converters.readers.xpt` and :mod:`converters.readers.dataset_json`; ``normalize_transport_frame``
puts frames from either format in one comparable form.
"""
from converters.writers.csv import write_csv
from converters.writers.dataset_json import write_dataset_json
from converters.writers.text_facts import dataset_text_facts
from converters.writers.transport import item_oid, normalize_transport_frame
from converters.writers.xpt import check_xpt, write_xpt

__all__ = ["check_xpt", "dataset_text_facts", "item_oid", "normalize_transport_frame", "write_csv",
           "write_dataset_json", "write_xpt"]
