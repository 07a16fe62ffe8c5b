"""Repeat-missing threshold crossings, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.analytics.missing import age_band, threshold_crossings

DAY0 = dt.datetime(2026, 1, 1, 20, 0, tzinfo=dt.UTC)
WINDOW = dt.timedelta(days=30)


def days(*offsets: float) -> list[dt.datetime]:
    return [DAY0 + dt.timedelta(days=d) for d in offsets]


def test_the_third_episode_within_thirty_days_crosses():
    assert threshold_crossings(days(0, 10, 20), 3, WINDOW) == [2]


def test_three_episodes_spread_beyond_the_window_do_not_cross():
    assert threshold_crossings(days(0, 16, 31), 3, WINDOW) == []


def test_staying_above_the_threshold_crosses_once():
    # weekly episodes for ten weeks: above three-in-thirty-days from the third onwards
    assert threshold_crossings(days(*range(0, 70, 7)), 3, WINDOW) == [2]


def test_falling_below_and_coming_back_crosses_again():
    assert threshold_crossings(days(0, 10, 20, 45, 50, 55), 3, WINDOW) == [2, 5]


def test_the_window_is_exact_to_the_second():
    # 30 days to the minute before is outside the window; a minute less is inside
    exactly = [DAY0, DAY0 + dt.timedelta(days=15), DAY0 + WINDOW]
    inside = [DAY0, DAY0 + dt.timedelta(days=15), DAY0 + WINDOW - dt.timedelta(minutes=1)]
    assert threshold_crossings(exactly, 3, WINDOW) == []
    assert threshold_crossings(inside, 3, WINDOW) == [2]


def test_a_threshold_of_one_crosses_at_the_first_episode_only_once_in_a_run():
    assert threshold_crossings(days(0, 5, 100), 1, dt.timedelta(days=30)) == [0, 2]


def test_a_threshold_below_one_is_refused():
    with pytest.raises(ValueError):
        threshold_crossings(days(0), 0, WINDOW)


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (None, "age not known"),
        (9, "under 10"),
        (12, "12–15"),
        (15, "12–15"),
        (17, "16–17"),
        (18, "18 and over"),
    ],
)
def test_age_bands(age, band):
    assert age_band(age) == band
