import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.access.selectors import agency_workers
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.forms import copy_errors
from lantern.core.timeutils import now
from lantern.people.views import person_for_work

from . import forms, services
from .selectors import contact_get, front_door_queue


@viewer_required(Cap.REFERRAL_DECIDE)
def queue_view(request):
    return render(request, "referrals/queue.html", {"queue": front_door_queue(viewer=request.viewer)})


@viewer_required(Cap.REFERRAL_DECIDE)
@require_http_methods(["GET", "POST"])
def contact_view(request, contact_id: int):
    try:
        contact = contact_get(viewer=request.viewer, contact_id=contact_id)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    workers = agency_workers(request.viewer.agency)
    form = forms.DecisionForm(request.POST or None, workers=workers)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.contact_decide(
                viewer=request.viewer,
                contact_id=contact.pk,
                pathway=d["pathway"],
                reason=d["reason"],
                allocate_team_id=d["allocate_team"].pk if d["allocate_team"] else None,
                allocate_user_id=int(d["allocate_user"]) if d["allocate_user"] else None,
            )
        except ValidationFailed as error:
            copy_errors(form, error)
        else:
            messages.success(request, "Decision recorded.")
            return redirect("referrals:queue")
    status = 400 if form.errors else 200
    return render(request, "referrals/contact.html", {"contact": contact, "form": form}, status=status)


@viewer_required(Cap.REFERRAL_DECIDE)
@require_http_methods(["GET", "POST"])
def contact_new_view(request, person_id: uuid.UUID):
    person = person_for_work(request, person_id, "Recording a front door contact")
    form = forms.ContactForm(request.POST or None, initial={"received_at": now(), "kind": "contact"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.ContactIn(
            person_id=person_id,
            kind=d["kind"],
            received_at=d["received_at"],
            source=d["source"],
            summary=d["summary"],
            source_agency_id=d["source_agency"].pk if d["source_agency"] else None,
            referrer=d["referrer"],
            concerns=d["concerns"],
        )
        try:
            contact = services.contact_record(viewer=request.viewer, data=data)
        except ValidationFailed as error:
            copy_errors(form, error)
        else:
            messages.success(request, "Contact recorded. The decision is due within one working day.")
            return redirect("referrals:contact", contact_id=contact.pk)
    return render(request, "referrals/contact_new.html", {"form": form, "person": person})


@viewer_required(Cap.REFERRAL_DECIDE)
@require_http_methods(["GET", "POST"])
def strategy_new_view(request, person_id: uuid.UUID):
    person = person_for_work(request, person_id, "Recording a strategy discussion")
    form = forms.StrategyDiscussionForm(request.POST or None, initial={"held_at": now()})
    if request.method == "POST" and form.is_valid():
        try:
            services.strategy_discussion_record(
                viewer=request.viewer, person_id=person_id, **form.cleaned_data
            )
        except ValidationFailed as error:
            copy_errors(form, error)
        else:
            messages.success(request, "Strategy discussion recorded.")
            return redirect("people:person", person_id=person_id)
    return render(request, "referrals/strategy_new.html", {"form": form, "person": person})
