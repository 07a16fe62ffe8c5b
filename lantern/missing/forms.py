from django import forms

from lantern.access.models import Agency
from lantern.core.codelists import codelist
from lantern.core.forms import GovukForm, LocalDateTimeField


def _choices(name: str, blank: str | None = None) -> list[tuple[str, str]]:
    options = codelist(name).choices
    return [("", blank), *options] if blank else options


class ReportForm(GovukForm):
    required_messages = {
        "police_force": "Choose the police force the child was reported to",
        "reported_at": "Enter when the child was reported missing",
        "risk_grade": "Choose a risk grade",
    }
    police_force = forms.ModelChoiceField(
        queryset=Agency.objects.filter(agency_type="police"),
        label="Police force reported to",
        empty_label="Choose",
    )
    reported_at = LocalDateTimeField(label="Reported to police at")
    risk_grade = forms.ChoiceField(label="Risk grade", choices=_choices("missing_risk", "Choose"))
    rationale = forms.CharField(label="Why this grade", widget=forms.Textarea, required=False)
    missing_from = forms.ChoiceField(label="Missing from", choices=_choices("missing_from"))
    reported_by = forms.CharField(label="Reported by (role, not name)", max_length=200, required=False)
    last_seen_at = LocalDateTimeField(label="Last seen at", required=False)
    last_seen_by = forms.CharField(label="Last seen by", max_length=200, required=False)
    last_seen_where = forms.CharField(label="Last seen where", max_length=200, required=False)
    circumstances = forms.CharField(label="Circumstances", widget=forms.Textarea, required=False)


class RegradeForm(GovukForm):
    prefix = "regrade"  # several forms share the episode page: keep their ids apart
    required_messages = {
        "grade": "Choose the new risk grade",
        "rationale": "Enter why the risk grade changed",
    }
    grade = forms.ChoiceField(label="New risk grade", choices=_choices("missing_risk", "Choose"))
    rationale = forms.CharField(label="Why the grade changed", widget=forms.Textarea)


class ReturnForm(GovukForm):
    prefix = "return"  # several forms share the episode page: keep their ids apart
    required_messages = {
        "returned_at": "Enter when the child was found or returned",
        "found_location": "Enter where the child was found or returned to",
    }
    returned_at = LocalDateTimeField(label="Found or returned at")
    found_location = forms.CharField(label="Where found or returned to", max_length=200)
    found_out_of_area = forms.BooleanField(label="Found outside the force area", required=False)
    found_with = forms.CharField(label="Found with (who)", max_length=200, required=False)


class PreventionInterviewForm(GovukForm):
    prefix = "prevention"  # several forms share the episode page: keep their ids apart
    required_messages = {
        "held_at": "Enter when the interview was held",
        "officer": "Enter the officer who held the interview",
    }
    held_at = LocalDateTimeField(label="Prevention interview held at")
    officer = forms.CharField(label="Officer", max_length=200)
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)


class InterviewForm(GovukForm):
    prefix = "rhi"  # several forms share the episode page: keep their ids apart
    required_messages = {
        "outcome": "Choose the outcome of the interview",
        "offered_at": "Enter when the interview was offered",
    }
    outcome = forms.ChoiceField(label="Outcome", choices=_choices("rhi_outcome", "Choose"))
    offered_at = LocalDateTimeField(label="Offered at")
    held_at = LocalDateTimeField(label="Held at", required=False)
    interviewer_name = forms.CharField(label="Held by", max_length=200, required=False)
    outcome_reason = forms.CharField(
        label="Reason declined or not conducted", widget=forms.Textarea, required=False,
        help_text="If the child declined, what their carers said when asked.",
    )  # fmt: skip
    push_pull_factors = forms.CharField(
        label="Push and pull factors (before)", widget=forms.Textarea, required=False
    )
    where_went = forms.CharField(label="Where they went (during)", widget=forms.Textarea, required=False)
    who_with = forms.CharField(label="Who they were with", widget=forms.Textarea, required=False)
    travel = forms.CharField(
        label="How they travelled, and how they got home", widget=forms.Textarea, required=False
    )
    disclosures = forms.MultipleChoiceField(
        label="What the child disclosed about exploitation",
        choices=_choices("cce_indicator"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Each becomes a suggested indicator for the child's next exploitation screening.",
    )
    disclosure_notes = forms.CharField(label="In the child's words", widget=forms.Textarea, required=False)


class AssignInterviewForm(GovukForm):
    prefix = "assign"  # several forms share the episode page: keep their ids apart
    required_messages = {
        "assigned_to": "Choose who will hold the interview",
    }
    assigned_to = forms.ChoiceField(label="Assign the interview to")

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [
            ("", "Choose"),
            *[(u.pk, u.get_full_name() or u.username) for u in workers],
        ]


class PhilomenaForm(GovukForm):
    required_messages = {
        "description": "Enter the child's description",
    }
    description = forms.CharField(label="Personal details and physical description", widget=forms.Textarea)
    photo_note = forms.CharField(label="Recent photograph (where it is held)", max_length=200, required=False)
    associates = forms.CharField(label="Friends and associates", widget=forms.Textarea, required=False)
    places_frequented = forms.CharField(
        label="Addresses and places frequented", widget=forms.Textarea, required=False
    )
    phones_social_media = forms.CharField(
        label="Phones, social media and transport", widget=forms.Textarea, required=False
    )
    medical_needs = forms.CharField(
        label="Vulnerabilities and medical needs", widget=forms.Textarea, required=False
    )
    missing_history = forms.CharField(label="Previous missing history", widget=forms.Textarea, required=False)


class CallForm(GovukForm):
    required_messages = {
        "received_at": "Enter when the call was received",
        "caller_name": "Enter the caller's name",
        "child_name": "Enter the child's name as the caller gave it",
        "what_reported": "Enter what the caller reported",
        "outcome": "Choose the outcome of the call",
    }
    received_at = LocalDateTimeField(label="Call received at")
    caller_name = forms.CharField(label="Caller's name", max_length=200)
    caller_relationship = forms.CharField(
        label="Caller's relationship to the child", max_length=200, required=False
    )
    caller_agency = forms.ModelChoiceField(
        queryset=Agency.objects.all(),
        label="Caller's agency",
        required=False,
        empty_label="Not from an agency",
    )
    child_name = forms.CharField(label="Child's name (as given)", max_length=200)
    what_reported = forms.CharField(label="What was reported", widget=forms.Textarea)
    outcome = forms.ChoiceField(label="Outcome", choices=_choices("call_outcome", "Choose"))
    report_ref = forms.CharField(
        label="Missing report reference", max_length=40, required=False,
        help_text="Links the call to an episode, e.g. LP-TODAY-01.",
    )  # fmt: skip
