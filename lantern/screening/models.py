"""Exploitation screening. For now: indicators suggested from what agencies recorded, each with its
evidence and a link back to the source, waiting for a practitioner to confirm or reject them in a
screening (the screening tools themselves arrive with the screening issue)."""

from __future__ import annotations

from django.conf import settings
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


class Screening(ControlledItem):
    """One exploitation screening of a child under one version of one tool. The tool's score advises;
    the practitioner's final level is their judgement (rationale required when it differs)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="screenings")
    tool_code = models.CharField(max_length=60)
    tool_version = models.CharField(
        max_length=20, help_text="A new tool version never changes this screening."
    )
    status = models.CharField(max_length=20, choices=codelist("screening_status").choices, default="draft")
    advisory_level = models.CharField(max_length=30, blank=True)
    advisory_score = models.IntegerField(null=True, blank=True)
    advisory_reasons = models.JSONField(default=list, blank=True)
    final_level = models.CharField(max_length=30, blank=True)
    rationale = models.TextField(blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    review_due_on = models.DateField(null=True, blank=True)
    learning_disability = models.BooleanField(
        default=False,
        help_text="Recorded by the practitioner (no agency feed carries it); a floor rule of the tools.",
    )

    class Meta:
        indexes = [models.Index(fields=["person", "-created_at"])]


class ScreeningIndicator(models.Model):
    """An indicator in a screening: suggested from agency records (with its evidence) or added by the
    practitioner; confirmed or rejected (with a reason) by the practitioner."""

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="indicators")
    indicator = models.CharField(max_length=40, choices=codelist("cce_indicator").choices)
    origin = models.CharField(
        max_length=20,
        choices=[("suggested", "Suggested from records"), ("practitioner", "Added by the practitioner")],
    )
    decision = models.CharField(
        max_length=20, blank=True, choices=[("confirmed", "Confirmed"), ("rejected", "Rejected")]
    )
    reason = models.TextField(blank=True)
    evidence = models.TextField(blank=True)
    evidence_links = models.JSONField(
        default=list, blank=True, help_text="[{text, url}] to the supporting records."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["screening", "indicator"], name="screening_indicator_once")
        ]
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.indicator} ({self.decision or 'undecided'})"
