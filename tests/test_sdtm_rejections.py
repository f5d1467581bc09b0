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
