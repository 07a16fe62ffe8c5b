"""The quarterly board report's figures, computed with DuckDB over the pseudonymised extract
(no Django): the picture the 2019 report gave its board, for any quarter.

`board_report(extract_dir, period)` returns plain data (JSON-serialisable dicts): a list of
sections, each with a one-paragraph summary, tables (the numbers behind every chart, downloadable
as CSV) and chart specifications. Counts below the threshold are suppressed wherever a person could
be recognised from them. A section with nothing in the period says so instead of showing zeros."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from lantern.core.codelists import codelist

from .correlation import DEFAULT_OUTCOME, correlation_study
from .disproportionality import CAVEAT as RATES_CAVEAT
from .disproportionality import reading as rates_reading
from .disproportionality import relative_rates
from .hidden_scale import IdentificationEvent, identification_lists
from .missing import AGE_BANDS, age_band
from .mse import MSEError, estimate_population
from .suppression import suppress

TABLES = (
    "persons", "events", "missing", "care_missing", "contacts", "screenings", "nrm", "categories", "lines",
    "operations",
)  # fmt: skip
MSE_QUARTERS = 12  # the hidden-scale lists cover the three years to the period's end
ACTIVE_LINE_MONTHS = 6  # a line is active with activity in the last 6 months (DESIGN §2.7)
SEX_LABELS = {"M": "Boys", "F": "Girls"}
WITHHELD = "withheld"  # a rate or ratio that would give away a withheld count
CHILD = "(age IS NULL OR age < 18)"  # missing reports about children (age when reported)
BAND_ORDER = [label for _, _, label in AGE_BANDS] + ["18 and over", "age not known"]


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def label(self) -> str:
        return f"{self.start:%B %Y} to {self.end:%B %Y} ({self.year} Q{self.quarter})"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> dt.date:
        return self.following().start - dt.timedelta(days=1)

    def following(self) -> Period:
        return Period(self.year + self.quarter // 4, self.quarter % 4 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.quarter == 1), (self.quarter - 2) % 4 + 1)

    def last(self, n: int) -> list[Period]:
        """This quarter and the n - 1 before it, oldest first."""
        out = [self]
        while len(out) < n:
            out.append(out[-1].previous())
        return out[::-1]

    @classmethod
    def parse(cls, text: str) -> Period:
        match = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*", text or "")
        if not match:
            raise ValueError(f"'{text}' is not a quarter: expected a year and quarter such as 2026Q3")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        return cls(day.year, (day.month - 1) // 3 + 1)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)


@dataclass
class Chart:
    kind: str  # bar | line | interval
    title: str
    categories: list[str] = field(default_factory=list)
    series: dict[str, list[Any]] = field(default_factory=dict)
    rows: list[Any] = field(default_factory=list)  # interval charts: [label, estimate, [lo, hi]]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Section:
    key: str
    title: str
    summary: str
    has_data: bool = True
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Pseudonyms behind a table's rows, for naming them to entitled practitioners; never shown.
    pids: list[str] = field(default_factory=list)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


class _Report:
    def __init__(self, extract_dir: Path, period: Period, threshold: int):
        self.period, self.threshold = period, threshold
        self.db = duckdb.connect()
        self.db.execute("SET enable_progress_bar = false")
        for name in TABLES:
            path = Path(extract_dir) / f"{name}.parquet"
            if not path.exists():
                raise FileNotFoundError(
                    f"The extract has no {name} table ({path.name}); build a new extract."
                )
            self.db.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path.as_posix()}')")  # noqa: S608
        self.start, self.end = period.start, period.end
        self.year_start = dt.date(self.end.year - 1, self.end.month, self.end.day) + dt.timedelta(days=1)
        # Few children are identified in one year of a county: the lists cover the twelve quarters to the end.
        self.mse_start = period.last(MSE_QUARTERS)[0].start

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        return self.db.execute(sql, list(params)).fetchall()

    def say(self, n: int) -> str:
        """A count in a sentence: small numbers are withheld in words as in tables."""
        return f"{n:,}" if n == 0 or n >= self.threshold else f"fewer than {self.threshold}"

    def count(self, value: int | None) -> int | None:
        """One published count: below the threshold (and above zero) it is withheld."""
        return suppress({"x": value}, self.threshold, total_published=False)["x"] if value else 0

    # ---------------------------------------------------------------- missing
    def missing(self) -> list[Section]:
        rows = self.rows(
            "SELECT m.pid, p.sex, m.age FROM missing m LEFT JOIN persons p USING (pid) "  # noqa: S608 (a constant)
            f"WHERE m.reported_on BETWEEN ? AND ? AND {CHILD}",
            self.start,
            self.end,
        )
        if not rows:
            return [
                Section(
                    "missing",
                    "Missing episodes",
                    "No missing episodes were reported for children in this period.",
                    False,
                )
            ]
        episodes: dict[tuple[str, str], int] = Counter()
        children: dict[tuple[str, str], set[str]] = defaultdict(set)
        per_child: Counter = Counter()
        for pid, sex, age in rows:
            cell = (SEX_LABELS.get(sex, "Sex not known"), age_band(age))
            episodes[cell] += 1
            children[cell].add(pid)
            per_child[pid] += 1
        sexes = [s for s in ("Boys", "Girls", "Sex not known") if any(c[0] == s for c in episodes)]
        bands = [b for b in BAND_ORDER if any(c[1] == b for c in episodes)]
        table_rows, ep_series, ch_series = [], {s: [] for s in sexes}, {s: [] for s in sexes}
        for band in bands:
            ep = suppress({s: episodes[(s, band)] for s in sexes}, self.threshold)
            ch = suppress({s: len(children[(s, band)]) for s in sexes}, self.threshold)
            table_rows.append([band, *[ep[s] for s in sexes], *[ch[s] for s in sexes]])
            for s in sexes:
                ep_series[s].append(ep[s])
                ch_series[s].append(ch[s])
        total_children = len(per_child)
        boys = sum(n for (s, _), n in episodes.items() if s == "Boys")
        by_band = Counter()
        for (_, band), n in episodes.items():
            by_band[band] += n
        peak = by_band.most_common(1)[0][0]
        section = Section(
            "missing",
            "Missing episodes by sex and age band",
            f"{self.say(len(rows)).capitalize()} missing episodes were reported for {self.say(total_children)} "
            "children."
            + (
                f" Boys accounted for {_pct(boys, len(rows))} of episodes; the most common age band was {peak}."
                if len(rows) >= self.threshold
                else ""
            ),
            tables=[
                Table(
                    "missing_by_sex_and_age",
                    "Missing episodes and children by sex and age band (age at the report)",
                    [
                        "Age band",
                        *[f"Episodes: {s.lower()}" for s in sexes],
                        *[f"Children: {s.lower()}" for s in sexes],
                    ],
                    table_rows,
                )
            ],
            charts=[
                Chart("bar", "Missing episodes by age band", bands, ep_series, options={"unit": "episodes"}),
                Chart(
                    "bar",
                    "Children reported missing by age band",
                    bands,
                    ch_series,
                    options={"unit": "children"},
                ),
            ],
            notes=[
                "Episodes are police missing-person reports about children (under 18 when reported) dated in "
                "the period."
            ],
        )
        return [section, self._repeat(per_child, rows), self._frequent(per_child, rows)]

    def _repeat(self, per_child: Counter, rows: list[tuple]) -> Section:
        sex = {pid: SEX_LABELS.get(s, "Sex not known") for pid, s, _ in rows}
        repeat = [pid for pid, n in per_child.items() if n >= 2]
        buckets = Counter(
            "1" if n == 1 else "2" if n == 2 else "3–4" if n <= 4 else "5 or more" for n in per_child.values()
        )
        order = ["1", "2", "3–4", "5 or more"]
        shown = suppress({b: buckets[b] for b in order}, self.threshold)
        by_sex = suppress(Counter(sex[p] for p in repeat), self.threshold) if repeat else {}
        return Section(
            "repeat_missing",
            "Children missing more than once",
            f"{self.say(len(repeat)).capitalize()} of the {self.say(len(per_child))} children reported missing "
            "were reported missing more than once in the period.",
            tables=[
                Table(
                    "episodes_per_child",
                    "Children by number of missing episodes in the period",
                    ["Episodes", "Children"],
                    [[b, shown[b]] for b in order],
                ),
                Table(
                    "repeat_by_sex",
                    "Children missing more than once, by sex",
                    ["Sex", "Children"],
                    [[s, n] for s, n in sorted(by_sex.items())],
                ),
            ],  # fmt: skip
            charts=[
                Chart(
                    "bar",
                    "Children by number of missing episodes",
                    order,
                    {"Children": [shown[b] for b in order]},
                )
            ],
        )

    def _frequent(self, per_child: Counter, rows: list[tuple]) -> Section:
        band = {pid: age_band(age) for pid, _, age in rows}
        top = sorted(per_child.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        return Section(
            "frequent_missing",
            "The most frequently missing children",
            "The three children reported missing most often in the period, shown by pseudonym; "
            "practitioners entitled to open their records see them named.",
            tables=[
                Table(
                    "most_frequent_missing",
                    "Most frequently missing children",
                    ["Child", "Episodes", "Age band"],
                    [[f"Child {chr(65 + i)}", n, band[pid]] for i, (pid, n) in enumerate(top)],
                )
            ],
            notes=["Pseudonyms are keyed hashes of this extract; they differ between extracts."],
            pids=[pid for pid, _ in top],
        )

    # ---------------------------------------------------------------- return home interviews
    def rhi(self) -> Section:
        rows = self.rows(
            "SELECT rhi_due_at IS NOT NULL, rhi_offered_at IS NOT NULL AND rhi_offered_at <= rhi_due_at, "
            "rhi_outcome FROM missing WHERE returned_on BETWEEN ? AND ?",
            self.start,
            self.end,
        )
        if not rows:
            return Section(
                "rhi",
                "Return home interviews",
                "No child returned from a missing episode in this period.",
                False,
            )
        owed = sum(1 for due, _, _ in rows if due)
        on_time = sum(1 for _, ok, _ in rows if ok)
        outcomes = Counter(outcome or "not yet recorded" for due, _, outcome in rows if due)
        labels = codelist("rhi_outcome")
        shown = suppress({labels.label(k) or k: n for k, n in outcomes.items()}, self.threshold)
        return Section(
            "rhi",
            "Return home interviews",
            f"{self.say(len(rows)).capitalize()} returns from missing episodes; an interview was owed after "
            f"{self.say(owed)}. {self.say(on_time).capitalize()} were offered within 72 hours of the return, and "
            f"{self.say(outcomes.get('completed', 0))} were completed.",
            tables=[
                Table(
                    "rhi_timeliness",
                    "Interviews offered within 72 hours",
                    ["Measure", "Returns"],
                    [
                        ["Returns in the period", len(rows)],
                        ["Interview owed", owed],
                        ["Offered within 72 hours", self.count(on_time)],
                        ["Not offered within 72 hours", self.count(owed - on_time)],
                    ],
                ),
                Table(
                    "rhi_outcomes",
                    "Interview outcomes",
                    ["Outcome", "Interviews"],
                    [[k, v] for k, v in sorted(shown.items())],
                ),
            ],  # fmt: skip
            notes=[
                "The 72 hours run from the return (statutory guidance on children who run away or go missing)."
            ],
        )

    # ---------------------------------------------------------------- referrals
    def referrals(self) -> Section:
        rows = self.rows(
            "SELECT source, district FROM contacts WHERE received_on BETWEEN $1 AND $2 UNION ALL "
            "SELECT e.source, p.district FROM events e JOIN persons p USING (pid) "
            "WHERE e.item_type = 'csc_referral' AND e.occurred_on BETWEEN $1 AND $2",
            self.start,
            self.end,
        )
        if not rows:
            return Section(
                "referrals",
                "Referrals",
                "No referrals or front-door contacts were received in this period.",
                False,
            )
        districts, sources = codelist("district"), codelist("referral_source")
        # The CIN referral source's group ("Health services: A&E" -> "Health services") is the referrer's kind.
        by_kind = Counter((sources.label(s) or s or "Not recorded").split(":")[0] for s, _ in rows)
        by_source = Counter(sources.label(s) or s or "Not recorded" for s, _ in rows)
        by_district = Counter(districts.label(d) or "Not recorded" for _, d in rows)
        outside = by_district.get("Outside the county", 0)
        in_county = len(rows) - outside - by_district.get("Not recorded", 0)
        dist = suppress(by_district, self.threshold)
        order = sorted(dist, key=lambda d: (d in ("Outside the county", "Not recorded"), d))
        tables = [
            Table("referrals_by_kind", "Referrals by the kind of referrer", ["Referrer", "Referrals"],
                  [[k, v] for k, v in sorted(suppress(by_kind, self.threshold).items())]),
            Table("referrals_by_source", "Referrals by CIN referral source", ["Source", "Referrals"],
                  [[k, v] for k, v in sorted(suppress(by_source, self.threshold).items())]),
            Table("referrals_by_district", "Referrals by the child's district", ["District", "Referrals"],
                  [[d, dist[d]] for d in order]),
        ]  # fmt: skip
        return Section(
            "referrals",
            "Referrals by source and district",
            f"{self.say(len(rows)).capitalize()} referrals and front-door contacts were received: "
            f"{self.say(in_county)} about children living "
            f"in the county's districts and {self.say(outside)} about children living outside it.",
            tables=tables,
            charts=[
                Chart(
                    "bar",
                    "Referrals by district",
                    order,
                    {"Referrals": [dist[d] for d in order]},
                    options={"horizontal": True},
                )
            ],  # fmt: skip
            notes=[
                "Referrals are children's social care referrals (CIN census) and contacts recorded at Lantern's "
                "front door. The city is a separate authority: children living there appear under 'Outside the "
                "county' unless the city's own records are loaded."
            ],
        )

    # ---------------------------------------------------------------- screening
    def screening(self) -> Section:
        rows = self.rows(
            "SELECT final_level, level_rank FROM (SELECT *, row_number() OVER (PARTITION BY pid, tool_code "
            "ORDER BY submitted_on DESC) AS k FROM screenings WHERE submitted_on BETWEEN ? AND ?) WHERE k = 1",
            self.start,
            self.end,
        )
        if not rows:
            return Section(
                "screening", "Exploitation screening", "No screenings were completed in this period.", False
            )
        ranks = {level: rank for level, rank in rows}
        levels = sorted(ranks, key=lambda lv: (ranks[lv] is None, ranks[lv]))
        counts = suppress(Counter(level for level, _ in rows), self.threshold)
        return Section(
            "screening",
            "Exploitation screening outcomes",
            f"{self.say(len(rows)).capitalize()} children were screened for criminal exploitation (their latest "
            "screening in the period).",
            tables=[
                Table(
                    "screening_levels",
                    "Children by screening level",
                    ["Level", "Children"],
                    [[lv, counts[lv]] for lv in levels],
                )
            ],  # fmt: skip
            charts=[
                Chart(
                    "bar", "Children by screening level", levels, {"Children": [counts[lv] for lv in levels]}
                )
            ],
        )

    # ---------------------------------------------------------------- lines and operations
    def lines(self) -> Section:
        cutoff = _months_before(self.end, ACTIVE_LINE_MONTHS)
        rows = self.rows(
            "SELECT status, exporting_area, importing_towns, other_force_areas, first_seen, last_seen FROM lines "
            "WHERE first_seen IS NULL OR first_seen <= ? ORDER BY first_seen NULLS LAST",
            self.end,
        )
        active = [r for r in rows if r[5] is not None and r[5] >= cutoff]
        if not rows:
            return Section(
                "lines", "County lines", "No county lines are on the register for this period.", False
            )
        towns: Counter = Counter(t for r in active for t in r[2])
        forces = sorted({f for r in active for f in r[3]})
        table = [
            [f"Line {i + 1}", r[0], r[1] or "", ", ".join(r[2]), ", ".join(r[3]),
             (r[5].isoformat() if r[5] <= self.end else "after the period") if r[5] else "", "active" if r in active else "inactive"]
            for i, r in enumerate(rows)
        ]  # fmt: skip
        confirmed = sum(1 for r in active if r[0] == "confirmed")
        return Section(
            "lines",
            "County lines, importing towns and cross-border links",
            f"{len(active)} lines were active at the end of the period ({confirmed} confirmed), affecting "
            f"{len(towns)} towns; {len(forces)} other force areas are linked to them.",
            tables=[
                Table(
                    "lines",
                    "Lines on the register",
                    [
                        "Line",
                        "Status",
                        "Exporting area",
                        "Importing towns",
                        "Other force areas",
                        "Last activity",
                        "At the end of the period",
                    ],
                    table,
                ),
                Table(
                    "importing_towns",
                    "Towns affected by active lines",
                    ["Town", "Active lines"],
                    [[t, n] for t, n in sorted(towns.items())],
                ),
            ],  # fmt: skip
            charts=[
                Chart(
                    "bar",
                    "Active lines by importing town",
                    sorted(towns),
                    {"Lines": [towns[t] for t in sorted(towns)]},
                    options={"horizontal": True},
                )
            ]
            if towns
            else [],  # fmt: skip
            notes=[
                f"Active: activity in the {ACTIVE_LINE_MONTHS} months to the end of the period. Lines are numbered, "
                "not named, in board papers."
            ],  # fmt: skip
        )

    def operations(self) -> Section:
        rows = self.rows(
            "SELECT operation, started_on, ended_on, lines, warrants, arrests, charged, vulnerable_adults, children "
            "FROM operations WHERE started_on <= ? AND (ended_on IS NULL OR ended_on >= ?) ORDER BY started_on",
            self.end,
            self.start,
        )
        if not rows:
            return Section(
                "operations", "Police operations", "No police operation ran in this period.", False
            )
        columns = ["Operation", "Started", "Ended", "Lines", "Warrants", "Arrests", "Charged", "Vulnerable adults identified",
                   "Children identified"]  # fmt: skip
        # People identified are people: small numbers withheld; warrants, arrests and charges are actions.
        table = [
            [
                r[0],
                r[1].isoformat(),
                r[2].isoformat() if r[2] else "ongoing",
                *r[3:7],
                self.count(r[7]),
                self.count(r[8]),
            ]
            for r in rows
        ]
        totals = [sum(r[i] for r in rows) for i in range(4, 9)]
        return Section(
            "operations",
            "Police operation outcomes",
            f"{len(rows)} operations ran in the period: {totals[0]} warrants executed, {totals[1]} arrests, "
            f"{totals[2]} charged, {self.say(totals[3])} vulnerable adults and {self.say(totals[4])} children "
            "identified.",
            tables=[Table("operations", "Operations and their outcomes", columns, table)],
            charts=[
                Chart(
                    "bar",
                    "Operation outcomes",
                    ["Warrants", "Arrests", "Charged", "Vulnerable adults", "Children"],
                    {row[0]: row[4:9] for row in table},
                )
            ],  # fmt: skip
            notes=["Operation outcomes are counts of actions, not of people, except the people identified."],
        )

    # ---------------------------------------------------------------- NRM
    def nrm(self) -> Section:
        referred = self.rows(
            "SELECT count(*) FROM nrm WHERE referred_on BETWEEN ? AND ?", self.start, self.end
        )[0][0]
        decisions = self.rows(
            "SELECT 'Reasonable grounds', rg_decision, count(*) FROM nrm WHERE rg_decided_on BETWEEN ? AND ? GROUP BY 2 "
            "UNION ALL SELECT 'Conclusive grounds', cg_decision, count(*) FROM nrm WHERE cg_decided_on BETWEEN ? AND ? "
            "GROUP BY 2",
            self.start, self.end, self.start, self.end,
        )  # fmt: skip
        awaiting = self.rows(
            "SELECT count(*) FROM nrm WHERE referred_on <= ? AND (rg_decided_on IS NULL OR rg_decided_on > ?)",
            self.end,
            self.end,
        )[0][0]
        if not referred and not decisions:
            return Section(
                "nrm", "National Referral Mechanism", "No NRM referrals or decisions in this period.", False
            )
        table = [["Referrals made", "", self.count(referred)]]
        for stage, decision, n in sorted(decisions):
            table.append([stage, decision or "", self.count(n)])
        table.append(
            ["Awaiting a reasonable grounds decision at the end of the period", "", self.count(awaiting)]
        )
        return Section(
            "nrm",
            "National Referral Mechanism referrals and decisions",
            f"{self.say(referred).capitalize()} children were referred to the NRM in the period; {self.say(awaiting)} "
            "referrals were awaiting a "
            "reasonable grounds decision at its end.",
            tables=[Table("nrm", "NRM referrals and decisions", ["Measure", "Decision", "Children"], table)],
        )

    # ---------------------------------------------------------------- trends
    def trends(self) -> Section:
        quarters = self.period.last(5)
        measures = {
            "Missing episodes": f"SELECT count(*) FROM missing WHERE reported_on BETWEEN ? AND ? AND {CHILD}",  # noqa: S608
            "Children missing": f"SELECT count(DISTINCT pid) FROM missing WHERE reported_on BETWEEN ? AND ? AND {CHILD}",  # noqa: S608
            "Referrals": "SELECT (SELECT count(*) FROM contacts WHERE received_on BETWEEN $1 AND $2) + "
            "(SELECT count(*) FROM events WHERE item_type = 'csc_referral' AND occurred_on BETWEEN $1 AND $2)",
            "Children screened": "SELECT count(DISTINCT pid) FROM screenings WHERE submitted_on BETWEEN ? AND ?",
            "NRM referrals": "SELECT count(*) FROM nrm WHERE referred_on BETWEEN ? AND ?",
        }
        series = {
            name: [self.count(self.rows(sql, q.start, q.end)[0][0]) for q in quarters]
            for name, sql in measures.items()
        }
        codes = [q.code for q in quarters]
        return Section(
            "trends",
            "Trends over the last five quarters",
            "This quarter against the four before it.",
            has_data=any(v for values in series.values() for v in values),
            tables=[
                Table("trends", "Quarterly counts", ["Measure", *codes], [[k, *v] for k, v in series.items()])
            ],
            charts=[Chart("line", "Quarterly counts", codes, series)],
        )

    # ---------------------------------------------------------------- cohort flags (correlation, MSE)
    def children_flags(self) -> list[dict]:
        """One row per child aged 10–17 at the period's end (age from the year and month of birth) with
        any record up to it, with the four flags as recorded by the period's end (docs/reporting.md)."""
        rows = self.rows(
            """
            WITH known AS (SELECT DISTINCT pid FROM events WHERE occurred_on <= $1),
            ages AS (
                SELECT pid, date_diff('month', CAST(birth_month || '-01' AS DATE), $1) // 12 AS age
                FROM persons WHERE birth_month IS NOT NULL
            ),
            missed AS (SELECT pid, count(*) AS n FROM missing WHERE reported_on <= $1 GROUP BY pid),
            looked_after AS (
                SELECT pid FROM events WHERE item_type = 'lac_episode' AND occurred_on <= $1
                UNION SELECT pid FROM care_missing WHERE starts_on <= $1
            ),
            excluded AS (
                SELECT DISTINCT pid FROM events
                WHERE item_type IN ('school_suspension', 'permanent_exclusion') AND occurred_on <= $1
            ),
            exploited AS (
                SELECT pid FROM events
                WHERE item_type = 'cin_assessment' AND list_contains(factors, '24A') AND occurred_on <= $1
                UNION SELECT pid FROM screenings WHERE level_rank = levels - 1 AND submitted_on <= $1
                UNION SELECT pid FROM nrm WHERE referred_on <= $1
            )
            SELECT coalesce(m.n, 0) >= 2, l.pid IS NOT NULL, x.pid IS NOT NULL, c.pid IS NOT NULL
            FROM known k JOIN ages a USING (pid) LEFT JOIN missed m USING (pid)
            LEFT JOIN looked_after l USING (pid) LEFT JOIN excluded x USING (pid) LEFT JOIN exploited c USING (pid)
            WHERE a.age BETWEEN 10 AND 17
            """,
            self.end,
        )
        flags = ("repeat_missing", "looked_after", "excluded_from_school", DEFAULT_OUTCOME)
        return [dict(zip(flags, row, strict=True)) for row in rows]

    def correlation(self) -> Section:
        children = self.children_flags()
        title = "Repeat missing, looked after, excluded and criminally exploited: the correlation study"
        if not children:
            return Section(
                "correlation",
                title,
                "No children aged 10–17 at the period's end have records in Lantern.",
                False,
            )
        try:
            study = correlation_study(children)
        except ValueError as error:
            return Section("correlation", title, f"The study cannot be run: {error}.", False)
        labels = {"repeat_missing": "Missing more than once", "looked_after": "Looked after",
                  "excluded_from_school": "Excluded from school", DEFAULT_OUTCOME: "Criminally exploited"}  # fmt: skip

        def small(n: int) -> bool:
            return 0 < n < self.threshold

        # An odds ratio and its margins give back the cells of its 2×2 table, so a ratio whose table has a
        # small cell is withheld with the cell; so are the adjusted ratios when few children are exploited.
        unadjusted, shown = [], []
        for o in study.unadjusted:
            t = o.table
            cells = (t.exposed_with, t.exposed_without, t.unexposed_with, t.unexposed_without)
            if any(small(n) for n in cells):
                unadjusted.append(
                    [labels[o.exposure], None, t.exposed, None, t.unexposed, None, None, None, ""]
                )
            else:
                unadjusted.append([labels[o.exposure], t.exposed_with, t.exposed, t.unexposed_with, t.unexposed,
                                   round(o.estimate, 2), round(o.ci[0], 2), round(o.ci[1], 2), "yes" if o.corrected else ""])  # fmt: skip
                shown.append(o)
        adjusted_model = study.adjusted
        few = small(adjusted_model.events) or small(adjusted_model.n - adjusted_model.events)
        adjusted = [] if few else [
            [labels[a.exposure], round(a.estimate, 2), round(a.ci[0], 2), round(a.ci[1], 2), f"{a.p_value:.3g}"]
            for a in adjusted_model.odds_ratios
        ]  # fmt: skip
        withheld = len(shown) < len(study.unadjusted) or (few and adjusted_model.odds_ratios)
        if withheld:
            summary = (
                f"Fewer than {self.threshold} children fall in some of the study's groups, so the odds ratios for those "
                "groups are withheld: they would let the children be recognised, and so few children could not show "
                "an association reliably. The counts that can be published are below."
            )
        else:
            summary = " ".join(study.reading)
        prevalence = [[labels[f], self.count(n), known] for f, n, known in study.prevalence]
        charts = []
        rows = [[f"{labels[o.exposure]} (unadjusted)", o.estimate, list(o.ci)] for o in shown]
        if adjusted:
            rows += [
                [f"{labels[a.exposure]} (adjusted)", a.estimate, list(a.ci)]
                for a in adjusted_model.odds_ratios
            ]
        if rows:
            charts.append(Chart("interval", "Odds of being criminally exploited (95% intervals)", rows=rows,
                                options={"label": "odds ratio"}))  # fmt: skip
        notes = list(study.caveats)
        if not adjusted_model.fitted:
            notes.insert(0, f"Mutually adjusted odds ratios: {adjusted_model.reason}")
        elif few:
            notes.insert(
                0,
                f"Mutually adjusted odds ratios are withheld: fewer than {self.threshold} children in a group.",
            )
        return Section(
            "correlation",
            title,
            summary,
            tables=[
                Table(
                    "flags",
                    f"Children aged 10–17 on {self.end:%d %B %Y} with any record, flags as recorded by then",
                    ["Flag", "Children", "Children with the flag known"],
                    prevalence,
                ),
                Table(
                    "odds_ratios",
                    "Unadjusted odds ratios (Woolf 95% interval)",
                    [
                        "Exposure",
                        "Exploited with exposure",
                        "With exposure",
                        "Exploited without",
                        "Without",
                        "Odds ratio",
                        "Lower",
                        "Upper",
                        "0.5 added to cells",
                    ],
                    unadjusted,
                ),
                Table(
                    "adjusted_odds_ratios",
                    f"Mutually adjusted odds ratios (logistic regression, {adjusted_model.n:,} children)",
                    ["Exposure", "Odds ratio", "Lower", "Upper", "p"],
                    adjusted,
                ),
            ],  # fmt: skip
            charts=charts,
            notes=notes,
        )

    # ---------------------------------------------------------------- equality
    def equality(self) -> Section:
        """Rates at each stage by ethnicity, sex and age band against the people known to Lantern."""
        base = self.rows(
            "SELECT pid, sex, ethnicity, max(age) FROM events JOIN persons USING (pid) "
            "WHERE occurred_on BETWEEN ? AND ? GROUP BY ALL",
            self.year_start,
            self.end,
        )
        children = {pid: (sex, eth, age) for pid, sex, eth, age in base if age is not None and age < 18}
        adults = {pid: (sex, eth, age) for pid, sex, eth, age in base if age is not None and age >= 18}
        in_year = (self.year_start, self.end)
        stages = {
            "referral": (
                "SELECT pid FROM contacts WHERE received_on BETWEEN $1 AND $2 UNION "
                "SELECT pid FROM events WHERE item_type = 'csc_referral' AND occurred_on BETWEEN $1 AND $2",
                children,
            ),
            "screening at the top level": (
                "SELECT pid FROM screenings WHERE submitted_on BETWEEN $1 AND $2 AND level_rank = levels - 1",
                children,
            ),
            "NRM referral": ("SELECT pid FROM nrm WHERE referred_on BETWEEN $1 AND $2", children),
            "recording as an adult posing risk": (
                "SELECT pid FROM categories WHERE category = 'adult_posing_risk' AND starts_on <= $2 "
                "AND (ends_on IS NULL OR ends_on >= $1)",
                adults,
            ),
        }
        ethnicity, sexes = codelist("ethnicity"), codelist("sex")
        dimensions = {
            "Ethnicity": lambda v: ethnicity.label(v[1]) or "Not known",
            "Sex": lambda v: sexes.label(v[0]) or "Not known",
            "Age band": lambda v: age_band(v[2]),
        }
        tables, charts, readings, notes = [], [], [], []
        for stage, (sql, population) in stages.items():
            people = {pid for (pid,) in self.rows(sql, *in_year)} & set(population)
            if not people:
                continue
            for dimension, group_of in dimensions.items():
                counts = Counter(group_of(population[p]) for p in people)
                base_counts = Counter(group_of(v) for v in population.values())
                table = relative_rates(stage, dimension, counts, base_counts, threshold=self.threshold)
                # The reference group is in the table's title; the suppression rule is said once for all.
                own = [
                    n for n in table.notes if not n.startswith(("Rates are compared", "Groups with fewer"))
                ]
                notes += [n for n in table.notes if n.startswith("Groups with fewer") and n not in notes]
                rows = [
                    [r.group, r.count, r.base] + (
                        [WITHHELD] * 4 if r.rri is None and r.suppressed else
                        [_round(r.rate_per_1000, 1), _round(r.rri, 2), *(_round(x, 2) for x in (r.ci or (None, None)))]
                    )
                    for r in table.rows
                ]  # fmt: skip
                tables.append(
                    Table(
                        f"rates_{_slug(stage)}_{_slug(dimension)}",
                        f"{stage.capitalize()}: rate per 1,000 by {dimension.lower()} (reference: {table.reference})",
                        [
                            "Group",
                            "People",
                            "Base",
                            "Rate per 1,000",
                            "Relative rate index",
                            "Lower",
                            "Upper",
                        ],
                        rows,
                        own,
                    )
                )
                published = [r for r in table.rows if r.rri is not None and r.ci is not None]
                if published:
                    readings.append(rates_reading(table).removesuffix(RATES_CAVEAT).strip())
                    if dimension == "Ethnicity":
                        charts.append(Chart("interval", f"{stage.capitalize()}: relative rate index by ethnicity",
                                            rows=[[r.group, r.rri, list(r.ci)] for r in published],
                                            options={"label": "relative rate index"}))  # fmt: skip
        title = "Equality and disproportionality"
        if not tables:
            return Section("equality", title, "No one reached any of the stages in this period.", False)
        summary = " ".join(readings) or (
            f"Too few people reached these stages in the year to compare groups: counts below {self.threshold} are "
            "withheld, and with them every rate that could give them away."
        )
        return Section(
            "equality",
            title,
            summary,
            tables=tables,
            charts=charts,
            notes=[
                *notes,
                "Each stage counts the people who reached it in the year to the period's end. The base population is "
                "the children (or, for adults posing risk, the adults) with any record in Lantern in that year, not "
                "the census population: it over-represents children already known to services.",
                RATES_CAVEAT,
            ],
        )

    # ---------------------------------------------------------------- hidden scale
    def hidden_scale(self) -> Section:
        title = "The hidden scale: how many exploited children no agency has identified"
        events = [
            IdentificationEvent(pid, kind, agency or "", day, tuple(factors or ()), role or "", level or "")
            for pid, kind, agency, day, factors, role, level in self.rows(
                """
                SELECT pid, item_type, agency_type, occurred_on, factors, role, NULL FROM events
                WHERE occurred_on BETWEEN $1 AND $2 AND len(factors) > 0
                    AND item_type IN ('police_incident', 'custody', 'arrest', 'cin_assessment',
                    'health_contact', 'ae_attendance', 'yj_order')
                UNION ALL SELECT pid, 'screening', 'exploitation_hub', submitted_on, [], NULL,
                    CASE WHEN level_rank = levels - 1 THEN 'top' ELSE final_level END
                FROM screenings WHERE submitted_on BETWEEN $1 AND $2
                UNION ALL SELECT pid, 'nrm_referral', referrer_agency_type, referred_on, exploitation_types, NULL, NULL FROM nrm
                WHERE referred_on BETWEEN $1 AND $2
                """,
                self.mse_start,
                self.end,
            )
        ]
        try:
            table = identification_lists(events, self.mse_start, self.end)
            result = estimate_population(table)
        except MSEError as error:
            return Section("hidden_scale", title, str(error)[0].upper() + str(error)[1:] + ".", False)
        fit = result.model
        lo, hi = result.ci
        choice = result.model_choice_ci
        choice_text = _interval_text(choice, table.observed)
        combinations = {}
        for history, n in enumerate(table.counts, start=1):
            if n:
                names = [_list_label(name) for bit, name in enumerate(table.lists) if history >> bit & 1]
                combinations[" and ".join(names)] = n
        overlaps = [[k, v] for k, v in suppress(combinations, self.threshold).items()]
        return Section(
            "hidden_scale",
            title,
            f"Agencies identified {self.say(table.observed)} children as criminally exploited in the three years to "
            f"{self.end:%d %B %Y}. Multiple systems estimation puts the total at about {fit.estimate:,.0f} "
            f"(95% interval {_interval_text((lo, hi), table.observed)} for the chosen model; {choice_text} allowing for the "
            "choice of model), so roughly "
            f"{max(fit.estimate - table.observed, 0):,.0f} children may not yet be known to any agency.",
            tables=[
                Table("mse_lists", "Children on each combination of lists", ["Lists", "Children"], overlaps),
                Table(
                    "mse_estimate",
                    "Estimate",
                    ["Measure", "Value"],
                    [
                        ["Children identified", table.observed],
                        ["Estimated total", round(fit.estimate)],
                        ["95% interval (model)", _interval_text((lo, hi), table.observed)],
                        ["95% interval (allowing for model choice)", choice_text],
                        ["Model", fit.label],
                    ],
                ),
            ],  # fmt: skip
            notes=[*result.assumptions, *result.notes],
        )


