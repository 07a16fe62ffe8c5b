"""The append-only, hash-chained audit log.

Each row carries the hash of the row before it and a hash of its own content, so any altered,
removed or re-ordered row breaks the chain (`manage.py audit_verify`). Database triggers refuse
UPDATE and DELETE on both tables (migration 0002), on SQLite and PostgreSQL alike. Subjects are
kept in `AuditSubject` (one row per person an event touched, e.g. every id a search returned) so
"who accessed this child" is an indexed lookup; they are part of the hashed content."""

from django.conf import settings
from django.db import models

from .codes import AuditCode


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    code = models.PositiveIntegerField(choices=AuditCode.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=40, blank=True)
    agency = models.CharField(max_length=40, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    justification = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["actor", "occurred_at"]),
            models.Index(fields=["code", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_code_display()} by {self.actor_username or 'system'}"


class AuditSubject(models.Model):
    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="subjects")
    person_id = models.UUIDField()

    class Meta:
        indexes = [models.Index(fields=["person_id", "event"])]
        constraints = [models.UniqueConstraint(fields=["event", "person_id"], name="audit_subject_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} in event {self.event_id}"
