"""Input contract and cleaning for identity resolution (pure Python + pandas; no Splink, no Django).

Every agency's person record becomes one row of the *input frame* (``INPUT_COLUMNS``).  ``clean_records``
turns it into the *clean frame* the Splink model compares.  Rules:

* Names: NFKD-folded to lower-case ASCII (plus ł/ø/ß/æ/đ/þ), apostrophes and dots dropped, every other
  non-letter becomes a space.  The family name keeps its parts as ``family_name_tokens`` (so
  "Smith-Jones", "Smith Jones", "Smith" and "Jones" share a token) and ``family_name`` itself joins
  the parts with a single space ("smith-jones" == "smith jones").
* Forenames: ``given_name_canonical`` (one nickname-folded form, for blocking) and
  ``given_name_aliases`` (the name and every canonical form it can stand for, for the nickname level).
* Placeholders are *missing*, never evidence: see ``NAME_PLACEHOLDERS``, ``DOB_PLACEHOLDERS``,
  ``POSTCODE_PLACEHOLDERS`` and the identifier rules.  A value that is not a real postcode, a DOB
  before 1900 or after ``as_of``, an NHS number that fails its modulus-11 check or is one digit
  repeated, and an all-zero UPN / LA id / police id all become NULL.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import jellyfish
import pandas as pd

from .nicknames_uk import alias_index

INPUT_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "source",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "postcode",
    "address_line1",
    "upn",
    "nhs_number",
    "la_child_id",
    "police_id",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("unique_id", "source")
IDENTIFIER_COLUMNS: tuple[str, ...] = ("upn", "nhs_number", "la_child_id", "police_id")

# Generic "no value" markers, compared after upper-casing and collapsing whitespace.
GENERIC_PLACEHOLDERS = frozenset(
    {
        "",
        "UNKNOWN",
        "UNKOWN",
        "UNK",
        "NOT KNOWN",
        "NOTKNOWN",
        "NK",
        "N/K",
        "N K",
        "NONE",
        "NULL",
        "NIL",
        "N/A",
        "NA",
        "-",
        "--",
        "?",
        "??",
        ".",
        "TBC",
        "TBA",
        "REFUSED",
        "WITHHELD",
        "NOT RECORDED",
        "NOT STATED",
        "NOT GIVEN",
        "NOT PROVIDED",
        "NOT APPLICABLE",
        "UNSPECIFIED",
    }
)
NAME_PLACEHOLDERS = GENERIC_PLACEHOLDERS | frozenset(
    {
        "BABY",
        "BABY OF",
        "INFANT",
        "INFANT OF",
        "UNBORN",
        "UNBORN CHILD",
        "UNNAMED",
        "NO NAME",
        "NONAME",
        "ANON",
        "ANONYMOUS",
        "TEST",
        "X",
        "XX",
        "XXX",
        "ZZZ",
        "PERSON UNKNOWN",
        "NAME UNKNOWN",
    }
)
ADDRESS_PLACEHOLDERS = GENERIC_PLACEHOLDERS | frozenset(
    {
        "NFA",
        "N F A",
        "NO FIXED ABODE",
        "NO FIXED ADDRESS",
        "ADDRESS UNKNOWN",
        "CONFIDENTIAL",
        "CONFIDENTIAL ADDRESS",
        "NO ADDRESS",
    }
)
POSTCODE_PLACEHOLDERS = frozenset({"XX00 0XX", "XX0 0XX", "ZZ99 9ZZ", "AA1 1AA", "ZZ1 1ZZ"})
# ISO dates that systems write when the real DOB is not known.
DOB_PLACEHOLDERS = frozenset(
    {
        dt.date(1900, 1, 1),
        dt.date(1899, 12, 30),
        dt.date(1899, 12, 31),
        dt.date(1901, 1, 1),
        dt.date(1800, 1, 1),
        dt.date(1111, 11, 11),
        dt.date(9999, 12, 31),
        dt.date(2999, 12, 31),
    }
)
EARLIEST_DOB = dt.date(1900, 1, 1)

# Every UK postcode area (plus the special "GIR 0AA").  A postcode whose area is not here is not
# a real postcode: NHS pseudo-postcodes (ZZ99 3WZ, ZZ99 3VZ...) and XX00 0XX style fillers fail it.
UK_POSTCODE_AREAS = frozenset(
    (
        "AB",
        "AL",
        "B",
        "BA",
        "BB",
        "BD",
        "BH",
        "BL",
        "BN",
        "BR",
        "BS",
        "BT",
        "CA",
        "CB",
        "CF",
        "CH",
        "CM",
        "CO",
        "CR",
        "CT",
        "CV",
        "CW",
        "DA",
        "DD",
        "DE",
        "DG",
        "DH",
        "DL",
        "DN",
        "DT",
        "DY",
        "E",
        "EC",
        "EH",
        "EN",
        "EX",
        "FK",
        "FY",
        "G",
        "GL",
        "GU",
        "GY",
        "HA",
        "HD",
        "HG",
        "HP",
        "HR",
        "HS",
        "HU",
        "HX",
        "IG",
        "IM",
        "IP",
        "IV",
        "JE",
        "KA",
        "KT",
        "KW",
        "KY",
        "L",
        "LA",
        "LD",
        "LE",
        "LL",
        "LN",
        "LS",
        "LU",
        "M",
        "ME",
        "MK",
        "ML",
        "N",
        "NE",
        "NG",
        "NN",
        "NP",
        "NR",
        "NW",
        "OL",
        "OX",
        "PA",
        "PE",
        "PH",
        "PL",
        "PO",
        "PR",
        "RG",
        "RH",
        "RM",
        "S",
        "SA",
        "SE",
        "SG",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SP",
        "SR",
        "SS",
        "ST",
        "SW",
        "SY",
        "TA",
        "TD",
        "TF",
        "TN",
        "TQ",
        "TR",
        "TS",
        "TW",
        "UB",
        "W",
        "WA",
        "WC",
        "WD",
        "WF",
        "WN",
        "WR",
        "WS",
        "WV",
        "YO",
        "ZE",
    )
)
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2})([0-9][A-Z0-9]?) ?([0-9])([A-Z]{2})$")
_UPN_RE = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
_PNC_RE = re.compile(r"^([0-9]{2}|[0-9]{4})/?([0-9]{1,7})([A-Z])$")
_PNC_NORMAL_RE = re.compile(r"^[0-9]{2}/[0-9]{7}[A-Z]$")
_NON_LETTER = re.compile(r"[^a-z]+")
_DROP = re.compile(r"['’`.]")
_SPACES = re.compile(r"\s+")
_EXTRA_FOLD = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d", "Đ": "D", "þ": "th"}
)
# Surname particles kept in the full name but not used alone as a matching token.
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da", "le", "la", "al", "el"})
_ADDRESS_WORDS = {
    "rd": "road",
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "cl": "close",
    "cres": "crescent",
    "cresc": "crescent",
    "dr": "drive",
    "ln": "lane",
    "gdns": "gardens",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "ter": "terrace",
    "terr": "terrace",
    "gr": "grove",
    "grv": "grove",
    "wy": "way",
    "pk": "park",
    "hse": "house",
    "apt": "flat",
}

CLEAN_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "source",
    "given_name",
    "given_name_canonical",
    "given_name_aliases",
    "given_initial",
    "family_name",
    "family_name_tokens",
    "family_first_soundex",
    "family_last_soundex",
    "dob",
    "dob_year",
    "dob_month",
    "dob_day",
    "dob_days",
    "sex",
    "postcode",
    "postcode_sector",
    "postcode_outward",
    "address_line1",
    "address_key",
    "upn",
    "nhs_number",
    "la_child_id",
    "la_child_id_issuer",
    "police_id",
    "police_id_issuer",
)


class InputContractError(ValueError):
    """The records given to the linkage engine do not follow the input column contract."""


# ------------------------------------------------------------------------------------------------
# Building the input frame
# ------------------------------------------------------------------------------------------------


def to_input_frame(records: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Validate ``records`` (a DataFrame or an iterable of dicts) against ``INPUT_COLUMNS``.

    ``unique_id`` and ``source`` are required and ``unique_id`` must be unique; any other missing
    column is added as all-NULL.  Extra columns are dropped.  Returns a new DataFrame.
    """
    frame = records.copy() if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputContractError(f"input records lack required column(s): {', '.join(missing)}")
    for col in INPUT_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame = frame[list(INPUT_COLUMNS)].reset_index(drop=True)
    if frame["unique_id"].isna().any():
        raise InputContractError("unique_id must be set on every record")
    frame["unique_id"] = frame["unique_id"].astype(str)
    dupes = frame["unique_id"][frame["unique_id"].duplicated()]
    if len(dupes):
        raise InputContractError(f"unique_id must be unique; repeated: {', '.join(dupes.head(5))}")
    frame["source"] = frame["source"].fillna("").astype(str)
    return frame


