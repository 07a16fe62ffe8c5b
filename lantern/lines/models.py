"""The county lines register: lines with their deal numbers over time, the organised crime group
that controls each, exporting area and importing towns, status, transport, cross-border links; and
police operations, whose outcomes are counted from the records linked to them, not typed twice.
A line is *active* when it shows activity in the last 6 months: computed, never typed."""

from __future__ import annotations

from django.db import models

from lantern.core.codelists import codelist
from lantern.networks.models import Entity
from lantern.people.models import ControlledItem, Person, TimelineItem


class Line(ControlledItem):
    entity = models.OneToOneField(Entity, on_delete=models.PROTECT, related_name="line")
    brand = models.CharField(max_length=100)
    ocg = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="controlled_lines",
        limit_choices_to={"kind": "ocg"},
    )  # fmt: skip
    status = models.CharField(max_length=20, choices=codelist("line_status").choices, default="suspected")
    exporting_area = models.CharField(max_length=100, blank=True)
    importing_towns = models.JSONField(default=list, blank=True)
    transport_modes = models.JSONField(default=list, blank=True, help_text="Codes from transport_mode.")
    other_force_areas = models.JSONField(default=list, blank=True, help_text="Cross-border links.")

    class Meta:
        ordering = ["brand"]

    def __str__(self) -> str:
        return f"'{self.brand}' line"


class LineNumber(models.Model):
    """A deal number the line used, over a period (a new number when the old one is seized)."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="numbers")
    phone = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="line_numbers")
    first_seen = models.DateField()
    last_seen = models.DateField()

    class Meta:
        ordering = ["first_seen"]
        constraints = [models.UniqueConstraint(fields=["line", "phone"], name="line_number_once")]

    def __str__(self) -> str:
        return f"{self.phone.label} ({self.first_seen} to {self.last_seen})"


class Operation(ControlledItem):
    """A police operation against one or more lines (like the report's Operation Lionheart)."""

    name = models.CharField(max_length=200)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    lines = models.ManyToManyField(Line, related_name="operations", blank=True)
    warrants_executed = models.PositiveIntegerField(default=0)
    arrests = models.ManyToManyField(
        TimelineItem,
        related_name="operations",
        blank=True,
        help_text="Arrest records linked to the operation.",
    )
    vulnerable_adults = models.ManyToManyField(Person, related_name="+", blank=True)
    children_identified = models.ManyToManyField(Person, related_name="+", blank=True)

    class Meta:
        ordering = ["-started_on"]

    def __str__(self) -> str:
        return self.name
