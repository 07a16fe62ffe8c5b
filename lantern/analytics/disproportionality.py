"""Relative rate indices (RRI): is one group of children reaching a stage more often than another?

The disproportionality check the Information Commissioner found missing from the Metropolitan
Police's Gangs Matrix (ICO enforcement notice, November 2018: no assessment of whether the matrix
treated black and minority ethnic young people disproportionately). The method is the one the Youth
Justice Board's disproportionality toolkit and the Lammy Review use for each stage of the system:

- **Rate** of a stage (e.g. referred to the hub, screened at a high level, NRM referral) for a group
  is the group's count at that stage over its base population (the children of that group in the
  county, or those at the previous stage), shown per 1,000.
- **RRI** is the group's rate over the reference group's rate. The reference defaults to the group
  with the largest base, the usual choice (most precise rate); the table's notes say which it is.
- **Interval:** the log method (Katz et al. 1978), exp(log RRI ± z·se) with
  se = √(1/a − 1/n₁ + 1/c − 1/n₂), a and n₁ the group's count and base, c and n₂ the reference's.
  A group with a count of 0 has no RRI and no interval (log 0); it gets a note instead. No
  continuity correction is added: a corrected ratio is an artefact of the 0.5 chosen, not an
  estimate, and a board should read "none in this period", not a number.
- **Suppression:** a group whose count or base is below the threshold is withheld (count, rate, RRI
  and interval all ``None``) by :func:`lantern.analytics.suppression.suppress`, including the
  complementary cell that stops it being recovered from the published total. When the reference is
  withheld no RRI is published at all (its rate could be worked back from any group's rate and RRI).

A difference in rates is not by itself evidence of discrimination: the stage's base population
matters (children in the county, or children already known to services?), as do differences in need
and in who refers. The plain-English reading says so with every table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy.stats import norm

from .suppression import suppress

__all__ = ["CAVEAT", "GroupRate", "RateTable", "reading", "relative_rates"]

CAVEAT = (
    "A difference in rates is not by itself evidence of discrimination: it depends on the base "
    "population chosen (all children in the county, or only those already known to services), and "
    "groups can differ in need, in where they live and in who refers them. It says where to look "
    "more closely, not why."
)


@dataclass(frozen=True)
class GroupRate:
    """One group's row. Everything that could disclose a small count is ``None`` when suppressed."""

    group: str
    count: int | None
    base: int | None
    rate_per_1000: float | None
    rri: float | None  # 1.0 for the reference group
    ci: tuple[float, float] | None  # None for the reference group, a zero count or suppression
    suppressed: bool
    note: str


@dataclass(frozen=True)
class RateTable:
    stage: str
    dimension: str
    reference: str  # "" when there is no reference (no data, or no group with a base)
    rows: tuple[GroupRate, ...]
    total_count: int
    total_base: int
    notes: tuple[str, ...]
    level: float = 0.95
    threshold: int = 5

    def row(self, group: str) -> GroupRate:
        for r in self.rows:
            if r.group == group:
                return r
        raise KeyError(group)


def katz_interval(a: int, n1: int, c: int, n2: int, level: float = 0.95) -> tuple[float, tuple[float, float]]:
    """The ratio (a/n₁)/(c/n₂) and its log-method interval; a and c must be positive."""
    if a <= 0 or c <= 0 or n1 < a or n2 < c:
        raise ValueError("the log method needs 0 < a ≤ n₁ and 0 < c ≤ n₂")
    ratio = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    z = float(norm.ppf(0.5 + level / 2))
    return ratio, (ratio * math.exp(-z * se), ratio * math.exp(z * se))


