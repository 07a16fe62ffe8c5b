"""Identity resolution at scale (issue 4): bare Splink against Lantern's full resolution on the same
synthetic source records, then an incremental link of newly collected records.

Targets: Lantern's full run <= 1.2x bare Splink end to end; an incremental 1,000-record link
(`linkage_link_new`) <= 3% of the full run.

The records: synthetic counties from `lantern.synthetic.generator` (`county`, 332,311 records each;
`demo` below 40,000 records), seeds 2019, 2020, ... side by side until there are `--records` +
2 x `--new`: every record of the first counties and a seeded sample of the last. One county cannot
simply be made three times larger (its geography runs out of postcode units), so each further
county is made disjoint from the others (`_copy_mapper`): its postcodes move to postcode areas of
their own, and it gets its own NHS numbers, UPNs, LA ids, PNC serials and keys. Names and dates of
birth come from the same pools, so coincidences across counties (same name, same DOB) are real.
The records are shuffled (seeded); `--new` x 2 of them are held back for the incremental step.

In one process, in order (the generator is freed first):
1. bare Splink, end to end, from the raw input frame: the engine's cleaning (the settings compare
   its derived columns), Arrow, register in DuckDB, the same settings and training calls as
   `train_model`, predict at p >= 0.5, Splink's connected components at 0.95, clusters to pandas.
2. Setup, not timed: the records are stored in an empty database as an import leaves them: each
   with a person from the same deterministic identifier pass as `source_records_collect`
   (bulk-inserted, because the import path takes too long for a million). No timeline items are
   loaded, so the writing stage moves no items (a real county's would).
3. Lantern's full resolution, end to end: `linkage_run_full(retrain=True)` (read the records from the
   database, clean, train, predict, cluster with guards, assign stable ids, write persons, queue
   review pairs, audit), with its stage times.
4. Collect the held-back records through `source_records_collect` (not timed), then time
   `linkage_link_new` on them, with the cleaned
   frame cache the full run left (warm), and again on a second batch with the cache deleted (cold).

Peak memory is sampled from /proc/self/statm every 0.2 s during each step (the process's resident
set, so a step's figure includes what earlier steps still hold).

    DJANGO_SECRET_KEY=x LANTERN_DATA_DIR=/tmp/lb50k nice -n 10 .venv/bin/python benchmarks/linkage_bench.py --records 50000
    DJANGO_SECRET_KEY=x LANTERN_DATA_DIR=/tmp/lb1m nice -n 10 .venv/bin/python benchmarks/linkage_bench.py --records 1000000

LANTERN_DATA_DIR must name an empty directory (or one whose database holds no source records): the
benchmark creates its SQLite database there, or uses DATABASE_URL if set.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import logging
import os
import random
import string
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

_PAGE = os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Peak resident set size of this process while a step runs (sampled every 0.2 s)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> PeakMemory:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


def _area(postcode: str) -> str:
    stripped = (postcode or "").lstrip()
    return stripped[: len(stripped) - len(stripped.lstrip(string.ascii_letters))].upper()


def _copy_mapper(copy: int, areas_used: list[str]):
    """Rewrite one county copy's records so that no identifier, postcode, address or key coincides
    with another copy's: copy 0 is unchanged; copy k moves every postcode to its own real postcode
    areas, and issues its own NHS numbers (another leading block, check digit recomputed), UPNs
    (another LA code, check letter recomputed), LA ids and PNC serials (the copy number as a
    leading digit), record, source and address keys (prefixed)."""
    from lantern.analytics.linkage.cleaning import UK_POSTCODE_AREAS
    from lantern.synthetic.identifiers import nhs_check_digit, pnc_check_letter, upn_check_letter

    if copy == 0:
        return lambda record: record, lambda address: address
    spare = sorted(UK_POSTCODE_AREAS - set(areas_used))
    width = len(areas_used)
    area_map = dict(zip(areas_used, spare[(copy - 1) * width : copy * width], strict=True))

    def postcode(value: str) -> str:
        letters = _area(value)
        if letters not in area_map:
            return value
        stripped = value.lstrip()
        return area_map[letters] + stripped[len(letters) :]

    def nhs(value: str) -> str:
        if not value:
            return value
        for block in range(10, 100):
            first_nine = f"{3 + copy}{block:02d}{value[3:9]}"
            check = nhs_check_digit(first_nine)
            if check is not None:
                return first_nine + str(check)
        raise ValueError(value)

    def upn(value: str) -> str:
        if not value:
            return value
        body = f"{890 + copy}{value[4:]}"
        return upn_check_letter(body) + body

    def pnc(value: str) -> str:
        if not value or value[2] != "/" or value[3] != "0":
            return f"K{copy}{value}" if value else value
        serial = f"{copy}{value[4:10]}"
        return f"{value[:2]}/{serial}{pnc_check_letter(value[:2], serial)}"

    def record(r):
        return dataclasses.replace(
            r,
            key=f"K{copy}-{r.key}",
            source_key=f"K{copy}-{r.source_key}",
            address_key=f"K{copy}-{r.address_key}" if r.address_key else r.address_key,
            postcode=postcode(r.postcode),
            nhs_number=nhs(r.nhs_number),
            upn=upn(r.upn),
            la_child_id=f"{r.la_child_id[:3]}{copy}{r.la_child_id[3:]}" if r.la_child_id else "",
            police_id=pnc(r.police_id),
        )

    def address(a):
        return dataclasses.replace(a, key=f"K{copy}-{a.key}", postcode=postcode(a.postcode))

    return record, address


def generate_records(wanted: int, seed: int, as_of: dt.date) -> tuple[list, dict, list, int]:
    """`wanted` records sampled from as many synthetic counties (seeds seed, seed+1, ...) as it takes.

    The generator's geography caps one county's size (a 3x county runs out of postcode units), so a
    million records are several counties side by side, made disjoint by `_copy_mapper`."""
    from lantern.synthetic.generator import generate

    records: list = []
    last_copy: list = []
    addresses: dict = {}
    agencies: list = []
    areas_used: list[str] = []
    copy = 0
    while len(records) + len(last_copy) < wanted:
        county = generate("county" if wanted > 40_000 else "demo", seed=seed + copy, as_of=as_of)
        if copy == 0:
            agencies = list(county.agencies)
            areas_used = sorted(
                ({_area(a.postcode) for a in county.addresses} | {_area(r.postcode) for r in county.records})
                - {""}
            )
        map_record, map_address = _copy_mapper(copy, areas_used)
        records.extend(last_copy)
        last_copy = [map_record(r) for r in county.records]
        addresses.update((f.key, f) for f in (map_address(a) for a in county.addresses))
        del county
        gc.collect()
        copy += 1
    # Every record of the first counties, a sample of the last; in a random order.
    rng = random.Random(seed)
    chosen = records + rng.sample(last_copy, wanted - len(records))
    rng.shuffle(chosen)
    return chosen, addresses, agencies, copy


def bare_splink(frame, threads: int) -> dict:
    """Splink alone, with Lantern's settings and training calls, from the raw input frame."""
    import pyarrow as pa

    from lantern.analytics.linkage import clean_records, comparisons
    from lantern.analytics.linkage.engine import EngineConfig, TrainingOptions, make_db_api

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    clean = clean_records(frame)
    times["clean"] = time.perf_counter() - t0
    t = time.perf_counter()
    table = pa.Table.from_pandas(clean, preserve_index=False)
    db_api = make_db_api(EngineConfig(backend="duckdb", threads=threads))
    sdf = db_api.register(table, dataset_display_name="records")
    from splink import Linker

    linker = Linker(sdf, comparisons.settings_creator(comparisons.identifier_u(clean)), log_level=None)
    options = TrainingOptions()
    linker.training.estimate_probability_two_random_records_match(
        comparisons.deterministic_rules(), recall=options.deterministic_rule_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=options.u_max_pairs, seed=options.seed)
    for rule in comparisons.em_blocking_rules(options.em_rules):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    times["train"] = time.perf_counter() - t
    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    times["predict"] = time.perf_counter() - t
    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    ).as_pandas_dataframe()
    times["cluster"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t0
    return {"times": times, "clusters": int(clusters["cluster_id"].nunique()), "records": len(clusters)}


def _bare_child(frame_file: str, threads: int, queue: object) -> None:
    import pandas as pd

    logging.getLogger("splink").setLevel(logging.ERROR)
    with PeakMemory() as mem:  # not ru_maxrss: Linux carries the parent's over fork and exec
        frame = pd.read_parquet(frame_file)
        result = bare_splink(frame, threads)
    result["peak_bytes"] = mem.peak
    queue.put(result)


def load_resolved(records: list, addresses: dict) -> None:
    """Setup for the full run, not timed: store the records as an import leaves them, faster than
    the import path. Each record gets a person by the same deterministic first pass as
    `people.services.source_records_collect` (the first person already holding one of its
    identifiers, else a new person), then addresses, persons and records are bulk-inserted."""
    from lantern.access.models import Agency
    from lantern.people.keys import family_keys, given_key, normalise_postcode
    from lantern.people.models import Address, Person, SourceRecord
    from lantern.people.services import IDENTIFIER_FIELDS

    agencies = {a.code: a for a in Agency.objects.all()}
    wanted = {}
    for r in records:
        if r.address_key:
            a = addresses[r.address_key]
            wanted.setdefault((a.line1.strip(), normalise_postcode(a.postcode)), a)
    Address.objects.bulk_create(
        [Address(line1=k[0], postcode=k[1], town=a.town, district=a.district) for k, a in wanted.items()],
        batch_size=5_000,
    )
    address_id = {(line1, pc): pk for pk, line1, pc in Address.objects.values_list("pk", "line1", "postcode")}
    known: dict[tuple[str, str], object] = {}
    people: list = []
    rows: list = []
    for r in records:
        ids = [(name, getattr(r, name)) for name in IDENTIFIER_FIELDS if getattr(r, name)]
        person = next((known[i] for i in ids if i in known), None)
        method = "deterministic"
        if person is None:
            person, method = Person(), "new"
            people.append(person)
        for i in ids:
            known.setdefault(i, person)
        a = addresses[r.address_key] if r.address_key else None
        fkey, fkey_alt = family_keys(r.family_name)
        rows.append(
            SourceRecord(
                agency=agencies[r.agency_code],
                source_system=r.source_system,
                source_key=r.source_key,
                source_reference="linkage benchmark",
                person=person,
                link_method=method,
                link_confidence=1.0 if method == "deterministic" else None,
                given_name=r.given_name.strip(),
                family_name=r.family_name.strip(),
                dob=r.dob,
                sex=r.sex or "U",
                gender=r.gender,
                ethnicity=r.ethnicity or "",
                address_id=address_id[(a.line1.strip(), normalise_postcode(a.postcode))] if a else None,
                postcode=normalise_postcode(r.postcode) if r.postcode else "",
                upn=r.upn,
                nhs_number=r.nhs_number,
                la_child_id=r.la_child_id,
                police_id=r.police_id,
                received_at=r.received_at,
                valid_from=r.valid_from,
                given_key=given_key(r.given_name),
                family_key=fkey,
                family_key_alt=fkey_alt,
            )
        )
    Person.objects.bulk_create(people, batch_size=5_000)
    SourceRecord.objects.bulk_create(rows, batch_size=5_000)


def collect(records: list, addresses: dict, reference: str, batch: int = 5_000) -> list[int]:
    from lantern.people.services import source_records_collect
    from lantern.synthetic.loader import _record_in

    ids: list[int] = []
    for start in range(0, len(records), batch):
        rows = source_records_collect(
            records=[_record_in(r, addresses) for r in records[start : start + batch]],
            source_reference=f"{reference} batch {start // batch + 1}",
            system_actor="benchmark",
        )
        ids.extend(r.pk for r in rows)
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="records resolved by the full run")
    parser.add_argument("--new", type=int, default=1_000, help="records linked incrementally (each batch)")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    parser.add_argument("--skip-bare", action="store_true", help="skip bare Splink (while profiling Lantern)")
    parser.add_argument("--profile", default=None, help="write a cProfile of Lantern's full run here")
    parser.add_argument("--json", dest="json_out", default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("splink").setLevel(logging.ERROR)
    os.environ.setdefault("LANTERN_LINKAGE_THREADS", str(args.threads))
    figures: dict = {"records": args.records, "new": args.new, "seed": args.seed, "threads": args.threads}

    t = time.perf_counter()
    with PeakMemory() as mem:
        records, addresses, agencies, counties = generate_records(
            args.records + 2 * args.new, args.seed, dt.date.fromisoformat(args.as_of)
        )
    figures["counties"] = counties
    print(
        f"generated {len(records):,} records from {counties} counties in {time.perf_counter() - t:.0f} s "
        f"(peak {_gib(mem.peak)})",
        flush=True,
    )
    gc.collect()
    resolved, batches = records[: args.records], [records[args.records :][i::2] for i in range(2)]
    del records

    if not args.skip_bare:
        # In a child process of its own, so its peak memory is its own and this process imports
        # no engine code before Lantern's run.
        import multiprocessing

        from lantern.analytics.linkage import frame_from_generator

        frame_file = Path(os.environ["LANTERN_DATA_DIR"]) / "bench-input.parquet"
        frame_from_generator(resolved, addresses.values()).to_parquet(frame_file)
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=_bare_child, args=(str(frame_file), args.threads, queue))
        child.start()
        bare = queue.get()
        child.join()
        frame_file.unlink()
        gc.collect()
        figures["bare"] = bare
        times = bare["times"]
        print(
            f"bare Splink: {times['total']:.1f} s (clean {times['clean']:.1f}, train {times['train']:.1f}, "
            f"predict {times['predict']:.1f}, cluster {times['cluster']:.1f}); {bare['clusters']:,} clusters; "
            f"peak {_gib(bare['peak_bytes'])} (its own process, the input frame included)",
            flush=True,
        )

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from lantern.access.services import agency_save
    from lantern.people.models import Person, SourceRecord

    call_command("migrate", verbosity=0)
    if SourceRecord.objects.exists():
        raise SystemExit(
            "the database already holds source records: point LANTERN_DATA_DIR at an empty directory"
        )
    for agency in agencies:
        agency_save(
            code=agency.code,
            name=agency.name,
            agency_type=agency.agency_type,
            area=agency.area,
            system_actor="benchmark",
        )
    t = time.perf_counter()
    with transaction.atomic():
        load_resolved(resolved, addresses)
    print(
        f"setup: collected {SourceRecord.objects.count():,} records into {Person.objects.count():,} persons "
        f"(deterministic pass, bulk insert) in {time.perf_counter() - t:.0f} s",
        flush=True,
    )

    from lantern.linkage.frame_cache import cleaned_cache_path
    from lantern.linkage.models import IdentityChange, ReviewPair
    from lantern.linkage.services import linkage_link_new, linkage_run_full

    stages: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(stage: str, _done: int, _total: int) -> None:
        stages.append((stage, time.perf_counter() - started))

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with PeakMemory() as mem:
        started = time.perf_counter()
        run = linkage_run_full(retrain=True, system_actor="benchmark", progress=progress)
        full_s = time.perf_counter() - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    bounds = [*stages, ("end", full_s)]
    stage_s = {name: round(bounds[i + 1][1] - at, 1) for i, (name, at) in enumerate(stages)}
    figures["lantern_full"] = {
        "seconds": full_s,
        "stages": stage_s,
        "stats": run.stats,
        "peak_bytes": mem.peak,
    }
    print(f"Lantern full run: {full_s:.1f} s; stages {stage_s}; peak {_gib(mem.peak)}", flush=True)
    print(f"  stats {run.stats}", flush=True)
    if "bare" in figures:
        ratio = full_s / figures["bare"]["times"]["total"]
        figures["ratio"] = ratio
        print(f"ratio Lantern / bare Splink: {ratio:.2f} (target <= 1.2)", flush=True)

    for label, batch in zip(("warm cache", "cold cache"), batches, strict=True):
        if label == "cold cache":
            cleaned_cache_path().unlink(missing_ok=True)
        ids = collect(batch, addresses, f"linkage benchmark new {label}")
        changes_before = IdentityChange.objects.count()
        with PeakMemory() as mem:
            t = time.perf_counter()
            inc = linkage_link_new(record_ids=ids, system_actor="benchmark")
            inc_s = time.perf_counter() - t
        share = inc_s / full_s
        figures[f"incremental_{label.split()[0]}"] = {
            "seconds": inc_s,
            "share_of_full": share,
            "stats": inc.stats if inc else {},
            "identity_changes": IdentityChange.objects.count() - changes_before,
            "peak_bytes": mem.peak,
        }
        print(
            f"incremental {len(ids):,} records ({label}): {inc_s:.1f} s = {share:.1%} of the full run "
            f"(target <= 3%); peak {_gib(mem.peak)}",
            flush=True,
        )
        print(f"  stats {inc.stats if inc else {}}", flush=True)
    figures["review_pairs"] = ReviewPair.objects.count()
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
