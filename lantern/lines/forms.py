from django import forms

from lantern.core.codelists import codelist


class LineForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=codelist("line_status").choices)
    exporting_area = forms.CharField(label="Exporting area", max_length=100, required=False)
    transport_modes = forms.MultipleChoiceField(
        label="Transport", choices=codelist("transport_mode").choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
