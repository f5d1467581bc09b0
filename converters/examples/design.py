"""What a generated study looks like: sites, arms, dose levels, lymphodepletion, criteria."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Site:
    """A study site as the EDC knows it."""

    siteid: str
    name: str
    country: str            # ISO 3166-1 alpha-3, for the expected answers
    country_crf: str        # what the EDC country field shows
    birth_year_only: bool = False   # local privacy rules: only the birth year is collected


@dataclass(frozen=True)
class Arm:
    """A construct (or expansion) arm: raw assignment code, ARMCD/ARM stem, product, DLT risk per dose level.

    The planned arms of SDTM are this arm crossed with its dose levels: ARMCD ``<armcd>_<dose level>``
    (``DLL3CD56_DL1``), ARM ``<product> <dose>`` (see ``planned_arm``); a design with one construct
    and ``armcd`` empty has the dose levels alone as arms (``DL1``).
    """

    raw_code: str
    armcd: str
    arm: str
    product: str
    p_dlt: tuple[float, ...] = ()


def planned_armcd(arm: Arm, level: DoseLevel) -> str:
    """ARMCD of the planned arm ``arm`` x ``level``: ``DLL3CD56_DL1``, or ``DL1`` for a single construct."""
    return f"{arm.armcd}_{level.code}" if arm.armcd else level.code


@dataclass(frozen=True)
class DoseLevel:
    """A dose level: raw code, cells per infusion in units of 10^6 cells, label."""

    code: str
    cells_e6: int
    label: str


@dataclass(frozen=True)
class Criterion:
    """An inclusion or exclusion criterion as the eligibility form codes it."""

    code: str               # raw code on the form, e.g. IN03 / EX12 (also IETESTCD)
    category: str           # Inclusion / Exclusion
    text: str               # short wording
    sf_weight: float = 0.0  # how often it is the reason for a screen failure
    waivable: bool = False  # a borderline value may be waived for an enrolled subject


@dataclass
class StudyDesign:
    """Everything a generator needs to know about one example study."""

    key: str
    studyid: str
    sites: list[Site]
    arms: list[Arm]
    dose_levels: list[DoseLevel]
    expansion_arm: Arm | None          # a separate phase 2 arm, or None: expansion cohorts stay in the arm
    expansion_from: int                # index of the arm whose RP2D the expansion uses
    expansion_cohort_size: int         # subjects per expansion cohort number
    ld_agents: list[tuple[str, str, int, str]]   # (agent, code, dose, unit) per day, days -5..-3
    criteria: list[Criterion]
    default_subjects: int              # enrolled (assigned) subjects at the committed size
    screen_fail_ratio: float           # screen failures per enrolled subject
    first_enrol: str                   # ISO date of the first enrolment
    expansion_months: int              # accrual period of the expansion part
    cycle2: bool                       # responders may get a second cycle
    assess_days: tuple[int, ...]       # planned response assessments, days after the first infusion
    best_response_probs: tuple[float, ...]   # P(best = CR, PR, SD, PD, NE) at the lowest dose level
    age_median: int
    male_fraction: float
    cycle_folders: bool = True         # folders named per cycle ("C1 LD", "C1 D0") or not ("LD", "D0")
    data_cutoff: str = "2026-06-30"    # ISO date: no collected date after it; later follow-up is not yet known
    subjects_per_site: int = 400       # above this, extra sites are opened at large sizes
    extra_site_countries: list[tuple[str, str, str, bool]] = field(default_factory=list)
