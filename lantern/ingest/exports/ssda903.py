"""SSDA903 export: one collection year's Header, Episodes and Missing CSV files, written from the
looked-after episodes and missing periods Lantern holds, in the shape the DfE's rules validator reads.

Sources (ST = shared/domain/standards.md):

* Columns and their order: ST §4.1, identical to ``column_names`` in ``lac_validator/config.py`` of
  the DfE rules validator ``csc-validator-be-903`` 0.1.17, which recognises each table by its exact set
  of column names.  Dates are ``dd/mm/yyyy`` (ST §4.1; the validator parses every date with
  ``format="%d/%m/%Y"``).
* Collection year: the year in which the collection ends; 2026 is 1 April 2025 to 31 March 2026.
  This is the validator's ``collectionYear`` (ruleset ``lac2025_26``) and the convention in
  ``formats.ssda903``.
* Header.SEX: ``1``/``2`` up to the 2023-24 return; from 2024-25 it is the "reported sex" ``M``/``F``/``U``
  (validator rule 101: ``rules/lac2022_23/rule_101.py`` accepts 1/2, ``rules/lac2024_25/rule_101.py``
  accepts M/F/U).

Lantern's own rules (not in ST or the validator):

* A value Lantern does not hold is left blank, never made up. If the DfE requires it, the validator
  reports the blank and the authority completes it in its case system. Lantern does not hold UPN
  "UN" codes (the importer drops them), MOTHER, and, for episodes from a case-system event stream,
  category of need, the reason an episode ceased, or the reason a placement changed.
* Episodes come from ``lac_episode`` timeline items, which Lantern stores in one of two shapes:
  - an imported 903 Episodes row (``formats.ssda903``) is one item per episode with every field
    (``decom``, ``dec``, ``reason_episode_ceased``, ``category_of_need`` ...). It comes with a copy
    flagged ``ceased: true`` at DEC, which is skipped.
  - a case-system event stream (the synthetic county loader) has one item per episode start
    (``reason_new_episode`` ``S`` or ``P``, ``dec`` blank) and an end-of-care item
    (``reason_new_episode`` blank, ``dec`` set).
  An open episode followed by another ends on the day the next one starts, with REC ``X1`` (the 903
  code for "episode ceases and a new one begins on the same day"). An open episode followed by an
  end of care ends on that date with REC blank (the reason is not held). Two items with the same
  DECOM (the 903 key, with CHILD) give one episode: the one with the most fields filled.
* Missing periods come from ``missing_episode_903`` items (``missing_type``, ``mis_start``,
  ``mis_end``): one per MIS_START, preferring one with an end date.
* The year's rows are chosen as by ``formats.ssda903.select_for_year``: an episode or missing period
  that overlaps the year is kept; a DEC (with its REC) or MIS_END after 31 March is blanked; Header
  holds the children with an episode in the year. Every cell is written through
  ``formats.base.neutralise_cell``, so a cell that starts with = + - @, tab or CR gets a leading
  apostrophe and no spreadsheet will execute it. No real 903 value starts with those characters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lantern.ingest.formats import ssda903

#: Tables in the order they are written and checked (Header first: the others refer to it).
TABLES = ("Header", "Episodes", "Missing")
COLUMNS = ssda903.TABLE_COLUMNS
#: First collection year whose Header.SEX is the reported sex M/F/U (validator ruleset lac2024_25).
REPORTED_SEX_FROM = 2025


@dataclass(frozen=True)
class Child:
    """One looked-after child (a Header row). ``sex`` is Lantern's code: M, F or U."""

    child: str
    sex: str = "U"
    dob: dt.date | None = None
    ethnic: str = ""
    upn: str = ""
    mother: str = ""
    mc_dob: dt.date | None = None


@dataclass(frozen=True)
class Episode:
    """One episode of care (an Episodes row), with the 903 codes as held."""

    child: str
    decom: dt.date
    rne: str = ""
    ls: str = ""
    cin: str = ""
    place: str = ""
    place_provider: str = ""
    dec: dt.date | None = None
    rec: str = ""
    reason_place_change: str = ""
    home_post: str = ""
    pl_post: str = ""
    urn: str = ""


@dataclass(frozen=True)
class MissingPeriod:
    """One missing (``M``) or away without authorisation (``A``) period (a Missing row)."""

    child: str
    missing: str
    mis_start: dt.date
    mis_end: dt.date | None = None


@dataclass(frozen=True)
class Return903:
    """The rows of one collection year's return, ready to write (dicts keyed by 903 column)."""

    collection_year: int
    header: tuple[dict[str, Any], ...]
    episodes: tuple[dict[str, Any], ...]
    missing: tuple[dict[str, Any], ...]

    @property
    def children(self) -> list[str]:
        return [row["CHILD"] for row in self.header]

    @property
    def counts(self) -> dict[str, int]:
        return {"Header": len(self.header), "Episodes": len(self.episodes), "Missing": len(self.missing)}

    def rows(self, table: str) -> tuple[dict[str, Any], ...]:
        return {"Header": self.header, "Episodes": self.episodes, "Missing": self.missing}[table]


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def sex_code(sex: str, collection_year: int) -> str:
    """Header.SEX for Lantern's M/F/U in the given return (blank where the year has no code)."""
    if collection_year >= REPORTED_SEX_FROM:
        return sex if sex in ("M", "F", "U") else ""
    return {"M": "1", "F": "2"}.get(sex, "")


