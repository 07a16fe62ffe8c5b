import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.access.selectors import agency_workers
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.forms import copy_errors
from lantern.core.timeutils import local, now
from lantern.people.views import person_for_work

from . import forms, services
from .selectors import (
    call_log,
    missing_dashboard,
    missing_report_get,
    most_frequent_missing,
    philomena_get,
    quarter_start,
)


@viewer_required(Cap.MISSING_RECORD)
def dashboard_view(request):
    board = missing_dashboard(viewer=request.viewer)
    today = local(now()).date()
    frequent = most_frequent_missing(
        viewer=request.viewer, start=quarter_start(today), end=today + dt.timedelta(days=1)
    )
    return render(request, "missing/dashboard.html", {"board": board, "frequent": frequent})


@viewer_required(Cap.MISSING_RECORD)
@require_http_methods(["GET", "POST"])
def report_new_view(request, person_id: uuid.UUID):
    person = person_for_work(request, person_id, "Opening a missing report")
    form = forms.ReportForm(request.POST or None, initial={"reported_at": now()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.ReportIn(
            person_id=person_id,
            police_force_id=d["police_force"].pk,
            reported_at=d["reported_at"],
            risk_grade=d["risk_grade"],
            missing_from=d["missing_from"],
            reported_by=d["reported_by"],
            last_seen_at=d["last_seen_at"],
            last_seen_by=d["last_seen_by"],
            last_seen_where=d["last_seen_where"],
            circumstances=d["circumstances"],
            rationale=d["rationale"],
        )
        try:
            report = services.missing_report_open(viewer=request.viewer, data=data)
        except ValidationFailed as error:
            copy_errors(form, error)
        else:
            released = report.philomena_releases.count()
            note = f" Philomena profile released to {report.police_force.name} (logged)." if released else ""
            messages.success(request, f"Missing report {report.occurrence_ref} opened.{note}")
            return redirect("missing:report", report_id=report.pk)
    return render(request, "missing/report_new.html", {"form": form, "person": person})


def _report_page(request, report_id: int, status: int = 200, **bound):
    try:
        view = missing_report_get(viewer=request.viewer, report_id=report_id)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    workers = agency_workers(request.viewer.agency)
    context = {
        "view": view,
        "report": view.report,
        "person": view.report.item.person,
        "can_record": request.viewer.can(Cap.MISSING_RECORD),
        "regrade_form": bound.get("regrade_form") or forms.RegradeForm(),
        "return_form": bound.get("return_form") or forms.ReturnForm(initial={"returned_at": now()}),
        "prevention_form": bound.get("prevention_form") or forms.PreventionInterviewForm(),
        "interview_form": bound.get("interview_form") or forms.InterviewForm(initial={"offered_at": now()}),
        "assign_form": bound.get("assign_form") or forms.AssignInterviewForm(workers=workers),
    }
    return render(request, "missing/report.html", context, status=status)


@viewer_required(Cap.PERSON_VIEW)
def report_view(request, report_id: int):
    return _report_page(request, report_id)


def _report_action(request, report_id: int, form_name: str, form, act, done: str):
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationFailed as error:
            copy_errors(form, error)
        except AccessDenied as error:
            raise PermissionDenied(str(error)) from None
        else:
            messages.success(request, done)
            return redirect("missing:report", report_id=report_id)
    return _report_page(request, report_id, status=400, **{form_name: form})


@viewer_required(Cap.MISSING_RECORD)
@require_POST
def regrade_view(request, report_id: int):
    return _report_action(
        request, report_id, "regrade_form", forms.RegradeForm(request.POST),
        lambda d: services.missing_report_regrade(viewer=request.viewer, report_id=report_id, **d),
        "Risk grade updated.",
    )  # fmt: skip


@viewer_required(Cap.MISSING_RECORD)
@require_POST
def return_view(request, report_id: int):
    return _report_action(
        request, report_id, "return_form", forms.ReturnForm(request.POST),
        lambda d: services.missing_report_return(viewer=request.viewer, report_id=report_id, **d),
        "Return recorded. The return home interview is due within 72 hours.",
    )  # fmt: skip


@viewer_required(Cap.MISSING_RECORD)
@require_POST
def prevention_view(request, report_id: int):
    return _report_action(
        request, report_id, "prevention_form", forms.PreventionInterviewForm(request.POST),
        lambda d: services.prevention_interview_record(viewer=request.viewer, report_id=report_id, **d),
        "Prevention interview recorded.",
    )  # fmt: skip


@viewer_required(Cap.MISSING_RECORD)
@require_POST
def interview_view(request, report_id: int):
    return _report_action(
        request, report_id, "interview_form", forms.InterviewForm(request.POST),
        lambda d: services.return_interview_record(
            viewer=request.viewer, report_id=report_id, data=services.InterviewIn(**d)
        ),
        "Return home interview recorded.",
    )  # fmt: skip


@viewer_required(Cap.MISSING_RECORD)
@require_POST
def assign_view(request, report_id: int):
    workers = agency_workers(request.viewer.agency)
    return _report_action(
        request, report_id, "assign_form", forms.AssignInterviewForm(request.POST, workers=workers),
        lambda d: services.return_interview_assign(viewer=request.viewer, report_id=report_id, user_id=int(d["assigned_to"])),
        "Interview assigned.",
    )  # fmt: skip


@viewer_required(Cap.PERSON_VIEW)
@require_http_methods(["GET", "POST"])
def philomena_view(request, person_id: uuid.UUID):
    person = person_for_work(request, person_id, "Philomena profile")
    profile, basis = philomena_get(viewer=request.viewer, person_id=person_id)
    editable = request.viewer.can(Cap.MISSING_RECORD) and (
        profile is None or profile.controller_id == request.viewer.agency.pk
    )
    initial = {name: getattr(profile, name) for name in services.PROFILE_FIELDS} if profile else None
    form = forms.PhilomenaForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Only the agency that keeps this profile can change it.")
        if form.is_valid():
            try:
                services.philomena_save(viewer=request.viewer, person_id=person_id, values=form.cleaned_data)
            except ValidationFailed as error:
                copy_errors(form, error)
            else:
                messages.success(request, "Philomena profile saved and marked as reviewed today.")
                return redirect("missing:philomena", person_id=person_id)
    return render(
        request,
        "missing/philomena.html",
        {"person": person, "profile": profile, "basis": basis, "form": form, "editable": editable},
    )


@viewer_required(Cap.MISSING_RECORD)
@require_http_methods(["GET", "POST"])
def calls_view(request):
    form = forms.CallForm(request.POST or None, initial={"received_at": now()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.CallIn(
            received_at=d["received_at"],
            caller_name=d["caller_name"],
            caller_relationship=d["caller_relationship"],
            caller_agency_id=d["caller_agency"].pk if d["caller_agency"] else None,
            child_name=d["child_name"],
            what_reported=d["what_reported"],
            outcome=d["outcome"],
            report_ref=d["report_ref"],
        )
        try:
            services.missing_call_record(viewer=request.viewer, data=data)
        except ValidationFailed as error:
            copy_errors(form, error)
        else:
            messages.success(request, "Call recorded.")
            return redirect("missing:calls")
    return render(request, "missing/calls.html", {"form": form, "calls": call_log(viewer=request.viewer)})