def relative_rates(
    stage: str,
    dimension: str,
    counts: Mapping[str, int],
    base: Mapping[str, int],
    reference: str | None = None,
    level: float = 0.95,
    threshold: int = 5,
) -> RateTable:
    """Each group's rate of reaching `stage` and its RRI against `reference`, by `dimension` (e.g.
    "ethnicity"). `counts` are the children at the stage by group, `base` the base population by
    group. Never raises for data: empty counts, groups with no base and zero counts become notes."""
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    for name, values in (("counts", counts), ("base", base)):
        for group, value in values.items():
            if value < 0 or value != int(value):
                raise ValueError(f"{name} for {group!r} must be a whole number, not negative: {value!r}")
    if not counts:
        return RateTable(stage, dimension, "", (), 0, 0, ("no data in this period",), level, threshold)

    groups = list(counts)
    notes: list[str] = []
    has_base = {g: base.get(g, 0) > 0 for g in groups}
    for g in groups:
        if has_base[g] and counts[g] > base[g]:
            raise ValueError(
                f"{g!r} has more children at the stage ({counts[g]}) than in its base ({base[g]})"
            )

    # A group with a small base is withheld like a small count: give suppress() a small non-zero
    # stand-in for it, so the complementary rule sees it too.
    small_base = {g for g in groups if has_base[g] and base[g] < threshold}
    stand_in = {g: (1 if g in small_base else counts[g]) for g in groups}
    published = suppress(stand_in, threshold) if threshold > 1 else dict(stand_in)
    withheld = {g for g in groups if published[g] is None}

    # the reference group
    candidates = [g for g in groups if has_base[g]]
    if reference is not None:
        if reference not in counts:
            raise ValueError(f"the reference group {reference!r} is not among the groups counted")
        ref = reference
        notes.append(f"Rates are compared with {ref!r}, the reference group chosen for this table.")
    elif candidates:
        ref = max(candidates, key=lambda g: (base[g], -groups.index(g)))
        notes.append(
            f"Rates are compared with {ref!r}, the group with the largest base population "
            f"({base[ref]:,}), as is usual: its rate is the most precise."
        )
    else:
        ref = ""
    ref_usable = bool(ref) and has_base.get(ref, False) and counts[ref] > 0 and ref not in withheld
    if ref and not has_base.get(ref, False):
        notes.append(f"No relative rates: the reference group {ref!r} has no base population.")
    elif ref and counts[ref] == 0:
        notes.append(f"No relative rates: no child in the reference group {ref!r} reached this stage.")
    elif ref and ref in withheld:
        notes.append(
            f"No relative rates: the reference group {ref!r} is suppressed (its rate could be worked "
            "back from any other group's rate and ratio)."
        )

    z_pct = f"{level:.0%}"
    rows = []
    for g in groups:
        a = counts[g]
        if not has_base[g]:
            suppressed = g in withheld
            rows.append(
                GroupRate(
                    g,
                    None if suppressed else a,
                    None,
                    None,
                    None,
                    None,
                    suppressed,
                    "no base population"
                    + (f"; count fewer than {threshold}, suppressed" if suppressed else ""),
                )
            )
            continue
        n1 = base[g]
        if g in withheld:
            why = (
                f"base population fewer than {threshold}"
                if g in small_base
                else f"count fewer than {threshold}"
                if 0 < a < threshold
                else "withheld so that a suppressed count cannot be recovered from the total"
            )
            rows.append(
                GroupRate(
                    g, None, None if g in small_base else n1, None, None, None, True, f"suppressed: {why}"
                )
            )
            continue
        rate = 1000 * a / n1
        if g == ref:
            rri = 1.0 if ref_usable else None
            rows.append(GroupRate(g, a, n1, rate, rri, None, False, "reference group"))
            continue
        if a == 0:
            rows.append(
                GroupRate(g, 0, n1, 0.0, None, None, False, "none at this stage in this period, so no ratio")
            )
            continue
        if not ref_usable:
            rows.append(GroupRate(g, a, n1, rate, None, None, False, "no usable reference group"))
            continue
        rri, ci = katz_interval(a, n1, counts[ref], base[ref], level)
        rows.append(GroupRate(g, a, n1, rate, rri, ci, False, f"{z_pct} interval by the log (Katz) method"))

    missing = [g for g in groups if not has_base[g]]
    if missing:
        notes.append(
            "No base population for "
            + ", ".join(repr(g) for g in missing)
            + ": counted in the total, but no rate or ratio."
        )
    zeros = [g for g in groups if has_base[g] and counts[g] == 0 and g != ref]
    if zeros:
        notes.append(
            "No child from "
            + ", ".join(repr(g) for g in zeros)
            + " reached this stage, so there is no ratio for them (no continuity correction is applied)."
        )
    if withheld:
        notes.append(
            f"Groups with fewer than {threshold} children at the stage or in the base are suppressed, with "
            "another group where needed so that none can be recovered from the total."
        )
    return RateTable(
        stage=stage,
        dimension=dimension,
        reference=ref,
        rows=tuple(rows),
        total_count=sum(counts.values()),
        total_base=sum(base[g] for g in groups if has_base[g]),
        notes=tuple(notes),
        level=level,
        threshold=threshold,
    )


def _num(x: float) -> str:
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def reading(table: RateTable) -> str:
    """A plain-English summary: which groups' intervals lie wholly above or below 1, and the caveat."""
    if not table.rows:
        return f"No {table.stage} in this period, so there is nothing to compare. {CAVEAT}"
    if not any(r.rri is not None and r.ci is not None for r in table.rows):
        return (
            f"No relative rates of {table.stage} by {table.dimension} can be given for this period "
            f"({'; '.join(table.notes) or 'too few children'}). {CAVEAT}"
        )
    pct = f"{table.level:.0%}"

    def describe(r: GroupRate) -> str:
        assert r.rri is not None and r.ci is not None
        return f"{r.group} ({_num(r.rri)} times the rate; {pct} interval {_num(r.ci[0])} to {_num(r.ci[1])})"

    above = [r for r in table.rows if r.ci is not None and r.ci[0] > 1]
    below = [r for r in table.rows if r.ci is not None and r.ci[1] < 1]
    parts = [f"Compared with {table.reference}, the rate of {table.stage} by {table.dimension} was"]
    if above:
        parts.append(" clearly higher for " + "; ".join(describe(r) for r in above))
    if below:
        parts.append(
            (" and" if above else "") + " clearly lower for " + "; ".join(describe(r) for r in below)
        )
    if not above and not below:
        parts.append(f" not clearly different for any group (every {pct} interval includes 1)")
    text = "".join(parts) + "."
    if above or below:
        text += f" For the other groups the {pct} interval includes 1."
    suppressed = [r.group for r in table.rows if r.suppressed]
    if suppressed:
        text += f" {len(suppressed)} group{'s are' if len(suppressed) > 1 else ' is'} suppressed (too few children)."
    return f"{text} {CAVEAT}"
