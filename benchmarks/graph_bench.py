"""Graph analytics at scale (issue 7): a seeded synthetic graph of 1,000,000 links, and

* build time: the model objects (every link validated), then the igraph index;
* the 2-hop neighbourhood of random entities (target p95 <= 50 ms), with the default cap of 1,000
  entities and uncapped;
* community detection (Leiden, leidenalg) for the peer groups;
* the same with NetworkX in the same run, for the ratio: building a MultiGraph of the same links,
  ``nx.ego_graph(radius=2)`` and ``nx.community.louvain_communities`` (NetworkX's own Leiden needs a
  backend, so Louvain is its nearest built-in), with both partitions' modularity;
* for reference, igraph's own Louvain (``community_multilevel``) and Leiden (``community_leiden``).

The graph: ~300,000 entities of every kind; link ends drawn with Chung-Lu weights from a Pareto
distribution (shape 1.6), so most entities have a few links and a few have hundreds to about a
thousand (``--max-degree``: a heavy tail like real association data, where a shared phone, address or
station joins many people); self-links redrawn.

    nice -n 10 .venv/bin/python benchmarks/graph_bench.py            # 1,000,000 links, ~15 min
    .venv/bin/python benchmarks/graph_bench.py --links 50000 --nodes 15000 --samples 50   # smoke run

No database, nothing written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

from lantern.analytics.graph import (  # noqa: E402
    Link,
    LinkType,
    Node,
    NodeKind,
    build_graph,
    neighbourhood,
    peer_groups,
)

T = TypeVar("T")

KIND_SHARES = (
    (NodeKind.ADULT, 0.40),
    (NodeKind.CHILD, 0.15),
    (NodeKind.ADDRESS, 0.20),
    (NodeKind.PHONE, 0.20),
    (NodeKind.VEHICLE, 0.03),
    (NodeKind.LOCATION, 0.015),
    (NodeKind.OCG, 0.002),
    (NodeKind.DEAL_LINE, 0.003),
)
PERSON_TYPES = (LinkType.ASSOCIATE, LinkType.CO_ARRESTED, LinkType.FOUND_WITH, LinkType.FAMILY)
TYPE_BY_TARGET = {
    NodeKind.ADDRESS: (LinkType.LIVES_AT, LinkType.FOUND_AT, LinkType.FREQUENTS),
    NodeKind.LOCATION: (LinkType.FOUND_AT, LinkType.FREQUENTS),
    NodeKind.PHONE: (LinkType.USES_PHONE,),
    NodeKind.VEHICLE: (LinkType.DRIVES,),
    NodeKind.OCG: (LinkType.MEMBER_OF, LinkType.EXPLOITED_BY),
    NodeKind.DEAL_LINE: (LinkType.CONTROLS, LinkType.EXPLOITED_BY),
}


def say(message: str) -> None:
    print(message, flush=True)


def timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    say(f"  {label} …")
    began = time.perf_counter()
    result = work()
    took = time.perf_counter() - began
    say(f"  {label}: {took:.1f} s")
    return result, took


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


Raw = tuple[list[Node], list[tuple[int, int, LinkType, dt.date, dt.date | None, str, int, int]]]


def synthetic(nodes: int, links: int, seed: int, max_degree: int) -> Raw:
    """Entities and the raw columns of every link (drawn with numpy, not timed as model building)."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(KIND_SHARES), size=nodes, p=np.array([s for _, s in KIND_SHARES]))
    node_list = [Node(f"e{i}", KIND_SHARES[k][0]) for i, k in enumerate(kinds.tolist())]
    weights = rng.pareto(1.6, nodes) + 1.0
    for _ in range(5):  # cap the expected degree of the busiest entities at about max_degree
        weights = np.minimum(weights, max_degree / (2 * links) * weights.sum())
    probability = weights / weights.sum()
    sources = rng.choice(nodes, size=links, p=probability)
    targets = rng.choice(nodes, size=links, p=probability)
    while (same := sources == targets).any():
        targets[same] = rng.choice(nodes, size=int(same.sum()), p=probability)
    base = dt.date(2020, 1, 1)
    start_days = rng.integers(0, 2400, size=links).tolist()
    lengths = rng.integers(0, 400, size=links).tolist()
    ended = (rng.random(links) < 0.4).tolist()
    reliability = rng.choice(list("ABCDE"), size=links).tolist()
    assessment = rng.integers(1, 6, size=links).tolist()
    handling = rng.integers(1, 6, size=links).tolist()
    pick = rng.integers(0, 12, size=links).tolist()
    raw = []
    for position, (s, t) in enumerate(zip(sources.tolist(), targets.tolist(), strict=True)):
        kind_s, kind_t = node_list[s].kind, node_list[t].kind
        if kind_t not in TYPE_BY_TARGET and kind_s in TYPE_BY_TARGET:
            s, t, kind_t = t, s, kind_s
        types = TYPE_BY_TARGET.get(kind_t, PERSON_TYPES)
        start = base + dt.timedelta(days=start_days[position])
        end = start + dt.timedelta(days=lengths[position]) if ended[position] else None
        raw.append(
            (
                s,
                t,
                types[pick[position] % len(types)],
                start,
                end,
                reliability[position],
                assessment[position],
                handling[position],
            )
        )
    return node_list, raw


