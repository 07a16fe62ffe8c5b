"""The network analyses the exploitation hub asks for, each returning the links that justify it.

Sources (``/work/shared/domain/standards.md`` §2.1, §3; ``/work/shared/domain/peers.md``):

* Peer groups: contextual safeguarding maps a child's peer group; here the groups are communities
  found by Leiden (Traag et al. 2019, ``leidenalg``) with a fixed seed, so the same graph always gives
  the same groups. A group is where to look, never a label for the people in it.
* Key adults: the guidance's indicator "relationships with controlling / older individuals or
  groups". An adult directly linked to several children (family links excluded by default: a parent
  of two children is not a key adult) is ranked by a centrality measure over the whole graph given.
* Children near an active deal line: a deal line is a phone number that changes over time, and the
  report's "active" is "activity in the last six months" — computed from the dates the line was seen,
  never typed. The phones counted are those the line used during those six months.
* Cuckooing: taking over a vulnerable adult's home as a base for dealing; a sign is "more people
  coming and going". Signal: an address where a vulnerable adult lives and which several children or
  adults posing risk who do not live there are linked to (found at, frequents, controls …) within a
  window of days. Undated sightings are not evidence of recent activity, so they do not count.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import leidenalg

from lantern.analytics.graph._model import GraphError, LinkGraph, LinkType, NodeKind
from lantern.analytics.graph._traverse import DEFAULT_MAX_HOPS

__all__ = [
    "ACTIVE_MONTHS",
    "ChildNearLine",
    "CuckooingSignal",
    "KeyAdult",
    "LineActivity",
    "LineProximity",
    "PeerGroup",
    "children_near_active_lines",
    "cuckooing_signals",
    "key_adults",
    "line_is_active",
    "months_before",
    "peer_groups",
]

ACTIVE_MONTHS = 6
DEFAULT_SEED = 2019
Measure = Literal["betweenness", "pagerank", "degree"]


# ======================================================================================== peer groups


@dataclass(frozen=True, slots=True)
class PeerGroup:
    number: int  # 1 = the largest group
    node_ids: tuple[str, ...]
    link_ids: tuple[str, ...]  # the links inside the group

    @property
    def size(self) -> int:
        return len(self.node_ids)


def peer_groups(
    graph: LinkGraph,
    *,
    seed: int = DEFAULT_SEED,
    min_size: int = 2,
    n_iterations: int = 2,
) -> tuple[PeerGroup, ...]:
    """Leiden communities (modularity) of the graph given, largest first, each with its internal
    links; groups smaller than ``min_size`` (lone entities) are left out."""
    if graph.graph.vcount() == 0:
        return ()
    partition = leidenalg.find_partition(
        graph.graph, leidenalg.ModularityVertexPartition, seed=seed, n_iterations=n_iterations
    )
    membership: list[int] = partition.membership
    members: dict[int, list[int]] = {}
    for vertex, community in enumerate(membership):
        members.setdefault(community, []).append(vertex)
    inside: dict[int, list[int]] = {}
    for edge in range(len(graph.links)):
        u, v = graph.ends(edge)
        if membership[u] == membership[v]:
            inside.setdefault(membership[u], []).append(edge)
    ordered = sorted(
        (vertices for vertices in members.values() if len(vertices) >= min_size),
        key=lambda vertices: (-len(vertices), vertices[0]),
    )
    return tuple(
        PeerGroup(
            number=number,
            node_ids=tuple(graph.nodes[v].id for v in vertices),
            link_ids=tuple(graph.links[e].id for e in inside.get(membership[vertices[0]], ())),
        )
        for number, vertices in enumerate(ordered, start=1)
    )


# ========================================================================================= key adults


@dataclass(frozen=True, slots=True)
class KeyAdult:
    rank: int
    id: str
    score: float
    measure: str
    child_ids: tuple[str, ...]
    link_ids: tuple[str, ...]  # the links between this adult and those children


def key_adults(
    graph: LinkGraph,
    *,
    min_children: int = 2,
    measure: Measure = "betweenness",
    link_types: Iterable[LinkType] | None = None,
    betweenness_cutoff: int | None = None,
) -> tuple[KeyAdult, ...]:
    """Adults directly linked to at least ``min_children`` different children (through links of
    ``link_types``; default every type but family), ranked by ``measure`` over the whole graph given
    (betweenness: who sits between others; pagerank; degree), then by children linked, then id."""
    allowed = (
        frozenset(LinkType(t) for t in link_types)
        if link_types is not None
        else frozenset(LinkType) - {LinkType.FAMILY}
    )
    if min_children < 1:
        raise GraphError("min_children must be at least 1")
    candidates: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []
    for vertex, node in enumerate(graph.nodes):
        if node.kind is not NodeKind.ADULT:
            continue
        children: dict[int, None] = {}
        evidence: list[str] = []
        for edge in sorted(graph.incident(vertex)):  # link order, for stable evidence
            link = graph.links[edge]
            other = graph.other_end(edge, vertex)
            if link.type in allowed and graph.nodes[other].kind is NodeKind.CHILD:
                children[other] = None
                evidence.append(link.id)
        if len(children) >= min_children:
            candidates.append((vertex, tuple(graph.nodes[c].id for c in children), tuple(evidence)))
    if not candidates:
        return ()
    vertices = [vertex for vertex, _, _ in candidates]
    if measure == "betweenness":
        scores = graph.graph.betweenness(vertices=vertices, directed=False, cutoff=betweenness_cutoff)
    elif measure == "pagerank":
        ranks = graph.graph.pagerank(directed=False)
        scores = [ranks[v] for v in vertices]
    elif measure == "degree":
        scores = graph.graph.degree(vertices)
    else:
        raise GraphError(f"unknown centrality measure {measure!r} (betweenness, pagerank or degree)")
    ranked = sorted(
        zip(candidates, scores, strict=True),
        key=lambda item: (-item[1], -len(item[0][1]), graph.nodes[item[0][0]].id),
    )
    return tuple(
        KeyAdult(
            rank=rank,
            id=graph.nodes[vertex].id,
            score=float(score),
            measure=measure,
            child_ids=child_ids,
            link_ids=evidence,
        )
        for rank, ((vertex, child_ids, evidence), score) in enumerate(ranked, start=1)
    )


# ============================================================================ lines and their children


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (31 August less 6 months is 28/29 February)."""
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def line_is_active(activity: Iterable[dt.date], as_of: dt.date, *, months: int = ACTIVE_MONTHS) -> bool:
    """Active = activity in the last ``months`` months: on or after the same day ``months`` months
    before ``as_of``, and not after ``as_of`` (an inquiry about a past date ignores later activity)."""
    since = months_before(as_of, months)
    return any(since <= day <= as_of for day in activity)


