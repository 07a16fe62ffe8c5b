"""Render a synthetic county (``generator.County``) into the files partner agencies really produce, in
every format of ``lantern.ingest.formats``, with a known fraction of realistic defects.

``write_county_files(county, directory, defect_rate=0.01, seed=2019)`` writes:

* ``ssda903/903_<yyyy-yy>_{Header,Episodes,Missing}.csv`` for every collection year (1 April - 31
  March) that overlaps the county's window: looked-after children, their episodes of care and their
  missing/away episodes (the LA's statutory return, ST §4.1);
* ``cin/cin_census.xml``: every child with a children's social care referral, with referrals and
  assessments (one cumulative file for the window, ST §4.2);
* ``schools/school_exclusions_<school>.csv``: one file per school with a suspension or exclusion
  (ST §4.3);
* ``police/<agency>_{missing_reports,arrests,stop_search,intelligence}.csv`` per police agency;
* ``health/ed_attendances.csv`` (UHL emergency department);
* ``generic/csc_contacts.csv`` and its column mapping ``csc_contacts.mapping.json`` (LA contacts);
* ``manifest.json``: ground truth for tests.  Per file: its format and table, the number of data rows,
  every injected defect (row, kind, field, expected outcome: ``reject``, ``note`` = accepted with a
  normalisation note, ``keep`` = accepted with the odd value kept as text), rows left out because the
  generator's output would break a rule on its own (``omitted``, with the reason), and each row's
  source (generator record key and event indices into ``county.events``).

Defect kinds: ``unknown_code``, ``end_before_start``, ``missing_required``, ``excel_serial`` (a date
as a spreadsheet serial number: refused), ``excel_iso`` (a date written by a spreadsheet as
``yyyy-mm-dd 00:00:00``: accepted with a note), ``uk_date_in_xml`` (refused), ``duplicate_row`` (a copy
inserted after the original: the copy is refused), ``csv_injection`` (a formula in a name or
identifier: refused) and ``csv_injection_text`` (a formula in free text: kept as text).  In a 903
return, a refused Header row makes every Episodes and Missing row of that child refused too
(``cascade``).  Each data row independently gets a defect with probability ``defect_rate``.

Files written by agencies are written raw (not CSV-injection neutralised: that is what is being
simulated); some are UTF-8 with a byte-order mark, as Excel's "CSV UTF-8" writes them.  The same
(county, seed, defect_rate) gives byte-identical files.

The generator holds a few values the files need and do not exist in it (last-seen times, stop and
search and intelligence references, assessment start dates, placement providers, reasons an episode
ceased): these are made up deterministically here.  Required 903/CIN/school census values an agency
record lacks (a DOB lost to identity noise) fall back to the true person's value, since the statutory
return would hold it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lantern.ingest.formats import ssda903
from lantern.ingest.formats.base import fmt_date, fmt_datetime
from lantern.ingest.formats.generic import ColumnMapping
from lantern.ingest.formats.health import injury_type_for
from lantern.ingest.formats.school_exclusions import REASON_BY_LABEL

from .generator import County, GenEvent, GenRecord

INJECTION = '=HYPERLINK("http://example.invalid/","Click")'
INJECTION_TEXT = "=cmd|' /C calc'!A0"


@dataclass
class Row:
    cells: dict[str, Any]
    record: str
    events: list[int]
    child: str = ""  # 903: CHILD of the row (for cascades)
    defect: dict[str, Any] | None = None
    omitted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Defect:
    kind: str
    fields: tuple[str, ...]
    apply: Callable[
        [Row, str, random.Random], str | None
    ]  # returns the expected outcome or None (not applicable)


def _serial(d: dt.date) -> str:
    return str((d - dt.date(1899, 12, 30)).days)


def _parse_uk(text: str) -> dt.date:
    day, month, year = text.split(" ")[0].split("/")
    return dt.date(int(year), int(month), int(day))


def _parse_uk_dt(text: str) -> dt.datetime:
    d = _parse_uk(text)
    hh, mm = text.split(" ")[1].split(":")
    return dt.datetime(d.year, d.month, d.day, int(hh), int(mm))


# ------------------------------------------------------------------------------------------- defects


def _set(
    value_for: Callable[[Row, str, random.Random], str | None], expect: str
) -> Callable[[Row, str, random.Random], str | None]:
    def apply(row: Row, fname: str, rng: random.Random) -> str | None:
        value = value_for(row, fname, rng)
        if value is None:
            return None
        row.cells[fname] = value
        return expect

    return apply


def unknown(value: str) -> Callable[[Row, str, random.Random], str | None]:
    return _set(lambda row, f, rng: value, "reject")


def blank() -> Callable[[Row, str, random.Random], str | None]:
    return _set(lambda row, f, rng: "" if row.cells.get(f) else None, "reject")


def excel_serial(kind: str = "date") -> Callable[[Row, str, random.Random], str | None]:
    def value(row: Row, f: str, rng: random.Random) -> str | None:
        text = row.cells.get(f) or ""
        if not text:
            return None
        if kind == "date":
            return _serial(_parse_uk(text))
        t = _parse_uk_dt(text)
        return f"{int(_serial(t.date())) + (t.hour * 60 + t.minute) / 1440:.5f}"

    return _set(value, "reject")


def excel_iso(kind: str = "date") -> Callable[[Row, str, random.Random], str | None]:
    def value(row: Row, f: str, rng: random.Random) -> str | None:
        text = row.cells.get(f) or ""
        if not text:
            return None
        if kind == "date":
            return _parse_uk(text).isoformat() + " 00:00:00"
        t = _parse_uk_dt(text)
        return f"{t.date().isoformat()} {t.hour:02d}:{t.minute:02d}:00"

    return _set(value, "note")


def injection() -> Callable[[Row, str, random.Random], str | None]:
    return _set(lambda row, f, rng: INJECTION, "reject")


def injection_text() -> Callable[[Row, str, random.Random], str | None]:
    return _set(lambda row, f, rng: INJECTION_TEXT, "keep")


def before(
    start_field: str, days: int = 0, minutes: int = 0, also: dict[str, str] | None = None, kind: str = "date"
):
    def value(row: Row, f: str, rng: random.Random) -> str | None:
        start = row.cells.get(start_field) or ""
        if not start:
            return None
        for k, v in (also or {}).items():
            if not row.cells.get(k):
                row.cells[k] = v
        if kind == "date":
            return fmt_date(_parse_uk(start) - dt.timedelta(days=days))
        return fmt_datetime(_parse_uk_dt(start) - dt.timedelta(days=days, minutes=minutes))

    return _set(value, "reject")


DUPLICATE = Defect("duplicate_row", (), lambda row, f, rng: "reject")


def _inject(rows: list[Row], defects: list[Defect], rate: float, rng: random.Random) -> list[Row]:
    """Apply at most one defect per row with probability ``rate``; duplicate copies are inserted after
    their original.  Returns the final row list."""
    out: list[Row] = []
    for row in rows:
        if row.omitted:
            continue
        out.append(row)
        if rate <= 0 or rng.random() >= rate:
            continue
        order = list(defects)
        rng.shuffle(order)
        for d in order:
            if d.kind == "duplicate_row":
                copy = Row(
                    dict(row.cells), row.record, list(row.events), row.child, None, False, dict(row.extra)
                )
                copy.defect = {"kind": "duplicate_row", "field": "", "expect": "reject", "copy_of": True}
                out.append(copy)
                break
            fname = rng.choice(d.fields)
            expect = d.apply(row, fname, rng)
            if expect is not None:
                row.defect = {"kind": d.kind, "field": fname, "expect": expect}
                break
    return out


# ------------------------------------------------------------------------------------------- writing


def _write_csv(path: Path, columns: Iterable[str], rows: list[Row], *, bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        cols = list(columns)
        writer.writerow(cols)
        for row in rows:
            writer.writerow(["" if row.cells.get(c) is None else str(row.cells.get(c)) for c in cols])


class _Manifest:
    def __init__(self, root: Path, seed: int, rate: float):
        self.root = root
        self.data: dict[str, Any] = {"seed": seed, "defect_rate": rate, "files": {}}

    def add(self, path: Path, fmt: str, table: str, rows: list[Row], omitted: list[dict[str, Any]]) -> None:
        defects = []
        sources = []
        for n, row in enumerate(rows, start=1):
            sources.append({"record": row.record, "events": row.events, **row.extra})
            if row.defect is not None:
                defects.append({"row": n, **row.defect})
        self.data["files"][path.relative_to(self.root).as_posix()] = {
            "format": fmt,
            "table": table,
            "rows": len(rows),
            "defects": defects,
            "omitted": omitted,
            "sources": sources,
        }

    def write(self) -> Path:
        path = self.root / "manifest.json"
        path.write_text(json.dumps(self.data, indent=1, sort_keys=True), encoding="utf-8")
        return path


class _Index:
    def __init__(self, county: County):
        self.county = county
        self.records = {r.key: r for r in county.records}
        self.addresses = {a.key: a for a in county.addresses}
        self.people = {p.person_key: p for p in county.people}
        self.agency_type = {a.code: a.agency_type for a in county.agencies}
        self.events_by_type: dict[str, list[int]] = {}
        for i, e in enumerate(county.events):
            self.events_by_type.setdefault(e.item_type, []).append(i)

    def events(self, *types: str) -> list[tuple[int, GenEvent]]:
        idx = sorted(i for t in types for i in self.events_by_type.get(t, ()))
        return [(i, self.county.events[i]) for i in idx]

    def person(self, rec: GenRecord):
        return self.people[self.county.truth[rec.key]]

    def dob(self, rec: GenRecord) -> dt.date:
        return rec.dob or self.person(rec).dob

    def address(self, rec: GenRecord) -> tuple[str, str]:
        a = self.addresses.get(rec.address_key or "")
        return (a.line1, a.town) if a else ("", "")


def _rng(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}:files:{name}")


# ------------------------------------------------------------------------------------------- 903

HEADER_DEFECTS = [
    Defect("unknown_code", ("SEX", "ETHNIC"), _set(lambda r, f, g: "3" if f == "SEX" else "WXYZ", "reject")),
    Defect("missing_required", ("DOB", "SEX", "ETHNIC"), blank()),
    Defect("excel_serial", ("DOB",), excel_serial()),
    Defect("excel_iso", ("DOB",), excel_iso()),
    Defect("csv_injection", ("CHILD",), injection()),
    DUPLICATE,
]
EPISODE_DEFECTS = [
    Defect(
        "unknown_code",
        ("LS", "PLACE", "RNE"),
        _set(lambda r, f, g: {"LS": "Z9", "PLACE": "Q9", "RNE": "X"}[f], "reject"),
    ),
    Defect("end_before_start", ("DEC",), before("DECOM", days=5, also={"REC": "E8"})),
    Defect("missing_required", ("LS", "PLACE", "CIN"), blank()),
    Defect("excel_serial", ("DECOM",), excel_serial()),
    Defect("excel_iso", ("DECOM",), excel_iso()),
    Defect("csv_injection", ("URN",), injection()),
    DUPLICATE,
]
MISSING_DEFECTS = [
    Defect("unknown_code", ("MISSING",), unknown("X")),
    Defect("end_before_start", ("MIS_END",), before("MIS_START", days=3)),
    Defect("missing_required", ("MIS_START",), blank()),
    Defect("excel_serial", ("MIS_START",), excel_serial()),
    Defect("excel_iso", ("MIS_START",), excel_iso()),
    Defect("csv_injection", ("CHILD",), injection()),
    DUPLICATE,
]


def _ceased_code(child: str) -> str:
    return random.Random(f"rec:{child}").choice(("E4A", "E4A", "E8", "E13", "E41"))


def _provider(place: str) -> str:
    return "PR1" if place.startswith("U") else "PR0" if place == "P1" else "PR4"


def _903_rows(ix: _Index) -> tuple[list[dict], list[dict], list[dict], list[dict[str, Any]]]:
    county = ix.county
    lac_events: dict[str, list[tuple[int, GenEvent]]] = {}
    for i, e in ix.events("lac_episode"):
        lac_events.setdefault(e.record_key, []).append((i, e))
    missing_events: dict[str, list[tuple[int, GenEvent]]] = {}
    for i, e in ix.events("missing_episode_903"):
        missing_events.setdefault(e.record_key, []).append((i, e))
    cfs_record: dict[str, GenRecord] = {}
    for rkey in sorted(set(lac_events) | set(missing_events)):
        cfs_record[county.truth[rkey]] = ix.records[rkey]
    header, episodes, missing, omitted = [], [], [], []
    for pkey in sorted(county.looked_after_periods):
        rec = cfs_record.get(pkey)
        if rec is None:
            continue
        person = ix.people[pkey]
        child = rec.la_child_id
        start, end = county.looked_after_periods[pkey]
        dob = ix.dob(rec)
        header.append(
            {"CHILD": child, "SEX": {"M": "1", "F": "2"}.get(rec.sex) or {"M": "1", "F": "2"}[person.sex], "DOB": dob,
             "ETHNIC": rec.ethnicity or "NOBT", "UPN": rec.upn, "MOTHER": "", "MC_DOB": None, "_src": (rec.key, [])}
        )  # fmt: skip
        evs = lac_events.get(rec.key, [])
        starts = [(i, e) for i, e in evs if e.details["reason_new_episode"] == "S"]
        changes = [(i, e) for i, e in evs if e.details["reason_new_episode"] == "P"]
        ceased = [(i, e) for i, e in evs if e.details["dec"]]
        first = starts[0][1] if starts else ceased[0][1] if ceased else changes[0][1] if changes else None
        legal = first.details["legal_status"] if first else "C2"
        place = first.details["placement"] if first else "U4"
        spans: list[list[Any]] = [[start, "S", place, [starts[0][0]] if starts else []]]
        for i, e in changes:
            day = dt.date.fromisoformat(e.details["decom"])
            if day <= spans[-1][0]:
                omitted.append(
                    {
                        "events": [i],
                        "reason": "placement change on the day of an earlier episode (duplicate DECOM)",
                    }
                )
                continue
            spans.append([day, "P", e.details["placement"], [i]])
        home = ix.addresses.get(county.person_home.get(pkey, ""))
        for n, (decom, rne, plc, src) in enumerate(spans):
            last = n == len(spans) - 1
            dec = spans[n + 1][0] if not last else end
            rec_code = ("X1" if not last else _ceased_code(child)) if dec else ""
            if last and ceased:
                src = src + [ceased[0][0]]
            episodes.append(
                {"CHILD": child, "DECOM": decom, "RNE": rne, "LS": legal, "CIN": "N1", "PLACE": plc,
                 "PLACE_PROVIDER": _provider(plc), "DEC": dec, "REC": rec_code or None, "REASON_PLACE_CHANGE": "",
                 "HOME_POST": home.postcode if home else "", "PL_POST": rec.postcode, "URN": "", "_src": (rec.key, src)}
            )  # fmt: skip
        for i, e in missing_events.get(rec.key, []):
            mis_end = e.details["mis_end"]
            missing.append(
                {"CHILD": child, "DOB": dob, "MISSING": e.details["missing_type"],
                 "MIS_START": dt.date.fromisoformat(e.details["mis_start"]),
                 "MIS_END": dt.date.fromisoformat(mis_end) if mis_end else None, "_src": (rec.key, [i])}
            )  # fmt: skip
    return header, episodes, missing, omitted


def _consistent_missing(eps: list[dict], mis: list[dict]) -> tuple[list[dict], list[dict[str, Any]]]:
    """Drop Missing rows that the generator's output makes inconsistent with the 903 rules on its own
    (overlaps, open periods after care ended ...), mirroring rules 574/575/577/578."""
    by_child: dict[str, list[tuple[dt.date, dt.date | None]]] = {}
    for e in eps:
        by_child.setdefault(e["CHILD"], []).append((e["DECOM"], e["DEC"]))
    kept: list[dict] = []
    omitted: list[dict[str, Any]] = []
    last_end: dict[str, tuple[dt.date, dt.date | None]] = {}
    for m in sorted(mis, key=lambda r: (r["CHILD"], r["MIS_START"], r["MIS_END"] or dt.date.max)):
        child, start, end = m["CHILD"], m["MIS_START"], m["MIS_END"]
        reason = ""
        if child in last_end:
            prev_start, prev = last_end[child]
            if prev is None or start < prev:
                reason = "overlaps an earlier missing period in the generator output (rule 574)"
            elif start == prev_start:
                reason = "starts on the same day as an earlier missing period (duplicate CHILD and MIS_START)"
        episodes = sorted(by_child.get(child, []))
        pocs: list[list[Any]] = []
        for decom, dec in episodes:
            if pocs and not (pocs[-1][1] is not None and decom > pocs[-1][1]):
                pocs[-1][1] = dec
            else:
                pocs.append([decom, dec])
        if (
            not reason
            and end is None
            and any(dec is not None and decom <= start <= dec for decom, dec in episodes)
        ):
            reason = "open at the end of the return after its placement ended (rule 575)"
        if not reason and pocs:
            inside = [p for p in pocs if p[0] <= start and (p[1] is None or start <= p[1])]
            if not inside:
                reason = "starts outside the episodes in this return (rule 578)"
            elif end is None and all(p[1] is not None for p in inside):
                reason = "open after the child ceased to be looked after (rule 577)"
            elif end is not None and not any(p[0] <= end and (p[1] is None or end <= p[1]) for p in pocs):
                reason = "ends after the child ceased to be looked after (rule 577)"
        if reason:
            omitted.append({"events": m["_src"][1], "reason": reason})
            continue
        kept.append(m)
        last_end[child] = (start, end)
    return kept, omitted


def _write_903(
    ix: _Index, root: Path, manifest: _Manifest, rate: float, seed: int, years: Iterable[int] | None
) -> list[Path]:
    header, episodes, missing, omitted_all = _903_rows(ix)
    county = ix.county
    if years is None:
        window_start = county.as_of.replace(year=county.as_of.year - 3) + dt.timedelta(days=1)
        years = range(ssda903.collection_year_of(window_start), ssda903.collection_year_of(county.as_of) + 1)
    paths: list[Path] = []
    for year in years:
        head, eps, mis = ssda903.select_for_year(year, header, episodes, missing)
        mis, omitted = _consistent_missing(eps, mis)
        if year == min(years):
            omitted = omitted_all + omitted
        head.sort(key=lambda r: r["CHILD"])
        eps.sort(key=lambda r: (r["CHILD"], r["DECOM"]))
        mis.sort(key=lambda r: (r["CHILD"], r["MIS_START"]))
        label = ssda903.year_label(year)
        rejected_children: set[str] = set()
        for table, rows_in, defects in (
            ("Header", head, HEADER_DEFECTS),
            ("Episodes", eps, EPISODE_DEFECTS),
            ("Missing", mis, MISSING_DEFECTS),
        ):
            rows = []
            for r in rows_in:
                cells = {
                    c: (fmt_date(r.get(c)) if isinstance(r.get(c), dt.date) else r.get(c))
                    for c in ssda903.TABLE_COLUMNS[table]
                }
                rows.append(Row(cells, r["_src"][0], list(r["_src"][1]), child=r["CHILD"]))
            name = f"903_{label}_{table}.csv"
            rows = _inject(rows, defects, rate, _rng(seed, name))
            if table == "Header":
                rejected_children = {
                    r.child
                    for r in rows
                    if r.defect and r.defect["expect"] == "reject" and r.defect["kind"] != "duplicate_row"
                }
            else:
                for r in rows:
                    if r.child in rejected_children and (r.defect is None or r.defect["expect"] != "reject"):
                        r.defect = {"kind": "cascade", "field": "CHILD", "expect": "reject", "was": r.defect}
            path = root / "ssda903" / name
            _write_csv(path, ssda903.TABLE_COLUMNS[table], rows)
            manifest.add(path, "ssda903", table, rows, omitted if table == "Missing" else [])
            paths.append(path)
    return paths


# ------------------------------------------------------------------------------------------- CIN


def _write_cin(ix: _Index, root: Path, manifest: _Manifest, rate: float, seed: int) -> list[Path]:
    by_record: dict[str, list[tuple[int, GenEvent]]] = {}
    for i, e in ix.events("csc_referral", "cin_assessment"):
        if ix.agency_type.get(e.controller_agency_code) == "childrens_social_care":
            by_record.setdefault(e.record_key, []).append((i, e))
    rng = _rng(seed, "cin_census.xml")
    rows: list[Row] = []
    omitted: list[dict[str, Any]] = []
    for rkey in sorted(by_record, key=lambda k: ix.records[k].la_child_id):
        rec = ix.records[rkey]
        refs: list[dict[str, Any]] = []
        for i, e in by_record[rkey]:
            day = e.occurred_at.date()
            if e.item_type == "csc_referral":
                refs.append({"date": day, "source": e.details["referral_source"], "need": e.details.get("primary_need") or "",
                             "assessments": [], "events": [i]})  # fmt: skip
            elif refs:
                begun = max(refs[-1]["date"], day - dt.timedelta(days=rng.randint(3, 20)))
                refs[-1]["assessments"].append(
                    {"start": begun, "auth": day, "factors": list(e.details["factors"])}
                )
                refs[-1]["events"].append(i)
            else:
                omitted.append({"events": [i], "reason": "assessment without an earlier referral"})
        if not refs:
            continue
        sex = {"M": "1", "F": "2"}.get(rec.sex, "0")
        cells = {"LAchildID": rec.la_child_id, "UPN": rec.upn, "PersonBirthDate": ix.dob(rec).isoformat(), "GenderCurrent": sex,
                 "Ethnicity": rec.ethnicity or "NOBT", "referrals": refs}  # fmt: skip
        rows.append(Row(cells, rkey, [i for r in refs for i in r["events"]]))

    def ref0(row: Row) -> dict[str, Any]:
        return row.cells["referrals"][0]

    def set_ref(key: str, value: Callable[[Row], Any]) -> Callable[[Row, str, random.Random], str | None]:
        def apply(row: Row, f: str, g: random.Random) -> str | None:
            row.cells["referrals"][0] = {**ref0(row), key: value(row)}
            return "reject"

        return apply

    def set_cell(
        value: Callable[[Row], str | None], expect: str = "reject"
    ) -> Callable[[Row, str, random.Random], str | None]:
        def apply(row: Row, f: str, g: random.Random) -> str | None:
            v = value(row)
            if v is None:
                return None
            row.cells[f] = v
            return expect

        return apply

    def bad_factor(row: Row, f: str, g: random.Random) -> str | None:
        for ref in row.cells["referrals"]:
            if ref["assessments"]:
                ref["assessments"][0] = {
                    **ref["assessments"][0],
                    "factors": [*ref["assessments"][0]["factors"], "99Z"],
                }
                return "reject"
        return None

    defects = [
        Defect("unknown_code", ("ReferralSource",), set_ref("source", lambda r: "6X")),
        Defect("unknown_code", ("AssessmentFactors",), bad_factor),
        Defect("unknown_code", ("Ethnicity",), set_cell(lambda r: "WXYZ")),
        Defect(
            "end_before_start",
            ("CINclosureDate",),
            set_ref("closure", lambda r: ref0(r)["date"] - dt.timedelta(days=10)),
        ),
        Defect("missing_required", ("GenderCurrent",), set_cell(lambda r: "")),
        Defect(
            "excel_serial",
            ("PersonBirthDate",),
            set_cell(lambda r: _serial(dt.date.fromisoformat(r.cells["PersonBirthDate"]))),
        ),
        Defect(
            "uk_date_in_xml",
            ("PersonBirthDate",),
            set_cell(lambda r: fmt_date(dt.date.fromisoformat(r.cells["PersonBirthDate"]))),
        ),
        DUPLICATE,
    ]
    rows = _inject(rows, defects, rate, rng)
    path = root / "cin" / "cin_census.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    reference = ix.county.as_of
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n<Header>\n<CollectionDetails>\n<Collection>CIN</Collection>\n'
        )
        fh.write(
            f"<Year>{ssda903.collection_year_of(reference)}</Year>\n<ReferenceDate>{reference.isoformat()}</ReferenceDate>\n"
        )
        fh.write(
            "</CollectionDetails>\n<Source>\n<SourceLevel>L</SourceLevel>\n<LEA>855</LEA>\n</Source>\n</Header>\n<Children>\n"
        )
        for row in rows:
            fh.write(_child_xml(row.cells))
        fh.write("</Children>\n</Message>\n")
    manifest.add(path, "cin_census", "Child", rows, omitted)
    return [path]


def _el(name: str, value: Any) -> str:
    return "" if value in (None, "") else f"<{name}>{escape(str(value))}</{name}>"


def _child_xml(c: dict[str, Any]) -> str:
    ids = "".join(
        (_el("LAchildID", c["LAchildID"]), _el("UPN", c["UPN"]), _el("PersonBirthDate", c["PersonBirthDate"]),
         f"<GenderCurrent>{escape(c['GenderCurrent'])}</GenderCurrent>")
    )  # fmt: skip
    parts = [
        f"<Child>\n<ChildIdentifiers>{ids}</ChildIdentifiers>\n<ChildCharacteristics>{_el('Ethnicity', c['Ethnicity'])}</ChildCharacteristics>\n"
    ]
    for ref in c["referrals"]:
        body = [
            _el("CINreferralDate", ref["date"].isoformat()),
            _el("ReferralSource", ref["source"]),
            _el("PrimaryNeedCode", ref["need"]),
        ]
        if ref.get("closure"):
            body.append(_el("CINclosureDate", ref["closure"].isoformat()))
        for a in ref["assessments"]:
            factors = "".join(_el("AssessmentFactors", f) for f in a["factors"])
            body.append(
                f"<Assessments>{_el('AssessmentActualStartDate', a['start'].isoformat())}"
                f"{_el('AssessmentAuthorisationDate', a['auth'].isoformat())}"
                f"{f'<FactorsIdentifiedAtAssessment>{factors}</FactorsIdentifiedAtAssessment>' if factors else ''}</Assessments>"
            )
        body.append("<ReferralNFA>false</ReferralNFA>")
        parts.append("<CINdetails>" + "".join(body) + "</CINdetails>\n")
    parts.append("</Child>\n")
    return "".join(parts)


# ------------------------------------------------------------------------------------------- schools

EXCLUSION_COLUMNS = (
    "laestab", "upn", "adno", "surname", "forename", "dob", "gender", "ethnicity", "postcode", "category", "reason", "startdate",
    "sessions", "reviewdate", "reviewresult", "reinstatementdate",
)  # fmt: skip
EXCLUSION_DEFECTS = [
    Defect(
        "unknown_code",
        ("reason", "category"),
        _set(lambda r, f, g: "XX" if f == "reason" else "EXPL", "reject"),
    ),
    Defect("end_before_start", ("reviewdate",), before("startdate", days=7)),
    Defect("missing_required", ("reason", "startdate", "surname"), blank()),
    Defect("excel_serial", ("startdate", "dob"), excel_serial()),
    Defect("excel_iso", ("startdate", "dob"), excel_iso()),
    Defect("csv_injection", ("forename", "surname"), injection()),
    DUPLICATE,
]


def _write_schools(ix: _Index, root: Path, manifest: _Manifest, rate: float, seed: int) -> list[Path]:
    by_school: dict[str, list[tuple[int, GenEvent]]] = {}
    for i, e in ix.events("school_suspension", "permanent_exclusion"):
        by_school.setdefault(e.controller_agency_code, []).append((i, e))
    paths = []
    for school in sorted(by_school, key=lambda c: int(c.split("-")[1])):
        rows: list[Row] = []
        omitted: list[dict[str, Any]] = []
        seen: set[tuple[str, str, dt.date]] = set()
        laestab = f"855{int(school.split('-')[1]):04d}"
        for i, e in by_school[school]:
            rec = ix.records[e.record_key]
            day = e.occurred_at.date()
            category = "SUSP" if e.item_type == "school_suspension" else "PERM"
            if not rec.upn:
                omitted.append({"events": [i], "reason": "the school's record has no UPN"})
                continue
            if (rec.upn, category, day) in seen:
                omitted.append(
                    {"events": [i], "reason": "a second exclusion of the same category on the same day"}
                )
                continue
            seen.add((rec.upn, category, day))
            cells = {
                "laestab": laestab, "upn": rec.upn, "adno": rec.source_key, "surname": rec.family_name,
                "forename": rec.given_name, "dob": fmt_date(ix.dob(rec)), "gender": rec.sex, "postcode": rec.postcode,
                "ethnicity": rec.ethnicity or "", "category": category, "reason": REASON_BY_LABEL[e.details["reason"]], "startdate": fmt_date(day),
                "sessions": str(e.details["days"] * 2) if category == "SUSP" else "",
                "reviewdate": "", "reviewresult": "", "reinstatementdate": "",
            }  # fmt: skip
            rows.append(Row(cells, rec.key, [i]))
        name = f"school_exclusions_{school}.csv"
        rows = _inject(rows, EXCLUSION_DEFECTS, rate, _rng(seed, name))
        path = root / "schools" / name
        _write_csv(path, EXCLUSION_COLUMNS, rows, bom=True)
        manifest.add(path, "school_exclusions", "Exclusions", rows, omitted)
        paths.append(path)
    return paths


# ------------------------------------------------------------------------------------------- police

NOMINAL = (
    "nominal_id",
    "pnc_id",
    "surname",
    "forename",
    "dob",
    "sex",
    "ethnicity",
    "postcode",
    "address",
    "town",
    "nhs_number",
)
POLICE_TABLES = {
    "missing_reports": ("MissingReports", NOMINAL + ("report_id", "reported_at", "last_seen_at", "found_at", "risk_grade",
                        "risk_regradings", "missing_from", "reported_by", "found_location", "found_out_of_area")),
    "arrests": ("Arrests", NOMINAL + ("occurrence_ref", "arrested_at", "offence", "drug_class", "weapon", "location", "outcome",
                "co_arrested_ids", "custody_suite", "custody_at", "hours_detained", "appropriate_adult")),
    "stop_search": ("StopSearch", NOMINAL + ("search_id", "searched_at", "grounds", "outcome", "items_found", "location")),
    "intelligence": ("Intelligence", NOMINAL + ("intel_id", "recorded_at", "grading", "handling_code", "handling_condition",
                     "subject_role", "text", "topic", "line_name", "deal_line_number", "ocg_key", "location")),
}  # fmt: skip


def _police_defects(table: str) -> list[Defect]:
    when = {
        "missing_reports": "reported_at",
        "arrests": "arrested_at",
        "stop_search": "searched_at",
        "intelligence": "recorded_at",
    }[table]
    common = [
        Defect("excel_serial", (when,), excel_serial("datetime")),
        Defect("excel_iso", (when,), excel_iso("datetime")),
        Defect("csv_injection", ("surname", "forename"), injection()),
        DUPLICATE,
    ]
    specific = {
        "missing_reports": [
            Defect("unknown_code", ("risk_grade",), unknown("SEVERE")),
            Defect("end_before_start", ("found_at",), before("reported_at", minutes=120, kind="datetime")),
            Defect("missing_required", ("risk_grade", "reported_at"), blank()),
            Defect("csv_injection_text", ("found_location",), injection_text()),
        ],
        "arrests": [
            Defect("unknown_code", ("drug_class",), unknown("D")),
            Defect("end_before_start", ("custody_at",), before("arrested_at", minutes=60, kind="datetime",
                                                            also={"custody_suite": "Euston Street"})),
            Defect("missing_required", ("offence",), blank()),
            Defect("csv_injection_text", ("location",), injection_text()),
        ],
        "stop_search": [
            Defect("unknown_code", ("grounds",), unknown("suspicious behaviour")),
            Defect("missing_required", ("outcome",), blank()),
            Defect("csv_injection_text", ("outcome",), injection_text()),
        ],
        "intelligence": [
            Defect("unknown_code", ("handling_code", "subject_role"), _set(lambda r, f, g: "7" if f == "handling_code" else "gang member", "reject")),
            Defect("missing_required", ("handling_code",), blank()),
            Defect("csv_injection_text", ("text",), injection_text()),
        ],
    }[table]  # fmt: skip
    return specific + common


def _nominal(ix: _Index, rec: GenRecord) -> dict[str, Any]:
    line1, town = ix.address(rec)
    return {
        "nominal_id": rec.source_key, "pnc_id": rec.police_id, "surname": rec.family_name, "forename": rec.given_name,
        "dob": fmt_date(rec.dob), "sex": rec.sex, "ethnicity": rec.ethnicity or "", "postcode": rec.postcode,
        "address": line1, "town": town, "nhs_number": rec.nhs_number,
    }  # fmt: skip


def _drug_class(offence: str) -> str:
    low = offence.lower()
    return "A" if "class a" in low else "B" if "cannabis" in low else ""


def _weapon(text: str) -> str:
    low = text.lower()
    return "knife" if "knife" in low else "offensive weapon" if "offensive weapon" in low else ""


def _write_police(ix: _Index, root: Path, manifest: _Manifest, rate: float, seed: int) -> list[Path]:
    agencies = sorted(code for code, t in ix.agency_type.items() if t in ("police", "regional_partner"))
    custody: dict[tuple[str, str], tuple[int, GenEvent]] = {}
    for i, e in ix.events("custody"):
        custody[(e.record_key, e.details["occurrence_ref"])] = (i, e)
    paths = []
    for agency in agencies:
        short = agency.split("-")[0][:5]
        tables: dict[str, list[Row]] = {t: [] for t in POLICE_TABLES}
        extra_rng = _rng(seed, f"{agency}:values")
        n_search = n_intel = 0
        for i, e in ix.events("missing_report", "arrest", "stop_search", "intelligence"):
            if e.controller_agency_code != agency:
                continue
            rec = ix.records[e.record_key]
            cells = _nominal(ix, rec)
            d = e.details
            if e.item_type == "missing_report":
                seen = e.occurred_at - dt.timedelta(minutes=extra_rng.randint(30, 360))
                grade = d["risk_grade"].upper()
                regrade = ""
                if extra_rng.random() < 0.15:
                    earlier = extra_rng.choice([g for g in ("LOW", "MEDIUM", "HIGH") if g != grade])
                    regrade = f"{fmt_datetime(e.occurred_at)}={earlier}"
                found = dt.datetime.fromisoformat(d["returned_at"]) if d.get("returned_at") else None
                cells.update(
                    {"report_id": d["occurrence_ref"], "reported_at": fmt_datetime(e.occurred_at), "last_seen_at": fmt_datetime(seen),
                     "found_at": fmt_datetime(found), "risk_grade": grade, "risk_regradings": regrade,
                     "missing_from": d.get("missing_from", ""), "reported_by": d.get("reported_by", ""),
                     "found_location": d.get("found_location", ""), "found_out_of_area": "Y" if d.get("found_out_of_area") else "N"}
                )  # fmt: skip
                tables["missing_reports"].append(Row(cells, rec.key, [i]))
            elif e.item_type == "arrest":
                co = [ix.records[k].source_key for k in d.get("co_arrested_record_keys", ())]
                cus = custody.get((rec.key, d["occurrence_ref"]))
                events = [i]
                cells.update(
                    {"occurrence_ref": d["occurrence_ref"], "arrested_at": fmt_datetime(e.occurred_at), "offence": d["offence"],
                     "drug_class": _drug_class(d["offence"]), "weapon": _weapon(d["offence"]), "location": d.get("location", ""),
                     "outcome": d.get("outcome", ""), "co_arrested_ids": ";".join(co), "custody_suite": "", "custody_at": "",
                     "hours_detained": "", "appropriate_adult": ""}
                )  # fmt: skip
                if cus is not None:
                    ci, ce = cus
                    events.append(ci)
                    cells.update(
                        {"custody_suite": ce.details["custody_suite"], "custody_at": fmt_datetime(ce.occurred_at),
                         "hours_detained": str(ce.details["hours_detained"]), "appropriate_adult": "Y" if ce.details["appropriate_adult"] else "N"}
                    )  # fmt: skip
                tables["arrests"].append(Row(cells, rec.key, events))
            elif e.item_type == "stop_search":
                n_search += 1
                cells.update(
                    {"search_id": f"SS-{short}-{n_search:06d}", "searched_at": fmt_datetime(e.occurred_at), "grounds": d["grounds"],
                     "outcome": d["outcome"], "items_found": "N" if d["outcome"].startswith("nothing") else "Y", "location": d.get("location", "")}
                )  # fmt: skip
                tables["stop_search"].append(Row(cells, rec.key, [i]))
            else:
                n_intel += 1
                hc = e.handling_code
                cells.update(
                    {"intel_id": f"INT-{short}-{n_intel:07d}", "recorded_at": fmt_datetime(e.occurred_at), "grading": d["grading"],
                     "handling_code": "" if hc is None else str(hc), "handling_condition": "P" if hc in (1, 2) else "C",
                     "subject_role": d.get("subject_role", "subject"), "text": e.summary, "topic": d.get("topic", ""),
                     "line_name": d.get("line_name", ""), "deal_line_number": d.get("deal_line_number", ""),
                     "ocg_key": d.get("ocg_key", ""), "location": d.get("location", "")}
                )  # fmt: skip
                tables["intelligence"].append(Row(cells, rec.key, [i]))
        for name, (table, columns) in POLICE_TABLES.items():
            rows = tables[name]
            if not rows:
                continue
            fname = f"{agency.lower()}_{name}.csv"
            rows = _inject(rows, _police_defects(name), rate, _rng(seed, fname))
            path = root / "police" / fname
            _write_csv(path, columns, rows)
            manifest.add(path, "police", table, rows, [])
            paths.append(path)
    return paths


# ------------------------------------------------------------------------------------------- health

ED_COLUMNS = (
    "attendance_id", "local_patient_id", "nhs_number", "surname", "forename", "dob", "sex", "ethnicity", "postcode", "address",
    "town", "arrival_at", "arrival_mode", "presenting_complaint", "injury_type", "outcome",
)  # fmt: skip
ED_DEFECTS = [
    Defect(
        "unknown_code",
        ("injury_type", "arrival_mode"),
        _set(lambda r, f, g: "bruise" if f == "injury_type" else "helicopter", "reject"),
    ),
    Defect("missing_required", ("presenting_complaint", "arrival_at"), blank()),
    Defect("excel_serial", ("arrival_at",), excel_serial("datetime")),
    Defect("excel_iso", ("arrival_at",), excel_iso("datetime")),
    Defect("csv_injection", ("surname", "forename"), injection()),
    Defect("csv_injection_text", ("presenting_complaint",), injection_text()),
    DUPLICATE,
]


def _write_health(ix: _Index, root: Path, manifest: _Manifest, rate: float, seed: int) -> list[Path]:
    rows = []
    for n, (i, e) in enumerate(ix.events("ae_attendance"), start=1):
        rec = ix.records[e.record_key]
        line1, town = ix.address(rec)
        d = e.details
        cells = {
            "attendance_id": f"ED{n:08d}", "local_patient_id": rec.source_key, "nhs_number": rec.nhs_number,
            "surname": rec.family_name, "forename": rec.given_name, "dob": fmt_date(rec.dob), "sex": rec.sex,
            "ethnicity": rec.ethnicity or "", "postcode": rec.postcode, "address": line1, "town": town,
            "arrival_at": fmt_datetime(e.occurred_at), "arrival_mode": d["arrival_mode"], "presenting_complaint": d["presenting_complaint"],
            "injury_type": injury_type_for(d["presenting_complaint"]), "outcome": d["outcome"],
        }  # fmt: skip
        rows.append(Row(cells, rec.key, [i]))
    name = "ed_attendances.csv"
    rows = _inject(rows, ED_DEFECTS, rate, _rng(seed, name))
    path = root / "health" / name
    _write_csv(path, ED_COLUMNS, rows, bom=True)
    manifest.add(path, "health", "Attendances", rows, [])
    return [path]


# ------------------------------------------------------------------------------------------- generic

CONTACT_MAPPING = ColumnMapping(
    name="LCC children's social care contacts",
    columns={
        "Contact ID": "event_key",
        "Person ID": "source_key",
        "LA child ID": "la_child_id",
        "First name": "given_name",
        "Last name": "family_name",
        "Date of birth": "dob",
        "Gender": "sex",
        "Postcode": "postcode",
        "Contact date": "occurred_at",
        "Contact source": "details.source",
        "Concern": "details.concern",
        "Summary": "summary",
    },
    defaults={"item_type": "csc_contact", "purpose": "safeguarding"},
)
CONTACT_COLUMNS = (*CONTACT_MAPPING.columns, "Worker team")
CONTACT_DEFECTS = [
    Defect("unknown_code", ("Gender",), unknown("Q")),
    Defect("missing_required", ("Contact date",), blank()),
    Defect("excel_serial", ("Contact date",), excel_serial("datetime")),
    Defect("excel_iso", ("Contact date",), excel_iso("datetime")),
    Defect("csv_injection", ("First name", "Last name"), injection()),
    Defect("csv_injection_text", ("Concern",), injection_text()),
    DUPLICATE,
]


def _write_generic(ix: _Index, root: Path, manifest: _Manifest, rate: float, seed: int) -> list[Path]:
    rows = []
    for n, (i, e) in enumerate(ix.events("csc_contact"), start=1):
        rec = ix.records[e.record_key]
        cells = {
            "Contact ID": f"CON-{n:07d}", "Person ID": rec.source_key, "LA child ID": rec.la_child_id, "First name": rec.given_name,
            "Last name": rec.family_name, "Date of birth": fmt_date(rec.dob), "Gender": rec.sex, "Postcode": rec.postcode,
            "Contact date": fmt_datetime(e.occurred_at), "Contact source": e.details["source"], "Concern": e.details["concern"],
            "Summary": e.summary, "Worker team": "Front door",
        }  # fmt: skip
        rows.append(Row(cells, rec.key, [i]))
    name = "csc_contacts.csv"
    rows = _inject(rows, CONTACT_DEFECTS, rate, _rng(seed, name))
    path = root / "generic" / name
    _write_csv(path, CONTACT_COLUMNS, rows)
    mapping_path = root / "generic" / "csc_contacts.mapping.json"
    mapping_path.write_text(CONTACT_MAPPING.to_json(), encoding="utf-8")
    manifest.add(path, "generic", "Generic", rows, [])
    return [path, mapping_path]


# ------------------------------------------------------------------------------------------- entry point


def write_county_files(
    county: County,
    directory: Path,
    *,
    defect_rate: float = 0.01,
    seed: int = 2019,
    collection_years: Iterable[int] | None = None,
) -> dict[str, list[Path]]:
    """Write every format's files for ``county`` under ``directory`` (see the module docstring).
    Returns {format code: [paths]} plus ``"manifest": [manifest.json]``."""
    if not 0 <= defect_rate <= 1:
        raise ValueError("defect_rate must be between 0 and 1")
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    ix = _Index(county)
    manifest = _Manifest(root, seed, defect_rate)
    years = list(collection_years) if collection_years is not None else None
    out = {
        "ssda903": _write_903(ix, root, manifest, defect_rate, seed, years),
        "cin_census": _write_cin(ix, root, manifest, defect_rate, seed),
        "school_exclusions": _write_schools(ix, root, manifest, defect_rate, seed),
        "police": _write_police(ix, root, manifest, defect_rate, seed),
        "health": _write_health(ix, root, manifest, defect_rate, seed),
        "generic": _write_generic(ix, root, manifest, defect_rate, seed),
    }
    out["manifest"] = [manifest.write()]
    return out
