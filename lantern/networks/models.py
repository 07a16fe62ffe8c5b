"""Entities and graded links: the association map behind a child, a phone or an address.

An entity is a person (an existing `Person`), an address, a phone (E.164; a number that will not
parse is kept as typed and flagged), a vehicle, an organised crime group, a location or a deal line.
A link joins two entities with a type, a period, its source and the intelligence gradings (source
reliability A–E, information assessment 1–5, handling code 1–5). Both are controlled items, so the
access policy decides what a viewer sees: a link derived from a record carries that record's
controller, purpose, item type and handling code, so it is shared exactly as the record is; a person
entity is seen only by a viewer with a legitimate relationship with the person. Association is never a label (standards.md §3, §5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from lantern.core.codelists import codelist
from lantern.people.models import Address, ControlledItem, Person, TimelineItem


class Entity(ControlledItem):
    kind = models.CharField(max_length=20, choices=codelist("network_entity_kind").choices)
    key = models.CharField(
        max_length=200, help_text="Natural key within the kind: person id, address id, E.164 number, VRM…"
    )
    label = models.CharField(max_length=200)
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="network_entity"
    )
    address = models.OneToOneField(
        Address, null=True, blank=True, on_delete=models.CASCADE, related_name="network_entity"
    )
    raw_value = models.CharField(max_length=200, blank=True, help_text="As received (e.g. a phone number).")
    parsed = models.BooleanField(default=True, help_text="False: kept as typed, could not be parsed.")
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "entities"
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="entity_unique_kind_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"


class Link(ControlledItem):
    source = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="links_in")
    link_type = models.CharField(max_length=20, choices=codelist("network_link_type").choices)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    source_reliability = models.CharField(
        max_length=1, blank=True, choices=codelist("source_reliability").choices
    )
    information_assessment = models.CharField(
        max_length=1, blank=True, choices=codelist("information_assessment").choices
    )
    source_item = models.ForeignKey(
        TimelineItem, null=True, blank=True, on_delete=models.CASCADE, related_name="network_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["source", "link_type"]), models.Index(fields=["target", "link_type"])]
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("target")), name="link_not_to_itself"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="link_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["source", "target", "link_type", "source_item"],
                condition=Q(source_item__isnull=False),
                name="link_once_per_source_item",
            ),
        ]


class PeerMap(ControlledItem):
    """A contextual-safeguarding peer map on a child's case: who matters to the child, by initials
    only, for safety planning (welfare purpose, reviewed by a date). It is not an intelligence chart:
    it never names anyone, never feeds the association map, and is seen only by the child's workers."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="peer_maps")
    purpose_note = models.CharField(max_length=300, help_text="Why the map was made (safety planning).")
    review_on = models.DateField()
    entries = models.JSONField(
        default=list, help_text="[{initials, relationship, influence (protective/harmful/unclear), place}]"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["person", "-created_at"])]
