"""The pseudonymised analytics extract and the board reports built from it (docs/reporting.md).

An `Extract` is a directory of Parquet files under DATA_DIR with no names, dates of birth,
addresses or record ids: people appear only as keyed hashes. The key lives in this row, never in the
files, so the files alone cannot be turned back into people; only Lantern can, for the few
practitioners entitled to see a named list (the most frequent missing children)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models

from lantern.core.models import TimestampedModel
from lantern.core.timeutils import now

# A running job that has not reported progress for this long is taken as dead (worker killed).
STALL_AFTER = dt.timedelta(minutes=10)


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the background worker"
    RUNNING = "running", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ReportJob(TimestampedModel):
    """What the two kinds of build share: status, progress and who asked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    stage = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by_system = models.CharField(
        max_length=100, blank=True, help_text="e.g. the quarterly schedule."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_running(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def is_stalled(self) -> bool:
        return self.is_running and now() - self.updated_at > STALL_AFTER


class Extract(ReportJob):
    relative_path = models.CharField(max_length=300, blank=True, help_text="Relative to DATA_DIR.")
    pseudonym_key = models.CharField(max_length=64, help_text="HMAC key of this extract's person hashes.")
    row_counts = models.JSONField(default=dict, blank=True)
    as_of = models.DateTimeField(null=True, blank=True, help_text="When the data were read.")

    class Meta:
        ordering = ["-created_at"]

    @property
    def path(self) -> Path:
        return Path(settings.DATA_DIR) / self.relative_path


class BoardReport(ReportJob):
    period = models.CharField(max_length=7, help_text="A quarter, e.g. 2026Q3.")
    extract = models.ForeignKey(Extract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    threshold = models.PositiveSmallIntegerField(help_text="Counts below this were suppressed.")
    data = models.JSONField(default=dict, blank=True, help_text="The report's sections (aggregates only).")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Board report {self.period}"
