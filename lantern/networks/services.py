"""Every write to the association map. Links are derived from agency records (police intelligence
naming a deal line, its number and its organised crime group; arrests with co-arrested people and
where they happened; where people live) and recorded by hand by analysts; each keeps its source,
gradings and handling code, and is controlled by the agency whose record it comes from."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable

import phonenumbers
from django.db import transaction
from django.db.models import Q

from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.timeutils import local, now
from lantern.people.models import Address, Person, SourceRecord, TimelineItem, lantern_source

from .models import Entity, Link, PeerMap

DERIVED_TYPES = ("intelligence", "arrest", "stop_search", "missing_report")
_G555 = re.compile(r"([A-E])([1-5])")
_DRAMA = re.compile(r"\+447700900\d{3}")


def phone_key(raw: str) -> tuple[str, bool]:
    """(E.164 number, True), or (the number as typed, False) when it will not parse as a UK or
    international number: kept, flagged, never guessed."""
    text = (raw or "").strip()
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return text, False
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Ofcom's drama range (07700 900000-900999, what the synthetic county uses) is not "valid" to
    # libphonenumber, but is a well-formed UK mobile number.
    if not (phonenumbers.is_valid_number(number) or _DRAMA.fullmatch(e164)):
        return text, False
    return e164, True


def gradings(grading: str) -> tuple[str, str]:
    """(source reliability A–E, information assessment 1–5) from a 5x5x5 grading such as "B2";
    blank for a 3x5x2 grading (its scales differ; the grading itself is kept in the link's note)."""
    match = _G555.fullmatch((grading or "").upper())
    return (match.group(1), match.group(2)) if match else ("", "")


class _Entities:
    """Entities found or created during one derivation, by (kind, key)."""

    def __init__(self):
        self.cache: dict[tuple[str, str], Entity] = {}
        # Addresses by (first line, town), lower case, loaded one town at a time: a case-insensitive
        # lookup per record scanned the whole address table each time (1,256 s of a 100,000-row commit).
        self.towns: dict[str, dict[str, Address]] = {}
        # Each agency's nominal ids -> person, loaded once: arrests name their co-arrested by these.
        self.nominals: dict[int, dict[str, set[uuid.UUID]]] = {}

    def nominals_of(self, agency_id: int) -> dict[str, set[uuid.UUID]]:
        if agency_id not in self.nominals:
            index: dict[str, set[uuid.UUID]] = {}
            for key, person_id in SourceRecord.objects.filter(
                agency_id=agency_id, person__isnull=False
            ).values_list("source_key", "person_id"):
                index.setdefault(key, set()).add(person_id)
            self.nominals[agency_id] = index
        return self.nominals[agency_id]

    @staticmethod
    def _defaults(kind: str, label: str, controller_id: int, **extra) -> dict:
        return {
            "label": label[:200],
            "controller_id": controller_id,
            "purpose": "law_enforcement" if kind in ("phone", "ocg", "deal_line") else "safeguarding",
            "item_type": "network_entity",
            "source_reference": lantern_source("derived from agency records"),
            **extra,
        }

    def get(self, kind: str, key: str, label: str, controller_id: int, **extra) -> Entity:
        found = self.cache.get((kind, key))
        if found is None:
            found, _ = Entity.objects.get_or_create(
                kind=kind, key=key, defaults=self._defaults(kind, label, controller_id, **extra)
            )
            self.cache[(kind, key)] = found
        return found

    def bulk(self, kind: str, wanted: dict[str, dict]) -> None:
        """Find or create many entities of one kind at once (key -> defaults of `_defaults`)."""
        missing = [key for key in wanted if (kind, key) not in self.cache]
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            for entity in Entity.objects.filter(kind=kind, key__in=chunk):
                self.cache[(kind, entity.key)] = entity
            new = [
                Entity(kind=kind, key=key, **wanted[key]) for key in chunk if (kind, key) not in self.cache
            ]
            Entity.objects.bulk_create(new, batch_size=500)
            if new and new[0].pk is None:  # a backend that returns no ids: read them back
                new = list(Entity.objects.filter(kind=kind, key__in=[e.key for e in new]))
            for entity in new:
                self.cache[(kind, entity.key)] = entity

    def person(self, person: Person, controller_id: int) -> Entity:
        return self.get(
            "person", str(person.pk), person.display_name or str(person.pk), controller_id, person=person
        )

    def address(self, address: Address, controller_id: int) -> Entity:
        return self.get("address", str(address.pk), str(address), controller_id, address=address)

    def phone(self, raw: str, controller_id: int) -> Entity:
        key, parsed = phone_key(raw)
        return self.get("phone", key, key, controller_id, raw_value=raw[:200], parsed=parsed)

    def address_named(self, location: str) -> Address | None:
        """An address named as "line 1, town" in a record (an arrest or intelligence location)."""
        if "," not in location:
            return None
        line1, town = (part.strip().lower() for part in location.rsplit(",", 1))
        if town not in self.towns:
            # Highest pk first, so that the lowest pk wins for a repeated first line, as before.
            self.towns[town] = {
                a.line1.lower(): a for a in Address.objects.filter(town__iexact=town).order_by("-pk")
            }
        return self.towns[town].get(line1)


def _link(item: TimelineItem, source: Entity, target: Entity, link_type: str, **fields) -> bool:
    """The link this record shows, made once (True if made now)."""
    if source.pk == target.pk:
        return False
    day = local(item.occurred_at).date()
    reliability, assessment = gradings(item.details.get("grading", ""))
    _, created = Link.objects.get_or_create(
        source=source,
        target=target,
        link_type=link_type,
        source_item=item,
        defaults={
            "starts_on": day,
            "ends_on": day,
            "source_reliability": reliability,
            "information_assessment": assessment,
            "controller_id": item.controller_id,
            "purpose": item.purpose,
            "handling_code": item.handling_code,
            # Shared exactly as the record it comes from is shared (type, purpose, handling code).
            "item_type": item.item_type,
            "source_reference": item.source_reference,
            "note": (item.details.get("grading") or "")[:300],
            **fields,
        },
    )
    return created


def _derive_intelligence(item: TimelineItem, entities: _Entities) -> int:
    details = item.details
    brand, number = (details.get("line_name") or "").strip(), (details.get("deal_line_number") or "").strip()
    if not (brand or number):
        return 0
    made = 0
    line = entities.get("deal_line", (brand or number).lower(), brand or number, item.controller_id)
    subject = entities.person(item.person, item.controller_id)
    role = (details.get("subject_role") or "").lower()
    made += _link(item, subject, line, "controls" if role == "adult posing risk" else "exploited_by")
    if number:
        made += _link(item, line, entities.phone(number, item.controller_id), "uses_phone")
    if ocg_key := (details.get("ocg_key") or "").strip():
        ocg = entities.get("ocg", ocg_key, ocg_key, item.controller_id)
        made += _link(item, ocg, line, "controls")
        if role == "adult posing risk":
            made += _link(item, subject, ocg, "member_of")
    if (address := entities.address_named(details.get("location") or "")) is not None:
        made += _link(item, line, entities.address(address, item.controller_id), "frequents")
    return made


def _co_arrested(item: TimelineItem, entities: _Entities) -> list[uuid.UUID]:
    details = item.details
    keys = details.get("co_arrested_nominal_ids") or []
    people = set()
    if keys:
        nominals = entities.nominals_of(item.controller_id)
        for key in keys:
            people |= nominals.get(key, set())
    for record_key in details.get("co_arrested_record_keys") or []:
        agency, system, key = (record_key.split("/") + ["", "", ""])[:3]
        people.update(
            SourceRecord.objects.filter(agency__code=agency, source_system=system, source_key=key)
            .exclude(person__isnull=True)
            .values_list("person_id", flat=True)
        )
    people.discard(item.person_id)
    return sorted(people, key=str)


def _derive_arrest(item: TimelineItem, entities: _Entities) -> int:
    made = 0
    subject = entities.person(item.person, item.controller_id)
    occurrence = item.details.get("occurrence_ref") or ""
    for other_id in _co_arrested(item, entities):
        other = entities.person(Person.objects.get(pk=other_id), item.controller_id)
        pair = Q(source=subject, target=other) | Q(source=other, target=subject)
        already = (
            Link.objects.filter(pair, link_type="co_arrested", note=occurrence).exists()
            if occurrence
            else False
        )
        if not already:
            made += _link(item, subject, other, "co_arrested", note=occurrence[:300])
    if (address := entities.address_named(item.details.get("location") or "")) is not None:
        made += _link(item, subject, entities.address(address, item.controller_id), "found_at")
    return made


def _derive_missing(item: TimelineItem, entities: _Entities) -> int:
    """A missing child found at a known address (e.g. a cuckooed flat)."""
    address = entities.address_named(item.details.get("found_location") or "")
    if address is None:
        return 0
    return bool(
        _link(
            item,
            entities.person(item.person, item.controller_id),
            entities.address(address, item.controller_id),
            "found_at",
        )
    )


def _residence_links(entities: _Entities) -> int:
    """Where the people in the map live, and who lives at the addresses in it (from agency records:
    a vulnerable adult's home is how a cuckooed address shows). Set-based: a batch of 100,000 police
    rows touches tens of thousands of people, and one query per record took most of its commit."""
    person_ids = {e.person_id for e in entities.cache.values() if e.person_id}
    address_ids = {e.address_id for e in entities.cache.values() if e.address_id}
    records = list(
        SourceRecord.objects.filter(address__isnull=False, person__isnull=False)
        .filter(Q(person_id__in=person_ids) | Q(address_id__in=address_ids))
        .values_list("pk", "person_id", "address_id", "agency_id", "source_reference", "valid_from")
    )
    if not records:
        return 0
    people = {
        p.pk: p for p in Person.objects.filter(pk__in={r[1] for r in records}).only("id", "display_name")
    }
    homes = {a.pk: a for a in Address.objects.filter(pk__in={r[2] for r in records})}
    entities.bulk("person", {
        str(pid): entities._defaults("person", p.display_name or str(pid), agency, person=p)
        for _, pid, _, agency, _, _ in records if (p := people[pid])
    })  # fmt: skip
    entities.bulk("address", {
        str(aid): entities._defaults("address", str(homes[aid]), agency, address=homes[aid])
        for _, _, aid, agency, _, _ in records
    })  # fmt: skip
    wanted = {}
    for pk, pid, aid, agency, reference, valid_from in records:
        source, target = entities.cache[("person", str(pid))], entities.cache[("address", str(aid))]
        wanted[(source.pk, target.pk, f"{reference} (record {pk})")] = (agency, valid_from)
    sources = sorted({s for s, _, _ in wanted})
    existing = set()
    for start in range(0, len(sources), 500):
        existing.update(
            Link.objects.filter(link_type="lives_at", source_id__in=sources[start : start + 500]).values_list(
                "source_id", "target_id", "source_reference"
            )
        )
    new = [
        Link(
            source_id=source, target_id=target, link_type="lives_at", source_reference=reference,
            starts_on=valid_from, controller_id=agency, purpose="safeguarding", item_type="source_record",
        )
        for (source, target, reference), (agency, valid_from) in wanted.items()
        if (source, target, reference) not in existing
    ]  # fmt: skip
    Link.objects.bulk_create(new, batch_size=500)
    return len(new)


_DERIVERS = {
    "intelligence": _derive_intelligence,
    "arrest": _derive_arrest,  # co-arrested people, and where
    "stop_search": _derive_arrest,  # where the person was found
    "missing_report": _derive_missing,
}


@transaction.atomic
def network_derive(
    *, item_ids: Iterable[int] | None = None, after_item_id: int | None = None, system_actor: str = "network"
) -> int:
    """Derive links from police records: all of them (nightly), those given, or those added after an
    item id (an import batch). Idempotent: a record's links are made once. Returns links made."""
    items = TimelineItem.objects.filter(item_type__in=DERIVED_TYPES).select_related("person")
    if item_ids is not None:
        items = items.filter(pk__in=list(item_ids))
    if after_item_id is not None:
        items = items.filter(pk__gt=after_item_id)
    entities = _Entities()
    made = 0
    for item in items.order_by("occurred_at", "pk").iterator(chunk_size=2000):
        made += _DERIVERS[item.item_type](item, entities)
    made += _residence_links(entities)
    if made:
        audit_record(
            code=AuditCode.NETWORK_DERIVED,
            system_actor=system_actor,
            object_type="network",
            justification="Association links derived from agency records",
            details={"links": made},
        )
    return made


# --- by hand ------------------------------------------------------------------------------------


@transaction.atomic
def link_record(
    *,
    viewer: Viewer,
    source_id: int,
    target_id: int,
    link_type: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    source_reliability: str = "",
    information_assessment: str = "",
    handling_code: int = 3,
    note: str = "",
) -> Link:
    """A link an analyst records. Both ends must be entities the analyst may see: an entity they may
    not see is refused exactly as one that does not exist (never revealed)."""
    from .selectors import entity_visible

    if not viewer.can(Cap.NETWORK_EDIT):
        raise AccessDenied("Your role does not include recording associations.")
    ends = [entity_visible(viewer, entity_id) for entity_id in (source_id, target_id)]
    if None in ends:
        raise ValidationFailed({"target": "Choose an entity you can see"})
    source, target = ends
    errors = {}
    if source.pk == target.pk:
        errors["target"] = "A link joins two different entities"
    if link_type not in codelist("network_link_type"):
        errors["link_type"] = "Choose the type of link"
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = "The link cannot end before it starts"
    if source_reliability and source_reliability not in codelist("source_reliability"):
        errors["source_reliability"] = "Choose a source reliability A to E"
    if information_assessment and information_assessment not in codelist("information_assessment"):
        errors["information_assessment"] = "Choose an information assessment 1 to 5"
    if str(handling_code) not in codelist("handling_code"):
        errors["handling_code"] = "Choose a handling code 1 to 5"
    if not note.strip():
        errors["note"] = "Enter the source of the association"
    if errors:
        raise ValidationFailed(errors)
    link = Link.objects.create(
        source=source,
        target=target,
        link_type=link_type,
        starts_on=starts_on,
        ends_on=ends_on,
        source_reliability=source_reliability,
        information_assessment=information_assessment,
        handling_code=handling_code,
        controller=viewer.agency,
        purpose="law_enforcement" if viewer.agency.is_law_enforcement else "safeguarding",
        item_type="network_link",
        source_reference=lantern_source(f"link by {viewer.user.username}"),
        created_by=viewer.user,
        note=note.strip(),
    )
    audit_record(
        code=AuditCode.NETWORK_LINK_RECORDED,
        viewer=viewer,
        subjects=[e.person_id for e in (source, target) if e.person_id],
        object_type="network_link",
        object_id=link.pk,
        justification="Association recorded by hand",
    )
    return link


def phone_entity_record(*, viewer: Viewer, number: str) -> Entity:
    """A phone number typed by an analyst: E.164 when it parses, else kept as typed and flagged."""
    if not viewer.can(Cap.NETWORK_EDIT):
        raise AccessDenied("Your role does not include recording associations.")
    if not number.strip():
        raise ValidationFailed({"number": "Enter the phone number"})
    key, parsed = phone_key(number)
    entity, _ = Entity.objects.get_or_create(
        kind="phone",
        key=key,
        defaults={
            "label": key,
            "raw_value": number.strip(),
            "parsed": parsed,
            "controller": viewer.agency,
            "purpose": "law_enforcement",
            "item_type": "network_entity",
            "source_reference": lantern_source(f"phone by {viewer.user.username}"),
        },
    )
    return entity


INITIALS = re.compile(r"[A-Z]{1,3}")
INFLUENCES = ("protective", "harmful", "unclear")


@transaction.atomic
def peer_map_record(
    *, viewer: Viewer, person_id: uuid.UUID, purpose_note: str, review_on: dt.date, entries: list[dict]
) -> PeerMap:
    """A peer map for safety planning. Initials only: a full name is refused, so the map can never
    become a list of names."""
    from lantern.access.policy import relationship_basis

    if not viewer.can(Cap.PLAN_RECORD):
        raise AccessDenied("Your role does not include safety planning.")
    if relationship_basis(viewer, person_id) is None:
        raise AccessDenied("You do not have a legitimate relationship with this child.")
    errors = {}
    if not purpose_note.strip():
        errors["purpose_note"] = "Enter why the map is made"
    if review_on <= local(now()).date():
        errors["review_on"] = "The review date must be in the future"
    if not entries:
        errors["entries"] = "Add at least one person who matters to the child"
    for number, entry in enumerate(entries, start=1):
        initials = (entry.get("initials") or "").replace(".", "").replace(" ", "").upper()
        if not INITIALS.fullmatch(initials):
            errors[f"entry {number} initials"] = "Use initials only (up to three letters), never a name"
        if entry.get("influence") not in INFLUENCES:
            errors[f"entry {number} influence"] = "Choose protective, harmful or unclear"
        entry["initials"] = initials
    if errors:
        raise ValidationFailed(errors)
    peer_map = PeerMap.objects.create(
        person_id=person_id,
        purpose_note=purpose_note.strip(),
        review_on=review_on,
        entries=[
            {k: str(e.get(k, "")).strip()[:100] for k in ("initials", "relationship", "influence", "place")}
            for e in entries
        ],
        created_by=viewer.user,
        controller=viewer.agency,
        purpose="safeguarding",
        item_type="peer_map",
        source_reference=lantern_source(f"peer map by {viewer.user.username}"),
    )
    audit_record(
        code=AuditCode.NETWORK_LINK_RECORDED,
        viewer=viewer,
        subjects=[person_id],
        object_type="peer_map",
        object_id=peer_map.pk,
        justification="Peer map recorded (initials only)",
    )
    return peer_map
