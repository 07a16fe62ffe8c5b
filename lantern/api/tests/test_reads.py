"""GET /api/v1/batches/{id} and GET /api/v1/feeds: only the token's agency's own API batches (any
other id is the same 404), only the token's feeds, no personal data; every read is audited."""

from __future__ import annotations

import uuid

from django.core.files.uploadedfile import SimpleUploadedFile

from lantern.access.models import Team
from lantern.access.policy import Viewer
from lantern.access.services import user_create
from lantern.api.services import api_token_create
from lantern.api.tests.conftest import ed_row, health_batch, submit
from lantern.audit.models import AuditEvent
from lantern.ingest.models import ImportBatch
from lantern.ingest.services import import_batch_create


def test_a_batch_shows_its_status_and_counts_to_its_agency(client, tokens, partnership):
    submitted = submit(client, tokens.hospital, health_batch(ed_row(1), ed_row(2, dob="x"))).json()
    # Any of the agency's tokens may read it.
    _, second = api_token_create(
        agency=partnership.agencies["HOSP"], name="monitor", feed_types=["health"], system_actor="test"
    )
    response = client.get(
        f"/api/v1/batches/{submitted['batch_id']}", headers={"Authorization": f"Bearer {second}"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "committed" and body["counts"] == submitted["counts"]
    assert body["errors"] == []  # rows of the file (personal data) are only in the submission's answer
    assert "Mia" not in response.content.decode() and "x" not in {e["value"] for e in body["errors"]}
    read = AuditEvent.objects.filter(code=432).latest("seq")
    assert read.object_id == submitted["batch_id"] and read.agency == "HOSP"


def test_another_agencys_batch_is_not_found_like_any_unknown_id(client, tokens, partnership):
    batch_id = submit(client, tokens.hospital, health_batch(ed_row(1))).json()["batch_id"]
    theirs = client.get(f"/api/v1/batches/{batch_id}", headers=tokens.police.auth)
    unknown = client.get(f"/api/v1/batches/{uuid.uuid4()}", headers=tokens.police.auth)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json() == {"detail": "Not found", "errors": [], "batch_id": None}
    refused = AuditEvent.objects.filter(code=420).order_by("-seq")[:2]
    assert {e.details["status"] for e in refused} == {404}
    assert {e.agency for e in refused} == {"POL"}


def test_a_batch_uploaded_on_the_web_is_not_an_api_batch(client, tokens, partnership, settings):
    user = user_create(
        username="hospofficer",
        password="correct-horse-battery",
        display_name="officer",
        memberships=[(Team.objects.create(agency=partnership.agencies["HOSP"], name="data"), "data_officer")],
        system_actor="test",
    )
    membership = user.memberships.get()
    batch = import_batch_create(
        viewer=Viewer(user=user, membership=membership),
        format_code="health",
        uploaded_file=SimpleUploadedFile("ed.csv", b"attendance_id\n"),
    )
    assert client.get(f"/api/v1/batches/{batch.pk}", headers=tokens.hospital.auth).status_code == 404
    assert ImportBatch.objects.count() == 1


def test_a_malformed_batch_id_is_422(client, tokens):
    response = client.get("/api/v1/batches/not-a-uuid", headers=tokens.hospital.auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "batch_id"


def test_feeds_list_only_the_tokens_own_feeds_with_their_columns(client, tokens):
    response = client.get("/api/v1/feeds", headers=tokens.police.auth)
    assert response.status_code == 200
    body = response.json()
    assert body["agency"] == "POL" and [f["format"] for f in body["feeds"]] == ["police"]
    police = body["feeds"][0]
    assert police["table_required"] is True
    assert [t["name"] for t in police["tables"]] == [
        "MissingReports",
        "Arrests",
        "StopSearch",
        "Intelligence",
    ]
    risk = next(c for c in police["tables"][0]["columns"] if c["name"] == "risk_grade")
    assert risk == {
        "name": "risk_grade",
        "type": "code",
        "required": True,
        "description": "Current risk grade (ST §1.2)",
        "codes": ["VERY_LOW", "LOW", "MEDIUM", "HIGH"],
    }
    csc = client.get("/api/v1/feeds", headers=tokens.csc.auth).json()
    assert [f["format"] for f in csc["feeds"]] == ["generic", "ssda903"]
    generic = csc["feeds"][0]["tables"][0]["columns"]
    assert generic[0]["name"] == "source_key" and generic[-1]["name"] == "details.<name>"
    reads = AuditEvent.objects.filter(code=432, object_type="api_feeds")
    assert {e.agency for e in reads} == {"POL", "CSC"}
