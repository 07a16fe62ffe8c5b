"""The entity-and-link model the graph analyses run on, and the one way in: a viewer's visible part.

Entities and links follow FollowTheMoney's split (a node is a person, address, phone …; an edge
carries its own period and source) and i2 Analyst's Notebook's three grades on every link: source
reliability A–E, information assessment 1–5 and handling code 1–5 (5x5x5; ``/work/shared/domain/
peers.md`` §3.1). People are a *child* (under 18), an *adult* or a *person* whose age is not known;
an adult may be flagged ``vulnerable`` (e.g. the tenant of a cuckooed address) or ``posing_risk``
(an adult posing risk to children). Those are roles recorded by practitioners, never a label this
code invents.

Every analysis sees only the :class:`LinkGraph` it is given. A viewer's graph is built with
:func:`subgraph_visible`, which drops hidden entities, hidden links and every link that touches a
hidden entity, so a hidden link is never traversed because it is never there; nothing in the result
counts or mentions what was dropped.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import igraph

__all__ = [
    "AttributeValue",
    "GraphError",
    "Link",
    "LinkGraph",
    "LinkType",
    "Node",
    "NodeKind",
    "RELIABILITY_GRADES",
    "UnknownNodeError",
    "build_graph",
    "subgraph_visible",
]

AttributeValue = str | int | float | bool | dt.date
RELIABILITY_GRADES = ("A", "B", "C", "D", "E")
_EDGE_INDEX = "position"  # igraph edge attribute: the link's position in LinkGraph.links
GRADE_RANGE = range(1, 6)


class GraphError(ValueError):
    """An entity, link or graph that cannot be used, with a message saying which and why."""


class UnknownNodeError(GraphError, KeyError):
    """An entity id that is not in the graph given (it may not exist, or the viewer may not see it:
    the message never says which)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NodeKind(StrEnum):
    PERSON = "person"  # a person whose age is not known
    CHILD = "child"
    ADULT = "adult"
    ADDRESS = "address"
    PHONE = "phone"
    VEHICLE = "vehicle"
    OCG = "ocg"  # organised crime group
    LOCATION = "location"  # station, park, school …
    DEAL_LINE = "deal_line"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    NodeKind.PERSON: "Person",
    NodeKind.CHILD: "Child",
    NodeKind.ADULT: "Adult",
    NodeKind.ADDRESS: "Address",
    NodeKind.PHONE: "Phone",
    NodeKind.VEHICLE: "Vehicle",
    NodeKind.OCG: "Organised crime group",
    NodeKind.LOCATION: "Location",
    NodeKind.DEAL_LINE: "Deal line",
}


class LinkType(StrEnum):
    ASSOCIATE = "associate"
    FAMILY = "family"
    CO_ARRESTED = "co_arrested"
    FOUND_WITH = "found_with"
    LIVES_AT = "lives_at"
    FOUND_AT = "found_at"
    FREQUENTS = "frequents"
    USES_PHONE = "uses_phone"
    DRIVES = "drives"
    MEMBER_OF = "member_of"
    EXPLOITED_BY = "exploited_by"
    CONTROLS = "controls"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").replace("co arrested", "co-arrested")

    @property
    def is_event(self) -> bool:
        """Whether the link records something that happened on a day (arrested together, found with,
        found at) rather than a state that lasts (lives at, uses phone …): an event with no end
        date ended the day it started."""
        return self in _EVENTS

    @property
    def directed_by_default(self) -> bool:
        """Associations between two people have no direction (FtM ``Associate``/``Family``);
        the others read source → target ("A lives at B", "A exploited by B")."""
        return self not in _UNDIRECTED


_EVENTS = frozenset({LinkType.CO_ARRESTED, LinkType.FOUND_WITH, LinkType.FOUND_AT})
_UNDIRECTED = frozenset({LinkType.ASSOCIATE, LinkType.FAMILY, LinkType.CO_ARRESTED, LinkType.FOUND_WITH})


