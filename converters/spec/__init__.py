"""Mapping specs and the study definition: YAML loaded into typed objects, every error with file and line.

``load_domain_spec`` / ``load_domain_specs`` and ``check_spec_sources`` (``loader``), the spec model
(``model``), ``load_study`` (``study``) and the line-tracking safe YAML loader (``yaml_lines``).
"""
