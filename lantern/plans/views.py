"""Thin views over the plans services and selectors: a refused service call is a 403, a validation
failure puts its messages beside the fields, a success redirects to the page showing the result."""

import datetime as dt
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.forms import copy_errors
from lantern.core.timeutils import local, now
from lantern.people.views import person_for_work

from . import forms, selectors, services


def _run(form, act):
    """Validate the form and call the service; True when saved, errors copied onto the form if not."""
    if not form.is_valid():
        return False
    try:
        act(form.cleaned_data)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    except ValidationFailed as error:
        copy_errors(form, error)
        return False
    return True


def _act_and_return(request, act, done: str, back):
    """Run a one-button service call: 403 if refused, its messages as an error banner if not saved."""
    try:
        act()
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    except ValidationFailed as error:
        messages.error(request, "Not saved: " + "; ".join(error.errors.values()))
    else:
        messages.success(request, done)
    return back


def _get(getter, **kwargs):
    try:
        return getter(**kwargs)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None


# --- safety plans --------------------------------------------------------------------------------


@viewer_required(Cap.PLAN_RECORD)
@require_http_methods(["GET", "POST"])
def plan_new_view(request, person_id: uuid.UUID):
    person = person_for_work(request, person_id, "Creating a safety plan")
    form = forms.PlanForm(request.POST or None)
    if request.method == "POST":
        created = {}
        if _run(form, lambda d: created.setdefault("plan", services.safety_plan_create(
            viewer=request.viewer, person_id=person_id, **d))):  # fmt: skip
            messages.success(request, "Safety plan created. Add its actions.")
            return redirect("plans:plan", plan_id=created["plan"].pk)
    return render(request, "plans/plan_new.html", {"form": form, "person": person})


def _plan_page(request, plan_id: int, status: int = 200, **bound):
    plan = _get(selectors.safety_plan_get, viewer=request.viewer, plan_id=plan_id)
    can_edit = plan.is_open and request.viewer.can(Cap.PLAN_RECORD)
    context = {
        "plan": plan,
        "person": plan.person,
        "actions": list(plan.actions.select_related("owner_agency", "meeting")),
        "reviews": list(plan.reviews.select_related("recorded_by")),
        "can_edit": can_edit,
        "today": local(now()).date(),
        "action_form": bound.get("action_form") or forms.ActionForm(),
        "review_form": bound.get("review_form") or forms.ReviewForm(initial={"held_on": local(now()).date()}),
        "close_form": bound.get("close_form") or forms.CloseForm(),
    }
    return render(request, "plans/plan.html", context, status=status)


@viewer_required(Cap.PERSON_VIEW)
def plan_view(request, plan_id: int):
    return _plan_page(request, plan_id)


def _plan_post(request, plan_id, form_name, form, act, done):
    if _run(form, act):
        messages.success(request, done)
        return redirect("plans:plan", plan_id=plan_id)
    return _plan_page(request, plan_id, status=400, **{form_name: form})


@viewer_required(Cap.PLAN_RECORD)
@require_POST
def action_add_view(request, plan_id: int):
    return _plan_post(
        request, plan_id, "action_form", forms.ActionForm(request.POST),
        lambda d: services.plan_action_add(viewer=request.viewer, plan_id=plan_id, **d), "Action added.",
    )  # fmt: skip


@viewer_required(Cap.PLAN_RECORD)
@require_POST
def action_update_view(request, plan_id: int, action_id: int):
    note = request.POST.get("note", "")
    return _act_and_return(
        request,
        lambda: services.plan_action_update(
            viewer=request.viewer, action_id=action_id, status=request.POST.get("status", ""), note=note
        ),
        "Action updated.",
        redirect("plans:plan", plan_id=plan_id),
    )


@viewer_required(Cap.PLAN_RECORD)
@require_POST
def review_view(request, plan_id: int):
    return _plan_post(
        request, plan_id, "review_form", forms.ReviewForm(request.POST),
        lambda d: services.plan_review_record(viewer=request.viewer, plan_id=plan_id, **d), "Review recorded.",
    )  # fmt: skip