def frame_from_generator(records: Iterable[Any], addresses: Iterable[Any] = ()) -> pd.DataFrame:
    """The input frame for synthetic ``GenRecord`` objects (duck-typed; this module imports no generator).

    ``addresses`` are ``GenAddress`` objects, used to fill ``address_line1`` from each record's
    ``address_key``.  ``unique_id`` is the record key, ``source`` the agency code.
    """
    line1 = {a.key: a.line1 for a in addresses}
    rows = [
        {
            "unique_id": r.key,
            "source": r.agency_code,
            "given_name": r.given_name,
            "family_name": r.family_name,
            "dob": r.dob.isoformat() if r.dob else None,
            "sex": r.sex,
            "postcode": r.postcode,
            "address_line1": line1.get(r.address_key, "") if r.address_key else "",
            "upn": r.upn,
            "nhs_number": r.nhs_number,
            "la_child_id": r.la_child_id,
            "police_id": r.police_id,
        }
        for r in records
    ]
    return to_input_frame(rows) if rows else to_input_frame(pd.DataFrame(columns=list(INPUT_COLUMNS)))


# ------------------------------------------------------------------------------------------------
# Field cleaners (each returns None for missing or placeholder values)
# ------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def _marker(value: str) -> str:
    return _SPACES.sub(" ", value.strip().upper())