def _as_date(value: Any, what: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise GraphError(f"{what} must be a date (not {type(value).__name__})")
    return value


@dataclass(frozen=True, slots=True)
class Node:
    """One entity. ``label`` is what a chart shows (initials on a peer map); ``attributes`` are
    extra columns carried into the exports (values: text, numbers, booleans or dates)."""

    id: str
    kind: NodeKind
    label: str = ""
    vulnerable: bool = False
    posing_risk: bool = False
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise GraphError("an entity needs a non-empty text id")
        try:
            object.__setattr__(self, "kind", NodeKind(self.kind))
        except ValueError:
            kinds = ", ".join(k.value for k in NodeKind)
            raise GraphError(
                f"entity {self.id}: unknown kind {self.kind!r} (expected one of {kinds})"
            ) from None
        if (self.vulnerable or self.posing_risk) and self.kind not in (NodeKind.ADULT, NodeKind.PERSON):
            raise GraphError(
                f"entity {self.id}: only an adult (or a person of unknown age) can be flagged "
                f"vulnerable or posing risk, not a {self.kind.value}"
            )
        for key, value in self.attributes.items():
            if not isinstance(key, str) or not key:
                raise GraphError(f"entity {self.id}: attribute names must be non-empty text")
            if not isinstance(value, str | int | float | bool | dt.date):
                raise GraphError(
                    f"entity {self.id}: attribute {key!r} must be text, a number, a boolean or a date, "
                    f"not {type(value).__name__}"
                )

    @property
    def is_person(self) -> bool:
        return self.kind in (NodeKind.CHILD, NodeKind.ADULT, NodeKind.PERSON)


@dataclass(frozen=True, slots=True)
class Link:
    """One graded link. ``directed`` defaults from the type; ``start``/``end`` are the period the
    source says the link held (either may be unknown); grades are ``None`` when not graded."""

    id: str
    source: str
    target: str
    type: LinkType
    directed: bool | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    source_reliability: str | None = None  # A–E
    information_assessment: int | None = None  # 1–5
    handling_code: int | None = None  # 1–5
    source_reference: str = ""
    controller: str = ""
    purpose: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise GraphError("a link needs a non-empty text id")
        if not self.source or not self.target:
            raise GraphError(f"link {self.id}: a link needs both a source and a target entity")
        if self.source == self.target:
            raise GraphError(f"link {self.id}: a link cannot join an entity to itself ({self.source})")
        try:
            object.__setattr__(self, "type", LinkType(self.type))
        except ValueError:
            types = ", ".join(t.value for t in LinkType)
            raise GraphError(
                f"link {self.id}: unknown link type {self.type!r} (expected one of {types})"
            ) from None
        if self.directed is None:
            object.__setattr__(self, "directed", self.type.directed_by_default)
        start = _as_date(self.start, f"link {self.id}: the start")
        end = _as_date(self.end, f"link {self.id}: the end")
        if start is not None and end is not None and end < start:
            raise GraphError(
                f"link {self.id}: it ends ({end.isoformat()}) before it starts ({start.isoformat()})"
            )
        if self.source_reliability is not None and self.source_reliability not in RELIABILITY_GRADES:
            raise GraphError(
                f"link {self.id}: source reliability must be one of A–E, not {self.source_reliability!r}"
            )
        for name in ("information_assessment", "handling_code"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value not in GRADE_RANGE):
                raise GraphError(f"link {self.id}: {name.replace('_', ' ')} must be 1–5, not {value!r}")

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None

    @property
    def period_end(self) -> dt.date | None:
        """The last day the link held: its end; for an event with no end, the day it happened;
        otherwise unknown (it still holds)."""
        if self.end is None and self.type.is_event:
            return self.start
        return self.end

    def overlaps(self, low: dt.date, high: dt.date) -> bool:
        """Whether the link's period meets ``[low, high]`` (both inclusive). An unknown start means
        "since before we know"; an unknown :attr:`period_end` means "still holds"."""
        end = self.period_end
        return (self.start is None or self.start <= high) and (end is None or end >= low)


@dataclass(frozen=True, eq=False)
class LinkGraph:
    """Entities and links with their igraph index. Vertex ``i`` is ``nodes[i]`` and edge ``j`` is
    ``links[j]``; the igraph graph is undirected because an association reaches both ways (each
    link keeps its own ``directed`` flag for display and export). Build with :func:`build_graph`
    or :func:`subgraph_visible`."""

    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    graph: igraph.Graph
    index: Mapping[str, int]
    _ends: tuple[array[int], array[int]] = field(repr=False)

    def vertex(self, node_id: str) -> int:
        try:
            return self.index[node_id]
        except KeyError:
            raise UnknownNodeError(f"no entity {node_id!r} in this graph") from None

    def node(self, node_id: str) -> Node:
        return self.nodes[self.vertex(node_id)]

    def other_end(self, edge: int, vertex: int) -> int:
        source = self._ends[0][edge]
        return self._ends[1][edge] if source == vertex else source

    def ends(self, edge: int) -> tuple[int, int]:
        return self._ends[0][edge], self._ends[1][edge]

    def links_among(self, vertices: Iterable[int]) -> list[tuple[int, int, int]]:
        """``(edge, end, other end)`` for every link joining two of ``vertices``, in link order.
        igraph builds the induced subgraph in C, far faster than walking each vertex's links in
        Python when a busy entity is among them; its vertex ``i`` is the ``i``-th of the sorted
        vertices, and each edge carries its position here."""
        ordered = sorted(set(vertices))
        sub = self.graph.induced_subgraph(ordered, implementation="create_from_scratch")
        if sub.ecount() == 0:
            return []
        positions: list[int] = sub.es[_EDGE_INDEX]
        return sorted(
            (edge, ordered[a], ordered[b]) for edge, (a, b) in zip(positions, sub.get_edgelist(), strict=True)
        )

    def incident(self, vertex: int) -> list[int]:
        edges: list[int] = self.graph.incident(vertex)
        return edges

    @property
    def max_handling_code(self) -> int | None:
        """The most restrictive handling code on any link (for the caller's export check)."""
        codes = [link.handling_code for link in self.links if link.handling_code is not None]
        return max(codes) if codes else None


def build_graph(nodes: Iterable[Node], links: Iterable[Link]) -> LinkGraph:
    """A graph of exactly these entities and links. Every link must join two of the entities given:
    call :func:`subgraph_visible` with the viewer's rules rather than filtering by hand."""
    node_tuple = tuple(nodes)
    link_tuple = tuple(links)
    index: dict[str, int] = {}
    for position, node in enumerate(node_tuple):
        if node.id in index:
            raise GraphError(f"entity {node.id} is given twice")
        index[node.id] = position
    sources: array[int] = array("l", bytes(8 * len(link_tuple)))
    targets: array[int] = array("l", bytes(8 * len(link_tuple)))
    seen_links: set[str] = set()
    for position, link in enumerate(link_tuple):
        if link.id in seen_links:
            raise GraphError(f"link {link.id} is given twice")
        seen_links.add(link.id)
        source = index.get(link.source)
        target = index.get(link.target)
        if source is None or target is None:
            # The missing end is not named: it may be an entity this viewer may not see.
            raise GraphError(
                f"link {link.id} joins an entity that is not in this graph "
                "(build a viewer's graph with subgraph_visible, which drops such links)"
            )
        sources[position] = source
        targets[position] = target
    graph = igraph.Graph(n=len(node_tuple), edges=zip(sources, targets, strict=True), directed=False)
    graph.es[_EDGE_INDEX] = range(len(link_tuple))
    return LinkGraph(node_tuple, link_tuple, graph, index, (sources, targets))


def subgraph_visible(
    nodes: Iterable[Node],
    links: Iterable[Link],
    may_see_node: Callable[[Node], bool],
    may_see_link: Callable[[Link], bool],
) -> LinkGraph:
    """The graph a viewer may see: the entities ``may_see_node`` allows, and the links
    ``may_see_link`` allows whose two ends are both visible. Nothing about what was dropped is kept,
    so no analysis can traverse, return or count it."""
    visible_nodes = [node for node in nodes if may_see_node(node)]
    visible_ids = {node.id for node in visible_nodes}
    visible_links = [
        link
        for link in links
        if link.source in visible_ids and link.target in visible_ids and may_see_link(link)
    ]
    return build_graph(visible_nodes, visible_links)
