"""Staged imports: an uploaded file (`ImportBatch`) is stored on disk, validated into a preview (what
would be new, updated or unchanged) and its refused rows quarantined (`QuarantinedRow`); only a
commit writes people data, in one transaction. See docs/ingest.md."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models

from lantern.core.models import CreatedByModel, TimestampedModel
from lantern.core.timeutils import now

# A running validation or commit that has not reported progress for this long is taken as dead
# (worker killed): the batch page then offers to run it again.
STALL_AFTER = dt.timedelta(minutes=10)


class ImportBatch(CreatedByModel):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        VALIDATING = "validating", "Checking"
        VALIDATED = "validated", "Ready to commit"
        COMMITTING = "committing", "Committing"
        COMMITTED = "committed", "Committed"
        FAILED = "failed", "Failed"
        REJECTED_FILE = "rejected_file", "File rejected"

    RUNNING = (Status.VALIDATING, Status.COMMITTING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey("access.Agency", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        "access.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The acting role that uploaded the file (validation runs on its behalf).",
    )
    format_code = models.CharField(max_length=30)
    table = models.CharField(max_length=40, blank=True)
    source_system = models.CharField(max_length=60)
    options = models.JSONField(
        default=dict, blank=True, help_text="collection_year, encoding, mapping (generic) …"
    )
    original_filename = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500, help_text="Relative to DATA_DIR.")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED, db_index=True)
    queued = models.CharField(
        max_length=20, blank=True, help_text="validate / commit: waiting for the background worker."
    )
    counts = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(
        default=list, blank=True, help_text="A sample of what a commit would change, field by field."
    )
    rows_processed = models.PositiveIntegerField(default=0)
    bytes_processed = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)

    validated_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    files_removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the stored upload, its rejected rows and the sample of changes were removed "
        "under LANTERN_IMPORT_FILE_RETENTION_DAYS (import_files_expire); counts and references stay.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agency", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.get_status_display()})"

    # --- files ------------------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        return Path(settings.DATA_DIR) / "imports" / str(self.id)

    @property
    def file_path(self) -> Path:
        return Path(settings.DATA_DIR) / self.stored_path

    @property
    def quarantine_path(self) -> Path:
        return self.directory / "quarantine.csv"

    @property
    def progress_path(self) -> Path:
        return self.directory / "progress.json"

    @property
    def staging_path(self) -> Path:
        """The check's accepted rows folded by identity (lantern.ingest.staging), until committed."""
        return self.directory / "staged.sqlite3"

    # --- state for pages --------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING or bool(self.queued)

    @property
    def can_commit(self) -> bool:
        # A commit queued long ago with no worker to run it may be asked for again.
        return (
            self.status == self.Status.VALIDATED
            and self.files_removed_at is None
            and (not self.queued or self.is_stalled)
        )

    @property
    def last_heartbeat(self) -> dt.datetime:
        beat = self.updated_at
        try:
            mtime = dt.datetime.fromtimestamp(self.progress_path.stat().st_mtime, tz=beat.tzinfo)
        except OSError:
            return beat
        return max(beat, mtime)

    @property
    def is_stalled(self) -> bool:
        return self.is_running and now() - self.last_heartbeat > STALL_AFTER

    @property
    def rejected_count(self) -> int:
        return int(self.counts.get("rejected", 0))


class QuarantinedRow(models.Model):
    """A refused row: where it was, every error found and its original cells."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="quarantined_rows")
    row = models.PositiveIntegerField()
    table = models.CharField(max_length=40, blank=True)
    errors = models.JSONField(help_text="[{field, value, expected, rule, message}]")
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["batch", "row", "id"]
        indexes = [models.Index(fields=["batch", "row"])]

    def __str__(self) -> str:
        return f"row {self.row} of {self.batch_id}"


class SavedMapping(TimestampedModel):
    """A generic-CSV column mapping an agency saved to reuse for its regular files."""

    agency = models.ForeignKey("access.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    mapping_json = models.TextField()
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="saved_mapping_unique_name")]

    def __str__(self) -> str:
        return self.name
