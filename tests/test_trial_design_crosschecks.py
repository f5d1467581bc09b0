"""The trial-design cross-checks hold on consistent data and fail on broken input."""
from __future__ import annotations

import pandas as pd
import pytest

from converters.sdtm.trial_design.crosschecks import check_dm_arms_in_ta, check_epoch_agrees_with_se, \
    check_epochs_in_ta, check_ie_tests_in_ti, check_planned_visits_in_tv, check_se_follows_ta, check_trial_design

TA = pd.DataFrame({"ARMCD": ["LOW", "LOW", "LOW"], "TAETORD": [1.0, 2.0, 3.0], "ETCD": ["SCRN", "LOW", "FU"],
                   "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP"]})
TV = pd.DataFrame({"VISITNUM": [1.0, 2.0], "VISIT": ["SCREENING", "DAY 1"]})
TI = pd.DataFrame({"IETESTCD": ["IN01", "EX01"], "IECAT": ["INCLUSION", "EXCLUSION"]})
DM = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "ARMCD": ["LOW", None], "ARMNRS": [None, "SCREEN FAILURE"]})
SE = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-1", "S-2"], "ETCD": ["SCRN", "LOW", "FU", "SCRN"],
                   "TAETORD": [1.0, 2.0, 3.0, 1.0], "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP", "SCREENING"],
                   "SESTDTC": ["2024-01-01", "2024-01-10T09:00", "2024-02-07", "2024-01-03"],
                   "SEENDTC": ["2024-01-10T09:00", "2024-02-07", "2024-06-30", "2024-01-20"]})
AE = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-1", "S-2"],
                   "AESTDTC": ["2024-01-05", "2024-01-10", "2024-03", "2024-01-04"],
                   "EPOCH": ["SCREENING", "TREATMENT", None, "SCREENING"]})
RS = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "VISITNUM": [2.0, 2.01], "VISIT": ["DAY 1", "UNSCHEDULED 2.01"],
                   "RSDTC": ["2024-01-10", "2024-01-15"], "EPOCH": ["TREATMENT", "TREATMENT"]})
IE = pd.DataFrame({"USUBJID": ["S-2"], "IETESTCD": ["EX01"], "IECAT": ["EXCLUSION"], "VISITNUM": [1.0],
                   "VISIT": ["SCREENING"], "IEDTC": ["2024-01-04"], "EPOCH": ["SCREENING"]})
SV = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "VISITNUM": [2.0, 2.01], "VISIT": ["DAY 1", "UNSCHEDULED 2.01"],
                   "SVPRESP": ["Y", None]})


def _domains(**changed) -> dict[str, pd.DataFrame]:
    domains = {"TA": TA, "TV": TV, "TI": TI, "DM": DM, "SE": SE, "AE": AE, "RS": RS, "IE": IE, "SV": SV}
    domains.update(changed)
    return domains


def test_consistent_data_pass_every_check():
    assert check_trial_design(_domains()) == []


def test_an_arm_not_in_ta_fails():
    dm = DM.assign(ARMCD=["HIGH", None])
    assert check_dm_arms_in_ta(dm, TA) and "ARMCD HIGH" in check_dm_arms_in_ta(dm, TA)[0]
    assert check_trial_design(_domains(DM=dm))


def test_screen_failures_without_an_arm_pass():
    assert check_dm_arms_in_ta(DM.assign(ARMCD=[None, None]), TA) == []


def test_an_epoch_not_in_ta_fails():
    ae = AE.assign(EPOCH=["SCREENING", "RUN-IN", None, "SCREENING"])
    findings = check_epochs_in_ta({"AE": ae, "TA": TA}, TA)
    assert len(findings) == 1 and findings[0].startswith("AE: EPOCH RUN-IN")


def test_a_planned_visit_not_in_tv_fails():
    rs = RS.assign(VISITNUM=[7.0, 2.01], VISIT=["DAY 99", "UNSCHEDULED 2.01"])
    findings = check_planned_visits_in_tv({"RS": rs}, TV)
    assert len(findings) == 1 and "planned VISITNUM 7.0" in findings[0]


def test_a_planned_visit_with_another_name_than_tv_fails():
    findings = check_planned_visits_in_tv({"RS": RS.assign(VISIT=["WEEK 1", "UNSCHEDULED 2.01"])}, TV)
    assert findings and "differs from TV" in findings[0]


def test_sv_planned_flag_decides_what_must_be_in_tv():
    findings = check_planned_visits_in_tv({"SV": SV.assign(SVPRESP=["Y", "Y"])}, TV)
    assert findings and findings[0].startswith("SV: planned VISITNUM 2.01")


def test_an_ie_criterion_not_in_ti_fails():
    assert check_ie_tests_in_ti(IE.assign(IETESTCD=["EX09"]), TI)
    assert check_ie_tests_in_ti(IE.assign(IECAT=["INCLUSION"]), TI)
    assert check_trial_design(_domains(IE=IE.assign(IETESTCD=["EX09"])))


def test_an_se_element_outside_the_subjects_arm_fails():
    se = SE.assign(EPOCH=["SCREENING", "FOLLOW-UP", "FOLLOW-UP", "SCREENING"])
    assert check_se_follows_ta(se, DM, TA)
    assert check_se_follows_ta(SE.assign(TAETORD=[1.0, 3.0, 3.0, 1.0]), DM, TA)


@pytest.mark.parametrize("bad_epoch", ["FOLLOW-UP", None])
def test_an_epoch_that_disagrees_with_se_fails(bad_epoch):
    ae = AE.assign(EPOCH=["SCREENING", bad_epoch, None, "SCREENING"])
    findings = check_epoch_agrees_with_se({"AE": ae}, SE)
    assert len(findings) == 1 and "AESTDTC" in findings[0]


def test_a_date_on_the_day_an_element_starts_belongs_to_the_new_element():
    ae = pd.DataFrame({"USUBJID": ["S-1"], "AESTDTC": ["2024-02-07"], "EPOCH": ["FOLLOW-UP"]})
    assert check_epoch_agrees_with_se({"AE": ae}, SE) == []
