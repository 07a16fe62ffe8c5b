"""The permission matrix: every persona × (with / without a legitimate relationship) × item
(controller, purpose, handling code, agreement), through the selectors that serve every page."""

from __future__ import annotations

import pytest

from lantern.access.services import relationship_start
from lantern.audit.models import AuditEvent
from lantern.core.exceptions import AccessDenied
from lantern.people.selectors import NeedsBreakGlass, SearchQuery, person_get, person_search, person_timeline

# For Kai (held by School A, police, CSC, hospital): the summaries each persona may see on the timeline.
ALL_KAI = {
    "Suspended 3 days",
    "Missing; found in Birmingham",
    "Arrested with an adult posing risk",
    "Linked to deal line (H2)",
    "Source-protected line (H4)",
    "Contact from police",
    "Hand injury",
}
CSC_SEES = ALL_KAI - {"Source-protected line (H4)"}  # handling code 4 never leaves police
SCHOOL_SEES = {"Suspended 3 days", "Missing; found in Birmingham", "Contact from police", "Hand injury"}

KAI_EXPECTED = {
    # persona: (basis, visible summaries) — None means the record must not open
    "frontdoor": ("own_agency", CSC_SEES),
    "hubsw": ("own_agency", CSC_SEES),
    "manager": ("own_agency", CSC_SEES),
    "hubpol": ("own_agency", ALL_KAI),
    "analyst": ("own_agency", ALL_KAI),
    "dsla": ("own_agency", SCHOOL_SEES),
    "dslb": None,
}


def _summaries(view) -> set[str]:
    return {item.summary for item in view.timeline.object_list}


@pytest.mark.parametrize("username", sorted(KAI_EXPECTED))
def test_person_page_shows_exactly_the_items_the_policy_allows(partnership, username):
    viewer = partnership.viewer(username)
    expected = KAI_EXPECTED[username]
    if expected is None:
        with pytest.raises(NeedsBreakGlass):
            person_get(viewer=viewer, person_id=partnership.kai.pk)
        return
    basis, visible = expected
    view = person_get(viewer=viewer, person_id=partnership.kai.pk)
    assert view.basis == basis
    assert _summaries(view) == visible
    assert view.items_withheld == len(ALL_KAI) - len(visible)


@pytest.mark.parametrize("username", ["dpo", "sysadmin"])
def test_roles_without_case_access_cannot_search_or_open(partnership, username):
    viewer = partnership.viewer(username)
    with pytest.raises(AccessDenied):
        person_search(viewer=viewer, query=SearchQuery(name="Kai Brennan"))
    with pytest.raises(AccessDenied):
        person_get(viewer=viewer, person_id=partnership.kai.pk)
    with pytest.raises(AccessDenied):
        person_timeline(viewer=viewer, person_id=partnership.kai.pk)


def test_school_sees_only_shared_categories_and_records(partnership):
    view = person_get(viewer=partnership.viewer("dsla"), person_id=partnership.kai.pk)
    assert {c.category for c in view.categories} == {"victim"}  # "suspect" is police law-enforcement data
    assert {r.agency.code for r in view.records} == {"SCHA", "CSC", "HOSP"}
    assert view.records_withheld == 1


def test_police_and_csc_see_suspect_category_under_the_cce_agreement(partnership):
    for username in ("hubsw", "hubpol"):
        view = person_get(viewer=partnership.viewer(username), person_id=partnership.kai.pk)
        assert {c.category for c in view.categories} == {"victim", "suspect"}


# Mia is held by police only.
MIA_WITHOUT_RELATIONSHIP = {
    "frontdoor": "restricted",
    "hubsw": "restricted",
    "manager": "restricted",
    "hubpol": "open",
    "analyst": "open",
    "dsla": "absent",
    "dslb": "absent",
}


@pytest.mark.parametrize("username", sorted(MIA_WITHOUT_RELATIONSHIP))
def test_search_without_relationship_returns_nothing_or_a_bare_restricted_match(partnership, username):
    matches = person_search(viewer=partnership.viewer(username), query=SearchQuery(name="Mia Stone"))
    found = [m for m in matches if m.person.pk == partnership.mia.pk]
    expected = MIA_WITHOUT_RELATIONSHIP[username]
    if expected == "absent":
        assert found == []
    else:
        assert len(found) == 1
        assert found[0].restricted is (expected == "restricted")
    if expected != "open":
        with pytest.raises(NeedsBreakGlass):
            person_get(viewer=partnership.viewer(username), person_id=partnership.mia.pk)
        with pytest.raises(NeedsBreakGlass):
            person_timeline(viewer=partnership.viewer(username), person_id=partnership.mia.pk)


