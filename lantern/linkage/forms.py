from django import forms

from .models import ReviewPair


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Are these records the same person?",
        choices=ReviewPair.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose same person, different people or unsure"},
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text="What you checked. Required unless you are unsure.",
    )


class SplitForm(forms.Form):
    records = forms.TypedMultipleChoiceField(
        label="Records that belong to a different person",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the records to split off"},
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Enter why these records are a different person"},
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, record_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["records"].choices = record_choices


class MergeForm(forms.Form):
    other = forms.UUIDField(
        label="Lantern person id of the duplicate",
        error_messages={
            "required": "Enter the other person's id",
            "invalid": "Enter a valid Lantern person id",
        },
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Enter why these are the same person"},
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
