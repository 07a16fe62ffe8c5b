"""The board report at county and regional scale (issue 8). Target: the report from the extract in
<= 5 s for one county.

1. Build the pseudonymised extract from the database (the reporting job's first stage).
2. Compute every section of the board report from it with DuckDB.
3. Baseline in the same process: the same aggregates through the Django ORM — missing episodes by
   sex and age band, repeat missing, referrals by source and district, the five-quarter trends and
   the correlation study's four flags per child — against the same aggregates from the extract.
4. Regional scale: the extract copied ten times with distinct person hashes (ten counties' worth of
   people and events, as a region's partnership would hold), and every section computed again.

Run against a database holding the synthetic county (see docs/benchmarks.md), e.g.:
    LANTERN_DATA_DIR=/work/bench-county .venv/bin/python benchmarks/report_bench.py --period 2026Q3
Nothing is written to the database except the extract's own row and its audit row.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, fn):
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<58} {seconds:8.2f} s   (peak RSS so far {_rss_mib():,.0f} MiB)")
    return value, seconds


def _orm_aggregates(period) -> dict:
    """The baseline: the subset of the report's aggregates computed through the ORM, the way a view
    would without the extract."""
    from django.db.models import Q

    from lantern.analytics.missing import age_band
    from lantern.core.timeutils import age_on, local
    from lantern.missing.models import CareMissingEpisode, MissingReport
    from lantern.people.models import Person, TimelineItem
    from lantern.plans.models import NrmReferral
    from lantern.referrals.models import Contact
    from lantern.screening.models import Screening
    from lantern.screening.services import available_tools

    out: dict = {}
    cells: Counter = Counter()
    per_child: Counter = Counter()
    rows = MissingReport.objects.filter(
        reported_at__date__gte=period.start, reported_at__date__lte=period.end
    ).values_list("item__person_id", "item__person__display_sex", "item__person__display_dob", "reported_at")
    for person_id, sex, dob, reported in rows:
        age = age_on(dob, local(reported).date()) if dob else None
        if age is None or age < 18:
            cells[(sex, age_band(age))] += 1
            per_child[person_id] += 1
    out["missing"] = cells
    out["repeat"] = sum(1 for n in per_child.values() if n >= 2)
    referrals = Counter(
        Contact.objects.filter(
            received_at__date__gte=period.start, received_at__date__lte=period.end
        ).values_list("source", "person__display_district")
    )
    for details, district in TimelineItem.objects.filter(
        item_type="csc_referral", occurred_at__date__gte=period.start, occurred_at__date__lte=period.end
    ).values_list("details", "person__display_district"):
        referrals[((details or {}).get("referral_source", ""), district)] += 1
    out["referrals"] = referrals
    trends = []
    for q in period.last(5):
        span = {"gte": q.start, "lte": q.end}
        missing = MissingReport.objects.filter(
            reported_at__date__gte=span["gte"], reported_at__date__lte=span["lte"]
        )
        trends.append(
            (
                missing.count(),
                missing.values("item__person").distinct().count(),
                Contact.objects.filter(received_at__date__gte=q.start, received_at__date__lte=q.end).count()
                + TimelineItem.objects.filter(
                    item_type="csc_referral", occurred_at__date__gte=q.start, occurred_at__date__lte=q.end
                ).count(),
                Screening.objects.filter(submitted_at__date__gte=q.start, submitted_at__date__lte=q.end)
                .values("person")
                .distinct()
                .count(),
            )
        )
    out["trends"] = trends
    # the correlation study's flags for every child aged 10-17 at the period's end (age from the year and
    # month of birth, as the extract holds it) with any record by then
    end = period.end
    known = set(TimelineItem.objects.filter(occurred_at__date__lte=end).values_list("person_id", flat=True))
    children = [
        pk
        for pk, dob in Person.objects.filter(merged_into__isnull=True, display_dob__isnull=False).values_list(
            "id", "display_dob"
        )
        if pk in known and 10 <= ((end.year - dob.year) * 12 + end.month - dob.month) // 12 <= 17
    ]
    missing_n = Counter(
        MissingReport.objects.filter(reported_at__date__lte=end).values_list("item__person_id", flat=True)
    )
    typed = TimelineItem.objects.filter(occurred_at__date__lte=end)
    looked_after = set(typed.filter(item_type="lac_episode").values_list("person_id", flat=True))
    looked_after |= set(
        CareMissingEpisode.objects.filter(starts_on__lte=end).values_list("item__person_id", flat=True)
    )
    excluded = set(
        typed.filter(Q(item_type="school_suspension") | Q(item_type="permanent_exclusion")).values_list(
            "person_id", flat=True
        )
    )
    exploited = {
        pk
        for pk, details in typed.filter(item_type="cin_assessment").values_list("person_id", "details")
        if "24A" in ((details or {}).get("factors") or [])
    }
    exploited |= set(NrmReferral.objects.filter(referred_on__lte=end).values_list("person_id", flat=True))
    exploited |= {
        pk
        for pk, code, version, level in Screening.objects.filter(submitted_at__date__lte=end).values_list(
            "person_id", "tool_code", "tool_version", "final_level"
        )
        if level == available_tools()[(code, version)].levels[-1].code
    }
    out["flags"] = [
        (missing_n[pk] >= 2, pk in looked_after, pk in excluded, pk in exploited) for pk in children
    ]
    return out


def _extract_aggregates(extract_dir: Path, period, threshold: int) -> dict:
    from lantern.analytics.board import _Report

    report = _Report(extract_dir, period, threshold)
    return {
        "missing": report.missing(),
        "referrals": report.referrals(),
        "trends": report.trends(),
        "flags": report.children_flags(),
    }


def _scaled_copy(source: Path, target: Path, copies: int) -> dict[str, int]:
    """Every table `copies` times over, each copy's person hashes made distinct."""
    import duckdb

    from lantern.analytics.board import TABLES

    db = duckdb.connect()
    counts = {}
    for name in TABLES:
        src = (source / f"{name}.parquet").as_posix()
        columns = [r[0] for r in db.execute(f"DESCRIBE SELECT * FROM read_parquet('{src}')").fetchall()]  # noqa: S608
        select = ", ".join(
            f"{c} || '-' || i AS {c}" if c in ("pid", "report", "line") else c for c in columns
        )
        out = (target / f"{name}.parquet").as_posix()
        db.execute(
            f"COPY (SELECT {select} FROM read_parquet('{src}'), range({copies}) t(i)) TO '{out}' (FORMAT parquet)"  # noqa: S608
        )
        counts[name] = db.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]  # noqa: S608
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--period", default="2026Q3")
    parser.add_argument("--copies", type=int, default=10, help="counties in the regional-scale run")
    args = parser.parse_args()

    import django

    django.setup()
    import secrets

    from django.conf import settings
    from django.db import connection

    from lantern.analytics.board import Period, board_report
    from lantern.people.models import Person, TimelineItem
    from lantern.reporting.models import Extract
    from lantern.reporting.services import extract_build

    period = Period.parse(args.period)
    threshold = settings.LANTERN_SUPPRESS_BELOW
    print(
        f"Database: {connection.vendor}; {Person.objects.count():,} persons, {TimelineItem.objects.count():,} "
        f"timeline items; period {period.code}; suppression below {threshold}"
    )
    print("County:")
    extract = Extract.objects.create(requested_by_system="report_bench", pseudonym_key=secrets.token_hex(32))
    extract, build_s = _timed("build the extract (database -> Parquet)", lambda: extract_build(extract))
    size = sum(p.stat().st_size for p in extract.path.iterdir())
    print(
        f"  extract: {sum(extract.row_counts.values()):,} rows, {size / 2**20:,.1f} MiB: {extract.row_counts}"
    )
    _, report_s = _timed(
        "board report from the extract (every section, DuckDB)",
        lambda: board_report(extract.path, period, threshold),
    )
    orm, orm_s = _timed("baseline: the same aggregates through the ORM", lambda: _orm_aggregates(period))
    duck, duck_s = _timed(
        "the same aggregates from the extract (DuckDB)",
        lambda: _extract_aggregates(extract.path, period, threshold),
    )
    same_flags = Counter(orm["flags"]) == Counter(tuple(r.values()) for r in duck["flags"])
    print(f"  children in the correlation study: ORM {len(orm['flags']):,}, extract {len(duck['flags']):,}; "
          f"flag combinations identical: {same_flags}")  # fmt: skip
    print(f"  ratio DuckDB over the extract / ORM for the same aggregates: {duck_s / orm_s:.2f}")

    print(f"Region ({args.copies} counties):")
    work = Path(tempfile.mkdtemp(prefix="report-bench-", dir=settings.DATA_DIR))
    try:
        counts, copy_s = _timed(
            f"copy the extract {args.copies} times (distinct hashes)",
            lambda: _scaled_copy(extract.path, work, args.copies),
        )
        print(f"  regional extract: {sum(counts.values()):,} rows")
        _, region_s = _timed(
            "board report from the regional extract", lambda: board_report(work, period, threshold)
        )
        _, region_duck_s = _timed(
            "the baseline's aggregates from the regional extract",
            lambda: _extract_aggregates(work, period, threshold),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"county: extract {build_s:.1f} s, report {report_s:.2f} s (target <= 5 s), ORM aggregates {orm_s:.2f} s, "
          f"DuckDB aggregates {duck_s:.2f} s (ratio {duck_s / orm_s:.2f})")  # fmt: skip
    print(f"region x{args.copies}: report {region_s:.2f} s ({region_s / report_s:.1f}x the county), "
          f"DuckDB aggregates {region_duck_s:.2f} s; extract build not measured at this scale "
          f"(linear in rows: about {build_s * args.copies:.0f} s by extrapolation)")  # fmt: skip
    print(f"peak RSS {_rss_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
