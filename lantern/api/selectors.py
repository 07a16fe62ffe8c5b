"""Every read of the live-feed API, scoped to the token's agency. Reads show no personal data (feed
descriptions; a batch's status and counts) and are audited as API reads (code 432); a batch id the
token's agency did not submit through the API is "not found" whatever it is (another agency's, a
file uploaded on the web, or none), and that refusal is audited too."""

from __future__ import annotations

import uuid
from typing import Any

from lantern.audit.codes import AuditCode
from lantern.audit.services import audit_record
from lantern.ingest.models import ImportBatch

from . import feeds
from .models import ApiToken
from .services import ApiRefusal


def api_feeds_list(*, token: ApiToken) -> dict[str, Any]:
    """The feeds this token may send, with their tables and columns (from the format specs)."""
    allowed = feeds.agency_feeds(token.agency.agency_type)
    codes = [code for code in token.feed_types if code in allowed and code in feeds.API_FORMATS]
    audit_record(
        code=AuditCode.API_READ,
        viewer=token.viewer,
        object_type="api_feeds",
        object_id=token.prefix,
        justification="Live feed API: the feeds this token may send",
        details={"token": token.prefix, "feeds": codes},
    )
    return {"agency": token.agency.code, "feeds": [feeds.feed_description(code) for code in codes]}


def api_batch_get(*, token: ApiToken, batch_id: uuid.UUID) -> ImportBatch:
    """A batch the token's agency submitted through the API (any of its tokens), else 404."""
    batch = ImportBatch.objects.filter(
        pk=batch_id, agency=token.agency, api_submission__token__agency=token.agency
    ).first()
    if batch is None:
        raise ApiRefusal(404, "Not found", reason="batch not found for this agency")
    audit_record(
        code=AuditCode.API_READ,
        viewer=token.viewer,
        object_type="import_batch",
        object_id=batch.pk,
        justification="Live feed API: a batch's status and counts",
        details={"token": token.prefix, "status": batch.status},
    )
    return batch


def batch_result(batch: ImportBatch, *, with_errors: bool) -> dict[str, Any]:
    """A batch as the API shows it: status, counts and (to the submitter) every refused row's errors
    in the quarantine report's shape {row, field, value, expected, rule}."""
    errors: list[dict[str, Any]] = []
    if with_errors:
        for q in batch.quarantined_rows.order_by("row", "id"):
            for e in q.errors:
                errors.append(
                    {
                        "row": q.row,
                        "field": e["field"],
                        "value": e["value"],
                        "expected": e["expected"],
                        "rule": e["rule"],
                    }
                )
        if batch.status == ImportBatch.Status.REJECTED_FILE:
            errors += [
                {"row": 0, "field": "(file)", "value": "", "expected": line, "rule": None}
                for line in batch.error.splitlines()
            ]
    counts = batch.counts or None
    return {
        "batch_id": batch.pk,
        "status": batch.status,
        "counts": counts,
        "errors": errors,
        "detail": batch.error,
    }
