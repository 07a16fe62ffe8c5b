"""Reads of the association map. A viewer's graph holds only what the policy lets them see: links
their agency may see (controller, sharing agreement, handling code) whose two ends they may see — a
person only with a legitimate relationship, any other entity only through a link they may see. The
pure analyses (`lantern.analytics.graph`) are given that graph and nothing else, so a hidden link is
never traversed, returned or counted. Viewing a map is a consultation of every person shown in it."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from lantern.access.policy import Viewer, item_visibility_q, relationship_q
from lantern.analytics import graph as g
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied
from lantern.core.timeutils import age_on, local, now
from lantern.people.models import Person, PersonCategory

from .models import Entity, Link, PeerMap


@dataclass(frozen=True)
class Filters:
    link_types: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    reliability_at_least: str = ""  # "B": only links graded A or B (ungraded links are left out)

    def q(self) -> Q:
        q = Q()
        if self.link_types:
            q &= Q(link_type__in=self.link_types)
        if self.since:
            q &= Q(ends_on__isnull=True) | Q(ends_on__gte=self.since)
        if self.until:
            q &= Q(starts_on__isnull=True) | Q(starts_on__lte=self.until)
        if self.reliability_at_least:
            q &= Q(source_reliability__gt="", source_reliability__lte=self.reliability_at_least)
        return q


@dataclass(frozen=True)
class EntityRow:
    """What a map shows of an entity (read as plain values: a county's map has tens of thousands)."""

    pk: int
    kind: str
    label: str
    person_id: uuid.UUID | None
    parsed: bool
    dob: dt.date | None

    def get_kind_display(self) -> str:
        return codelist("network_entity_kind").label(self.kind)


@dataclass
class ViewerGraph:
    graph: g.LinkGraph
    entities: dict[str, EntityRow]  # node id -> entity

    def entity(self, node_id: str) -> EntityRow:
        return self.entities[node_id]


def node_id(entity_id: int) -> str:
    return f"e{entity_id}"


def link_id(pk: int) -> str:
    return f"l{pk}"


def _visible_people(viewer: Viewer, person_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not person_ids:
        return set()
    return set(
        Person.objects.filter(pk__in=list(person_ids))
        .filter(relationship_q(viewer))
        .values_list("pk", flat=True)
    )


def _flags(viewer: Viewer | None, person_ids: set[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    """The categories the viewer may see (all, for a system evaluation) that mark an adult as
    vulnerable or posing risk."""
    flags: dict[uuid.UUID, set[str]] = {}
    rows = PersonCategory.objects.filter(person_id__in=list(person_ids), ends_on__isnull=True).filter(
        category__in=("vulnerable_adult", "adult_posing_risk")
    )
    if viewer is not None:
        rows = rows.filter(item_visibility_q(viewer))
    for person_id, category in rows.values_list("person_id", "category"):
        flags.setdefault(person_id, set()).add(category)
    return flags


def _node(entity: EntityRow, today: dt.date, flags: set[str]) -> g.Node:
    if entity.kind == "person":
        age = age_on(entity.dob, today)
        kind = g.NodeKind.PERSON if age is None else g.NodeKind.CHILD if age < 18 else g.NodeKind.ADULT
        adult_or_unknown = kind is not g.NodeKind.CHILD
        return g.Node(
            node_id(entity.pk), kind, entity.label,
            vulnerable=adult_or_unknown and "vulnerable_adult" in flags,
            posing_risk=adult_or_unknown and "adult_posing_risk" in flags,
        )  # fmt: skip
    attributes = {} if entity.parsed else {"unparsed": True}
    return g.Node(node_id(entity.pk), g.NodeKind(entity.kind), entity.label, attributes=attributes)


_END = ("id", "kind", "label", "person_id", "parsed", "person__display_dob", "person__display_name")
_LINK = (
    "pk", "link_type", "starts_on", "ends_on", "source_reliability", "information_assessment", "handling_code",
    "source_reference", "controller__code", "purpose",
)  # fmt: skip


def _row(values: tuple) -> EntityRow:
    pk, kind, label, person_id, parsed, dob, name = values
    return EntityRow(pk, kind, (name or label) if person_id else label, person_id, parsed, dob)


def _graph(links, viewer: Viewer | None, today: dt.date) -> ViewerGraph:
    """A graph from link rows (with both ends' values): ends that are people the viewer has no
    relationship with are dropped with their links; a system evaluation (no viewer) keeps all."""
    rows = list(links.values_list(*_LINK, *(f"source__{f}" for f in _END), *(f"target__{f}" for f in _END)))
    width = len(_LINK)
    ends = [(_row(r[width : width + 7]), _row(r[width + 7 :])) for r in rows]
    people = {e.person_id for pair in ends for e in pair if e.person_id}
    allowed = people if viewer is None else _visible_people(viewer, people)
    kept = [
        (r, pair)
        for r, pair in zip(rows, ends, strict=True)
        if all(e.person_id in allowed or e.person_id is None for e in pair)
    ]
    entities = {node_id(e.pk): e for _, pair in kept for e in pair}
    flags = _flags(viewer, allowed)
    graph = g.subgraph_visible(
        [_node(e, today, flags.get(e.person_id, set())) for e in entities.values()],
        [
            g.Link(
                id=link_id(r[0]),
                source=node_id(source.pk),
                target=node_id(target.pk),
                type=g.LinkType(r[1]),
                start=r[2],
                end=r[3],
                source_reliability=r[4] or None,
                information_assessment=int(r[5]) if r[5] else None,
                handling_code=r[6],
                source_reference=r[7],
                controller=r[8],
                purpose=r[9],
            )  # fmt: skip
            for r, (source, target) in kept
        ],
        may_see_node=lambda _node: True,  # chosen above: every end of a visible link
        may_see_link=lambda _link: True,
    )
    return ViewerGraph(graph=graph, entities=entities)


def viewer_graph(viewer: Viewer, filters: Filters = Filters()) -> ViewerGraph:  # noqa: B008 (frozen)
    """The whole map as this viewer may see it: the links the policy lets their agency see (in SQL)
    whose ends they may see (a person only with a legitimate relationship), and the entities those
    links join. An entity reached only by links they may not see is not in it at all."""
    links = Link.objects.filter(item_visibility_q(viewer)).filter(filters.q())
    return _graph(links, viewer, local(viewer.at).date())


def entity_visible(viewer: Viewer, entity_id: int) -> Entity | None:
    """The entity if the viewer may see it (a person: a legitimate relationship; anything else: it is
    in their map, or their agency recorded it), else None — never which."""
    entity = Entity.objects.filter(pk=entity_id).select_related("person").first()
    if entity is None:
        return None
    if entity.person_id is not None:
        return entity if _visible_people(viewer, {entity.person_id}) else None
    if entity.controller_id == viewer.agency.pk or node_id(entity.pk) in viewer_graph(viewer).graph.index:
        return entity
    return None


def person_entity_id(person_id: uuid.UUID) -> int | None:
    return Entity.objects.filter(person_id=person_id).values_list("pk", flat=True).first()


@dataclass
class NetworkView:
    start: Entity
    view: ViewerGraph
    neighbourhood: g.Neighbourhood
    nodes: list[tuple[g.ReachedNode, Entity]]
    links: list[Link]


def network_around(
    *,
    viewer: Viewer,
    entity_id: int,
    hops: int = 2,
    expand: tuple[int, ...] = (),
    filters: Filters = Filters(),
) -> NetworkView | None:  # noqa: B008
    """The neighbourhood of an entity (and of any entity the viewer expanded), bounded, as the viewer
    may see it; None if the viewer may not see the start. Audited as a consultation of every person
    shown."""
    view = viewer_graph(viewer, filters)
    start_id = node_id(entity_id)
    if start_id not in view.graph.index:
        return None
    starts = [start_id, *(node_id(e) for e in expand if node_id(e) in view.graph.index)]
    around = g.neighbourhood(view.graph, [start_id], hops)
    if len(starts) > 1:  # an expanded entity brings its own direct links
        extra = g.neighbourhood(view.graph, starts[1:], 1)
        around = _merge(view.graph, around, extra)
    nodes = [(n, view.entities[n.id]) for n in around.nodes]
    by_pk = Link.objects.select_related("source", "target").in_bulk([int(i[1:]) for i in around.link_ids])
    links = [by_pk[int(i[1:])] for i in around.link_ids]
    audit_record(
        code=AuditCode.NETWORK_VIEWED,
        viewer=viewer,
        subjects=[e.person_id for _, e in nodes if e.person_id],
        object_type="network",
        object_id=entity_id,
        justification="Association map viewed",
        details={"hops": around.hops, "entities": len(nodes), "links": len(links), "expanded": list(expand)},
    )
    return NetworkView(view.entities[start_id], view, around, nodes, links)


def _merge(graph: g.LinkGraph, first: g.Neighbourhood, second: g.Neighbourhood) -> g.Neighbourhood:
    seen = {n.id for n in first.nodes}
    nodes = first.nodes + tuple(n for n in second.nodes if n.id not in seen)
    # every link among the shown entities is evidence
    among = graph.links_among(graph.vertex(n.id) for n in nodes)
    links = tuple(graph.links[edge].id for edge, _, _ in among)
    return g.Neighbourhood(
        first.start_ids, first.hops_requested, first.hops, nodes, links,
        first.truncated or second.truncated, first.message or second.message,
    )  # fmt: skip


# --- the map, exports and signals ---------------------------------------------------------------


def map_elements(result: NetworkView) -> list[dict]:
    """Cytoscape elements for the page (labels, kinds and gradings only: what the tables show)."""
    elements: list[dict] = []
    for reached, entity in result.nodes:
        node = result.view.graph.node(reached.id)
        elements.append(
            {
                "data": {
                    "id": reached.id,
                    "entity": entity.pk,
                    "label": node.label,
                    "kind": node.kind.value,
                    "hops": reached.hops,
                    "flag": "posing_risk" if node.posing_risk else "vulnerable" if node.vulnerable else "",
                }
            }
        )
    for link in result.links:
        elements.append(
            {
                "data": {
                    "id": link_id(link.pk),
                    "source": node_id(link.source_id),
                    "target": node_id(link.target_id),
                    "type": link.get_link_type_display(),
                    "grading": f"{link.source_reliability}{link.information_assessment}" or link.note,
                    "handling": link.handling_code or "",
                    "period": f"{link.starts_on or '?'} to {link.ends_on or 'now'}",
                    "source_reference": link.source_reference,
                }
            }
        )
    return elements


# Handling codes a recipient may receive (standards.md §5; 5x5x5 handling codes): within the force,
# everything the viewer may see; another law enforcement agency, 1-3; a safeguarding partner, 2 only.
RECIPIENT_HANDLING = {"force": {1, 2, 3, 4, 5}, "law_enforcement": {1, 2, 3}, "partner": {2}}


def network_export(
    *,
    viewer: Viewer,
    entity_id: int,
    hops: int,
    expand: tuple[int, ...],
    filters: Filters,
    fmt: str,
    recipient: str,
) -> tuple[str, bytes | str, str]:
    """The visible chart as an analyst's export: the same entities and links as the map, less any
    link whose handling code the recipient may not receive (and entities left with no link), never
    a bare list of names. Logged as a disclosure naming every person in it."""
    if not viewer.agency.is_law_enforcement:
        raise AccessDenied("Intelligence charts are exported by the police only.")
    if recipient not in RECIPIENT_HANDLING:
        raise AccessDenied("Say who will receive the export.")
    result = network_around(viewer=viewer, entity_id=entity_id, hops=hops, expand=expand, filters=filters)
    if result is None:
        raise AccessDenied("You cannot see this entity's associations.")
    allowed = RECIPIENT_HANDLING[recipient]
    links = [
        link for link in result.view.graph.links
        if link.id in set(result.neighbourhood.link_ids) and (link.handling_code or 2) in allowed
    ]  # fmt: skip
    linked = {end for link in links for end in (link.source, link.target)} | {node_id(entity_id)}
    nodes = [result.view.graph.node(n.id) for n in result.neighbourhood.nodes if n.id in linked]
    chart = g.build_graph(nodes, links)
    withheld = len(result.neighbourhood.link_ids) - len(links)
    stem = f"lantern-network-{entity_id}"
    if fmt == "graphml":
        out = (f"{stem}.graphml", g.export_graphml(chart), "application/graphml+xml")
    elif fmt == "gexf":
        out = (f"{stem}.gexf", g.export_gexf(chart), "application/gexf+xml")
    else:
        pair = g.export_csv_pair(chart)
        out = (
            f"{stem}.zip",
            _zip({"entities.csv": pair.entities, "links.csv": pair.links}),
            "application/zip",
        )
    audit_record(
        code=AuditCode.NETWORK_EXPORTED,
        viewer=viewer,
        subjects=[
            result.view.entities[n.id].person_id for n in nodes if result.view.entities[n.id].person_id
        ],
        object_type="network_export",
        object_id=entity_id,
        justification=f"Association chart exported for {recipient.replace('_', ' ')}",
        details={
            "format": fmt,
            "entities": len(nodes),
            "links": len(links),
            "withheld_by_handling": withheld,
        },
    )
    return out


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@dataclass
class Signals:
    as_of: dt.date
    cuckooing: list[tuple[g.CuckooingSignal, Entity]]
    proximity: g.LineProximity
    key_adults: tuple[g.KeyAdult, ...]
    lines: dict[str, Entity]
    entities: dict[str, Entity]


def line_activity(view: ViewerGraph) -> list[g.LineActivity]:
    """Each deal line's activity as the viewer may see it: the dates of the links that touch it."""
    dates: dict[str, list[dt.date]] = {}
    for link in view.graph.links:
        for end in (link.source, link.target):
            if view.graph.node(end).kind is g.NodeKind.DEAL_LINE and link.start:
                dates.setdefault(end, []).append(link.start)
    return [g.LineActivity(line, tuple(sorted(days))) for line, days in dates.items()]


def signals(
    *, viewer: Viewer, as_of: dt.date | None = None, window_days: int = 90, min_linked: int = 3
) -> Signals:
    """Cuckooing signals and children within 2 hops of an active deal line, from what the viewer may
    see. Audited as a consultation of every person named."""
    as_of = as_of or local(viewer.at).date()
    view = viewer_graph(viewer)
    cuckooing = g.cuckooing_signals(view.graph, as_of=as_of, window_days=window_days, min_linked=min_linked)
    proximity = g.children_near_active_lines(view.graph, line_activity(view), as_of=as_of)
    adults = g.key_adults(view.graph, min_children=2, measure="pagerank")[:20]
    named = {c.child_id for c in proximity.children} | {a.id for a in adults}
    for s in cuckooing:
        named |= set(s.child_ids) | set(s.adult_posing_risk_ids) | set(s.vulnerable_adult_ids)
    audit_record(
        code=AuditCode.NETWORK_VIEWED,
        viewer=viewer,
        subjects=[view.entities[n].person_id for n in named if view.entities[n].person_id],
        object_type="network_signals",
        justification="Cuckooing signals and children near active deal lines",
        details={"as_of": as_of.isoformat(), "signals": len(cuckooing), "children": len(proximity.children)},
    )
    return Signals(
        as_of=as_of,
        cuckooing=[(s, view.entities[s.address_id]) for s in cuckooing],
        proximity=proximity,
        key_adults=adults,
        lines={lid: view.entities[lid] for lid in (*proximity.active_line_ids, *proximity.inactive_line_ids)},
        entities=view.entities,
    )


def system_graph() -> ViewerGraph:
    """Every entity and link, for a system evaluation against ground truth (never shown to a user)."""
    return _graph(Link.objects.all(), None, local(now()).date())


def peer_maps(*, viewer: Viewer, person_id: uuid.UUID) -> list[PeerMap]:
    """The child's peer maps the viewer may see (the caller opened the child, which was audited)."""
    return list(
        PeerMap.objects.filter(person_id=person_id)
        .filter(relationship_q(viewer, "person_id"))
        .filter(item_visibility_q(viewer))
        .select_related("created_by")
        .order_by("-created_at")
    )


# Link types that put a child in a place or with a person on a day.
_MET = ("co_arrested", "found_with", "associate", "found_at")


def screening_facts(viewer: Viewer, person_id: uuid.UUID) -> list[tuple[str, dt.date | None, str, str]]:
    """What the map says about a child for an exploitation screening, as (kind, day, summary, url):
    linked to an adult posing risk, or found at an address where a vulnerable adult lives (possible
    cuckooing). Only links and people the viewer may see; the adult is never named here."""
    child = Entity.objects.filter(person_id=person_id).first()
    if child is None:
        return []
    links = list(
        Link.objects.filter(item_visibility_q(viewer), link_type__in=_MET)
        .filter(Q(source=child) | Q(target=child))
        .select_related("source", "target")
    )
    others = {(link.target if link.source_id == child.pk else link.source) for link in links}
    people = {e.person_id for e in others if e.person_id}
    posing = {
        p
        for p, flags in _flags(viewer, _visible_people(viewer, people)).items()
        if "adult_posing_risk" in flags
    }
    homes = Link.objects.filter(
        item_visibility_q(viewer), link_type="lives_at", target__in=[e for e in others if e.kind == "address"]
    )
    residents = {(home.target_id, home.source.person_id) for home in homes.select_related("source")}
    vulnerable = {
        p
        for p, flags in _flags(viewer, _visible_people(viewer, {r for _, r in residents})).items()
        if "vulnerable_adult" in flags
    }
    cuckooed = {
        address for address, resident in residents if resident in vulnerable and resident != person_id
    }
    url = reverse("networks:map", args=[child.pk])
    facts = []
    for link in links:
        other = link.target if link.source_id == child.pk else link.source
        what = (
            f"{link.get_link_type_display().lower()} ({link.note})"
            if link.note
            else link.get_link_type_display().lower()
        )
        if other.person_id in posing:
            facts.append(
                ("linked_adult_posing_risk", link.starts_on, f"Linked to an adult posing risk: {what}", url)
            )
        elif other.pk in cuckooed:
            facts.append(
                (
                    "linked_cuckooed_address",
                    link.starts_on,
                    "Found at an address where a vulnerable adult lives",
                    url,
                )
            )
    return facts
