from django import forms

from lantern.access.models import Agency, Team
from lantern.core.codelists import codelist
from lantern.core.forms import GovukForm, LocalDateTimeField


class ContactForm(GovukForm):
    required_messages = {
        "received_at": "Enter when the contact was received",
        "source": "Choose the source of the contact",
        "summary": "Enter what the contact says",
    }
    kind = forms.ChoiceField(label="Kind", choices=codelist("contact_kind").choices)
    received_at = LocalDateTimeField(label="Received at")
    source = forms.ChoiceField(
        label="Source (CIN census referral source)",
        choices=[("", "Choose"), *codelist("referral_source").choices],
    )
    source_agency = forms.ModelChoiceField(
        queryset=Agency.objects.all(), label="Referring agency", required=False, empty_label="Not an agency"
    )
    referrer = forms.CharField(label="Referrer's role", max_length=200, required=False)
    concerns = forms.MultipleChoiceField(
        label="Concerns raised",
        choices=codelist("cce_indicator").choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    summary = forms.CharField(label="What the contact says", widget=forms.Textarea)


class DecisionForm(GovukForm):
    required_messages = {
        "pathway": "Choose a pathway",
        "reason": "Enter the reason for the decision",
    }
    pathway = forms.ChoiceField(label="Pathway", choices=[("", "Choose"), *codelist("pathway").choices])
    reason = forms.CharField(label="Reason for the decision", widget=forms.Textarea)
    allocate_team = forms.ModelChoiceField(
        # Teams people work in (feed accounts' teams have no active member).
        queryset=Team.objects.filter(memberships__user__is_active=True).distinct().select_related("agency"),
        label="Allocate to a team",
        required=False,
        empty_label="No allocation",
    )
    allocate_user = forms.ChoiceField(label="Allocate to a worker", required=False)

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocate_user"].choices = [
            ("", "No worker"),
            *[(u.pk, u.get_full_name() or u.username) for u in workers],
        ]


class StrategyDiscussionForm(GovukForm):
    required_messages = {
        "held_at": "Enter when the discussion was held",
        "attendees": "Enter who attended",
        "decisions": "Enter what was decided",
    }
    held_at = LocalDateTimeField(label="Held at")
    attendees = forms.CharField(
        label="Attendees (name, role and agency, one per line)", widget=forms.Textarea
    )
    decisions = forms.CharField(label="Decisions", widget=forms.Textarea)
    actions = forms.CharField(
        label="Actions (action, owner, due date, one per line)", widget=forms.Textarea, required=False
    )
