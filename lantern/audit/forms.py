from django import forms


class SubjectLookupForm(forms.Form):
    name = forms.CharField(label="Child's name", required=False, max_length=200)
    person_id = forms.UUIDField(
        label="Lantern person id",
        required=False,
        error_messages={"invalid": "Enter a valid Lantern person id"},
    )
