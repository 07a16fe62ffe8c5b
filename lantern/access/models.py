"""Agencies, teams, users, memberships (roles), legitimate relationships, break-glass grants and
information sharing agreements: the data the access policy (`policy.py`) decides from."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from lantern.core.codelists import codelist
from lantern.core.models import CreatedByModel, TimestampedModel

from .roles import ROLE_CHOICES, ROLES, Role


class Agency(TimestampedModel):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    agency_type = models.CharField(max_length=40, choices=codelist("agency_type").choices)
    area = models.CharField(max_length=100, blank=True)
    designated_first_responder = models.BooleanField(
        default=False,
        help_text="A voluntary organisation designated as an NRM first responder (e.g. Barnardo's); "
        "police forces and local authorities are first responders by type.",
    )

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_law_enforcement(self) -> bool:
        return self.agency_type in codelist("agency_type").where("law_enforcement", True)

    @property
    def is_first_responder(self) -> bool:
        """May refer a child to the National Referral Mechanism (standards.md §2.2)."""
        return self.designated_first_responder or self.agency_type in codelist("agency_type").where(
            "first_responder", True
        )


class Team(TimestampedModel):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    is_exploitation_hub = models.BooleanField(
        default=False,
        help_text="Members of any hub team share a relationship with children allocated to a hub.",
    )
    service = models.CharField(
        max_length=20,
        blank=True,
        choices=codelist("team_service").choices,
        help_text="The partnership-wide work this team receives (front door contacts, missing children, "
        "information governance); alerts and contacts are routed by it.",
    )

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="team_name_unique_in_agency")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.name})"


class User(AbstractUser):
    display_name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(TimestampedModel):
    """A user's place in a team, with the role they hold there. One is chosen as the acting role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=40, choices=ROLE_CHOICES)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team", "role"], name="membership_unique_role_in_team")
        ]

    def __str__(self) -> str:
        return f"{self.role_def.label}, {self.team}"

    @property
    def role_def(self) -> Role:
        return ROLES[self.role]


class Relationship(CreatedByModel):
    """A legitimate relationship between a team or a user and a person (allocation, accepted referral)."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="relationships")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="relationships"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="relationships"
    )
    kind = models.CharField(max_length=20, choices=codelist("relationship_kind").choices)
    reason = models.TextField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "team"]), models.Index(fields=["person", "user"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=False) | Q(user__isnull=False), name="relationship_has_holder"
            )
        ]

    @staticmethod
    def active_q(at: dt.datetime, prefix: str = "") -> Q:
        return Q(**{f"{prefix}starts_at__lte": at}) & (
            Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": at})
        )


class BreakGlassGrant(models.Model):
    """Out-of-relationship access: reason required, time-limited, raised to the DPO for review."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        ACCEPTED = "accepted", "Reason accepted"
        QUERIED = "queried", "Queried with the user"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="break_glass_grants")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="break_glass_grants")
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "person", "expires_at"])]

    def __str__(self) -> str:
        return f"Break-glass by {self.user} at {self.granted_at:%Y-%m-%d %H:%M}"


class InformationSharingAgreement(CreatedByModel):
    """A named agreement saying which parties share which item types for which purposes, and when.

    The ICO's Gangs Matrix notice found blanket sharing without agreements unlawful (standards.md §5):
    items held by another agency are shown only under an active agreement covering them."""

    name = models.CharField(max_length=200)
    reference = models.CharField(max_length=60, unique=True)
    parties = models.ManyToManyField(Agency, related_name="sharing_agreements")
    item_types = models.JSONField(help_text="Item type codes covered (code list item_type).")
    purposes = models.JSONField(help_text="Purpose codes covered (code list purpose).")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    dpia_reference = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.reference})"

    def is_active_on(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
