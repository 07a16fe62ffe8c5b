"""Times are timezone-aware (Europe/London). Working days use England's bank holidays (the
`holidays` package), so "one working day" after a Friday before a bank-holiday Monday is Tuesday."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


def now() -> dt.datetime:
    return dt.datetime.now(tz=LONDON)


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same time of day `days` working days later (weekends and bank holidays skipped)."""
    current = start.astimezone(LONDON)
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current


def age_on(dob: dt.date | None, day: dt.date) -> int | None:
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LONDON)


def local_text(moment: dt.datetime | None) -> str:
    """A moment as people in England read it: "Tue 14 Nov 2026 09:30" (Europe/London)."""
    return local(moment).strftime("%a %d %b %Y %H:%M") if moment else ""


def end_of_local_day(moment: dt.datetime) -> dt.datetime:
    """23:59:59 on the same Europe/London calendar day (for "same-day" deadlines)."""
    day = moment.astimezone(LONDON).date()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=LONDON)
