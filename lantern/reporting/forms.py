from django import forms

from lantern.analytics.board import Period
from lantern.core.timeutils import local, now


def _quarters(n: int = 8) -> list[tuple[str, str]]:
    current = Period.containing(local(now()).date())
    return [(q.code, q.label) for q in reversed(current.last(n))]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label="Quarter",
        help_text="The report covers the quarter you choose and compares it with the four before it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = _quarters()
        self.fields["period"].choices = choices
        self.fields["period"].initial = choices[1][0]  # the last complete quarter

    def clean_period(self) -> Period:
        return Period.parse(self.cleaned_data["period"])
