"""The 3+3 escalation summary: counts per arm and dose level from ADSL and ADAE, and the decision they imply."""
from __future__ import annotations

import pandas as pd
import pytest

from converters.adam.escalation import EscalationSpec, decision, escalation_summary


@pytest.mark.parametrize("evaluable, with_dlt, expansion, starts", [
    (2, 0, False, "keep enrolling"),
    (3, 0, False, "escalate"),
    (3, 1, False, "expand to 6"),
    (3, 2, False, "MTD exceeded"),
    (6, 1, False, "dose level cleared"),
    (6, 2, False, "MTD exceeded"),
    (12, 2, False, "dose level cleared"),
    (20, 4, True, "expansion cohort"),
])
def test_three_plus_three_decisions(evaluable, with_dlt, expansion, starts):
    assert decision(evaluable, with_dlt, expansion).startswith(starts)


def test_counts_come_from_adsl_and_adae():
    adsl = pd.DataFrame({"USUBJID": list("ABCDE"), "ARMCD": ["X1"] * 4 + ["X2"], "DOSELVL": ["DL1"] * 4 + ["DL2"],
                         "SAFFL": ["Y", "Y", "Y", "Y", "N"], "DLTEVLFL": ["Y", "Y", "Y", "N", "N"],
                         "PART": "ESCALATION"})
    adae = pd.DataFrame({"USUBJID": ["A", "A", "B", "E"], "DLTFL": ["Y", "Y", None, "Y"]})
    spec = EscalationSpec.model_validate({"arm_var": "ARMCD", "dose_var": "DOSELVL", "treated": {"SAFFL": "Y"},
                                          "evaluable": {"DLTEVLFL": "Y"}, "expansion": {"PART": "EXPANSION"},
                                          "events": {"dataset": "ADAE", "filter": {"DLTFL": "Y"}}})
    rows = escalation_summary(spec, {"ADSL": adsl, "ADAE": adae}).rows
    assert len(rows) == 1
    row = rows[0]
    assert (row["treated"], row["dlt_evaluable"], row["subjects_with_dlt"], row["dlt_events"]) == (4, 3, 1, 2)
    assert row["decision"].startswith("expand to 6")