def fold(value: Any) -> str:
    """Lower-case ASCII letters and single spaces ("Wójcik-O'Brien" -> "wojcik obrien")."""
    text = _text(value).translate(_EXTRA_FOLD)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = _DROP.sub("", text)
    return _NON_LETTER.sub(" ", text).strip()


@cache
def clean_name(value: Any) -> str | None:
    raw = _text(value)
    if _marker(raw) in NAME_PLACEHOLDERS or _marker(raw).rstrip(" .") in NAME_PLACEHOLDERS:
        return None
    folded = fold(raw)
    if not folded or folded.upper() in NAME_PLACEHOLDERS:
        return None
    return folded


@cache
def _nicknamer() -> Any:
    from nicknames import NickNamer

    return NickNamer()


@cache
def _uk_aliases() -> dict[str, tuple[str, ...]]:
    return alias_index()


@cache
def name_aliases(first_name: str) -> tuple[str, ...]:
    """The name itself plus every canonical form it may be short for (sorted, name first)."""
    heads = set(_uk_aliases().get(first_name, ()))
    heads |= {c.lower() for c in _nicknamer().canonicals_of(first_name)}
    heads.discard(first_name)
    return (first_name, *sorted(heads))


@cache
def canonical_given_name(first_name: str) -> str:
    """One nickname-folded form for blocking: the curated UK head (alphabetically first when the
    name is in several groups), else the name itself.  The wider ``nicknames`` package is used
    only for ``name_aliases``, because its many-to-many links make a poor single key."""
    uk = _uk_aliases().get(first_name)
    return uk[0] if uk else first_name


