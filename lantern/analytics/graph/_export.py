"""Exports for analysts: an entity CSV + link CSV pair, GraphML and GEXF with time intervals.

Formats (``/work/shared/domain/peers.md`` §3.2–3.3):

* The CSV pair loads into Gephi's data laboratory (node table ``Id``, ``Label``; edge table ``Id``,
  ``Source``, ``Target``, ``Type`` = Directed/Undirected, ``Label``; every other column becomes an
  attribute) and into i2 Analyst's Notebook through an import specification built once (each link
  row carries its three grades, period and source reference). Cells that a spreadsheet would run as
  a formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``
  (OWASP "CSV injection"); so an E.164 phone number reads ``'+447700900123``.
* GraphML (yEd, Cytoscape, Gephi, NetworkX, igraph) and GEXF 1.2 (Gephi's own), written by NetworkX.
  GEXF links carry ``start``/``end`` so Gephi's timeline shows when each held. NetworkX and igraph
  cannot read a graph that mixes directed and undirected links, so both files are undirected with
  each link's direction kept as ``link_source``→``link_target`` and a ``directed`` attribute.

Each export writes exactly the graph it is given: the viewer's graph, already filtered (and the
caller has checked the viewer's handling code permits the export, see ``LinkGraph.max_handling_code``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import networkx as nx

from lantern.analytics.graph._model import AttributeValue, LinkGraph

__all__ = [
    "ENTITY_COLUMNS",
    "LINK_COLUMNS",
    "CsvPair",
    "export_csv_pair",
    "export_gexf",
    "export_graphml",
    "neutralise_cell",
    "to_networkx",
]

ENTITY_COLUMNS = ("Id", "Label", "Kind", "Vulnerable", "Posing risk")
LINK_COLUMNS = (
    "Id",
    "Source",
    "Target",
    "Type",
    "Label",
    "Link type",
    "Start",
    "End",
    "Source reliability",
    "Information assessment",
    "Handling code",
    "Source reference",
    "Controller",
    "Purpose",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _text(value: AttributeValue | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True, slots=True)
class CsvPair:
    entities: str
    links: str


def _write(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([[neutralise_cell(cell) for cell in row] for row in rows])
    return out.getvalue()


def export_csv_pair(graph: LinkGraph) -> CsvPair:
    """``entities.csv`` (one row per entity; its attributes as extra columns) and ``links.csv`` (one
    row per link with its grades), both CSV-injection safe."""
    attribute_names = sorted({key for node in graph.nodes for key in node.attributes})
    taken = {column.casefold() for column in ENTITY_COLUMNS}
    headers = [f"{name} (attribute)" if name.casefold() in taken else name for name in attribute_names]
    entity_rows = [[*ENTITY_COLUMNS, *headers]]
    for node in graph.nodes:
        entity_rows.append(
            [
                node.id,
                node.label or node.id,
                node.kind.value,
                _text(node.vulnerable),
                _text(node.posing_risk),
                *(_text(node.attributes.get(name)) for name in attribute_names),
            ]
        )
    link_rows = [list(LINK_COLUMNS)]
    for link in graph.links:
        link_rows.append(
            [
                link.id,
                link.source,
                link.target,
                "Directed" if link.directed else "Undirected",
                link.type.label,
                link.type.value,
                _text(link.start),
                _text(link.end),
                _text(link.source_reliability),
                _text(link.information_assessment),
                _text(link.handling_code),
                link.source_reference,
                link.controller,
                link.purpose,
            ]
        )
    return CsvPair(_write(entity_rows), _write(link_rows))


def to_networkx(graph: LinkGraph) -> nx.MultiGraph:
    """The graph as a NetworkX ``MultiGraph`` keyed by link id, attributes with no value left out."""
    result = nx.MultiGraph()
    for node in graph.nodes:
        data: dict[str, Any] = {
            "label": node.label or node.id,
            "kind": node.kind.value,
            "vulnerable": node.vulnerable,
            "posing_risk": node.posing_risk,
        }
        for key, value in node.attributes.items():
            data.setdefault(key, value.isoformat() if isinstance(value, dt.date) else value)
        result.add_node(node.id, **data)
    for link in graph.links:
        edge: dict[str, Any] = {
            "link_id": link.id,  # igraph does not read a GraphML edge's own id
            "label": link.type.label,
            "link_type": link.type.value,
            "directed": bool(link.directed),
            "link_source": link.source,
            "link_target": link.target,
        }
        optional = {
            "start": link.start.isoformat() if link.start else None,
            "end": link.end.isoformat() if link.end else None,
            "source_reliability": link.source_reliability,
            "information_assessment": link.information_assessment,
            "handling_code": link.handling_code,
            "source_reference": link.source_reference or None,
            "controller": link.controller or None,
            "purpose": link.purpose or None,
        }
        edge.update({key: value for key, value in optional.items() if value is not None})
        result.add_edge(link.source, link.target, key=link.id, **edge)
    return result


def export_graphml(graph: LinkGraph) -> str:
    """GraphML; each ``<edge>``'s id is the link id."""
    return "\n".join(nx.generate_graphml(to_networkx(graph))) + "\n"


def export_gexf(graph: LinkGraph) -> str:
    """GEXF 1.2 with each link's period as its ``start``/``end`` (dates): a dynamic graph for
    Gephi's timeline. A link with neither date has no interval (it holds throughout)."""
    multigraph = to_networkx(graph)
    for _, _, key, data in multigraph.edges(keys=True, data=True):
        data["id"] = key  # GEXF's edge id
    return "\n".join(nx.generate_gexf(multigraph)) + "\n"
