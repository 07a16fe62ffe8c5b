"""The correlation study the 2019 report recommends: repeat missing × looked after × excluded from
school × criminally exploited (report recommendation; standards §7: join 903 Missing, CIN factor
24A and school census PERM/SUSP exclusions on UPN / LA child id, pseudonymised analytics only).

Pure functions over one row per child, each row a mapping of flag name to True/False (None or a
missing key = not known, and the child is left out of the analyses that need that flag):

- **Cross-tabulations**: a 2×2 table for every pair of flags, and the count of children with each
  combination of all the flags.
- **Unadjusted odds ratios** with Woolf's (logit) 95% interval, exp(log OR ± z·√(1/a+1/b+1/c+1/d))
  (Woolf 1955). When a cell is zero the OR is 0 or infinite and the interval undefined, so 0.5 is
  added to every cell first (Haldane 1956; Anscombe 1956), and the result says so.
- **Mutually adjusted odds ratios**: a logistic regression (statsmodels Logit) of the outcome on all
  the other flags together, each OR with its Wald interval. With few children in the outcome, or a
  flag that separates the outcome perfectly, the maximum likelihood estimate does not exist; the
  result then says the adjustment cannot be made, and why, rather than printing numbers.
- **Sample sizes** throughout, and a **plain-English reading** that ends with the caveats: an odds
  ratio is an association in recorded data, not a cause.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy.stats import norm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationWarning,
)

__all__ = [
    "CAVEATS",
    "DEFAULT_EXPOSURES",
    "DEFAULT_OUTCOME",
    "LABELS",
    "AdjustedModel",
    "AdjustedOddsRatio",
    "CorrelationStudy",
    "CrossTab",
    "OddsRatio",
    "adjusted_odds_ratios",
    "correlation_study",
    "crosstab",
    "odds_ratio",
]

DEFAULT_OUTCOME = "criminally_exploited"
DEFAULT_EXPOSURES: tuple[str, ...] = ("repeat_missing", "looked_after", "excluded_from_school")
LABELS: dict[str, str] = {
    "repeat_missing": "repeatedly missing",
    "looked_after": "looked after",
    "excluded_from_school": "excluded from school",
    "criminally_exploited": "criminally exploited",
}

CAVEATS: tuple[str, ...] = (
    "Association is not causation: these figures say which experiences go together in the records, "
    "not that one causes another. Exploitation can lead to going missing and to exclusion as much as "
    "the other way round, and the records do not show which came first.",
    "The flags are as recorded. Children already known to services are more likely to have "
    "exploitation recognised and recorded, which strengthens every association here.",
    "Wide intervals mean few children: read the interval, not just the odds ratio.",
)

Row = Mapping[str, object]


def _label(flag: str) -> str:
    return LABELS.get(flag, flag.replace("_", " "))


def _rows(data: Iterable[Row] | object) -> list[Row]:
    """Accept an iterable of mappings or anything with ``to_dict("records")`` (a pandas DataFrame)."""
    to_dict = getattr(data, "to_dict", None)
    if callable(to_dict):
        return list(to_dict("records"))
    return list(data)  # type: ignore[call-overload]


def _flag(row: Row, name: str) -> bool | None:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value in (0, 1):
        return bool(value)
    raise ValueError(f"flag {name!r} must be true/false (or 0/1, or None when not known), got {value!r}")


# --------------------------------------------------------------------------------------------------
# 2×2 tables and unadjusted odds ratios
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossTab:
    """Children by `exposure` (rows) and `outcome` (columns); children with either flag unknown are
    counted in ``unknown`` and left out."""

    exposure: str
    outcome: str
    exposed_with: int  # a: exposure and outcome
    exposed_without: int  # b
    unexposed_with: int  # c
    unexposed_without: int  # d
    unknown: int = 0

    @property
    def n(self) -> int:
        return self.exposed_with + self.exposed_without + self.unexposed_with + self.unexposed_without

    @property
    def exposed(self) -> int:
        return self.exposed_with + self.exposed_without

    @property
    def unexposed(self) -> int:
        return self.unexposed_with + self.unexposed_without

    @property
    def with_outcome(self) -> int:
        return self.exposed_with + self.unexposed_with


def crosstab(rows: Iterable[Row] | object, exposure: str, outcome: str) -> CrossTab:
    counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    unknown = 0
    for row in _rows(rows):
        x, y = _flag(row, exposure), _flag(row, outcome)
        if x is None or y is None:
            unknown += 1
            continue
        counts[(x, y)] += 1
    return CrossTab(
        exposure,
        outcome,
        counts[(True, True)],
        counts[(True, False)],
        counts[(False, True)],
        counts[(False, False)],
        unknown,
    )


@dataclass(frozen=True)
class OddsRatio:
    """The odds of `outcome` among children with `exposure` over the odds among those without."""

    exposure: str
    outcome: str
    estimate: float
    ci: tuple[float, float]
    level: float
    corrected: bool  # 0.5 added to every cell (a cell was zero)
    method: str
    table: CrossTab

    @property
    def n(self) -> int:
        return self.table.n

    @property
    def excludes_one(self) -> bool:
        return self.ci[0] > 1 or self.ci[1] < 1


def odds_ratio(table: CrossTab, level: float = 0.95) -> OddsRatio:
    """Woolf (logit) interval; Haldane–Anscombe 0.5 correction to every cell when one is zero.
    Refuses a table with no children exposed, none unexposed, none with or none without the
    outcome: there is then nothing to compare."""
    a, b, c, d = table.exposed_with, table.exposed_without, table.unexposed_with, table.unexposed_without
    for count, what in (
        (a + b, f"no child is {_label(table.exposure)}"),
        (c + d, f"every child is {_label(table.exposure)}"),
        (a + c, f"no child is {_label(table.outcome)}"),
        (b + d, f"every child is {_label(table.outcome)}"),
    ):
        if count == 0:
            raise ValueError(f"cannot compute an odds ratio because {what}")
    corrected = 0 in (a, b, c, d)
    method = "Woolf (logit) interval"
    if corrected:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        method += "; 0.5 added to every cell (Haldane–Anscombe) because a cell was zero"
    log_or = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    z = float(norm.ppf(0.5 + level / 2))
    return OddsRatio(
        exposure=table.exposure,
        outcome=table.outcome,
        estimate=math.exp(log_or),
        ci=(math.exp(log_or - z * se), math.exp(log_or + z * se)),
        level=level,
        corrected=corrected,
        method=method,
        table=table,
    )


# --------------------------------------------------------------------------------------------------
# Mutually adjusted odds ratios
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdjustedOddsRatio:
    exposure: str
    estimate: float
    ci: tuple[float, float]
    p_value: float

    @property
    def excludes_one(self) -> bool:
        return self.ci[0] > 1 or self.ci[1] < 1


@dataclass(frozen=True)
class AdjustedModel:
    """Logistic regression of `outcome` on every exposure at once; ``odds_ratios`` is empty and
    ``reason`` says why when the model cannot be fitted."""

    outcome: str
    exposures: tuple[str, ...]
    n: int  # children with every flag known
    events: int  # of them, with the outcome
    level: float
    odds_ratios: tuple[AdjustedOddsRatio, ...]
    reason: str | None = None

    @property
    def fitted(self) -> bool:
        return self.reason is None


def adjusted_odds_ratios(
    rows: Iterable[Row] | object,
    outcome: str = DEFAULT_OUTCOME,
    exposures: Sequence[str] = DEFAULT_EXPOSURES,
    level: float = 0.95,
) -> AdjustedModel:
    """Each exposure's odds ratio adjusted for the others (statsmodels Logit, Wald intervals),
    over the children with every flag known."""
    exposures = tuple(exposures)
    complete = []
    for row in _rows(rows):
        values = [_flag(row, f) for f in (*exposures, outcome)]
        if None not in values:
            complete.append(values)
    n = len(complete)
    data = np.asarray(complete, dtype=float).reshape(n, len(exposures) + 1)
    y, x = data[:, -1], data[:, :-1]
    events = int(y.sum())

    def refused(reason: str) -> AdjustedModel:
        return AdjustedModel(outcome, exposures, n, events, level, (), f"cannot adjust because {reason}")

    if events == 0 or events == n:
        return refused(f"{'no' if events == 0 else 'every'} child is {_label(outcome)}")
    for j, f in enumerate(exposures):
        if x[:, j].min() == x[:, j].max():
            return refused(f"{'every' if x[0, j] else 'no'} child is {_label(f)}")
        for level_value in (0.0, 1.0):
            group = y[x[:, j] == level_value]
            if group.min() == group.max():
                who = f"{'' if level_value else 'not '}{_label(f)}"
                state = "is" if group[0] else "is not"
                return refused(
                    f"every child {who} {state} {_label(outcome)} (perfect separation: the adjusted odds "
                    "ratio would be 0 or infinite); the unadjusted, corrected odds ratios still apply"
                )
    design = sm.add_constant(x, has_constant="add")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, design).fit(disp=0, maxiter=100)
        except np.linalg.LinAlgError:
            return refused("the flags are too closely tied together to separate their effects")
    problems = [
        w
        for w in caught
        if issubclass(w.category, ConvergenceWarning | HessianInversionWarning | PerfectSeparationWarning)
        or issubclass(w.category, RuntimeWarning)
    ]
    if problems or not res.mle_retvals.get("converged", False):
        return refused(
            "the logistic regression has no stable estimate (too few children with the outcome for "
            "this many flags, or a combination of flags that predicts it perfectly)"
        )
    for w in caught:  # anything else was not ours to swallow
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    z = float(norm.ppf(0.5 + level / 2))
    ors = []
    for j, f in enumerate(exposures, 1):
        beta, se = float(res.params[j]), float(res.bse[j])
        if not math.isfinite(se) or se > 20:
            return refused(f"the estimate for {_label(f)} is unstable (quasi-separation)")
        ors.append(
            AdjustedOddsRatio(
                f, math.exp(beta), (math.exp(beta - z * se), math.exp(beta + z * se)), float(res.pvalues[j])
            )
        )
    return AdjustedModel(outcome, exposures, n, events, level, tuple(ors))


# --------------------------------------------------------------------------------------------------
# The study
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrelationStudy:
    outcome: str
    exposures: tuple[str, ...]
    n: int  # children in the data
    prevalence: tuple[tuple[str, int, int], ...]  # (flag, children with it, children with it known)
    combinations: tuple[tuple[tuple[bool, ...], int], ...]  # every flag's value, in `flags` order -> children
    crosstabs: tuple[CrossTab, ...]  # every pair of flags
    unadjusted: tuple[OddsRatio, ...]  # each exposure against the outcome
    pairwise: tuple[OddsRatio, ...]  # each pair of exposures
    adjusted: AdjustedModel
    level: float
    reading: tuple[str, ...]
    caveats: tuple[str, ...] = CAVEATS

    @property
    def flags(self) -> tuple[str, ...]:
        return (*self.exposures, self.outcome)


def correlation_study(
    rows: Iterable[Row] | object,
    outcome: str = DEFAULT_OUTCOME,
    exposures: Sequence[str] = DEFAULT_EXPOSURES,
    level: float = 0.95,
) -> CorrelationStudy:
    """Cross-tabulations, unadjusted and mutually adjusted odds ratios, sample sizes and a
    plain-English reading, for one row per child."""
    data = _rows(rows)
    exposures = tuple(exposures)
    flags = (*exposures, outcome)
    if not data:
        raise ValueError("cannot run the study because there are no children in the data")
    prevalence = []
    for f in flags:
        known = [v for v in (_flag(r, f) for r in data) if v is not None]
        prevalence.append((f, sum(known), len(known)))
    combos: dict[tuple[bool, ...], int] = {}
    for r in data:
        values = tuple(_flag(r, f) for f in flags)
        if None not in values:
            combos[values] = combos.get(values, 0) + 1  # type: ignore[index]
    tables = tuple(crosstab(data, x, y) for x, y in itertools.combinations(flags, 2))
    by_pair = {(t.exposure, t.outcome): t for t in tables}

    def safe(table: CrossTab) -> OddsRatio | None:
        try:
            return odds_ratio(table, level)
        except ValueError:
            return None

    unadjusted = tuple(o for o in (safe(by_pair[(x, outcome)]) for x in exposures) if o is not None)
    pairwise = tuple(
        o for o in (safe(by_pair[p]) for p in itertools.combinations(exposures, 2)) if o is not None
    )
    adjusted = adjusted_odds_ratios(data, outcome, exposures, level)
    return CorrelationStudy(
        outcome=outcome,
        exposures=exposures,
        n=len(data),
        prevalence=tuple(prevalence),
        combinations=tuple(sorted(combos.items(), reverse=True)),
        crosstabs=tables,
        unadjusted=unadjusted,
        pairwise=pairwise,
        adjusted=adjusted,
        level=level,
        reading=_reading(outcome, exposures, unadjusted, adjusted, level),
    )


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    return f"{x:.2f}"


def _reading(
    outcome: str,
    exposures: tuple[str, ...],
    unadjusted: tuple[OddsRatio, ...],
    adjusted: AdjustedModel,
    level: float,
) -> tuple[str, ...]:
    pct = f"{level:.0%}"
    out = []
    for o in unadjusted:
        t = o.table
        comparison = (
            f"{t.exposed_with:,} of {t.exposed:,} children who were {_label(o.exposure)} were "
            f"{_label(outcome)}, against {t.unexposed_with:,} of {t.unexposed:,} who were not"
        )
        if o.excludes_one:
            text = (
                f"{comparison}. Their odds of being {_label(outcome)} were {_num(o.estimate)} times the "
                f"odds for children who were not ({pct} interval {_num(o.ci[0])} to {_num(o.ci[1])})."
            )
        else:
            text = (
                f"{comparison}. The odds ratio, {_num(o.estimate)} ({pct} interval {_num(o.ci[0])} to "
                f"{_num(o.ci[1])}), is consistent with no association."
            )
        if o.corrected:
            text += " A count was zero, so 0.5 was added to every cell before calculating."
        out.append(text)
    if adjusted.fitted:
        parts = [
            f"{_label(a.exposure)} {_num(a.estimate)} ({_num(a.ci[0])} to {_num(a.ci[1])})"
            for a in adjusted.odds_ratios
        ]
        out.append(
            f"Taking the {len(exposures)} flags together (logistic regression over {adjusted.n:,} children, "
            f"{adjusted.events:,} {_label(outcome)}), the odds ratios for each with the others held "
            f"fixed were: {'; '.join(parts)}."
        )
        weak = [a for a in adjusted.odds_ratios if not a.excludes_one]
        if weak:
            out.append(
                "Once the other flags are allowed for, "
                + ", ".join(_label(a.exposure) for a in weak)
                + " is not clearly associated on its own: its link is shared with the other flags."
            )
    else:
        out.append(f"The flags could not be adjusted for each other: {adjusted.reason}.")
    return tuple(out)
