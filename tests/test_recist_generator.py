"""The example generator's RECIST 1.1 lesions at other seeds and sizes: the tumour response form's sums and responses
follow from the lesion forms by the rules of tests/test_recist_sdtm.py, read straight from the raw exports."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_recist_sdtm import non_target_response, overall_response, target_response

from converters.examples import generate

STATES = {"Present": "PRESENT", "Absent": "ABSENT", "Non-pathological": "NON-PATHOLOGICAL",
          "Unequivocal progression": "UNEQUIVOCAL"}
RESPONSES = {"Non-CR/Non-PD": "NON-CR/NON-PD"}
OVERALL = ["CR", "PR", "SD", "PD", "NE"]


def _csv(folder: Path, form: str) -> pd.DataFrame:
    return pd.read_csv(folder / "raw" / f"{form}.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("seed", [3, 11])
def test_response_form_follows_from_the_lesion_forms(tmp_path, seed):
    generate("carnk-sclc", tmp_path, subjects=120, seed=seed)
    tl, ntl, nl, rs = (_csv(tmp_path, f) for f in ("tl", "ntl", "nl", "rs"))
    checked = 0
    for subject, form in rs.groupby("SUBJID", sort=False):
        lesions = tl[tl["SUBJID"] == subject]
        nodes = set(lesions.loc[lesions["TLLOC"].str.contains("lymph node"), "TLID"])
        baseline_sum: float | None = None
        nadir: float | None = None
        for row in form.itertuples():
            at = lesions[lesions["FOLDER"] == row.FOLDER]
            diameters = {t: (float(d) if d else None) for t, d in zip(at["TLID"], at["TLDIAM"])}
            complete = all(d is not None for d in diameters.values())
            total = sum(d for d in diameters.values() if d is not None)
            assert (row.TRGSUM == "") == (not complete) and (not complete or float(row.TRGSUM) == total)
            if row.FOLDER == "SCREENING":
                baseline_sum = nadir = total
                continue
            assert baseline_sum is not None and nadir is not None
            here = (ntl["SUBJID"] == subject) & (ntl["FOLDER"] == row.FOLDER)
            states = [STATES[s] for s in ntl.loc[here, "NTLSTAT"]]
            new = bool(((nl["SUBJID"] == subject) & (nl["FOLDER"] == row.FOLDER)).any())
            target = target_response(diameters, nodes, baseline_sum, nadir)
            non_target = non_target_response(states)
            assert target == row.TRGRESP and non_target == RESPONSES.get(row.NTRGRESP, row.NTRGRESP)
            assert row.NEWLES == ("Y" if new else "N")
            assert overall_response(target, non_target, new) == OVERALL[int(row.OVRLRESP_CD) - 1]
            if complete:
                nadir = min(nadir, total)
            checked += 1
    assert checked > 200
