"""Every read of imports for a user. A batch belongs to the agency that uploaded it: only members of
that agency whose acting role may import see it (another agency's batch is "not found", whatever its
id). Pages that show rows of the file (rejected rows, the changes a commit would make, the
quarantine report) hold personal data of the agency's own people and are audited as consultations;
the list and the progress fragment show only file names and counts and are not."""

from __future__ import annotations

import uuid

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from lantern.access.policy import Viewer
from lantern.access.roles import Cap
from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.core.exceptions import AccessDenied

from .models import ImportBatch, SavedMapping

REJECTED_PAGE_SIZE = 50
BATCH_PAGE_SIZE = 25
_JUSTIFICATION = "Checking an import of the agency's own data"


def _require(viewer: Viewer) -> None:
    if not viewer.can(Cap.IMPORT):
        raise AccessDenied("Your role does not include importing files.")


def import_batches_list(*, viewer: Viewer, page: int = 1) -> Page:
    _require(viewer)
    batches = (
        ImportBatch.objects.filter(agency=viewer.agency)
        .select_related("created_by")
        .order_by("-created_at", "pk")
    )
    return Paginator(batches, BATCH_PAGE_SIZE).get_page(page)


def _scoped(viewer: Viewer) -> QuerySet[ImportBatch]:
    _require(viewer)
    return ImportBatch.objects.filter(agency=viewer.agency).select_related(
        "agency", "created_by", "committed_by"
    )


def import_batch_get(*, viewer: Viewer, batch_id: uuid.UUID) -> ImportBatch:
    """The batch, if it belongs to the viewer's agency; else ImportBatch.DoesNotExist (unaudited:
    status and counts only)."""
    return _scoped(viewer).get(pk=batch_id)


def import_batch_detail(*, viewer: Viewer, batch_id: uuid.UUID, page: int = 1) -> tuple[ImportBatch, Page]:
    """The batch with one page of its rejected rows; audited when rows of the file are shown."""
    batch = import_batch_get(viewer=viewer, batch_id=batch_id)
    rejected = Paginator(batch.quarantined_rows.order_by("row", "id"), REJECTED_PAGE_SIZE).get_page(page)
    if rejected.object_list or batch.changes:
        audit_record(
            code=AuditCode.IMPORT_BATCH_VIEWED,
            viewer=viewer,
            object_type="import_batch",
            object_id=batch.pk,
            justification=_JUSTIFICATION,
            details={
                "rejected_rows_shown": [q.row for q in rejected.object_list],
                "changes_shown": len(batch.changes),
            },
        )
    return batch, rejected


def import_quarantine_report(*, viewer: Viewer, batch_id: uuid.UUID) -> ImportBatch:
    """The batch whose quarantine report (batch.quarantine_path) the viewer downloads; audited."""
    batch = import_batch_get(viewer=viewer, batch_id=batch_id)
    if not batch.quarantine_path.is_file():
        raise ImportBatch.DoesNotExist("no quarantine report")
    audit_record(
        code=AuditCode.IMPORT_QUARANTINE_DOWNLOADED,
        viewer=viewer,
        object_type="import_batch",
        object_id=batch.pk,
        justification=_JUSTIFICATION,
        details={"filename": batch.original_filename, "rejected_rows": batch.rejected_count},
    )
    return batch


def saved_mappings_for(*, viewer: Viewer) -> QuerySet[SavedMapping]:
    """The column mappings the viewer's own agency saved (another agency's are never offered)."""
    if not viewer.can(Cap.IMPORT):
        raise AccessDenied("Your role does not include importing agency files.")
    return SavedMapping.objects.filter(agency=viewer.agency)
