"""Study day of an event relative to the subject's reference start date (``study_day``).

SDTMIG 3.4 section 4.4.4: --DY = date - RFSTDTC + 1 on or after the reference
date, date - RFSTDTC before it; there is no day 0.  Partial dates (either
side) give a blank study day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from converters.sdtm.dates import date_part


def derive_study_day(dtc: pd.Series, rfstdtc: pd.Series) -> pd.Series:
    """--DY from an ISO date/datetime and RFSTDTC aligned on the same rows (float, NaN where blank)."""
    event = date_part(dtc)
    ref = date_part(rfstdtc.reindex(dtc.index) if not rfstdtc.index.equals(dtc.index) else rfstdtc)
    return study_days(event, ref)


def study_days(event: pd.Series, reference: pd.Series) -> pd.Series:
    """--DY from the calendar dates (``date_part``: datetime64, NaT when partial or missing) of the event and of
    RFSTDTC on the same rows."""
    days = (event - reference).dt.days.astype("float64")
    return pd.Series(np.where(days >= 0, days + 1, days), index=event.index, dtype="float64")
