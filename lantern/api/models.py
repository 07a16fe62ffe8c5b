"""Live-feed API tokens and the submissions made with them (docs/ingest.md, "Live feeds").

A token belongs to one agency and may submit only the feed types (import format codes) listed on it.
The secret is shown once when the token is created; Lantern keeps only its SHA-256 and its first 8
characters (the prefix, to recognise a token in lists and logs). Each token acts through its own
service user (inactive: it never signs in), holding a data officer membership in the agency's "Live
feeds (API)" team, so every import step is audited with a real actor, exactly as for a file uploaded
by a person.

A submission records an `Idempotency-Key` the token used, the SHA-256 of the request body it came
with and the import batch it produced: a repeated request returns that batch's result instead of
importing again."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lantern.access.policy import Viewer
from lantern.core.models import CreatedByModel


class ApiToken(CreatedByModel):
    agency = models.ForeignKey("access.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'Niche nightly feed'.")
    prefix = models.CharField(max_length=8, unique=True, help_text="The secret's first 8 characters.")
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 (hex) of the secret.")
    feed_types = models.JSONField(help_text="Format codes this token may submit, e.g. ['police'].")
    membership = models.OneToOneField(
        "access.Membership",
        on_delete=models.PROTECT,
        related_name="api_token",
        help_text="The token's service user and role: every import step is audited as it.",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Rate limit: requests counted in the current one-minute window (shared by every web worker).
    rate_window = models.BigIntegerField(default=0)
    rate_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["agency__code", "-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name} ({self.agency.code})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def viewer(self) -> Viewer:
        return Viewer(user=self.membership.user, membership=self.membership)


class ApiSubmission(models.Model):
    """One Idempotency-Key of one token: the body it came with and the batch it produced (null while
    the first request is still storing the batch)."""

    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="submissions")
    idempotency_key = models.CharField(max_length=200)
    body_sha256 = models.CharField(max_length=64)
    batch = models.OneToOneField(
        "ingest.ImportBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="api_submission"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "idempotency_key"], name="api_submission_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.token.prefix})"
