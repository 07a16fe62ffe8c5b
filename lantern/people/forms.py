import datetime as dt

from django import forms


class GovukDateField(forms.MultiValueField):
    """Day / month / year inputs (the GOV.UK date input pattern)."""

    widget = forms.MultiWidget(
        widgets=[forms.TextInput(attrs={"inputmode": "numeric", "maxlength": n}) for n in (2, 2, 4)]
    )

    def __init__(self, **kwargs):
        fields = [forms.IntegerField(required=False) for _ in range(3)]
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or all(v in (None, "") for v in data_list):
            return None
        day, month, year = data_list
        if None in (day, month, year):
            raise forms.ValidationError("Date of birth must include a day, month and year")
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise forms.ValidationError("Date of birth must be a real date") from None


class PersonSearchForm(forms.Form):
    name = forms.CharField(label="Name", required=False, max_length=200)
    dob = GovukDateField(label="Date of birth", required=False, help_text="For example, 27 3 2011")
    identifier = forms.CharField(
        label="Identifier",
        required=False,
        max_length=40,
        help_text="NHS number, UPN, LA child id or police id",
    )
