"""The correlation study: odds ratios by hand, planted effects recovered from simulated children, and
the synthetic county's planted associations recovered from its ground truth."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest

from lantern.analytics.correlation import (
    CAVEATS,
    CrossTab,
    adjusted_odds_ratios,
    correlation_study,
    crosstab,
    odds_ratio,
)
from lantern.core.timeutils import age_on
from lantern.synthetic.generator import generate

EXPOSURES = ("repeat_missing", "looked_after", "excluded_from_school")
OUTCOME = "criminally_exploited"


def rows_from_table(a: int, b: int, c: int, d: int, exposure: str = "x", outcome: str = "y") -> list[dict]:
    return (
        [{exposure: True, outcome: True}] * a
        + [{exposure: True, outcome: False}] * b
        + [{exposure: False, outcome: True}] * c
        + [{exposure: False, outcome: False}] * d
    )


# ------------------------------------------------------------------ 2×2 tables by hand


def test_woolf_interval_by_hand():
    t = crosstab(rows_from_table(10, 20, 5, 65), "x", "y")
    assert (t.exposed_with, t.exposed_without, t.unexposed_with, t.unexposed_without, t.n) == (
        10,
        20,
        5,
        65,
        100,
    )
    o = odds_ratio(t)
    assert o.estimate == pytest.approx(10 * 65 / (20 * 5))
    se = math.sqrt(1 / 10 + 1 / 20 + 1 / 5 + 1 / 65)
    assert o.ci == pytest.approx((6.5 * math.exp(-1.959964 * se), 6.5 * math.exp(1.959964 * se)), rel=1e-6)
    assert not o.corrected and o.method == "Woolf (logit) interval"
    assert o.excludes_one


def test_a_zero_cell_gets_the_haldane_anscombe_correction_and_says_so():
    o = odds_ratio(CrossTab("x", "y", 0, 20, 5, 75))
    assert o.corrected
    assert "0.5 added to every cell" in o.method
    assert o.estimate == pytest.approx(0.5 * 75.5 / (20.5 * 5.5))
    se = math.sqrt(1 / 0.5 + 1 / 20.5 + 1 / 5.5 + 1 / 75.5)
    assert math.log(o.ci[1] / o.estimate) == pytest.approx(1.959964 * se, rel=1e-6)


@pytest.mark.parametrize(
    ("cells", "why"),
    [
        ((0, 0, 5, 5), "no child is x"),
        ((5, 5, 0, 0), "every child is x"),
        ((0, 5, 0, 5), "no child is y"),
        ((5, 0, 5, 0), "every child is y"),
    ],
)
def test_a_table_with_nothing_to_compare_is_refused(cells, why):
    with pytest.raises(ValueError, match=f"cannot compute an odds ratio because {why}"):
        odds_ratio(CrossTab("x", "y", *cells))


def test_unknown_flags_are_left_out_and_counted():
    rows = rows_from_table(3, 3, 3, 3) + [
        {"x": None, "y": True},
        {"y": False},
        {"x": float("nan"), "y": True},
    ]
    t = crosstab(rows, "x", "y")
    assert t.n == 12 and t.unknown == 3


def test_flags_must_be_true_or_false():
    with pytest.raises(ValueError, match="must be true/false"):
        crosstab([{"x": "yes", "y": True}], "x", "y")


# ------------------------------------------------------------------ planted odds ratios, simulated

TRUE_OR = {"repeat_missing": 4.0, "looked_after": 3.0, "excluded_from_school": 2.5}


def simulate(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Children whose flags are associated with each other (care raises missing, missing raises
    exclusion) and with exploitation through a logistic model with the planted odds ratios."""
    lac = rng.random(n) < 0.06
    missing = rng.random(n) < 0.04 + 0.25 * lac
    excluded = rng.random(n) < 0.08 + 0.12 * missing
    logit = -4.5 + sum(
        math.log(TRUE_OR[f]) * v for f, v in zip(EXPOSURES, (missing, lac, excluded), strict=True)
    )
    exploited = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {"repeat_missing": missing, "looked_after": lac, "excluded_from_school": excluded, OUTCOME: exploited}
    )


def test_the_adjusted_odds_ratios_recover_the_planted_ones():
    """One simulated population of 40,000. A 95% interval misses its truth 1 time in 20, so three of
    them all cover on about 86% of seeds (seed 2019 misses one, the exclusion OR at 1.97 against
    2.5); the test below checks the rate over many populations, which is what guards the method."""
    children = simulate(40_000, np.random.default_rng(2020))
    study = correlation_study(children)
    assert study.n == 40_000
    assert study.adjusted.fitted
    assert study.adjusted.n == 40_000 and study.adjusted.events == int(children[OUTCOME].sum())
    for a in study.adjusted.odds_ratios:
        assert a.ci[0] < TRUE_OR[a.exposure] < a.ci[1], a
        assert a.excludes_one
    # the unadjusted ratios mix in the other flags' effects: each is larger than the planted one
    for o in study.unadjusted:
        assert o.estimate > TRUE_OR[o.exposure]


