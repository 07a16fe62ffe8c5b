"""Form fields and helpers shared by the domain apps."""

from django import forms

from lantern.core.exceptions import ValidationFailed


def copy_errors(form: forms.Form, error: ValidationFailed) -> None:
    """Show a service's validation errors on the form, each beside its field where it has one."""
    for name, message in error.errors.items():
        form.add_error(name if name in form.fields else None, message)


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in England's local time. Django reads it in TIME_ZONE (Europe/London),
    refusing a time that does not exist (the hour skipped when the clocks go forward)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"])
        super().__init__(**kwargs)


class GovukForm(forms.Form):
    """A form whose "required" errors say what to do, as GOV.UK error messages do
    ("Enter the reason for the decision", not "This field is required")."""

    required_messages: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.required_messages.items():
            self.fields[name].error_messages["required"] = message


class DayField(forms.DateField):
    """A calendar date (a due date, a review date): the browser's date picker, or dd/mm/yyyy typed."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d", "%d/%m/%Y"])
        super().__init__(**kwargs)
