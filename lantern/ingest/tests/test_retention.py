"""Import file retention (import_files_expire, manage.py import_files_expire): the agency's file as
sent, its rejected rows and the change sample go after the retention period; what the file brought
into Lantern, the batch's counts and every source reference stay; a batch in hand is never touched."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from lantern.audit.codes import AuditCode
from lantern.audit.models import AuditEvent
from lantern.conftest import sign_in
from lantern.core.exceptions import ValidationFailed
from lantern.core.timeutils import now
from lantern.ingest.models import ImportBatch, QuarantinedRow
from lantern.ingest.services import (
    import_batch_commit,
    import_batch_queue,
    import_batch_validate,
    import_files_expire,
)
from lantern.people.models import SourceRecord, TimelineItem

from .test_pipeline import MISSING, check

LATER = dt.timedelta(days=91)  # past the default 90 days


@pytest.fixture
def committed(county_files, officers) -> ImportBatch:
    batch = check(county_files, officers, MISSING)
    assert batch.rejected_count and batch.quarantined_rows.exists() and batch.quarantine_path.is_file()
    return import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE"))


def test_files_past_the_period_go_and_what_they_brought_in_stays(committed, county_files, officers):
    validated = check(county_files, officers, MISSING)  # checked, never committed
    records, items = SourceRecord.objects.count(), TimelineItem.objects.count()
    references = set(TimelineItem.objects.values_list("source_reference", flat=True))
    assert committed.directory.is_dir() and validated.directory.is_dir()

    assert import_files_expire().removed == []  # nothing is 90 days old yet
    assert committed.file_path.is_file()

    result = import_files_expire(at=now() + LATER)
    assert {b.pk for b in result.removed} == {committed.pk, validated.pk}
    for batch in (committed, validated):
        batch.refresh_from_db()
        assert batch.files_removed_at is not None and not batch.directory.exists()
        assert batch.changes == [] and not QuarantinedRow.objects.filter(batch=batch).exists()
        assert batch.counts["rows"] and batch.sha256 and batch.rejected_count  # the account stays
    assert SourceRecord.objects.count() == records and TimelineItem.objects.count() == items
    assert set(TimelineItem.objects.values_list("source_reference", flat=True)) == references
    audits = AuditEvent.objects.filter(code=AuditCode.IMPORT_FILES_REMOVED).order_by("seq")
    assert [a.object_id for a in audits] == [str(committed.pk), str(validated.pk)]
    assert audits[0].actor_username == "system:import_files_expire"
    assert audits[0].details["rejected_rows_removed"] == committed.rejected_count

    assert import_files_expire(at=now() + LATER).removed == []  # once only


def test_a_removed_batch_cannot_be_checked_or_committed_again(county_files, officers):
    batch = check(county_files, officers, MISSING)
    import_files_expire(at=now() + LATER)
    batch.refresh_from_db()
    assert not batch.can_commit
    viewer = officers.viewer("LEICS-POLICE")
    for attempt in (
        lambda: import_batch_commit(batch, viewer=viewer),
        lambda: import_batch_validate(batch, viewer=viewer),
        lambda: import_batch_queue(viewer=viewer, batch=batch, action="commit"),
        lambda: import_batch_queue(viewer=viewer, batch=batch, action="validate"),
    ):
        with pytest.raises(ValidationFailed, match="removed on .* retention rule; upload it again"):
            attempt()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED and not batch.queued


def test_a_batch_in_hand_is_kept_and_the_period_counts_from_its_last_activity(county_files, officers):
    running = check(county_files, officers, MISSING)
    ImportBatch.objects.filter(pk=running.pk).update(status=ImportBatch.Status.COMMITTING)
    queued = check(county_files, officers, MISSING)
    ImportBatch.objects.filter(pk=queued.pk).update(queued="commit")
    recent = check(county_files, officers, MISSING)
    ImportBatch.objects.filter(pk=recent.pk).update(updated_at=now() + dt.timedelta(days=60))

    result = import_files_expire(at=now() + LATER)
    assert result.removed == [] and result.kept_running == 2
    for batch in (running, queued, recent):
        assert batch.file_path.is_file()
    with pytest.raises(ValidationFailed):
        import_files_expire(days=0)


def test_a_directory_left_by_an_interrupted_run_is_swept(committed):
    import_files_expire(at=now() + LATER)
    committed.directory.mkdir(parents=True)
    (committed.directory / "upload.csv").write_bytes(b"left behind")
    result = import_files_expire(at=now() + LATER)
    assert result.removed == [] and result.swept == 1 and not committed.directory.exists()


def test_the_command_lists_with_dry_run_then_removes(committed):
    out = io.StringIO()
    call_command("import_files_expire", "--days", "1", "--dry-run", stdout=out)
    assert "Would remove the files of 0 imports" in out.getvalue()  # today's batch is not a day old
    ImportBatch.objects.filter(pk=committed.pk).update(updated_at=now() - dt.timedelta(days=2))
    out = io.StringIO()
    call_command("import_files_expire", "--days", "1", "--dry-run", stdout=out)
    assert (
        "Would remove the files of 1 import " in out.getvalue()
        and committed.original_filename in out.getvalue()
    )
    assert committed.file_path.is_file()
    out = io.StringIO()
    call_command("import_files_expire", "--days", "1", stdout=out)
    assert "Removed the files of 1 import " in out.getvalue() and not committed.directory.exists()


def test_the_batch_page_says_the_files_went_and_offers_nothing_that_needs_them(committed, client, officers):
    sign_in(client, "officer-leics-police")
    page = client.get(reverse("ingest:batch", args=[committed.pk])).content.decode()
    assert 'data-testid="rejected-rows"' in page and "Download the rejected rows" in page
    import_files_expire(at=now() + LATER)
    page = client.get(reverse("ingest:batch", args=[committed.pk])).content.decode()
    assert 'data-testid="files-removed"' in page and "retention rule" in page
    assert "Download the rejected rows" not in page and 'data-testid="rejected-rows"' not in page
    assert "No rows were rejected" not in page  # rows were rejected; they are gone, not absent
    assert 'data-testid="preview-counts"' in page
    assert client.get(reverse("ingest:quarantine", args=[committed.pk])).status_code == 404