@cache
def _name_group_index() -> tuple[dict[str, frozenset[str]], dict[str, set[str]]]:
    """name -> ids of the nickname groups holding it (curated UK groups, and one group per
    canonical name of the ``nicknames`` package: the name plus its nicknames); and a
    single-deletion index of every known name for fuzzy look-up."""
    from nicknames import name_triplets

    from .nicknames_uk import GROUPS

    groups: dict[str, set[str]] = {}
    for i, group in enumerate(GROUPS):
        for name in group:
            groups.setdefault(name, set()).add(f"uk{i}")
    for triplet in name_triplets():
        if triplet.relationship == "has_nickname":
            head, nick = triplet.name1.lower(), triplet.name2.lower()
            groups.setdefault(head, set()).add(f"pkg:{head}")
            groups.setdefault(nick, set()).add(f"pkg:{head}")
    deletes: dict[str, set[str]] = {}
    for name in groups:
        for variant in _deletes(name):
            deletes.setdefault(variant, set()).add(name)
    return {n: frozenset(g) for n, g in groups.items()}, deletes


def _deletes(name: str) -> set[str]:
    return {name} | {name[:i] + name[i + 1 :] for i in range(len(name))}


@cache
def name_groups(first_name: str, *, fuzzy: bool = True) -> frozenset[str]:
    """Ids of the nickname groups a forename belongs to.  With ``fuzzy``, also those of every
    known name one edit (insertion, deletion, substitution or transposition) away, so that a
    typo'd name still meets its nicknames ("olver" -> Oliver's group, which holds "ollie")."""
    groups, deletes = _name_group_index()
    found = set(groups.get(first_name, ()))
    if fuzzy and len(first_name) >= 3:
        candidates: set[str] = set()
        for variant in _deletes(first_name):
            candidates |= deletes.get(variant, set())
        for name in candidates:
            if name != first_name and jellyfish.damerau_levenshtein_distance(name, first_name) <= 1:
                found |= groups[name]
    return frozenset(found)


def family_tokens(family_name: str) -> list[str]:
    parts = family_name.split(" ")
    tokens = [p for p in parts if p not in _PARTICLES]
    return tokens or parts


@cache
def soundex(token: str) -> str:
    return jellyfish.soundex(token) if token else ""


def parse_dob(value: Any, *, as_of: dt.date | None = None) -> dt.date | None:
    """A date of birth, or None when missing, unparseable, a known placeholder, <1900 or > as_of."""
    if isinstance(value, pd.Timestamp):
        value = value.date() if not pd.isna(value) else None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        return _parse_dob_text(value, as_of)
    else:
        raw = _text(value).strip()
        if not raw or _marker(raw) in GENERIC_PLACEHOLDERS:
            return None
        day = _parse_date_text(raw)
        if day is None:
            return None
    return _checked_dob(day, as_of)


@cache
def _parse_dob_text(value: str, as_of: dt.date | None) -> dt.date | None:
    raw = value.strip()
    if not raw or _marker(raw) in GENERIC_PLACEHOLDERS:
        return None
    day = _parse_date_text(raw)
    return None if day is None else _checked_dob(day, as_of)


def _checked_dob(day: dt.date, as_of: dt.date | None) -> dt.date | None:
    if day in DOB_PLACEHOLDERS or day < EARLIEST_DOB:
        return None
    if as_of is not None and day > as_of:
        return None
    if as_of is None and day.year > 2100:
        return None
    return day


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%Y/%m/%d")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date_text(raw: str) -> dt.date | None:
    text = raw[:10] if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", raw) else raw
    if _ISO_DATE.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            continue
    return None


