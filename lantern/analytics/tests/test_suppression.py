"""Small-number suppression: the primary rule, complementary suppression, zeros and formatting."""

from __future__ import annotations

import itertools

import pytest

from lantern.analytics.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    format_count,
    suppress,
    suppression_reasons,
)


def test_primary_threshold_is_strict_and_zero_is_published():
    out = suppress({"a": 0, "b": 1, "c": 4, "d": 5, "e": 6, "f": 3}, 5)
    assert out == {"a": 0, "b": None, "c": None, "d": 5, "e": 6, "f": None}


def test_boundary_moves_with_the_threshold():
    assert suppress({"a": 9, "b": 10, "c": 2}, 10) == {"a": None, "b": 10, "c": None}
    assert suppress({"a": 9, "b": 10, "c": 12}, 10)["a"] is None
    assert suppress({"a": 1, "b": 7}, 1) == {"a": 1, "b": 7}  # threshold 1 withholds nothing


def test_one_small_cell_takes_the_next_smallest_non_zero_cell_with_it():
    counts = {"White": 120, "Black": 3, "Asian": 14, "Mixed": 9, "Other": 0}
    out = suppress(counts, 5)
    # Black alone would be total - the rest = 146 - 143: Mixed (the next smallest, not the zero) goes too
    assert out == {"White": 120, "Black": None, "Asian": 14, "Mixed": None, "Other": 0}
    assert suppression_reasons(counts, 5) == {
        "White": None,
        "Black": PRIMARY,
        "Asian": None,
        "Mixed": COMPLEMENTARY,
        "Other": None,
    }


def test_no_complementary_cell_when_the_total_is_not_published():
    assert suppress({"a": 120, "b": 3, "c": 9}, 5, total_published=False) == {"a": 120, "b": None, "c": 9}


def test_two_small_cells_need_no_complementary_cell():
    assert suppress({"a": 120, "b": 3, "c": 2, "d": 9}, 5) == {"a": 120, "b": None, "c": None, "d": 9}


def test_ties_for_the_complementary_cell_go_to_the_first_in_order():
    assert suppress({"a": 1, "b": 8, "c": 8}, 5) == {"a": None, "b": None, "c": 8}


def test_a_single_small_cell_beside_zeros_has_nothing_to_pair_with():
    # the total then gives the cell away; suppress leaves the zeros alone and the caller withholds the total
    assert suppress({"a": 3, "b": 0}, 5) == {"a": None, "b": 0}


def test_the_order_of_the_mapping_is_kept():
    assert list(suppress({"z": 1, "a": 50, "m": 6}, 5)) == ["z", "a", "m"]


@pytest.mark.parametrize("bad", [-1, 2.5])
def test_refuses_counts_that_are_not_whole_non_negative_numbers(bad):
    with pytest.raises(ValueError, match="whole number"):
        suppress({"a": bad}, 5)


def test_refuses_a_threshold_below_one():
    with pytest.raises(ValueError):
        suppress({"a": 3}, 0)


def test_no_withheld_cell_can_be_recovered_from_the_published_total():
    """Exhaustively over small tables: whenever a cell is withheld and the total is published, the
    cells still visible never pin a withheld small count down to one value, i.e. there are always
    at least two withheld cells and their sum is not a single small count's worth on its own."""
    for cells in itertools.product(range(0, 8), repeat=4):
        counts = dict(zip("abcd", cells, strict=True))
        out = suppress(counts, 5)
        withheld = [k for k, v in out.items() if v is None]
        if any(0 < c < 5 for c in cells):
            assert withheld, counts
        for k, v in out.items():
            assert v is None or v == counts[k]
            if counts[k] == 0:
                assert v == 0
        non_zero = [c for c in cells if c > 0]
        if withheld and len(non_zero) > 1:
            assert len(withheld) >= 2, counts


def test_format_count():
    assert format_count(None, 5) == "<5"
    assert format_count(None, 10) == "<10"
    assert format_count(None, 5, complementary=True) == "[c]"
    assert format_count(0, 5) == "0"
    assert format_count(12345, 5) == "12,345"
