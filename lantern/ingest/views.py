import uuid

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from lantern.access.decorators import viewer_required
from lantern.access.roles import Cap
from lantern.core.exceptions import ValidationFailed
from lantern.core.forms import copy_errors
from lantern.core.http import page_number

from .forms import ImportUploadForm
from .models import ImportBatch
from .selectors import (
    import_batch_detail,
    import_batch_get,
    import_batches_list,
    import_quarantine_report,
    saved_mappings_for,
)
from .services import FORMATS, import_batch_create, import_batch_queue, read_progress, saved_mapping_save


def _batch_or_404(request, batch_id: uuid.UUID) -> ImportBatch:
    try:
        return import_batch_get(viewer=request.viewer, batch_id=batch_id)
    except ImportBatch.DoesNotExist:
        raise Http404("No such import") from None


@viewer_required(Cap.IMPORT)
def batch_list_view(request):
    batches = import_batches_list(viewer=request.viewer, page=page_number(request))
    return render(request, "ingest/list.html", {"batches": batches, "formats": FORMATS})


@viewer_required(Cap.IMPORT)
@require_http_methods(["GET", "POST"])
def upload_view(request):
    saved = saved_mappings_for(viewer=request.viewer)
    form = (
        ImportUploadForm(request.POST, request.FILES, saved_mappings=saved)
        if request.method == "POST"
        else ImportUploadForm(saved_mappings=saved)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        mapping_json = data["mapping"]
        if not mapping_json and data["saved_mapping"]:
            mapping_json = saved.get(pk=data["saved_mapping"]).mapping_json
        try:
            if data["save_mapping_as"]:
                saved_mapping_save(
                    viewer=request.viewer, name=data["save_mapping_as"], mapping_json=mapping_json
                )
            batch = import_batch_create(
                viewer=request.viewer,
                format_code=data["format_code"],
                uploaded_file=data["file"],
                table=data["table"] or None,
                source_system=data["source_system"],
                collection_year=data["collection_year"],
                encoding=data["encoding"],
                mapping_json=mapping_json,
            )
        except ValidationFailed as error:
            copy_errors(form, error)
        else:
            import_batch_queue(viewer=request.viewer, batch=batch, action="validate")
            return redirect("ingest:batch", batch_id=batch.pk)
    return render(request, "ingest/upload.html", {"form": form, "formats": FORMATS})


@viewer_required(Cap.IMPORT)
def batch_view(request, batch_id: uuid.UUID):
    try:
        batch, rejected = import_batch_detail(
            viewer=request.viewer, batch_id=batch_id, page=page_number(request)
        )
    except ImportBatch.DoesNotExist:
        raise Http404("No such import") from None
    return render(
        request,
        "ingest/batch.html",
        {
            "batch": batch,
            "rejected": rejected,
            "progress": read_progress(batch),
            "format": FORMATS.get(batch.format_code),
        },
    )


@viewer_required(Cap.IMPORT)
def batch_status_view(request, batch_id: uuid.UUID):
    """The progress panel alone, polled every 2 seconds while a check or commit runs; when it has
    finished, htmx reloads the whole page (HX-Refresh) to show the outcome."""
    batch = _batch_or_404(request, batch_id)
    response = render(request, "ingest/_status.html", {"batch": batch, "progress": read_progress(batch)})
    if not batch.is_running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@viewer_required(Cap.IMPORT)
@require_POST
def batch_commit_view(request, batch_id: uuid.UUID):
    batch = _batch_or_404(request, batch_id)
    try:
        import_batch_queue(viewer=request.viewer, batch=batch, action="commit")
    except ValidationFailed as error:
        messages.error(request, "; ".join(error.errors.values()))
    return redirect("ingest:batch", batch_id=batch.pk)


@viewer_required(Cap.IMPORT)
@require_POST
def batch_validate_view(request, batch_id: uuid.UUID):
    batch = _batch_or_404(request, batch_id)
    try:
        import_batch_queue(viewer=request.viewer, batch=batch, action="validate")
    except ValidationFailed as error:
        messages.error(request, "; ".join(error.errors.values()))
    return redirect("ingest:batch", batch_id=batch.pk)


@viewer_required(Cap.IMPORT)
def quarantine_download_view(request, batch_id: uuid.UUID):
    try:
        batch = import_quarantine_report(viewer=request.viewer, batch_id=batch_id)
    except ImportBatch.DoesNotExist:
        raise Http404("No such report") from None
    stem = batch.original_filename.rsplit(".", 1)[0][:80] or "import"
    return FileResponse(
        batch.quarantine_path.open("rb"),
        as_attachment=True,
        filename=f"{stem}-rejected-rows.csv",
        content_type="text/csv; charset=utf-8",
    )