def make_links(raw: Raw) -> list[Link]:
    links: list[Link] = []
    for position, (s, t, link_type, start, end, reliability, assessment, handling) in enumerate(raw[1]):
        if position and position % 250_000 == 0:
            say(f"    {position:,} links")
        links.append(
            Link(
                f"k{position}",
                f"e{s}",
                f"e{t}",
                link_type,
                start=start,
                end=end,
                source_reliability=reliability,
                information_assessment=assessment,
                handling_code=handling,
                source_reference=f"INT/{position}",
            )
        )
    return links


def to_multigraph(nodes: list[Node], links: list[Link]) -> nx.MultiGraph:
    graph = nx.MultiGraph()
    graph.add_nodes_from((node.id, {"node": node}) for node in nodes)
    graph.add_edges_from((link.source, link.target, link.id, {"link": link}) for link in links)
    return graph


def time_neighbourhoods(
    label: str, starts: list[str], run: Callable[[str], int]
) -> tuple[list[float], list[int]]:
    times: list[float] = []
    sizes: list[int] = []
    for count, start in enumerate(starts, start=1):
        began = time.perf_counter()
        sizes.append(run(start))
        times.append((time.perf_counter() - began) * 1000)
        if count % 50 == 0 or count == len(starts):
            say(f"    {label}: {count}/{len(starts)}")
    return times, sizes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--nodes", type=int, default=300_000)
    parser.add_argument(
        "--samples", type=int, default=200, help="random start entities for the 2-hop timings"
    )
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--max-degree", type=int, default=1000, help="expected links of the busiest entities")
    parser.add_argument(
        "--skip-networkx-communities", action="store_true", help="NetworkX Louvain takes minutes"
    )
    args = parser.parse_args()

    say(f"graph: {args.nodes:,} entities, {args.links:,} links, seed {args.seed}")
    say("building")
    raw, _ = timed(
        "drawing the synthetic graph (numpy)",
        lambda: synthetic(args.nodes, args.links, args.seed, args.max_degree),
    )
    nodes = raw[0]
    links, t_objects = timed("model objects: every link validated", lambda: make_links(raw))
    graph, t_igraph = timed("igraph index (build_graph)", lambda: build_graph(nodes, links))
    nxg, t_nx = timed("networkx MultiGraph of the same links", lambda: to_multigraph(nodes, links))
    gc.collect()
    gc.freeze()  # a long-lived graph: keep the collector from rescanning a million objects
    degrees = graph.graph.degree()
    say(
        f"  degree: mean {statistics.fmean(degrees):.1f}, median {statistics.median(degrees):.0f}, "
        f"p99 {sorted(degrees)[int(0.99 * len(degrees))]}, max {max(degrees):,}"
    )

    rng = random.Random(args.seed)
    starts = [graph.nodes[rng.randrange(len(graph.nodes))].id for _ in range(args.samples)]
    say(f"2-hop neighbourhoods of {args.samples} random entities")
    capped: list[bool] = []

    def lantern_capped(start: str) -> int:
        result = neighbourhood(graph, [start], 2)
        capped.append(result.truncated)
        return len(result.nodes)

    def lantern_uncapped(start: str) -> int:
        return len(neighbourhood(graph, [start], 2, max_nodes=len(graph.nodes)).nodes)

    def networkx_ego(start: str) -> int:
        return nx.ego_graph(nxg, start, radius=2).number_of_nodes()

    for start in starts[:20]:  # warm up: the first calls pay for caches and lazy imports
        neighbourhood(graph, [start], 2)
        nx.ego_graph(nxg, start, radius=2)
    t_cap, n_cap = time_neighbourhoods("lantern, capped at 1,000", starts, lantern_capped)
    t_all, n_all = time_neighbourhoods("lantern, uncapped", starts, lantern_uncapped)
    t_nx2, n_nx2 = time_neighbourhoods("networkx ego_graph", starts, networkx_ego)
    if n_all != n_nx2:
        raise SystemExit("the uncapped neighbourhoods and networkx's ego graphs differ in size")

    say("communities")
    groups, t_leiden = timed("Leiden (peer_groups)", lambda: peer_groups(graph))
    membership = [0] * len(graph.nodes)
    for group in groups:
        for node_id in group.node_ids:
            membership[graph.index[node_id]] = group.number
    lone = len(groups) + 1
    for vertex, number in enumerate(membership):
        if number == 0:
            membership[vertex] = lone
            lone += 1
    q_leiden = graph.graph.modularity(membership)
    louvain, t_ig_louvain = timed("igraph Louvain (community_multilevel)", graph.graph.community_multilevel)
    q_ig_louvain = louvain.modularity
    igraph_leiden, t_ig_leiden = timed(
        "igraph's own Leiden (community_leiden, modularity)",
        lambda: graph.graph.community_leiden(objective_function="modularity", n_iterations=2),
    )
    q_ig_leiden = graph.graph.modularity(igraph_leiden.membership)
    t_nx_louvain = q_nx_louvain = None
    if not args.skip_networkx_communities:
        say("  (networkx Louvain is pure Python: several minutes at a million links)")
        nx_parts, t_nx_louvain = timed(
            "networkx louvain_communities", lambda: nx.community.louvain_communities(nxg, seed=args.seed)
        )
        nx_membership = [0] * len(graph.nodes)
        for number, part in enumerate(nx_parts):
            for node_id in part:
                nx_membership[graph.index[node_id]] = number
        q_nx_louvain = graph.graph.modularity(nx_membership)

    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    say("")
    say("| measure | Lantern (igraph/leidenalg) | NetworkX | ratio NetworkX / Lantern |")
    say("|---|---|---|---|")
    say(
        f"| build ({args.links:,} links; model objects {t_objects:.1f} s first) | {t_igraph:.1f} s | {t_nx:.1f} s | {t_nx / t_igraph:.1f}× |"
    )
    say(
        f"| 2-hop neighbourhood p50 / p95 / max, uncapped (ms) | {statistics.median(t_all):.2f} / {p95(t_all):.2f} / "
        f"{max(t_all):.1f} | {statistics.median(t_nx2):.2f} / {p95(t_nx2):.2f} / {max(t_nx2):.1f} | "
        f"{statistics.median(t_nx2) / statistics.median(t_all):.1f}× / {p95(t_nx2) / p95(t_all):.1f}× |"
    )
    say(
        f"| 2-hop neighbourhood p50 / p95 / max, default cap 1,000 (ms) | {statistics.median(t_cap):.2f} / "
        f"{p95(t_cap):.2f} / {max(t_cap):.1f} | (no cap) | {p95(t_nx2) / p95(t_cap):.1f}× at p95 |"
    )
    nx_comm = f"{t_nx_louvain:.1f} s (Louvain; Q {q_nx_louvain:.3f})" if t_nx_louvain else "skipped"
    ratio = f"{t_nx_louvain / t_leiden:.1f}×" if t_nx_louvain else "–"
    say(
        f"| communities | {t_leiden:.1f} s (Leiden; Q {q_leiden:.3f}, {len(groups):,} groups) | {nx_comm} | {ratio} |"
    )
    say(f"| communities, igraph Louvain for reference | {t_ig_louvain:.1f} s (Q {q_ig_louvain:.3f}) | | |")
    say(f"| communities, igraph's own Leiden for reference | {t_ig_leiden:.1f} s (Q {q_ig_leiden:.3f}) | | |")
    say("")
    say(
        f"2-hop entities returned: median {statistics.median(n_all):.0f}, p95 {p95([float(n) for n in n_all]):.0f}, "
        f"max {max(n_all):,}; capped at 1,000 in {sum(capped)} of {len(capped)}"
    )
    say(
        f"peak RSS {peak_gib:.1f} GiB; load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
