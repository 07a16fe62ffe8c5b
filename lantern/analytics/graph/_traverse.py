"""Bounded traversals: the neighbourhood of some entities to N hops, and the shortest paths between
two entities, each with the links that make it.

Both are bounded, because the issue's bad input is "6 hops on a dense graph": a request for more hops
than ``max_hops`` is answered with ``max_hops`` and says so, and a neighbourhood stops before it
passes ``max_nodes`` entities, keeping whole hops (a partial hop would show some of a person's links
and silently hide others) and saying where it stopped. Only when the first hop alone passes the cap
does it show part of a hop — the first ``max_nodes`` in the graph's (deterministic) order — and it
says that too.

Links are followed in both directions (an association reaches both ways); only links in the graph
given are followed (see :func:`lantern.analytics.graph.subgraph_visible`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lantern.analytics.graph._model import GraphError, LinkGraph, NodeKind

__all__ = [
    "DEFAULT_MAX_HOPS",
    "DEFAULT_MAX_NODES",
    "Neighbourhood",
    "Path",
    "Paths",
    "ReachedNode",
    "neighbourhood",
    "shortest_paths",
]

DEFAULT_MAX_HOPS = 3
DEFAULT_MAX_NODES = 1000
DEFAULT_MAX_PATH_LENGTH = 6
DEFAULT_MAX_PATHS = 10
DEFAULT_MAX_VISITED = 200_000


@dataclass(frozen=True, slots=True)
class ReachedNode:
    id: str
    kind: NodeKind
    hops: int
    via_link: str | None  # the first link (in link order) from an entity one hop nearer; None for a start


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """The entities within ``hops`` of the starts and every link among them (the evidence)."""

    start_ids: tuple[str, ...]
    hops_requested: int
    hops: int
    nodes: tuple[ReachedNode, ...]
    link_ids: tuple[str, ...]
    truncated: bool
    message: str | None

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)


@dataclass(frozen=True, slots=True)
class Path:
    """One shortest path: its entities in order and, for each step, every link joining that pair
    (two sources recording the same association are both evidence)."""

    node_ids: tuple[str, ...]
    step_link_ids: tuple[tuple[str, ...], ...]

    @property
    def link_ids(self) -> tuple[str, ...]:
        return tuple(link for step in self.step_link_ids for link in step)

    @property
    def length(self) -> int:
        return len(self.step_link_ids)


@dataclass(frozen=True, slots=True)
class Paths:
    source_id: str
    target_id: str
    length: int | None  # None: no connection found within the bound
    paths: tuple[Path, ...]
    truncated: bool
    message: str | None


def _start_vertices(graph: LinkGraph, start_ids: Iterable[str]) -> list[int]:
    starts: list[int] = []
    for node_id in start_ids:
        vertex = graph.vertex(node_id)
        if vertex not in starts:
            starts.append(vertex)
    if not starts:
        raise GraphError("a neighbourhood needs at least one start entity")
    return starts


def neighbourhood(
    graph: LinkGraph,
    start_ids: Iterable[str],
    hops: int,
    *,
    max_hops: int = DEFAULT_MAX_HOPS,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Neighbourhood:
    """The entities within ``hops`` links of any start (bounded by ``max_hops`` and ``max_nodes``)
    and every link among them. ``truncated`` and ``message`` say when a bound cut it short."""
    if hops < 0:
        raise GraphError("hops cannot be negative")
    if max_nodes < 1 or max_hops < 0:
        raise GraphError("max_nodes must be at least 1 and max_hops at least 0")
    starts = _start_vertices(graph, start_ids)
    messages: list[str] = []
    depth_limit = hops
    if hops > max_hops:
        depth_limit = max_hops
        messages.append(
            f"{hops} hops were asked for; a neighbourhood is limited to {max_hops}, so this shows {max_hops}."
        )
    if len(starts) > max_nodes:
        raise GraphError(f"{len(starts)} start entities is more than the limit of {max_nodes}")

    hop_of: dict[int, int] = dict.fromkeys(starts, 0)
    frontier = starts
    hops_shown = depth_limit
    for depth in range(1, depth_limit + 1):
        level: dict[int, None] = {}
        overflow = False
        budget = max_nodes - len(hop_of)
        # each frontier entity's neighbours, listed by igraph in C; kept in the order found
        for neighbours in graph.graph.neighborhood(frontier, order=1, mindist=1):
            for other in neighbours:
                if other in hop_of or other in level:
                    continue
                if len(level) == budget:
                    overflow = True
                    break
                level[other] = None
            if overflow:
                break
        if overflow and depth > 1:
            messages.append(
                f"{depth} hops would pass the limit of {max_nodes} entities, so this shows "
                f"{depth - 1} hop{'s' if depth - 1 != 1 else ''}: narrow the request (fewer hops, "
                "or filter by link type, period or grading)."
            )
            hops_shown = depth - 1
            break
        for vertex in level:
            hop_of[vertex] = depth
        if overflow:  # the first hop alone passes the cap: keep the first ones found
            hops_shown = 1 if level else 0
            messages.append(
                f"The start {'has' if len(starts) == 1 else 'entities have'} more direct links than the "
                f"limit of {max_nodes} entities allows, so this shows only the first {len(level)} "
                "entities linked: filter by link type, period or grading."
            )
            break
        if not level:
            break
        frontier = list(level)

    among = graph.links_among(hop_of)
    via: dict[int, int] = {}  # the first link (in link order) from an entity one hop nearer
    for edge, u, v in among:
        for near, far in ((u, v), (v, u)):
            if hop_of[near] + 1 == hop_of[far] and far not in via:
                via[far] = edge
    reached = tuple(
        ReachedNode(
            id=graph.nodes[vertex].id,
            kind=graph.nodes[vertex].kind,
            hops=depth,
            via_link=graph.links[via[vertex]].id if vertex in via else None,
        )
        for vertex, depth in hop_of.items()
    )
    return Neighbourhood(
        start_ids=tuple(graph.nodes[v].id for v in starts),
        hops_requested=hops,
        hops=hops_shown,
        nodes=reached,
        link_ids=tuple(graph.links[edge].id for edge, _, _ in among),
        truncated=bool(messages),
        message=" ".join(messages) or None,
    )


def shortest_paths(
    graph: LinkGraph,
    a: str,
    b: str,
    *,
    max_length: int = DEFAULT_MAX_PATH_LENGTH,
    max_paths: int = DEFAULT_MAX_PATHS,
    max_visited: int = DEFAULT_MAX_VISITED,
) -> Paths:
    """Every shortest path from ``a`` to ``b`` (up to ``max_paths`` of them), searching at most
    ``max_length`` links out and ``max_visited`` entities. Each path lists the links of each step."""
    source = graph.vertex(a)
    target = graph.vertex(b)
    if source == target:
        raise GraphError("a path needs two different entities")
    distance: dict[int, int] = {source: 0}
    frontier = [source]
    found = False
    cut_short: str | None = None
    for depth in range(1, max_length + 1):
        level: list[int] = []
        for vertex in frontier:
            for edge in graph.incident(vertex):
                other = graph.other_end(edge, vertex)
                if other not in distance:
                    distance[other] = depth
                    level.append(other)
                    found = found or other == target
        if found or not level:
            break
        if len(distance) > max_visited:
            cut_short = (
                f"The search stopped after {depth} links, having passed the limit of {max_visited} "
                "entities, without finding a connection."
            )
            break
        frontier = level
    if not found:
        message = cut_short or f"No connection within {max_length} links in this graph."
        return Paths(graph.nodes[source].id, graph.nodes[target].id, None, (), cut_short is not None, message)

    length = distance[target]
    # Walk back from the target: a neighbour one step nearer the source lies on a shortest path.
    paths: list[list[int]] = []
    truncated = False
    stack: list[list[int]] = [[target]]
    while stack:
        partial = stack.pop()
        head = partial[-1]
        if head == source:
            if len(paths) == max_paths:
                truncated = True
                break
            paths.append(partial[::-1])
            continue
        previous = sorted(
            {
                graph.other_end(edge, head)
                for edge in graph.incident(head)
                if distance.get(graph.other_end(edge, head)) == distance[head] - 1
            },
            reverse=True,
        )
        stack.extend([*partial, p] for p in previous)

    result = tuple(
        Path(
            node_ids=tuple(graph.nodes[v].id for v in vertices),
            step_link_ids=tuple(
                _links_between(graph, u, v) for u, v in zip(vertices, vertices[1:], strict=False)
            ),
        )
        for vertices in paths
    )
    more = f"There are more than {max_paths} shortest paths; these are the first {max_paths}."
    return Paths(
        graph.nodes[source].id, graph.nodes[target].id, length, result, truncated, more if truncated else None
    )


def _links_between(graph: LinkGraph, u: int, v: int) -> tuple[str, ...]:
    return tuple(graph.links[edge].id for edge in sorted(graph.incident(u)) if graph.other_end(edge, u) == v)
