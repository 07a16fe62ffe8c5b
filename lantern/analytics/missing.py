"""Pure rules about missing episodes (no Django): when a repeat-missing threshold is crossed, and
counts by sex and age band. Used by the alert rules, the board figures and the ground-truth tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from lantern.core.timeutils import age_on

__all__ = ["AGE_BANDS", "age_band", "age_on", "counts_by_sex_and_band", "threshold_crossings"]

AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 9, "under 10"),
    (10, 11, "10–11"),
    (12, 15, "12–15"),
    (16, 17, "16–17"),
)


def threshold_crossings(starts: Sequence[dt.datetime], episodes: int, window: dt.timedelta) -> list[int]:
    """Indexes (into `starts`, sorted ascending) of the episodes at which a child reaches `episodes`
    episodes within `window` (the window ending at that episode's start). The count within a sliding
    window only ever rises by one, at an episode, so it crosses the threshold upwards exactly when it
    equals it: a child who stays at or above the threshold crosses once; one whose earlier episodes
    age out of the window and who then goes missing again crosses again."""
    if episodes < 1:
        raise ValueError("episodes must be at least 1")
    crossings: list[int] = []
    first_in_window = 0
    for index, start in enumerate(starts):
        while starts[first_in_window] <= start - window:
            first_in_window += 1
        if index - first_in_window + 1 == episodes:
            crossings.append(index)
    return crossings


def age_band(age: int | None) -> str:
    if age is None:
        return "age not known"
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "18 and over"


def counts_by_sex_and_band(episodes: Iterable[tuple[str, str, int | None]]) -> dict[str, dict[str, int]]:
    """(child key, sex, age at episode) per episode -> episodes and distinct children by sex and band."""
    children: dict[tuple[str, str], set[str]] = {}
    incidents: dict[tuple[str, str], int] = {}
    for child, sex, age in episodes:
        cell = (sex or "U", age_band(age))
        incidents[cell] = incidents.get(cell, 0) + 1
        children.setdefault(cell, set()).add(child)
    return {
        "episodes": {f"{s}|{b}": n for (s, b), n in sorted(incidents.items())},
        "children": {f"{s}|{b}": len(c) for (s, b), c in sorted(children.items())},
    }
