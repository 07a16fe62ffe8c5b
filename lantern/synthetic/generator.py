"""Seeded, deterministic generator of a synthetic Leicestershire-like county (pure Python, no Django).

``generate(size, seed=..., as_of=...)`` returns a :class:`County`: agencies, addresses, true people,
each agency's own (noisy) records of those people, timeline events, subject categories, a planted
county-lines network and the ground truth (which record belongs to which person).  The same
``(size, seed, as_of)`` gives byte-identical output: every random draw comes from ``random.Random``
instances seeded from strings (string seeds are hashed with SHA-512, not ``hash()``, so
PYTHONHASHSEED does not matter), Faker is seeded per instance, and no set or hash order is ever
iterated.

Base rates and their sources are in /work/shared/domain/county-parameters.md (cited below as
"CP §n"); missing-children and county-lines concepts follow /work/shared/domain/standards.md §1,
§2.1 and §4.1 ("ST §n"); the planted pattern follows the council's 2019 report
(/work/shared/domain/seed-report-2019.txt, "report ¶n").  docs/synthetic-county.md describes the
output, the identity noise and measured figures.

Events are returned as a list (memory for the 2.3 million events of the ``county`` size was measured
at well under 8 GB; see the doc).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import geography as geo
from .identifiers import drama_mobile, make_pnc_id, make_upn, random_nhs_number
from .names import ETHNICITY_NAME_GROUP, NAME_VARIANTS, NamePools

LONDON = ZoneInfo("Europe/London")
Progress = Callable[[str, int, int], None]
WINDOW_YEARS = 3

# --------------------------------------------------------------------------------------------------
# Public output types (field names are a contract with lantern.synthetic.loader)
# --------------------------------------------------------------------------------------------------


class CountyTooLarge(ValueError):
    """The requested county needs more distinct values (postcodes, street names, UPNs…) than the
    synthetic geography and identifier schemes can supply."""


UNIQUE_DRAWS = 100_000


@dataclass(frozen=True, slots=True)
class GenAgency:
    code: str
    name: str
    agency_type: str
    area: str


@dataclass(frozen=True, slots=True)
class GenAddress:
    key: str
    line1: str
    town: str
    postcode: str
    district: str


@dataclass(frozen=True, slots=True)
class GenRecord:
    key: str
    agency_code: str
    source_system: str
    source_key: str
    given_name: str
    family_name: str
    dob: dt.date | None
    sex: str
    gender: str
    ethnicity: str | None
    address_key: str | None
    postcode: str
    upn: str
    nhs_number: str
    la_child_id: str
    police_id: str
    received_at: dt.datetime
    valid_from: dt.date


@dataclass(frozen=True, slots=True)
class GenEvent:
    record_key: str
    item_type: str
    controller_agency_code: str
    purpose: str
    handling_code: int | None
    occurred_at: dt.datetime
    summary: str
    details: dict


@dataclass(frozen=True, slots=True)
class GenCategory:
    record_key: str
    category: str
    controller_agency_code: str
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True, slots=True)
class TruePerson:
    person_key: str
    given_name: str
    family_name: str
    dob: dt.date
    sex: str
    ethnicity: str
    is_child: bool
    looked_after: bool
    exploited: bool
    role_in_network: str


@dataclass(frozen=True, slots=True)
class SizeSpec:
    population: int
    secondary_schools: int
    primaries_per_district: int
    ocgs: int
    lines: int
    active_lines: int
    exploited_children: int  # living in the county
    exported_children: int  # exploited children brought in from the exporting area
    adults_posing_risk: int
    cuckooed_addresses: int
    childrens_homes: int


SIZES: dict[str, SizeSpec] = {
    # tiny: fast tests.  The planted layer has floors so that every size has a visible network.
    "tiny": SizeSpec(400, 8, 1, 1, 1, 1, 4, 0, 3, 1, 1),
    # demo: a laptop demo in seconds.  The network is over-planted relative to population (a
    # 5,000-resident town would rarely host a line) so that the demo journeys have something to find.
    "demo": SizeSpec(5_000, 8, 2, 2, 2, 1, 6, 1, 5, 2, 1),
    # county: CP §9 "per 200,000 residents"; 2 lines active at as_of (CP §9), 6 over three years.
    "county": SizeSpec(200_000, 45, 6, 4, 6, 2, 36, 4, 28, 10, 12),
}

ITEM_TYPES: tuple[str, ...] = (
    "missing_report",
    "missing_episode_903",
    "return_home_interview",
    "arrest",
    "stop_search",
    "custody",
    "police_incident",
    "intelligence",
    "school_suspension",
    "permanent_exclusion",
    "school_attendance_concern",
    "ae_attendance",
    "health_contact",
    "csc_contact",
    "csc_referral",
    "cin_assessment",
    "lac_episode",
    "yj_order",
    "housing_concern",
)
CATEGORIES: tuple[str, ...] = (
    "child_at_risk",
    "victim",
    "suspect",
    "convicted",
    "witness",
    "adult_posing_risk",
    "vulnerable_adult",
    "professional",
)
ETHNICITY_CODES: tuple[str, ...] = (
    "WBRI",
    "WIRI",
    "WOTH",
    "WIRT",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)

# --------------------------------------------------------------------------------------------------
# Parameters (all rates per person-year unless noted; every one is an assumption unless cited)
# --------------------------------------------------------------------------------------------------

# Residents' ethnicity (CP §9: White 87.5%, Black 1.1%, both flagged unverified; the remaining 11.4%
# split here between Asian, Chinese, Mixed and Other as an assumption).  REFU/NOBT are recording codes
# and only appear on agency records.
ETHNICITY_MIX: tuple[tuple[str, float], ...] = (
    ("WBRI", 81.5),
    ("WIRI", 0.5),
    ("WOTH", 5.2),
    ("WIRT", 0.15),
    ("WROM", 0.15),
    ("BCRB", 0.35),
    ("BAFR", 0.65),
    ("BOTH", 0.1),
    ("AIND", 5.0),
    ("APKN", 0.8),
    ("ABAN", 0.3),
    ("AOTH", 1.2),
    ("CHNE", 0.5),
    ("MWBC", 0.7),
    ("MWBA", 0.3),
    ("MWAS", 0.9),
    ("MOTH", 0.9),
    ("OOTH", 0.8),
)
MIXED_PARENT = {"MWBC": "BCRB", "MWBA": "BAFR", "MWAS": "AIND", "MOTH": "OOTH"}

# Household types (weights).  Tuned so that 0-17s are ~20% of residents (CP §1a: 20.1%) and the
# mean household is ~2.3 people (CP §1a: 712,300 residents / 296,400 households = 2.40).
HOUSEHOLD_TYPES: tuple[tuple[str, float], ...] = (
    ("couple_kids", 16.8),
    ("single_parent", 6),
    ("couple", 32),
    ("single", 30),
    ("shared", 3),
    ("couple_adult_kids", 7),
    ("multigen", 3),
)

# Looked-after children: CP §3/§9 Leics-like 39 per 10,000 on 31 March, x1.41 across a year; over a
# three-year window (stock + entrants) about 2.2 x the 31 March stock (see assign_lac).  56% male (CP §3 [M]).
LAC_PER_CHILD_WINDOW = 0.0039 * 2.2
LAC_MALE = 0.56

# Missing (CP §9): 580 child incidents a year per 200,000 residents; 65% repeats (so distinct
# children = 35% of incidents); top 6% of children -> 33% of incidents; 28% of incidents from care;
# risk grades high 16 / medium 68 / low 13 / no apparent risk 3 (CP §8 + §9 residual to low).
CHILD_MISSING_PER_200K_YEAR = 580
MISSING_REPEAT_SHARE = 0.65
MISSING_TOP_SHARE = (0.06, 0.33)
MISSING_FROM_CARE_SHARE = 0.28
MISSING_BOYS_SHARE = 0.56  # non-exploited missing children; report ¶16: boys more often than girls
# Age at first incident in the window, Leics-like peak at 12-15 (report ¶16; CP §9 "shift the peak").
MISSING_AGE_WEIGHTS: tuple[tuple[int, float], ...] = (
    (10, 4),
    (11, 6),
    (12, 13),
    (13, 16),
    (14, 17),
    (15, 16),
    (16, 15),
    (17, 13),
)
ADULT_MISSING_PER_ADULT_YEAR = 0.0024  # CP §4a: ~134k adult incidents / 56m residents
RHI_OFFERED = 0.62  # offered after 62% of returns, accepted 80% -> held after ~50% (CP §5)
RHI_ACCEPTED = 0.80
RHI_WITHIN_72H = 0.63  # CP §5

# Identity noise on every record after a person's first (see docs/synthetic-county.md).
NOISE = {
    "typo": 0.03,
    "nickname": 0.12,  # applied only where the given name has a known variant (~40% of names)
    "swapped_names": 0.01,
    "dob_error": 0.015,  # day/month transposed where possible (day <= 12), else a one-digit slip
    "dob_missing": 0.03,
    "moved": 0.08,
    "surname_variant": 0.30,  # applied only to hyphenated or maiden/married surnames
    "sex_unknown": 0.004,
    "no_address": 0.01,
    "diacritics_dropped": 0.5,  # applied only where the name has a non-ASCII letter
}
POLICE_DUPLICATE_NOMINAL = 0.02  # a second police nominal record for the same person

# Which agencies identify each exploited child as criminally exploited (the lists that multiple
# systems estimation, lantern.analytics.hidden_scale, counts; docs/analytics.md). Each agency
# identifies each exploited child independently with these probabilities, drawn from a random stream
# of the child's own ("<seed>:identification:<person key>"), so adding or removing an identification
# changes nothing else in the county. Children identified by none of the three are the "hidden" ones.
# The probabilities are assumptions (no source): a probability below 1 stands for an agency that
# knows the child only in another way (as an offender, a patient, a pupil) or not at all.
IDENTIFICATION = {
    # police: the child recorded as the victim of child criminal exploitation (a crime or incident
    # record with the child as victim, and a safeguarding referral). The line intelligence that names
    # every exploited child in the victim-centred role is unchanged: it is information, not a decision.
    "police": 0.5,
    # children's social care: CIN factor 24A on the assessment that follows the police referral (the
    # assessment itself still happens, with its other factors, when 24A is not recorded). In-county
    # children only: an exported child's social care is the home authority's.
    "childrens_social_care": 0.6,
    # health: the emergency department's safeguarding team refers a concern of criminal exploitation
    # after one of the child's attendances in the exploitation period (only children who attended
    # can be identified, so the overall chance is about 0.55 x 0.6 in the county, 0.4 x 0.6 outside).
    "health": 0.6,
}
# Children's social care recorded 24A on 1% of other assessments of children aged 10 and over.
# Those children are not exploited in the ground truth, so each was a false identification, which
# multiple systems estimation cannot allow for; the draw is kept (so nothing else changes) and the
# factor is no longer added.
BACKGROUND_24A = False

# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def age_on(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _cum(weights: tuple[tuple[Any, float], ...]) -> tuple[list[Any], list[float]]:
    items, cum, total = [], [], 0.0
    for item, weight in weights:
        total += weight
        items.append(item)
        cum.append(total)
    return items, cum


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    items, cum = table
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 30:
        limit = math.exp(-lam)
        k, prod = 0, rng.random()
        while prod > limit:
            k += 1
            prod *= rng.random()
        return k
    return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))


def _hours(weights: tuple[int, ...]) -> tuple[int, ...]:
    out: list[int] = []
    for hour, weight in enumerate(weights):
        out.extend([hour] * weight)
    return tuple(out)


HOUR_PROFILES: dict[str, tuple[int, ...]] = {
    "any": _hours((1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 3, 2, 1)),
    "evening": _hours((5, 4, 3, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 4, 6, 8, 9, 9, 9, 8, 7, 6)),
    "school": _hours((0, 0, 0, 0, 0, 0, 0, 0, 6, 8, 6, 5, 4, 5, 5, 3, 0, 0, 0, 0, 0, 0, 0, 0)),
    "office": _hours((0, 0, 0, 0, 0, 0, 0, 0, 2, 6, 7, 7, 5, 6, 7, 7, 5, 2, 0, 0, 0, 0, 0, 0)),
    "ae": _hours((3, 2, 2, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 5, 4, 4, 3)),
    "police": _hours((3, 3, 2, 2, 1, 1, 1, 2, 3, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 5, 5, 4)),
    "night": _hours((6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8, 8, 8, 8, 7)),
}


def _is_term(d: dt.date) -> bool:
    """Approximate English school term dates (no bank-holiday detail)."""
    m, day = d.month, d.day
    if d.weekday() >= 5 or m == 8:
        return False
    return not (
        (m == 7 and day > 21)
        or (m == 9 and day < 4)
        or (m == 12 and day >= 20)
        or (m == 1 and day <= 3)
        or (m == 10 and day >= 23)
        or (m == 2 and 13 <= day <= 19)
        or (m == 4 and day <= 14)
        or (m == 5 and day >= 25)
    )


# --------------------------------------------------------------------------------------------------
# Internal mutable state
# --------------------------------------------------------------------------------------------------


class _Person:
    __slots__ = (
        "key",
        "given",
        "family",
        "dob",
        "sex",
        "eth",
        "home",
        "district",
        "town",
        "in_county",
        "hh",
        "lac",
        "lac_lo",
        "lac_hi",
        "placement",
        "placement_code",
        "legal_status",
        "exploited",
        "role",
        "line",
        "exp_lo",
        "exp_hi",
        "nhs",
        "upn",
        "la_id",
        "pnc",
        "recs",
        "n_recs",
        "prev_addr",
        "alt_family",
        "dob_idx",
        "school",
        "primary",
        "school_cls",
        "susp_cls",
        "flag",
    )

    def __init__(self, key: str, given: str, family: str, dob: dt.date, sex: str, eth: str) -> None:
        self.key, self.given, self.family, self.dob, self.sex, self.eth = key, given, family, dob, sex, eth
        self.home = self.district = self.town = ""
        self.in_county = True
        self.hh = -1
        self.lac = False
        self.lac_lo = self.lac_hi = 0
        self.placement = ""
        self.placement_code = self.legal_status = ""
        self.exploited = False
        self.role = ""
        self.line: dict | None = None
        self.exp_lo = self.exp_hi = 0
        self.nhs = self.upn = self.la_id = self.pnc = ""
        self.recs: dict[str, _Rec] = {}
        self.n_recs = 0
        self.prev_addr = ""
        self.alt_family = ""
        self.dob_idx = 0
        self.school = self.primary = ""
        self.school_cls = self.susp_cls = 0
        self.flag = ""


class _Rec:
    __slots__ = (
        "key",
        "agency",
        "system",
        "source_key",
        "given",
        "family",
        "dob",
        "sex",
        "gender",
        "eth",
        "addr",
        "postcode",
        "upn",
        "nhs",
        "la",
        "pol",
        "valid_from",
        "first_day",
        "person",
        "noise",
    )


@dataclass
class County:
    """Everything the generator makes.  ``truth``, ``people``, ``ocgs``, ``lines``,
    ``cuckooed_address_keys``, ``person_home`` and ``record_noise`` are ground truth: they are for
    evaluation and must never be loaded into the app."""

    size: str
    seed: int
    as_of: dt.date
    agencies: list[GenAgency]
    addresses: list[GenAddress]
    people: list[TruePerson]
    records: list[GenRecord]
    events: list[GenEvent]
    categories: list[GenCategory]
    truth: dict[str, str]
    ocgs: list[dict]
    lines: list[dict]
    cuckooed_address_keys: list[str]
    person_home: dict[str, str] = field(default_factory=dict)  # person key -> home address key
    record_noise: dict[str, tuple[str, ...]] = field(default_factory=dict)  # record key -> noise kinds
    # person key -> (first day looked after, last day or None if still looked after at as_of)
    looked_after_periods: dict[str, tuple[dt.date, dt.date | None]] = field(default_factory=dict)

    def summary(self) -> dict:
        return _summarise(self)


# --------------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------------

AGENCY_SYSTEMS = {
    "LEICS-POLICE": "NICHE",
    "NORTHANTS-POLICE": "NICHE",
    "LCC-CFS": "MOSAIC",
    "UHL-NHS": "ED-SYSTEM",
    "LPT-NHS": "SYSTMONE",
    "LEICS-YJS": "CHILDVIEW",
    "NWL-HOUSING": "ORCHARD",
    "VOL-RHI": "CASE-LOG",
}
SCHOOL_NAME_STEMS = (
    "Wrenfield",
    "Ashgrove",
    "Kestrel Heath",
    "Millbrook",
    "Fernhill",
    "Oakmere",
    "Brackenhurst",
    "Hollybank",
    "Larkspur",
    "Thornbury",
    "Elmstead",
    "Foxcote",
    "Harewood Vale",
    "Linford",
    "Rushmere",
    "Sedgebrook",
    "Stonecroft",
    "Willowbrook",
    "Beacon Rise",
    "Brookvale",
    "Copperfield",
    "Heathcote",
    "Kingsmead",
    "Meadowcroft",
    "Northgate",
    "Swanmere",
    "Larchfield",
    "Hazelmere",
    "Redwing",
    "Tollgate",
    "Greystone",
    "Marlpit",
    "Ivydale",
    "Coppice Hill",
    "Fairmead",
    "Ravenstone Vale",
)
LINE_BRANDS = ("Jazz", "Nike", "Tommy", "Benz", "Gucci", "Dizzy", "Sky", "Rambo", "Smokey", "Bugsy")


class _Builder:
    def __init__(self, size: str, spec: SizeSpec, seed: int, as_of: dt.date, progress: Progress | None):
        self.size, self.spec, self.seed, self.as_of = size, spec, seed, as_of
        self.progress = progress
        self.scale = spec.population / 200_000
        self.r_pop = random.Random(f"{seed}:population")
        self.r_rec = random.Random(f"{seed}:records")
        self.r_ev = random.Random(f"{seed}:events")
        self.r_net = random.Random(f"{seed}:network")
        self.r_miss = random.Random(f"{seed}:missing")
        self.r_key = random.Random(f"{seed}:keys")
        self.names = NamePools(seed)
        # calendar
        self.start = _add_years(as_of, -WINDOW_YEARS) + dt.timedelta(days=1)
        self.n_days = (as_of - self.start).days + 1
        self.days = [self.start + dt.timedelta(days=i) for i in range(self.n_days)]
        self.weekdays = [i for i, d in enumerate(self.days) if d.weekday() < 5]
        self.term_days = [i for i in self.weekdays if _is_term(self.days[i])]
        self.years = self.n_days / 365.25
        self.as_of_end = dt.datetime(as_of.year, as_of.month, as_of.day, 23, 59, 59, tzinfo=LONDON)
        # output state
        self.agencies: list[GenAgency] = []
        self.agency_type: dict[str, str] = {}
        self.addresses: list[GenAddress] = []
        self.addr_by_key: dict[str, GenAddress] = {}
        self.town_addrs: dict[str, list[str]] = {}
        self.streets: dict[str, list[list]] = {}
        self.street_names: set[str] = set()
        self.postcodes: set[str] = set()
        self.people: list[_Person] = []
        self.households: list[list[_Person]] = []
        self.recs: list[_Rec] = []
        self.rec_keys: set[str] = set()
        self.source_keys: set[tuple[str, str]] = set()
        self.events: list[GenEvent] = []
        self.ev_sort: list[int] = []
        self.cats: dict[tuple[str, str], list] = {}
        self.upns: set[str] = set()
        self.nhs_numbers: set[str] = set()
        self.pncs: set[str] = set()
        self.la_ids: set[str] = set()
        self.occ_refs: set[str] = set()
        self.ocgs: list[dict] = []
        self.lines: list[dict] = []
        self.cuckooed: list[str] = []
        self.schools: dict[str, dict] = {}
        self.district_schools: dict[tuple[str, str], list[str]] = {}
        self.childrens_homes: list[str] = []
        self.systems: dict[str, str] = dict(AGENCY_SYSTEMS)
        self.eth_tables = self._ethnicity_tables()
        self.hh_table = _cum(HOUSEHOLD_TYPES)
        self.district_table = _cum(tuple((code, w) for code, _n, w in geo.DISTRICTS))
        self.town_tables = {
            code: _cum(tuple((t, t.weight) for t in geo.TOWNS if t.district == code))
            for code in geo.DISTRICT_CODES
        }
        self.towns_by_name = {t.name: t for t in geo.TOWNS}
        self.suffix_table = _cum(geo.STREET_SUFFIXES)

    # ---------------------------------------------------------------- utilities
    def tick(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def idx(self, d: dt.date) -> int:
        return (d - self.start).days

    def birthday_idx(self, p: _Person, age: int) -> int:
        return self.idx(_add_years(p.dob, age))

    def pick_day(self, rng: random.Random, lo: int, hi: int, kind: str = "any") -> int | None:
        lo = max(lo, 0)
        hi = min(hi, self.n_days - 1)
        if lo > hi:
            return None
        if kind == "any":
            return rng.randint(lo, hi)
        arr = self.term_days if kind == "term" else self.weekdays
        i = bisect.bisect_left(arr, lo)
        j = bisect.bisect_right(arr, hi)
        if i >= j:
            return None
        return arr[rng.randrange(i, j)]

    @staticmethod
    def minute(rng: random.Random, profile: str) -> int:
        table = HOUR_PROFILES[profile]
        x = rng.randrange(len(table) * 60)
        return table[x // 60] * 60 + x % 60

    def next_weekday(self, day: int) -> int:
        """The first weekday on or after ``day`` (``day`` itself if past the window)."""
        i = bisect.bisect_left(self.weekdays, day)
        return self.weekdays[i] if i < len(self.weekdays) else day

    def when(self, day: int, minute: int) -> dt.datetime:
        d = self.days[day]
        return dt.datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=LONDON)

    def after(self, day: int, minute: int, hours: float) -> tuple[int, int]:
        total = day * 1440 + minute + int(hours * 60)
        return total // 1440, total % 1440

    def emit(
        self,
        rec: _Rec,
        item_type: str,
        day: int,
        minute: int,
        summary: str,
        details: dict,
        handling_code: int | None = None,
    ) -> dt.datetime:
        atype = self.agency_type[rec.agency]
        if atype in ("police", "regional_partner") and item_type != "missing_report":
            purpose = "law_enforcement"
        else:
            purpose = "safeguarding"
        d = self.days[day]
        when = dt.datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=LONDON)
        self.events.append(
            GenEvent(rec.key, item_type, rec.agency, purpose, handling_code, when, summary, details)
        )
        self.ev_sort.append(day * 1440 + minute)
        if day < rec.first_day:
            rec.first_day = day
        return when

    def category(self, rec: _Rec, category: str, start_day: int, end_day: int | None = None) -> None:
        start = self.days[max(0, min(start_day, self.n_days - 1))]
        end = self.days[end_day] if end_day is not None and end_day < self.n_days else None
        if end is not None and end < start:
            end = start
        key = (rec.key, category)
        current = self.cats.get(key)
        if current is None:
            self.cats[key] = [start, end, rec.agency]
            return
        current[0] = min(current[0], start)
        current[1] = None if current[1] is None or end is None else max(current[1], end)

    def unique(self, used: set, make: Callable[[], Any], what: str = "identifiers") -> Any:
        """A value from ``make`` not yet in ``used``. Each space of values is finite (400 postcode
        units per sector, 1,000 UPN serials per school and year…), so a county too large for it stops
        with an error saying which space ran out instead of drawing for ever. At one free value in 400
        the chance of a false stop after 100,000 draws is about e^-250."""
        for _ in range(UNIQUE_DRAWS):
            value = make()
            if value not in used:
                used.add(value)
                return value
        raise CountyTooLarge(
            f"No unused {what} left after {UNIQUE_DRAWS:,} draws ({len(used):,} in use): this county is "
            "too large for the synthetic geography; choose a smaller size or generate several counties"
        )

    # ---------------------------------------------------------------- agencies and schools
    def make_agencies(self) -> None:
        core = (
            ("LEICS-POLICE", "Leicestershire Police", "police", "Leicester, Leicestershire and Rutland"),
            (
                "LCC-CFS",
                "Leicestershire County Council Children and Family Services",
                "childrens_social_care",
                "Leicestershire",
            ),
            (
                "UHL-NHS",
                "University Hospitals of Leicester NHS Trust",
                "health",
                "Leicester, Leicestershire and Rutland",
            ),
            (
                "LPT-NHS",
                "Leicestershire Partnership NHS Trust",
                "health",
                "Leicester, Leicestershire and Rutland",
            ),
            ("LEICS-YJS", "Leicestershire Youth Justice Service", "youth_justice", "Leicestershire"),
            (
                "NWL-HOUSING",
                "North West Leicestershire District Council Housing Services",
                "housing",
                "North West Leicestershire",
            ),
            (
                "VOL-RHI",
                "Pathways Home Young People's Trust (fictional charity; return home interviews)",
                "voluntary",
                "Leicestershire",
            ),
            ("NORTHANTS-POLICE", "Northamptonshire Police", "regional_partner", "Northamptonshire"),
        )
        for code, name, atype, area in core:
            self.agencies.append(GenAgency(code, name, atype, area))
        rng = self.r_pop
        stems = list(SCHOOL_NAME_STEMS)
        rng.shuffle(stems)
        estabs: set[str] = set()
        n = 0
        # secondaries: split across districts by population share (largest remainder, >= 1 each)
        shares = [(code, w) for code, _name, w in geo.DISTRICTS]
        total_w = sum(w for _c, w in shares)
        alloc = {code: max(1, int(self.spec.secondary_schools * w / total_w)) for code, w in shares}
        order = sorted(shares, key=lambda cw: -(self.spec.secondary_schools * cw[1] / total_w % 1))
        i = 0
        while sum(alloc.values()) < self.spec.secondary_schools:
            alloc[order[i % len(order)][0]] += 1
            i += 1
        phases = [("secondary", code, alloc[code]) for code, _w in shares]
        phases += [("primary", code, self.spec.primaries_per_district) for code, _w in shares]
        for phase, district, count in phases:
            for k in range(count):
                n += 1
                town = self.town_tables[district][0][0] if k == 0 else _pick(rng, self.town_tables[district])
                stem = stems[(n - 1) % len(stems)]
                if phase == "secondary":
                    name = f"{town.name} {stem} Academy"
                    estab = self.unique(estabs, lambda: str(rng.randint(4000, 4999)))
                else:
                    name = f"{town.name} {stem} Primary School"
                    estab = self.unique(estabs, lambda: str(rng.randint(2000, 3999)))
                code = f"SCH-{n}"
                self.agencies.append(GenAgency(code, name, "education", geo.DISTRICT_NAMES[district]))
                self.schools[code] = {"phase": phase, "district": district, "town": town.name, "estab": estab}
                self.district_schools.setdefault((district, phase), []).append(code)
        for a in self.agencies:
            self.agency_type[a.code] = a.agency_type
            if a.agency_type == "education":
                self.systems[a.code] = "SIMS" if rng.random() < 0.7 else "ARBOR"

    def school_for(self, rng: random.Random, p: _Person, phase: str) -> str:
        options = self.district_schools[(p.district, phase)]
        same_town = [c for c in options if self.schools[c]["town"] == p.town]
        if same_town and rng.random() < 0.8:
            return rng.choice(same_town)
        return rng.choice(options)

    # ---------------------------------------------------------------- addresses
    def new_address(
        self, town_name: str, district: str, outcodes: tuple[str, ...], sectors: str
    ) -> GenAddress:
        rng = self.r_pop
        streets = self.streets.setdefault(town_name, [])
        if not streets or streets[-1][1] > streets[-1][2]:
            _town, name = self.unique(
                self.street_names,
                lambda: (
                    town_name,
                    f"{rng.choice(geo.STREET_STEMS) if rng.random() < 0.7 else rng.choice(self.names.street_stems)}"
                    f" {_pick(rng, self.suffix_table)}",
                ),
                what=f"street names in {town_name}",
            )
            outcode = rng.choice(outcodes)
            streets.append([name, 1, rng.randint(8, 90), "", 0, outcode, sectors])
        street = streets[-1]
        if not street[3] or street[4] >= 15:
            sector = rng.choice(street[6])
            street[3] = self.unique(
                self.postcodes,
                lambda: (
                    f"{street[5]} {sector}{rng.choice(geo.INWARD_LETTERS)}{rng.choice(geo.INWARD_LETTERS)}"
                ),
                what=f"postcode units in sector {street[5]} {sector}",
            )
            street[4] = 0
        number = street[1]
        street[1] += 1
        street[4] += 1
        key = f"A{len(self.addresses) + 1:07d}"
        addr = GenAddress(key, f"{number} {street[0]}", town_name, street[3], district)
        self.addresses.append(addr)
        self.addr_by_key[key] = addr
        self.town_addrs.setdefault(town_name, []).append(key)
        return addr

    def county_address(self, town: geo.Town) -> GenAddress:
        return self.new_address(town.name, town.district, (town.outcode,), town.sectors)

    def outside_address(self, place: geo.OutOfCountyPlace) -> GenAddress:
        district = "OUT_OF_AREA"
        return self.new_address(place.town, district, place.outcodes, "0123456789")

    # ---------------------------------------------------------------- population
    def _ethnicity_tables(self) -> dict[str, tuple[list[Any], list[float]]]:
        tables = {}
        for code in geo.DISTRICT_CODES:
            mult = geo.NON_WHITE_MULTIPLIER[code]
            weights = []
            for eth, w in ETHNICITY_MIX:
                weights.append((eth, w if eth.startswith("W") else w * mult))
            other = sum(w for e, w in weights if e != "WBRI")
            weights = [(e, (100 - other) if e == "WBRI" else w) for e, w in weights]
            tables[code] = _cum(tuple(weights))
        return tables

    def add_person(
        self,
        sex: str,
        age: float,
        eth: str,
        family: str,
        home: GenAddress,
        hh: int,
        rng: random.Random | None = None,
    ) -> _Person:
        rng = rng or self.r_pop
        dob = self.as_of - dt.timedelta(days=int(age * 365.2425) + 1)
        group = ETHNICITY_NAME_GROUP[eth]
        given = self.names.given(rng, sex, group, dob.year)
        p = _Person(f"P{len(self.people) + 1:07d}", given, family, dob, sex, eth)
        p.home = home.key
        p.district = home.district
        p.town = home.town
        p.in_county = home.district != "OUT_OF_AREA"
        p.hh = hh
        p.dob_idx = self.idx(dob)
        p.nhs = self.unique(self.nhs_numbers, lambda: random_nhs_number(rng))
        self.people.append(p)
        return p

    def make_population(self) -> None:
        rng = self.r_pop
        target = self.spec.population
        last_tick = 0
        while len(self.people) < target:
            district = _pick(rng, self.district_table)
            town = _pick(rng, self.town_tables[district])
            eth = _pick(rng, self.eth_tables[district])
            htype = _pick(rng, self.hh_table)
            if eth in ("AIND", "APKN", "ABAN") and rng.random() < 0.12:
                htype = "multigen"
            addr = self.county_address(town)
            self.build_household(htype, eth, addr)
            if len(self.people) - last_tick >= 5000:
                last_tick = len(self.people)
                self.tick("people", min(last_tick, target), target)
        self.tick("people", target, target)

    def _adult_age(self, lo: float, hi: float) -> float:
        return self.r_pop.uniform(lo, hi)

    def _old_age(self) -> float:
        return min(100.0, 65 + self.r_pop.expovariate(1 / 10.5))

    def build_household(self, htype: str, eth: str, addr: GenAddress) -> None:
        rng = self.r_pop
        hh = len(self.households)
        members: list[_Person] = []
        mixed_kids = eth in MIXED_PARENT
        adult_eth = MIXED_PARENT.get(eth, eth)
        if eth == "MWAS" and rng.random() < 0.3:
            adult_eth = "APKN"
        adult_group = ETHNICITY_NAME_GROUP[adult_eth]
        fam = self.names.family_name(rng, adult_group if not mixed_kids else "british")

        def kids_ages() -> tuple[list[float], list[float]]:
            k = _pick(rng, ([1, 2, 3, 4], [38, 80, 95, 100]))
            anchor = rng.uniform(0, 18)
            j = rng.randrange(k)
            ages = []
            for pos in range(k):
                gap = sum(rng.choice((1.2, 1.8, 2.5, 3.0, 4.0, 5.5)) for _ in range(abs(pos - j)))
                ages.append(anchor + gap if pos < j else anchor - gap)
            kids = [a for a in ages if 0 <= a < 18]
            adults = [a for a in ages if 18 <= a < 25 and rng.random() < 0.55]
            return kids, adults

        if htype in ("couple_kids", "single_parent", "multigen"):
            kids, adult_kids = kids_ages()
            if not kids:
                kids = [rng.uniform(0, 18)]
            oldest = max(kids + adult_kids)
            mother_age = oldest + min(45.0, max(17.0, rng.gauss(29.5, 5.5)))
            two_parents = htype != "single_parent"
            mother_first = htype == "single_parent" and rng.random() < 0.88
            if htype == "single_parent" and not mother_first:
                parent = self.add_person("M", mother_age + rng.gauss(2.5, 3), adult_eth, fam, addr, hh)
                members.append(parent)
                kid_fam = fam
            else:
                mother_fam = fam
                father_fam = fam
                kid_fam = fam
                if two_parents:
                    shared = rng.random() < 0.72
                    if shared:
                        father_fam = fam
                    else:
                        father_fam = fam
                        mother_fam = self.names.family_name(rng, adult_group)
                        r = rng.random()
                        if r < 0.55:
                            kid_fam = father_fam
                        elif r < 0.80 and father_fam != mother_fam:
                            kid_fam = f"{father_fam}-{mother_fam}"
                        else:
                            kid_fam = mother_fam
                else:
                    r = rng.random()
                    if r < 0.4:
                        kid_fam = self.names.family_name(rng, adult_group)
                    elif r < 0.5:
                        other = self.names.family_name(rng, adult_group)
                        if other != fam:
                            kid_fam = f"{other}-{fam}"
                mother = self.add_person(
                    "F", mother_age, adult_eth if not mixed_kids else "WBRI", mother_fam, addr, hh
                )
                if two_parents and mother_fam == father_fam and rng.random() < 0.8:
                    mother.alt_family = self.names.family_name(rng, adult_group)
                members.append(mother)
                if two_parents:
                    father_eth = adult_eth
                    father = self.add_person(
                        "M", max(18.5, mother_age + rng.gauss(2.5, 3.5)), father_eth, father_fam, addr, hh
                    )
                    members.append(father)
            kid_eth = eth
            for a in kids + adult_kids:
                sex = "M" if rng.random() < 0.513 else "F"
                members.append(self.add_person(sex, a, kid_eth, kid_fam, addr, hh))
            if htype == "multigen":
                members.append(
                    self.add_person(
                        "F" if rng.random() < 0.6 else "M",
                        max(mother_age + 22, 58.0),
                        adult_eth,
                        fam,
                        addr,
                        hh,
                    )
                )
        elif htype == "couple":
            r = rng.random()
            age = (
                self._adult_age(22, 40)
                if r < 0.2
                else self._adult_age(40, 65)
                if r < 0.52
                else self._old_age()
            )
            same_sex = rng.random() < 0.04
            s1 = "F"
            s2 = "F" if same_sex and rng.random() < 0.5 else ("M" if not same_sex else "M")
            if same_sex:
                s1 = s2
            a = self.add_person(s1, age, adult_eth, fam, addr, hh)
            partner_fam = fam if rng.random() < 0.75 else self.names.family_name(rng, adult_group)
            b = self.add_person(s2, max(18.5, age + rng.gauss(1.5, 4)), adult_eth, partner_fam, addr, hh)
            if partner_fam == fam and s1 == "F" and rng.random() < 0.75:
                a.alt_family = self.names.family_name(rng, adult_group)
            members += [a, b]
        elif htype == "single":
            r = rng.random()
            if r < 0.2:
                age, sex = self._adult_age(18.5, 30), "M" if rng.random() < 0.55 else "F"
            elif r < 0.56:
                age, sex = self._adult_age(30, 65), "M" if rng.random() < 0.55 else "F"
            else:
                age, sex = self._old_age(), "F" if rng.random() < 0.62 else "M"
            members.append(self.add_person(sex, age, adult_eth, fam, addr, hh))
        elif htype == "shared":
            for _ in range(rng.randint(2, 4)):
                e = _pick(rng, self.eth_tables[addr.district])
                f = self.names.family_name(rng, ETHNICITY_NAME_GROUP[e])
                members.append(
                    self.add_person(
                        "M" if rng.random() < 0.55 else "F", self._adult_age(18.5, 32), e, f, addr, hh
                    )
                )
        else:  # couple_adult_kids
            age = self._adult_age(45, 66)
            members.append(self.add_person("F", age, adult_eth, fam, addr, hh))
            members.append(self.add_person("M", age + rng.gauss(2, 3), adult_eth, fam, addr, hh))
            for _ in range(rng.choice((1, 1, 2))):
                kid_age = self._adult_age(18.5, 30) if rng.random() < 0.85 else self._adult_age(16, 18)
                members.append(
                    self.add_person("M" if rng.random() < 0.55 else "F", kid_age, eth, fam, addr, hh)
                )
        self.households.append(members)

    # ---------------------------------------------------------------- records
    def new_record(self, p: _Person, agency: str, day: int, *, duplicate: bool = False) -> _Rec:
        """An agency's own record of ``p`` (created the first time the agency meets the person)."""
        if not duplicate and agency in p.recs:
            return p.recs[agency]
        rng = self.r_rec
        rec = _Rec()
        rec.key = self.unique(self.rec_keys, lambda: f"R{rng.randrange(10**9):09d}")
        rec.agency = agency
        atype = self.agency_type[agency]
        system = self.systems[agency]
        rec.system = system
        rec.source_key = self.unique(self.source_keys, lambda: (agency, self.source_key(rng, agency, atype)))[
            1
        ]
        rec.person = p
        rec.first_day = day
        rec.valid_from = (
            self.days[min(max(day, 0), self.n_days - 1)] if day >= 0 else self.start + dt.timedelta(day)
        )
        if rec.valid_from < p.dob:
            rec.valid_from = p.dob
        noise: list[str] = []
        given, family, dob = p.given, p.family, p.dob
        sex = p.sex
        address = p.home
        if p.lac and agency == "LCC-CFS" and p.placement:
            address = p.placement
        extra = p.n_recs > 0
        if extra:
            if rng.random() < NOISE["typo"]:
                if rng.random() < 0.6:
                    given = _typo(rng, given)
                else:
                    family = _typo(rng, family)
                noise.append("typo")
            variants = NAME_VARIANTS.get(given)
            if variants and rng.random() < NOISE["nickname"]:
                given = rng.choice(variants)
                noise.append("nickname")
            alt = p.alt_family or ("-" in family and family)
            if alt and rng.random() < NOISE["surname_variant"]:
                if "-" in family:
                    parts = family.split("-")
                    family = rng.choice((parts[0], parts[-1], " ".join(parts)))
                else:
                    family = p.alt_family
                noise.append("surname_variant")
            if (not given.isascii() or not family.isascii()) and rng.random() < NOISE["diacritics_dropped"]:
                given, family = _ascii(given), _ascii(family)
                noise.append("diacritics_dropped")
            if rng.random() < NOISE["swapped_names"]:
                given, family = family, given
                noise.append("swapped_names")
            r = rng.random()
            if r < NOISE["dob_missing"]:
                dob = None
                noise.append("dob_missing")
            elif r < NOISE["dob_missing"] + NOISE["dob_error"]:
                dob = _dob_error(rng, dob, self.as_of)
                noise.append(
                    "dob_transposed" if dob.month == p.dob.day and dob.day == p.dob.month else "dob_digit"
                )
            if rng.random() < NOISE["moved"]:
                address = self.previous_address(p)
                noise.append("moved")
                back = rng.randint(120, 1500)
                rec.valid_from = max(p.dob, rec.valid_from - dt.timedelta(days=back))
            if rng.random() < NOISE["sex_unknown"]:
                sex = "U"
                noise.append("sex_unknown")
        rec.given, rec.family, rec.dob, rec.sex = given, family, dob, sex
        rec.gender = "" if sex == "U" else ("Male" if sex == "M" else "Female")
        if atype in ("police", "regional_partner", "housing", "voluntary") and rng.random() < 0.2:
            rec.gender = ""
        if atype in ("police", "regional_partner"):
            rec.family = rec.family.upper()
        rec.eth = self.record_ethnicity(rng, p, atype)
        if extra and rng.random() < NOISE["no_address"]:
            rec.addr = None
            rec.postcode = ""
            noise.append("no_address")
        else:
            rec.addr = address
            rec.postcode = self.addr_by_key[address].postcode
        rec.upn = rec.nhs = rec.la = rec.pol = ""
        self.identifiers(rng, p, rec, agency, atype)
        rec.noise = tuple(noise)
        if not duplicate:
            p.recs[agency] = rec
        p.n_recs += 1
        self.recs.append(rec)
        return rec

    @staticmethod
    def source_key(rng: random.Random, agency: str, atype: str) -> str:
        n = rng.randrange(10**7)
        if atype in ("police", "regional_partner"):
            return f"NOM{n:08d}"
        if agency == "LCC-CFS":
            return f"{n + 1_000_000:07d}"
        if agency == "UHL-NHS":
            return f"RWE{n:08d}"
        if agency == "LPT-NHS":
            return f"SO{n:09d}"
        if agency == "LEICS-YJS":
            return f"YJ{n:07d}"
        if agency == "NWL-HOUSING":
            return f"TEN{n:07d}"
        if agency == "VOL-RHI":
            return f"RHI-{n:07d}"
        return f"ADM{n % 10**6:06d}"

    def record_ethnicity(self, rng: random.Random, p: _Person, atype: str) -> str | None:
        r = rng.random()
        known = {"education": 0.92, "childrens_social_care": 0.9, "health": 0.75, "youth_justice": 0.9}.get(
            atype, 0.6
        )
        if r < known:
            return p.eth
        if atype in ("education", "childrens_social_care", "health") and r < known + 0.05:
            return "NOBT" if rng.random() < 0.7 else "REFU"
        return None

    def identifiers(self, rng: random.Random, p: _Person, rec: _Rec, agency: str, atype: str) -> None:
        if atype == "education":
            if rng.random() < 0.995:
                rec.upn = self.person_upn(p)
        elif atype == "health":
            if rng.random() < (0.97 if agency == "LPT-NHS" else 0.92):
                rec.nhs = p.nhs
        elif agency == "LCC-CFS":
            if not p.la_id:
                p.la_id = self.unique(self.la_ids, lambda: f"LCC{rng.randrange(10**7):07d}")
            rec.la = p.la_id
            if p.upn and rng.random() < 0.6:
                rec.upn = p.upn
            if rng.random() < 0.45:
                rec.nhs = p.nhs
        elif atype in ("police", "regional_partner"):
            if p.pnc and rng.random() < 0.95:
                rec.pol = p.pnc
            if rng.random() < 0.03:
                rec.nhs = p.nhs
        elif agency == "LEICS-YJS":
            if p.pnc and rng.random() < 0.9:
                rec.pol = p.pnc
            if p.la_id and rng.random() < 0.5:
                rec.la = p.la_id
            if p.upn and rng.random() < 0.5:
                rec.upn = p.upn
            if rng.random() < 0.3:
                rec.nhs = p.nhs
        elif agency == "VOL-RHI" and p.la_id and rng.random() < 0.5:
            rec.la = p.la_id

    def person_upn(self, p: _Person) -> str:
        if not p.upn:
            rng = self.r_rec
            bsy = p.dob.year if p.dob.month >= 9 else p.dob.year - 1
            estab = self.schools[p.primary]["estab"] if p.primary else "2999"
            year2 = f"{(bsy + 4) % 100:02d}"
            p.upn = self.unique(self.upns, lambda: make_upn(estab, year2, rng.randrange(1000)))
        return p.upn

    def pnc_for(self, p: _Person, day: int) -> str:
        if not p.pnc:
            rng = self.r_rec
            adult = age_on(p.dob, self.days[day]) >= 18
            earlier = rng.random() < (0.4 if adult else 0.15)  # first arrested before the window
            year = self.days[day].year - (rng.randint(1, 8) if earlier else 0)
            year = max(year, p.dob.year + 10)
            p.pnc = self.unique(self.pncs, lambda: make_pnc_id(f"{year % 100:02d}", rng.randrange(1, 10**6)))
        return p.pnc

    def previous_address(self, p: _Person) -> str:
        if not p.prev_addr:
            rng = self.r_rec
            if rng.random() < 0.85 and p.in_county:
                town = (
                    rng.choice(geo.TOWNS)
                    if rng.random() < 0.3
                    else self.towns_by_name.get(p.town, geo.TOWNS[0])
                )
                candidates = self.town_addrs.get(town.name, [])
                choice = rng.choice(candidates) if candidates else p.home
                if choice == p.home:
                    choice = self.county_address(town).key
                p.prev_addr = choice
            else:
                place = rng.choice(geo.OUT_OF_COUNTY_PLACES)
                p.prev_addr = self.outside_address(place).key
        return p.prev_addr

    def police_record(self, p: _Person, day: int, agency: str = "LEICS-POLICE") -> _Rec:
        new = agency not in p.recs
        rec = self.new_record(p, agency, day)
        dup_key = agency + "#2"
        if new and self.r_rec.random() < POLICE_DUPLICATE_NOMINAL:
            # a duplicate nominal that later occurrences are sometimes attached to (a classic
            # police-data problem that linkage has to repair)
            p.recs[dup_key] = self.new_record(p, agency, day + self.r_rec.randint(30, 400), duplicate=True)
        dup = p.recs.get(dup_key)
        if dup is not None and day >= dup.first_day and self.r_rec.random() < 0.35:
            return dup
        return rec

    # ---------------------------------------------------------------- looked-after children
    def assign_lac(self) -> None:
        rng = self.r_pop
        children = [p for p in self.people if p.in_county and self.child_in_window(p)]
        n_lac = max(1, round(len(children) * LAC_PER_CHILD_WINDOW))
        homes = max(1, self.spec.childrens_homes)
        for _ in range(homes):
            town = rng.choice([t for t in geo.TOWNS if t.weight >= 5])
            addr = self.county_address(town)
            house = rng.choice(geo.HOUSE_NAMES)
            renamed = GenAddress(addr.key, f"{house}, {addr.line1}", addr.town, addr.postcode, addr.district)
            self.addresses[-1] = renamed
            self.addr_by_key[addr.key] = renamed
            self.childrens_homes.append(addr.key)
        # age at as_of: <1 5%, 1-4 14%, 5-9 18%, 10-15 39%, 16-17 24% (CP §3 [M], England)
        bands = _cum((((0, 0), 5), ((1, 4), 14), ((5, 9), 18), ((10, 15), 39), ((16, 17), 24)))
        by_age: dict[tuple[str, int], list[_Person]] = {}
        for p in children:
            by_age.setdefault((p.sex, age_on(p.dob, self.as_of)), []).append(p)
        made = 0
        tries = 0
        while made < n_lac and tries < n_lac * 20:
            tries += 1
            lo, hi = _pick(rng, bands)
            sex = "M" if rng.random() < LAC_MALE else "F"
            pool = by_age.get((sex, rng.randint(lo, hi)))
            if not pool:
                continue
            p = pool.pop(rng.randrange(len(pool)))
            if p.lac:
                continue
            # time in care: 35% under a year, 30% one to three years, 35% longer (assumption); the
            # start is uniform over every start date whose period overlaps the window, which gives
            # ~half of the window's looked-after children in care on any one day (so ~39 per
            # 10,000 on 31 March with LAC_PER_CHILD_WINDOW)
            r = rng.random()
            duration = (
                rng.randint(30, 365)
                if r < 0.35
                else rng.randint(365, 1095)
                if r < 0.65
                else rng.randint(1095, 3650)
            )
            lac_lo = max(p.dob_idx, rng.randint(-duration + 1, self.n_days - 1))
            if self.make_looked_after(p, lac_lo, rng, duration=duration):
                made += 1

    def make_looked_after(
        self, p: _Person, lac_lo: int, rng: random.Random, legal: str = "", duration: int | None = None
    ) -> bool:
        end18 = self.birthday_idx(p, 18) - 1
        if duration is not None:
            hi = lac_lo + duration
        else:
            hi = self.n_days + 1000 if rng.random() < 0.7 else lac_lo + rng.randint(90, 900)
        hi = min(hi, end18)
        if hi < max(lac_lo, 0):
            return False
        p.lac = True
        p.lac_lo = lac_lo
        p.lac_hi = hi
        age_at = age_on(p.dob, self.days[max(0, min(lac_lo, self.n_days - 1))])
        r = rng.random()
        if age_at >= 16 and r < 0.35:
            code = "H5"
        elif r < 0.14:
            code = "K2"
        elif r < 0.2:
            code = "P1"
        else:
            code = rng.choice(("U1", "U3", "U4", "U5", "U6"))
        if code == "K2":
            p.placement = rng.choice(self.childrens_homes)
        elif code == "P1":
            p.placement = p.home
        else:
            town = self.towns_by_name.get(p.town) or geo.TOWNS[0]
            if rng.random() < 0.5:
                town = rng.choice(geo.TOWNS)
            candidates = self.town_addrs.get(town.name) or [p.home]
            p.placement = rng.choice(candidates)
        p.placement_code = code
        p.legal_status = legal or _pick(rng, (["C2", "V2", "C1", "E1", "J1"], [55, 80, 92, 97, 100]))
        return True

    def child_in_window(self, p: _Person) -> bool:
        return self.birthday_idx(p, 18) > 0 and p.dob_idx <= self.n_days - 1

    # ---------------------------------------------------------------- the county-lines network
    def plant_network(self) -> None:
        rng = self.r_net
        spec = self.spec
        origins = list(geo.OUT_OF_COUNTY_PLACES[:5])  # Birmingham first: always a West Midlands OCG
        for i in range(spec.ocgs):
            origin = origins[i % len(origins)]
            self.ocgs.append(
                {
                    "key": f"OCG-{i + 1}",
                    "label": f"OCG-{chr(65 + i)} ({origin.town}-based)",
                    "exporting_area": origin.area,
                    "home_town": origin.town,
                    "adult_keys": [],
                }
            )
        brands = list(LINE_BRANDS)
        rng.shuffle(brands)
        if "Jazz" in brands:
            brands.remove("Jazz")
            brands.insert(0, "Jazz")
        numbers = list(range(1000))
        rng.shuffle(numbers)
        for i in range(spec.lines):
            ocg = self.ocgs[i % len(self.ocgs)]
            active = i < spec.active_lines
            if active:
                last = self.n_days - 1 - rng.randint(0, 60)
                first = max(0, last - rng.randint(240, 900))
            else:
                first = rng.randint(0, max(1, self.n_days - 700))
                last = min(self.n_days - 200, first + rng.randint(150, 480))
            towns = [geo.COUNTY_LINES_TOWNS[i % 4]]
            if rng.random() < 0.4:
                extra = rng.choice(geo.COUNTY_LINES_TOWNS)
                if extra not in towns:
                    towns.append(extra)
            k = rng.randint(2, 4)
            cuts = sorted(rng.randint(first + 1, max(first + 2, last - 1)) for _ in range(k - 1))
            bounds = [first, *cuts, last]
            deal_numbers = []
            for j in range(k):
                to = None if (active and j == k - 1) else self.days[bounds[j + 1]]
                deal_numbers.append(
                    {"number": drama_mobile(numbers.pop()), "from": self.days[bounds[j]], "to": to}
                )
            self.lines.append(
                {
                    "key": f"LINE-{i + 1}",
                    "brand": brands[i % len(brands)],
                    "ocg_key": ocg["key"],
                    "exporting_area": ocg["exporting_area"],
                    "importing_towns": towns,
                    "first_seen": self.days[first],
                    "last_active": self.days[last],
                    "active": last >= self.n_days - 1 - 182,
                    "deal_numbers": deal_numbers,
                    "exploited_child_keys": [],
                    "adult_keys": [],
                    "cuckooed_address_keys": [],
                    "_first": first,
                    "_last": last,
                    "_ocg": ocg,
                }
            )
        self.plant_adults()
        self.plant_cuckooed()
        self.plant_children()

    def ocg_line(self, ocg: dict) -> dict:
        for line in self.lines:
            if line["ocg_key"] == ocg["key"]:
                return line
        return self.lines[0]

    def plant_adults(self) -> None:
        rng = self.r_net
        local_pool = [
            p
            for p in self.people
            if p.in_county and p.sex == "M" and 18 <= age_on(p.dob, self.as_of) <= 32 and not p.role
        ]
        for i in range(self.spec.adults_posing_risk):
            ocg = self.ocgs[i % len(self.ocgs)]
            line = self.ocg_line(ocg)
            if rng.random() < 0.65 or not local_pool:
                place = geo.OUT_OF_COUNTY_BY_TOWN[ocg["home_town"]]
                addr = self.outside_address(place)
                eth = _pick(
                    rng,
                    (["WBRI", "BCRB", "APKN", "BAFR", "MWBC", "WOTH"], [30, 55, 70, 80, 95, 100])
                    if place.town in ("Birmingham", "London", "Nottingham")
                    else (["WBRI", "WOTH", "MWBC", "BCRB"], [70, 85, 95, 100]),
                )
                fam = self.names.family_name(rng, ETHNICITY_NAME_GROUP[eth])
                age = rng.uniform(19, 34) if rng.random() < 0.8 else rng.uniform(34, 46)
                sex = "M" if rng.random() < 0.9 else "F"
                p = self.add_person(sex, age, eth, fam, addr, len(self.households), rng)
                self.households.append([p])
            else:
                p = local_pool.pop(rng.randrange(len(local_pool)))
            p.role = "adult_posing_risk"
            p.line = line
            ocg["adult_keys"].append(p.key)
            line["adult_keys"].append(p.key)

    def plant_cuckooed(self) -> None:
        rng = self.r_net
        singles: dict[str, list[_Person]] = {}
        for members in self.households:
            if len(members) == 1:
                p = members[0]
                if p.in_county and 30 <= age_on(p.dob, self.as_of) <= 75 and not p.role:
                    singles.setdefault(p.town, []).append(p)
        for i in range(self.spec.cuckooed_addresses):
            line = self.lines[i % len(self.lines)]
            town = line["importing_towns"][i // len(self.lines) % len(line["importing_towns"])]
            pool = singles.get(town) or next((v for v in singles.values() if v), [])
            if not pool:
                return
            p = pool.pop(rng.randrange(len(pool)))
            p.role = "cuckooed_adult"
            p.line = line
            p.flag = rng.choice(
                ("drug dependency", "learning disability", "mental ill-health", "physical ill-health")
            )
            p.exp_lo = rng.randint(line["_first"], max(line["_first"], line["_last"] - 30))
            p.exp_hi = min(self.n_days - 1, line["_last"] + rng.randint(0, 30))
            line["cuckooed_address_keys"].append(p.home)
            self.cuckooed.append(p.home)

    def plant_children(self) -> None:
        rng = self.r_net
        spec = self.spec
        n = spec.exploited_children
        boys = max(3, round(0.8 * n))
        young = sorted(
            (p for p in self.people if p.in_county and self.child_in_window(p) and not p.role),
            key=lambda q: (q.dob, q.key),
        )
        dobs = [q.dob for q in young]
        used: set[str] = set()
        for i in range(n):
            line = self.lines[i % len(self.lines)]
            sex = "M" if i < boys else "F"
            r = rng.random()
            target_age = 12 if r < 0.05 else rng.randint(13, 14) if r < 0.35 else rng.randint(15, 17)
            if i < 3:
                target_age = rng.randint(13, 15)
            span = max(1, line["_last"] - line["_first"] - 60)
            start = line["_first"] + rng.randint(0, span)
            if i < 3:
                start = line["_first"] + rng.randint(0, max(1, span // 3))
            start_date = self.days[start]
            lo_dob = _add_years(start_date, -(target_age + 1)) + dt.timedelta(days=1)
            hi_dob = _add_years(start_date, -target_age)
            a = bisect.bisect_left(dobs, lo_dob)
            b = bisect.bisect_right(dobs, hi_dob)
            cands = [q for q in young[a:b] if q.sex == sex and q.key not in used]
            local = [q for q in cands if q.town in line["importing_towns"]]
            pool = local if local and rng.random() < 0.6 else cands
            if not pool:
                pool = [
                    q
                    for q in young
                    if q.sex == sex and q.key not in used and 12 <= age_on(q.dob, start_date) <= 17
                ]
            if not pool:
                continue
            p = rng.choice(pool)
            used.add(p.key)
            p.exploited = True
            p.role = "exploited_child"
            p.line = line
            p.exp_lo = start
            end18 = self.birthday_idx(p, 18) - 1
            p.exp_hi = min(
                self.n_days - 1, end18, max(start + rng.randint(150, 600), line["_last"] + rng.randint(0, 45))
            )
            if p.exp_hi - p.exp_lo < 60:
                p.exp_lo = max(0, p.exp_hi - 120)
            p.exp_lo = min(p.exp_lo, p.exp_hi)
            line["exploited_child_keys"].append(p.key)
            if not p.lac and rng.random() < 0.3:
                lac_lo = min(self.n_days - 5, p.exp_lo + rng.randint(30, 240))
                self.make_looked_after(p, lac_lo, rng, legal=rng.choice(("J1", "V2", "C2", "J1")))
        # exploited children brought in from the exporting area
        for i in range(spec.exported_children):
            line = self.lines[i % len(self.lines)]
            place = geo.OUT_OF_COUNTY_BY_TOWN[line["_ocg"]["home_town"]]
            addr = self.outside_address(place)
            eth = rng.choice(("WBRI", "BCRB", "MWBC", "BAFR", "APKN"))
            p = self.add_person(
                "M" if rng.random() < 0.85 else "F",
                rng.uniform(15, 17.8),
                eth,
                self.names.family_name(rng, ETHNICITY_NAME_GROUP[eth]),
                addr,
                len(self.households),
                rng,
            )
            self.households.append([p])
            p.exploited = True
            p.role = "exploited_child"
            p.line = line
            p.exp_lo = max(line["_first"], line["_last"] - rng.randint(60, 300))
            p.exp_hi = min(self.n_days - 1, self.birthday_idx(p, 18) - 1, line["_last"] + 20)
            if p.exp_hi <= p.exp_lo:
                p.exp_lo = max(0, p.exp_hi - 60)
            p.exp_lo = min(p.exp_lo, p.exp_hi)
            line["exploited_child_keys"].append(p.key)

    def deal_number(self, line: dict, day: int) -> str:
        d = self.days[min(max(day, 0), self.n_days - 1)]
        for dn in line["deal_numbers"]:
            if dn["from"] <= d and (dn["to"] is None or d <= dn["to"]):
                return dn["number"]
        return (
            line["deal_numbers"][-1]["number"]
            if d > line["deal_numbers"][-1]["from"]
            else line["deal_numbers"][0]["number"]
        )

    # ---------------------------------------------------------------- base records
    def base_records(self) -> None:
        rng = self.r_ev
        total = len(self.people)
        self.enrolments: list[tuple[_Person, _Rec, int, int, str]] = []
        for n, p in enumerate(self.people):
            if n % 20000 == 0:
                self.tick("records", n, total)
            if p.in_county and p.dob_idx < self.n_days:
                self.school_records(p, rng)
                if self.child_in_window(p):
                    self.new_record(p, "LPT-NHS", max(p.dob_idx, -rng.randint(0, 2000)))
                if rng.random() < 0.45:
                    self.new_record(p, "UHL-NHS", max(p.dob_idx, -rng.randint(0, 4000)))
        self.tick("records", total, total)

    def school_records(self, p: _Person, rng: random.Random) -> None:
        bsy = p.dob.year if p.dob.month >= 9 else p.dob.year - 1
        reception = dt.date(bsy + 4, 9, 1)
        year7 = dt.date(bsy + 11, 9, 1)
        sixth = rng.random() < 0.55
        leave = dt.date(bsy + (18 if sixth else 16), 7, 20)
        p.primary = self.school_for(rng, p, "primary")
        for phase, lo_d, hi_d in (
            ("primary", reception, year7 - dt.timedelta(days=1)),
            ("secondary", year7, leave),
        ):
            lo, hi = self.idx(lo_d), self.idx(hi_d)
            if hi < 0 or lo > self.n_days - 1:
                continue
            if phase == "primary":
                school = p.primary
            else:
                school = p.school = self.school_for(rng, p, "secondary")
            rec = self.new_record(p, school, lo)
            self.enrolments.append((p, rec, max(lo, 0), min(hi, self.n_days - 1), phase))

    # ---------------------------------------------------------------- general event lanes
    def education_events(self) -> None:
        rng = self.r_ev
        total = len(self.enrolments)
        concerns = (
            ("unexplained absence (first-day call)", 40),
            ("attendance below 90% (persistent absence)", 25),
            ("pattern of absence on Mondays and Fridays", 10),
            ("late after the register closed", 15),
            ("absent without explanation after lunch", 6),
            ("holiday taken in term time", 4),
        )
        concern_t = _cum(concerns)
        actions = _cum(
            (
                ("first-day call to parent", 45),
                ("letter home", 25),
                ("attendance meeting", 15),
                ("referral to the local authority attendance service", 10),
                ("home visit", 5),
            )
        )
        susp_t = _cum(
            (
                ("persistent disruptive behaviour", 51),
                ("physical assault against a pupil", 13),
                ("verbal abuse or threatening behaviour against an adult", 11),
                ("verbal abuse or threatening behaviour against a pupil", 6),
                ("physical assault against an adult", 4),
                ("drug and alcohol related", 2.6),
                ("damage", 2),
                ("bullying", 2),
                ("use or threat of use of an offensive weapon or prohibited item", 1),
                ("racist abuse", 1),
                ("sexual misconduct", 1),
                ("theft", 1),
            )
        )
        perm_t = _cum(
            (
                ("persistent disruptive behaviour", 39),
                ("physical assault against a pupil", 15),
                ("physical assault against an adult", 10),
                ("verbal abuse or threatening behaviour against an adult", 8),
                ("drug and alcohol related", 6.8),
                ("use or threat of use of an offensive weapon or prohibited item", 5),
                ("sexual misconduct", 3),
                ("damage", 2),
                ("bullying", 2),
            )
        )
        for n, (p, rec, lo, hi, phase) in enumerate(self.enrolments):
            if n % 20000 == 0:
                self.tick("events: education", n, total)
            if not p.school_cls:
                r = rng.random()
                p.school_cls = 1 if r < 0.70 else 2 if r < 0.92 else 3
                p.susp_cls = 2 if rng.random() < (0.15 if p.sex == "M" else 0.08) else 1
            years = (hi - lo + 1) / 365.25
            sec = phase == "secondary"
            rate = (1.8, 23.0, 70.0)[p.school_cls - 1] * (1.3 if sec else 0.7)
            for _ in range(_poisson(rng, rate * years)):
                day = self.pick_day(rng, lo, hi, "term")
                if day is None:
                    break
                pct = round(
                    (rng.uniform(92, 98), rng.uniform(82, 90), rng.uniform(45, 80))[p.school_cls - 1], 1
                )
                concern = _pick(rng, concern_t)
                self.emit(
                    rec,
                    "school_attendance_concern",
                    day,
                    self.minute(rng, "school"),
                    f"Attendance concern: {concern}",
                    {"attendance_pct": pct, "concern": concern, "action": _pick(rng, actions)},
                )
            if sec:
                s_rate = 1.6 if p.susp_cls == 2 else 0.04
                e_rate = 0.016 if p.susp_cls == 2 else 0.0
            else:
                s_rate = 0.8 if p.susp_cls == 2 and rng.random() < 0.15 else 0.005
                e_rate = 0.002 if p.susp_cls == 2 else 0.0
            for _ in range(_poisson(rng, s_rate * years)):
                day = self.pick_day(rng, lo, hi, "term")
                if day is not None:
                    self.suspension(rng, rec, day, _pick(rng, susp_t))
            if e_rate and rng.random() < e_rate * years:
                day = self.pick_day(rng, lo, hi, "term")
                if day is not None:
                    self.exclusion(rng, rec, day, _pick(rng, perm_t))
        self.tick("events: education", total, total)

    def suspension(self, rng: random.Random, rec: _Rec, day: int, reason: str) -> None:
        days = rng.choice((1, 1, 1, 2, 2, 3, 5))
        self.emit(
            rec,
            "school_suspension",
            day,
            self.minute(rng, "school"),
            f"Suspended for {days} day{'s' if days > 1 else ''}: {reason}",
            {"reason": reason, "days": days},
        )

    def exclusion(self, rng: random.Random, rec: _Rec, day: int, reason: str) -> None:
        self.emit(
            rec,
            "permanent_exclusion",
            day,
            self.minute(rng, "school"),
            f"Permanently excluded: {reason}",
            {"reason": reason},
        )

    def health_events(self) -> None:
        rng = self.r_ev
        total = len(self.people)
        child_ae = _cum(
            (
                ("minor head injury", 14),
                ("fever", 12),
                ("breathing difficulty", 10),
                ("wrist injury", 9),
                ("ankle injury", 9),
                ("abdominal pain", 8),
                ("laceration", 8),
                ("vomiting", 7),
                ("allergic reaction", 4),
                ("hand injury", 6),
                ("ingestion of a foreign body", 3),
                ("self-harm", 3),
                ("overdose", 1.5),
                ("alcohol intoxication", 1.5),
                ("assault", 2),
                ("burn", 2),
            )
        )
        adult_ae = _cum(
            (
                ("chest pain", 14),
                ("abdominal pain", 12),
                ("shortness of breath", 11),
                ("fall", 12),
                ("head injury", 6),
                ("back pain", 6),
                ("hand injury", 5),
                ("laceration", 5),
                ("ankle injury", 5),
                ("collapse", 4),
                ("headache", 4),
                ("alcohol intoxication", 3),
                ("overdose", 1.5),
                ("self-harm", 1.5),
                ("assault", 2),
                ("allergic reaction", 2),
                ("confusion", 3),
                ("urinary problem", 3),
            )
        )
        contact_types = ("home visit", "clinic", "telephone", "video")
        for n, p in enumerate(self.people):
            if n % 20000 == 0:
                self.tick("events: health", n, total)
            if not p.in_county:
                continue
            lo = max(0, p.dob_idx)
            if lo >= self.n_days:
                continue
            age_now = age_on(p.dob, self.as_of)
            # A&E (UHL): ~0.35 attendances per person-year, gamma-heterogeneous
            base = (
                0.5
                if age_now < 5
                else 0.3
                if age_now < 18
                else 0.33
                if age_now < 65
                else 0.45
                if age_now < 80
                else 0.8
            )
            lam = base * (self.n_days - lo) / 365.25 * rng.gammavariate(0.8, 1 / 0.8)
            k = _poisson(rng, lam)
            if k:
                table = child_ae if age_now < 18 else adult_ae
                for _ in range(k):
                    day = self.pick_day(rng, lo, self.n_days - 1)
                    complaint = _pick(rng, table)
                    self.ae(rng, p, day, complaint)
            # LPT community services
            spans: list[tuple[str, int, int, float]] = []
            if p.dob_idx < self.n_days:
                hv_hi = self.birthday_idx(p, 5) - 1
                if hv_hi >= 0:
                    spans.append(("health visiting", lo, hv_hi, 4.0))
                sn_lo, sn_hi = self.birthday_idx(p, 5), self.birthday_idx(p, 18) - 1
                if sn_hi >= 0 and sn_lo < self.n_days:
                    spans.append(("school nursing", sn_lo, sn_hi, 0.3))
                    c_lo = max(self.birthday_idx(p, 10), 0)
                    if c_lo <= min(sn_hi, self.n_days - 1) and rng.random() < 0.07:
                        start = self.pick_day(rng, c_lo, sn_hi)
                        if start is not None:
                            spans.append(("CAMHS", start, start + rng.randint(150, 400), 12.0))
            if age_now >= 18 and rng.random() < 0.05:
                start = self.pick_day(rng, 0, self.n_days - 1)
                spans.append(("adult mental health", start, start + rng.randint(200, 700), 15.0))
            if age_now >= 75 and rng.random() < 0.25:
                spans.append(("community nursing", 0, self.n_days - 1, 40.0))
            elif 65 <= age_now < 75 and rng.random() < 0.06:
                spans.append(("community nursing", 0, self.n_days - 1, 20.0))
            for service, s_lo, s_hi, rate in spans:
                s_lo, s_hi = max(s_lo, 0), min(s_hi, self.n_days - 1)
                if s_lo > s_hi:
                    continue
                k = _poisson(rng, rate * (s_hi - s_lo + 1) / 365.25)
                if not k:
                    continue
                rec = self.new_record(p, "LPT-NHS", s_lo)
                for _ in range(k):
                    day = self.pick_day(rng, s_lo, s_hi, "weekday")
                    if day is None:
                        break
                    ctype = rng.choice(contact_types) if service != "community nursing" else "home visit"
                    self.emit(
                        rec,
                        "health_contact",
                        day,
                        self.minute(rng, "office"),
                        f"{service[0].upper()}{service[1:]} contact ({ctype})",
                        {"service": service, "contact_type": ctype},
                    )
        self.tick("events: health", total, total)

    def ae(self, rng: random.Random, p: _Person, day: int, complaint: str) -> None:
        rec = self.new_record(p, "UHL-NHS", day)
        arrival = "ambulance" if rng.random() < 0.22 else "walk-in"
        outcome = _pick(
            rng, (["discharged", "admitted", "referred to GP", "left before being seen"], [60, 82, 96, 100])
        )
        self.emit(
            rec,
            "ae_attendance",
            day,
            self.minute(rng, "ae"),
            f"Attended the Emergency Department: {complaint}",
            {"presenting_complaint": complaint, "arrival_mode": arrival, "outcome": outcome},
        )

    def police_general(self) -> None:
        rng = self.r_ev
        total = len(self.people)
        child_inc = _cum(
            (
                ("domestic incident at home", 30),
                ("assault", 15),
                ("online harassment", 12),
                ("theft", 10),
                ("concern for safety", 12),
                ("road traffic collision", 6),
                ("sexual offence", 3),
                ("robbery", 4),
                ("anti-social behaviour", 8),
            )
        )
        adult_inc = _cum(
            (
                ("theft", 16),
                ("burglary", 8),
                ("criminal damage", 10),
                ("assault", 12),
                ("anti-social behaviour", 14),
                ("domestic incident", 12),
                ("fraud", 8),
                ("road traffic collision", 8),
                ("concern for safety", 6),
                ("harassment", 6),
            )
        )
        offences = _cum(
            (
                ("shoplifting", 14),
                ("assault", 16),
                ("criminal damage", 9),
                ("drink driving", 9),
                ("possession of cannabis", 10),
                ("public order offence", 9),
                ("domestic-related assault", 14),
                ("burglary", 5),
                ("theft", 7),
                ("possession of an offensive weapon", 3),
                ("possession with intent to supply Class A drugs", 2),
                ("breach of bail conditions", 2),
            )
        )
        child_offences = _cum(
            (
                ("shoplifting", 20),
                ("assault", 22),
                ("criminal damage", 14),
                ("possession of cannabis", 10),
                ("public order offence", 10),
                ("theft", 8),
                ("robbery", 4),
                ("taking a vehicle without consent", 4),
                ("possession of an offensive weapon", 5),
                ("malicious communications", 3),
            )
        )
        grounds = _cum(
            (("drugs", 60), ("offensive weapons", 15), ("stolen property", 15), ("going equipped", 10))
        )
        for n, p in enumerate(self.people):
            if n % 20000 == 0:
                self.tick("events: police", n, total)
            if not p.in_county:
                continue
            lo = max(0, p.dob_idx)
            if lo >= self.n_days:
                continue
            years = (self.n_days - lo) / 365.25
            age_now = age_on(p.dob, self.as_of)
            f = (
                0.6
                if age_now < 10
                else 1.2
                if age_now < 18
                else 1.5
                if age_now < 31
                else 1.0
                if age_now < 65
                else 0.5
            )
            k = _poisson(rng, 0.11 * f * years * rng.gammavariate(0.35, 1 / 0.35))
            for _ in range(k):
                day = self.pick_day(rng, lo, self.n_days - 1)
                child = self.days[day] < _add_years(p.dob, 18)
                itype = _pick(rng, child_inc if child else adult_inc)
                if child:
                    role = "witness" if itype.startswith("domestic") or rng.random() < 0.3 else "victim"
                else:
                    role = _pick(rng, (["victim", "witness", "reporting person"], [55, 85, 100]))
                agency = "LEICS-POLICE"
                if p.district == "HARBOROUGH" and rng.random() < 0.06:
                    agency = "NORTHANTS-POLICE"
                rec = self.police_record(p, day, agency)
                who = "Child" if child else "Person"
                self.emit(
                    rec,
                    "police_incident",
                    day,
                    self.minute(rng, "police"),
                    f"{who} recorded as {role}: {itype}",
                    {"incident_type": itype, "role": role},
                )
                if role in ("victim", "witness"):
                    self.category(rec, role, day)
            if age_now < 10:
                continue
            male = p.sex == "M"
            arrest_rate = (0.035 if male else 0.009) if 15 <= age_now <= 40 else (0.006 if male else 0.002)
            stop_rate = (0.03 if male else 0.004) if 15 <= age_now <= 30 else 0.002
            k_arrest = _poisson(rng, arrest_rate * years * rng.gammavariate(0.5, 2.0))
            for _ in range(k_arrest):
                day = self.pick_day(rng, max(lo, self.birthday_idx(p, 10)), self.n_days - 1)
                if day is None:
                    break
                child = self.days[day] < _add_years(p.dob, 18)
                self.arrest(rng, p, day, _pick(rng, child_offences if child else offences))
            for _ in range(_poisson(rng, stop_rate * years)):
                day = self.pick_day(rng, max(lo, self.birthday_idx(p, 10)), self.n_days - 1)
                if day is None:
                    break
                g = _pick(rng, grounds)
                found = rng.random() < 0.25
                self.stop_search(
                    rng,
                    p,
                    day,
                    g,
                    "items found: suspected cannabis"
                    if found and g == "drugs"
                    else "nothing found"
                    if not found
                    else f"items found ({g})",
                    p.town,
                )
            if k_arrest and rng.random() < 0.25:
                rec = self.police_record(p, self.n_days - 1)
                for _ in range(rng.randint(1, 2)):
                    day = self.pick_day(rng, lo, self.n_days - 1)
                    hc = _pick(rng, ([1, 2, 3, 4, 5], [45, 75, 77, 95, 100]))
                    self.emit(
                        rec,
                        "intelligence",
                        day,
                        self.minute(rng, "any"),
                        "Intelligence report received about the subject's suspected criminal activity",
                        {"grading": _grading(rng), "subject_role": "subject", "topic": _pick(rng, offences)},
                        handling_code=hc,
                    )
        self.tick("events: police", total, total)

    def arrest(
        self,
        rng: random.Random,
        p: _Person,
        day: int,
        offence: str,
        *,
        occurrence: str = "",
        co_arrested: list[str] | None = None,
        location: str = "",
        agency: str = "LEICS-POLICE",
        minute: int | None = None,
    ) -> tuple[_Rec, str]:
        rec = self.police_record(p, day, agency)
        pnc = self.pnc_for(p, day)
        if not rec.pol and rng.random() < 0.95:
            rec.pol = pnc
        occurrence = occurrence or self.occurrence_ref(rng, day)
        child = self.days[day] < _add_years(p.dob, 18)
        outcome = _pick(
            rng,
            (
                [
                    "released under investigation",
                    "no further action",
                    "charged",
                    "bailed",
                    "community resolution",
                    "cautioned",
                ],
                [30, 52, 78, 88, 95, 100],
            ),
        )
        minute = self.minute(rng, "night") if minute is None else minute
        where = f" in {location}" if location else ""
        summary = f"Arrested on suspicion of {offence}{where}"
        if child:
            summary += "; safeguarding referral made"
        details = {
            "offence": offence,
            "occurrence_ref": occurrence,
            "outcome": outcome,
            "location": location or p.town,
        }
        if co_arrested:
            details["co_arrested_record_keys"] = list(co_arrested)
        self.emit(rec, "arrest", day, minute, summary, details)
        self.category(rec, "suspect", day)
        if rng.random() < 0.92:
            hours = rng.uniform(3, 30)
            cday, cmin = self.after(day, minute, 0.75)
            if cday < self.n_days:
                self.emit(
                    rec,
                    "custody",
                    cday,
                    cmin,
                    "Detained in police custody" + ("; appropriate adult called" if child else ""),
                    {
                        "custody_suite": rng.choice(("Euston Street", "Keyham Lane", "Beaumont Leys"))
                        if agency == "LEICS-POLICE"
                        else "Corby",
                        "hours_detained": round(hours, 1),
                        "appropriate_adult": child,
                        "occurrence_ref": occurrence,
                    },
                )
        if outcome == "charged" and rng.random() < 0.7:
            conv = self.next_weekday(day + rng.randint(60, 240))
            if conv < self.n_days:
                self.category(rec, "convicted", conv)
            if child and conv < self.n_days and rng.random() < 0.75:
                yj = self.new_record(p, "LEICS-YJS", conv)
                order = _pick(
                    rng,
                    (
                        [
                            "Referral Order",
                            "Youth Rehabilitation Order",
                            "Youth Conditional Caution",
                            "Detention and Training Order",
                        ],
                        [55, 85, 95, 100],
                    ),
                )
                months = (
                    rng.choice((3, 6, 9, 12))
                    if order != "Detention and Training Order"
                    else rng.choice((4, 6, 8))
                )
                self.emit(
                    yj,
                    "yj_order",
                    conv,
                    self.minute(rng, "office"),
                    f"{order} made ({months} months)",
                    {"order_type": order, "length_months": months, "offence": offence},
                )
                self.category(yj, "convicted", conv)
        if child and rng.random() < 0.8:
            cday = min(self.n_days - 1, day + rng.randint(0, 2))
            self.csc_contact(rng, p, cday, "police", "child arrested: police safeguarding notification")
        return rec, occurrence

    def occurrence_ref(self, rng: random.Random, day: int) -> str:
        year = self.days[day].year % 100
        return self.unique(self.occ_refs, lambda: f"LP-{year:02d}{rng.randrange(10**6):06d}")

    def stop_search(
        self,
        rng: random.Random,
        p: _Person,
        day: int,
        grounds: str,
        outcome: str,
        location: str,
        agency: str = "LEICS-POLICE",
    ) -> _Rec:
        rec = self.police_record(p, day, agency)
        self.emit(
            rec,
            "stop_search",
            day,
            self.minute(rng, "night"),
            f"Stop and search in {location} ({grounds}): {outcome}",
            {"grounds": grounds, "outcome": outcome, "location": location},
        )
        return rec

    def csc_contact(self, rng: random.Random, p: _Person, day: int, source: str, concern: str) -> _Rec:
        rec = self.new_record(p, "LCC-CFS", day)
        self.emit(
            rec,
            "csc_contact",
            day,
            self.minute(rng, "office"),
            f"Contact from {source}: {concern}",
            {"source": source, "concern": concern},
        )
        return rec

    def csc_general(self) -> None:
        rng = self.r_ev
        total = len(self.people)
        sources = _cum(
            (
                ("school", 20),
                ("police", 28),
                ("health", 14),
                ("family member", 10),
                ("anonymous member of the public", 6),
                ("early help", 10),
                ("housing", 3),
                ("other", 9),
            )
        )
        source_code = {
            "school": "2A",
            "police": "6",
            "health": "3A",
            "family member": "1A",
            "anonymous member of the public": "9",
            "early help": "5D",
            "housing": "4",
            "other": "8",
        }
        concerns = _cum(
            (
                ("domestic abuse in the household", 28),
                ("neglect", 16),
                ("parental mental health", 12),
                ("parental substance misuse", 10),
                ("emotional wellbeing of the child", 10),
                ("physical injury", 6),
                ("child's behaviour", 8),
                ("going missing", 3),
                ("risk outside the home", 4),
                ("housing and poverty", 3),
            )
        )
        factors = _cum(
            (
                ("3A", 20),
                ("3B", 12),
                ("4B", 14),
                ("16A", 12),
                ("17A", 10),
                ("1B", 6),
                ("2B", 7),
                ("18C", 5),
                ("14A", 4),
                ("4A", 5),
                ("15A", 2),
                ("5A", 2),
                ("21", 1),
            )
        )
        for n, p in enumerate(self.people):
            if n % 20000 == 0:
                self.tick("events: social care", n, total)
            if not p.in_county or not self.child_in_window(p):
                continue
            if rng.random() > 0.10 and not p.lac:
                continue
            lo = max(0, p.dob_idx)
            hi = min(self.n_days - 1, self.birthday_idx(p, 18) - 1)
            if lo > hi:
                continue
            years = (hi - lo + 1) / 365.25
            k = max(1, _poisson(rng, 1.2 * years * rng.gammavariate(0.8, 1.25)))
            for _ in range(k):
                day = self.pick_day(rng, lo, hi, "weekday")
                if day is None:
                    break
                src = _pick(rng, sources)
                concern = _pick(rng, concerns)
                rec = self.csc_contact(rng, p, day, src, concern)
                if rng.random() < 0.40:
                    rday = min(hi, day + rng.randint(0, 3))
                    self.emit(
                        rec,
                        "csc_referral",
                        rday,
                        self.minute(rng, "office"),
                        f"Referral accepted ({src}): {concern}",
                        {
                            "referral_source": source_code[src],
                            "primary_need": rng.choice(("N1", "N4", "N5", "N1")),
                            "concern": concern,
                        },
                    )
                    self.category(rec, "child_at_risk", rday, rday + rng.randint(60, 500))
                    if rng.random() < 0.85:
                        aday = min(hi, rday + rng.randint(10, 45))
                        fs = sorted({_pick(rng, factors) for _ in range(rng.randint(1, 3))})
                        if age_on(p.dob, self.days[aday]) >= 10 and rng.random() < 0.01 and BACKGROUND_24A:
                            fs.append("24A")
                        self.assessment(rng, rec, aday, fs)
        self.tick("events: social care", total, total)

    def assessment(self, rng: random.Random, rec: _Rec, day: int, factors: list[str]) -> None:
        labels = ", ".join(CIN_FACTOR_LABELS.get(f, f) for f in factors)
        self.emit(
            rec,
            "cin_assessment",
            day,
            self.minute(rng, "office"),
            f"Child and family assessment completed; factors: {labels}",
            {
                "factors": factors,
                "outcome": rng.choice(
                    (
                        "child in need plan",
                        "no further action",
                        "step down to early help",
                        "strategy discussion",
                    )
                ),
            },
        )

    def lac_events(self) -> None:
        rng = self.r_ev
        for p in self.people:
            if not p.lac:
                continue
            rec = self.new_record(p, "LCC-CFS", max(p.lac_lo, 0))
            self.category(
                rec, "child_at_risk", max(p.lac_lo, 0), p.lac_hi if p.lac_hi < self.n_days else None
            )
            start = max(p.lac_lo, 0)
            if p.lac_lo >= 0:
                legal, code = p.legal_status, p.placement_code
                self.emit(
                    rec,
                    "lac_episode",
                    start,
                    self.minute(rng, "office"),
                    f"Became looked after ({legal}); placement {PLACEMENT_LABELS.get(code, code)}",
                    {
                        "legal_status": legal,
                        "placement": code,
                        "reason_new_episode": "S",
                        "decom": self.days[start].isoformat(),
                        "dec": None,
                    },
                )
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                day = self.pick_day(rng, start + 30, min(p.lac_hi, self.n_days - 1), "weekday")
                if day is None:
                    break
                code = rng.choice(
                    (
                        "U1",
                        "U3",
                        "U4",
                        "U5",
                        "U6",
                        "K2",
                        "H5" if age_on(p.dob, self.days[day]) >= 16 else "U4",
                    )
                )
                self.emit(
                    rec,
                    "lac_episode",
                    day,
                    self.minute(rng, "office"),
                    f"Placement changed; now {PLACEMENT_LABELS.get(code, code)}",
                    {
                        "legal_status": p.legal_status,
                        "placement": code,
                        "reason_new_episode": "P",
                        "decom": self.days[day].isoformat(),
                        "dec": None,
                    },
                )
            if 0 <= p.lac_hi < self.n_days:
                self.emit(
                    rec,
                    "lac_episode",
                    p.lac_hi,
                    self.minute(rng, "office"),
                    "Ceased to be looked after",
                    {
                        "legal_status": p.legal_status,
                        "placement": p.placement_code,
                        "reason_new_episode": "",
                        "decom": self.days[start].isoformat(),
                        "dec": self.days[p.lac_hi].isoformat(),
                    },
                )

    def housing_events(self) -> None:
        rng = self.r_ev
        types = _cum(
            (
                ("rent arrears", 35),
                ("anti-social behaviour complaint", 20),
                ("disrepair", 20),
                ("welfare concern", 12),
                ("unauthorised occupants", 5),
                ("tenancy breach", 8),
            )
        )
        for members in self.households:
            if not members or members[0].district != "NW_LEICS" or rng.random() > 0.16:
                continue
            adults = [m for m in members if age_on(m.dob, self.as_of) >= 18]
            if not adults:
                continue
            tenants = adults[:2] if len(adults) > 1 and rng.random() < 0.5 else adults[:1]
            recs = [self.new_record(t, "NWL-HOUSING", -rng.randint(30, 3000)) for t in tenants]
            for _ in range(_poisson(rng, 0.08 * self.years)):
                day = self.pick_day(rng, 0, self.n_days - 1, "weekday")
                kind = _pick(rng, types)
                self.emit(
                    recs[0],
                    "housing_concern",
                    day,
                    self.minute(rng, "office"),
                    f"Housing concern: {kind}",
                    {"concern_type": kind},
                )

    # ---------------------------------------------------------------- missing
    def missing(self) -> None:
        rng = self.r_miss
        total_inc = max(14, round(CHILD_MISSING_PER_200K_YEAR * self.scale * self.years))
        n_children = max(5, round((1 - MISSING_REPEAT_SHARE) * total_inc))
        counts = _missing_counts(rng, total_inc, n_children)
        assigned: list[tuple[_Person, int]] = []
        used: set[str] = set()
        exploited = [p for p in self.people if p.exploited and p.in_county]
        boys = [p for p in exploited if p.sex == "M"]
        boys.sort(key=lambda q: -(q.exp_hi - q.exp_lo))
        top = boys[:3]
        for i, p in enumerate(top):
            assigned.append((p, counts[i]))
            used.add(p.key)
        remaining = counts[len(top) :]
        others_exp = [p for p in exploited if p.key not in used and rng.random() < 0.9]
        for p in others_exp:
            if not remaining:
                break
            j = rng.randrange(0, max(1, len(remaining) // 4))
            assigned.append((p, remaining.pop(j)))
            used.add(p.key)
        # looked-after children: 28% of incidents from care
        lac_target = MISSING_FROM_CARE_SHARE * total_inc
        lac_so_far = 0.0
        for p, c in assigned:
            if p.lac:
                lac_so_far += c * 0.6
        lac_pool = [
            p for p in self.people if p.lac and p.key not in used and self.lac_window(p, 10) is not None
        ]
        rng.shuffle(lac_pool)
        for p in lac_pool:
            if lac_so_far >= lac_target or not remaining:
                break
            j = rng.randrange(0, max(1, len(remaining) // 2))
            c = remaining.pop(j)
            assigned.append((p, c))
            used.add(p.key)
            lac_so_far += c
        # everyone else: by sex and age at first incident
        age_t = _cum(MISSING_AGE_WEIGHTS)
        pools: dict[tuple[str, int], list[_Person]] = {}
        for p in self.people:
            if p.in_county and not p.role and not p.lac and p.key not in used and self.child_in_window(p):
                for a in range(10, 18):
                    lo_i = self.birthday_idx(p, a)
                    if lo_i <= self.n_days - 1 and self.birthday_idx(p, a + 1) - 1 >= 0:
                        pools.setdefault((p.sex, a), []).append(p)
        for c in remaining:
            for _attempt in range(20):
                sex = "M" if rng.random() < MISSING_BOYS_SHARE else "F"
                a0 = _pick(rng, age_t)
                pool = pools.get((sex, a0))
                if not pool:
                    continue
                p = pool[rng.randrange(len(pool))]
                if p.key in used:
                    continue
                used.add(p.key)
                p.flag = f"missing-age:{a0}"
                assigned.append((p, c))
                break
        total = len(assigned)
        for n, (p, c) in enumerate(assigned):
            if n % 200 == 0:
                self.tick("events: missing", n, total)
            self.missing_career(rng, p, c)
        self.adult_missing(rng)
        self.tick("events: missing", total, total)

    def lac_window(self, p: _Person, min_age: int) -> tuple[int, int] | None:
        lo = max(p.lac_lo, 0, self.birthday_idx(p, min_age))
        hi = min(p.lac_hi, self.n_days - 1, self.birthday_idx(p, 18) - 1)
        return (lo, hi) if lo <= hi else None

    def missing_career(self, rng: random.Random, p: _Person, count: int) -> None:
        end_child = min(self.n_days - 1, self.birthday_idx(p, 18) - 1)
        if p.exploited:
            lo = max(0, p.exp_lo - 45, self.birthday_idx(p, 10))
            hi = min(end_child, p.exp_hi + 30)
        elif p.lac and self.lac_window(p, 10) is not None:
            lo, hi = self.lac_window(p, 10)
        elif p.flag.startswith("missing-age:"):
            a0 = int(p.flag.split(":")[1])
            lo = max(0, self.birthday_idx(p, a0))
            hi = end_child
            first_hi = min(self.birthday_idx(p, a0 + 1) - 1, hi)
            first = rng.randint(lo, max(lo, first_hi))
            lo = first
        else:
            lo, hi = max(0, self.birthday_idx(p, 10)), end_child
        if lo > hi:
            return
        # spread `count` incidents from lo; frequent missers go missing every week or two
        need = count * (6 if count >= 8 else 20)
        if hi - lo < need and not p.flag.startswith("missing-age:"):
            lo = max(0, self.birthday_idx(p, 10), hi - need)
        first = lo if p.flag.startswith("missing-age:") else lo + rng.randint(0, max(0, (hi - lo) // 4))
        mean_gap = 9 if count >= 8 else 35 if count >= 3 else 90
        gaps = [rng.expovariate(1 / mean_gap) for _ in range(count - 1)]
        span = sum(gaps)
        room = hi - first
        if span > room > 0:
            gaps = [g * room / span for g in gaps]
        elif room <= 0:
            gaps = [0.0] * len(gaps)
        days = [first]
        acc = float(first)
        for g in gaps:
            acc += g
            days.append(min(hi, int(acc)))
        for day in days:
            self.missing_incident(rng, p, day)

    def missing_incident(self, rng: random.Random, p: _Person, day: int) -> None:
        from_care = p.lac and p.lac_lo <= day <= p.lac_hi
        minute = self.minute(rng, "evening")
        rec = self.police_record(p, day)
        line = p.line if p.exploited else None
        exploited_now = p.exploited and p.exp_lo - 45 <= day <= p.exp_hi + 30
        if exploited_now:
            grade = _pick(rng, (["high", "medium", "low"], [35, 95, 100]))
            r = rng.random()
            hours = (
                rng.uniform(2, 24) if r < 0.6 else rng.uniform(24, 160) if r < 0.97 else rng.uniform(170, 330)
            )
        else:
            grade = _pick(rng, (["high", "medium", "low", "no_apparent_risk"], [14, 83, 97, 100]))
            r = rng.random()
            hours = (
                rng.uniform(1, 24)
                if r < 0.79
                else rng.uniform(24, 168)
                if r < 0.98
                else rng.uniform(170, 400)
            )
        rday, rmin = self.after(day, minute, hours)
        returned = self.when(rday, rmin) if rday < self.n_days else None
        found_key = ""
        town = self.addr_by_key[p.home].town
        if exploited_now and line is not None:
            r = rng.random()
            if r < 0.45:
                place = (
                    geo.OUT_OF_COUNTY_BY_TOWN[line["_ocg"]["home_town"]]
                    if rng.random() < 0.6
                    else rng.choice(geo.OUT_OF_COUNTY_PLACES[:5])
                )
                found = f"found by police in {place.town}" + (
                    f" ({place.area})" if place.area != place.town else ""
                )
                where, out = place.town, True
            elif r < 0.65 and line["cuckooed_address_keys"]:
                a = self.addr_by_key[rng.choice(line["cuckooed_address_keys"])]
                found = f"found at an address in {a.town} ({a.line1})"
                where, out, found_key = f"{a.line1}, {a.town}", False, a.key
            else:
                t = rng.choice(line["importing_towns"])
                found = f"found in {t} town centre"
                where, out = f"{t} town centre", False
        else:
            r = rng.random()
            if r < 0.05:
                place = rng.choice([q for q in geo.OUT_OF_COUNTY_PLACES if not q.in_force_area])
                found = f"found in {place.town}"
                where, out = place.town, True
            elif r < 0.14:
                found = "found in Leicester city centre"
                where, out = "Leicester city centre", False
            elif r < 0.45:
                found = "returned of own accord"
                where, out = "returned of own accord", False
            elif r < 0.72:
                found = f"found at a friend's address in {town}"
                where, out = f"friend's address, {town}", False
            else:
                found = f"found by police in {town}"
                where, out = town, False
        if returned is None:
            found = "still missing"
            where, out = "", False
        origin = "placement" if from_care else "home"
        reporter = (
            rng.choice(("children's home staff", "foster carer", "social worker"))
            if from_care
            else rng.choice(("parent", "parent", "parent", "grandparent", "other relative"))
        )
        details = {
            "risk_grade": grade,
            "found_location": where,
            "found_out_of_area": out,
            "returned_at": returned.isoformat() if returned else None,
            "reported_by": reporter,
            "missing_from": origin,
            "occurrence_ref": self.occurrence_ref(rng, day),
        }
        if found_key:
            details["found_address_key"] = found_key
        self.emit(rec, "missing_report", day, minute, f"Reported missing from {origin}; {found}", details)
        if from_care:
            cfs = self.new_record(p, "LCC-CFS", day)
            mtype = "M" if rng.random() < 0.75 else "A"
            self.emit(
                cfs,
                "missing_episode_903",
                day,
                minute,
                "Missing from placement" if mtype == "M" else "Away from placement without authorisation",
                {
                    "missing_type": mtype,
                    "mis_start": self.days[day].isoformat(),
                    "mis_end": self.days[rday].isoformat() if returned else None,
                },
            )
            if rng.random() < 0.4:  # an extra 'away' episode that police were not told about
                aday = min(self.n_days - 1, day + rng.randint(2, 20))
                if aday <= p.lac_hi:
                    self.emit(
                        cfs,
                        "missing_episode_903",
                        aday,
                        self.minute(rng, "evening"),
                        "Away from placement without authorisation",
                        {
                            "missing_type": "A",
                            "mis_start": self.days[aday].isoformat(),
                            "mis_end": self.days[min(self.n_days - 1, aday + 1)].isoformat(),
                        },
                    )
        elif rng.random() < 0.6:
            cday = min(self.n_days - 1, day + rng.randint(0, 2))
            self.csc_contact(rng, p, cday, "police", "notification: child reported missing")
        if returned is not None and rng.random() < RHI_OFFERED:
            accepted = rng.random() < RHI_ACCEPTED
            within = accepted and rng.random() < RHI_WITHIN_72H
            delay = rng.uniform(4, 71) if within else rng.uniform(73, 330)
            oday, omin = self.after(rday, rmin, delay)
            if not 9 * 60 <= omin <= 18 * 60:  # interviews happen in working hours
                omin = rng.randint(9 * 60, 18 * 60)
            if oday < self.n_days:
                provider = "LCC-CFS" if from_care else "VOL-RHI"
                rrec = self.new_record(p, provider, oday)
                held = "held within 72 hours" if within else "held after 72 hours" if accepted else "declined"
                offered = self.when(oday, omin)
                self.emit(
                    rrec,
                    "return_home_interview",
                    oday,
                    omin,
                    f"Return home interview offered; {held}",
                    {"offered_at": offered.isoformat(), "within_72h": within, "accepted": accepted},
                )

    def adult_missing(self, rng: random.Random) -> None:
        adults = [p for p in self.people if p.in_county and age_on(p.dob, self.start) >= 18]
        incidents = round(ADULT_MISSING_PER_ADULT_YEAR * len(adults) * self.years)
        people = max(1, round(incidents * 0.65))
        places = (
            "returned of own accord",
            "found by police",
            "found at a relative's address",
            "found in hospital",
        )
        done = 0
        for _ in range(people):
            p = adults[rng.randrange(len(adults))]
            for _k in range(1 if rng.random() < 0.75 else rng.randint(2, 5)):
                if done >= incidents:
                    return
                day = rng.randrange(self.n_days)
                minute = self.minute(rng, "evening")
                rec = self.police_record(p, day)
                hours = rng.uniform(2, 48)
                rday, rmin = self.after(day, minute, hours)
                returned = self.when(rday, rmin) if rday < self.n_days else None
                where = rng.choice(places) if returned else "still missing"
                self.emit(
                    rec,
                    "missing_report",
                    day,
                    minute,
                    f"Reported missing; {where}",
                    {
                        "risk_grade": _pick(
                            rng, (["high", "medium", "low", "no_apparent_risk"], [16, 84, 97, 100])
                        ),
                        "found_location": where if returned else "",
                        "found_out_of_area": False,
                        "returned_at": returned.isoformat() if returned else None,
                        "reported_by": rng.choice(("partner", "family member", "care home staff", "friend")),
                        "missing_from": "home",
                        "occurrence_ref": self.occurrence_ref(rng, day),
                    },
                )
                done += 1

    # ---------------------------------------------------------------- network events
    def network_events(self) -> None:
        rng = self.r_net
        adults = {p.key: p for p in self.people if p.role == "adult_posing_risk"}
        for p in self.people:
            if p.role == "exploited_child":
                ident = self.identified_by(p)
                first = len(self.events)
                if p.in_county:
                    self.exploited_child_events(rng, p, adults, ident["childrens_social_care"])
                else:
                    self.exported_child_events(rng, p, adults)
                self.identifications(p, ident, first)
        for p in self.people:
            if p.role == "adult_posing_risk":
                self.adult_posing_risk_events(rng, p)
            elif p.role == "cuckooed_adult":
                self.cuckooed_events(rng, p)
                self.address_visits(p)

    def line_intel(self, rng: random.Random, p: _Person, day: int, kind: str) -> None:
        line = p.line
        assert line is not None
        rec = self.police_record(p, day)
        number = self.deal_number(line, day)
        town = rng.choice(line["importing_towns"])
        if kind == "child":
            text = (
                f"Intelligence indicates the child is being criminally exploited to supply drugs for the "
                f"'{line['brand']}' deal line ({number}) in {town}"
            )
            role = "child at risk of criminal exploitation"
        else:
            text = (
                f"Intelligence indicates the subject is involved in running the '{line['brand']}' deal line "
                f"({number}) supplying drugs into {town}"
            )
            role = "adult posing risk"
        hc = _pick(rng, ([1, 2, 3, 4, 5], [25, 60, 63, 93, 100]))
        self.emit(
            rec,
            "intelligence",
            day,
            self.minute(rng, "any"),
            text,
            {
                "grading": _grading(rng),
                "subject_role": role,
                "line_name": line["brand"],
                "deal_line_number": number,
                "ocg_key": line["ocg_key"],
                "location": town,
            },
            handling_code=hc,
        )

    def identified_by(self, p: _Person) -> dict[str, bool]:
        """Which agencies identify exploited child ``p`` (see IDENTIFICATION): drawn first from the
        child's own stream, in a fixed order, so the draws never depend on the child's other events."""
        rng = random.Random(f"{self.seed}:identification:{p.key}")
        return {agency: rng.random() < chance for agency, chance in IDENTIFICATION.items()}

    def identifications(self, p: _Person, ident: dict[str, bool], first: int) -> None:
        """The police and health identifications of exploited child ``p`` (social care's is the 24A
        on the assessment in exploited_child_events). Written on the child's existing police and
        hospital records, never creating one, from the child's identification stream (continued
        after identified_by's draws), so that nothing else in the county changes. ``first`` is the
        index of the child's first network event, to find its emergency attendances."""
        rng = random.Random(f"{self.seed}:identification:{p.key}")
        for _ in IDENTIFICATION:
            rng.random()
        lo, hi = max(p.exp_lo, 0), min(p.exp_hi, self.n_days - 1)
        police = p.recs.get("LEICS-POLICE")
        if ident["police"] and police is not None and lo <= hi:
            day = rng.randint(lo, hi)
            self.emit(
                police,
                "police_incident",
                day,
                self.minute(rng, "police"),
                "Child recorded as victim: child criminal exploitation (safeguarding referral made)",
                {"incident_type": "child criminal exploitation", "role": "victim"},
            )
        hospital = p.recs.get("UHL-NHS")
        attended = sorted(
            self.ev_sort[i] // 1440
            for i in range(first, len(self.events))
            if self.events[i].item_type == "ae_attendance" and hospital is not None
            and self.events[i].record_key == hospital.key
        )  # fmt: skip
        if ident["health"] and attended:
            day = min(rng.choice(attended) + rng.randint(0, 2), self.n_days - 1)
            self.emit(
                hospital,  # type: ignore[arg-type]
                "health_contact",
                day,
                self.minute(rng, "office"),
                "Emergency department safeguarding team: referral for a concern of child criminal exploitation",
                {
                    "service": "emergency department safeguarding team",
                    "contact_type": "safeguarding referral",
                    "concern": "child criminal exploitation",
                },
            )

    def exploited_child_events(
        self, rng: random.Random, p: _Person, adults: dict[str, _Person], csc_identifies: bool = True
    ) -> None:
        line = p.line
        assert line is not None
        lo, hi = p.exp_lo, p.exp_hi
        towns = line["importing_towns"]
        partners = [adults[k] for k in line["_ocg"]["adult_keys"] if k in adults]
        # police: arrests (some with an adult posing risk), stop and search, intelligence
        for _ in range(_pick(rng, ([0, 1, 2, 3], [30, 70, 90, 100]))):
            day = self.pick_day(rng, lo, hi)
            offence = _pick(
                rng,
                (
                    [
                        "possession with intent to supply Class A drugs",
                        "possession of an offensive weapon",
                        "possession of criminal property (cash)",
                    ],
                    [65, 85, 100],
                ),
            )
            location = rng.choice(towns)
            if line["cuckooed_address_keys"] and rng.random() < 0.4:
                a = self.addr_by_key[rng.choice(line["cuckooed_address_keys"])]
                location = f"{a.line1}, {a.town}"
            minute = self.minute(rng, "night")
            occurrence = self.occurrence_ref(rng, day)
            if partners and rng.random() < 0.45:
                adult = rng.choice(partners)
                arec = self.police_record(adult, day)
                crec = self.police_record(p, day)
                self.arrest(
                    rng,
                    adult,
                    day,
                    "being concerned in the supply of Class A drugs",
                    occurrence=occurrence,
                    co_arrested=[crec.key],
                    location=location,
                    minute=minute,
                )
                self.arrest(
                    rng,
                    p,
                    day,
                    offence,
                    occurrence=occurrence,
                    co_arrested=[arec.key],
                    location=location,
                    minute=minute,
                )
            else:
                self.arrest(rng, p, day, offence, occurrence=occurrence, location=location, minute=minute)
        for _ in range(rng.randint(0, 4)):
            day = self.pick_day(rng, lo, hi)
            found = _pick(
                rng,
                (
                    [
                        "two mobile phones and a large amount of cash",
                        "wraps of suspected crack cocaine",
                        "a knife",
                        "nothing found",
                        "snap bags and scales",
                    ],
                    [30, 55, 70, 90, 100],
                ),
            )
            agency = "LEICS-POLICE"
            where = rng.choice(towns)
            if line["exporting_area"] == "Northamptonshire" or rng.random() < 0.15:
                agency, where = "NORTHANTS-POLICE", "Corby"
            self.stop_search(
                rng, p, day, "drugs", f"{'' if found == 'nothing found' else 'found '}{found}", where, agency
            )
        for _ in range(rng.randint(2, 5)):
            self.line_intel(rng, p, self.pick_day(rng, lo, hi), "child")
        prec = self.police_record(p, lo)
        if rng.random() < 0.7:
            self.category(prec, "victim", lo)
        if rng.random() < 0.35:
            day = self.pick_day(rng, lo, hi)
            self.emit(
                self.police_record(p, day),
                "police_incident",
                day,
                self.minute(rng, "police"),
                "Child recorded as victim: assault linked to a drug debt",
                {"incident_type": "assault", "role": "victim"},
            )
            self.category(prec, "victim", day)
        # school
        school = p.recs.get(p.school) if p.school else None
        if school is not None:
            for _ in range(rng.randint(1, 4)):
                day = self.pick_day(rng, lo, hi, "term")
                if day is not None:
                    self.suspension(
                        rng,
                        school,
                        day,
                        rng.choice(
                            (
                                "drug and alcohol related",
                                "persistent disruptive behaviour",
                                "use or threat of use of an offensive weapon or prohibited item",
                                "verbal abuse or threatening behaviour against an adult",
                            )
                        ),
                    )
            if rng.random() < 0.35:
                day = self.pick_day(rng, lo + (hi - lo) // 2, hi, "term")
                if day is not None:
                    self.exclusion(
                        rng,
                        school,
                        day,
                        rng.choice(
                            (
                                "drug and alcohol related",
                                "use or threat of use of an offensive weapon or prohibited item",
                                "persistent disruptive behaviour",
                            )
                        ),
                    )
            for _ in range(_poisson(rng, 30 * (hi - lo + 1) / 365.25)):
                day = self.pick_day(rng, lo, hi, "term")
                if day is not None:
                    self.emit(
                        school,
                        "school_attendance_concern",
                        day,
                        self.minute(rng, "school"),
                        "Attendance concern: unexplained absence (first-day call)",
                        {
                            "attendance_pct": round(rng.uniform(35, 70), 1),
                            "concern": "unexplained absence (first-day call)",
                            "action": rng.choice(
                                (
                                    "first-day call to parent",
                                    "home visit",
                                    "referral to the local authority attendance service",
                                )
                            ),
                        },
                    )
        # health
        if rng.random() < 0.55:
            for _ in range(rng.randint(1, 2)):
                day = self.pick_day(rng, lo, hi)
                self.ae(
                    rng,
                    p,
                    day,
                    _pick(
                        rng,
                        (
                            [
                                "stab wound",
                                "hand injury",
                                "facial injury after an assault",
                                "laceration to the leg",
                                "overdose",
                            ],
                            [25, 50, 75, 90, 100],
                        ),
                    ),
                )
        # social care
        day = self.pick_day(rng, lo, min(hi, lo + 90), "weekday") or max(lo, 0)
        rec = self.csc_contact(rng, p, day, "police", "concern the child is being criminally exploited")
        rday = min(self.n_days - 1, day + rng.randint(0, 3))
        self.emit(
            rec,
            "csc_referral",
            rday,
            self.minute(rng, "office"),
            "Referral accepted (police): risk of child criminal exploitation",
            {"referral_source": "6", "primary_need": "N1", "concern": "child criminal exploitation"},
        )
        self.category(rec, "child_at_risk", rday)
        aday = min(self.n_days - 1, rday + rng.randint(10, 40))
        extra = [f for f in ("13A", "2A", "12A", "14A") if rng.random() < 0.35]
        self.assessment(rng, rec, aday, sorted([*(["24A"] if csc_identifies else []), "10A", *extra]))
        for _ in range(rng.randint(1, 4)):
            cday = self.pick_day(rng, lo, hi, "weekday")
            if cday is not None:
                self.csc_contact(
                    rng,
                    p,
                    cday,
                    rng.choice(("school", "police", "health", "family member")),
                    rng.choice(
                        (
                            "risk outside the home",
                            "going missing",
                            "unexplained money and phones",
                            "concern about relationships with older people",
                        )
                    ),
                )

    def exported_child_events(self, rng: random.Random, p: _Person, adults: dict[str, _Person]) -> None:
        line = p.line
        assert line is not None
        lo, hi = p.exp_lo, p.exp_hi
        towns = line["importing_towns"]
        home = geo.OUT_OF_COUNTY_BY_TOWN[line["_ocg"]["home_town"]]
        day = self.pick_day(rng, lo, hi)
        town = rng.choice(towns)
        rec = self.police_record(p, day)
        self.emit(
            rec,
            "police_incident",
            day,
            self.minute(rng, "night"),
            f"Child reported missing to {home.area} police found in {town}; home authority informed",
            {"incident_type": "missing from another force area", "role": "victim", "location": town},
        )
        self.category(rec, "victim", day)
        for _ in range(rng.randint(1, 2)):
            d = self.pick_day(rng, lo, hi)
            self.arrest(
                rng, p, d, "possession with intent to supply Class A drugs", location=rng.choice(towns)
            )
        for _ in range(rng.randint(1, 3)):
            self.line_intel(rng, p, self.pick_day(rng, lo, hi), "child")
        if rng.random() < 0.4:
            self.ae(rng, p, self.pick_day(rng, lo, hi), rng.choice(("stab wound", "hand injury")))

    def adult_posing_risk_events(self, rng: random.Random, p: _Person) -> None:
        line = p.line
        assert line is not None
        lo, hi = line["_first"], line["_last"]
        rec = self.police_record(p, lo)
        self.category(rec, "adult_posing_risk", lo)
        for _ in range(rng.randint(2, 6)):
            self.line_intel(rng, p, self.pick_day(rng, lo, hi), "adult")
        for _ in range(rng.randint(0, 2)):
            self.arrest(
                rng,
                p,
                self.pick_day(rng, lo, hi),
                rng.choice(
                    (
                        "being concerned in the supply of Class A drugs",
                        "possession of an offensive weapon",
                        "money laundering",
                    )
                ),
                location=rng.choice(line["importing_towns"]),
            )
        for _ in range(rng.randint(0, 3)):
            self.stop_search(
                rng,
                p,
                self.pick_day(rng, lo, hi),
                "drugs",
                rng.choice(("found cash and several phones", "nothing found")),
                rng.choice(line["importing_towns"]),
            )
        if line["exporting_area"] == "Northamptonshire" or rng.random() < 0.3:
            day = self.pick_day(rng, lo, hi)
            nrec = self.police_record(p, day, "NORTHANTS-POLICE")
            self.emit(
                nrec,
                "intelligence",
                day,
                self.minute(rng, "any"),
                f"Intelligence indicates the subject travels between Corby and {line['importing_towns'][0]} "
                "supplying Class A drugs",
                {
                    "grading": _grading(rng),
                    "subject_role": "adult posing risk",
                    "line_name": line["brand"],
                    "deal_line_number": self.deal_number(line, day),
                    "ocg_key": line["ocg_key"],
                    "location": "Corby",
                },
                handling_code=rng.choice((1, 2, 4)),
            )
            self.category(nrec, "adult_posing_risk", day)

    def cuckooed_events(self, rng: random.Random, p: _Person) -> None:
        line = p.line
        assert line is not None
        lo, hi = p.exp_lo, p.exp_hi
        addr = self.addr_by_key[p.home]
        rec = self.police_record(p, lo)
        self.category(rec, "vulnerable_adult", lo)
        for _ in range(rng.randint(2, 5)):
            day = self.pick_day(rng, lo, hi)
            self.emit(
                rec,
                "police_incident",
                day,
                self.minute(rng, "night"),
                "Person recorded as victim: neighbours report frequent visitors and suspected drug supply at the "
                "home of a vulnerable adult",
                {"incident_type": "anti-social behaviour", "role": "victim", "location": addr.line1},
            )
        self.category(rec, "victim", lo)
        for _ in range(rng.randint(1, 3)):
            day = self.pick_day(rng, lo, hi)
            self.emit(
                rec,
                "intelligence",
                day,
                self.minute(rng, "any"),
                f"Intelligence indicates the occupant's home in {addr.town} is being taken over for drug supply "
                "(suspected cuckooing)",
                {
                    "grading": _grading(rng),
                    "subject_role": "vulnerable adult",
                    "line_name": line["brand"],
                    "deal_line_number": self.deal_number(line, day),
                    "ocg_key": line["ocg_key"],
                    "location": f"{addr.line1}, {addr.town}",
                },
                handling_code=rng.choice((2, 2, 4)),
            )
        if p.district == "NW_LEICS":
            hrec = self.new_record(p, "NWL-HOUSING", lo - rng.randint(100, 2000))
            for _ in range(rng.randint(2, 4)):
                day = self.pick_day(rng, lo, hi, "weekday")
                if day is not None:
                    self.emit(
                        hrec,
                        "housing_concern",
                        day,
                        self.minute(rng, "office"),
                        "Housing concern: unauthorised occupants and visitors at a vulnerable tenant's home",
                        {"concern_type": "unauthorised occupants"},
                    )
            self.category(hrec, "vulnerable_adult", lo)
        for _ in range(rng.randint(2, 8)):
            day = self.pick_day(rng, lo, hi, "weekday")
            if day is not None:
                service = "adult mental health" if p.flag != "drug dependency" else "substance misuse"
                self.emit(
                    self.new_record(p, "LPT-NHS", day),
                    "health_contact",
                    day,
                    self.minute(rng, "office"),
                    f"{service[0].upper()}{service[1:]} contact (home visit)",
                    {"service": service, "contact_type": "home visit"},
                )

    def address_visits(self, p: _Person) -> None:
        """Police visits to a cuckooed address in the last six weeks of its takeover, finding the
        line's children and adults posing risk there (stop and search records at the address): the
        evidence a cuckooing signal looks for. A random stream of its own, so adding these visits
        changes nothing else in the county."""
        line = p.line
        assert line is not None
        rng = random.Random(f"{self.seed}:visits:{p.key}")
        addr = self.addr_by_key[p.home]
        hi = min(p.exp_hi, self.n_days - 1)
        lo = max(p.exp_lo, hi - 42)
        wanted = set(line["exploited_child_keys"]) | set(line["adult_keys"])
        people = {q.key: q for q in self.people if q.key in wanted and "LEICS-POLICE" in q.recs}
        children = [
            q
            for k in line["exploited_child_keys"]
            if (q := people.get(k)) is not None and q.exp_lo <= hi and q.exp_hi >= lo
        ]
        adults = [q for k in line["adult_keys"] if (q := people.get(k)) is not None]
        visitors = rng.sample(children, min(len(children), rng.randint(3, 5)))
        visitors += rng.sample(adults, min(len(adults), rng.randint(1, 2)))
        place = f"{addr.line1}, {addr.town}"
        for q in visitors:
            self.emit(
                q.recs["LEICS-POLICE"],
                "stop_search",
                rng.randint(lo, hi),
                self.minute(rng, "night"),
                f"Stop and search at {place} (drugs) during a visit to the address: nothing found",
                {"grounds": "drugs", "outcome": "nothing found", "location": place},
            )

    # ---------------------------------------------------------------- finishing
    def ensure_records(self) -> None:
        for p in self.people:
            if p.n_recs == 0:
                self.new_record(p, "UHL-NHS", max(p.dob_idx, -self.r_rec.randint(0, 3000)))

    def police_child_categories(self) -> None:
        counts: dict[str, int] = {}
        first: dict[str, int] = {}
        for e, key in zip(self.events, self.ev_sort, strict=True):
            if e.item_type == "missing_report":
                counts[e.record_key] = counts.get(e.record_key, 0) + 1
                first[e.record_key] = min(first.get(e.record_key, key), key)
        by_key = {r.key: r for r in self.recs}
        for rkey, c in counts.items():
            rec = by_key[rkey]
            if c >= 3 and self.days[first[rkey] // 1440] < _add_years(rec.person.dob, 18):
                self.category(rec, "child_at_risk", first[rkey] // 1440)

    def finish(self) -> County:
        self.tick("finishing", 0, 3)
        rng = self.r_rec
        records: list[GenRecord] = []
        truth: dict[str, str] = {}
        noise: dict[str, tuple[str, ...]] = {}
        for r in sorted(self.recs, key=lambda x: x.key):
            valid_from = min(
                r.valid_from,
                self.days[min(r.first_day, self.n_days - 1)] if r.first_day >= 0 else r.valid_from,
            )
            if r.person.dob and valid_from < r.person.dob:
                valid_from = r.person.dob
            back = rng.randint(0, 6)
            rday = self.n_days - 1 - back
            received = self.when(rday, rng.randint(60, 300))
            if received.date() < valid_from:
                received = self.when(self.idx(valid_from), 23 * 60)
            records.append(
                GenRecord(
                    key=r.key,
                    agency_code=r.agency,
                    source_system=r.system,
                    source_key=r.source_key,
                    given_name=r.given,
                    family_name=r.family,
                    dob=r.dob,
                    sex=r.sex,
                    gender=r.gender,
                    ethnicity=r.eth,
                    address_key=r.addr,
                    postcode=r.postcode,
                    upn=r.upn,
                    nhs_number=r.nhs,
                    la_child_id=r.la,
                    police_id=r.pol,
                    received_at=received,
                    valid_from=valid_from,
                )
            )
            truth[r.key] = r.person.key
            noise[r.key] = r.noise
        self.tick("finishing", 1, 3)
        order = sorted(range(len(self.events)), key=self.ev_sort.__getitem__)
        events = [self.events[i] for i in order]
        self.events = []
        self.tick("finishing", 2, 3)
        categories = [
            GenCategory(record_key=k[0], category=k[1], controller_agency_code=v[2], start=v[0], end=v[1])
            for k, v in sorted(self.cats.items())
        ]
        people = [
            TruePerson(
                person_key=p.key,
                given_name=p.given,
                family_name=p.family,
                dob=p.dob,
                sex=p.sex,
                ethnicity=p.eth,
                is_child=age_on(p.dob, self.as_of) < 18,
                looked_after=p.lac,
                exploited=p.exploited,
                role_in_network=p.role,
            )
            for p in self.people
        ]
        lines = []
        for line in self.lines:
            lines.append({k: v for k, v in line.items() if not k.startswith("_")})
        ocgs = [dict(o) for o in self.ocgs]
        self.tick("finishing", 3, 3)
        return County(
            size=self.size,
            seed=self.seed,
            as_of=self.as_of,
            agencies=list(self.agencies),
            addresses=list(self.addresses),
            people=people,
            records=records,
            events=events,
            categories=categories,
            truth=truth,
            ocgs=ocgs,
            lines=lines,
            cuckooed_address_keys=list(self.cuckooed),
            person_home={p.key: p.home for p in self.people},
            record_noise=noise,
            looked_after_periods={
                p.key: (
                    self.start + dt.timedelta(days=p.lac_lo),
                    self.days[p.lac_hi] if p.lac_hi < self.n_days else None,
                )
                for p in self.people
                if p.lac
            },
        )

    def run(self) -> County:
        self.make_agencies()
        self.make_population()
        self.assign_lac()
        self.plant_network()
        self.base_records()
        self.education_events()
        self.health_events()
        self.police_general()
        self.csc_general()
        self.lac_events()
        self.housing_events()
        self.missing()
        self.network_events()
        self.ensure_records()
        self.police_child_categories()
        return self.finish()


CIN_FACTOR_LABELS = {
    "1B": "parental alcohol misuse",
    "2A": "drug misuse by the child",
    "2B": "parental drug misuse",
    "3A": "domestic abuse (child subject)",
    "3B": "domestic abuse (parent subject)",
    "4A": "mental health of the child",
    "4B": "parental mental health",
    "5A": "learning disability (child)",
    "10A": "going missing",
    "12A": "trafficking",
    "13A": "risk from gangs",
    "14A": "socially unacceptable behaviour",
    "15A": "self-harm",
    "16A": "neglect",
    "17A": "emotional abuse",
    "18C": "physical abuse (adult on child)",
    "21": "no factors identified",
    "24A": "child criminal exploitation",
}
PLACEMENT_LABELS = {
    "U1": "foster care (relative or friend)",
    "U3": "foster care (relative or friend)",
    "U4": "foster care",
    "U5": "foster care",
    "U6": "foster care",
    "K2": "children's home",
    "H5": "semi-independent living",
    "P1": "placed with parents",
}


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 3:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 1)
    kind = rng.random()
    if kind < 0.3:  # transposition
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind < 0.55:  # deletion
        return name[:i] + name[i + 1 :]
    if kind < 0.75:  # doubling
        return name[:i] + name[i] + name[i:]
    vowels = "aeiou"
    ch = name[i]
    sub = (
        rng.choice(vowels.replace(ch, ""))
        if ch in vowels
        else rng.choice("bcdfghklmnprstvwy".replace(ch, ""))
    )
    return name[:i] + sub + name[i + 1 :]


_ASCII = str.maketrans(
    {
        "ó": "o",
        "ą": "a",
        "ę": "e",
        "ś": "s",
        "ł": "l",
        "ż": "z",
        "ź": "z",
        "ć": "c",
        "ń": "n",
        "é": "e",
        "ü": "u",
        "ö": "o",
        "ä": "a",
        "Ó": "O",
        "Ś": "S",
        "Ł": "L",
        "Ż": "Z",
    }
)


def _ascii(name: str) -> str:
    return name.translate(_ASCII)


def _dob_error(rng: random.Random, dob: dt.date, latest: dt.date) -> dt.date:
    wrong = _dob_slip(rng, dob)
    return wrong if wrong <= latest else dob - dt.timedelta(days=1)


def _dob_slip(rng: random.Random, dob: dt.date) -> dt.date:
    if dob.day <= 12 and dob.day != dob.month:  # day and month transposed
        return dob.replace(month=dob.day, day=dob.month)
    if rng.random() < 0.5:  # a one-digit slip in the day
        shifted = dob + dt.timedelta(days=rng.choice((-1, 1)))
        if shifted.month == dob.month:
            return shifted
        return dob + dt.timedelta(days=-1 if shifted > dob else 1)
    return _add_years(dob, rng.choice((-1, 1)))  # ... or in the year


def _grading(rng: random.Random) -> str:
    """3x5x2 source evaluation (1-3) and intelligence assessment (A-E) as one string, e.g. '2B'."""
    return rng.choice("1122223") + rng.choice("ABBBCCD")


def _missing_counts(rng: random.Random, total: int, n: int) -> list[int]:
    """Incident counts per missing child: top 6% hold ~33% of incidents, the rest ~1-3 each."""
    top_share_people, top_share_inc = MISSING_TOP_SHARE
    n_top = max(3, round(top_share_people * n))
    t_top = max(n_top * 3, round(top_share_inc * total))
    weights = [1 / (i + 1) ** 0.6 for i in range(n_top)]
    s = sum(weights)
    top = [max(3, int(t_top * w / s)) for w in weights]
    for i in range(max(0, t_top - sum(top))):
        top[i % n_top] += 1
    rest_n = max(0, n - n_top)
    rest = [1] * rest_n
    extras = max(0, total - sum(top) - rest_n)
    if rest_n:
        w = [rng.gammavariate(0.5, 2.0) for _ in range(rest_n)]
        cw = []
        acc = 0.0
        for x in w:
            acc += x
            cw.append(acc)
        for _ in range(extras):
            rest[bisect.bisect_right(cw, rng.random() * acc)] += 1
    counts = sorted(top + rest, reverse=True)
    # the three most frequent must be strictly ahead of the fourth
    while len(counts) > 3 and counts[2] <= counts[3]:
        counts[2] += 1
        counts[1] = max(counts[1], counts[2] + 1) if counts[1] <= counts[2] else counts[1]
        counts[0] = max(counts[0], counts[1] + 1) if counts[0] <= counts[1] else counts[0]
    if counts[1] <= counts[2]:
        counts[1] = counts[2] + 1
    if counts[0] <= counts[1]:
        counts[0] = counts[1] + 1
    return counts


# --------------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------------


def generate(
    size: str = "demo",
    *,
    seed: int = 2019,
    as_of: dt.date,
    progress: Progress | None = None,
) -> County:
    """Generate the synthetic county.  Same (size, seed, as_of) -> identical output."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose from {sorted(SIZES)}")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    return _Builder(size, SIZES[size], seed, as_of, progress).run()


def _band(age: int, bands: tuple[tuple[int, int, str], ...]) -> str:
    for lo, hi, label in bands:
        if lo <= age <= hi:
            return label
    return bands[-1][2]


PEOPLE_BANDS = (
    (0, 4, "0-4"),
    (5, 9, "5-9"),
    (10, 11, "10-11"),
    (12, 15, "12-15"),
    (16, 17, "16-17"),
    (18, 24, "18-24"),
    (25, 44, "25-44"),
    (45, 64, "45-64"),
    (65, 74, "65-74"),
    (75, 200, "75+"),
)
MISSING_BANDS = ((0, 9, "under 10"), (10, 11, "10-11"), (12, 15, "12-15"), (16, 17, "16-17"))


def _summarise(county: County) -> dict:
    people = {p.person_key: p for p in county.people}
    as_of = county.as_of
    out: dict[str, Any] = {"size": county.size, "seed": county.seed, "as_of": as_of.isoformat()}
    out["people"] = len(county.people)
    by_band: dict[str, dict[str, int]] = {label: {"M": 0, "F": 0} for _lo, _hi, label in PEOPLE_BANDS}
    for p in county.people:
        by_band[_band(age_on(p.dob, as_of), PEOPLE_BANDS)][p.sex] += 1
    out["people_by_age_band_and_sex"] = by_band
    out["male_share"] = round(sum(1 for p in county.people if p.sex == "M") / max(1, len(county.people)), 4)
    children = [p for p in county.people if p.is_child]
    out["children_0_17"] = len(children)
    out["children_share"] = round(len(children) / max(1, len(county.people)), 4)
    eth: dict[str, int] = {}
    for p in county.people:
        eth[p.ethnicity] = eth.get(p.ethnicity, 0) + 1
    out["ethnicity_share"] = {
        k: round(v / len(county.people), 4) for k, v in sorted(eth.items(), key=lambda kv: -kv[1])
    }
    lac = [p for p in county.people if p.looked_after]
    out["looked_after_in_window"] = len(lac)
    out["looked_after_per_10k_children"] = round(10_000 * len(lac) / max(1, len(children)), 1)
    march = dt.date(as_of.year if (as_of.month, as_of.day) >= (3, 31) else as_of.year - 1, 3, 31)
    on_march = [
        k
        for k, (lo, hi) in county.looked_after_periods.items()
        if lo <= march and (hi is None or hi >= march) and age_on(people[k].dob, march) < 18
    ]
    children_march = sum(1 for p in county.people if p.dob <= march and age_on(p.dob, march) < 18)
    out["looked_after_on_31_march"] = {
        "date": march.isoformat(),
        "count": len(on_march),
        "per_10k_children": round(10_000 * len(on_march) / max(1, children_march), 1),
    }
    out["looked_after_male_share"] = round(sum(1 for p in lac if p.sex == "M") / max(1, len(lac)), 3)
    # missing
    rec_person = county.truth
    missing_by_person: dict[str, list[GenEvent]] = {}
    adult_incidents = 0
    for e in county.events:
        if e.item_type == "missing_report":
            p = people[rec_person[e.record_key]]
            if age_on(p.dob, e.occurred_at.date()) < 18:
                missing_by_person.setdefault(p.person_key, []).append(e)
            else:
                adult_incidents += 1
    incidents = sum(len(v) for v in missing_by_person.values())
    counts = sorted(((len(v), k) for k, v in missing_by_person.items()), key=lambda ck: (-ck[0], ck[1]))
    n_children = len(counts)
    out["missing_child_incidents"] = incidents
    out["missing_adult_incidents"] = adult_incidents
    out["missing_children"] = n_children
    out["missing_repeat_share"] = round(1 - n_children / max(1, incidents), 3)
    n_top = max(1, round(0.06 * n_children))
    out["missing_top6pct_share_of_incidents"] = round(
        sum(c for c, _k in counts[:n_top]) / max(1, incidents), 3
    )
    by_sex = {"M": 0, "F": 0}
    inc_by_sex = {"M": 0, "F": 0}
    by_age: dict[str, int] = {label: 0 for _lo, _hi, label in MISSING_BANDS}
    inc_by_age: dict[str, int] = {label: 0 for _lo, _hi, label in MISSING_BANDS}
    from_care = 0
    grades: dict[str, int] = {}
    out_of_area = 0
    for key, evs in missing_by_person.items():
        p = people[key]
        by_sex[p.sex] = by_sex.get(p.sex, 0) + 1
        inc_by_sex[p.sex] = inc_by_sex.get(p.sex, 0) + len(evs)
        first = min(e.occurred_at for e in evs)
        by_age[_band(age_on(p.dob, first.date()), MISSING_BANDS)] += 1
        for e in evs:
            inc_by_age[_band(age_on(p.dob, e.occurred_at.date()), MISSING_BANDS)] += 1
            if e.details.get("missing_from") == "placement":
                from_care += 1
            grades[e.details["risk_grade"]] = grades.get(e.details["risk_grade"], 0) + 1
            out_of_area += bool(e.details.get("found_out_of_area"))
    out["missing_children_by_sex"] = by_sex
    out["missing_incidents_by_sex"] = inc_by_sex
    out["missing_children_by_age_band_at_first_incident"] = by_age
    out["missing_incidents_by_age_band"] = inc_by_age
    out["missing_from_care_share"] = round(from_care / max(1, incidents), 3)
    out["missing_risk_grade_share"] = {k: round(v / max(1, incidents), 3) for k, v in sorted(grades.items())}
    out["missing_found_out_of_area_share"] = round(out_of_area / max(1, incidents), 3)
    out["top5_missing_children"] = [
        {
            "person_key": k,
            "incidents": c,
            "sex": people[k].sex,
            "exploited": people[k].exploited,
            "looked_after": people[k].looked_after,
        }
        for c, k in counts[:5]
    ]
    rhi = [e for e in county.events if e.item_type == "return_home_interview"]
    held = [e for e in rhi if e.details["accepted"]]
    out["rhi_offered_per_child_incident"] = round(len(rhi) / max(1, incidents), 3)
    out["rhi_held_per_child_incident"] = round(len(held) / max(1, incidents), 3)
    out["rhi_held_within_72h_share"] = round(
        sum(1 for e in held if e.details["within_72h"]) / max(1, len(held)), 3
    )
    m903 = [e for e in county.events if e.item_type == "missing_episode_903"]
    out["missing_episodes_903"] = {
        "M": sum(1 for e in m903 if e.details["missing_type"] == "M"),
        "A": sum(1 for e in m903 if e.details["missing_type"] == "A"),
    }
    exploited = [p for p in county.people if p.exploited]
    out["exploited_children"] = len(exploited)
    out["exploited_male_share"] = round(sum(1 for p in exploited if p.sex == "M") / max(1, len(exploited)), 3)
    out["exploited_age_at_as_of"] = sorted(age_on(p.dob, as_of) for p in exploited)
    out["adults_posing_risk"] = sum(1 for p in county.people if p.role_in_network == "adult_posing_risk")
    out["cuckooed_addresses"] = len(county.cuckooed_address_keys)
    out["lines"] = [
        {
            "brand": ln["brand"],
            "ocg": ln["ocg_key"],
            "active": ln["active"],
            "towns": ln["importing_towns"],
            "deal_numbers": len(ln["deal_numbers"]),
            "exploited_children": len(ln["exploited_child_keys"]),
        }
        for ln in county.lines
    ]
    # records
    per_person: dict[str, int] = {}
    for pk in county.truth.values():
        per_person[pk] = per_person.get(pk, 0) + 1
    hist = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6+": 0}
    hist_child = dict(hist)
    hist_adult = dict(hist)
    for pk, c in per_person.items():
        label = str(c) if c <= 5 else "6+"
        hist[label] += 1
        (hist_child if people[pk].is_child else hist_adult)[label] += 1
    out["records"] = len(county.records)
    out["records_per_person"] = hist
    out["records_per_person_children"] = hist_child
    out["records_per_person_adults"] = hist_adult
    kinds: dict[str, int] = {}
    for kinds_of in county.record_noise.values():
        for k in kinds_of:
            kinds[k] = kinds.get(k, 0) + 1
    extra = sum(c - 1 for c in per_person.values())
    out["extra_records"] = extra
    out["identity_noise_share_of_extra_records"] = {
        k: round(v / max(1, extra), 4) for k, v in sorted(kinds.items())
    }
    by_agency: dict[str, int] = {}
    agency_type = {a.code: a.agency_type for a in county.agencies}
    for r in county.records:
        t = agency_type[r.agency_code]
        by_agency[t] = by_agency.get(t, 0) + 1
    out["records_by_agency_type"] = by_agency
    ev: dict[str, int] = {}
    for e in county.events:
        ev[e.item_type] = ev.get(e.item_type, 0) + 1
    out["events"] = len(county.events)
    out["events_by_item_type"] = dict(sorted(ev.items(), key=lambda kv: -kv[1]))
    cats: dict[str, int] = {}
    for c in county.categories:
        cats[c.category] = cats.get(c.category, 0) + 1
    out["categories"] = dict(sorted(cats.items()))
    return out


def write_ground_truth(county: County, directory: Path) -> list[Path]:
    """Write the ground truth as CSV files (never load these into the app)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    source_of = {r.key: (r.agency_code, r.source_system, r.source_key) for r in county.records}

    path = directory / "truth_records.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        # agency_code, source_system and source_key identify the record inside Lantern.
        w.writerow(["record_key", "person_key", "agency_code", "source_system", "source_key", "noise"])
        for rkey, pkey in county.truth.items():
            w.writerow([rkey, pkey, *source_of[rkey], ";".join(county.record_noise.get(rkey, ()))])
    paths.append(path)

    path = directory / "truth_people.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "person_key",
                "given_name",
                "family_name",
                "dob",
                "sex",
                "ethnicity",
                "is_child",
                "looked_after",
                "exploited",
                "role_in_network",
                "home_address_key",
            ]
        )
        for p in county.people:
            w.writerow(
                [
                    p.person_key,
                    p.given_name,
                    p.family_name,
                    p.dob.isoformat(),
                    p.sex,
                    p.ethnicity,
                    int(p.is_child),
                    int(p.looked_after),
                    int(p.exploited),
                    p.role_in_network,
                    county.person_home.get(p.person_key, ""),
                ]
            )
    paths.append(path)

    path = directory / "truth_network.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["kind", "key", "label", "ocg_key", "line_key", "value", "from_date", "to_date", "notes"])
        for o in county.ocgs:
            w.writerow(
                [
                    "ocg",
                    o["key"],
                    o["label"],
                    o["key"],
                    "",
                    o["home_town"],
                    "",
                    "",
                    f"exporting area: {o['exporting_area']}",
                ]
            )
        for ln in county.lines:
            w.writerow(
                [
                    "line",
                    ln["key"],
                    ln["brand"],
                    ln["ocg_key"],
                    ln["key"],
                    ";".join(ln["importing_towns"]),
                    ln["first_seen"].isoformat(),
                    ln["last_active"].isoformat(),
                    "active" if ln["active"] else "inactive",
                ]
            )
            for dn in ln["deal_numbers"]:
                w.writerow(
                    [
                        "deal_number",
                        dn["number"],
                        ln["brand"],
                        ln["ocg_key"],
                        ln["key"],
                        dn["number"],
                        dn["from"].isoformat(),
                        dn["to"].isoformat() if dn["to"] else "",
                        "",
                    ]
                )
            for pk in ln["exploited_child_keys"]:
                w.writerow(["exploited_child", pk, "", ln["ocg_key"], ln["key"], "", "", "", ""])
            for pk in ln["adult_keys"]:
                w.writerow(["adult_posing_risk", pk, "", ln["ocg_key"], ln["key"], "", "", "", ""])
            for ak in ln["cuckooed_address_keys"]:
                w.writerow(["cuckooed_address", ak, "", ln["ocg_key"], ln["key"], "", "", "", ""])
        for p in county.people:
            if p.role_in_network == "cuckooed_adult":
                w.writerow(
                    [
                        "cuckooed_adult",
                        p.person_key,
                        "",
                        "",
                        "",
                        county.person_home.get(p.person_key, ""),
                        "",
                        "",
                        "",
                    ]
                )
    paths.append(path)
    return paths
