"""Evaluate the identity-resolution engine on the synthetic county (no database, no Django).

Generates the county, trains the Splink model on all its records (unsupervised: the ground truth
is used only to score the result), predicts pairs, clusters them with the over-merge guards and
prints pairwise precision / recall / F1, cluster metrics, timings and peak memory.

    .venv/bin/python benchmarks/linkage_engine_eval.py --size demo
    .venv/bin/python benchmarks/linkage_engine_eval.py --size county --threads 2
    .venv/bin/python benchmarks/linkage_engine_eval.py --size county --json var/linkage-county.json
    LANTERN_LINKAGE_BACKEND=spark python benchmarks/linkage_engine_eval.py --size demo  # needs .[spark]

Peak memory is the process's maximum resident set size (resource.getrusage), which includes the
generator's own footprint (the county size alone peaks at about 1.7 GiB); with the Spark backend
the JVM's own peak (a child process) is reported separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mib() -> float:
    """Peak resident memory (VmHWM) of the live descendant processes, summed: the Spark backend's
    JVM runs as a child, which this process's own peak does not include (Linux /proc only)."""
    parents: dict[int, int] = {}
    peaks: dict[int, float] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        pid = int(status.parent.name)
        parents[pid] = int(fields.get("PPid", "0").strip())
        if "VmHWM" in fields:
            peaks[pid] = int(fields["VmHWM"].split()[0]) / 1024
    me = os.getpid()
    descendants = {me}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in descendants and pid not in descendants:
                descendants.add(pid)
                changed = True
    return sum(peaks.get(pid, 0.0) for pid in descendants - {me})


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="demo", choices=["tiny", "demo", "county"])
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--as-of", default="2026-11-28", help="generator as_of date (ISO)")
    parser.add_argument(
        "--backend",
        default=None,
        choices=["duckdb", "spark"],
        help="linkage backend (default: LANTERN_LINKAGE_BACKEND, else duckdb)",
    )
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads / Spark local[N]")
    parser.add_argument(
        "--memory-limit", default=None, help="DuckDB memory limit / Spark driver memory, e.g. 8GB"
    )
    parser.add_argument("--threshold", type=float, default=0.95, help="clustering threshold (probability)")
    parser.add_argument("--review-lower", type=float, default=0.5)
    parser.add_argument(
        "--predict-floor", type=float, default=0.01, help="lowest probability kept by predict"
    )
    parser.add_argument(
        "--no-guards", action="store_true", help="plain connected components (for comparison)"
    )
    parser.add_argument("--model-out", default=None, help="save the trained model JSON here")
    parser.add_argument("--json", dest="json_out", default=None, help="write all figures as JSON here")
    parser.add_argument("--verbose", action="store_true", help="show Splink's log")
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if not args.verbose:  # Splink logs "level not observed" warnings that the engine handles itself
        logging.getLogger("splink").setLevel(logging.ERROR)

    from lantern.analytics.linkage import (
        ClusterSettings,
        EngineConfig,
        clean_records,
        cluster_pairs,
        evaluate_clusters,
        frame_from_generator,
        predict_pairs,
        train_model,
    )
    from lantern.synthetic.generator import generate

    config = EngineConfig(backend=args.backend, threads=args.threads, memory_limit=args.memory_limit)
    figures: dict = {
        "size": args.size,
        "seed": args.seed,
        "as_of": args.as_of,
        "threads": args.threads,
        "backend": config.resolved_backend(),
    }
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    county = generate(args.size, seed=args.seed, as_of=dt.date.fromisoformat(args.as_of))
    timings["generate_s"] = time.perf_counter() - t0
    truth = dict(county.truth)
    t0 = time.perf_counter()
    frame = frame_from_generator(county.records, county.addresses)
    report: dict[str, int] = {}
    clean = clean_records(frame, as_of=dt.date.fromisoformat(args.as_of), report=report)
    timings["clean_s"] = time.perf_counter() - t0
    figures["records"] = len(clean)
    figures["true_people"] = len(set(truth.values()))
    figures["values_cleaned_to_null"] = report
    del county, frame

    t0 = time.perf_counter()
    model = train_model(clean, config=config)
    timings["train_s"] = time.perf_counter() - t0
    if args.model_out:
        model.save(args.model_out)

    stats: dict = {}
    t0 = time.perf_counter()
    pairs = predict_pairs(clean, model, args.predict_floor, config=config, stats=stats)
    timings["predict_s"] = time.perf_counter() - t0
    figures["pairs_scored"] = stats["candidate_pairs"]
    figures["pairs_at_or_above_predict_floor"] = len(pairs)
    figures["pairs_at_or_above_threshold"] = int((pairs["match_probability"] >= args.threshold).sum())

    settings = ClusterSettings(
        threshold=args.threshold,
        review_lower=args.review_lower,
        guard_conflicts=not args.no_guards,
        guard_forenames=not args.no_guards,
        cut_weak_bridges=not args.no_guards,
    )
    t0 = time.perf_counter()
    result = cluster_pairs(
        pairs[["unique_id_l", "unique_id_r", "match_probability", "match_weight"]], clean, settings
    )
    timings["cluster_s"] = time.perf_counter() - t0
    actions: dict[str, int] = {}
    for act in result.guard_actions:
        actions[act["action"]] = actions.get(act["action"], 0) + 1
    figures["guard_actions"] = actions
    figures["review_pairs"] = len(result.review_pairs)

    t0 = time.perf_counter()
    scores = evaluate_clusters(result.cluster_of(), truth, clean)
    timings["evaluate_s"] = time.perf_counter() - t0
    figures.update(scores)
    figures["timings"] = {k: round(v, 2) for k, v in timings.items()}
    figures["peak_rss_mib"] = round(_peak_mib(), 1)
    figures["children_peak_rss_mib"] = round(_children_peak_mib(), 1)
    figures["model_version"] = model.model_version
    figures["prior"] = model.probability_two_random_records_match

    pw, cs = scores["pairwise"], scores["clusters"]
    print(
        f"size={args.size} seed={args.seed} as_of={args.as_of} threads={args.threads} backend={figures['backend']}"
    )
    print(f"records                 {figures['records']:,} ({figures['true_people']:,} true people)")
    print(f"pairs scored (blocked)  {figures['pairs_scored']:,}")
    print(f"pairs p>={args.predict_floor:<5}          {figures['pairs_at_or_above_predict_floor']:,}")
    print(f"pairs p>={args.threshold:<5}          {figures['pairs_at_or_above_threshold']:,}")
    for key, value in figures["timings"].items():
        print(f"time {key:<18} {value:,.2f}")
    print(f"peak RSS                {figures['peak_rss_mib']:,.0f} MiB")
    if figures["children_peak_rss_mib"]:
        print(f"peak RSS of children    {figures['children_peak_rss_mib']:,.0f} MiB (e.g. Spark's JVM)")
    print(f"pairwise precision      {pw['precision']:.5f}")
    print(f"pairwise recall         {pw['recall']:.5f}")
    print(f"pairwise F1             {pw['f1']:.5f}")
    print(
        f"  TP / predicted / true pairs  {pw['true_positive_pairs']:,} / {pw['predicted_pairs']:,} / {pw['true_pairs']:,}"
    )
    print(f"clusters predicted/true {cs['predicted_clusters']:,} / {cs['true_clusters']:,}")
    print(
        f"true persons split      {cs['true_persons_split']:,} ({cs['share_true_persons_split']:.4%} of multi-record persons)"
    )
    print(
        f"predicted merged        {cs['predicted_clusters_merged']:,} ({cs['share_predicted_clusters_merged']:.4%} of multi-record clusters)"
    )
    print(f"exact cluster matches   {cs['exact_cluster_matches']:,}")
    print(f"conflicting clusters    {cs['clusters_with_strong_conflicts']}")
    print(f"guard actions           {actions}")
    print(f"review pairs            {figures['review_pairs']:,}")
    print(f"values cleaned to NULL  {report}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
