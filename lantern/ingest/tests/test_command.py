"""manage.py import_file: check a file as a named user, print the preview and the rejected rows, and
commit it with --commit."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from lantern.audit.models import AuditEvent
from lantern.ingest.models import ImportBatch
from lantern.people.models import SourceRecord, TimelineItem

MISSING = "police/leics-police_missing_reports.csv"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_file", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_file_prints_the_preview_and_commits_with_commit(county_files, officers):
    path = str(county_files.path(MISSING))
    common = (
        "--format",
        "police",
        "--agency",
        "LEICS-POLICE",
        "--as",
        "officer-leics-police",
        "--source-system",
        "NICHE",
    )
    records_before = SourceRecord.objects.count()

    preview = _run(path, *common)
    rejects = county_files.rejects(MISSING)
    rows = county_files.info(MISSING)["rows"]
    assert f"Preview: {rows} rows read, {rows - len(rejects)} accepted" in preview
    assert f"{len(rejects)} rejected" in preview and "records: " in preview and "events: " in preview
    assert "Rejected rows (first 20):" in preview and "leics-police_missing_reports.csv, row" in preview
    assert "Quarantine report: " in preview and "quarantine.csv" in preview
    assert "Not committed" in preview
    assert SourceRecord.objects.count() == records_before

    committed = _run(path, *common, "--commit")
    batch = ImportBatch.objects.order_by("-created_at").first()
    assert "Committed: " in committed and batch.status == "committed"
    assert batch.created_by.username == "officer-leics-police"
    assert SourceRecord.objects.count() == records_before + batch.counts["records"]["new"] > records_before
    assert TimelineItem.objects.count() == batch.counts["events"]["new"]
    assert AuditEvent.objects.filter(code=507, actor_username="officer-leics-police").count() == 1

    again = _run(path, *common, "--commit")
    assert "events: 0 new, 0 updated" in again and "records: 0 new, 0 updated" in again


def test_import_file_needs_a_user_who_may_import_for_that_agency(county_files, officers):
    path = str(county_files.path(MISSING))
    with pytest.raises(CommandError, match="no active role that may import"):
        _run(path, "--format", "police", "--agency", "UHL-NHS", "--as", "officer-leics-police")


def test_import_file_reports_a_refused_file(officers, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="this file is empty"):
        _run(str(empty), "--format", "health", "--agency", "UHL-NHS", "--as", "officer-uhl-nhs")