@viewer_required(Cap.PLAN_RECORD)
@require_POST
def close_view(request, plan_id: int):
    return _plan_post(
        request, plan_id, "close_form", forms.CloseForm(request.POST),
        lambda d: services.safety_plan_close(viewer=request.viewer, plan_id=plan_id, **d), "Safety plan closed.",
    )  # fmt: skip


# --- disruption orders ---------------------------------------------------------------------------


@viewer_required(Cap.PLAN_RECORD)
@require_http_methods(["GET", "POST"])
def order_new_view(request, person_id: uuid.UUID):
    if not request.viewer.agency.is_law_enforcement:
        raise PermissionDenied("Disruption orders and notices are recorded by the police.")
    adult = person_for_work(request, person_id, "Recording a disruption order")
    form = forms.OrderForm(request.POST or None, children=selectors.team_children(request.viewer))
    if request.method == "POST" and _run(form, lambda d: services.disruption_order_record(
        viewer=request.viewer, adult_id=person_id, child_ids=[uuid.UUID(c) for c in d.pop("children")], **d)):  # fmt: skip
        messages.success(request, "Disruption order recorded.")
        return redirect("people:person", person_id=person_id)
    return render(request, "plans/order_new.html", {"form": form, "person": adult})


# --- NRM -----------------------------------------------------------------------------------------


@viewer_required(Cap.NRM_REFER)
@require_http_methods(["GET", "POST"])
def nrm_new_view(request, person_id: uuid.UUID):
    if not request.viewer.agency.is_first_responder:
        raise PermissionDenied(
            f"{request.viewer.agency.name} is not an NRM first responder organisation: tell a first responder "
            "(the police or the local authority) or the Modern Slavery Helpline."
        )
    person = person_for_work(request, person_id, "Making an NRM referral")
    form = forms.NrmForm(request.POST or None, initial={"referred_on": local(now()).date()})
    if request.method == "POST":
        made = {}
        if _run(form, lambda d: made.setdefault("r", services.nrm_refer(
            viewer=request.viewer, person_id=person_id, **d))):  # fmt: skip
            messages.success(request, "NRM referral recorded.")
            return redirect("plans:nrm", referral_id=made["r"].pk)
    return render(request, "plans/nrm_new.html", {"form": form, "person": person})


@viewer_required(Cap.PERSON_VIEW)
@require_http_methods(["GET", "POST"])
def nrm_view(request, referral_id: int):
    referral = _get(selectors.nrm_referral_get, viewer=request.viewer, referral_id=referral_id)
    form = forms.NrmDecisionForm(
        request.POST or None, initial={"stage": "cg" if referral.rg_decision else "rg"}
    )
    if request.method == "POST":
        if not request.viewer.can(Cap.NRM_REFER):
            raise PermissionDenied("Your role does not include NRM referrals.")
        if _run(
            form, lambda d: services.nrm_decision_record(viewer=request.viewer, referral_id=referral_id, **d)
        ):
            messages.success(request, "Decision recorded.")
            return redirect("plans:nrm", referral_id=referral_id)
    return render(
        request, "plans/nrm.html",
        {"referral": referral, "person": referral.person, "form": form, "today": local(now()).date()},
        status=400 if form.errors else 200,
    )  # fmt: skip


# --- MACE ----------------------------------------------------------------------------------------


@viewer_required(Cap.PERSON_VIEW)
@require_http_methods(["GET", "POST"])
def meetings_view(request):
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST":
        if not request.viewer.can(Cap.MACE_MANAGE):
            raise PermissionDenied("Your role does not include running MACE meetings.")
        made = {}
        if _run(
            form, lambda d: made.setdefault("m", services.mace_meeting_create(viewer=request.viewer, **d))
        ):
            messages.success(request, "Meeting arranged. Build its agenda.")
            return redirect("plans:meeting", meeting_id=made["m"].pk)
    meetings = selectors.mace_meetings(viewer=request.viewer)
    return render(request, "plans/meetings.html", {"meetings": meetings, "form": form})


