from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lantern.access.decorators import viewer_required
from lantern.access.models import User
from lantern.access.roles import Cap
from lantern.core.exceptions import AccessDenied, ValidationFailed

from . import forms, services
from .selectors import team_queue

DONE = {
    "acknowledge": "Alert acknowledged.",
    "assign": "Alert assigned.",
    "snooze": "Alert snoozed.",
    "close": "Alert closed.",
}


def _members(viewer):
    return User.objects.filter(memberships__team=viewer.team, is_active=True).distinct().order_by("username")


@viewer_required(Cap.QUEUE_WORK)
def queue_view(request):
    context = {
        "queue": team_queue(viewer=request.viewer),
        "assign_form": forms.AssignForm(members=_members(request.viewer)),
    }
    return render(request, "alerts/queue.html", context)


@viewer_required(Cap.QUEUE_WORK)
@require_POST
def action_view(request, alert_id: int, action: str):
    form = {
        "acknowledge": None,
        "assign": forms.AssignForm(request.POST, members=_members(request.viewer)),
        "snooze": forms.SnoozeForm(request.POST),
        "close": forms.CloseForm(request.POST),
    }.get(action, False)
    if form is False:
        raise PermissionDenied("Unknown action.")
    try:
        if form is not None and not form.is_valid():
            raise ValidationFailed({name: errs[0] for name, errs in form.errors.items()})
        if action == "acknowledge":
            services.alert_acknowledge(viewer=request.viewer, alert_id=alert_id)
        elif action == "assign":
            services.alert_assign(
                viewer=request.viewer, alert_id=alert_id, user_id=int(form.cleaned_data["assign_to"])
            )
        elif action == "snooze":
            services.alert_snooze(viewer=request.viewer, alert_id=alert_id, **form.cleaned_data)
        else:
            services.alert_close(viewer=request.viewer, alert_id=alert_id, reason=form.cleaned_data["reason"])
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    except ValidationFailed as error:
        messages.error(request, "Not saved: " + "; ".join(error.errors.values()))
        return redirect(reverse("alerts:queue") + f"#alert-{alert_id}")
    messages.success(request, DONE[action])
    return redirect("alerts:queue")
