"""Identifier formats and check characters used by the synthetic county generator.

Pure Python, no Django.  Every function here is deterministic; randomness is supplied by the caller's
``random.Random`` instance.

* NHS number: 10 digits, the 10th a modulus-11 check digit (weights 10..2 over the first nine digits;
  ``11 - (sum % 11)``, 11 -> 0, 10 -> the number is never issued).  The generator only issues numbers
  in the ``999`` block, which the NHS reserves for test data and never allocates to patients, so a
  synthetic number can never be mistaken for a real person's.
* UPN (unique pupil number, DfE): 13 characters = check letter + LA code (3 digits) + DfE establishment
  number (4) + 2-digit year of allocation + serial (3).  The check letter is the DfE algorithm as the
  author understands it: multiply characters 2..13 by weights 2..13, sum, take the remainder mod 23
  and index into ``ABCDEFGHJKLMNPQRTUVWXYZ``.  Leicestershire's LA code is 855.
* PNC ID: ``YY/NNNNNNNC`` - two-digit year, seven-digit serial, check letter.  The check letter is
  believed to be ``(int(YY + serial) % 23)`` indexed into ``ZABCDEFGHJKLMNPQRTUVWXY`` (unverified:
  no published specification was available; treat it as a plausible format, not a validator).
* Deal-line numbers: UK mobile numbers from Ofcom's drama range 07700 900000-900999, which is
  reserved for fiction and never allocated.
"""

from __future__ import annotations

import random

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
LEICESTERSHIRE_LA_CODE = "855"


def nhs_check_digit(first_nine: str) -> int | None:
    """Return the modulus-11 check digit for nine NHS-number digits, or None if none is valid."""
    total = sum(int(ch) * weight for ch, weight in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    """True if ``value`` is ten digits with a correct modulus-11 check digit."""
    if len(value) != 10 or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def random_nhs_number(rng: random.Random) -> str:
    """A valid NHS number from the reserved ``999`` test block."""
    while True:
        first_nine = "999" + f"{rng.randrange(1_000_000):06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)


def upn_check_letter(body: str) -> str:
    """DfE UPN check letter for the 12 characters that follow it (digits only here)."""
    if len(body) != 12 or not body.isdigit():
        raise ValueError("UPN body must be 12 digits")
    total = sum(int(ch) * weight for weight, ch in enumerate(body, start=2))
    return UPN_LETTERS[total % 23]


def make_upn(estab: str, year2: str, serial: int, la_code: str = LEICESTERSHIRE_LA_CODE) -> str:
    body = f"{la_code}{estab}{year2}{serial:03d}"
    return upn_check_letter(body) + body


def is_valid_upn(value: str) -> bool:
    if len(value) != 13 or not value[1:].isdigit():
        return False
    return upn_check_letter(value[1:]) == value[0]


def pnc_check_letter(year2: str, serial: str) -> str:
    return PNC_LETTERS[int(year2 + serial.zfill(7)) % 23]


def make_pnc_id(year2: str, serial: int) -> str:
    serial_s = f"{serial:07d}"
    return f"{year2}/{serial_s}{pnc_check_letter(year2, serial_s)}"


def drama_mobile(n: int) -> str:
    """The n-th (0-999) number of Ofcom's drama range, formatted as ``07700 900nnn``."""
    if not 0 <= n <= 999:
        raise ValueError("drama range holds 1,000 numbers")
    return f"07700 900{n:03d}"
