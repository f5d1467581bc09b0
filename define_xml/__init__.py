"""Define-XML 2.1: metadata model to define.xml, schema check and HTML rendering.

``write_define(study, folder, ...)`` is the one entry point the ``sdtm``, ``adam`` and ``define`` commands call
(see docs/define-xml.md).
"""
from define_xml.writer import DefineReport, write_define

__all__ = ["DefineReport", "write_define"]
