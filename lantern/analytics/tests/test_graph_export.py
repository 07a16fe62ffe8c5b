"""Analyst exports read back by other tools: the entity + link CSV pair (Gephi data-laboratory and i2
import columns, every grade, formula cells neutralised), GraphML through igraph and NetworkX, and
GEXF with each link's time interval through NetworkX."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import igraph
import networkx as nx
import pytest

from lantern.analytics.graph import (
    ENTITY_COLUMNS,
    LINK_COLUMNS,
    Link,
    LinkGraph,
    LinkType,
    Node,
    NodeKind,
    build_graph,
    export_csv_pair,
    export_gexf,
    export_graphml,
    neutralise_cell,
)

FORMULA = '=HYPERLINK("http://x.invalid","click")'


def analyst_graph() -> LinkGraph:
    nodes = [
        Node(
            "child-1",
            NodeKind.CHILD,
            label="J.B.",
            attributes={"born": dt.date(2011, 3, 4), "district": "Hinckley"},
        ),
        Node(
            "adult-1",
            NodeKind.ADULT,
            label="@risk",
            posing_risk=True,
            attributes={"Label": "clash", "age": 24},
        ),
        Node("tenant", NodeKind.ADULT, label="K.M.", vulnerable=True),
        Node("phone-1", NodeKind.PHONE, label="+447700900123"),
        Node("flat", NodeKind.ADDRESS, label="-12 Station Road"),
        Node("jazz", NodeKind.DEAL_LINE, label="Jazz"),
    ]
    links = [
        Link(
            "L1",
            "child-1",
            "adult-1",
            LinkType.ASSOCIATE,
            start=dt.date(2026, 1, 5),
            end=dt.date(2026, 6, 30),
            source_reliability="B",
            information_assessment=2,
            handling_code=3,
            source_reference="INT/2026/0042",
            controller="LEICS-POL",
            purpose="law_enforcement",
        ),
        Link(
            "L2",
            "child-1",
            "adult-1",
            LinkType.CO_ARRESTED,
            start=dt.date(2026, 3, 1),
            source_reliability="A",
            information_assessment=1,
            handling_code=1,
            source_reference=FORMULA,
        ),
        Link("L3", "adult-1", "phone-1", LinkType.USES_PHONE, start=dt.date(2025, 11, 1)),
        Link("L4", "jazz", "phone-1", LinkType.USES_PHONE, end=dt.date(2026, 10, 31)),
        Link("L5", "tenant", "flat", LinkType.LIVES_AT),
        Link(
            "L6",
            "child-1",
            "flat",
            LinkType.FOUND_AT,
            start=dt.date(2026, 10, 2),
            source_reference="+cmd|' /C calc'!A0",
        ),
    ]
    return build_graph(nodes, links)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_neutralise_cell() -> None:
    for dangerous in ("=1+2", "+44", "-3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_cell(dangerous) == "'" + dangerous
    for safe in ("", "J.B.", "2026-01-05", "44", "a=b"):
        assert neutralise_cell(safe) == safe


def test_csv_pair_has_gephi_and_i2_columns_every_grade_and_reads_back_as_the_same_graph() -> None:
    graph = analyst_graph()
    pair = export_csv_pair(graph)
    entity_header = next(csv.reader(io.StringIO(pair.entities)))
    link_header = next(csv.reader(io.StringIO(pair.links)))
    assert tuple(entity_header[:5]) == ENTITY_COLUMNS == ("Id", "Label", "Kind", "Vulnerable", "Posing risk")
    assert entity_header[5:] == ["Label (attribute)", "age", "born", "district"]  # a clash is renamed
    assert tuple(link_header) == LINK_COLUMNS and link_header[:5] == [
        "Id",
        "Source",
        "Target",
        "Type",
        "Label",
    ]

    entities = {r["Id"]: r for r in rows(pair.entities)}
    links = {r["Id"]: r for r in rows(pair.links)}
    assert set(entities) == {n.id for n in graph.nodes} and set(links) == {lk.id for lk in graph.links}
    assert entities["child-1"]["born"] == "2011-03-04" and entities["child-1"]["Kind"] == "child"
    assert entities["tenant"]["Vulnerable"] == "true" and entities["adult-1"]["Posing risk"] == "true"
    assert links["L1"] == {
        "Id": "L1", "Source": "child-1", "Target": "adult-1", "Type": "Undirected", "Label": "associate",
        "Link type": "associate", "Start": "2026-01-05", "End": "2026-06-30", "Source reliability": "B",
        "Information assessment": "2", "Handling code": "3", "Source reference": "INT/2026/0042",
        "Controller": "LEICS-POL", "Purpose": "law_enforcement",
    }  # fmt: skip
    assert links["L3"]["Type"] == "Directed" and links["L2"]["Label"] == "co-arrested"
    assert links["L5"]["Start"] == "" and links["L5"]["Handling code"] == ""

    # what Gephi's data laboratory builds from the pair: the same entities and links
    rebuilt = nx.MultiGraph()
    rebuilt.add_nodes_from(entities)
    rebuilt.add_edges_from((r["Source"], r["Target"], r["Id"]) for r in links.values())
    assert set(rebuilt.nodes) == {n.id for n in graph.nodes}
    assert sorted((min(u, v), max(u, v), k) for u, v, k in rebuilt.edges(keys=True)) == sorted(
        (min(lk.source, lk.target), max(lk.source, lk.target), lk.id) for lk in graph.links
    )


def test_csv_pair_neutralises_every_formula_cell() -> None:
    pair = export_csv_pair(analyst_graph())
    cells = [
        cell for text in (pair.entities, pair.links) for row in csv.reader(io.StringIO(text)) for cell in row
    ]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    entities = {r["Id"]: r for r in rows(pair.entities)}
    links = {r["Id"]: r for r in rows(pair.links)}
    assert entities["phone-1"]["Label"] == "'+447700900123"
    assert entities["adult-1"]["Label"] == "'@risk" and entities["flat"]["Label"] == "'-12 Station Road"
    assert links["L2"]["Source reference"] == "'" + FORMULA
    assert links["L6"]["Source reference"] == "'+cmd|' /C calc'!A0"


def test_graphml_reads_back_in_igraph_and_networkx(tmp_path: Path) -> None:
    graph = analyst_graph()
    path = tmp_path / "chart.graphml"
    path.write_text(export_graphml(graph), encoding="utf-8")

    read = igraph.Graph.Read_GraphML(str(path))
    assert read.vcount() == 6 and read.ecount() == 6 and not read.is_directed()
    vertices = {v["id"]: v.attributes() for v in read.vs}
    assert set(vertices) == {n.id for n in graph.nodes}
    assert vertices["child-1"]["kind"] == "child" and vertices["child-1"]["label"] == "J.B."
    assert vertices["tenant"]["vulnerable"] is True and vertices["adult-1"]["posing_risk"] is True
    edges = {e["link_id"]: e for e in read.es}
    assert set(edges) == {lk.id for lk in graph.links}
    l1 = edges["L1"]
    assert {read.vs[l1.source]["id"], read.vs[l1.target]["id"]} == {"child-1", "adult-1"}
    assert (l1["link_type"], l1["start"], l1["end"], l1["source_reliability"]) == (
        "associate",
        "2026-01-05",
        "2026-06-30",
        "B",
    )
    assert (l1["information_assessment"], l1["handling_code"], l1["directed"]) == (2, 3, False)
    assert (edges["L3"]["link_source"], edges["L3"]["link_target"], edges["L3"]["directed"]) == (
        "adult-1",
        "phone-1",
        True,
    )

    again = nx.read_graphml(path, force_multigraph=True)
    assert set(again.nodes) == {n.id for n in graph.nodes}
    assert {k for _, _, k in again.edges(keys=True)} == {lk.id for lk in graph.links}  # edge ids are link ids
    assert again.nodes["jazz"]["kind"] == "deal_line"


def test_gexf_keeps_each_links_time_interval() -> None:
    graph = analyst_graph()
    read = nx.read_gexf(io.BytesIO(export_gexf(graph).encode("utf-8")))
    assert read.graph["mode"] == "dynamic"
    assert set(read.nodes) == {n.id for n in graph.nodes}
    assert read.nodes["child-1"]["label"] == "J.B." and read.nodes["child-1"]["kind"] == "child"
    assert read.nodes["child-1"]["born"] == "2011-03-04" and read.nodes["tenant"]["vulnerable"] is True
    edges = {data["id"]: data for _, _, data in read.edges(data=True)}
    assert set(edges) == {lk.id for lk in graph.links}
    assert (edges["L1"]["start"], edges["L1"]["end"]) == ("2026-01-05", "2026-06-30")
    assert edges["L3"]["start"] == "2025-11-01" and "end" not in edges["L3"]
    assert edges["L4"]["end"] == "2026-10-31" and "start" not in edges["L4"]
    assert "start" not in edges["L5"] and "end" not in edges["L5"]  # holds throughout
    assert (
        edges["L1"]["source_reliability"],
        edges["L1"]["information_assessment"],
        edges["L1"]["handling_code"],
    ) == ("B", 2, 3)
    assert edges["L2"]["label"] == "co-arrested" and edges["L2"]["link_type"] == "co_arrested"
    assert (edges["L6"]["link_source"], edges["L6"]["link_target"], edges["L6"]["directed"]) == (
        "child-1",
        "flat",
        True,
    )


@pytest.mark.parametrize("export", [export_graphml, export_gexf])
def test_an_empty_graph_exports(export: object) -> None:
    empty = build_graph([], [])
    assert callable(export)
    assert export(empty).startswith("<")
    pair = export_csv_pair(empty)
    assert pair.entities.strip() == ",".join(ENTITY_COLUMNS) and pair.links.strip() == ",".join(LINK_COLUMNS)
