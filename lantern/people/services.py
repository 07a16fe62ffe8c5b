"""Every write to people data. Bulk collection (imports, feeds, the synthetic county) validates each
row, writes in batches inside one transaction, links records to persons deterministically on shared
identifiers, and writes one collection audit row per batch (DPA 2018 s62 "collection")."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from lantern.access.models import Agency
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.codelists import codelist
from lantern.core.exceptions import ValidationFailed
from lantern.core.timeutils import now

from .keys import family_keys, given_key, normalise_postcode
from .models import Address, Person, PersonCategory, SourceRecord, TimelineItem

IDENTIFIER_FIELDS = ("nhs_number", "upn", "la_child_id", "police_id")
_BATCH = 2_000


@dataclass
class RecordIn:
    agency_code: str
    source_system: str
    source_key: str
    given_name: str = ""
    family_name: str = ""
    dob: dt.date | None = None
    sex: str = "U"
    gender: str = ""
    ethnicity: str | None = None
    address: dict[str, str] | None = None  # line1, town, postcode, district
    postcode: str = ""
    upn: str = ""
    nhs_number: str = ""
    la_child_id: str = ""
    police_id: str = ""
    received_at: dt.datetime | None = None
    valid_from: dt.date | None = None
    source_reference: str = ""  # this record's own file and row; default "<batch reference> row N"


@dataclass
class ItemIn:
    record_key: tuple[str, str, str]  # (agency code, source system, source key) of the record it is about
    item_type: str
    controller_code: str
    purpose: str
    occurred_at: dt.datetime
    summary: str
    handling_code: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    event_key: str | None = None  # the event's key in its source (idempotent re-import)
    source_reference: str = ""  # this item's own file and row; default "<batch reference> row N"


@dataclass
class CategoryIn:
    record_key: tuple[str, str, str]
    category: str
    controller_code: str
    starts_on: dt.date
    ends_on: dt.date | None = None
    purpose: str = "safeguarding"


def _check_code(errors: dict[str, str], row: str, field_name: str, list_name: str, value: Any) -> None:
    if value not in codelist(list_name):
        errors[f"{row} {field_name}"] = f"'{value}' is not a code in the {list_name} list"


def _validate_record(
    row: str, rec: RecordIn, agencies: dict[str, Agency], today: dt.date, *, names_optional: bool = False
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if rec.agency_code not in agencies:
        errors[f"{row} agency_code"] = f"unknown agency '{rec.agency_code}'"
    if not rec.source_key:
        errors[f"{row} source_key"] = "required"
    if not (rec.given_name or rec.family_name or names_optional):
        errors[f"{row} name"] = "a given or family name is required"
    if rec.dob and not (dt.date(1900, 1, 1) <= rec.dob <= today):
        errors[f"{row} dob"] = f"{rec.dob.isoformat()} is not a plausible date of birth"
    _check_code(errors, row, "sex", "sex", rec.sex or "U")
    if rec.ethnicity:
        _check_code(errors, row, "ethnicity", "ethnicity", rec.ethnicity)
    if rec.nhs_number and not (len(rec.nhs_number) == 10 and rec.nhs_number.isdigit()):
        errors[f"{row} nhs_number"] = "expected 10 digits"
    return errors


def _validate_item(row: str, item: ItemIn | CategoryIn, agencies: dict[str, Agency]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if item.controller_code not in agencies:
        errors[f"{row} controller"] = f"unknown agency '{item.controller_code}'"
    _check_code(errors, row, "purpose", "purpose", item.purpose)
    if isinstance(item, ItemIn):
        _check_code(errors, row, "item_type", "item_type", item.item_type)
        if item.event_key is not None and not (0 < len(item.event_key) <= 200):
            errors[f"{row} event_key"] = "expected 1 to 200 characters"
        if item.handling_code is not None:
            _check_code(errors, row, "handling_code", "handling_code", item.handling_code)
        if item.occurred_at.tzinfo is None:
            errors[f"{row} occurred_at"] = "must carry a time zone"
    else:
        _check_code(errors, row, "category", "subject_category", item.category)
    return errors


def _agencies() -> dict[str, Agency]:
    return {a.code: a for a in Agency.objects.all()}


def record_problems(
    rec: RecordIn, *, agencies: dict[str, Agency] | None = None, names_optional: bool = False
) -> dict[str, str]:
    """What `source_records_collect` would refuse in this one record (field -> message), so an
    import can quarantine the row before committing instead of failing the whole batch."""
    errors = _validate_record("", rec, agencies or _agencies(), now().date(), names_optional=names_optional)
    return {key.strip(): message for key, message in errors.items()}


def item_problems(item: ItemIn, *, agencies: dict[str, Agency] | None = None) -> dict[str, str]:
    """What `timeline_items_collect` would refuse in this one item (its record aside)."""
    return {
        key.strip(): message for key, message in _validate_item("", item, agencies or _agencies()).items()
    }


def _stored_addresses(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Address]:
    """Stored addresses for (line1, postcode) keys: looked up by postcode (indexed) in chunks and
    matched on line1 here — one IN list per column would make the database pair every postcode with
    every first line."""
    postcodes = sorted({postcode for _, postcode in keys})
    found: dict[tuple[str, str], Address] = {}
    for start in range(0, len(postcodes), 500):
        for address in Address.objects.filter(postcode__in=postcodes[start : start + 500]):
            key = (address.line1, address.postcode)
            if key in keys:
                found[key] = address
    return found


def _addresses_for(records: Sequence[RecordIn]) -> dict[tuple[str, str], Address]:
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for rec in records:
        if rec.address:
            key = (rec.address["line1"].strip(), normalise_postcode(rec.address["postcode"]))
            wanted.setdefault(key, rec.address)
    if not wanted:
        return {}
    existing = _stored_addresses(set(wanted))
    missing = [
        Address(line1=k[0], postcode=k[1], town=v.get("town", ""), district=v.get("district", ""))
        for k, v in wanted.items()
        if k not in existing
    ]
    Address.objects.bulk_create(missing, batch_size=_BATCH)
    if missing:
        existing.update(_stored_addresses({(a.line1, a.postcode) for a in missing}))
    return existing


def _persons_by_identifier(records: Sequence[SourceRecord]) -> dict[tuple[str, str], Any]:
    """Existing person ids for every identifier value in the batch (deterministic first pass)."""
    found: dict[tuple[str, str], Any] = {}
    for name in IDENTIFIER_FIELDS:
        values = sorted({getattr(r, name) for r in records if getattr(r, name)})
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            rows = SourceRecord.objects.filter(**{f"{name}__in": chunk}, person__isnull=False).values_list(
                name, "person_id"
            )
            for value, person_id in rows:
                found.setdefault((name, value), person_id)
    return found


@transaction.atomic
def source_records_collect(
    *,
    records: Sequence[RecordIn],
    source_reference: str,
    system_actor: str = "",
    viewer=None,
    names_optional: bool = False,
) -> list[SourceRecord]:
    """Validate, store and link a batch of agency records. All or nothing: any invalid row rejects
    the batch with errors naming the row and field, and nothing is written.

    `names_optional` is for statutory returns (SSDA903, CIN census), which carry no names by design:
    such a record is stored without a name (never a placeholder) and links on its identifiers."""
    agencies, today, received = _agencies(), now().date(), now()
    errors: dict[str, str] = {}
    for index, rec in enumerate(records, start=1):
        errors.update(_validate_record(f"row {index}", rec, agencies, today, names_optional=names_optional))
    if errors:
        raise ValidationFailed(errors)

    addresses = _addresses_for(records)
    rows: list[SourceRecord] = []
    for index, rec in enumerate(records, start=1):
        fkey, fkey_alt = family_keys(rec.family_name)
        address = (
            addresses.get((rec.address["line1"].strip(), normalise_postcode(rec.address["postcode"])))
            if (rec.address)
            else None
        )
        rows.append(
            SourceRecord(
                agency=agencies[rec.agency_code],
                source_system=rec.source_system,
                source_key=rec.source_key,
                source_reference=rec.source_reference or f"{source_reference} row {index}",
                given_name=rec.given_name.strip(),
                family_name=rec.family_name.strip(),
                dob=rec.dob,
                sex=rec.sex or "U",
                gender=rec.gender,
                ethnicity=rec.ethnicity or "",
                address=address,
                postcode=normalise_postcode(rec.postcode) if rec.postcode else "",
                upn=rec.upn,
                nhs_number=rec.nhs_number,
                la_child_id=rec.la_child_id,
                police_id=rec.police_id,
                received_at=rec.received_at or received,
                valid_from=rec.valid_from,
                given_key=given_key(rec.given_name),
                family_key=fkey,
                family_key_alt=fkey_alt,
            )
        )
    new_person_ids = _link_deterministically(rows)
    SourceRecord.objects.bulk_create(rows, batch_size=_BATCH)
    people_refresh_display({r.person_id for r in rows})
    audit_record(
        code=AuditCode.RECORDS_COLLECTED,
        viewer=viewer,
        system_actor=system_actor,
        subjects={r.person_id for r in rows},
        object_type="source_record_batch",
        object_id=source_reference,
        justification="Collection of agency records for safeguarding (DPA 2018 s62)",
        details={"records": len(rows), "new_persons": len(new_person_ids)},
    )
    return rows


# Fields `source_records_update` may set (RecordIn names; "address" is line1 + town + postcode).
UPDATABLE_FIELDS = (
    "given_name",
    "family_name",
    "dob",
    "sex",
    "gender",
    "ethnicity",
    "address",
    "postcode",
    "upn",
    "nhs_number",
    "la_child_id",
    "police_id",
)


@dataclass
class RecordUpdate:
    """New values for the `fields` of one stored record (its other fields are left alone)."""

    record_id: int
    record: RecordIn
    fields: frozenset[str]


@transaction.atomic
def source_records_update(
    *,
    updates: Sequence[RecordUpdate],
    source_reference: str,
    system_actor: str = "",
    viewer=None,
    names_optional: bool = False,
) -> int:
    """Correct stored records from a newer copy of the agency's data: set the given fields, recompute
    the search keys, refresh the people's display fields, and write one audit row (DPA 2018 s62
    "alteration"). All or nothing. A record keeps its person: moving a record to another person is
    identity resolution's decision (merge/split), not a field correction."""
    agencies, today = _agencies(), now().date()
    errors: dict[str, str] = {}
    for index, upd in enumerate(updates, start=1):
        unknown = set(upd.fields) - set(UPDATABLE_FIELDS)
        if unknown:
            errors[f"row {index} fields"] = f"cannot update {', '.join(sorted(unknown))}"
        # A file that does not carry names (a statutory return) never blanks stored names.
        optional = names_optional or not ({"given_name", "family_name"} & set(upd.fields))
        errors.update(_validate_record(f"row {index}", upd.record, agencies, today, names_optional=optional))
    if errors:
        raise ValidationFailed(errors)
    stored = SourceRecord.objects.in_bulk([u.record_id for u in updates])
    missing = [u.record_id for u in updates if u.record_id not in stored]
    if missing:
        raise ValidationFailed({"record": f"no stored record with id {missing[0]}"})
    addresses = _addresses_for([u.record for u in updates if "address" in u.fields])
    changed_fields: Counter[str] = Counter()
    rows: list[SourceRecord] = []
    changed_at = now()
    for index, upd in enumerate(updates, start=1):
        row, rec = stored[upd.record_id], upd.record
        row.updated_at = changed_at
        for name in upd.fields:
            changed_fields[name] += 1
            if name == "address":
                row.address = (
                    addresses.get((rec.address["line1"].strip(), normalise_postcode(rec.address["postcode"])))
                    if rec.address
                    else None
                )
            elif name == "postcode":
                row.postcode = normalise_postcode(rec.postcode) if rec.postcode else ""
            elif name in ("given_name", "family_name"):
                setattr(row, name, getattr(rec, name).strip())
            elif name == "sex":
                row.sex = rec.sex or "U"
            elif name == "ethnicity":
                row.ethnicity = rec.ethnicity or ""
            else:
                setattr(row, name, getattr(rec, name))
        row.given_key = given_key(row.given_name)
        row.family_key, row.family_key_alt = family_keys(row.family_name)
        row.source_reference = rec.source_reference or f"{source_reference} row {index}"
        row.received_at = rec.received_at or changed_at  # this version of the record arrived now
        rows.append(row)
    if rows:
        SourceRecord.objects.bulk_update(
            rows,
            [
                *(f for f in UPDATABLE_FIELDS if f != "address"),
                "address",
                "given_key",
                "family_key",
                "family_key_alt",
                "source_reference",
                "received_at",
                "updated_at",
            ],
            batch_size=500,
        )
    people_refresh_display({r.person_id for r in rows})
    audit_record(
        code=AuditCode.RECORDS_UPDATED,
        viewer=viewer,
        system_actor=system_actor,
        subjects={r.person_id for r in rows if r.person_id},
        object_type="source_record_batch",
        object_id=source_reference,
        justification="Correction of agency records from the agency's newer data (DPA 2018 s62)",
        details={"records": len(rows), "fields": dict(sorted(changed_fields.items()))},
    )
    return len(rows)


