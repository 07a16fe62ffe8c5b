from django import forms

from lantern.core.forms import GovukForm, LocalDateTimeField


class SnoozeForm(GovukForm):
    required_messages = {
        "until": "Enter when the alert should come back",
        "reason": "Enter why the alert can wait",
    }
    until = LocalDateTimeField(label="Snooze until")
    reason = forms.CharField(label="Why it can wait", widget=forms.Textarea)


class CloseForm(GovukForm):
    required_messages = {
        "reason": "Enter why the alert can be closed",
    }
    reason = forms.CharField(label="Why it can be closed", widget=forms.Textarea)


class AssignForm(GovukForm):
    required_messages = {
        "assign_to": "Choose a member of the team",
    }
    assign_to = forms.ChoiceField(label="Assign to")

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assign_to"].choices = [
            ("", "Choose"),
            *[(u.pk, u.get_full_name() or u.username) for u in members],
        ]
