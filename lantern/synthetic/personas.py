"""The demo's teams, personas and sharing agreements: one persona per user in DESIGN.md §1.

All are synthetic. The demo password is for a laptop demo only; `seed_demo` prints it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lantern.core.codelists import codelist

DEMO_PASSWORD = "lantern-demo-2026"

# (agency code, team name, is exploitation hub, the partnership-wide work it receives)
TEAMS = [
    ("LCC-CFS", "First Response (front door)", False, "front_door"),
    ("LCC-CFS", "Exploitation hub (social care)", True, "exploitation_hub"),
    ("LCC-CFS", "Missing children team", False, "missing"),
    ("LCC-CFS", "Information governance", False, "governance"),
    ("LCC-CFS", "Digital services", False, ""),
    ("LCC-CFS", "Data quality team", False, ""),
    ("LCC-CFS", "Partnership board support", False, ""),
    ("LEICS-POLICE", "Exploitation hub (police)", True, ""),
    ("LEICS-POLICE", "Intelligence unit", False, ""),
    ("SCHOOL", "Safeguarding team", False, ""),  # the first secondary school in the county
]


@dataclass(frozen=True)
class Persona:
    username: str
    display_name: str
    memberships: tuple[tuple[str, str, str], ...]  # (agency code, team name, role)
    can_do: str


PERSONAS = [
    Persona(
        "priya",
        "Priya Shah",
        (("LCC-CFS", "First Response (front door)", "front_door"),),
        "front door practitioner: searches, opens children her service holds, breaks glass when she must",
    ),
    Persona(
        "dev",
        "Dev Mistry",
        (("LEICS-POLICE", "Exploitation hub (police)", "hub_worker"),),
        "exploitation hub police officer: opens children allocated to the hub and police records",
    ),
    Persona(
        "jo",
        "Jo Bennett",
        (
            ("LCC-CFS", "Exploitation hub (social care)", "hub_worker"),
            ("LCC-CFS", "Missing children team", "missing_coordinator"),
        ),
        "exploitation hub social worker (also a missing coordinator: chooses a role at login)",
    ),
    Persona(
        "dsl",
        "Dana Lowe",
        (("SCHOOL", "Safeguarding team", "school_dsl"),),
        "school designated safeguarding lead: the school's own pupils, and only what is shared with schools",
    ),
    Persona(
        "ali",
        "Ali Hassan",
        (("LEICS-POLICE", "Intelligence unit", "police_analyst"),),
        "police analyst: the force's records and what is shared with the force; no break-glass",
    ),
    Persona(
        "chris",
        "Chris Walker",
        (("LCC-CFS", "Exploitation hub (social care)", "team_manager"),),
        "team manager of the social care hub team: reviews the team's break-glass access and possible record matches",
    ),
    Persona(
        "morgan",
        "Morgan Price",
        (("LCC-CFS", "Information governance", "dpo"),),
        "data protection officer: who accessed a child, what a user accessed, tamper check; no case records",
    ),
    Persona(
        "sam",
        "Sam Okafor",
        (("LCC-CFS", "Data quality team", "data_officer"),),
        "data officer: loads agency files and resolves possible record matches in the review queue",
    ),
    Persona(
        "lee",
        "Lee Hart",
        (("LCC-CFS", "Partnership board support", "strategic_lead"),),
        "partnership strategic lead: the quarterly board report, equality monitoring; no case records",
    ),
    Persona(
        "admin",
        "Alex Admin",
        (("LCC-CFS", "Digital services", "sysadmin"),),
        "system administrator: users and teams; cannot open children's records",
    ),
]

_LAW_ENFORCEMENT_TYPES = [
    "arrest",
    "custody",
    "stop_search",
    "police_incident",
    "intelligence",
    "disruption_order",
    "county_line",
    "police_operation",
]
# Everything else in the item-type code list is safeguarding information.
_SAFEGUARDING_TYPES = [t for t in codelist("item_type").codes if t not in _LAW_ENFORCEMENT_TYPES]


@dataclass(frozen=True)
class AgreementSpec:
    reference: str
    name: str
    parties: str  # "local" (all local agencies), or a comma-separated list of agency codes/types
    item_types: list[str]
    purposes: list[str]


AGREEMENTS = [
    AgreementSpec(
        "LSCP-ISA-2026",
        "Leicestershire safeguarding children partnership: safeguarding information",
        "local",
        _SAFEGUARDING_TYPES,
        ["safeguarding"],
    ),
    AgreementSpec(
        "CCE-HUB-ISA-2026",
        "Child criminal exploitation hub: police and children's services",
        "LEICS-POLICE,LCC-CFS,LEICS-YJS",
        _SAFEGUARDING_TYPES + _LAW_ENFORCEMENT_TYPES,
        ["safeguarding", "law_enforcement"],
    ),
    AgreementSpec(
        "EM-REGIONAL-ISA-2026",
        "East Midlands regional missing and exploitation exchange",
        "LEICS-POLICE,NORTHANTS-POLICE",
        ["missing_report", "intelligence", "arrest", "custody", "source_record", "subject_category"],
        ["safeguarding", "law_enforcement"],
    ),
]
AGREEMENT_START = dt.date(2026, 1, 1)
