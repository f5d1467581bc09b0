"""``cdisc-convert init``: draft a study's mapping folder from its raw exports.

    from converters.scaffold import scaffold_study
    scaffold_study(Path("raw"), Path("mappings/xyz"), study="xyz")

:mod:`~converters.scaffold.profile` reads and profiles every raw form, :mod:`~converters.scaffold.match` guesses
each form's domain and each SDTM variable's raw source from column names, values (CT codelists and their
synonyms) and CDASH naming conventions (:mod:`~converters.scaffold.conventions`), and
:mod:`~converters.scaffold.draft` writes ``study.yaml``, ``sdtm/<domain>.yaml``, ``drafts/``, ``forms.md`` and
``TODO.md``. :mod:`~converters.scaffold.compare` measures a draft against a finished spec.
"""
from converters.scaffold.draft import ScaffoldResult, scaffold_study

__all__ = ["ScaffoldResult", "scaffold_study"]
