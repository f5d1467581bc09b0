"""Modified 3+3 dose escalation, played out subject by subject.

Rules (per arm): treat 3 DLT-evaluable subjects at a level; 0/3 with a DLT ->
escalate; 1/3 -> expand to 6; at most 1/6 -> escalate; 2 or more DLTs at a level
-> that level exceeds the MTD: the next lower level is expanded to 6 if it has
only 3, and the highest level with at most 1/6 becomes the MTD/RP2D.  The top
level is expanded to 6 before it is declared the RP2D.  Subjects who are not
DLT-evaluable (fewer infusions in the 28-day window without a DLT) are replaced.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Probability that a treated escalation subject is DLT-evaluable.
P_EVALUABLE = 0.92


@dataclass(frozen=True)
class Treated:
    """One escalation subject as the 3+3 saw them."""

    arm: int
    level: int
    cohort: int          # cohort sequence number within the arm (0-based)
    evaluable: bool
    dlt_n: int           # number of DLT events (0, 1 or 2)


def escalate(rng: np.random.Generator, arm: int, p_dlt: list[float]) -> tuple[list[Treated], int]:
    """Run the 3+3 for one arm; return its subjects in treatment order and the RP2D level (-1 if none)."""
    n_levels = len(p_dlt)
    n_eval = [0] * n_levels
    n_dlt = [0] * n_levels
    subjects: list[Treated] = []
    cohort = 0

    def treat_three(level: int) -> None:
        nonlocal cohort
        got = 0
        while got < 3:
            evaluable = bool(rng.random() < P_EVALUABLE)
            dlt = bool(rng.random() < p_dlt[level])
            if dlt:
                evaluable = True
            dlt_n = (2 if rng.random() < 0.15 else 1) if dlt else 0
            subjects.append(Treated(arm, level, cohort, evaluable, dlt_n))
            if evaluable:
                got += 1
                n_eval[level] += 1
                n_dlt[level] += dlt_n > 0
        cohort += 1

    def step_down(level: int) -> int:
        while level - 1 >= 0:
            level -= 1
            if n_eval[level] < 6:
                treat_three(level)
            if n_dlt[level] <= 1:
                return level
        return -1

    level = 0
    while True:
        treat_three(level)
        if n_dlt[level] >= 2:
            return subjects, step_down(level)
        if n_dlt[level] == 1 and n_eval[level] == 3:
            treat_three(level)
            if n_dlt[level] >= 2:
                return subjects, step_down(level)
        if level == n_levels - 1:
            if n_eval[level] < 6:
                treat_three(level)
            if n_dlt[level] >= 2:
                return subjects, step_down(level)
            return subjects, level
        level += 1
