from django import forms

from .services import BREAK_GLASS_MIN_REASON


class LoginForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, max_length=200)


class ChooseRoleForm(forms.Form):
    membership = forms.TypedChoiceField(label="Which role are you acting in?", coerce=int)

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [(m.pk, str(m)) for m in memberships]
        self.fields["membership"].error_messages["required"] = "Choose the role you are acting in"


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this record now?",
        help_text="Your reason, your name and role are recorded and sent to the data protection officer.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        min_length=BREAK_GLASS_MIN_REASON,
        error_messages={
            "required": "Enter why you need this record",
            "min_length": f"Explain why you need this record now, in at least {BREAK_GLASS_MIN_REASON} characters",
        },
    )


class BreakGlassReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("accepted", "Reason accepted"), ("queried", "Query with the user")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an outcome"},
    )
    note = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
