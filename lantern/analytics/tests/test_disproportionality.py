"""Relative rate indices: the Katz interval by hand, the reference group, suppression, zero counts,
missing bases, empty data, the reading and the interval's coverage."""

from __future__ import annotations

import math
import random

import pytest

from lantern.analytics.disproportionality import CAVEAT, katz_interval, reading, relative_rates

BASE = {"White": 5000, "Black": 1000, "Asian": 2000, "Mixed": 800}


def test_katz_interval_by_hand():
    # a=30 of n1=1000 against c=50 of n2=5000: RRI 3, se = sqrt(1/30 - 1/1000 + 1/50 - 1/5000)
    table = relative_rates("referral", "ethnicity", {"White": 50, "Black": 30, "Asian": 20, "Mixed": 8}, BASE)
    black = table.row("Black")
    se = math.sqrt(1 / 30 - 1 / 1000 + 1 / 50 - 1 / 5000)
    assert se == pytest.approx(0.2283273, abs=1e-7)
    assert black.rri == pytest.approx(3.0)
    assert black.ci == pytest.approx((1.917647, 4.693251), abs=1e-6)
    assert black.rate_per_1000 == pytest.approx(30.0)
    asian = table.row("Asian")  # 10 per 1,000 against 10 per 1,000
    assert asian.rri == pytest.approx(1.0)
    assert asian.ci[0] < 1 < asian.ci[1]
    assert table.total_count == 108 and table.total_base == 8800


def test_katz_interval_level_and_refusals():
    _, ci90 = katz_interval(30, 1000, 50, 5000, 0.90)
    _, ci95 = katz_interval(30, 1000, 50, 5000, 0.95)
    assert ci95[0] < ci90[0] < 3 < ci90[1] < ci95[1]
    with pytest.raises(ValueError):
        katz_interval(0, 1000, 50, 5000)


def test_reference_defaults_to_the_largest_base_and_says_so():
    table = relative_rates("referral", "ethnicity", {"Black": 30, "White": 50, "Asian": 20}, BASE)
    assert table.reference == "White"
    assert table.row("White").rri == 1.0 and table.row("White").ci is None
    assert table.row("White").note == "reference group"
    assert any("largest base population (5,000)" in n for n in table.notes)


def test_a_chosen_reference():
    table = relative_rates(
        "referral", "ethnicity", {"White": 50, "Black": 30, "Asian": 20}, BASE, reference="Asian"
    )
    assert table.reference == "Asian"
    assert table.row("Black").rri == pytest.approx(3.0)  # 30/1000 over 20/2000
    assert table.row("White").rri == pytest.approx(1.0)
    assert any("chosen for this table" in n for n in table.notes)
    with pytest.raises(ValueError, match="not among the groups"):
        relative_rates("referral", "ethnicity", {"White": 50}, BASE, reference="Other")


def test_small_counts_are_suppressed_with_a_complementary_group():
    counts = {"White": 50, "Black": 3, "Asian": 20, "Mixed": 8}
    table = relative_rates("referral", "ethnicity", counts, BASE)
    black, mixed = table.row("Black"), table.row("Mixed")
    for row in (black, mixed):
        assert row.suppressed
        assert (row.count, row.rate_per_1000, row.rri, row.ci) == (None, None, None, None)
    assert "count fewer than 5" in black.note
    assert "recovered from the total" in mixed.note
    assert not table.row("Asian").suppressed and table.row("Asian").count == 20
    assert table.total_count == 81  # the total is published, so Mixed had to go too


def test_a_small_base_is_suppressed_too():
    table = relative_rates(
        "referral",
        "ethnicity",
        {"White": 50, "Asian": 20, "Roma": 0, "Other": 2},
        {**BASE, "Roma": 3, "Other": 40},
    )
    assert table.row("Other").suppressed
    roma = table.row("Roma")  # a zero count, but the base of 3 is itself disclosive
    assert roma.suppressed and roma.base is None and roma.rate_per_1000 is None


def test_a_suppressed_reference_means_no_ratios():
    table = relative_rates("referral", "ethnicity", {"White": 2, "Black": 30, "Asian": 20}, BASE)
    assert table.row("White").suppressed
    assert all(r.rri is None for r in table.rows)
    assert any("reference group 'White' is suppressed" in n for n in table.notes)
    assert "can be given" in reading(table)


def test_zero_counts_give_no_ratio_and_a_note_not_a_correction():
    table = relative_rates("referral", "ethnicity", {"White": 50, "Black": 0, "Asian": 20}, BASE)
    black = table.row("Black")
    assert (black.count, black.rate_per_1000, black.rri, black.ci, black.suppressed) == (
        0,
        0.0,
        None,
        None,
        False,
    )
    assert "no ratio" in black.note
    assert any("no continuity correction" in n for n in table.notes)


def test_zero_in_the_reference_group():
    table = relative_rates("referral", "ethnicity", {"White": 0, "Black": 30}, BASE)
    assert all(r.rri is None for r in table.rows)
    assert any("no child in the reference group" in n for n in table.notes)


def test_a_group_with_no_base_is_a_note_not_a_division_by_zero():
    table = relative_rates(
        "referral", "ethnicity", {"White": 50, "Black": 30, "Not recorded": 12}, {**BASE, "Black": 0}
    )
    for group in ("Black", "Not recorded"):
        row = table.row(group)
        assert row.note.startswith("no base population")
        assert (row.rate_per_1000, row.rri, row.ci) == (None, None, None)
    assert table.row("Not recorded").count == 12
    assert table.total_count == 92 and table.total_base == 5000


def test_empty_counts_give_an_empty_table():
    table = relative_rates("NRM referral", "ethnicity", {}, BASE)
    assert table.rows == () and table.notes == ("no data in this period",)
    assert table.total_count == 0
    assert CAVEAT in reading(table)


def test_more_at_the_stage_than_in_the_base_is_refused():
    with pytest.raises(ValueError, match="more children"):
        relative_rates("referral", "ethnicity", {"White": 6000}, BASE)


def test_reading_names_groups_above_and_below_with_the_caveat():
    counts = {"White": 100, "Black": 60, "Asian": 5, "Mixed": 8}
    text = reading(relative_rates("referral to the hub", "ethnicity", counts, BASE))
    assert "clearly higher for Black (3.00 times the rate" in text
    assert "clearly lower for Asian" in text
    assert "Mixed" not in text.split("For the other groups")[0]
    assert "not by itself evidence of discrimination" in text and "base population" in text
    flat = reading(relative_rates("referral", "ethnicity", {"White": 50, "Black": 11}, BASE))
    assert "not clearly different for any group" in flat


def test_the_interval_covers_a_planted_ratio_about_95_percent_of_the_time():
    rng = random.Random(8)
    n_ref, n_group, p_ref, planted = 20_000, 4_000, 0.01, 2.0
    covered = 0
    runs = 400
    for _ in range(runs):
        c = sum(rng.random() < p_ref for _ in range(n_ref))
        a = sum(rng.random() < p_ref * planted for _ in range(n_group))
        row = relative_rates("stage", "group", {"ref": c, "g": a}, {"ref": n_ref, "g": n_group}).row("g")
        covered += row.ci[0] <= planted <= row.ci[1]
    assert 0.92 <= covered / runs <= 0.98
