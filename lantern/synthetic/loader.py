"""Loads a generated county into Lantern through the project's services, so synthetic data obeys
the same validation, linking and audit rules as real imports. Ground truth is written to files
beside the database, never into the app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from lantern.access.models import Agency, Team
from lantern.access.services import (
    agency_save,
    agreement_save,
    relationship_start,
    relationships_ensure,
    user_create,
)
from lantern.alerts.services import alerts_run
from lantern.lines.services import lines_derive
from lantern.linkage.services import linkage_run_full
from lantern.missing.services import missing_derive
from lantern.networks.services import network_derive
from lantern.people.models import SourceRecord, TimelineItem
from lantern.people.services import (
    CategoryIn,
    ItemIn,
    RecordIn,
    person_categories_collect,
    source_records_collect,
    timeline_items_collect,
)

from .generator import County, write_ground_truth
from .personas import AGREEMENT_START, AGREEMENTS, DEMO_PASSWORD, PERSONAS, TEAMS
from .pipeline import import_county_files
from .practice import stage_hub_practice, stage_operation

SYSTEM = "synthetic"
RECORD_BATCH = 5_000
ITEM_BATCH = 20_000
FILE_DEFECT_RATE = 0.01  # the share of agency file rows with a realistic defect (refused or noted)
Progress = Callable[[str, int, int], None]


@dataclass
class LoadSummary:
    agencies: int
    files: int
    file_rows: int
    file_rows_rejected: int
    records: int
    items: int
    categories: int
    allocations: int
    truth_files: list[Path]


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _school_code(county: County) -> str:
    return next(a.code for a in county.agencies if a.agency_type == "education")


def load_agencies_and_people(county: County) -> dict[str, Agency]:
    agencies = {
        a.code: agency_save(
            code=a.code, name=a.name, agency_type=a.agency_type, area=a.area, system_actor=SYSTEM
        )
        for a in county.agencies
    }
    school = _school_code(county)
    teams: dict[tuple[str, str], Team] = {}
    for agency_code, name, is_hub, service in TEAMS:
        agency = agencies[school if agency_code == "SCHOOL" else agency_code]
        teams[(agency_code, name)], _ = Team.objects.get_or_create(
            agency=agency, name=name, defaults={"is_exploitation_hub": is_hub, "service": service}
        )
    for persona in PERSONAS:
        user_create(
            username=persona.username,
            password=DEMO_PASSWORD,
            display_name=persona.display_name,
            memberships=[(teams[(agency, team)], role) for agency, team, role in persona.memberships],
            system_actor=SYSTEM,
        )
    local = [a for a in agencies.values() if a.agency_type != "regional_partner"]
    for spec in AGREEMENTS:
        if spec.parties == "local":
            parties = local
        else:
            parties = [agencies[code] for code in spec.parties.split(",") if code in agencies]
        agreement_save(
            name=spec.name,
            reference=spec.reference,
            parties=parties,
            item_types=spec.item_types,
            purposes=spec.purposes,
            starts_on=AGREEMENT_START,
            dpia_reference=f"DPIA {spec.reference}",
            system_actor=SYSTEM,
        )
    return agencies


def _record_in(rec: Any, addresses: dict[str, Any]) -> RecordIn:
    address = addresses.get(rec.address_key) if rec.address_key else None
    return RecordIn(
        agency_code=rec.agency_code,
        source_system=rec.source_system,
        source_key=rec.source_key,
        given_name=rec.given_name,
        family_name=rec.family_name,
        dob=rec.dob,
        sex=rec.sex,
        gender=rec.gender,
        ethnicity=rec.ethnicity,
        address=(
            {
                "line1": address.line1,
                "town": address.town,
                "postcode": address.postcode,
                "district": address.district,
            }
            if address
            else None
        ),
        postcode=rec.postcode,
        upn=rec.upn,
        nhs_number=rec.nhs_number,
        la_child_id=rec.la_child_id,
        police_id=rec.police_id,
        received_at=rec.received_at,
        valid_from=rec.valid_from,
    )


def load_county(
    county: County,
    *,
    truth_dir: Path,
    progress: Progress | None = None,
    defect_rate: float = FILE_DEFECT_RATE,
) -> LoadSummary:
    """Load the county as a partnership would receive it: every agency's files through the import
    pipeline (upload, check, commit; defective rows refused into quarantine), then through the
    collection services what no agency file format carries, then identity resolution."""

    def tick(stage: str, done: int, total: int) -> None:
        if progress:
            progress(stage, done, total)

    with transaction.atomic():
        agencies = load_agencies_and_people(county)
    files = import_county_files(
        county, truth_dir / "agency-files", defect_rate=defect_rate, progress=progress
    )

    addresses = {a.key: a for a in county.addresses}
    record_keys = {r.key: (r.agency_code, r.source_system, r.source_key) for r in county.records}
    reference = f"synthetic county {county.size} seed {county.seed}"
    stored = set(SourceRecord.objects.values_list("agency__code", "source_system", "source_key"))
    remaining = [r for r in county.records if record_keys[r.key] not in stored]

    total = len(remaining)
    for number, chunk in enumerate(_chunks(remaining, RECORD_BATCH), start=1):
        source_records_collect(
            records=[_record_in(r, addresses) for r in chunk],
            source_reference=f"{reference} records batch {number}",
            system_actor=SYSTEM,
        )
        tick("loading records no agency file holds", min(number * RECORD_BATCH, total), total)

    events = [e for i, e in enumerate(county.events) if i not in files.covered_events]
    items = 0
    for number, chunk in enumerate(_chunks(events, ITEM_BATCH), start=1):
        items += timeline_items_collect(
            items=[
                ItemIn(
                    record_key=record_keys[e.record_key],
                    item_type=e.item_type,
                    controller_code=e.controller_agency_code,
                    purpose=e.purpose,
                    handling_code=e.handling_code,
                    occurred_at=e.occurred_at,
                    summary=e.summary,
                    details=e.details,
                )
                for e in chunk
            ],
            source_reference=f"{reference} events batch {number}",
            system_actor=SYSTEM,
        )
        tick("loading events no agency file holds", items, len(events))

    categories = person_categories_collect(
        categories=[
            CategoryIn(
                record_key=record_keys[c.record_key],
                category=c.category,
                controller_code=c.controller_agency_code,
                starts_on=c.start,
                ends_on=c.end,
                purpose="law_enforcement"
                if agencies[c.controller_agency_code].is_law_enforcement
                and c.category in ("suspect", "convicted", "adult_posing_risk")
                else "safeguarding",
            )
            for c in county.categories
        ],
        source_reference=f"{reference} categories",
        system_actor=SYSTEM,
    )
    if progress:
        progress("linking records into persons", 0, 1)
    linkage_run_full(system_actor=SYSTEM)
    allocations = allocate_demo_children(county, record_keys)
    if progress:
        progress("missing episodes, front door and alerts", 0, 1)
    stage_missing_today()
    missing_derive(system_actor=SYSTEM)
    open_front_door()
    if progress:
        progress("association map and lines register", 0, 1)
    network_derive(system_actor=SYSTEM)
    lines_derive(system_actor=SYSTEM)
    stage_operation()
    stage_hub_practice()
    alerts_run(system_actor=SYSTEM)
    refresh_planner_statistics()
    truth_files = write_ground_truth(county, truth_dir)
    return LoadSummary(
        agencies=len(agencies),
        files=files.files,
        file_rows=files.rows,
        file_rows_rejected=files.rejected,
        records=SourceRecord.objects.count(),
        items=TimelineItem.objects.count(),
        categories=categories,
        allocations=allocations,
        truth_files=truth_files,
    )


def allocate_demo_children(county: County, record_keys: dict[str, tuple[str, str, str]]) -> int:
    """Allocate most exploited children to the hub teams, as a partnership would have done already;
    leave the rest for the front door to find (journey 1)."""
    truth_people = {p.person_key: p for p in county.people}
    exploited_records = [
        record_keys[key]
        for key, person_key in county.truth.items()
        if truth_people[person_key].exploited and key in record_keys
    ]
    person_ids: list = []
    for agency_code, system, source_key in exploited_records:
        person_id = (
            SourceRecord.objects.filter(agency__code=agency_code, source_system=system, source_key=source_key)
            .values_list("person_id", flat=True)
            .first()
        )
        if person_id and person_id not in person_ids:
            person_ids.append(person_id)
    hub = Team.objects.get(agency__code="LCC-CFS", name="Exploitation hub (social care)")
    to_allocate = person_ids[: max(1, (len(person_ids) * 2) // 3)]
    with transaction.atomic():
        for person_id in to_allocate:
            relationship_start(
                person_id=person_id,
                kind="allocation",
                reason="Allocated to the exploitation hub after a strategy discussion",
                team=hub,
                system_actor=SYSTEM,
            )
    return len(to_allocate)


# Today's missing work for the demo (journey 2): (sex wanted, age range, hours since reported,
# hours since returned or None while missing, risk grade, where found, found out of area).
TODAY = [
    ("F", (12, 12), 8, None, "high", "", False),
    ("M", (14, 15), 20, None, "medium", "", False),
    ("M", (13, 16), 4, None, "low", "", False),
    ("M", (14, 16), 96, 78, "medium", "found by police in Birmingham", True),
    ("F", (13, 16), 80, 70, "medium", "returned of own accord", False),
    ("M", (12, 16), 75, 66, "high", "found at an address in Coalville", False),
    ("F", (14, 17), 40, 30, "low", "found at a friend's address", False),
    ("M", (12, 16), 16, 10, "medium", "found in Leicester city centre", False),
]


def stage_missing_today() -> int:
    """The police feed's latest missing reports, timed relative to now so the demo always has
    today's work: three children missing now (one a 12-year-old girl in care, high risk) and five
    returned awaiting their interview — some due today, one overdue. Stored exactly as imported
    police reports are, so the missing view, the front door and the alerts all derive from them."""
    from lantern.core.timeutils import age_on, now

    at = now()
    police = Agency.objects.get(code="LEICS-POLICE")
    in_care = set(
        TimelineItem.objects.filter(item_type="lac_episode").values_list("person_id", flat=True).distinct()
    )
    busy = set(
        TimelineItem.objects.filter(
            item_type="missing_report", occurred_at__gte=at - dt.timedelta(days=30)
        ).values_list("person_id", flat=True)
    )
    candidates = list(
        SourceRecord.objects.filter(agency=police, person__display_dob__isnull=False)
        .exclude(person_id__in=busy)
        .values_list("agency__code", "source_system", "source_key", "person_id", "person__display_dob",
                     "person__display_sex")
        .order_by("pk")
    )  # fmt: skip
    chosen: set = set()
    items = []
    for number, (sex, (low, high), reported_h, returned_h, grade, found, out_of_area) in enumerate(TODAY, 1):
        pick = next(
            (
                c
                for care_first in (True, False)
                for c in candidates
                if c[3] not in chosen
                and c[5] == sex
                and low <= age_on(c[4], at.date()) <= high
                and (not care_first or c[3] in in_care or number != 1)
            ),
            None,
        )
        if pick is None:
            continue
        chosen.add(pick[3])
        reported = at - dt.timedelta(hours=reported_h)
        returned = at - dt.timedelta(hours=returned_h) if returned_h is not None else None
        items.append(
            ItemIn(
                record_key=pick[:3],
                item_type="missing_report",
                controller_code=police.code,
                purpose="safeguarding",
                occurred_at=reported,
                summary=f"Reported missing; {found or 'not yet found'}",
                details={
                    "risk_grade": grade,
                    "returned_at": returned.isoformat() if returned else None,
                    "found_location": found,
                    "found_out_of_area": out_of_area,
                    "missing_from": "placement" if pick[3] in in_care else "home",
                    "reported_by": "children's home staff" if pick[3] in in_care else "parent",
                    "occurrence_ref": f"LP-TODAY-{number:02d}",
                },
                event_key=f"MPR:LP-TODAY-{number:02d}",
            )
        )
    return timeline_items_collect(
        items=items, source_reference="synthetic county: today's police missing feed", system_actor=SYSTEM
    )


# How the generator names contact sources, as CIN census ReferralSource codes (standards.md §4.2).
CONTACT_SOURCES = {"school": "2A", "police": "6", "health": "3F", "family member": "1A", "early help": "5D",
                   "anonymous member of the public": "9", "housing": "4", "other": "8"}  # fmt: skip
FRONT_DOOR_DAYS = 4


def open_front_door(days: int = FRONT_DOOR_DAYS) -> int:
    """The front door's in-tray on the demo day: the last few days' contacts and police missing
    notifications, not yet decided (journey 1). Older history counts as already dealt with."""
    from lantern.core.timeutils import now
    from lantern.missing.models import MissingReport
    from lantern.referrals.models import Contact
    from lantern.referrals.services import contact_from_missing_report, decision_due_at

    since = now() - dt.timedelta(days=days)
    front_door = Team.objects.get(service="front_door")
    with transaction.atomic():
        for report in MissingReport.objects.filter(reported_at__gte=since).select_related(
            "item", "police_force"
        ):
            contact_from_missing_report(report=report, system_actor=SYSTEM)
        items = TimelineItem.objects.filter(item_type="csc_contact", occurred_at__gte=since).exclude(
            summary__contains="reported missing"
        )
        contacts = [
            Contact(
                person_id=item.person_id,
                kind="contact",
                received_at=item.occurred_at,
                source=CONTACT_SOURCES.get(item.details.get("source", ""), "8"),
                referrer=item.details.get("source", ""),
                summary=item.summary,
                team=front_door,
                decision_due_at=decision_due_at(item.occurred_at),
                controller_id=item.controller_id,
                purpose="safeguarding",
                item_type="front_door_contact",
                source_reference=item.source_reference,
            )
            for item in items
        ]
        Contact.objects.bulk_create(contacts)
        relationships_ensure(
            person_ids={c.person_id for c in contacts},
            team=front_door,
            kind="referral",
            reason="Front door contact received",
            system_actor=SYSTEM,
        )
    return Contact.objects.filter(decided_at__isnull=True).count()


def refresh_planner_statistics() -> None:
    """After a bulk load, let the database re-plan with real table sizes (both vendors run ANALYZE)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def already_loaded() -> bool:
    return SourceRecord.objects.exists()


def as_of_default() -> dt.date:
    from lantern.core.timeutils import now

    return now().date()
