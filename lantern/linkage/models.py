"""Identity resolution state: runs, the clerical review queue, reviewers' constraints, and the log
of identity changes (merges, splits, moves) so every person id's history can be explained."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from lantern.core.models import TimestampedModel


class LinkageRun(TimestampedModel):
    class Kind(models.TextChoices):
        FULL = "full", "Full run"
        INCREMENTAL = "incremental", "Incremental"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    model_version = models.CharField(max_length=100, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class ReviewPair(TimestampedModel):
    """Two records whose match probability fell between the review thresholds."""

    class Decision(models.TextChoices):
        SAME = "same", "Same person"
        DIFFERENT = "different", "Different people"
        UNSURE = "unsure", "Unsure"

    record_l = models.ForeignKey("people.SourceRecord", on_delete=models.CASCADE, related_name="+")
    record_r = models.ForeignKey("people.SourceRecord", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(
        LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_pairs"
    )

    class Queued(models.TextChoices):
        PROBABILITY_BAND = (
            "probability_band",
            "The model was unsure (match probability between the review thresholds)",
        )
        GUARD_REFUSED = (
            "guard_refused",
            "A safeguard refused the merge (different identifiers or clearly different forenames)",
        )
        BRIDGE_CUT = "bridge_cut", "A weak link between two groups of records was cut"
        REVIEWER = "reviewer", "Recorded by a reviewer"

    match_probability = models.FloatField()
    match_weight = models.FloatField()
    queued_because = models.CharField(max_length=20, choices=Queued.choices, default=Queued.REVIEWER)
    explanation = models.JSONField(default=list, help_text="Per-field contributions (waterfall).")
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    conflict = models.TextField(
        blank=True, help_text="Set when later evidence contradicts the decision; never silently overridden."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record_l", "record_r"], name="review_pair_unique"),
            models.CheckConstraint(condition=Q(record_l__lt=F("record_r")), name="review_pair_ordered"),
        ]
        indexes = [models.Index(fields=["decision", "-match_probability"])]

    def __str__(self) -> str:
        return f"{self.record_l_id}–{self.record_r_id} ({self.match_probability:.2f})"


class IdentityChange(TimestampedModel):
    """One change to who is who: records moved, persons merged (retired into a survivor) or split."""

    class Kind(models.TextChoices):
        MERGE = "merge", "Merged"
        SPLIT = "split", "Split"
        MOVE = "move", "Record moved"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    survivor = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    records = models.JSONField(default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person_id}"
