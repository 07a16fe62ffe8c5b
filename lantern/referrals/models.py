"""The front door: contacts, referrals and police missing notifications from any agency, each with a
decision due within one working day, and the pathway decided with its reason (DESIGN.md §8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lantern.core.codelists import codelist
from lantern.people.models import ControlledItem, Person

_USER = settings.AUTH_USER_MODEL


class Contact(ControlledItem):
    """A contact or referral received by the front door. Controlled by the receiving agency."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=30, choices=codelist("contact_kind").choices)
    received_at = models.DateTimeField()
    source = models.CharField(max_length=4, choices=codelist("referral_source").choices)
    source_agency = models.ForeignKey(
        "access.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    referrer = models.CharField(max_length=200, blank=True, help_text="Who made the contact (role).")
    concerns = models.JSONField(default=list, blank=True, help_text="Indicator codes (cce_indicator).")
    summary = models.TextField()
    team = models.ForeignKey("access.Team", on_delete=models.PROTECT, related_name="contacts")
    missing_report = models.ForeignKey(
        "missing.MissingReport", null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    decision_due_at = models.DateTimeField(help_text="One working day after receipt.")
    pathway = models.CharField(max_length=30, blank=True, choices=codelist("pathway").choices)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    allocated_team = models.ForeignKey(
        "access.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allocated_user = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["team", "decided_at", "decision_due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["missing_report"],
                condition=models.Q(missing_report__isnull=False),
                name="one_notification_per_missing_report",
            )
        ]

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None


class StrategyDiscussion(ControlledItem):
    """A strategy discussion or meeting about a child: who attended, what was decided, what happens next."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="strategy_discussions")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="strategy_discussions"
    )
    held_at = models.DateTimeField()
    attendees = models.TextField(help_text="One per line: name, role and agency.")
    decisions = models.TextField()
    actions = models.TextField(blank=True, help_text="One per line: action, owner, due date.")
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
