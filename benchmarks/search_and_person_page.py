"""Person-search and person-page latency (p50/p95), with ratios against a baseline run in the same
process: the bare indexed lookup of the same records with no policy, ranking or audit.

Run against a database holding the synthetic county, e.g.:
    .venv/bin/python manage.py seed_demo --size county          # once (SQLite: var/lantern.sqlite3)
    .venv/bin/python benchmarks/search_and_person_page.py --samples 300
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lantern_bench .venv/bin/python benchmarks/search_and_person_page.py

Each search and page view writes its audit row, as in production.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from lantern.access.models import Membership
    from lantern.access.policy import Viewer
    from lantern.people.keys import query_keys
    from lantern.people.models import Person, SourceRecord, TimelineItem
    from lantern.people.selectors import SearchQuery, person_get, person_search

    rng = random.Random(args.seed)
    people, records, items = (
        Person.objects.count(),
        SourceRecord.objects.count(),
        TimelineItem.objects.count(),
    )
    print(f"database: {connection.vendor}; {people:,} people, {records:,} records, {items:,} timeline items")
    if people < 1000:
        sys.exit("Load the synthetic county first: manage.py seed_demo --size county")

    def viewer(username: str) -> Viewer:
        membership = (
            Membership.objects.select_related("team__agency", "user").filter(user__username=username).first()
        )
        return Viewer(user=membership.user, membership=membership)

    front_door, police_hub = viewer("priya"), viewer("dev")
    max_id = SourceRecord.objects.order_by("-id").values_list("id", flat=True).first()
    sample_records = []
    while len(sample_records) < args.samples:
        rec = SourceRecord.objects.filter(id__gte=rng.randint(1, max_id)).order_by("id").first()
        if rec and rec.family_name and rec.given_name:
            sample_records.append(rec)

    def typo(name: str) -> str:
        if len(name) < 4:
            return name
        i = rng.randint(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]

    queries = []
    for rec in sample_records:
        kind = rng.choice(["name", "typo", "name+dob", "surname+dob", "identifier"])
        if kind == "name":
            queries.append(SearchQuery(name=f"{rec.given_name} {rec.family_name}"))
        elif kind == "typo":
            queries.append(SearchQuery(name=f"{typo(rec.given_name)} {rec.family_name}"))
        elif kind == "name+dob" and rec.dob:
            queries.append(SearchQuery(name=f"{rec.given_name} {rec.family_name}", dob=rec.dob))
        elif kind == "surname+dob" and rec.dob:
            queries.append(SearchQuery(name=rec.family_name, dob=rec.dob))
        else:
            ident = rec.nhs_number or rec.upn or rec.la_child_id or rec.police_id
            queries.append(SearchQuery(identifier=ident) if ident else SearchQuery(name=rec.family_name))

    # Baseline: the same candidate lookup on the indexed keys, no policy, ranking or audit.
    def baseline_search(q: SearchQuery) -> list:
        keys = query_keys(q.name) if q.name else set()
        qs = (
            SourceRecord.objects.filter(family_key__in=keys)
            if keys
            else SourceRecord.objects.filter(dob=q.dob)
        )
        return list(qs.values_list("person_id", flat=True)[:400])

    it = iter(queries)
    base = _time(lambda: baseline_search(next(it)), len(queries))
    it = iter(queries)
    search = _time(lambda: person_search(viewer=front_door, query=next(it)), len(queries))

    person_ids = list(
        SourceRecord.objects.filter(agency=police_hub.agency).values_list("person_id", flat=True)[
            : args.samples * 20
        ]
    )
    person_ids = rng.sample(person_ids, min(args.samples, len(person_ids)))
    it = iter(person_ids)
    base_page = _time(lambda: list(TimelineItem.objects.filter(person_id=next(it))[:50]), len(person_ids))
    it = iter(person_ids)
    page = _time(lambda: person_get(viewer=police_hub, person_id=next(it)), len(person_ids))

    print(f"{'measure':<44}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}")
    rows = [
        ("baseline: indexed candidate lookup", base),
        ("person search (policy + ranking + audit)", search),
        ("baseline: first 50 timeline rows", base_page),
        ("person page (policy + records + audit)", page),
    ]
    for label, samples in rows:
        p50, p95 = _percentiles(samples)
        print(f"{label:<44}{len(samples):>6}{p50:>10.1f}{p95:>10.1f}")
    s50, s95 = _percentiles(search)
    b50, b95 = _percentiles(base)
    g50, g95 = _percentiles(page)
    pb50, pb95 = _percentiles(base_page)
    print(f"ratio search / baseline: p50 {s50 / b50:.1f}x, p95 {s95 / b95:.1f}x")
    print(f"ratio person page / baseline: p50 {g50 / pb50:.1f}x, p95 {g95 / pb95:.1f}x")


if __name__ == "__main__":
    main()
