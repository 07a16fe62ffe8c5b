from django import forms

from lantern.core.codelists import codelist
from lantern.core.forms import DayField

RECIPIENTS = [
    ("force", "Within the force"),
    ("law_enforcement", "Another law enforcement agency"),
    ("partner", "A safeguarding partner (not law enforcement)"),
]


class MapForm(forms.Form):
    """What to show: hops, link types, period and grading (GET parameters: the map is a link)."""

    hops = forms.TypedChoiceField(
        label="Hops from the start", choices=[(1, "1"), (2, "2"), (3, "3"), (6, "6")], coerce=int, initial=2,
        required=False,
    )  # fmt: skip
    types = forms.MultipleChoiceField(
        label="Link types", choices=codelist("network_link_type").choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text="None ticked: every type.",
    )  # fmt: skip
    since = DayField(label="Links in force since", required=False)
    until = DayField(label="Links in force until", required=False)
    reliability = forms.ChoiceField(
        label="Source reliability at least",
        choices=[("", "Any grading, and ungraded"), *codelist("source_reliability").choices],
        required=False,
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[("csv", "Entity and link CSV (i2, Gephi)"), ("graphml", "GraphML"), ("gexf", "GEXF")]
    )
    recipient = forms.ChoiceField(label="Who will receive it", choices=RECIPIENTS)


PEER_ROWS = 5


class PeerMapForm(forms.Form):
    purpose_note = forms.CharField(label="Why you are making this map", max_length=300)
    review_on = DayField(label="Review by")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, PEER_ROWS + 1):
            self.fields[f"p{n}_initials"] = forms.CharField(
                label=f"Person {n}: initials", max_length=10, required=False, help_text="Initials only, never a name."
                if n == 1 else "",
            )  # fmt: skip
            self.fields[f"p{n}_relationship"] = forms.CharField(
                label=f"Person {n}: who they are to the child", max_length=100, required=False
            )
            self.fields[f"p{n}_influence"] = forms.ChoiceField(
                label=f"Person {n}: influence",
                choices=[
                    ("", "Choose"),
                    ("protective", "Protective"),
                    ("harmful", "Harmful"),
                    ("unclear", "Unclear"),
                ],
                required=False,
            )
            self.fields[f"p{n}_place"] = forms.CharField(
                label=f"Person {n}: where", max_length=100, required=False
            )

    def entries(self) -> list[dict]:
        rows = []
        for n in range(1, PEER_ROWS + 1):
            row = {
                k: self.cleaned_data.get(f"p{n}_{k}", "")
                for k in ("initials", "relationship", "influence", "place")
            }
            if any(row.values()):
                rows.append(row)
        return rows


class PhoneLinkForm(forms.Form):
    """Link the entity on the page to a phone number (kept as typed and flagged if it will not parse)."""

    number = forms.CharField(label="Phone number", max_length=40)
    link_type = forms.ChoiceField(
        label="Link", choices=codelist("network_link_type").choices, initial="uses_phone"
    )
    note = forms.CharField(label="Source of the association", max_length=300)
    source_reliability = forms.ChoiceField(
        label="Source reliability",
        choices=[("", "Not graded"), *codelist("source_reliability").choices],
        required=False,
    )
    information_assessment = forms.ChoiceField(
        label="Information assessment", choices=[("", "Not graded"), *codelist("information_assessment").choices],
        required=False,
    )  # fmt: skip
    handling_code = forms.TypedChoiceField(
        label="Handling code", choices=codelist("handling_code").choices, coerce=int, initial=3
    )
