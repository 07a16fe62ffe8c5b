"""Idempotency-Key: a repeat with the same key and body returns the original result without
importing again; with another body it is refused (409); a batch an earlier attempt left half-way is
completed by the repeat."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from lantern.api.models import ApiSubmission
from lantern.api.services import api_token_create
from lantern.api.tests.conftest import ed_row, health_batch, submit
from lantern.audit.models import AuditEvent
from lantern.core.timeutils import now
from lantern.ingest.models import ImportBatch
from lantern.ingest.services import ImportFailed, import_files_expire
from lantern.people.models import SourceRecord, TimelineItem


def test_the_same_key_and_body_twice_make_one_batch(client, tokens):
    body = health_batch(ed_row(1), ed_row(2), ed_row(3, dob="x"))
    first = submit(client, tokens.hospital, body, key="niche-2026-10-01-0001")
    records, items = SourceRecord.objects.count(), TimelineItem.objects.count()

    # The same JSON, written differently (key order, spacing), is the same body.
    reordered = {"rows": [dict(reversed(list(r.items()))) for r in body["rows"]], **body}
    second = submit(client, tokens.hospital, reordered, key="niche-2026-10-01-0001")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert ImportBatch.objects.count() == 1 and ApiSubmission.objects.count() == 1
    assert (SourceRecord.objects.count(), TimelineItem.objects.count()) == (records, items)
    replay = AuditEvent.objects.filter(code=432).latest("seq")
    assert replay.details["replayed"] is True and replay.object_id == first.json()["batch_id"]
    assert AuditEvent.objects.filter(code=508).count() == 1


def test_the_same_key_with_another_body_is_a_conflict(client, tokens):
    submit(client, tokens.hospital, health_batch(ed_row(1)), key="k-1")
    records = SourceRecord.objects.count()
    response = submit(client, tokens.hospital, health_batch(ed_row(2)), key="k-1")
    assert response.status_code == 409
    assert "different request body" in response.json()["detail"]
    assert ImportBatch.objects.count() == 1 and SourceRecord.objects.count() == records
    assert AuditEvent.objects.filter(code=420).latest("seq").details["status"] == 409


def test_keys_belong_to_their_token(client, tokens, partnership):
    _, other = api_token_create(
        agency=partnership.agencies["HOSP"], name="second system", feed_types=["health"], system_actor="test"
    )
    submit(client, tokens.hospital, health_batch(ed_row(1)), key="k-1")
    response = client.post(
        "/api/v1/batches",
        data=health_batch(ed_row(2)),
        content_type="application/json",
        headers={"Authorization": f"Bearer {other}", "Idempotency-Key": "k-1"},
    )
    assert response.status_code == 201
    assert ImportBatch.objects.count() == 2


def test_the_key_is_required(client, tokens):
    response = submit(client, tokens.hospital, health_batch(ed_row(1)), key=False)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not ImportBatch.objects.exists()


def test_a_repeat_completes_a_batch_whose_commit_failed(client, tokens):
    body = health_batch(ed_row(1), ed_row(2))
    with mock.patch(
        "lantern.api.services.import_batch_commit", side_effect=ImportFailed("The database was busy.")
    ):
        failed = submit(client, tokens.hospital, body, key="k-retry")
    assert failed.status_code == 409
    assert "same Idempotency-Key" in failed.json()["detail"]
    batch = ImportBatch.objects.get()
    assert failed.json()["batch_id"] == str(batch.pk) and batch.status == "validated"
    assert not SourceRecord.objects.filter(source_key__startswith="RWE").exists()

    again = submit(client, tokens.hospital, body, key="k-retry")
    assert again.status_code == 201 and again.json()["status"] == "committed"
    assert again.json()["batch_id"] == str(batch.pk)
    assert SourceRecord.objects.filter(source_key__startswith="RWE").count() == 2
    resumed = AuditEvent.objects.filter(code=508).latest("seq")
    assert resumed.details["resumed"] is True


def test_a_repeat_of_an_unfinished_batch_whose_rows_were_removed_is_a_conflict(client, tokens):
    """Retention (import_files_expire) removed the stored rows of a batch an earlier attempt left
    half-way: the repeat cannot complete it and says so, instead of failing with a 500."""
    body = health_batch(ed_row(1), ed_row(2))
    with mock.patch(
        "lantern.api.services.import_batch_commit", side_effect=ImportFailed("The database was busy.")
    ):
        assert submit(client, tokens.hospital, body, key="k-late").status_code == 409
    batch = ImportBatch.objects.get()
    assert [b.pk for b in import_files_expire(at=now() + dt.timedelta(days=91)).removed] == [batch.pk]

    late = submit(client, tokens.hospital, body, key="k-late")
    assert late.status_code == 409 and "new Idempotency-Key" in late.json()["detail"]
    assert late.json()["batch_id"] == str(batch.pk)
    assert not SourceRecord.objects.filter(source_key__startswith="RWE").exists()
    again = submit(client, tokens.hospital, body, key="k-later")
    assert again.status_code == 201 and again.json()["status"] == "committed"
