"""People and the agencies' records of them.

A `Person` is the partnership's view of one human being: a stable UUID (never reused; a merged
person keeps its id and points at the survivor) with display fields derived from its records. A
`SourceRecord` is one agency's own record of a person, as received. Every item about a person
(timeline events, data-subject categories, and each later event type, which extends
`TimelineItem`) carries its controller agency, purpose, handling code and source reference: the
access policy decides visibility from those fields alone."""

from __future__ import annotations

import uuid

from django.db import models

from lantern.core.codelists import codelist
from lantern.core.models import TimestampedModel


class Person(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=200, blank=True)
    display_dob = models.DateField(null=True, blank=True)
    display_sex = models.CharField(max_length=1, blank=True, choices=codelist("sex").choices)
    display_district = models.CharField(max_length=40, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["display_dob"])]

    def __str__(self) -> str:
        return self.display_name or str(self.id)


class Address(TimestampedModel):
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, db_index=True, help_text="Normalised: upper case, one space.")
    district = models.CharField(max_length=40, blank=True, choices=codelist("district").choices)

    class Meta:
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(fields=["line1", "postcode"], name="address_unique_line_postcode")
        ]

    def __str__(self) -> str:
        return ", ".join(part for part in [self.line1, self.line2, self.town, self.postcode] if part)


class SourceRecord(TimestampedModel):
    agency = models.ForeignKey("access.Agency", on_delete=models.PROTECT, related_name="source_records")
    source_system = models.CharField(max_length=60)
    source_key = models.CharField(max_length=100)
    source_reference = models.CharField(
        max_length=200, help_text="The file and row, or API call, it came from."
    )

    person = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="source_records")
    link_method = models.CharField(max_length=20, blank=True, choices=codelist("link_method").choices)
    link_confidence = models.FloatField(null=True, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)

    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    dob = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True, choices=codelist("sex").choices)
    gender = models.CharField(max_length=60, blank=True)
    ethnicity = models.CharField(max_length=4, blank=True, choices=codelist("ethnicity").choices)
    address = models.ForeignKey(Address, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    postcode = models.CharField(max_length=10, blank=True)
    upn = models.CharField("UPN", max_length=13, blank=True)
    nhs_number = models.CharField("NHS number", max_length=10, blank=True)
    la_child_id = models.CharField("LA child id", max_length=20, blank=True)
    police_id = models.CharField("Police id", max_length=20, blank=True)
    received_at = models.DateTimeField()
    valid_from = models.DateField(null=True, blank=True)

    # Search keys (phonetic, nickname-folded) so a typo-tolerant search is an indexed lookup.
    given_key = models.CharField(max_length=20, blank=True)
    family_key = models.CharField(max_length=20, blank=True)
    family_key_alt = models.CharField(
        max_length=20, blank=True, help_text="Second part of a hyphenated surname."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "source_system", "source_key"], name="source_record_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["person", "agency"]),
            models.Index(fields=["family_key", "given_key"]),
            models.Index(fields=["family_key_alt"]),
            models.Index(fields=["given_key", "dob"]),
            models.Index(fields=["dob"]),
            models.Index(fields=["upn"]),
            models.Index(fields=["nhs_number"]),
            models.Index(fields=["la_child_id"]),
            models.Index(fields=["police_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name} ({self.agency_id}:{self.source_key})"


# `source_reference` of an item recorded in Lantern itself (not received from an agency's system).
LANTERN_SOURCE = "Lantern:"


def lantern_source(what: str) -> str:
    return f"{LANTERN_SOURCE} {what}"


class ControlledItem(TimestampedModel):
    """Fields that decide who else may see an item: controller, purpose, handling code, type."""

    controller = models.ForeignKey("access.Agency", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=20, choices=codelist("purpose").choices)
    handling_code = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(int(c), label) for c, label in codelist("handling_code").choices]
    )
    item_type = models.CharField(max_length=40, choices=codelist("item_type").choices)
    source_reference = models.CharField(max_length=200)

    class Meta:
        abstract = True


class TimelineItem(ControlledItem):
    """Base of every event on a person's timeline. Later event types extend it (multi-table)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="timeline_items")
    source_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="timeline_items"
    )
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    # The event's key in its source system (e.g. "MPR:LP-23000001"), stable across re-exports: an
    # import finds the item again by (controller, item_type, event_key) instead of adding a copy.
    event_key = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "-occurred_at"]), models.Index(fields=["source_record"])]
        constraints = [
            models.UniqueConstraint(
                fields=["controller", "item_type", "event_key"],
                condition=models.Q(event_key__isnull=False),
                name="timeline_item_unique_event_key",
            )
        ]


class PersonCategory(ControlledItem):
    """A data-subject category a controller holds for a person over a period (DPA 2018 s38)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="categories")
    source_record = models.ForeignKey(
        SourceRecord, null=True, blank=True, on_delete=models.CASCADE, related_name="categories"
    )
    category = models.CharField(max_length=30, choices=codelist("subject_category").choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "person categories"
        indexes = [models.Index(fields=["person", "category"])]
