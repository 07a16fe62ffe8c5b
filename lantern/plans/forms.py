from django import forms

from lantern.access.models import Agency
from lantern.core.codelists import codelist
from lantern.core.forms import DayField, GovukForm, LocalDateTimeField


def _agencies():
    return forms.ModelChoiceField(queryset=Agency.objects.all(), label="Owner agency", empty_label="Choose")


class PlanForm(GovukForm):
    required_messages = {"aim": "Enter what the plan is for"}
    aim = forms.CharField(label="What the plan is for", widget=forms.Textarea)
    review_due_on = DayField(
        label="Review by",
        required=False,
        help_text="Leave empty to use the child's screening review date, or 12 weeks from today.",
    )


class ActionForm(GovukForm):
    required_messages = {
        "description": "Enter what is to be done",
        "owner_agency": "Choose the agency that owns the action",
        "owner_name": "Enter who at the agency is responsible",
        "due_on": "Enter the date the action is due",
    }
    description = forms.CharField(label="Action", widget=forms.Textarea)
    owner_agency = _agencies()
    owner_name = forms.CharField(label="Responsible person", max_length=200)
    due_on = DayField(label="Due by")


class ReviewForm(GovukForm):
    required_messages = {
        "held_on": "Enter the date of the review",
        "attendees": "Enter who attended",
        "notes": "Enter what the review found and changed",
        "next_review_on": "Enter the date of the next review",
    }
    held_on = DayField(label="Review held on")
    attendees = forms.CharField(label="Who attended", widget=forms.Textarea)
    notes = forms.CharField(label="What the review found and changed", widget=forms.Textarea)
    next_review_on = DayField(label="Next review by")


class CloseForm(GovukForm):
    required_messages = {"reason": "Enter why the plan is closed"}
    reason = forms.CharField(label="Why the plan is closed", widget=forms.Textarea)


class OrderForm(GovukForm):
    required_messages = {
        "kind": "Choose the kind of order or notice",
        "issued_on": "Enter the date it was issued",
        "issued_by": "Enter the serving officer or the court",
        "children": "Choose the child or children the order protects",
    }
    kind = forms.ChoiceField(
        label="Order or notice", choices=[("", "Choose"), *codelist("disruption_order").choices]
    )
    children = forms.MultipleChoiceField(
        label="Children it protects", widget=forms.CheckboxSelectMultiple,
        help_text="Children your team works with.",
    )  # fmt: skip
    issued_on = DayField(label="Issued on")
    served_on = DayField(label="Served on", required=False)
    expires_on = DayField(
        label="Expires or is reviewed on", required=False, help_text="Empty: until further order."
    )
    issued_by = forms.CharField(label="Serving officer or court", max_length=200)

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].choices = [
            (str(p.pk), f"{p.display_name} ({p.display_dob:%d/%m/%Y})") for p in children
        ]


class BreachForm(GovukForm):
    required_messages = {
        "on": "Enter the date of the breach",
        "reference": "Enter the crime or intelligence reference",
    }
    on = DayField(label="Breached on")
    reference = forms.CharField(label="Crime or intelligence reference", max_length=100)


class NrmForm(GovukForm):
    required_messages = {
        "referred_on": "Enter the date of the referral",
        "exploitation_types": "Choose the types of exploitation",
        "summary": "Enter why the child is referred",
    }
    referred_on = DayField(label="Referred on")
    reference = forms.CharField(label="NRM reference", max_length=60, required=False)
    exploitation_types = forms.MultipleChoiceField(
        label="Types of exploitation", choices=codelist("nrm_exploitation_type").choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    decision_maker = forms.ChoiceField(label="Who decides", choices=codelist("nrm_decision_maker").choices)
    summary = forms.CharField(label="Why the child is referred", widget=forms.Textarea)
    ictg_referred_on = DayField(
        label="Referred to an Independent Child Trafficking Guardian on", required=False
    )
    statutory_defence_relevant = forms.BooleanField(
        label="The section 45 statutory defence may be relevant to offences the child is charged with",
        required=False,
    )


class NrmDecisionForm(GovukForm):
    required_messages = {
        "decision": "Choose positive or negative",
        "decided_on": "Enter the date of the decision",
    }
    stage = forms.ChoiceField(
        choices=[("rg", "Reasonable grounds"), ("cg", "Conclusive grounds")], widget=forms.HiddenInput
    )
    decision = forms.ChoiceField(
        label="Decision", choices=[("", "Choose"), *codelist("nrm_decision").choices]
    )
    decided_on = DayField(label="Decided on")


class MeetingForm(GovukForm):
    required_messages = {"title": "Enter a title", "held_at": "Enter when the meeting is held"}
    level = forms.ChoiceField(label="Level", choices=codelist("mace_level").choices)
    title = forms.CharField(label="Title", max_length=200)
    held_at = LocalDateTimeField(label="Held at")
    invited_agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.all(), label="Agencies invited", widget=forms.CheckboxSelectMultiple,
        help_text="Only invited agencies see the agenda and the minutes.", required=False,
    )  # fmt: skip


class SubjectForm(GovukForm):
    required_messages = {"subject": "Enter the place, adult posing risk or theme to discuss"}
    subject = forms.CharField(label="Place, adult posing risk or theme", max_length=200)
    why = forms.CharField(label="Why it is on the agenda", max_length=300, required=False)


ACTION_ROWS = 3


class MinutesForm(GovukForm):
    """Minutes, a decision per agenda item, and up to three actions for children on the agenda."""

    required_messages = {
        "attendees": "Enter who attended and from which agency",
        "minutes": "Enter the minutes",
    }
    attendees = forms.CharField(label="Who attended (name, agency)", widget=forms.Textarea)
    minutes = forms.CharField(label="Minutes", widget=forms.Textarea)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        children = [(str(i.pk), i.person.display_name) for i in items if i.person_id]
        for item in items:
            label = item.person.display_name if item.person_id else item.subject
            self.fields[f"decision_{item.pk}"] = forms.CharField(
                label=f"Decisions: {label}", required=False, widget=forms.Textarea
            )
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{n}_item"] = forms.ChoiceField(
                label=f"Action {n}: for", choices=[("", "No action"), *children], required=False
            )
            self.fields[f"action_{n}_description"] = forms.CharField(
                label=f"Action {n}: what", required=False
            )
            self.fields[f"action_{n}_owner_agency"] = forms.ModelChoiceField(
                queryset=Agency.objects.all(),
                label=f"Action {n}: owner agency",
                required=False,
                empty_label="Choose",
            )
            self.fields[f"action_{n}_owner_name"] = forms.CharField(
                label=f"Action {n}: responsible person", required=False
            )
            self.fields[f"action_{n}_due_on"] = DayField(label=f"Action {n}: due by", required=False)

    def decisions(self) -> dict[int, str]:
        return {
            int(k.split("_")[1]): v for k, v in self.cleaned_data.items() if k.startswith("decision_") and v
        }

    def actions(self) -> list[dict]:
        out = []
        for n in range(1, ACTION_ROWS + 1):
            d = {k.split("_", 2)[2]: v for k, v in self.cleaned_data.items() if k.startswith(f"action_{n}_")}
            if d.get("item"):
                out.append(
                    {
                        "item_id": int(d["item"]),
                        "description": d["description"],
                        "owner_agency": d["owner_agency"],
                        "owner_name": d["owner_name"],
                        "due_on": d["due_on"],
                    }
                )
        return out


class EqualityForm(forms.Form):
    since = DayField(label="Screenings submitted since", required=False)