LIST_LABELS = {
    "police": "Police", "childrens_social_care": "Children's social care", "health": "Health",
    "youth_justice": "Youth justice", "exploitation_hub": "Exploitation hub", "nrm": "NRM",
}  # fmt: skip


def _list_label(name: str) -> str:
    return LIST_LABELS.get(name, name.replace("_", " ").capitalize())


def _interval_text(interval: tuple[float, float] | None, observed: int) -> str:
    """An interval in words; an upper limit far beyond anything plausible (few children, sparse lists)
    is reported as no useful upper limit rather than as a meaningless number."""
    if interval is None:
        return "not computed"
    lo, hi = interval
    if hi > 50 * max(observed, 1):
        return f"at least {lo:,.0f}, with no useful upper limit"
    return f"{lo:,.0f} to {hi:,.0f}"


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def board_report(extract_dir: Path, period: Period, threshold: int = 5) -> dict[str, Any]:
    """Every section of the board report for `period`, as JSON-serialisable data."""
    report = _Report(extract_dir, period, threshold)
    sections = [
        *report.missing(),
        report.rhi(),
        report.referrals(),
        report.screening(),
        report.lines(),
        report.operations(),
        report.nrm(),
        report.trends(),
        report.correlation(),
        report.equality(),
        report.hidden_scale(),
    ]
    return {
        "period": period.code,
        "period_label": period.label,
        "threshold": threshold,
        "has_data": any(s.has_data for s in sections if s.key != "trends"),
        "sections": [asdict(s) for s in sections],
    }
