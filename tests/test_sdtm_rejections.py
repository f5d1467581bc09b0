"""The rejection log names raw rows by their whole number, problems first, and writes CSV a spreadsheet reads."""
import pandas as pd

from converters.sdtm.rejections import DROPPED, EXCLUDED, RejectionLog


def test_rows_are_whole_numbers_even_when_one_row_is_unknown(tmp_path):
    log = RejectionLog()
    log.add("AE", "ae.csv", pd.Series(["12", "?"]), "AETERM", pd.Series(["a", "b"]), "no term", DROPPED)
    log.add("AE", "ae.csv", pd.Series([3]), "AETERM", "x", "filtered", EXCLUDED)
    log.write_csv(tmp_path / "rejections.csv")
    lines = (tmp_path / "rejections.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["domain,source,row,column,value,reason,action",
                     "AE,ae.csv,12,AETERM,a,no term,record dropped",
                     "AE,ae.csv,,AETERM,b,no term,record dropped",
                     "AE,ae.csv,3,AETERM,x,filtered,excluded by spec filter"]


def test_values_with_commas_quotes_and_line_breaks_are_quoted(tmp_path):
    log = RejectionLog()
    log.add("AE", "ae.csv", pd.Series([1]), "AETERM", pd.Series(['a, "b"\nc']), "bad", DROPPED)
    log.write_csv(tmp_path / "rejections.csv")
    assert (tmp_path / "rejections.csv").read_text(encoding="utf-8").endswith(
        'AE,ae.csv,1,AETERM,"a, ""b""\nc",bad,record dropped\n')


def test_counts_follow_entries_added_after_a_count_and_parts_taken_from_another_log():
    """Counts are kept between calls (one pass for all domains) and stay right as parts come and go."""
    from converters.sdtm.rejections import EXCLUDED_BY_DESIGN, IGNORED, NOT_MAPPED, NULLED

    log = RejectionLog()
    assert (log.count("AE"), log.problem_count(), log.excluded_count(), log.unmapped_count()) == (0, 0, 0, 0)
    log.add("AE", "ae.csv", pd.Series([1, 2]), "AETERM", None, "no term", DROPPED)
    log.add("CM", "cm.csv", pd.Series([5]), "CMTRT", None, "blank", NULLED)
    assert (log.count("AE"), log.count("CM"), log.count("CM", NULLED), log.problem_count()) == (2, 0, 1, 3)
    batch = RejectionLog()
    batch.add("AE", "ae.csv", pd.Series([7]), "AETERM", None, "no term", DROPPED)
    batch.add("LB", "lab.csv", pd.Series([1, 2, 3]), "LBTESTCD", None, "filter", EXCLUDED)
    batch.add("", "x.bin", pd.Series([0]), "*", None, "not read", NOT_MAPPED)
    log.parts.extend(batch.parts)  # what the batch engine does with each batch's log
    log.add("DM", "dm.csv", pd.Series([9]), "SUBJID", None, "duplicate", IGNORED)
    log.add("IE", "ie.csv", pd.Series([4]), "IETESTCD", None, "met", EXCLUDED_BY_DESIGN)
    assert (log.count("AE"), log.dropped_count("AE"), log.count("LB", EXCLUDED)) == (3, 3, 3)
    assert (log.problem_count(), log.excluded_count(), log.unmapped_count()) == (5, 4, 1)
    log.parts.pop()
    assert (log.excluded_count(), log.count("IE", EXCLUDED_BY_DESIGN)) == (3, 0)


def test_a_batch_of_entries_held_as_codes_gives_the_same_log_counts_and_csv(tmp_path):
    """The batch engine holds each batch's entries as one part with its text as codes until the log is written."""
    from converters.sdtm.rejections import EXCLUDED_BY_DESIGN, NULLED

    def entries() -> RejectionLog:
        log = RejectionLog()
        log.add("TU", "ntl.csv", pd.Series([3, 1, 2]), "FOLDER", pd.Series(["WEEK 6", "", "WEEK 12"]),
                "not the screening row", EXCLUDED)
        log.add("CM", "cm.csv", pd.Series([5]), "CMROUTE", "ORALLY", "not in codelist ROUTE", NULLED)
        log.add("IE", "ie.csv", pd.Series([4, 8]), "IETESTCD", None, "criterion met", EXCLUDED_BY_DESIGN)
        log.add("AE", "ae.csv", pd.Series([2]), "AETERM", None, "no term", DROPPED)
        return log

    plain, coded = entries(), entries()
    coded.compact(1)  # the first part as added, the three after it held as one
    assert len(coded.parts) == 2
    pd.testing.assert_frame_equal(coded.frame(), plain.frame())
    assert (coded.count("TU", EXCLUDED), coded.problem_count(), coded.excluded_count()) == \
        (plain.count("TU", EXCLUDED), plain.problem_count(), plain.excluded_count()) == (3, 2, 5)
    plain.write_csv(tmp_path / "plain.csv")
    coded.write_csv(tmp_path / "coded.csv")
    assert (tmp_path / "plain.csv").read_bytes() == (tmp_path / "coded.csv").read_bytes()
