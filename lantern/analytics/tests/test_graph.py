"""Graph analytics without a database: the model's refusals, bounded neighbourhoods, shortest paths,
peer groups on a planted two-cluster graph, key adults, children near active and inactive deal lines
(the six-month rule at its boundary), cuckooing signals on a planted address and a control address,
and a viewer's graph in which a hidden link is never traversed, returned or counted."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from typing import Any

import pytest

from lantern.analytics.graph import (
    DEFAULT_MAX_HOPS,
    GraphError,
    LineActivity,
    Link,
    LinkGraph,
    LinkType,
    Node,
    NodeKind,
    UnknownNodeError,
    build_graph,
    children_near_active_lines,
    cuckooing_signals,
    export_csv_pair,
    export_gexf,
    export_graphml,
    key_adults,
    line_is_active,
    months_before,
    neighbourhood,
    peer_groups,
    shortest_paths,
    subgraph_visible,
)

AS_OF = dt.date(2026, 11, 28)


def node(node_id: str, kind: str, **kwargs: Any) -> Node:
    return Node(node_id, NodeKind(kind), **kwargs)


def link(link_id: str, source: str, target: str, kind: str = "associate", **kwargs: Any) -> Link:
    return Link(link_id, source, target, LinkType(kind), **kwargs)


def graph_of(nodes: Iterable[Node], links: Iterable[Link]) -> LinkGraph:
    return build_graph(nodes, links)


# ============================================================================================ the model


def test_a_self_link_is_refused_with_a_clear_message() -> None:
    with pytest.raises(GraphError, match=r"link L1: a link cannot join an entity to itself \(c1\)"):
        link("L1", "c1", "c1")


def test_a_link_ending_before_it_starts_is_refused_with_both_dates() -> None:
    with pytest.raises(GraphError, match=r"link L1: it ends \(2026-01-01\) before it starts \(2026-02-01\)"):
        link("L1", "c1", "a1", start=dt.date(2026, 2, 1), end=dt.date(2026, 1, 1))
    # the same day is a one-day link, not an error
    assert link("L2", "c1", "a1", start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 1)).end == dt.date(
        2026, 2, 1
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source_reliability": "F"}, "source reliability must be one of A–E"),
        ({"information_assessment": 6}, "information assessment must be 1–5"),
        ({"handling_code": 0}, "handling code must be 1–5"),
        ({"handling_code": True}, "handling code must be 1–5"),
        ({"start": dt.datetime(2026, 1, 1, 9, 0)}, "the start must be a date"),
    ],
)
def test_bad_gradings_and_dates_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(GraphError, match=message):
        link("L1", "c1", "a1", **kwargs)


def test_unknown_kinds_and_types_and_misplaced_flags_are_refused() -> None:
    with pytest.raises(GraphError, match="unknown kind 'gang'"):
        Node("x", "gang")  # type: ignore[arg-type]
    with pytest.raises(GraphError, match="unknown link type 'knows'"):
        Link("L1", "a", "b", "knows")  # type: ignore[arg-type]
    with pytest.raises(GraphError, match="only an adult .* can be flagged"):
        node("c1", "child", posing_risk=True)
    with pytest.raises(GraphError, match="a link needs both a source and a target"):
        link("L1", "", "b")


def test_direction_defaults_from_the_link_type() -> None:
    assert link("L1", "a", "b", "associate").directed is False
    assert link("L2", "a", "b", "lives_at").directed is True
    assert link("L3", "a", "b", "associate", directed=True).directed is True


def test_build_graph_refuses_duplicates_and_does_not_name_a_missing_end() -> None:
    with pytest.raises(GraphError, match="entity a is given twice"):
        graph_of([node("a", "adult"), node("a", "child")], [])
    with pytest.raises(GraphError, match="link L1 is given twice"):
        graph_of([node("a", "adult"), node("b", "child")], [link("L1", "a", "b"), link("L1", "b", "a")])
    with pytest.raises(GraphError, match="link L1 joins an entity that is not in this graph") as refused:
        graph_of([node("a", "adult")], [link("L1", "a", "secret-entity")])
    assert "secret-entity" not in str(refused.value)


# ===================================================================================== neighbourhoods


def chain(length: int) -> LinkGraph:
    """n0 - n1 - … - n{length}, with a triangle n2-n2b-n3 so a link between two far nodes exists."""
    nodes = [node(f"n{i}", "adult") for i in range(length + 1)] + [node("n2b", "phone")]
    links = [link(f"L{i}", f"n{i}", f"n{i + 1}") for i in range(length)]
    links += [link("T1", "n1", "n2b", "uses_phone"), link("T2", "n2", "n2b", "uses_phone")]
    return graph_of(nodes, links)


def test_neighbourhood_by_hops_with_every_link_among_its_entities() -> None:
    graph = chain(6)
    zero = neighbourhood(graph, ["n0"], 0)
    assert zero.node_ids == ("n0",) and zero.link_ids == () and not zero.truncated

    one = neighbourhood(graph, ["n0"], 1)
    assert one.node_ids == ("n0", "n1") and one.link_ids == ("L0",)

    two = neighbourhood(graph, ["n0"], 2)
    assert {n.id: n.hops for n in two.nodes} == {"n0": 0, "n1": 1, "n2": 2, "n2b": 2}
    # T2 joins two entities at hop 2: still shown, as it is a link among the entities shown
    assert set(two.link_ids) == {"L0", "L1", "T1", "T2"}
    assert {n.id: n.via_link for n in two.nodes} == {"n0": None, "n1": "L0", "n2": "L1", "n2b": "T1"}
    assert two.message is None and two.hops == 2

    both_ends = neighbourhood(graph, ["n0", "n6"], 1)
    assert set(both_ends.node_ids) == {"n0", "n1", "n5", "n6"}


def test_more_hops_than_the_limit_are_bounded_with_a_message() -> None:
    graph = chain(8)
    result = neighbourhood(graph, ["n0"], 6)
    assert result.truncated and result.hops == DEFAULT_MAX_HOPS == 3 and result.hops_requested == 6
    assert result.message == "6 hops were asked for; a neighbourhood is limited to 3, so this shows 3."
    assert max(n.hops for n in result.nodes) == 3 and "n4" not in result.node_ids
    assert neighbourhood(graph, ["n0"], 5, max_hops=5).node_ids[-1] == "n5"


def dense(hub_links: int, second: int) -> LinkGraph:
    """A hub linked to ``hub_links`` adults, each linked to ``second`` phones of its own."""
    nodes = [node("hub", "adult")]
    links: list[Link] = []
    for i in range(hub_links):
        nodes.append(node(f"a{i}", "adult"))
        links.append(link(f"H{i}", "hub", f"a{i}"))
        for j in range(second):
            nodes.append(node(f"p{i}.{j}", "phone"))
            links.append(link(f"U{i}.{j}", f"a{i}", f"p{i}.{j}", "uses_phone"))
    return graph_of(nodes, links)


def test_a_neighbourhood_that_would_pass_the_node_cap_keeps_whole_hops_and_says_so() -> None:
    graph = dense(hub_links=20, second=10)  # hop 1: 20 entities, hop 2: 200 more
    result = neighbourhood(graph, ["hub"], 6, max_nodes=100)
    assert result.truncated and result.hops == 1 and len(result.nodes) == 21
    assert result.message == (
        "6 hops were asked for; a neighbourhood is limited to 3, so this shows 3. "
        "2 hops would pass the limit of 100 entities, so this shows 1 hop: narrow the request "
        "(fewer hops, or filter by link type, period or grading)."
    )
    assert set(result.link_ids) == {f"H{i}" for i in range(20)}
    assert neighbourhood(graph, ["hub"], 2, max_nodes=221).truncated is False


def test_a_start_with_more_direct_links_than_the_cap_shows_part_of_its_first_hop() -> None:
    graph = dense(hub_links=50, second=0)
    result = neighbourhood(graph, ["hub"], 2, max_nodes=10)
    assert result.truncated and result.hops == 1
    assert result.node_ids == ("hub", *(f"a{i}" for i in range(9)))
    assert result.message == (
        "The start has more direct links than the limit of 10 entities allows, so this shows only the "
        "first 9 entities linked: filter by link type, period or grading."
    )
    full = neighbourhood(graph, ["hub", "a0"], 1, max_nodes=2)
    assert full.node_ids == ("hub", "a0") and full.hops == 0 and full.truncated


def test_links_among_matches_a_walk_over_every_link() -> None:
    rng = random.Random(7)
    nodes = [node(f"v{i}", "adult") for i in range(60)]
    links = []
    for position in range(300):  # with repeated pairs: several links between the same two entities
        u, v = rng.sample(range(60), 2)
        links.append(link(f"k{position}", f"v{u}", f"v{v}"))
    graph = graph_of(nodes, links)
    for _ in range(20):
        chosen = set(rng.sample(range(60), rng.randrange(1, 40)))
        expected = [
            position
            for position, lk in enumerate(links)
            if graph.index[lk.source] in chosen and graph.index[lk.target] in chosen
        ]
        among = graph.links_among(chosen)
        assert [edge for edge, _, _ in among] == expected
        assert all({u, v} == set(graph.ends(edge)) for edge, u, v in among)


def test_neighbourhood_refuses_bad_requests() -> None:
    graph = chain(2)
    with pytest.raises(UnknownNodeError, match="no entity 'nobody' in this graph"):
        neighbourhood(graph, ["nobody"], 1)
    with pytest.raises(GraphError, match="hops cannot be negative"):
        neighbourhood(graph, ["n0"], -1)
    with pytest.raises(GraphError, match="at least one start"):
        neighbourhood(graph, [], 1)


# ============================================================================================== paths


def test_every_shortest_path_with_each_steps_links() -> None:
    nodes = [node(i, "adult") for i in ("a", "x", "y", "z", "w", "b")]
    links = [
        link("AX1", "a", "x"),
        link("AX2", "x", "a", "co_arrested"),  # a second source for the same step
        link("XB", "x", "b"),
        link("AY", "a", "y"),
        link("YB", "y", "b"),
        link("AZ", "a", "z"),
        link("ZW", "z", "w"),
        link("WB", "w", "b"),
    ]
    result = shortest_paths(graph_of(nodes, links), "a", "b")
    assert result.length == 2 and not result.truncated and result.message is None
    by_middle = {p.node_ids[1]: p for p in result.paths}
    assert set(by_middle) == {"x", "y"}
    assert by_middle["x"].node_ids == ("a", "x", "b")
    assert by_middle["x"].step_link_ids == (("AX1", "AX2"), ("XB",))
    assert by_middle["y"].link_ids == ("AY", "YB") and by_middle["y"].length == 2


def test_paths_are_bounded_in_number_and_length() -> None:
    nodes = [node("a", "adult"), node("b", "adult")] + [node(f"m{i}", "address") for i in range(15)]
    links = [link(f"A{i}", "a", f"m{i}", "frequents") for i in range(15)]
    links += [link(f"B{i}", "b", f"m{i}", "frequents") for i in range(15)]
    many = shortest_paths(graph_of(nodes, links), "a", "b", max_paths=10)
    assert len(many.paths) == 10 and many.truncated
    assert many.message == "There are more than 10 shortest paths; these are the first 10."

    long = chain(8)
    assert shortest_paths(long, "n0", "n8", max_length=8).length == 8  # the triangle n1-n2b-n2 is no shorter
    far = shortest_paths(long, "n0", "n8", max_length=4)
    assert (
        far.length is None
        and far.paths == ()
        and far.message == "No connection within 4 links in this graph."
    )

    apart = graph_of([node("a", "adult"), node("b", "adult")], [])
    assert shortest_paths(apart, "a", "b").length is None


# ======================================================================================== peer groups


def two_clusters() -> tuple[LinkGraph, set[str], set[str]]:
    left = {f"l{i}" for i in range(8)}
    right = {f"r{i}" for i in range(8)}
    nodes = [node(n, "child" if int(n[1:]) % 2 else "adult") for n in sorted(left | right)]
    links: list[Link] = []
    for side in (sorted(left), sorted(right)):
        links += [link(f"{u}-{v}", u, v) for i, u in enumerate(side) for v in side[i + 1 :]]
    links.append(link("bridge", "l0", "r0"))
    return graph_of(nodes, links), left, right


def test_peer_groups_find_the_planted_clusters_with_their_internal_links_deterministically() -> None:
    graph, left, right = two_clusters()
    groups = peer_groups(graph)
    assert [set(g.node_ids) for g in groups] in ([left, right], [right, left])
    assert all(g.size == 8 and len(g.link_ids) == 28 for g in groups)
    assert all("bridge" not in g.link_ids for g in groups)
    assert peer_groups(graph) == groups  # the seed makes it repeatable
    assert [g.number for g in groups] == [1, 2]


def test_peer_groups_leave_out_lone_entities() -> None:
    graph = graph_of([node("a", "adult"), node("b", "child"), node("alone", "child")], [link("L", "a", "b")])
    assert [g.node_ids for g in peer_groups(graph)] == [("a", "b")]
    assert peer_groups(graph_of([], [])) == ()


# ========================================================================================= key adults


def key_adult_graph() -> LinkGraph:
    nodes = [node(f"c{i}", "child") for i in range(1, 8)]
    nodes += [node(n, "adult") for n in ("broker", "second", "one", "parent")]
    links = [
        link("B1", "broker", "c1"),
        link("B2", "c2", "broker", "found_with"),
        link("B3", "broker", "c3", "exploited_by"),
        link("B4", "broker", "c4"),
        link("S1", "second", "c4"),
        link("S2", "second", "c5"),
        link("O1", "one", "c6"),
        link("F1", "parent", "c6", "family"),
        link("F2", "parent", "c7", "family"),
        link("C12", "c1", "c2"),
    ]
    return graph_of(nodes, links)


def test_key_adults_are_adults_linked_to_several_children_ranked_with_evidence() -> None:
    ranked = key_adults(key_adult_graph())
    assert [a.id for a in ranked] == ["broker", "second"]
    top = ranked[0]
    assert top.rank == 1 and top.measure == "betweenness" and top.score > ranked[1].score
    assert top.child_ids == ("c1", "c2", "c3", "c4") and top.link_ids == ("B1", "B2", "B3", "B4")
    assert ranked[1].link_ids == ("S1", "S2")
    # a parent of two children is not a key adult unless family links are asked for
    with_family = key_adults(key_adult_graph(), link_types=list(LinkType))
    assert "parent" in {a.id for a in with_family}
    assert [a.id for a in key_adults(key_adult_graph(), measure="degree")] == ["broker", "second"]
    assert [a.id for a in key_adults(key_adult_graph(), measure="pagerank")][0] == "broker"
    assert [a.id for a in key_adults(key_adult_graph(), min_children=3)] == ["broker"]
    with pytest.raises(GraphError, match="unknown centrality measure"):
        key_adults(key_adult_graph(), measure="closeness")  # type: ignore[arg-type]


# ============================================================================== children near deal lines


def test_six_months_is_calendar_months_with_the_boundary_day_included() -> None:
    assert months_before(AS_OF, 6) == dt.date(2026, 5, 28)
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2028, 8, 31), 6) == dt.date(2028, 2, 29)
    assert months_before(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)
    assert line_is_active([dt.date(2026, 5, 28)], AS_OF)
    assert not line_is_active([dt.date(2026, 5, 27)], AS_OF)
    assert not line_is_active([dt.date(2026, 11, 29)], AS_OF)  # after the date asked about
    assert not line_is_active([], AS_OF)
    assert LineActivity("L", (dt.date(2026, 1, 1), dt.date(2026, 12, 1))).last_activity(AS_OF) == dt.date(
        2026, 1, 1
    )


def lines_graph() -> LinkGraph:
    nodes = [
        node("line-active", "deal_line", label="Jazz"),
        node("line-quiet", "deal_line", label="Bella"),
        node("phone-now", "phone"),
        node("phone-old", "phone"),
        node("phone-quiet", "phone"),
        node("runner", "adult", posing_risk=True),
        node("child-direct", "child"),
        node("child-near", "child"),
        node("child-far", "child"),
        node("child-old-phone", "child"),
        node("child-quiet", "child"),
    ]
    links = [
        link("LP-now", "line-active", "phone-now", "uses_phone", start=dt.date(2026, 1, 1)),
        link(
            "LP-old",
            "line-active",
            "phone-old",
            "uses_phone",
            start=dt.date(2024, 1, 1),
            end=dt.date(2025, 12, 31),
        ),
        link("LP-quiet", "line-quiet", "phone-quiet", "uses_phone", start=dt.date(2025, 1, 1)),
        link("R-phone", "runner", "phone-now", "uses_phone"),
        link("C-direct", "child-direct", "phone-now", "uses_phone"),
        link("C-near", "child-near", "runner", "found_with"),
        link("C-far", "child-far", "child-near"),
        link("C-old", "child-old-phone", "phone-old", "uses_phone"),
        link("C-quiet", "child-quiet", "phone-quiet", "uses_phone"),
    ]
    return graph_of(nodes, links)


def test_children_within_two_hops_of_an_active_lines_current_phones() -> None:
    lines = [
        LineActivity("line-active", (dt.date(2026, 5, 28),)),  # the boundary day: active
        LineActivity("line-quiet", (dt.date(2026, 5, 27),)),  # a day earlier: not active
        LineActivity("line-not-visible", (AS_OF,)),
    ]
    result = children_near_active_lines(lines_graph(), lines, as_of=AS_OF)
    assert result.active_since == dt.date(2026, 5, 28)
    assert result.active_line_ids == ("line-active",) and result.inactive_line_ids == ("line-quiet",)
    found = {c.child_id: c for c in result.children}
    # child-far is 3 hops out; child-old-phone is near a number the line stopped using before the window
    assert set(found) == {"child-direct", "child-near"}
    assert found["child-direct"].hops == 1 and found["child-direct"].link_ids == ("LP-now", "C-direct")
    assert found["child-near"].hops == 2 and found["child-near"].phone_id == "phone-now"
    assert found["child-near"].link_ids == ("LP-now", "R-phone", "C-near")

    # at 3 hops: child-far, and the child on the old number, reached through the line itself
    three = children_near_active_lines(lines_graph(), lines, as_of=AS_OF, hops=3)
    found3 = {c.child_id: c for c in three.children}
    assert set(found3) == {"child-direct", "child-near", "child-far", "child-old-phone"}
    assert found3["child-old-phone"].link_ids == ("LP-now", "LP-old", "C-old")

    earlier = children_near_active_lines(lines_graph(), lines, as_of=dt.date(2025, 6, 1))
    assert earlier.active_line_ids == () and earlier.children == ()  # activity after the date ignored
    back_then = children_near_active_lines(
        lines_graph(), [LineActivity("line-active", (dt.date(2025, 5, 1),))], as_of=dt.date(2025, 6, 1)
    )
    assert {c.child_id for c in back_then.children} == {"child-old-phone"}


# ========================================================================================== cuckooing


def cuckooing_graph() -> LinkGraph:
    in_window = dt.date(2026, 10, 1)
    window_start = AS_OF - dt.timedelta(days=90)
    nodes = [
        node("planted", "address"),
        node("control", "address"),
        node("no-tenant-at-risk", "address"),
        node("tenant", "adult", vulnerable=True),
        node("tenant2", "adult", vulnerable=True),
        node("neighbour", "adult"),
        node("risk1", "adult", posing_risk=True),
        node("visitor", "adult"),
    ]
    nodes += [node(f"c{i}", "child") for i in range(1, 12)]
    links = [
        # planted: a vulnerable tenant; two children and an adult posing risk, none living there
        link("T-res", "tenant", "planted", "lives_at"),
        link("P-c1", "c1", "planted", "found_at", start=in_window),
        link("P-c2", "c2", "planted", "found_at", start=window_start),  # first day of the window
        link("P-r1", "risk1", "planted", "frequents", start=dt.date(2026, 9, 1), end=dt.date(2026, 11, 1)),
        link("P-c3-old", "c3", "planted", "found_at", start=window_start - dt.timedelta(days=1)),
        # control: each excluded kind of link would tip it over the threshold of 3
        link("T2-res", "tenant2", "control", "lives_at", start=dt.date(2020, 1, 1)),
        link("K-c4", "c4", "control", "found_at", start=in_window),
        link("K-c5", "c5", "control", "found_at", start=in_window),
        link("K-c6-res", "c6", "control", "lives_at", start=dt.date(2025, 1, 1)),
        link("K-c6", "c6", "control", "found_at", start=in_window),  # a resident child: not counted
        link("K-c7", "c7", "control", "found_at", start=dt.date(2026, 6, 1)),  # outside the window
        link("K-c8", "c8", "control", "found_at"),  # undated
        link("K-visitor", "visitor", "control", "found_at", start=in_window),  # not posing risk
        # an address with no vulnerable adult: busy, but not a cuckooing signal
        link("N-res", "neighbour", "no-tenant-at-risk", "lives_at"),
        link("N-c9", "c9", "no-tenant-at-risk", "found_at", start=in_window),
        link("N-c10", "c10", "no-tenant-at-risk", "found_at", start=in_window),
        link("N-c11", "c11", "no-tenant-at-risk", "found_at", start=in_window),
    ]
    return graph_of(nodes, links)


def test_cuckooing_signal_fires_on_the_planted_address_and_not_on_the_controls() -> None:
    signals = cuckooing_signals(cuckooing_graph(), as_of=AS_OF, window_days=90, min_linked=3)
    assert [s.address_id for s in signals] == ["planted"]
    signal = signals[0]
    assert signal.vulnerable_adult_ids == ("tenant",)
    assert signal.child_ids == ("c1", "c2") and signal.adult_posing_risk_ids == ("risk1",)
    assert signal.linked_count == 3 and signal.link_ids == ("T-res", "P-c1", "P-c2", "P-r1")
    assert signal.window_start == dt.date(2026, 8, 30)

    # the control address has only two qualifying links
    low = cuckooing_signals(cuckooing_graph(), as_of=AS_OF, min_linked=2)
    control = next(s for s in low if s.address_id == "control")
    assert control.child_ids == ("c4", "c5") and control.adult_posing_risk_ids == ()
    # nothing is flagged before the visits began
    assert cuckooing_signals(cuckooing_graph(), as_of=dt.date(2026, 7, 1)) == ()


def test_a_tenant_who_moved_out_before_the_window_does_not_make_a_signal() -> None:
    graph = cuckooing_graph()
    moved = [
        Link("T-res", "tenant", "planted", LinkType.LIVES_AT, end=dt.date(2026, 8, 1))
        if lk.id == "T-res"
        else lk
        for lk in graph.links
    ]
    assert cuckooing_signals(graph_of(graph.nodes, moved), as_of=AS_OF) == ()


# ============================================================================ what the viewer may see


def visibility_graph() -> tuple[list[Node], list[Link]]:
    """child - A (visible); A =hidden= S - T (S and T are visible entities, reachable only through
    the hidden link); child - H where H is a hidden entity; a hidden sighting at an address."""
    nodes = [
        node("child", "child"),
        node("A", "adult", posing_risk=True),
        node("S", "adult"),
        node("T", "phone"),
        node("H", "adult", posing_risk=True),
        node("home", "address"),
        node("tenant", "adult", vulnerable=True),
        node("c2", "child"),
        node("c3", "child"),
    ]
    links = [
        link("visible", "child", "A"),
        link("hidden", "A", "S", handling_code=4),
        link("S-T", "S", "T", "uses_phone"),
        link("to-hidden-entity", "child", "H"),
        link("res", "tenant", "home", "lives_at"),
        link("seen-c2", "c2", "home", "found_at", start=dt.date(2026, 11, 1)),
        link("seen-c3", "c3", "home", "found_at", start=dt.date(2026, 11, 1)),
        link("seen-A", "A", "home", "frequents", start=dt.date(2026, 11, 1), handling_code=4),
    ]
    return nodes, links


def viewer_graph() -> LinkGraph:
    nodes, links = visibility_graph()
    return subgraph_visible(
        nodes, links, may_see_node=lambda n: n.id != "H", may_see_link=lambda lk: lk.handling_code != 4
    )


def test_subgraph_visible_drops_hidden_links_hidden_entities_and_links_to_them() -> None:
    graph = viewer_graph()
    assert {n.id for n in graph.nodes} == {"child", "A", "S", "T", "home", "tenant", "c2", "c3"}
    assert {lk.id for lk in graph.links} == {"visible", "S-T", "res", "seen-c2", "seen-c3"}


def test_a_hidden_link_is_never_traversed_returned_or_counted() -> None:
    graph = viewer_graph()
    hidden_ids = {"hidden", "to-hidden-entity", "seen-A", "S", "T", "H"}

    around = neighbourhood(graph, ["child"], 3)
    assert around.node_ids == ("child", "A") and len(around.nodes) == 2
    assert around.link_ids == ("visible",) and not around.truncated
    assert not hidden_ids & set(around.node_ids + around.link_ids)
    assert not any(h in repr(around) for h in ("'S'", "'T'", "'H'", "hidden"))

    assert shortest_paths(graph, "child", "T").paths == ()
    with pytest.raises(UnknownNodeError) as unknown:
        shortest_paths(graph, "child", "H")
    assert str(unknown.value) == "no entity 'H' in this graph"  # the same answer as for no such entity

    for group in peer_groups(graph):
        assert not ({"child", "A"} & set(group.node_ids) and {"S", "T"} & set(group.node_ids))
        assert not hidden_ids & set(group.link_ids)

    # the hidden sighting of the adult posing risk does not make up the cuckooing threshold
    assert cuckooing_signals(graph, as_of=AS_OF, min_linked=3) == ()
    assert [s.linked_count for s in cuckooing_signals(graph, as_of=AS_OF, min_linked=2)] == [2]

    pair = export_csv_pair(graph)
    for text in (pair.links, export_graphml(graph), export_gexf(graph)):
        for hidden in ("hidden", "to-hidden-entity", "seen-A", '"H"'):
            assert hidden not in text
    assert "H," not in pair.entities