@dataclass(frozen=True, slots=True)
class LineActivity:
    """A deal line from the register and the dates it was seen in use (calls, test purchases,
    seizures, intelligence)."""

    line_id: str
    activity: tuple[dt.date, ...]

    def last_activity(self, as_of: dt.date) -> dt.date | None:
        return max((day for day in self.activity if day <= as_of), default=None)


@dataclass(frozen=True, slots=True)
class ChildNearLine:
    child_id: str
    line_id: str
    phone_id: str  # the line's phone the child is nearest to
    hops: int  # links from that phone to the child
    link_ids: tuple[str, ...]  # the line → phone link, then the path from the phone to the child


@dataclass(frozen=True, slots=True)
class LineProximity:
    as_of: dt.date
    active_since: dt.date
    active_line_ids: tuple[str, ...]
    inactive_line_ids: tuple[str, ...]
    children: tuple[ChildNearLine, ...]


def children_near_active_lines(
    graph: LinkGraph,
    lines: Iterable[LineActivity],
    *,
    as_of: dt.date,
    hops: int = 2,
    months: int = ACTIVE_MONTHS,
) -> LineProximity:
    """Children within ``hops`` links of a phone an active deal line used in the last ``months``
    months, one row per child and line (the nearest phone, then link order), with the path as
    evidence. Lines not in the graph given are left out of every part of the answer."""
    if not 0 <= hops <= DEFAULT_MAX_HOPS:
        raise GraphError(f"hops must be between 0 and {DEFAULT_MAX_HOPS}")
    since = months_before(as_of, months)
    active: list[str] = []
    inactive: list[str] = []
    found: list[ChildNearLine] = []
    for line in lines:
        line_vertex = graph.index.get(line.line_id)
        if line_vertex is None:
            continue
        if not line_is_active(line.activity, as_of, months=months):
            inactive.append(line.line_id)
            continue
        active.append(line.line_id)
        # The phones the line used during the active window, and the links saying so.
        phone_links: dict[int, list[int]] = {}
        for edge in sorted(graph.incident(line_vertex)):
            link = graph.links[edge]
            phone = graph.other_end(edge, line_vertex)
            if (
                link.type is LinkType.USES_PHONE
                and graph.nodes[phone].kind is NodeKind.PHONE
                and link.overlaps(since, as_of)
            ):
                phone_links.setdefault(phone, []).append(edge)
        distance = dict.fromkeys(phone_links, 0)
        origin = {phone: phone for phone in phone_links}
        via: dict[int, int] = {}
        frontier = list(phone_links)
        for depth in range(1, hops + 1):
            level: list[int] = []
            for vertex in frontier:
                for edge in graph.incident(vertex):
                    other = graph.other_end(edge, vertex)
                    if other not in distance:
                        distance[other] = depth
                        origin[other] = origin[vertex]
                        via[other] = edge
                        level.append(other)
            frontier = level
        for vertex, depth in distance.items():
            if graph.nodes[vertex].kind is not NodeKind.CHILD:
                continue
            path: list[int] = []
            step = vertex
            while step in via:
                path.append(via[step])
                step = graph.other_end(via[step], step)
            phone = origin[vertex]
            found.append(
                ChildNearLine(
                    child_id=graph.nodes[vertex].id,
                    line_id=line.line_id,
                    phone_id=graph.nodes[phone].id,
                    hops=depth,
                    link_ids=tuple(
                        dict.fromkeys(graph.links[e].id for e in [*phone_links[phone], *reversed(path)])
                    ),
                )
            )
    return LineProximity(as_of, since, tuple(active), tuple(inactive), tuple(found))


