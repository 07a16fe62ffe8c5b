"""The alert rules at county scale: the full nightly run (derive the missing view from every agency
event, then every rule for everyone) and the incremental cost per arriving event (a police missing
report for one child: derive it, then every rule for that child). Targets (issue: missing, front
door and queues): nightly <= 60 s; incremental <= 50 ms p95.

Baseline in the same process: reading every police missing report with its child (the least data the
rules need), so the ratio says what the rules cost beyond touching their input once.

Run against a database holding the synthetic county (see docs/benchmarks.md), e.g.:
    LANTERN_DATA_DIR=/work/county .venv/bin/python benchmarks/alerts_bench.py --events 200
Everything the benchmark writes is rolled back at the end: the database is left as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class _Rollback(Exception):
    pass


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200, help="arriving events to time one by one")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction

    from lantern.alerts.models import Alert
    from lantern.alerts.services import alerts_refresh, alerts_run
    from lantern.core.timeutils import now
    from lantern.missing.models import MissingReport
    from lantern.missing.services import missing_derive
    from lantern.people.models import Person, SourceRecord, TimelineItem
    from lantern.people.services import ItemIn, timeline_items_collect

    vendor = connection.vendor
    people = Person.objects.count()
    events = TimelineItem.objects.count()
    print(f"database: {vendor}; {people:,} persons, {events:,} timeline items")

    try:
        with transaction.atomic():
            start = time.perf_counter()
            children = missing_derive(system_actor="benchmark")
            derive_s = time.perf_counter() - start
            start = time.perf_counter()
            summary = alerts_run(system_actor="benchmark")
            rules_s = time.perf_counter() - start
            reports = MissingReport.objects.count()
            print(
                f"nightly: derive {derive_s:.1f} s ({reports:,} police reports, {len(children):,} children)"
            )
            print(
                f"nightly: rules {rules_s:.1f} s ({summary.rules} rules, {summary.raised:,} alerts raised, "
                f"{summary.resolved:,} resolved)"
            )
            start = time.perf_counter()
            rows = list(
                MissingReport.objects.values_list(
                    "pk", "reported_at", "returned_at", "item__person__display_dob"
                )
            )
            baseline_s = time.perf_counter() - start
            nightly = derive_s + rules_s
            print(
                f"nightly total {nightly:.1f} s (target <= 60 s); baseline read of {len(rows):,} reports "
                f"{baseline_s * 1000:.0f} ms; ratio {nightly / max(baseline_s, 1e-9):.0f}x"
            )
            start = time.perf_counter()
            again = alerts_run(system_actor="benchmark")
            print(f"nightly again (nothing new): {time.perf_counter() - start:.1f} s, {again.raised} raised")

            # Arriving events: a new police missing report for a child who has a police record.
            rng = random.Random(args.seed)
            police_records = list(
                SourceRecord.objects.filter(
                    agency__agency_type="police", person__display_dob__gt=dt.date(2009, 1, 1)
                )
                .values_list("agency__code", "source_system", "source_key")
                .order_by("pk")
            )
            sample = rng.sample(police_records, min(args.events, len(police_records)))
            at = now()
            per_event, rules_only = [], []
            for number, key in enumerate(sample):
                reported = at - dt.timedelta(hours=rng.uniform(1, 48))
                returned = reported + dt.timedelta(hours=rng.uniform(1, 20))
                begin = time.perf_counter()
                last = TimelineItem.objects.order_by("-pk").values_list("pk", flat=True).first()
                timeline_items_collect(
                    items=[
                        ItemIn(
                            record_key=key,
                            item_type="missing_report",
                            controller_code=key[0],
                            purpose="safeguarding",
                            occurred_at=reported,
                            summary="Reported missing (benchmark)",
                            details={
                                "risk_grade": rng.choice(["low", "medium", "high"]),
                                "returned_at": returned.isoformat() if returned < at else None,
                                "found_out_of_area": rng.random() < 0.1,
                                "occurrence_ref": f"BENCH-{number}",
                            },
                            event_key=f"MPR:BENCH-{number}",
                        )
                    ],
                    source_reference="benchmark",
                    system_actor="benchmark",
                )
                collected = time.perf_counter()
                touched = missing_derive(after_item_id=last, system_actor="benchmark")
                alerts_refresh(person_ids=touched)
                done = time.perf_counter()
                per_event.append((done - begin) * 1000)
                rules_only.append((done - collected) * 1000)
            print(
                f"incremental, {len(sample)} events: derive + rules p50 {statistics.median(rules_only):.1f} ms, "
                f"p95 {_p(rules_only, 0.95):.1f} ms (target <= 50 ms p95); with storing the event "
                f"p50 {statistics.median(per_event):.1f} ms, p95 {_p(per_event, 0.95):.1f} ms"
            )
            print(f"alerts now open: {Alert.objects.exclude(status='closed').count():,}")
            raise _Rollback
    except _Rollback:
        print("rolled back: the database is as it was")


if __name__ == "__main__":
    main()
