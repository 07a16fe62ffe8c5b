"""Missing children: the police missing-person report and the local authority's own episode (SSDA903
M/A) are kept distinct but linked; the police prevention interview is distinct from the independent
return home interview (standards.md §1.1–1.3).

Each report, episode and interview that is an agency's record hangs off a `TimelineItem`, which
carries its controller, purpose, handling code and source reference: the access policy decides who
sees it from those fields alone, exactly as for every other event."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lantern.core.codelists import codelist
from lantern.core.models import TimestampedModel
from lantern.people.models import ControlledItem, Person, TimelineItem

_USER = settings.AUTH_USER_MODEL


class MissingReport(TimestampedModel):
    """A police missing-person report (one occurrence). Open until the child is found or returns."""

    item = models.OneToOneField(TimelineItem, on_delete=models.CASCADE, related_name="missing_report")
    police_force = models.ForeignKey(
        "access.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurrence_ref = models.CharField(max_length=40, blank=True)
    reported_at = models.DateTimeField()
    reported_by = models.CharField(max_length=200, blank=True, help_text="Who reported (role, not name).")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_by = models.CharField(max_length=200, blank=True)
    last_seen_where = models.CharField(max_length=200, blank=True)
    circumstances = models.TextField(blank=True)
    missing_from = models.CharField(max_length=20, choices=codelist("missing_from").choices, default="home")
    risk_grade = models.CharField(max_length=20, choices=codelist("missing_risk").choices)
    returned_at = models.DateTimeField(null=True, blank=True, help_text="Found or returned.")
    found_location = models.CharField(max_length=200, blank=True)
    found_out_of_area = models.BooleanField(default=False)
    found_with = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["returned_at"]), models.Index(fields=["reported_at"])]

    @property
    def is_open(self) -> bool:
        return self.returned_at is None

    def __str__(self) -> str:
        return self.occurrence_ref or f"missing report {self.pk}"


class RiskGrading(models.Model):
    """Every grading of a report, the first included: the APP expects risk reviewed at every stage."""

    report = models.ForeignKey(MissingReport, on_delete=models.CASCADE, related_name="gradings")
    grade = models.CharField(max_length=20, choices=codelist("missing_risk").choices)
    graded_at = models.DateTimeField()
    graded_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    graded_by_name = models.CharField(max_length=200, blank=True, help_text="When graded outside Lantern.")
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["graded_at", "id"]

    def __str__(self) -> str:
        return f"{self.grade} at {self.graded_at:%Y-%m-%d %H:%M}"


class CareMissingEpisode(TimestampedModel):
    """The local authority's SSDA903 Missing-table episode for a looked-after child."""

    item = models.OneToOneField(TimelineItem, on_delete=models.CASCADE, related_name="care_missing_episode")
    missing_type = models.CharField(max_length=1, choices=codelist("missing_type_903").choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    police_report = models.ForeignKey(
        MissingReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="care_episodes"
    )


class PreventionInterview(TimestampedModel):
    """The police prevention interview (formerly "safe and well check") after a return."""

    report = models.OneToOneField(
        MissingReport, on_delete=models.CASCADE, related_name="prevention_interview"
    )
    held_at = models.DateTimeField()
    officer = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")


class ReturnHomeInterview(TimestampedModel):
    """The independent return home interview owed after every return: offered within 72 hours."""

    report = models.OneToOneField(MissingReport, on_delete=models.CASCADE, related_name="rhi")
    due_at = models.DateTimeField(help_text="72 hours after the return.")
    assigned_to = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    offered_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, blank=True, choices=codelist("rhi_outcome").choices)
    outcome_reason = models.TextField(blank=True, help_text="Why declined or not conducted.")
    held_at = models.DateTimeField(null=True, blank=True)
    interviewer_name = models.CharField(max_length=200, blank=True)
    provider = models.ForeignKey(
        "access.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    push_pull_factors = models.TextField(blank=True)
    where_went = models.TextField(blank=True)
    who_with = models.TextField(blank=True)
    travel = models.TextField(blank=True)
    disclosures = models.JSONField(default=list, blank=True, help_text="Indicator codes (cce_indicator).")
    disclosure_notes = models.TextField(blank=True)
    item = models.OneToOneField(
        TimelineItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="return_home_interview"
    )
    recorded_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["outcome", "due_at"])]

    @property
    def is_recorded(self) -> bool:
        return bool(self.outcome)


class PhilomenaProfile(ControlledItem):
    """Part 1 of the Philomena Protocol, kept in advance for a child in care and released to police
    only when a missing report is opened (standards.md §1.3)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="philomena_profiles")
    description = models.TextField(help_text="Personal details and physical description.")
    photo_note = models.CharField(
        max_length=200, blank=True, help_text="Where the recent photograph is held (photo slot)."
    )
    associates = models.TextField(blank=True)
    places_frequented = models.TextField(blank=True)
    phones_social_media = models.TextField(blank=True, help_text="Phones, social media and transport.")
    medical_needs = models.TextField(blank=True, help_text="Vulnerabilities and medical information.")
    missing_history = models.TextField(blank=True)
    last_reviewed_on = models.DateField()
    reviewed_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "controller"], name="philomena_one_per_controller")
        ]


class PhilomenaRelease(models.Model):
    """A disclosure of a profile to the police force handling an open missing report."""

    profile = models.ForeignKey(PhilomenaProfile, on_delete=models.CASCADE, related_name="releases")
    report = models.ForeignKey(MissingReport, on_delete=models.CASCADE, related_name="philomena_releases")
    released_to = models.ForeignKey("access.Agency", on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField()
    released_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "report"], name="philomena_release_once")]

    def __str__(self) -> str:
        return f"profile {self.profile_id} released to {self.released_to_id} for report {self.report_id}"


class MissingCall(TimestampedModel):
    """A call to the dedicated missing children phone line."""

    controller = models.ForeignKey("access.Agency", on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()
    caller_name = models.CharField(max_length=200)
    caller_relationship = models.CharField(max_length=200, blank=True, help_text="e.g. parent, foster carer")
    caller_agency = models.ForeignKey(
        "access.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    child_name = models.CharField(max_length=200, help_text="As the caller gave it.")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    what_reported = models.TextField()
    outcome = models.CharField(max_length=30, choices=codelist("call_outcome").choices)
    report = models.ForeignKey(
        MissingReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    recorded_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-received_at"]
