"""The association map: links derived from police records (idempotently), links by hand with their
bad input refused, and the rule that matters most: a link or entity a viewer may not see never
appears in a neighbourhood, a signal, an export or the map — not even as a count."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import igraph
import networkx as nx
import pytest
from django.urls import reverse

from lantern.analytics import graph as g
from lantern.audit.models import AuditEvent
from lantern.conftest import at, sign_in
from lantern.core.exceptions import ValidationFailed
from lantern.lines.models import Line
from lantern.lines.selectors import lines_register, operation_get
from lantern.lines.services import lines_derive, operation_record
from lantern.networks import selectors
from lantern.networks.models import Entity, Link
from lantern.networks.services import link_record, network_derive, phone_key
from lantern.people.models import Address, SourceRecord
from lantern.people.services import ItemIn, RecordIn, source_records_collect, timeline_items_collect

pytestmark = pytest.mark.django_db

FLAT = {"line1": "4 Mill Court", "town": "Coalville", "postcode": "LE67 3AA", "district": "NW_LEICS"}


def _intel(key, when, role, handling=2, **details):
    return ItemIn(
        key, "intelligence", "POL", "law_enforcement", at(when), "Intelligence", handling,
        {"grading": "B2", "subject_role": role, "line_name": "Jazz", "deal_line_number": "07700 900123",
         "ocg_key": "OCG-1", **details},
    )  # fmt: skip


@pytest.fixture
def mapped(hub_allocated_kai):
    p = hub_allocated_kai
    source_records_collect(
        records=[
            RecordIn("POL", "NICHE", "P9", "Ryan", "Cole", dt.date(1994, 2, 11), "M", police_id="26/999Z"),
            RecordIn("POL", "NICHE", "P8", "Ann", "Hale", dt.date(1960, 5, 1), "F", address=FLAT),
        ],
        source_reference="fixture",
        system_actor="test",
    )
    kai, adult, mia = ("POL", "NICHE", "P1"), ("POL", "NICHE", "P9"), ("POL", "NICHE", "P2")
    timeline_items_collect(
        items=[
            _intel(kai, "2026-10-10T10:00", "child at risk of criminal exploitation"),
            _intel(adult, "2026-10-11T10:00", "adult posing risk"),
            # Source-protected (handling 4): the line was seen at the flat. Never leaves the force.
            _intel(
                ("POL", "NICHE", "P8"),
                "2026-10-12T10:00",
                "vulnerable adult",
                4,
                location="4 Mill Court, Coalville",
            ),  # fmt: skip
            _intel(mia, "2026-10-13T10:00", "child at risk of criminal exploitation", 4),
            ItemIn(
                kai,
                "arrest",
                "POL",
                "law_enforcement",
                at("2026-10-20T23:00"),
                "Arrested",
                details={
                    "offence": "possession with intent to supply",
                    "outcome": "charged",
                    "occurrence_ref": "OCC-1",
                    "co_arrested_nominal_ids": ["P9"],
                },
            ),  # fmt: skip
            ItemIn(
                adult,
                "arrest",
                "POL",
                "law_enforcement",
                at("2026-10-20T23:00"),
                "Arrested",
                details={"offence": "supply", "occurrence_ref": "OCC-1", "co_arrested_nominal_ids": ["P1"]},
            ),
        ],
        source_reference="fixture",
        system_actor="test",
    )
    network_derive(system_actor="test")
    p.adult = SourceRecord.objects.get(source_key="P9").person
    p.flat = Address.objects.get(line1="4 Mill Court")
    return p


def _entity(**kwargs) -> Entity:
    return Entity.objects.get(**kwargs)


def test_phone_numbers_are_kept_in_e164_or_as_typed_and_flagged():
    assert phone_key("07700 900123") == ("+447700900123", True)
    assert phone_key("+44 (0)7700-900123")[1] is True
    assert phone_key("call me maybe") == ("call me maybe", False)
    assert phone_key("12345") == ("12345", False)


def test_links_are_derived_from_police_records_once(mapped):
    p = mapped
    line, phone = _entity(kind="deal_line"), _entity(kind="phone")
    assert (line.label, phone.key) == ("Jazz", "+447700900123")
    kai = _entity(person=p.kai)
    assert Link.objects.filter(source=kai, target=line, link_type="exploited_by").exists()
    assert Link.objects.filter(source__person=p.adult, target=line, link_type="controls").exists()
    co = Link.objects.filter(link_type="co_arrested")
    assert co.count() == 1 and co.get().item_type == "arrest"  # once per occurrence, shared as the arrest is
    kai_link = Link.objects.get(source=kai, target=line)
    assert (kai_link.source_reliability, kai_link.information_assessment, kai_link.handling_code) == (
        "B",
        "2",
        2,
    )
    assert Link.objects.filter(link_type="lives_at", target__address=p.flat).exists()
    before = Link.objects.count()
    assert network_derive(system_actor="test") == 0 and Link.objects.count() == before


def test_a_hidden_link_or_entity_never_appears_even_as_a_count(mapped, client):
    p = mapped
    kai = _entity(person=p.kai)
    flat = _entity(address=p.flat)
    # The police analyst's own force holds every record: the flat is reached (through the line).
    police = selectors.network_around(viewer=p.viewer("analyst"), entity_id=kai.pk, hops=3)
    assert selectors.node_id(flat.pk) in police.neighbourhood.node_ids
    # Children's services see the shared intelligence (handling 2) but never the handling 4 link, so
    # the flat, reachable only through it, is not there; nor are people they have no relationship with.
    social = selectors.network_around(viewer=p.viewer("hubsw"), entity_id=kai.pk, hops=3)
    shown = set(social.neighbourhood.node_ids)
    assert selectors.node_id(flat.pk) not in shown
    assert selectors.node_id(_entity(person=p.mia).pk) not in shown
    assert selectors.node_id(_entity(person=p.adult).pk) not in shown
    assert selectors.node_id(_entity(kind="deal_line").pk) in shown
    assert all(link.handling_code != 4 for link in social.links)
    assert selectors.entity_visible(p.viewer("hubsw"), flat.pk) is None
    graph = social.view.graph  # the graph every analysis is handed: paths and communities see the same
    with pytest.raises(g.UnknownNodeError):
        g.shortest_paths(graph, selectors.node_id(kai.pk), selectors.node_id(flat.pk))
    members = {member for group in g.peer_groups(graph, min_size=1) for member in group.node_ids}
    assert selectors.node_id(flat.pk) not in members and len(members) <= len(graph.nodes)
    report = selectors.signals(viewer=p.viewer("hubsw"), as_of=dt.date(2026, 11, 1), min_linked=1)
    assert all(address.pk != flat.pk for _, address in report.cuckooing)
    # A school sees no intelligence at all: not even the child's own entity is reachable.
    assert selectors.network_around(viewer=p.viewer("dsla"), entity_id=kai.pk) is None

    sign_in(client, "hubsw")
    page = client.get(reverse("networks:map", args=[kai.pk]))
    assert page.status_code == 200
    assert "Mill Court" not in page.text and "Ryan" not in page.text and "Mia" not in page.text
    assert f"{len(social.nodes)} entities" in page.text
    assert client.get(reverse("networks:map", args=[flat.pk])).status_code == 403
    sign_in(client, "dsla")
    assert client.get(reverse("networks:map", args=[kai.pk])).status_code == 403


def test_viewing_a_map_is_a_consultation_of_every_person_shown(mapped):
    p = mapped
    kai = _entity(person=p.kai)
    result = selectors.network_around(viewer=p.viewer("analyst"), entity_id=kai.pk, hops=2)
    event = AuditEvent.objects.filter(code=127).latest("seq")
    people = {str(e.person_id) for _, e in result.nodes if e.person_id}
    assert {str(s.person_id) for s in event.subjects.all()} == people and str(p.adult.pk) in people


def test_exports_read_back_and_leave_out_what_the_recipient_may_not_receive(mapped, client, tmp_path):
    p = mapped
    kai = _entity(person=p.kai)
    sign_in(client, "analyst")
    url = reverse("networks:export", args=[kai.pk])
    pair = client.get(url, {"format": "csv", "recipient": "force", "hops": 3})
    archive = zipfile.ZipFile(io.BytesIO(pair.content))
    entities = list(csv.DictReader(io.StringIO(archive.read("entities.csv").decode())))
    links = list(csv.DictReader(io.StringIO(archive.read("links.csv").decode())))
    assert any("Mill Court" in row.get("Label", "") for row in entities)
    assert {row["Link type"] for row in links} >= {"uses_phone", "exploited_by", "co_arrested"}
    partner_zip = client.get(url, {"format": "csv", "recipient": "partner", "hops": 3}).content
    partner_links = list(
        csv.DictReader(io.StringIO(zipfile.ZipFile(io.BytesIO(partner_zip)).read("links.csv").decode()))
    )
    assert {row["Handling code"] for row in partner_links} <= {"2", ""}
    assert {row["Handling code"] for row in links} >= {"2", "4"} and len(partner_links) < len(links)
    gexf = client.get(url, {"format": "gexf", "recipient": "law_enforcement", "hops": 3})
    chart = nx.read_gexf(io.BytesIO(gexf.content))
    assert chart.number_of_nodes() > 0 and chart.number_of_edges() > 0
    graphml = client.get(url, {"format": "graphml", "recipient": "law_enforcement", "hops": 3})
    path = tmp_path / "chart.graphml"
    path.write_bytes(graphml.content)
    read = igraph.Graph.Read_GraphML(str(path))  # igraph reads from a file
    assert read.vcount() > 0 and read.ecount() > 0
    assert AuditEvent.objects.filter(code=311, actor_username="analyst").count() == 4
    sign_in(client, "hubsw")  # a social worker may view the map but not export intelligence
    assert client.get(url, {"format": "csv", "recipient": "force"}).status_code == 403


def test_a_neighbourhood_of_six_hops_is_bounded_with_a_message(mapped, client):
    p = mapped
    sign_in(client, "analyst")
    page = client.get(reverse("networks:map", args=[_entity(person=p.kai).pk]), {"hops": 6})
    assert page.status_code == 200 and "limited to 3" in page.text


def test_links_by_hand_refuse_bad_input(mapped):
    p = mapped
    analyst = p.viewer("analyst")
    kai, phone = _entity(person=p.kai), _entity(kind="phone")
    base = {"viewer": analyst, "link_type": "associate", "note": "Seen together (patrol log 12)"}
    with pytest.raises(ValidationFailed) as error:
        link_record(source_id=kai.pk, target_id=kai.pk, **base)
    assert error.value.errors["target"] == "A link joins two different entities"
    with pytest.raises(ValidationFailed) as error:
        link_record(
            source_id=kai.pk,
            target_id=phone.pk,
            starts_on=dt.date(2026, 5, 2),
            ends_on=dt.date(2026, 5, 1),
            **base,
        )
    assert error.value.errors == {"ends_on": "The link cannot end before it starts"}
    # A phone children's services recorded and did not share: the police analyst cannot see it.
    fields = {"purpose": "safeguarding", "source_reference": "test"}
    hidden = Entity.objects.create(
        kind="phone",
        key="+447700900999",
        label="x",
        controller=p.agencies["CSC"],
        item_type="network_entity",
        **fields,
    )
    Link.objects.create(
        source=kai,
        target=hidden,
        link_type="uses_phone",
        controller=p.agencies["CSC"],
        item_type="network_link",
        **fields,
    )
    with pytest.raises(ValidationFailed) as hidden_error:
        link_record(source_id=kai.pk, target_id=hidden.pk, **base)
    with pytest.raises(ValidationFailed) as missing_error:
        link_record(source_id=kai.pk, target_id=999_999, **base)
    assert hidden_error.value.errors == missing_error.value.errors  # refused, never revealed
    made = link_record(source_id=kai.pk, target_id=phone.pk, source_reliability="B", information_assessment="2",
                       handling_code=2, **{**base, "link_type": "uses_phone"})  # fmt: skip
    assert made.controller == p.agencies["POL"] and made.purpose == "law_enforcement"


def test_the_lines_register_and_operation_outcomes_are_counted_from_records(mapped):
    p = mapped
    lines_derive(system_actor="test")
    line = Line.objects.get()
    assert line.brand == "Jazz" and line.ocg.key == "OCG-1"
    number = line.numbers.get()
    assert (number.phone.key, number.first_seen, number.last_seen) == (
        "+447700900123",
        dt.date(2026, 10, 10),
        dt.date(2026, 10, 13),
    )
    summary = lines_register(viewer=p.viewer("analyst"))[0]
    assert summary.active and summary.last_activity == dt.date(2026, 10, 13)
    operation = operation_record(
        viewer=p.viewer("analyst"), name="Operation Test", started_on=dt.date(2026, 10, 1),
        ended_on=dt.date(2026, 10, 31), line_ids=[line.pk], warrants_executed=3,
    )  # fmt: skip
    outcomes = operation_get(viewer=p.viewer("analyst"), operation_id=operation.pk)
    assert (outcomes.warrants, outcomes.arrests, outcomes.charged, outcomes.children) == (3, 3, 1, 2)
    assert lines_register(viewer=p.viewer("dsla")) == []
    with pytest.raises(ValidationFailed):
        operation_record(viewer=p.viewer("analyst"), name="", started_on=dt.date(2026, 10, 1), ended_on=None,
                         line_ids=[line.pk], warrants_executed=0)  # fmt: skip


def test_a_peer_map_holds_initials_only_and_is_seen_only_by_the_childs_workers(hub_allocated_kai, client):
    from lantern.networks.services import peer_map_record

    p = hub_allocated_kai
    review = dt.date.today() + dt.timedelta(weeks=6)
    with pytest.raises(ValidationFailed) as error:
        peer_map_record(viewer=p.viewer("hubsw"), person_id=p.kai.pk, purpose_note="Safety plan", review_on=review,
                        entries=[{"initials": "Jordan Smith", "influence": "harmful"}])  # fmt: skip
    assert "initials only" in error.value.errors["entry 1 initials"]
    peer_map_record(viewer=p.viewer("hubsw"), person_id=p.kai.pk, purpose_note="Safety plan", review_on=review,
                    entries=[{"initials": "j.s.", "relationship": "older boy", "influence": "harmful", "place": "park"},
                             {"initials": "AB", "relationship": "aunt", "influence": "protective"}])  # fmt: skip
    assert [
        m.entries[0]["initials"] for m in selectors.peer_maps(viewer=p.viewer("hubsw"), person_id=p.kai.pk)
    ] == ["JS"]
    assert selectors.peer_maps(viewer=p.viewer("dslb"), person_id=p.kai.pk) == []
    assert not Entity.objects.exists()  # a peer map never feeds the association map
    sign_in(client, "dslb")
    assert client.get(reverse("networks:peer_maps", args=[p.kai.pk])).status_code == 403
    sign_in(client, "hubsw")
    page = client.get(reverse("networks:peer_maps", args=[p.kai.pk]))
    assert page.status_code == 200 and "older boy" in page.text


def test_the_line_page_shows_the_register_entry_and_analysts_keep_it(mapped, client):
    lines_derive(system_actor="test")
    line = Line.objects.get()
    sign_in(client, "analyst")
    page = client.get(reverse("lines:line", args=[line.pk]))
    assert page.status_code == 200 and "+447700900123" in page.text and "Active" in page.text
    saved = client.post(
        reverse("lines:line", args=[line.pk]),
        {"status": "confirmed", "exporting_area": "West Midlands", "transport_modes": ["rail"]},
    )
    assert saved.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.exporting_area, line.transport_modes) == (
        "confirmed",
        "West Midlands",
        ["rail"],
    )
    assert client.get(reverse("lines:register")).status_code == 200
    sign_in(client, "dsla")
    assert client.get(reverse("lines:line", args=[line.pk])).status_code == 403
    sign_in(client, "hubsw")  # the hub may read the register (shared under the CCE agreement) but not keep it
    assert client.post(reverse("lines:line", args=[line.pk]), {"status": "suspected"}).status_code == 403


def test_an_analyst_links_a_phone_and_a_number_that_will_not_parse_is_kept_flagged(mapped, client):
    p = mapped
    kai = _entity(person=p.kai)
    sign_in(client, "analyst")
    url = reverse("networks:link_new", args=[kai.pk])
    base = {"link_type": "uses_phone", "note": "Phone seized on arrest", "handling_code": 2}
    assert client.post(url, {**base, "number": "07700 900456"}).status_code == 302
    assert Link.objects.filter(source=kai, target__key="+447700900456", link_type="uses_phone").exists()
    client.post(url, {**base, "number": "07700 9OO456"})  # letter O for zero: kept as typed
    odd = Entity.objects.get(kind="phone", key="07700 9OO456")
    assert not odd.parsed and Link.objects.filter(source=kai, target=odd).exists()
    page = client.get(reverse("networks:map", args=[kai.pk]))
    assert "not parsed" in page.text
    sign_in(client, "hubsw")
    assert client.post(url, {**base, "number": "07700 900789"}).status_code == 403


def test_the_signals_page_lists_what_the_viewer_may_see(mapped, client):
    sign_in(client, "analyst")
    page = client.get(reverse("networks:signals"))
    assert page.status_code == 200 and "Kai Brennan" in page.text  # within 2 hops of the active line
    sign_in(client, "dsla")
    assert client.get(reverse("networks:signals")).status_code == 403


def test_the_map_suggests_screening_indicators_to_those_who_may_see_the_adult(mapped):
    from lantern.people.services import CategoryIn, person_categories_collect
    from lantern.screening.services import screening_start

    p = mapped
    person_categories_collect(
        categories=[
            CategoryIn(
                ("POL", "NICHE", "P9"),
                "adult_posing_risk",
                "POL",
                dt.date(2026, 1, 1),
                purpose="law_enforcement",
            )
        ],  # fmt: skip
        source_reference="fixture",
        system_actor="test",
    )
    police = selectors.screening_facts(p.viewer("hubpol"), p.kai.pk)
    assert [kind for kind, *_ in police] == ["linked_adult_posing_risk"]
    assert "Ryan" not in police[0][2]  # the adult is never named in the evidence
    assert selectors.screening_facts(p.viewer("hubsw"), p.kai.pk) == []  # no relationship with the adult
    screening = screening_start(viewer=p.viewer("hubpol"), person_id=p.kai.pk)
    row = screening.indicators.get(indicator="adult_posing_risk")
    assert row.evidence_links[0]["url"] == reverse("networks:map", args=[_entity(person=p.kai).pk])