def _link_deterministically(rows: list[SourceRecord]) -> set:
    """Give each record a person: an existing one sharing an identifier, else a new person.

    Records within the batch that share an identifier join the same new person."""
    known = _persons_by_identifier(rows)
    link_time = now()
    new_people: list[Person] = []
    for row in rows:
        person_id = next(
            (
                known[(name, getattr(row, name))]
                for name in IDENTIFIER_FIELDS
                if (name, getattr(row, name)) in known
            ),
            None,
        )
        if person_id is None:
            person = Person()
            new_people.append(person)
            person_id = person.id
            row.link_method, row.link_confidence = "new", None
        else:
            row.link_method, row.link_confidence = "deterministic", 1.0
        row.person_id, row.linked_at = person_id, link_time
        for name in IDENTIFIER_FIELDS:
            if value := getattr(row, name):
                known.setdefault((name, value), person_id)
    Person.objects.bulk_create(new_people, batch_size=_BATCH)
    return {p.id for p in new_people}


def people_refresh_display(person_ids: Iterable) -> None:
    """Derive each person's display fields from their records: the most frequent name and date of
    birth (ties go to the most recently received record), sex and district of the latest record."""
    ids = sorted({pid for pid in person_ids if pid is not None}, key=str)
    table, pk_field = connection.ops.quote_name(Person._meta.db_table), Person._meta.pk
    sql = (
        f"UPDATE {table} SET display_name = %s, display_dob = %s, display_sex = %s, "  # noqa: S608 — model's table; values bound
        "display_district = %s WHERE id = %s"
    )
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        by_person: dict[Any, list[tuple]] = {}
        for row in (
            SourceRecord.objects.filter(person_id__in=chunk)
            .order_by("-received_at", "-id")
            .values_list("person_id", "given_name", "family_name", "dob", "sex", "address__district")
        ):
            by_person.setdefault(row[0], []).append(row[1:])
        updates = []
        for person_id, rows in by_person.items():
            # A record without names (a statutory return) says nothing about the name.
            names = Counter(name for g, f, *_ in rows if (name := f"{g} {f}".strip()))
            dobs = Counter(r[2] for r in rows if r[2])
            sexes = [r[3] for r in rows if r[3] and r[3] != "U"]
            districts = [r[4] for r in rows if r[4]]
            # most_common keeps first-seen order among ties, and rows run newest first.
            updates.append(
                (
                    names.most_common(1)[0][0] if names else "",
                    dobs.most_common(1)[0][0] if dobs else None,
                    sexes[0] if sexes else "U",
                    districts[0] if districts else "",
                    pk_field.get_db_prep_value(person_id, connection),
                )
            )
        # One prepared UPDATE run many times: bulk_update's CASE expressions cost seconds per batch.
        with connection.cursor() as cursor:
            cursor.executemany(sql, updates)


