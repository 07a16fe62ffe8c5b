"""From signs to a plan for the child: safety plans (actions with an owner agency and person, due
dates and reviews), disruption orders against adults posing risk (CAWN, STRO, STPO), National
Referral Mechanism referrals (first responders only), and MACE meetings whose decisions become plan
actions. Plans, referrals and orders are controlled items, so the access policy applies unchanged."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lantern.core.codelists import codelist
from lantern.core.models import TimestampedModel
from lantern.people.models import ControlledItem, Person

_USER = settings.AUTH_USER_MODEL


class SafetyPlan(ControlledItem):
    """The partnership's plan to keep one child safe, owned by a team that reviews it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="safety_plans")
    team = models.ForeignKey("access.Team", on_delete=models.PROTECT, related_name="safety_plans")
    screening = models.ForeignKey(
        "screening.Screening", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    aim = models.TextField(help_text="What the plan is for, in words the child and family would recognise.")
    review_due_on = models.DateField()
    created_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "controller"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_safety_plan_per_child_and_agency",
            )
        ]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PlanAction(TimestampedModel):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner_agency = models.ForeignKey("access.Agency", on_delete=models.PROTECT, related_name="+")
    owner_name = models.CharField(max_length=200, help_text="The person responsible at that agency.")
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=codelist("plan_action_status").choices, default="open")
    status_note = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(
        "MaceMeeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions",
        help_text="The MACE meeting that decided this action, if any.",
    )  # fmt: skip

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"])]


class PlanReview(TimestampedModel):
    """A review meeting of the plan: who came, what changed, when it is next reviewed."""

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="reviews")
    held_on = models.DateField()
    attendees = models.TextField()
    notes = models.TextField()
    next_review_on = models.DateField()
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-held_on", "-pk"]


class DisruptionOrder(ControlledItem):
    """A CAWN, STRO or STPO against an adult posing risk (recorded as such, never as a victim),
    naming the children it protects. Law-enforcement purpose; controller the police force."""

    kind = models.CharField(max_length=20, choices=codelist("disruption_order").choices)
    adult = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="disruption_orders")
    children = models.ManyToManyField(Person, related_name="protecting_orders")
    plan = models.ForeignKey(
        SafetyPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="disruption_orders"
    )
    issued_on = models.DateField()
    served_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="Review or expiry date; empty for an order 'until further order'."
    )
    issued_by = models.CharField(max_length=200, help_text="Serving officer (CAWN) or the court (orders).")
    breaches = models.JSONField(default=list, blank=True, help_text="[{on, reference}]: each breach, "
                                "with its crime or intelligence reference.")  # fmt: skip
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["adult", "-issued_on"])]


class NrmReferral(ControlledItem):
    """A child's referral to the National Referral Mechanism by a first responder. No consent is
    needed for a child. Reasonable grounds are aimed for within 5 working days of referral; the
    conclusive grounds decision follows a positive one."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="nrm_referrals")
    referred_on = models.DateField()
    reference = models.CharField(max_length=60, blank=True, help_text="The SCA or panel reference.")
    referred_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    exploitation_types = models.JSONField(help_text="Codes from nrm_exploitation_type.")
    decision_maker = models.CharField(
        max_length=20, choices=codelist("nrm_decision_maker").choices, default="sca"
    )
    rg_due_on = models.DateField(help_text="5 working days after referral (the SCA's aim).")
    rg_decision = models.CharField(max_length=10, blank=True, choices=codelist("nrm_decision").choices)
    rg_decided_on = models.DateField(null=True, blank=True)
    cg_decision = models.CharField(max_length=10, blank=True, choices=codelist("nrm_decision").choices)
    cg_decided_on = models.DateField(null=True, blank=True)
    ictg_referred_on = models.DateField(
        null=True, blank=True, help_text="Referred to an Independent Child Trafficking Guardian."
    )
    statutory_defence_relevant = models.BooleanField(
        default=False, help_text="Modern Slavery Act 2015 s45 defence may be relevant to offences charged."
    )
    duty_to_notify = models.BooleanField(
        default=False, help_text="This referral discharges the referring agency's duty to notify (s52)."
    )
    summary = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["person", "-referred_on"])]


class MaceMeeting(TimestampedModel):
    """A multi-agency child exploitation meeting. Its agenda, minutes, decisions and attendance are
    visible only to the agencies invited."""

    level = models.CharField(max_length=1, choices=codelist("mace_level").choices)
    title = models.CharField(max_length=200)
    held_at = models.DateTimeField()
    chair = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("access.Team", on_delete=models.PROTECT, related_name="mace_meetings")
    invited_agencies = models.ManyToManyField("access.Agency", related_name="mace_meetings")
    attendees = models.TextField(blank=True, help_text="Who attended, with their agency.")
    minutes = models.TextField(blank=True)
    minutes_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-held_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_level_display()})"


class MaceAgendaItem(TimestampedModel):
    """A child (level 1), or a place, adult posing risk or theme (level 2), with why it is there and
    what the meeting decided."""

    meeting = models.ForeignKey(MaceMeeting, on_delete=models.CASCADE, related_name="agenda")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="mace_agenda_items"
    )
    subject = models.CharField(max_length=200, blank=True, help_text="A place or theme (level 2).")
    reasons = models.JSONField(default=list, help_text="Why it is on the agenda: [{text, url}].")
    decisions = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "person"], condition=models.Q(person__isnull=False), name="mace_child_once"
            )
        ]
