"""Shared fixtures: a small, explicit partnership whose every access rule is known in advance.

Agencies: police, children's social care (CSC), two schools, a hospital. Child "Kai Brennan" is held
by School A, police, CSC and the hospital; child "Mia Stone" by police only. Items cover each
controller, purpose and handling code. One sharing agreement covers safeguarding items among all
local agencies; a second covers law-enforcement items between police and CSC only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from lantern.access.models import Agency, Membership, Team, User
from lantern.access.policy import Viewer
from lantern.access.services import agency_save, agreement_save, relationship_start, user_create
from lantern.core.timeutils import LONDON
from lantern.people.models import Person, SourceRecord
from lantern.people.services import (
    CategoryIn,
    ItemIn,
    RecordIn,
    person_categories_collect,
    source_records_collect,
    timeline_items_collect,
)

PASSWORD = "correct-horse-battery"
SAFEGUARDING = [
    "missing_report",
    "school_suspension",
    "ae_attendance",
    "csc_contact",
    "source_record",
    "subject_category",
    "safety_plan",
    "nrm_referral",
]
LAW_ENFORCEMENT = ["arrest", "intelligence", "source_record", "subject_category", "disruption_order"]


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=LONDON)


@dataclass
class Partnership:
    agencies: dict[str, Agency]
    teams: dict[str, Team]
    users: dict[str, User]
    kai: Person
    mia: Person

    def viewer(self, username: str) -> Viewer:
        membership = Membership.objects.select_related("team__agency").filter(user__username=username).first()
        return Viewer(user=membership.user, membership=membership)


@pytest.fixture
def partnership(db) -> Partnership:
    agencies = {
        code: agency_save(code=code, name=name, agency_type=kind, system_actor="test")
        for code, name, kind in [
            ("POL", "Test Police", "police"),
            ("CSC", "Test Children's Services", "childrens_social_care"),
            ("SCHA", "School A", "education"),
            ("SCHB", "School B", "education"),
            ("HOSP", "Test Hospital", "health"),
        ]
    }
    teams = {
        name: Team.objects.create(agency=agencies[code], name=name, is_exploitation_hub=hub, service=service)
        for code, name, hub, service in [
            ("CSC", "front door", False, "front_door"),
            ("CSC", "csc hub", True, "exploitation_hub"),
            ("POL", "police hub", True, ""),
            ("POL", "intel", False, ""),
            ("SCHA", "school a safeguarding", False, ""),
            ("SCHB", "school b safeguarding", False, ""),
            ("CSC", "governance", False, "governance"),
            ("CSC", "ict", False, ""),
            ("CSC", "missing", False, "missing"),
        ]
    }
    users = {
        username: user_create(
            username=username,
            password=PASSWORD,
            display_name=username,
            memberships=[(teams[team], role)],
            system_actor="test",
        )
        for username, team, role in [
            ("frontdoor", "front door", "front_door"),
            ("coordinator", "missing", "missing_coordinator"),
            ("hubsw", "csc hub", "hub_worker"),
            ("hubpol", "police hub", "hub_worker"),
            ("analyst", "intel", "police_analyst"),
            ("dsla", "school a safeguarding", "school_dsl"),
            ("dslb", "school b safeguarding", "school_dsl"),
            ("manager", "csc hub", "team_manager"),
            ("dpo", "governance", "dpo"),
            ("sysadmin", "ict", "sysadmin"),
        ]
    }
    local = list(agencies.values())
    agreement_save(
        name="safeguarding",
        reference="ISA-1",
        parties=local,
        item_types=SAFEGUARDING,
        purposes=["safeguarding"],
        starts_on=dt.date(2020, 1, 1),
        system_actor="test",
    )
    agreement_save(
        name="cce",
        reference="ISA-2",
        parties=[agencies["POL"], agencies["CSC"]],
        item_types=LAW_ENFORCEMENT,
        purposes=["law_enforcement"],
        starts_on=dt.date(2020, 1, 1),
        system_actor="test",
    )
    kai_records = [
        RecordIn("SCHA", "SIMS", "A1", "Kai", "Brennan", dt.date(2011, 3, 27), "M", upn="A123456789012"),
        RecordIn(
            "POL",
            "NICHE",
            "P1",
            "Kai",
            "Brennan",
            dt.date(2011, 3, 27),
            "M",
            police_id="26/1234567A",
            upn="A123456789012",
        ),
        RecordIn(
            "CSC",
            "MOSAIC",
            "C1",
            "Kai",
            "Brennan",
            dt.date(2011, 3, 27),
            "M",
            la_child_id="LCC1001",
            upn="A123456789012",
        ),
        RecordIn(
            "HOSP",
            "ED",
            "H1",
            "Kai",
            "Brennan",
            dt.date(2011, 3, 27),
            "M",
            nhs_number="9434765919",
            la_child_id="LCC1001",
        ),
        RecordIn("POL", "NICHE", "P2", "Mia", "Stone", dt.date(2010, 6, 2), "F", police_id="26/7654321B"),
    ]
    source_records_collect(records=kai_records, source_reference="fixture", system_actor="test")
    items = [
        ItemIn(
            ("SCHA", "SIMS", "A1"),
            "school_suspension",
            "SCHA",
            "safeguarding",
            at("2026-09-01T10:00"),
            "Suspended 3 days",
        ),
        ItemIn(
            ("POL", "NICHE", "P1"),
            "missing_report",
            "POL",
            "safeguarding",
            at("2026-10-01T22:00"),
            "Missing; found in Birmingham",
        ),
        ItemIn(
            ("POL", "NICHE", "P1"),
            "arrest",
            "POL",
            "law_enforcement",
            at("2026-10-05T15:00"),
            "Arrested with an adult posing risk",
        ),
        ItemIn(
            ("POL", "NICHE", "P1"),
            "intelligence",
            "POL",
            "law_enforcement",
            at("2026-10-06T09:00"),
            "Linked to deal line (H2)",
            2,
        ),
        ItemIn(
            ("POL", "NICHE", "P1"),
            "intelligence",
            "POL",
            "law_enforcement",
            at("2026-10-07T09:00"),
            "Source-protected line (H4)",
            4,
        ),
        ItemIn(
            ("CSC", "MOSAIC", "C1"),
            "csc_contact",
            "CSC",
            "safeguarding",
            at("2026-10-02T09:00"),
            "Contact from police",
        ),
        ItemIn(
            ("HOSP", "ED", "H1"),
            "ae_attendance",
            "HOSP",
            "safeguarding",
            at("2026-10-03T01:00"),
            "Hand injury",
        ),
        ItemIn(
            ("POL", "NICHE", "P2"),
            "intelligence",
            "POL",
            "law_enforcement",
            at("2026-10-08T09:00"),
            "Seen at cuckooed address",
            2,
        ),
    ]
    timeline_items_collect(items=items, source_reference="fixture", system_actor="test")
    person_categories_collect(
        categories=[
            CategoryIn(("POL", "NICHE", "P1"), "victim", "POL", dt.date(2026, 10, 1)),
            CategoryIn(
                ("POL", "NICHE", "P1"), "suspect", "POL", dt.date(2026, 10, 5), purpose="law_enforcement"
            ),
        ],
        source_reference="fixture",
        system_actor="test",
    )
    kai = SourceRecord.objects.get(source_key="A1").person
    mia = SourceRecord.objects.get(source_key="P2").person
    return Partnership(agencies=agencies, teams=teams, users=users, kai=kai, mia=mia)


@pytest.fixture
def hub_allocated_kai(partnership: Partnership) -> Partnership:
    relationship_start(
        person_id=partnership.kai.pk,
        kind="allocation",
        reason="strategy discussion",
        team=partnership.teams["csc hub"],
        system_actor="test",
    )
    return partnership


def sign_in(client, username: str):
    """Sign a test client in with the password every fixture user has, acting in their first role."""
    from django.urls import reverse

    client.post(reverse("access:login"), {"username": username, "password": PASSWORD})
    membership = Membership.objects.filter(user__username=username).first()
    client.post(reverse("access:choose_role"), {"membership": membership.pk})
    return client
