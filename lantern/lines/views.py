from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.forms import copy_errors

from . import forms, selectors, services


@viewer_required(Cap.NETWORK_VIEW)
def register_view(request):
    return render(request, "lines/register.html", {"lines": selectors.lines_register(viewer=request.viewer)})


@viewer_required(Cap.NETWORK_VIEW)
@require_http_methods(["GET", "POST"])
def line_view(request, line_id: int):
    try:
        page = selectors.line_get(viewer=request.viewer, line_id=line_id)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    line = page.summary.line
    form = forms.LineForm(request.POST or None, initial={
        "status": line.status, "exporting_area": line.exporting_area, "transport_modes": line.transport_modes,
    })  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.line_update(viewer=request.viewer, line_id=line_id, **form.cleaned_data)
        except AccessDenied as error:
            raise PermissionDenied(str(error)) from None
        except ValidationFailed as error:
            copy_errors(form, error)
        else:
            messages.success(request, "Register entry updated.")
            return redirect("lines:line", line_id=line_id)
    return render(request, "lines/line.html", {"page": page, "line": line, "form": form})


@viewer_required(Cap.NETWORK_VIEW)
def operation_view(request, operation_id: int):
    try:
        outcomes = selectors.operation_get(viewer=request.viewer, operation_id=operation_id)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    return render(request, "lines/operation.html", {"o": outcomes})