def _meeting_page(request, meeting_id: int, status: int = 200, **bound):
    meeting = _get(selectors.mace_meeting_get, viewer=request.viewer, meeting_id=meeting_id)
    items = list(meeting.agenda.all())
    chairing = meeting.team_id == request.viewer.team.pk and request.viewer.can(Cap.MACE_MANAGE)
    proposals = (
        selectors.mace_agenda_proposals(viewer=request.viewer, meeting=meeting, at=now())
        if chairing and not meeting.minutes_recorded_at and meeting.level == "1"
        else []
    )
    context = {
        "meeting": meeting,
        "items": items,
        "chairing": chairing,
        "proposals": proposals,
        "subject_form": bound.get("subject_form") or forms.SubjectForm(),
        "minutes_form": bound.get("minutes_form") or forms.MinutesForm(items=items),
        "actions": list(meeting.actions.all()),
    }
    return render(request, "plans/meeting.html", context, status=status)


@viewer_required(Cap.PERSON_VIEW)
def meeting_view(request, meeting_id: int):
    return _meeting_page(request, meeting_id)


@viewer_required(Cap.MACE_MANAGE)
@require_POST
def agenda_add_view(request, meeting_id: int):
    """A proposed child (person_id, with the proposal's reasons) or a level 2 subject."""
    person_id = request.POST.get("person_id")
    if person_id:
        meeting = _get(selectors.mace_meeting_get, viewer=request.viewer, meeting_id=meeting_id)
        proposals = selectors.mace_agenda_proposals(viewer=request.viewer, meeting=meeting, at=now())
        reasons = next((p.reasons for p in proposals if str(p.person.pk) == person_id), None)
        if reasons is None:
            raise PermissionDenied("That child is not proposed for this meeting.")
        item = {"person_id": uuid.UUID(person_id), "reasons": reasons}
    else:
        form = forms.SubjectForm(request.POST)
        if not form.is_valid():
            return _meeting_page(request, meeting_id, status=400, subject_form=form)
        why = form.cleaned_data["why"]
        item = {"subject": form.cleaned_data["subject"], "reasons": [{"text": why, "url": ""}] if why else []}
    return _act_and_return(
        request,
        lambda: services.mace_agenda_add(viewer=request.viewer, meeting_id=meeting_id, **item),
        "Added to the agenda.",
        redirect("plans:meeting", meeting_id=meeting_id),
    )


@viewer_required(Cap.MACE_MANAGE)
@require_POST
def minutes_view(request, meeting_id: int):
    meeting = _get(selectors.mace_meeting_get, viewer=request.viewer, meeting_id=meeting_id)
    form = forms.MinutesForm(request.POST, items=list(meeting.agenda.all()))
    if _run(form, lambda d: services.mace_minutes_record(
        viewer=request.viewer, meeting_id=meeting_id, attendees=d["attendees"], minutes=d["minutes"],
        decisions=form.decisions(), actions=form.actions())):  # fmt: skip
        messages.success(request, "Minutes recorded; actions added to the children's safety plans.")
        return redirect("plans:meeting", meeting_id=meeting_id)
    return _meeting_page(request, meeting_id, status=400, minutes_form=form)


# --- equality ------------------------------------------------------------------------------------


@viewer_required(Cap.EQUALITY_VIEW)
def equality_view(request):
    from lantern.screening.services import DEFAULT_TOOL

    form = forms.EqualityForm(request.GET or None)
    default_since = local(now()).date() - dt.timedelta(days=365)
    since = form.cleaned_data.get("since") if form.is_valid() else None
    tables = selectors.screening_equality(
        viewer=request.viewer, tool_code=DEFAULT_TOOL, since=since or default_since,
        threshold=settings.LANTERN_SUPPRESS_BELOW,
    )  # fmt: skip
    return render(
        request, "plans/equality.html",
        {"tables": tables, "form": form, "since": since or default_since, "threshold": settings.LANTERN_SUPPRESS_BELOW},
    )  # fmt: skip
