"""The web journey (upload -> check -> preview -> commit, with the background task run at once) and
the permission matrix: only roles that may import reach these pages, and only for their own agency's
batches (another agency's batch is not found, whatever its id)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lantern.access.models import Team
from lantern.access.services import user_create
from lantern.audit.codes import AuditCode
from lantern.audit.models import AuditEvent
from lantern.conftest import PASSWORD, sign_in
from lantern.ingest.models import ImportBatch
from lantern.people.models import SourceRecord, TimelineItem

MISSING = "police/leics-police_missing_reports.csv"


@pytest.fixture
def importers(partnership):
    user_create(
        username="polofficer",
        password=PASSWORD,
        display_name="Police data officer",
        memberships=[(Team.objects.get(name="intel"), "data_officer")],
        system_actor="test",
    )
    return partnership


def _upload(client, county_files, **extra):
    content = county_files.path(MISSING).read_bytes()
    data = {
        "format_code": "police",
        "file": SimpleUploadedFile("leics-police_missing_reports.csv", content, content_type="text/csv"),
        "source_system": "NICHE",
        "encoding": "utf-8",
        **extra,
    }
    return client.post(reverse("ingest:upload"), data)


def _download(response) -> bytes:
    # The test client closes a streamed response (and its file) once its content is consumed.
    return b"".join(response.streaming_content)


def test_upload_check_preview_and_commit_through_the_web(importers, county_files, client):
    sign_in(client, "polofficer")
    assert "Imports" in client.get(reverse("home")).content.decode()
    empty = client.get(reverse("ingest:list"))
    assert 'data-testid="no-imports"' in empty.content.decode()
    form = client.get(reverse("ingest:upload")).content.decode()
    assert 'for="id_file"' in form and 'name="format_code"' in form

    records_before = SourceRecord.objects.count()
    response = _upload(client, county_files)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("ingest:batch", args=[batch.pk])
    assert batch.status == "validated" and batch.source_system == "NICHE"  # the task ran immediately
    assert batch.agency.code == "POL" and batch.created_by.username == "polofficer"
    assert SourceRecord.objects.count() == records_before  # the preview wrote nothing

    page = client.get(response.url).content.decode()
    assert 'data-testid="preview-counts"' in page and 'data-testid="commit"' in page
    rejects = county_files.rejects(MISSING)
    assert rejects, "the fixture file should have a rejected row"
    assert 'data-testid="rejected-rows"' in page and "Download the rejected rows (CSV)" in page
    assert AuditEvent.objects.filter(code=113, object_id=str(batch.pk)).exists()

    report = client.get(reverse("ingest:quarantine", args=[batch.pk]))
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    assert "attachment" in report["Content-Disposition"]
    body = _download(report).decode()
    assert body.startswith("file,table,row,field") and len(body.splitlines()) > len(rejects)
    assert AuditEvent.objects.filter(code=114, object_id=str(batch.pk)).count() == 1

    status = client.get(reverse("ingest:status", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert status["HX-Refresh"] == "true"  # finished: the poller reloads the page

    committed = client.post(reverse("ingest:commit", args=[batch.pk]))
    assert committed.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.committed_by.username == "polofficer"
    assert SourceRecord.objects.count() == records_before + batch.counts["records"]["new"]
    assert (
        TimelineItem.objects.filter(source_reference__startswith=f"import {batch.pk} ").count()
        == (batch.counts["events"]["new"])
    )
    assert AuditEvent.objects.filter(code=507, object_id=str(batch.pk), actor_username="polofficer").exists()
    done = client.get(reverse("ingest:batch", args=[batch.pk])).content.decode()
    assert "What was committed" in done and 'data-testid="commit"' not in done
    listing = client.get(reverse("ingest:list")).content.decode()
    assert "leics-police_missing_reports.csv" in listing and "Committed" in listing


def test_upload_errors_are_summarised_and_linked_to_their_fields(importers, county_files, client):
    sign_in(client, "polofficer")
    response = client.post(reverse("ingest:upload"), {})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert 'href="#id_format_code_0"' in page and "Select the kind of file" in page
    assert 'href="#id_file"' in page and "Select a file" in page
    generic = client.post(
        reverse("ingest:upload"),
        {"format_code": "generic", "file": SimpleUploadedFile("contacts.csv", b"a,b\r\n1,2\r\n")},
    ).content.decode()
    assert "Select the column mapping for a generic CSV file" in generic
    bad_system = _upload(client, county_files, source_system="NICHE; DROP").content.decode()
    assert "Enter the source system" in bad_system
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_web_limit_is_refused_and_nothing_is_stored(
    importers, county_files, client, settings
):
    """Files past LANTERN_MAX_UPLOAD_BYTES (200 MB by default; a 2 GB extract, say) go through
    manage.py import_file, which streams any size. The web refuses them, naming the limit and the way
    round it, and keeps nothing: no batch, no stored file, no audit row of an upload."""
    settings.LANTERN_MAX_UPLOAD_BYTES = 1024 * 1024
    sign_in(client, "polofficer")
    imports = Path(settings.DATA_DIR) / "imports"
    before = sorted(imports.rglob("*")) if imports.exists() else []
    oversized = b"nominal_id,surname\r\n" + b"N1,Smith\r\n" * 120_000  # 1.1 MB
    response = client.post(
        reverse("ingest:upload"),
        {
            "format_code": "police",
            "file": SimpleUploadedFile("arrests.csv", oversized, content_type="text/csv"),
            "source_system": "NICHE",
            "encoding": "utf-8",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "The selected file must be smaller than 1 MB" in page and "manage.py import_file" in page
    assert not ImportBatch.objects.exists()
    assert (sorted(imports.rglob("*")) if imports.exists() else []) == before
    assert not AuditEvent.objects.filter(code=AuditCode.IMPORT_UPLOADED).exists()


def test_a_refused_file_shows_why_and_offers_no_commit(importers, client):
    sign_in(client, "polofficer")
    client.post(
        reverse("ingest:upload"),
        {"format_code": "police", "file": SimpleUploadedFile("empty.csv", b"", content_type="text/csv")},
    )
    batch = ImportBatch.objects.get()
    assert batch.status == "rejected_file"
    page = client.get(reverse("ingest:batch", args=[batch.pk])).content.decode()
    assert "Lantern cannot read this file" in page and "this file is empty" in page
    assert 'data-testid="commit"' not in page
    refused = client.post(reverse("ingest:commit", args=[batch.pk]))
    assert refused.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "rejected_file"
    assert client.get(reverse("ingest:quarantine", args=[batch.pk])).status_code == 404


def _urls(batch_id) -> list[tuple[str, str]]:
    return [
        ("get", reverse("ingest:list")),
        ("get", reverse("ingest:upload")),
        ("post", reverse("ingest:upload")),
        ("get", reverse("ingest:batch", args=[batch_id])),
        ("get", reverse("ingest:status", args=[batch_id])),
        ("post", reverse("ingest:commit", args=[batch_id])),
        ("post", reverse("ingest:validate", args=[batch_id])),
        ("get", reverse("ingest:quarantine", args=[batch_id])),
    ]


@pytest.fixture
def police_batch(importers, county_files, client) -> ImportBatch:
    sign_in(client, "polofficer")
    _upload(client, county_files)
    client.logout()
    return ImportBatch.objects.get()


@pytest.mark.parametrize("username", ["frontdoor", "hubpol", "analyst", "dsla", "dpo", "sysadmin"])
def test_roles_without_the_import_capability_are_refused_everywhere(police_batch, client, username):
    sign_in(client, username)
    assert "Imports" not in client.get(reverse("home")).content.decode()
    for method, url in _urls(police_batch.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (username, method, url, response.status_code)
    police_batch.refresh_from_db()
    assert police_batch.status == "validated"


def test_another_agencys_importer_sees_nothing_not_even_by_id(police_batch, client):
    sign_in(client, "manager")  # CSC team manager: may import, but for CSC only
    listing = client.get(reverse("ingest:list"))
    assert listing.status_code == 200 and 'data-testid="no-imports"' in listing.content.decode()
    assert str(police_batch.pk) not in listing.content.decode()
    audit_before = AuditEvent.objects.count()
    for method, url in _urls(police_batch.pk)[3:]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    police_batch.refresh_from_db()
    assert police_batch.status == "validated" and not police_batch.queued
    assert AuditEvent.objects.count() == audit_before  # nothing shown, nothing to record


def test_signed_out_visitors_are_sent_tosign_in(police_batch, client):
    for method, url in _urls(police_batch.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and reverse("access:login") in response.url


def test_a_saved_column_mapping_is_reused_and_never_offered_to_another_agency(
    importers, county_files, client
):
    from lantern.ingest.models import SavedMapping

    user_create(
        username="cscofficer",
        password=PASSWORD,
        display_name="CSC data officer",
        memberships=[(Team.objects.get(name="front door"), "data_officer")],
        system_actor="test",
    )
    contacts = county_files.path("generic/csc_contacts.csv").read_bytes()
    mapping = county_files.mapping_json.encode()
    sign_in(client, "cscofficer")
    first = client.post(
        reverse("ingest:upload"),
        {
            "format_code": "generic",
            "file": SimpleUploadedFile("csc_contacts.csv", contacts, content_type="text/csv"),
            "mapping": SimpleUploadedFile("mapping.json", mapping, content_type="application/json"),
            "save_mapping_as": "Monthly contacts",
            "source_system": "MOSAIC",
        },
    )
    assert first.status_code == 302
    saved = SavedMapping.objects.get()
    assert saved.name == "Monthly contacts" and saved.agency.code == "CSC"
    assert "Monthly contacts" in client.get(reverse("ingest:upload")).content.decode()
    again = client.post(
        reverse("ingest:upload"),
        {
            "format_code": "generic",
            "file": SimpleUploadedFile("csc_contacts_2.csv", contacts, content_type="text/csv"),
            "saved_mapping": str(saved.pk),
            "source_system": "MOSAIC",
        },
    )
    assert again.status_code == 302
    assert ImportBatch.objects.count() == 2
    assert ImportBatch.objects.order_by("-created_at").first().options["mapping"] == saved.mapping_json

    client.logout()
    sign_in(client, "polofficer")  # another agency: the mapping is neither listed nor usable by its id
    assert "Monthly contacts" not in client.get(reverse("ingest:upload")).content.decode()
    refused = client.post(
        reverse("ingest:upload"),
        {
            "format_code": "generic",
            "file": SimpleUploadedFile("x.csv", contacts, content_type="text/csv"),
            "saved_mapping": str(saved.pk),
        },
    )
    assert refused.status_code == 200 and "There is a problem" in refused.content.decode()
    assert ImportBatch.objects.count() == 2
