"""Alerts and work queues. Each rule is data (a code, a kind of check, its parameters and the team
service it routes to); each alert carries its evidence and links, and is raised at most once per
(rule, key), so nothing double-alerts however often the rules run."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lantern.core.codelists import codelist
from lantern.core.models import TimestampedModel

_USER = settings.AUTH_USER_MODEL


class AlertRule(TimestampedModel):
    code = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=40, help_text="Which check runs (lantern.alerts.rules.KINDS).")
    params = models.JSONField(default=dict, blank=True)
    route_to = models.CharField(
        max_length=20,
        choices=codelist("team_service").choices,
        help_text="The team service that works these alerts.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.label}"


class Alert(TimestampedModel):
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    key = models.CharField(max_length=200, help_text="What the alert is about, unique within its rule.")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    team = models.ForeignKey("access.Team", on_delete=models.PROTECT, related_name="alerts")
    title = models.CharField(max_length=300)
    evidence = models.JSONField(
        default=list, help_text="[{text, url}] — what triggered it and where to look."
    )
    raised_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=codelist("alert_status").choices, default="open")
    assigned_to = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    snoozed_until = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "key"], name="alert_once_per_rule_key")]
        indexes = [
            models.Index(fields=["team", "status", "due_at"]),
            models.Index(fields=["person", "status"]),
        ]

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"


class AlertAction(models.Model):
    """The history of an alert: raised, acknowledged, assigned, snoozed, closed — by whom and why."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=20)
    at = models.DateTimeField()
    by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    system_actor = models.CharField(max_length=60, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"
