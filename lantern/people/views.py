import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lantern.access.decorators import viewer_required
from lantern.access.forms import BreakGlassForm
from lantern.access.roles import Cap
from lantern.access.services import break_glass_grant
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.forms import copy_errors
from lantern.core.http import page_number

from .forms import PersonSearchForm
from .selectors import (
    NeedsBreakGlass,
    SearchQuery,
    person_get,
    person_resolve_id,
    person_search,
    person_timeline,
)


@viewer_required(Cap.PERSON_SEARCH)
def search_view(request):
    form = PersonSearchForm(request.GET or None)
    matches = None
    if request.GET and form.is_valid():
        query = SearchQuery(
            name=form.cleaned_data["name"] or "",
            dob=form.cleaned_data["dob"],
            identifier=form.cleaned_data["identifier"] or "",
        )
        try:
            matches = person_search(viewer=request.viewer, query=query)
        except ValidationFailed as error:
            copy_errors(form, error)
    return render(request, "people/search.html", {"form": form, "matches": matches})


def person_for_work(request, person_id: uuid.UUID, why: str):
    """The person a piece of work is about, opened (and audited) with the reason; 403 without a
    legitimate relationship (work on a child is never a reason to break glass)."""
    try:
        return person_get(viewer=request.viewer, person_id=person_id, justification=why).person
    except NeedsBreakGlass:
        raise PermissionDenied("You do not have a legitimate relationship with this child.") from None


def _refused(request, person_id: uuid.UUID):
    if request.viewer.can(Cap.BREAK_GLASS):
        return redirect("people:break_glass", person_id=person_id)
    raise PermissionDenied("You do not have a legitimate relationship with this person.")


@viewer_required(Cap.PERSON_VIEW)
def person_view(request, person_id: uuid.UUID):
    if (live_id := person_resolve_id(person_id)) != person_id:
        return redirect("people:person", person_id=live_id)
    try:
        view = person_get(viewer=request.viewer, person_id=person_id)
    except NeedsBreakGlass:
        return _refused(request, person_id)
    from lantern.plans.selectors import person_plans
    from lantern.screening.selectors import person_screenings, screening_trajectory

    screenings = person_screenings(viewer=request.viewer, person_id=person_id)
    context = {
        "view": view,
        "person": view.person,
        "screenings": screenings,
        "plans": person_plans(viewer=request.viewer, person_id=person_id),
        "trajectory": screening_trajectory(screenings),
    }
    return render(request, "people/person.html", context)


@viewer_required(Cap.PERSON_VIEW)
def timeline_view(request, person_id: uuid.UUID):
    try:
        person, timeline, withheld = person_timeline(
            viewer=request.viewer, person_id=person_id, page=page_number(request)
        )
    except NeedsBreakGlass:
        return _refused(request, person_id)
    return render(
        request, "people/timeline.html", {"person": person, "timeline": timeline, "items_withheld": withheld}
    )


@viewer_required(Cap.BREAK_GLASS)
@require_http_methods(["GET", "POST"])
def break_glass_view(request, person_id: uuid.UUID):
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_grant(viewer=request.viewer, person_id=person_id, reason=form.cleaned_data["reason"])
        except ValidationFailed as error:
            copy_errors(form, error)
        except AccessDenied as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.warning(
                request, "Break-glass access recorded. The data protection officer has been told."
            )
            return redirect("people:person", person_id=person_id)
    return render(request, "people/break_glass.html", {"form": form, "person_id": person_id})