def _records_by_key(keys: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], tuple[int, Any]]:
    found: dict[tuple[str, str, str], tuple[int, Any]] = {}
    by_agency: dict[tuple[str, str], list[str]] = {}
    for agency_code, system, key in keys:
        by_agency.setdefault((agency_code, system), []).append(key)
    for (agency_code, system), source_keys in by_agency.items():
        for start in range(0, len(source_keys), 500):
            for key, record_id, person_id in SourceRecord.objects.filter(
                agency__code=agency_code,
                source_system=system,
                source_key__in=source_keys[start : start + 500],
            ).values_list("source_key", "id", "person_id"):
                found[(agency_code, system, key)] = (record_id, person_id)
    return found


@transaction.atomic
def timeline_items_collect(
    *, items: Sequence[ItemIn], source_reference: str, system_actor: str = "", viewer=None
) -> int:
    """Validate and store a batch of timeline items about already-collected records. All or nothing."""
    agencies = _agencies()
    records = _records_by_key({item.record_key for item in items})
    errors: dict[str, str] = {}
    for index, item in enumerate(items, start=1):
        errors.update(_validate_item(f"row {index}", item, agencies))
        if item.record_key not in records:
            errors[f"row {index} record"] = f"no record {'/'.join(item.record_key)} has been collected"
    if errors:
        raise ValidationFailed(errors)
    recorded = now()
    rows = [
        TimelineItem(
            person_id=records[item.record_key][1],
            source_record_id=records[item.record_key][0],
            controller=agencies[item.controller_code],
            purpose=item.purpose,
            handling_code=item.handling_code,
            item_type=item.item_type,
            source_reference=item.source_reference or f"{source_reference} row {index}",
            occurred_at=item.occurred_at,
            recorded_at=recorded,
            summary=item.summary[:300],
            details=item.details,
            event_key=item.event_key,
        )
        for index, item in enumerate(items, start=1)
    ]
    TimelineItem.objects.bulk_create(rows, batch_size=_BATCH)
    audit_record(
        code=AuditCode.ITEMS_COLLECTED,
        viewer=viewer,
        system_actor=system_actor,
        object_type="timeline_item_batch",
        object_id=source_reference,
        justification="Collection of agency events for safeguarding (DPA 2018 s62)",
        details={"items": len(rows), "by_type": dict(sorted(Counter(r.item_type for r in rows).items()))},
    )
    return len(rows)


