from django import forms

from lantern.core.forms import GovukForm


class RejectForm(GovukForm):
    required_messages = {"reason": "Enter why the indicator does not apply"}
    reason = forms.CharField(label="Why it does not apply", widget=forms.Textarea)


class AddIndicatorForm(GovukForm):
    prefix = "add"
    required_messages = {"indicator": "Choose an indicator", "note": "Enter what you know that shows it"}
    indicator = forms.ChoiceField(label="Indicator from your own knowledge")
    note = forms.CharField(label="What you know", widget=forms.Textarea)

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", "Choose"), *[(i.code, i.label) for i in indicators]]


class SubmitForm(GovukForm):
    prefix = "final"
    required_messages = {"final_level": "Choose the level you judge right"}
    final_level = forms.ChoiceField(label="Your level (your professional judgement)")
    rationale = forms.CharField(
        label="Rationale", widget=forms.Textarea, required=False,
        help_text="Required when your level differs from the tool's advisory level.",
    )  # fmt: skip

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["final_level"].choices = [
            ("", "Choose"),
            *[(level.code, level.label) for level in levels],
        ]