def test_the_adjusted_intervals_cover_the_planted_odds_ratios_about_95_times_in_100():
    rng = np.random.default_rng(7)
    covered = Counter()
    runs = 150
    for _ in range(runs):
        model = adjusted_odds_ratios(simulate(6_000, rng))
        assert model.fitted
        for a in model.odds_ratios:
            covered[a.exposure] += a.ci[0] < TRUE_OR[a.exposure] < a.ci[1]
    for exposure in EXPOSURES:
        assert 0.88 <= covered[exposure] / runs <= 1.0, covered


def test_the_woolf_interval_covers_a_planted_odds_ratio_about_95_times_in_100():
    rng = np.random.default_rng(11)
    true_or, covered, runs = 3.0, 0, 400
    for _ in range(runs):
        x = rng.random(800) < 0.2
        p = np.where(x, 0.1 * true_or / (1 - 0.1 + 0.1 * true_or), 0.1)  # odds 0.1/0.9 times 3 when exposed
        y = rng.random(800) < p
        t = CrossTab(
            "x", "y", int((x & y).sum()), int((x & ~y).sum()), int((~x & y).sum()), int((~x & ~y).sum())
        )
        lo, hi = odds_ratio(t).ci
        covered += lo < true_or < hi
    assert 0.92 <= covered / runs <= 0.98


def test_the_study_reads_in_plain_english_with_its_caveats():
    study = correlation_study(simulate(20_000, np.random.default_rng(3)))
    assert len(study.reading) == 4  # three unadjusted, one adjusted
    first = study.reading[0]
    assert "children who were repeatedly missing were criminally exploited" in first
    assert "times the odds for children who were not (95% interval" in first
    assert "logistic regression over 20,000 children" in study.reading[3]
    assert study.caveats == CAVEATS
    assert any(c.startswith("Association is not causation") for c in study.caveats)
    # every pair of the four flags is cross-tabulated, and every combination counted
    assert len(study.crosstabs) == 6
    assert len(study.pairwise) == 3
    assert sum(n for _, n in study.combinations) == 20_000
    assert dict((f, (k, n)) for f, k, n in study.prevalence)[OUTCOME][1] == 20_000


def test_perfect_separation_is_reported_not_fitted():
    rows = [
        {
            "repeat_missing": i < 5,
            "looked_after": i % 3 == 0,
            "excluded_from_school": i % 4 == 0,
            OUTCOME: i < 5,
        }
        for i in range(200)
    ]
    model = adjusted_odds_ratios(rows)
    assert not model.fitted and model.odds_ratios == ()
    assert model.reason.startswith(
        "cannot adjust because every child not repeatedly missing is not criminally exploited"
    )
    study = correlation_study(rows)
    assert "could not be adjusted" in study.reading[-1]
    assert study.unadjusted[0].corrected  # the zero cell is corrected in the unadjusted table


def test_no_children_is_refused():
    with pytest.raises(ValueError, match="no children"):
        correlation_study([])


# ------------------------------------------------------------------ the synthetic county's planted associations

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def county_children() -> list[dict]:
    """One row per child of the demo county aged 10 or over at the as-of date (and every exploited
    child, some of whom have turned 18), with the flags computed from the ground truth: repeat
    missing = two or more police missing reports; excluded = any suspension or permanent
    exclusion; looked after and exploited as the generator recorded them."""
    county = generate("demo", seed=2019, as_of=AS_OF)
    events: dict[str, Counter] = defaultdict(Counter)
    for e in county.events:
        if e.item_type in ("missing_report", "permanent_exclusion", "school_suspension"):
            events[county.truth[e.record_key]][e.item_type] += 1
    out = []
    for p in county.people:
        if not (p.exploited or (p.is_child and age_on(p.dob, AS_OF) >= 10)):
            continue
        e = events[p.person_key]
        out.append(
            {
                "repeat_missing": e["missing_report"] >= 2,
                "looked_after": p.looked_after,
                "excluded_from_school": e["school_suspension"] + e["permanent_exclusion"] > 0,
                OUTCOME: p.exploited,
            }
        )
    return out


def test_the_generator_plants_associations_and_the_study_recovers_them(county_children):
    study = correlation_study(county_children)
    assert sum(r[OUTCOME] for r in county_children) >= 5
    assert {o.exposure for o in study.unadjusted} == set(EXPOSURES)
    for o in study.unadjusted:
        assert o.estimate > 1 and o.ci[0] > 1, o
    # the planted children are few, so the adjustment is reported either way, never a crash
    assert study.adjusted.fitted or study.adjusted.reason.startswith("cannot adjust because")
    if study.adjusted.fitted:
        assert all(a.estimate > 1 for a in study.adjusted.odds_ratios)


def test_the_county_flags_are_not_random(county_children):
    # a control for the test above: shuffling the outcome destroys the associations
    shuffled = [dict(r) for r in county_children]
    outcomes = [r[OUTCOME] for r in shuffled]
    random.Random(1).shuffle(outcomes)
    for r, y in zip(shuffled, outcomes, strict=True):
        r[OUTCOME] = y
    study = correlation_study(shuffled)
    assert sum(o.excludes_one and o.estimate > 1 for o in study.unadjusted) <= 1