@transaction.atomic
def timeline_items_update(
    *,
    updates: Sequence[tuple[int, ItemIn]],
    source_reference: str,
    system_actor: str = "",
    viewer=None,
) -> int:
    """Correct stored timeline items (by id) from a newer copy of the source: when, summary, details,
    purpose, handling code and the record they belong to. Controller and type never change (they
    identify the item with its event key). All or nothing; one audit row (DPA 2018 s62 "alteration")."""
    agencies = _agencies()
    records = _records_by_key({item.record_key for _, item in updates})
    stored = TimelineItem.objects.in_bulk([item_id for item_id, _ in updates])
    errors: dict[str, str] = {}
    for index, (item_id, item) in enumerate(updates, start=1):
        errors.update(_validate_item(f"row {index}", item, agencies))
        if item.record_key not in records:
            errors[f"row {index} record"] = f"no record {'/'.join(item.record_key)} has been collected"
        row = stored.get(item_id)
        if row is None:
            errors[f"row {index} item"] = f"no stored item with id {item_id}"
        elif item.controller_code in agencies and (row.controller_id, row.item_type) != (
            agencies[item.controller_code].pk,
            item.item_type,
        ):
            errors[f"row {index} item"] = "controller and item type cannot change"
    if errors:
        raise ValidationFailed(errors)
    rows: list[TimelineItem] = []
    changed_at = now()
    for index, (item_id, item) in enumerate(updates, start=1):
        row = stored[item_id]
        row.updated_at = changed_at
        row.source_record_id, row.person_id = records[item.record_key]
        row.purpose, row.handling_code = item.purpose, item.handling_code
        row.occurred_at, row.summary, row.details = item.occurred_at, item.summary[:300], item.details
        row.event_key = item.event_key if item.event_key is not None else row.event_key
        row.source_reference = item.source_reference or f"{source_reference} row {index}"
        rows.append(row)
    if rows:
        TimelineItem.objects.bulk_update(
            rows,
            [
                "source_record",
                "person",
                "purpose",
                "handling_code",
                "occurred_at",
                "summary",
                "details",
                "event_key",
                "source_reference",
                "updated_at",
            ],
            batch_size=500,
        )
    audit_record(
        code=AuditCode.ITEMS_UPDATED,
        viewer=viewer,
        system_actor=system_actor,
        subjects={r.person_id for r in rows},
        object_type="timeline_item_batch",
        object_id=source_reference,
        justification="Correction of agency events from the agency's newer data (DPA 2018 s62)",
        details={"items": len(rows), "by_type": dict(sorted(Counter(r.item_type for r in rows).items()))},
    )
    return len(rows)


