import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.http import page_number
from lantern.people.selectors import NeedsBreakGlass, person_get

from .forms import DecisionForm, MergeForm, SplitForm
from .models import ReviewPair
from .selectors import review_pair_get, review_queue
from .services import person_split, persons_merge, review_pair_decide


@viewer_required(Cap.LINKAGE_REVIEW)
def queue_view(request):
    return render(
        request,
        "linkage/queue.html",
        {"page": review_queue(viewer=request.viewer, page=page_number(request))},
    )


@viewer_required(Cap.LINKAGE_REVIEW)
@require_http_methods(["GET", "POST"])
def pair_view(request, pair_id: int):
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pair = ReviewPair.objects.select_related("record_l", "record_r").filter(pk=pair_id).first()
        if pair is None:
            raise Http404
        try:
            review_pair_decide(
                viewer=request.viewer,
                pair=pair,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as error:
            for field, message in error.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, "Decision recorded and applied.")
            return redirect("linkage:queue")
    try:
        view = review_pair_get(viewer=request.viewer, pair_id=pair_id)
    except AccessDenied as error:
        raise Http404 from error
    return render(request, "linkage/pair.html", {"view": view, "form": form})


def _open(request, person_id: uuid.UUID):
    try:
        return person_get(
            viewer=request.viewer, person_id=person_id, justification="Reviewing a merge or split"
        )
    except NeedsBreakGlass as error:
        raise PermissionDenied("You do not have a legitimate relationship with this person.") from error


@viewer_required(Cap.LINKAGE_REVIEW)
@require_http_methods(["GET", "POST"])
def split_view(request, person_id: uuid.UUID):
    view = _open(request, person_id)
    choices = [(r.pk, f"{r.agency.name}: {r.given_name} {r.family_name}") for r in view.records]
    form = SplitForm(request.POST or None, record_choices=choices)
    preview = None
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["records"]
        if request.POST.get("confirm") == "yes":
            try:
                new_person = person_split(
                    viewer=request.viewer,
                    person_id=person_id,
                    record_ids=chosen,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationFailed as error:
                form.add_error(None, "; ".join(error.errors.values()))
            else:
                messages.success(
                    request, "Records split off into a new person. Later linkage runs keep them apart."
                )
                return redirect("people:person", person_id=new_person.pk)
        else:
            preview = {
                "moving": [label for pk, label in choices if pk in chosen],
                "staying": [label for pk, label in choices if pk not in chosen],
            }
    return render(request, "linkage/split.html", {"view": view, "form": form, "preview": preview})


@viewer_required(Cap.LINKAGE_REVIEW)
@require_http_methods(["GET", "POST"])
def merge_view(request, person_id: uuid.UUID):
    view = _open(request, person_id)
    form = MergeForm(request.POST or None)
    other = None
    if request.method == "POST" and form.is_valid():
        other = _open(request, form.cleaned_data["other"])
        if request.POST.get("confirm") == "yes":
            try:
                survivor = persons_merge(
                    viewer=request.viewer,
                    person_ids=[person_id, other.person.pk],
                    reason=form.cleaned_data["reason"],
                )
            except (ValidationFailed, AccessDenied) as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "People merged. The other id now leads to this record.")
                return redirect("people:person", person_id=survivor.pk)
    return render(request, "linkage/merge.html", {"view": view, "form": form, "other": other})
