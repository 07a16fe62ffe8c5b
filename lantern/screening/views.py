import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.forms import copy_errors

from . import forms, services
from .selectors import screening_get


@viewer_required(Cap.SCREENING_RECORD)
@require_POST
def start_view(request, person_id: uuid.UUID):
    try:
        screening = services.screening_start(
            viewer=request.viewer,
            person_id=person_id,
            tool_code=request.POST.get("tool", services.DEFAULT_TOOL),
        )
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    except ValidationFailed as error:
        messages.error(request, "; ".join(error.errors.values()))
        return redirect("people:person", person_id=person_id)
    return redirect("screening:detail", screening_id=screening.pk)


def _page(request, screening_id: int, status: int = 200, **bound):
    try:
        screening = screening_get(viewer=request.viewer, screening_id=screening_id)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    tool = services.tool_of(screening)
    advice = services.advice_for(request.viewer, screening) if screening.status == "draft" else None
    context = {
        "screening": screening,
        "person": screening.person,
        "tool": tool,
        "advice": advice,
        "indicators": list(screening.indicators.all()),
        "reject_form": forms.RejectForm(),
        "add_form": bound.get("add_form") or forms.AddIndicatorForm(indicators=tool.indicators),
        "submit_form": bound.get("submit_form") or forms.SubmitForm(levels=tool.levels),
        "can_edit": screening.status == "draft" and request.viewer.can(Cap.SCREENING_RECORD),
        "can_sign_off": screening.status == "submitted"
        and request.viewer.can(Cap.SCREENING_SIGN_OFF)
        and screening.assessed_by_id != request.viewer.user.pk,
    }
    return render(request, "screening/detail.html", context, status=status)


@viewer_required(Cap.PERSON_VIEW)
def detail_view(request, screening_id: int):
    return _page(request, screening_id)


def _act(request, screening_id: int, act, done: str, form_name: str | None = None, form=None):
    try:
        if form is not None and not form.is_valid():
            raise ValidationFailed({name: errs[0] for name, errs in form.errors.items()})
        act(form.cleaned_data if form is not None else None)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    except ValidationFailed as error:
        if form_name:
            copy_errors(form, error)
            return _page(request, screening_id, status=400, **{form_name: form})
        messages.error(request, "Not saved: " + "; ".join(error.errors.values()))
    else:
        messages.success(request, done)
    return redirect("screening:detail", screening_id=screening_id)


@viewer_required(Cap.SCREENING_RECORD)
@require_POST
def decide_view(request, screening_id: int, indicator: str):
    decision = request.POST.get("decision", "")
    form = forms.RejectForm(request.POST) if decision == "rejected" else None
    return _act(
        request, screening_id,
        lambda d: services.screening_indicator_decide(
            viewer=request.viewer, screening_id=screening_id, indicator=indicator, decision=decision,
            reason=(d or {}).get("reason", ""),
        ),
        "Indicator confirmed." if decision == "confirmed" else "Indicator rejected.", form=form,
    )  # fmt: skip


@viewer_required(Cap.SCREENING_RECORD)
@require_POST
def add_view(request, screening_id: int):
    screening = screening_get(viewer=request.viewer, screening_id=screening_id)
    form = forms.AddIndicatorForm(request.POST, indicators=services.tool_of(screening).indicators)
    return _act(
        request, screening_id,
        lambda d: services.screening_indicator_add(viewer=request.viewer, screening_id=screening_id, **d),
        "Indicator added.", "add_form", form,
    )  # fmt: skip


@viewer_required(Cap.SCREENING_RECORD)
@require_POST
def submit_view(request, screening_id: int):
    screening = screening_get(viewer=request.viewer, screening_id=screening_id)
    form = forms.SubmitForm(request.POST, levels=services.tool_of(screening).levels)
    return _act(
        request, screening_id,
        lambda d: services.screening_submit(viewer=request.viewer, screening_id=screening_id, **d),
        "Screening submitted for manager sign-off.", "submit_form", form,
    )  # fmt: skip


@viewer_required(Cap.SCREENING_SIGN_OFF)
@require_POST
def sign_off_view(request, screening_id: int):
    return _act(
        request, screening_id,
        lambda _d: services.screening_sign_off(viewer=request.viewer, screening_id=screening_id),
        "Screening signed off.",
    )  # fmt: skip


@viewer_required(Cap.SCREENING_RECORD)
@require_POST
def learning_disability_view(request, screening_id: int):
    known = request.POST.get("learning_disability") == "yes"
    return _act(
        request, screening_id,
        lambda _d: services.screening_learning_disability_set(
            viewer=request.viewer, screening_id=screening_id, known=known
        ),
        "Learning disability recorded." if known else "Learning disability removed.",
    )  # fmt: skip
