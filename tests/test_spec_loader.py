"""The spec loader rejects mistakes with the spec file, the line and a hint."""
from pathlib import Path
from textwrap import dedent

import pytest

from converters.errors import SpecError
from converters.spec.loader import check_spec_sources, load_domain_spec
from converters.spec.study import load_study
from converters.spec.yaml_lines import load_yaml_text
from sdtm_fixtures import write_tiny_study

GOOD = """\
domain: AE
source: ae
variables:
  STUDYID: {assign: STUDYID}
  USUBJID: {derive: usubjid}
  AESEQ:   {seq: [AESTDTC]}
  AETERM:  {assign: TERM}
  AEDECOD: {assign: PT}
  AESER:   {assign_ct: SER, codelist: NY}
  AESTDTC: {datetime: [STDAT, STTIM]}
  AESTDY:  {study_day: AESTDTC}
supp:
  AEDLT:   {assign_ct: DLT, codelist: NY, label: Dose Limiting Toxicity}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ae.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    return path


def error(tmp_path, text, study=None) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_domain_spec(write(tmp_path, text), study)
    return info.value


def test_a_good_spec_loads_into_typed_objects(tmp_path):
    spec = load_domain_spec(write(tmp_path, GOOD))
    assert spec.domain == "AE" and spec.blocks[0].source == "ae"
    ser = spec.variable("AESER")
    assert (ser.algorithm, ser.columns, ser.codelist, ser.place.line) == ("assign_ct", ("SER",), "NY", 9)
    assert spec.variable("AESTDTC").columns == ("STDAT", "STTIM")
    assert spec.variable("AESEQ").order == ("AESTDTC",)
    assert spec.supp["AEDLT"].label == "Dose Limiting Toxicity"


def test_algorithm_typo_names_file_line_and_suggests_the_right_name(tmp_path):
    err = error(tmp_path, GOOD.replace("{assign_ct: SER", "{asign_ct: SER"))
    assert err.where.file.endswith("ae.yaml") and err.where.line == 9
    assert "asign_ct" in err.message and err.hint == "did you mean assign_ct?"
    assert "ae.yaml:9" in str(err)


def test_unknown_codelist_names_the_line(tmp_path):
    err = error(tmp_path, GOOD.replace("{assign_ct: SER, codelist: NY}", "{assign_ct: SER, codelist: NOYES}"))
    assert err.where.line == 9 and "NOYES" in err.message


def test_variable_not_in_the_domain_needs_sponsor_declaration(tmp_path):
    err = error(tmp_path, GOOD.replace("  AETERM:  {assign: TERM}", "  AETERMX: {assign: TERM}"))
    assert err.where.line == 7 and "not a variable of AE" in err.message and err.hint == "did you mean AETERM?"


def test_sponsor_defined_variable_is_accepted_when_declared(tmp_path):
    spec = load_domain_spec(write(tmp_path, GOOD + "  # end\n").parent / "ae.yaml")
    text = GOOD.replace("supp:", "  AEXTRA:  {assign: X, sponsor_defined: true, label: Extra, type: Char}\nsupp:")
    spec = load_domain_spec(write(tmp_path, text))
    assert spec.variable("AEXTRA").sponsor_defined


def test_unknown_derivation_and_argument(tmp_path):
    err = error(tmp_path, GOOD.replace("{derive: usubjid}", "{derive: usubjd}"))
    assert err.where.line == 5 and err.hint == "did you mean usubjid?"
    err = error(tmp_path, GOOD.replace("{derive: usubjid}", "{derive: number, args: {colum: X}}"))
    assert "no argument 'colum'" in err.message and err.hint == "did you mean column?"


def test_option_that_does_not_apply(tmp_path):
    err = error(tmp_path, GOOD.replace("{assign: TERM}", "{assign: TERM, formats: [DD-MON-YYYY]}"))
    assert err.where.line == 7 and "does not apply to assign" in err.message


def test_reference_to_a_variable_the_spec_does_not_fill(tmp_path):
    err = error(tmp_path, GOOD.replace("{study_day: AESTDTC}", "{study_day: AEENDTC}"))
    assert err.where.line == 11 and "AEENDTC" in err.message


def test_supp_qualifier_needs_a_label_and_a_short_name(tmp_path):
    assert "needs a 'label'" in error(tmp_path, GOOD.replace(", label: Dose Limiting Toxicity", "")).message
    assert "at most 8" in error(tmp_path, GOOD.replace("AEDLT:", "AEDLTFLAG:")).message


def test_hardcoded_value_must_be_in_a_non_extensible_codelist(tmp_path):
    err = error(tmp_path, GOOD.replace("{assign_ct: SER, codelist: NY}", "{hardcode: YES, codelist: NY}"))
    assert "not a submission value" in err.message


def test_unknown_value_map_is_reported_with_its_line(tmp_path):
    study = load_study(write_tiny_study(tmp_path))
    err = error(tmp_path, GOOD.replace("{assign_ct: SER, codelist: NY}",
                                       "{assign_ct: SER, codelist: NY, value_map: yesno}"), study)
    assert err.where.line == 9 and "yesno" in err.message


def test_missing_raw_column_names_the_spec_line(tmp_path):
    spec = load_domain_spec(write(tmp_path, GOOD))
    columns = {"ae": {"STUDYID", "SUBJID", "TERM", "PT", "SER", "STDAT", "STTIM", "DLT"}}
    check_spec_sources(spec, columns)
    columns["ae"].discard("STTIM")
    with pytest.raises(SpecError) as info:
        check_spec_sources(spec, columns)
    assert info.value.where.line == 10 and "STTIM" in info.value.message


def test_missing_raw_source_is_reported(tmp_path):
    spec = load_domain_spec(write(tmp_path, GOOD))
    with pytest.raises(SpecError) as info:
        check_spec_sources(spec, {"adverse": {"X"}})
    assert info.value.where.line == 2


def test_yaml_keeps_y_n_as_text_and_reports_duplicate_keys():
    doc = load_yaml_text("a: Y\nb: no\nc: 2025-01-01\nd: true\n")
    assert doc == {"a": "Y", "b": "no", "c": "2025-01-01", "d": True}
    with pytest.raises(SpecError) as info:
        load_yaml_text("a: 1\nb: 2\na: 3\n", "x.yaml")
    assert info.value.where.line == 3


def test_yaml_syntax_error_has_a_line():
    with pytest.raises(SpecError) as info:
        load_yaml_text("a: [1, 2\nb: 3\n", "x.yaml")
    assert info.value.where.file == "x.yaml" and info.value.where.line


def test_shipped_specs_load(tmp_path):
    root = Path(__file__).resolve().parents[1] / "mappings"
    for study_dir in ("carnk-sclc", "cll1-aml"):
        study = load_study(root / study_dir)
        for path in sorted((root / study_dir / "sdtm").glob("*.yaml")):
            assert load_domain_spec(path, study).domain == path.stem.upper()


def test_numeric_derivation_arguments_must_be_numbers(tmp_path):
    spec = GOOD.replace("  AETERM:  {assign: TERM}\n",
                        "  AETERM:  {assign: TERM}\n  AETOXGR: {derive: number, args: {column: GRADE, factor: lots}}\n")
    err = error(tmp_path, spec)
    assert err.where.line == 8 and "argument factor must be a number, not 'lots'" in err.message
    err = error(tmp_path, spec.replace("factor: lots", "factor: 1.5").replace("column: GRADE", "column: 5"))
    assert err.where.line == 8 and "argument column must be a name or a list of names" in err.message


def test_a_multiple_choice_item_is_a_whole_number(tmp_path):
    spec = GOOD.replace("  AETERM:  {assign: TERM}\n", "  AETERM:  {assign: TERM}\n"
                        "  AETOXGR: {derive: multiple_choice, args: {choices: {G1: '1'}, item: 1.5}}\n")
    err = error(tmp_path, spec)
    assert err.where.line == 8 and "argument item must be a whole number, not 1.5" in err.message


@pytest.mark.parametrize("line, message", [
    ("AETOXGR: {derive: lookup, args: {domain: DM, variable: ARM, where: ARMCD}}",
     "argument where must be a mapping of variable to value (or list of values), not 'ARMCD'"),
    ("AETOXGR: {derive: lookup, args: {domain: [DM], variable: ARM}}", "argument domain must be a name, not ['DM']"),
    ("AETOXGR: {derive: multiple_choice, args: {choices: [G1, G2]}}",
     "argument choices must be a value map name or a mapping of raw column to value"),
    ("AEENDTC: {derive: source_date, args: {source: nowhere}}",
     "argument source must be one of the study.yaml date sources study_end, reference_start, reference_end"),
    ("AECONTRT: {derive: flag_if_present, args: {variable: NOPE}}", "derive refers to NOPE, which this spec does "
     "not fill"),
])
def test_derivation_arguments_of_the_wrong_kind_name_the_line(tmp_path, line, message):
    err = error(tmp_path, GOOD.replace("  AETERM:  {assign: TERM}\n", f"  AETERM:  {{assign: TERM}}\n  {line}\n"))
    assert err.where.line == 8 and message in err.message


@pytest.mark.parametrize("line", [
    "AEENDTC: {derive: source_date, args: {source: reference_end}}",
    "AEENDTC: {derive: participation_end}",
])
def test_a_date_source_study_yaml_does_not_define_is_refused_with_the_defined_ones(tmp_path, line):
    mappings = write_tiny_study(tmp_path)
    study_yaml = mappings / "study.yaml"
    text = study_yaml.read_text(encoding="utf-8")
    for key in ("study_end", "reference_end"):
        text = "\n".join(t for t in text.splitlines() if not t.startswith(key + ":")) + "\n"
    study_yaml.write_text(text, encoding="utf-8")
    study = load_study(study_yaml)
    err = error(tmp_path, GOOD.replace("  AETERM:  {assign: TERM}\n", f"  AETERM:  {{assign: TERM}}\n  {line}\n"),
                study)
    assert err.where.line == 8 and "which study.yaml does not define" in err.message
    assert "date sources defined in study.yaml: reference_start" in err.hint


@pytest.mark.parametrize("old, new, message", [
    ("{assign: TERM}", "{assign: TERM, crf_page: {a: 1}}",
     "AETERM: crf_page must be a page number or text, or a list of them, not {'a': 1}"),
    ("{assign: TERM}", "{assign: [TERM, VERBATIM]}", "AETERM: assign must be a name, not ['TERM', 'VERBATIM']"),
    ("{assign: TERM}", "{assign: TERM, label: [a], sponsor_defined: true}", "AETERM: label must be text"),
    ("{study_day: AESTDTC}", "{study_day: [AESTDTC, AEENDTC]}", "AESTDY: study_day must be a name"),
    ("{assign_ct: SER, codelist: NY}", "{assign_ct: SER, codelist: [NY]}", "AESER: codelist must be text"),
    ("{assign_ct: SER, codelist: NY}", "{assign_ct: SER, codelist: NY, value_map: {Yes: [Y]}}",
     "AESER: value_map must be the name of a study.yaml value map or a mapping of each collected value to one submission value"),
    ("{assign_ct: DLT, codelist: NY, label: Dose Limiting Toxicity}",
     "{assign_ct: DLT, codelist: NY, label: Dose Limiting Toxicity, crf_page: []}", "AEDLT: crf_page must be"),
    ("{assign: PT}", "{condition: [{when: {column: PT, equals: X}, assign: [PT]}]}",
     "AEDECOD: condition.assign must be a name"),
    ("{assign: PT}", "{condition: [{when: {column: PT, in: [[X]]}, value: X}]}", "condition.when.in must be a value or a list of values"),
    ("{assign: PT}", "{hardcode: null}", "AEDECOD: hardcode must be a single value, not None"),
])
def test_an_option_of_the_wrong_kind_is_refused_with_its_line(tmp_path, old, new, message):
    err = error(tmp_path, GOOD.replace(old, new))
    assert message in err.message and err.where.line is not None and err.hint


@pytest.mark.parametrize("word", ["yes", "no", "'true'"])
def test_yes_or_no_is_not_a_boolean_option(tmp_path, word):
    err = error(tmp_path, GOOD.replace("{assign: TERM}", f"{{assign: TERM, sponsor_defined: {word}}}"))
    assert err.where.line == 7 and "AETERM: sponsor_defined must be true or false" in err.message
    spec = GOOD.replace("source: ae\n", f"source: ae\nmerge: [{{source: dm, by: [SUBJID], columns: [AGE], "
                        f"required: {word}}}]\n")
    assert "a merge's required must be true or false" in error(tmp_path, spec).message


def test_a_crf_page_list_becomes_space_separated_page_refs_and_on_error_null_is_the_default(tmp_path):
    spec = load_domain_spec(write(tmp_path, GOOD.replace("{assign: TERM}",
                                                         "{assign: TERM, crf_page: [12, AE], on_error: null}")))
    assert spec.variable("AETERM").crf_page == "12 AE" and spec.variable("AETERM").on_error == "null"


@pytest.mark.parametrize("old, new, line, message", [
    ("{assign: TERM}", "{assign: TERM, qeval: INVESTIGATOR}", 7, "AETERM: 'qeval' applies to supplemental "
     "qualifiers only"),
    ("{assign: TERM}", "{assign: TERM, label: Term}", 7, "AETERM: 'label' does not apply: AETERM is a standard "
     "variable"),
    ("{assign: TERM}", "{assign: TERM, type: Num}", 7, "AETERM: 'type' does not apply"),
    ("{assign: TERM}", "{assign: TERM, sponsor_defined: true, label: Term, type: Char}", 7,
     "AETERM: 'sponsor_defined' does not apply to a standard variable"),
    ("label: Dose Limiting Toxicity}", "label: Dose Limiting Toxicity, sponsor_defined: true}", 13,
     "AEDLT: 'sponsor_defined' is for non-standard variables under 'variables'"),
    ("source: ae\n", "source: ae\nsupp_idvar: AESPID\n", 3, "supp_idvar AESPID is not filled by this spec"),
    ("AETERM:  {assign: TERM}", "AEXTRA:  {assign_ct: TERM, value_map: {a: b}, extend: true, label: T, type: Char, "
     "sponsor_defined: true}", 7, "AEXTRA: 'extend: true' needs a codelist"),
])
def test_an_option_the_build_would_ignore_is_refused(tmp_path, old, new, line, message):
    err = error(tmp_path, GOOD.replace(old, new))
    assert err.where.line == line and message in err.message and err.hint


def test_a_top_level_filter_or_merge_beside_records_is_refused(tmp_path):
    spec = GOOD.replace("source: ae\n", "filter: {column: SER, equals: Y}\nrecords:\n  - source: ae\n")
    err = error(tmp_path, spec)
    assert err.where.line == 2 and "a top-level 'filter' does not apply when the spec has 'records'" in err.message


def test_a_merge_by_mapping_pairs_one_column_with_one_column(tmp_path):
    spec = GOOD.replace("source: ae\n", "source: ae\nmerge: [{source: dm, by: {SUBJID: [A, B]}, columns: [AGE]}]\n")
    assert "a merge's 'by' mapping pairs each source column" in error(tmp_path, spec).message


def test_crf_page_belongs_to_collected_values_only(tmp_path):
    err = error(tmp_path, GOOD.replace("AESTDY:  {study_day: AESTDTC}", "AESTDY:  {study_day: AESTDTC, crf_page: 12}"))
    assert err.where.line == 11 and "origin is Derived" in err.message
    collected = load_domain_spec(write(tmp_path, GOOD.replace("{assign: TERM}", "{assign: TERM, crf_page: 12}")))
    assert collected.variable("AETERM").crf_page == "12"
    overridden = load_domain_spec(write(tmp_path, GOOD.replace(
        "AESTDY:  {study_day: AESTDTC}", "AESTDY:  {study_day: AESTDTC, origin: Collected, crf_page: 12}")))
    assert overridden.variable("AESTDY").origin_type == "Collected"
