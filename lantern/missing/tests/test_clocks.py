"""The two statutory clocks, pinned across a weekend, bank holidays and both clock changes.

RHI: 72 elapsed hours after the return (DfE 2014), shown in Europe/London.
Front door: one working day (England's bank holidays from the `holidays` package)."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.core.timeutils import LONDON
from lantern.missing.services import rhi_due_at
from lantern.referrals.services import decision_due_at


def london(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(
    ("returned", "due"),
    [
        # an ordinary weekday: three days later, same wall-clock time
        ("2026-11-10T14:00", "2026-11-13T14:00"),
        # the weekend does not stop the clock (it is elapsed hours, not working days)
        ("2026-11-13T18:30", "2026-11-16T18:30"),
        # clocks go back on Sunday 25 October 2026: 72 hours later reads an hour earlier
        ("2026-10-24T12:00", "2026-10-27T11:00"),
        # clocks go forward on Sunday 29 March 2026: 72 hours later reads an hour later
        ("2026-03-28T12:00", "2026-03-31T13:00"),
        # a bank holiday changes nothing either (Christmas 2026)
        ("2026-12-24T09:00", "2026-12-27T09:00"),
    ],
)
def test_return_home_interview_is_due_72_elapsed_hours_after_the_return(returned, due):
    result = rhi_due_at(london(returned))
    assert result == london(due)
    assert result.astimezone(dt.UTC) - london(returned).astimezone(dt.UTC) == dt.timedelta(hours=72)
    assert result.tzinfo is not None and result.utcoffset() == london(due).utcoffset()


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-11-10T09:15", "2026-11-11T09:15"),  # Tuesday -> Wednesday
        ("2026-11-13T16:45", "2026-11-16T16:45"),  # Friday -> Monday (weekend skipped)
        ("2026-11-14T11:00", "2026-11-16T11:00"),  # received on a Saturday -> Monday
        # Friday before the August bank holiday (Mon 31 Aug 2026) -> Tuesday
        ("2026-08-28T15:00", "2026-09-01T15:00"),
        # Christmas Eve 2026 (Thu) -> Tue 29 Dec: Christmas Day, Boxing Day substitute (Mon 28), weekend
        ("2026-12-24T10:00", "2026-12-29T10:00"),
        # across the spring clock change: Friday 10:00 GMT -> Monday 10:00 BST
        ("2026-03-27T10:00", "2026-03-30T10:00"),
        # across the autumn change: Friday 10:00 BST -> Monday 10:00 GMT
        ("2026-10-23T10:00", "2026-10-26T10:00"),
        # Maundy Thursday 2026 -> the Tuesday after Easter Monday (Good Friday 3 Apr, Easter Monday 6 Apr)
        ("2026-04-02T12:00", "2026-04-07T12:00"),
    ],
)
def test_front_door_decision_is_due_one_working_day_after_receipt(received, due):
    assert decision_due_at(london(received)) == london(due)
