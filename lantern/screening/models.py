"""Exploitation screening. For now: indicators suggested from what agencies recorded, each with its
evidence and a link back to the source, waiting for a practitioner to confirm or reject them in a
screening (the screening tools themselves arrive with the screening issue)."""

from __future__ import annotations

from django.db import models

from lantern.core.codelists import codelist
from lantern.people.models import ControlledItem, Person, TimelineItem


class SuggestedIndicator(ControlledItem):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="suggested_indicators")
    indicator = models.CharField(max_length=40, choices=codelist("cce_indicator").choices)
    evidence = models.CharField(max_length=300)
    source_item = models.ForeignKey(
        TimelineItem, on_delete=models.CASCADE, related_name="suggested_indicators"
    )
    evidence_url = models.CharField(max_length=200, help_text="Where the evidence is shown in Lantern.")
    suggested_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_item", "indicator"], name="suggested_indicator_once_per_source"
            )
        ]
        indexes = [models.Index(fields=["person", "-suggested_at"])]