# ========================================================================================== cuckooing


@dataclass(frozen=True, slots=True)
class CuckooingSignal:
    address_id: str
    vulnerable_adult_ids: tuple[str, ...]
    child_ids: tuple[str, ...]  # children who do not live there, linked within the window
    adult_posing_risk_ids: tuple[str, ...]
    link_ids: tuple[str, ...]  # the vulnerable adults' residence links, then the linking links
    window_start: dt.date
    as_of: dt.date

    @property
    def linked_count(self) -> int:
        return len(self.child_ids) + len(self.adult_posing_risk_ids)


def cuckooing_signals(
    graph: LinkGraph,
    *,
    as_of: dt.date,
    window_days: int = 90,
    min_linked: int = 3,
) -> tuple[CuckooingSignal, ...]:
    """Addresses where a vulnerable adult lives and to which at least ``min_linked`` children or
    adults posing risk who do not live there are linked by a dated link falling in the window
    (``window_days`` before ``as_of`` to ``as_of``, both included). Residence is a ``lives_at`` link
    whose period meets the window (an undated one counts as current)."""
    if window_days < 0 or min_linked < 1:
        raise GraphError("window_days cannot be negative and min_linked must be at least 1")
    window_start = as_of - dt.timedelta(days=window_days)
    signals: list[CuckooingSignal] = []
    for vertex, node in enumerate(graph.nodes):
        if node.kind is not NodeKind.ADDRESS:
            continue
        residents: set[int] = set()
        vulnerable: dict[int, list[str]] = {}
        visits: list[tuple[int, str]] = []
        for edge in sorted(graph.incident(vertex)):  # link order, for stable evidence
            link = graph.links[edge]
            other = graph.other_end(edge, vertex)
            person = graph.nodes[other]
            if link.type is LinkType.LIVES_AT:
                if link.overlaps(window_start, as_of):
                    residents.add(other)
                    if person.vulnerable:
                        vulnerable.setdefault(other, []).append(link.id)
            elif link.dated and link.overlaps(window_start, as_of):
                visits.append((other, link.id))
        if not vulnerable:
            continue
        children: dict[int, None] = {}
        adults: dict[int, None] = {}
        evidence = [link_id for links in vulnerable.values() for link_id in links]
        for other, link_id in visits:
            if other in residents:
                continue
            person = graph.nodes[other]
            if person.kind is NodeKind.CHILD:
                children[other] = None
            elif person.posing_risk:
                adults[other] = None
            else:
                continue
            evidence.append(link_id)
        if len(children) + len(adults) >= min_linked:
            signals.append(
                CuckooingSignal(
                    address_id=node.id,
                    vulnerable_adult_ids=tuple(graph.nodes[v].id for v in vulnerable),
                    child_ids=tuple(graph.nodes[v].id for v in children),
                    adult_posing_risk_ids=tuple(graph.nodes[v].id for v in adults),
                    link_ids=tuple(evidence),
                    window_start=window_start,
                    as_of=as_of,
                )
            )
    signals.sort(key=lambda s: (-s.linked_count, s.address_id))
    return tuple(signals)