@pytest.mark.parametrize(
    ("username", "opens"),
    [
        ("hubsw", True),
        ("manager", True),
        ("hubpol", True),
        ("frontdoor", False),
        ("dsla", False),
        ("dslb", False),
    ],
)
def test_allocation_to_a_hub_team_opens_the_record_for_every_hub_member(partnership, username, opens):
    relationship_start(
        person_id=partnership.mia.pk,
        kind="allocation",
        reason="strategy discussion",
        team=partnership.teams["csc hub"],
        system_actor="test",
    )
    viewer = partnership.viewer(username)
    if opens:
        view = person_get(viewer=viewer, person_id=partnership.mia.pk)
        assert view.basis in {"allocation", "hub", "own_agency"}
        assert _summaries(view) == {"Seen at cuckooed address"}  # police H2 intelligence, shared under ISA-2
    else:
        with pytest.raises(NeedsBreakGlass):
            person_get(viewer=viewer, person_id=partnership.mia.pk)


def test_police_hub_member_gains_hub_basis_when_not_own_agency(partnership):
    """A police hub worker sees a CSC-only child once that child is allocated to any hub team."""
    from lantern.people.services import RecordIn, source_records_collect

    rows = source_records_collect(
        records=[RecordIn("CSC", "MOSAIC", "C9", "Ruby", "Hale", None, "F", la_child_id="LCC9")],
        source_reference="t",
        system_actor="test",
    )
    person_id = rows[0].person_id
    viewer = partnership.viewer("hubpol")
    with pytest.raises(NeedsBreakGlass):
        person_get(viewer=viewer, person_id=person_id)
    relationship_start(
        person_id=person_id,
        kind="allocation",
        reason="hub",
        team=partnership.teams["csc hub"],
        system_actor="test",
    )
    viewer = partnership.viewer("hubpol")  # a new request: the relationship started after the last one
    assert person_get(viewer=viewer, person_id=person_id).basis == "hub"


def test_refusal_is_identical_for_missing_and_existing_people_and_is_audited(partnership):
    import uuid

    viewer = partnership.viewer("dslb")
    before = AuditEvent.objects.count()
    for person_id in (partnership.kai.pk, uuid.uuid4()):
        with pytest.raises(NeedsBreakGlass) as refused:
            person_get(viewer=viewer, person_id=person_id)
        assert str(refused.value) == "You do not have a legitimate relationship with this person."
    assert AuditEvent.objects.count() == before + 2
    assert set(AuditEvent.objects.order_by("-seq").values_list("code", flat=True)[:2]) == {420}


@pytest.mark.parametrize("username", sorted(KAI_EXPECTED))
def test_timeline_pages_apply_the_same_item_rules_as_the_person_page(partnership, username):
    viewer = partnership.viewer(username)
    expected = KAI_EXPECTED[username]
    if expected is None:
        with pytest.raises(NeedsBreakGlass):
            person_timeline(viewer=viewer, person_id=partnership.kai.pk)
        return
    _, timeline, withheld = person_timeline(viewer=viewer, person_id=partnership.kai.pk)
    assert {item.summary for item in timeline.object_list} == expected[1]
    assert withheld == len(ALL_KAI) - len(expected[1])


def test_an_agreement_that_has_ended_shares_nothing(partnership):
    import datetime as dt

    from lantern.access.models import InformationSharingAgreement

    InformationSharingAgreement.objects.filter(reference="ISA-2").update(ends_on=dt.date(2021, 1, 1))
    view = person_get(viewer=partnership.viewer("hubsw"), person_id=partnership.kai.pk)
    assert _summaries(view) == CSC_SEES - {"Arrested with an adult posing risk", "Linked to deal line (H2)"}
    assert {c.category for c in view.categories} == {"victim"}


def test_an_agreement_must_name_both_agencies(partnership):
    """School B is party to ISA-1 only; removing it leaves School B with its own items alone."""
    from lantern.access.models import InformationSharingAgreement

    InformationSharingAgreement.objects.get(reference="ISA-1").parties.remove(partnership.agencies["SCHA"])
    view = person_get(viewer=partnership.viewer("dsla"), person_id=partnership.kai.pk)
    assert _summaries(view) == {"Suspended 3 days"}
    assert view.items_withheld == len(ALL_KAI) - 1