def _filled(episode: Episode) -> int:
    return sum(1 for f in dataclasses.fields(episode) if getattr(episode, f.name) not in (None, ""))


def episodes_from_items(child: str, details: Iterable[Mapping[str, Any]]) -> list[Episode]:
    """The child's episodes, in DECOM order, from the ``details`` of its ``lac_episode`` items (either
    shape: see the module docstring)."""
    by_decom: dict[dt.date, Episode] = {}
    ends: list[dt.date] = []
    for d in details:
        if d.get("ceased"):
            continue
        decom, dec = _date(d.get("decom")), _date(d.get("dec"))
        if not d.get("reason_new_episode"):
            if dec is not None:
                ends.append(dec)
            continue
        if decom is None:
            continue
        episode = Episode(
            child=child,
            decom=decom,
            rne=_text(d.get("reason_new_episode")),
            ls=_text(d.get("legal_status")),
            cin=_text(d.get("category_of_need")),
            place=_text(d.get("placement")),
            place_provider=_text(d.get("placement_provider")),
            dec=dec,
            rec=_text(d.get("reason_episode_ceased")),
            reason_place_change=_text(d.get("reason_place_change")),
            home_post=_text(d.get("home_postcode")),
            pl_post=_text(d.get("placement_postcode")),
            urn=_text(d.get("urn")),
        )
        held = by_decom.get(decom)
        if held is None or _filled(episode) > _filled(held):
            by_decom[decom] = episode
    ordered = sorted(by_decom.values(), key=lambda e: e.decom)
    out: list[Episode] = []
    for n, episode in enumerate(ordered):
        if episode.dec is None:
            following = ordered[n + 1].decom if n + 1 < len(ordered) else None
            ended = [e for e in ends if e >= episode.decom and (following is None or e < following)]
            if ended:
                episode = dataclasses.replace(episode, dec=min(ended))
            elif following is not None:
                episode = dataclasses.replace(episode, dec=following, rec="X1")
        out.append(episode)
    return out


def missing_from_items(child: str, details: Iterable[Mapping[str, Any]]) -> list[MissingPeriod]:
    """The child's missing periods, in MIS_START order, from its ``missing_episode_903`` items."""
    by_start: dict[dt.date, MissingPeriod] = {}
    for d in details:
        start = _date(d.get("mis_start"))
        if start is None:
            continue
        period = MissingPeriod(child, _text(d.get("missing_type")), start, _date(d.get("mis_end")))
        held = by_start.get(start)
        if held is None or (held.mis_end is None and period.mis_end is not None):
            by_start[start] = period
    return sorted(by_start.values(), key=lambda m: m.mis_start)


def build_return(
    *,
    collection_year: int,
    children: Iterable[Child],
    episodes: Iterable[Episode],
    missing: Iterable[MissingPeriod],
) -> Return903:
    """One collection year's rows. Every episode and missing period must belong to a child given."""
    kids = {c.child: c for c in children}
    episodes, missing = list(episodes), list(missing)
    unknown = sorted({r.child for r in (*episodes, *missing) if r.child not in kids})
    if unknown:
        raise ValueError(f"episodes or missing periods of children not given: {', '.join(unknown[:5])}")
    header_rows = [
        {
            "CHILD": c.child,
            "SEX": sex_code(c.sex, collection_year),
            "DOB": c.dob,
            "ETHNIC": c.ethnic,
            "UPN": c.upn,
            "MOTHER": c.mother,
            "MC_DOB": c.mc_dob,
        }
        for c in kids.values()
    ]
    episode_rows = [
        {
            "CHILD": e.child,
            "DECOM": e.decom,
            "RNE": e.rne,
            "LS": e.ls,
            "CIN": e.cin,
            "PLACE": e.place,
            "PLACE_PROVIDER": e.place_provider,
            "DEC": e.dec,
            "REC": e.rec,
            "REASON_PLACE_CHANGE": e.reason_place_change,
            "HOME_POST": e.home_post,
            "PL_POST": e.pl_post,
            "URN": e.urn,
        }
        for e in episodes
    ]
    missing_rows = [
        {
            "CHILD": m.child,
            "DOB": kids[m.child].dob,
            "MISSING": m.missing,
            "MIS_START": m.mis_start,
            "MIS_END": m.mis_end,
        }
        for m in missing
    ]
    head, eps, mis = ssda903.select_for_year(collection_year, header_rows, episode_rows, missing_rows)
    head.sort(key=lambda r: r["CHILD"])
    eps.sort(key=lambda r: (r["CHILD"], r["DECOM"]))
    mis.sort(key=lambda r: (r["CHILD"], r["MIS_START"]))
    return Return903(collection_year, tuple(head), tuple(eps), tuple(mis))


def file_names(collection_year: int, prefix: str = "903") -> dict[str, str]:
    """``{table: file name}``, e.g. ``903_2025-26_Header.csv`` (as ``formats.ssda903.write_903``)."""
    label = ssda903.year_label(collection_year)
    return {table: f"{prefix}_{label}_{table}.csv" for table in TABLES}


def write_return(directory: Path, ret: Return903, *, prefix: str = "903") -> dict[str, Path]:
    """Write the three CSV files (UTF-8, CRLF, CSV-injection safe) into ``directory``; returns
    ``{table: path}``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for table, name in file_names(ret.collection_year, prefix).items():
        path = directory / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            ssda903.write_table(fh, table, ret.rows(table))
        paths[table] = path
    return paths
