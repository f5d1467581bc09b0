"""The SDTM engine: mapping algorithms and the builders that apply a study's specs.

One module per thing it holds:

* ``dates`` (``to_iso8601``), ``terminology`` (``assign_ct``), ``conditions``, ``merge``
  (``merge_source``), ``derivations`` (the ``derive`` registry), ``study_day``
  (``derive_study_day``), ``sequence`` (``derive_seq``), ``epoch`` (``subject_timeline``,
  ``derive_epoch``), ``visits`` (``assign_visit``), ``supp`` (``split_supp``),
  ``reference_dates`` (study.yaml date sources, USUBJIDs);
* ``builder`` (record phase of one domain spec), ``study`` (``build_study``: all domains, subject
  checks, timing, built-in builders), ``finalize`` (SDTMIG order, Core rules, metadata),
  ``rejections`` (the rejection log), ``output`` (``write_build``: XPT, Dataset-JSON, reports).

The spec language is documented in ``docs/mapping-spec.md``.
"""