@transaction.atomic
def person_categories_collect(
    *, categories: Sequence[CategoryIn], source_reference: str, system_actor: str = "", viewer=None
) -> int:
    agencies = _agencies()
    records = _records_by_key({c.record_key for c in categories})
    errors: dict[str, str] = {}
    for index, cat in enumerate(categories, start=1):
        errors.update(_validate_item(f"row {index}", cat, agencies))
        if cat.record_key not in records:
            errors[f"row {index} record"] = f"no record {'/'.join(cat.record_key)} has been collected"
        if cat.ends_on and cat.ends_on < cat.starts_on:
            errors[f"row {index} ends_on"] = "must not be before starts_on"
    if errors:
        raise ValidationFailed(errors)
    rows = [
        PersonCategory(
            person_id=records[cat.record_key][1],
            source_record_id=records[cat.record_key][0],
            controller=agencies[cat.controller_code],
            purpose=cat.purpose,
            item_type="subject_category",
            source_reference=f"{source_reference} row {index}",
            category=cat.category,
            starts_on=cat.starts_on,
            ends_on=cat.ends_on,
        )
        for index, cat in enumerate(categories, start=1)
    ]
    PersonCategory.objects.bulk_create(rows, batch_size=_BATCH)
    audit_record(
        code=AuditCode.CATEGORY_RECORDED,
        viewer=viewer,
        system_actor=system_actor,
        subjects={r.person_id for r in rows},
        object_type="category_batch",
        object_id=source_reference,
        justification="Data-subject categories recorded (DPA 2018 s38)",
        details={"categories": len(rows)},
    )
    return len(rows)


def person_category_hold(
    *, person_id, controller: Agency, category: str, purpose: str, source_reference: str, on: dt.date
) -> bool:
    """The controller holds `category` for the person from `on`, unless it already holds it open
    (a category recorded by Lantern's own work: a screening, a disruption order). True if added."""
    held = PersonCategory.objects.filter(
        person_id=person_id, controller=controller, category=category, ends_on__isnull=True
    )
    if held.exists():
        return False
    PersonCategory.objects.create(
        person_id=person_id,
        controller=controller,
        purpose=purpose,
        item_type="subject_category",
        source_reference=source_reference,
        category=category,
        starts_on=on,
    )
    return True
