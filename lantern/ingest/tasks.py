"""Background jobs for imports (Django's tasks API; `manage.py db_worker` runs them beside the web
server, tests run them immediately). Arguments are ids, so a job survives a restart of the web
server; each job re-reads the batch and records its own outcome on it."""

from __future__ import annotations

import logging

from django_tasks import task

from lantern.access.models import Membership
from lantern.access.policy import Viewer
from lantern.core.exceptions import LanternError

from .models import ImportBatch
from .services import import_batch_commit, import_batch_validate

logger = logging.getLogger(__name__)


@task()
def import_validate_task(batch_id: str) -> dict:
    """Check an uploaded file and build its preview, on behalf of the uploader."""
    batch = ImportBatch.objects.get(pk=batch_id)
    try:
        batch = import_batch_validate(batch)
    except LanternError as error:  # e.g. the batch was committed meanwhile
        ImportBatch.objects.filter(pk=batch_id).update(queued="", error=str(error))
        return {"batch": batch_id, "error": str(error)}
    return {"batch": batch_id, "status": batch.status, "counts": batch.counts}


@task()
def import_commit_task(batch_id: str, membership_id: int) -> dict:
    """Commit a checked file, acting as the user (and role) who pressed Commit."""
    batch = ImportBatch.objects.get(pk=batch_id)
    membership = (
        Membership.objects.select_related("user", "team__agency")
        .filter(pk=membership_id, is_active=True)
        .first()
    )
    if membership is None:
        ImportBatch.objects.filter(pk=batch_id).update(
            queued="", error="The role that asked for this commit is no longer active; commit it again."
        )
        return {"batch": batch_id, "error": "membership inactive"}
    try:
        batch = import_batch_commit(batch, viewer=Viewer(user=membership.user, membership=membership))
    except LanternError as error:  # nothing was written; the batch page shows why
        ImportBatch.objects.filter(pk=batch_id).update(queued="", error=str(error))
        logger.warning("import %s: commit refused: %s", batch_id, error)
        return {"batch": batch_id, "error": str(error)}
    return {"batch": batch_id, "status": batch.status, "counts": batch.counts}