def clean_sex(value: Any) -> str | None:
    marker = _marker(_text(value))
    if marker in ("M", "MALE"):
        return "M"
    if marker in ("F", "FEMALE"):
        return "F"
    return None  # "U", "I", "X", "9", blank...: not evidence either way


@cache
def clean_postcode(value: Any) -> str | None:
    """'le113ab' -> 'LE11 3AB'; None if it is not a real UK postcode or is a known filler."""
    compact = re.sub(r"[^A-Z0-9]", "", _text(value).upper())
    if not compact:
        return None
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE_RE.match(compact)
    if not match:
        return None
    area, district, sector, unit = match.groups()
    if area not in UK_POSTCODE_AREAS:
        return None
    postcode = f"{area}{district} {sector}{unit}"
    if postcode in POSTCODE_PLACEHOLDERS:
        return None
    return postcode


@cache
def clean_address_line(value: Any) -> str | None:
    raw = _text(value)
    if _marker(raw) in ADDRESS_PLACEHOLDERS:
        return None
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", _DROP.sub("", text)).strip()
    if not text or text.upper() in ADDRESS_PLACEHOLDERS:
        return None
    return " ".join(_ADDRESS_WORDS.get(w, w) for w in text.split(" "))


def nhs_check_digit_ok(digits: str) -> bool:
    total = sum(int(ch) * w for ch, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


@cache
def clean_nhs_number(value: Any) -> str | None:
    digits = re.sub(r"[\s-]", "", _text(value))
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return None
    return digits if nhs_check_digit_ok(digits) else None


@cache
def clean_upn(value: Any) -> str | None:
    """UPN format only (letter, 11 digits, digit or letter for a temporary UPN); the check letter
    is not enforced because the DfE algorithm is not verified here."""
    upn = re.sub(r"\s", "", _text(value)).upper()
    if not _UPN_RE.match(upn) or set(upn[1:12]) == {"0"}:
        return None
    return upn


@cache
def clean_la_child_id(value: Any) -> str | None:
    la_id = re.sub(r"\s", "", _text(value)).upper()
    if _marker(la_id) in GENERIC_PLACEHOLDERS or not re.search(r"[1-9A-Z]", re.sub(r"^[A-Z]+", "", la_id)):
        return None
    return la_id


@cache
def clean_police_id(value: Any) -> str | None:
    """PNC ids normalised to ``YY/NNNNNNNC`` (4-digit years and unpadded serials folded); any other
    force id upper-cased without spaces."""
    pid = re.sub(r"\s", "", _text(value)).upper()
    if _marker(pid) in GENERIC_PLACEHOLDERS:
        return None
    match = _PNC_RE.match(pid)
    if match:
        year, serial, letter = match.groups()
        if int(serial) == 0:
            return None
        return f"{year[-2:]}/{int(serial):07d}{letter}"
    if not re.search(r"[1-9]", pid):
        return None
    return pid


def la_issuer(la_child_id: str | None, source: str) -> str | None:
    """Who issued an LA child id: its letter prefix ("LCC" for "LCC1234567"), else the source agency.
    Ids from different issuers are never compared (two councils may number children alike)."""
    if not la_child_id:
        return None
    prefix = re.match(r"^[A-Z]*", la_child_id).group(0)
    return prefix or f"source:{source}"


def police_issuer(police_id: str | None, source: str) -> str | None:
    """ "PNC" for national PNC ids (comparable across forces), else the source agency (force-local)."""
    if not police_id:
        return None
    return "PNC" if _PNC_NORMAL_RE.match(police_id) else f"source:{source}"


# ------------------------------------------------------------------------------------------------
# The clean frame
# ------------------------------------------------------------------------------------------------


def clean_records(
    records: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    as_of: dt.date | None = None,
    report: dict[str, int] | None = None,
) -> pd.DataFrame:
    """The clean frame (``CLEAN_COLUMNS``) for an input frame or iterable of dicts.

    ``as_of``: DOBs after this date are treated as missing (none are rejected for being in the
    future when it is None, except years after 2100).  ``report``: if a dict is given, it receives
    per-field counts of non-blank input values that cleaning turned into NULL (placeholders and
    invalid values; sex "U" is not counted).
    """
    frame = to_input_frame(records)
    raw = {c: frame[c].tolist() for c in INPUT_COLUMNS}
    cleaners = {
        "given_name": clean_name,
        "family_name": clean_name,
        "sex": clean_sex,
        "postcode": clean_postcode,
        "address_line1": clean_address_line,
        "upn": clean_upn,
        "nhs_number": clean_nhs_number,
        "la_child_id": clean_la_child_id,
        "police_id": clean_police_id,
    }
    cleaned: dict[str, list[Any]] = {
        col: [fn(_hashable(v)) for v in raw[col]] for col, fn in cleaners.items()
    }
    dobs = [parse_dob(v, as_of=as_of) for v in raw["dob"]]
    cleaned["dob"] = dobs
    if report is not None:
        for col, values in cleaned.items():
            dropped = sum(
                1
                for before, after in zip(raw[col], values, strict=True)
                if after is None
                and _text(before).strip()
                and not (col == "sex" and _marker(_text(before)) == "U")
            )
            report[col] = report.get(col, 0) + dropped

    given, family = cleaned["given_name"], cleaned["family_name"]
    firsts = [g.split(" ")[0] if g else None for g in given]
    tokens = [family_tokens(f) if f else None for f in family]
    postcodes, lines = cleaned["postcode"], cleaned["address_line1"]
    epoch = dt.date(1970, 1, 1)
    out: dict[str, Any] = {
        "unique_id": raw["unique_id"],
        "source": raw["source"],
        "given_name": given,
        "given_name_canonical": [canonical_given_name(f) if f else None for f in firsts],
        "given_name_aliases": [list(name_aliases(f)) if f else None for f in firsts],
        "given_initial": [f[0] if f else None for f in firsts],
        "family_name": family,
        "family_name_tokens": tokens,
        "family_first_soundex": [soundex(t[0]) if t else None for t in tokens],
        "family_last_soundex": [soundex(t[-1]) if t else None for t in tokens],
        "dob": [d.isoformat() if d else None for d in dobs],
        "dob_year": [d.year if d else None for d in dobs],
        "dob_month": [d.month if d else None for d in dobs],
        "dob_day": [d.day if d else None for d in dobs],
        "dob_days": [(d - epoch).days if d else None for d in dobs],
        "sex": cleaned["sex"],
        "postcode": postcodes,
        "postcode_sector": [pc[:-2] if pc else None for pc in postcodes],
        "postcode_outward": [pc.split(" ")[0] if pc else None for pc in postcodes],
        "address_line1": lines,
        "address_key": [f"{ln}|{pc}" if ln and pc else None for ln, pc in zip(lines, postcodes, strict=True)],
        "upn": cleaned["upn"],
        "nhs_number": cleaned["nhs_number"],
        "la_child_id": cleaned["la_child_id"],
        "la_child_id_issuer": [
            la_issuer(v, src) for v, src in zip(cleaned["la_child_id"], raw["source"], strict=True)
        ],
        "police_id": cleaned["police_id"],
        "police_id_issuer": [
            police_issuer(v, src) for v, src in zip(cleaned["police_id"], raw["source"], strict=True)
        ],
    }
    clean = pd.DataFrame(out, columns=list(CLEAN_COLUMNS))
    for col in ("dob_year", "dob_month", "dob_day", "dob_days"):
        clean[col] = clean[col].astype("Int64")
    return clean


def _hashable(value: Any) -> Any:
    """Cleaners are cached; NaN and pandas NA are all turned into None first."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value
