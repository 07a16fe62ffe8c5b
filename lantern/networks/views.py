"""The association map: a child's (or any entity's) neighbourhood as the viewer may see it, drawn
with cytoscape and listed as tables (the same nodes and links, for keyboard and screen-reader users);
expanding an entity, filtering and exporting are links and forms, so the map works without script."""

import uuid

from csp.decorators import csp_update
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.core.exceptions import AccessDenied, ValidationFailed
from lantern.core.forms import copy_errors
from lantern.people.views import person_for_work

from . import forms, selectors, services


def _filters(form: forms.MapForm) -> selectors.Filters:
    d = form.cleaned_data if form.is_valid() else {}
    return selectors.Filters(
        link_types=tuple(d.get("types") or ()),
        since=d.get("since"),
        until=d.get("until"),
        reliability_at_least=d.get("reliability") or "",
    )


def _expanded(request) -> tuple[int, ...]:
    return tuple(int(x) for x in request.GET.getlist("expand") if x.isdigit())


@viewer_required(Cap.NETWORK_VIEW)
def person_map_view(request, person_id: uuid.UUID):
    entity_id = selectors.person_entity_id(person_id)
    if entity_id is None:
        raise Http404("No associations are recorded for this person.")
    return redirect("networks:map", entity_id=entity_id)


# cytoscape sets one fixed inline style on the map's container; allow exactly that style (by its
# hash) on this page, rather than any inline style anywhere.
CYTOSCAPE_STYLE = {"style-src": ["'unsafe-hashes'", "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='"]}


@viewer_required(Cap.NETWORK_VIEW)
@csp_update(CYTOSCAPE_STYLE)
def map_view(request, entity_id: int):
    form = forms.MapForm(request.GET or None)
    hops = (form.cleaned_data.get("hops") if form.is_valid() else None) or 2
    result = selectors.network_around(
        viewer=request.viewer,
        entity_id=entity_id,
        hops=hops,
        expand=_expanded(request),
        filters=_filters(form),
    )
    if result is None:
        raise PermissionDenied("You cannot see this entity's associations.")
    context = {
        "result": result,
        "form": form,
        "elements": selectors.map_elements(result),
        "expand_base": request.GET.urlencode(),
        "export_form": forms.ExportForm(),
        "phone_form": forms.PhoneLinkForm(),
    }
    return render(request, "networks/map.html", context)


@viewer_required(Cap.NETWORK_EXPORT)
def export_view(request, entity_id: int):
    form = forms.MapForm(request.GET or None)
    export = forms.ExportForm(request.GET)
    if not export.is_valid():
        messages.error(request, "Choose an export format and who will receive it.")
        return redirect("networks:map", entity_id=entity_id)
    hops = (form.cleaned_data.get("hops") if form.is_valid() else None) or 2
    try:
        name, content, content_type = selectors.network_export(
            viewer=request.viewer, entity_id=entity_id, hops=hops, expand=_expanded(request),
            filters=_filters(form), fmt=export.cleaned_data["format"], recipient=export.cleaned_data["recipient"],
        )  # fmt: skip
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@viewer_required(Cap.NETWORK_EDIT)
@require_POST
def link_new_view(request, entity_id: int):
    """Link the entity to a phone number typed by the analyst."""
    form = forms.PhoneLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not recorded: enter the number, the link and its source.")
        return redirect("networks:map", entity_id=entity_id)
    d = form.cleaned_data
    try:
        phone = services.phone_entity_record(viewer=request.viewer, number=d.pop("number"))
        services.link_record(viewer=request.viewer, source_id=entity_id, target_id=phone.pk, **d)
    except AccessDenied as error:
        raise PermissionDenied(str(error)) from None
    except ValidationFailed as error:
        messages.error(request, "Not recorded: " + "; ".join(error.errors.values()))
    else:
        note = (
            ""
            if phone.parsed
            else " The number did not parse as a phone number: it is kept as typed and flagged."
        )
        messages.success(request, "Association recorded." + note)
    return redirect("networks:map", entity_id=entity_id)


@viewer_required(Cap.NETWORK_VIEW)
def signals_view(request):
    report = selectors.signals(viewer=request.viewer)
    return render(request, "networks/signals.html", {"report": report})


@viewer_required(Cap.PERSON_VIEW)
@require_http_methods(["GET", "POST"])
def peer_maps_view(request, person_id: uuid.UUID):
    person = person_for_work(request, person_id, "Peer maps for safety planning")
    form = forms.PeerMapForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.peer_map_record(
                viewer=request.viewer, person_id=person_id, purpose_note=form.cleaned_data["purpose_note"],
                review_on=form.cleaned_data["review_on"], entries=form.entries(),
            )  # fmt: skip
        except AccessDenied as error:
            raise PermissionDenied(str(error)) from None
        except ValidationFailed as error:
            copy_errors(form, error)
        else:
            messages.success(request, "Peer map recorded.")
            return redirect("networks:peer_maps", person_id=person_id)
    maps = selectors.peer_maps(viewer=request.viewer, person_id=person_id)
    return render(request, "networks/peer_maps.html", {"person": person, "maps": maps, "form": form},
                  status=400 if form.errors else 200)  # fmt: skip
