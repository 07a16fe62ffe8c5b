"""Bulk collection: validation names the row and field, nothing is half-written, records link on
shared identifiers, display fields derive from records, and each batch writes its audit row."""

from __future__ import annotations

import datetime as dt

import pytest

from lantern.audit.models import AuditEvent
from lantern.core.exceptions import ValidationFailed
from lantern.people.models import Person, SourceRecord, TimelineItem
from lantern.people.services import ItemIn, RecordIn, source_records_collect, timeline_items_collect


def test_records_sharing_an_identifier_become_one_person(partnership):
    kai_records = SourceRecord.objects.filter(person=partnership.kai)
    assert sorted(kai_records.values_list("source_key", flat=True)) == ["A1", "C1", "H1", "P1"]
    assert set(kai_records.values_list("link_method", flat=True)) == {"new", "deterministic"}
    assert partnership.kai.display_name == "Kai Brennan"
    assert partnership.kai.display_dob == dt.date(2011, 3, 27)


def test_invalid_batch_is_rejected_whole_with_row_and_field_named(partnership):
    records_before, people_before, audit_before = (
        SourceRecord.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
    )
    batch = [
        RecordIn("CSC", "MOSAIC", "OK1", "Amy", "Good", dt.date(2012, 1, 1), "F"),
        RecordIn(
            "CSC", "MOSAIC", "BAD", "Ben", "Bad", dt.date(2999, 1, 1), "Q", ethnicity="XXXX", nhs_number="12"
        ),
        RecordIn("NOPE", "X", "", "", "", None, "M"),
    ]
    with pytest.raises(ValidationFailed) as error:
        source_records_collect(records=batch, source_reference="bad file", system_actor="test")
    errors = error.value.errors
    assert (
        "row 2 dob" in errors
        and "row 2 sex" in errors
        and "row 2 ethnicity" in errors
        and "row 2 nhs_number" in errors
    )
    assert "row 3 agency_code" in errors and "row 3 source_key" in errors and "row 3 name" in errors
    assert "row 1 dob" not in errors
    assert (SourceRecord.objects.count(), Person.objects.count(), AuditEvent.objects.count()) == (
        records_before,
        people_before,
        audit_before,
    )


def test_items_about_unknown_records_or_with_bad_codes_are_rejected_whole(partnership):
    before = TimelineItem.objects.count()
    good = ItemIn(
        ("CSC", "MOSAIC", "C1"),
        "csc_contact",
        "CSC",
        "safeguarding",
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "ok",
    )
    bad = ItemIn(
        ("CSC", "MOSAIC", "NOPE"),
        "nominal_score",
        "CSC",
        "curiosity",
        dt.datetime(2026, 1, 1),
        "bad",
        handling_code=9,
    )
    with pytest.raises(ValidationFailed) as error:
        timeline_items_collect(items=[good, bad], source_reference="f", system_actor="test")
    assert set(error.value.errors) >= {
        "row 2 record",
        "row 2 item_type",
        "row 2 purpose",
        "row 2 handling_code",
        "row 2 occurred_at",
    }
    assert TimelineItem.objects.count() == before


def test_a_collected_batch_writes_one_collection_audit_row(partnership):
    before = AuditEvent.objects.count()
    source_records_collect(
        records=[RecordIn("CSC", "MOSAIC", f"N{i}", "New", f"Child{i}", None, "U") for i in range(3)],
        source_reference="file.csv",
        system_actor="test",
    )
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.code == 501 and event.details["records"] == 3 and event.subjects.count() == 3
