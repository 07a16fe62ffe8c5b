"""Identity resolution at scale (issue 4): bare Splink against Lantern's full resolution on the same
synthetic source records, then an incremental link of newly collected records.

Targets: Lantern's full run <= 1.2x bare Splink end to end; an incremental 1,000-record link
(`linkage_link_new`) <= 3% of the full run.

The records: one synthetic population from `lantern.synthetic.generator`, sized to give at least
`--records` + `--new` agency records. The generator's sizes stop at `county` (200,000 residents,
about 332,000 records), so this script registers a larger size in the generator's table for this
process only: the county's spec with every count scaled by population / 200,000 (same seed and
as_of). Identifiers stay unique because one generator run issues them all. A seeded random sample of
the generated records is taken; `--new` of them are held back for the incremental step.

In one process, in order (the generator is freed first):
1. bare Splink, end to end, from the raw input frame: the engine's cleaning (the settings compare
   its derived columns), Arrow, register in DuckDB, the same settings and training calls as
   `train_model`, predict at p >= 0.5, Splink's connected components at 0.95, clusters to pandas.
2. Setup, not timed: the records are collected into an empty database through
   `people.services.source_records_collect` in batches (as an import would: the deterministic
   identifier pass gives each record a person). No timeline items are loaded, so the writing
   stage moves no items (a real county's would).
3. Lantern's full resolution, end to end: `linkage_run_full(retrain=True)` (read the records from the
   database, clean, train, predict, cluster with guards, assign stable ids, write persons, queue
   review pairs, audit), with its stage times.
4. Collect the held-back records (not timed), then time `linkage_link_new` on them, with the cleaned
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
import math
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

RECORDS_PER_RESIDENT = 1.66  # county: 332,311 records for 200,023 residents
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


def generate_records(wanted: int, seed: int, as_of: dt.date) -> tuple[list, dict, list]:
    from lantern.synthetic import generator

    county = generator.SIZES["county"]
    population = max(400, math.ceil(wanted / RECORDS_PER_RESIDENT * 1.03))
    scale = population / county.population
    spec = generator.SizeSpec(
        population,
        *(max(1, round(getattr(county, f.name) * scale)) for f in dataclasses.fields(county)[1:]),
    )
    name = f"bench-{population}"
    generator.SIZES[name] = spec
    generated = generator.generate(name, seed=seed, as_of=as_of)
    records = list(generated.records)
    if len(records) < wanted:
        raise SystemExit(f"the generator gave {len(records):,} records, fewer than the {wanted:,} wanted")
    chosen = random.Random(seed).sample(records, wanted)
    return chosen, {a.key: a for a in generated.addresses}, list(generated.agencies)


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
    import resource

    import pandas as pd

    logging.getLogger("splink").setLevel(logging.ERROR)
    frame = pd.read_parquet(frame_file)
    result = bare_splink(frame, threads)
    result["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put(result)


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
        records, addresses, agencies = generate_records(
            args.records + 2 * args.new, args.seed, dt.date.fromisoformat(args.as_of)
        )
    print(
        f"generated {len(records):,} records in {time.perf_counter() - t:.0f} s (peak {_gib(mem.peak)})",
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
    collect(resolved, addresses, "linkage benchmark")
    print(
        f"setup: collected {SourceRecord.objects.count():,} records into {Person.objects.count():,} persons "
        f"(deterministic pass) in {time.perf_counter() - t:.0f} s",
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
