"""The privacy rule for every endpoint: a caller without a live token (none, a wrong one, a revoked
one, another scheme) gets 401 with no data, nothing is stored, and the refusal is audited."""

from __future__ import annotations

import uuid

import pytest

from lantern.api.services import api_token_revoke
from lantern.api.tests.conftest import ed_row, health_batch, submit
from lantern.audit.models import AuditEvent
from lantern.ingest.models import ImportBatch, QuarantinedRow
from lantern.people.models import SourceRecord, TimelineItem


def _held() -> tuple[int, int, int, int]:
    return (
        ImportBatch.objects.count(),
        QuarantinedRow.objects.count(),
        SourceRecord.objects.count(),
        TimelineItem.objects.count(),
    )


def _bad_credentials(tokens) -> dict[str, dict[str, str]]:
    return {
        "none": {},
        "wrong": {"Authorization": "Bearer " + "A" * 43},
        "basic": {"Authorization": "Basic " + tokens.hospital.secret},
        "bare": {"Authorization": tokens.hospital.secret},
        "truncated": {"Authorization": "Bearer " + tokens.hospital.secret[:-1]},
    }


@pytest.mark.parametrize("kind", ["none", "wrong", "basic", "bare", "truncated"])
def test_an_unauthorised_caller_sees_and_stores_nothing(client, tokens, kind):
    # A batch the hospital really submitted, whose id an outsider might know.
    batch_id = submit(client, tokens.hospital, health_batch(ed_row(1))).json()["batch_id"]
    before = _held()
    refusals = AuditEvent.objects.filter(code=420).count()
    headers = {"Idempotency-Key": str(uuid.uuid4()), **_bad_credentials(tokens)[kind]}

    responses = [
        client.post(
            "/api/v1/batches",
            data=health_batch(ed_row(2)),
            content_type="application/json",
            headers=headers,
        ),
        client.get(f"/api/v1/batches/{batch_id}", headers=headers),
        client.get("/api/v1/feeds", headers=headers),
    ]

    for response in responses:
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        body = response.json()
        assert set(body) == {"detail", "errors"} and body["errors"] == []
        assert "Mia" not in response.content.decode() and batch_id not in response.content.decode()
    assert _held() == before
    refused = AuditEvent.objects.filter(code=420).order_by("seq")[refusals:]
    assert len(refused) == 3
    for event in refused:
        assert event.actor_id is None and event.actor_username == "system:api"
        assert event.details["status"] == 401 and event.object_type == "api_call"


def test_a_revoked_token_is_refused_and_named_in_the_audit_row(client, tokens):
    api_token_revoke(token=tokens.hospital.token, system_actor="test")
    before = _held()
    response = submit(client, tokens.hospital, health_batch(ed_row(1)))
    assert response.status_code == 401
    assert _held() == before
    refused = AuditEvent.objects.filter(code=420).latest("seq")
    assert refused.details == {
        "status": 401,
        "reason": "revoked token",
        "token": tokens.hospital.token.prefix,
    }


def test_the_schema_and_docs_are_public_and_hold_no_data(client, tokens):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert set(schema.json()["paths"]) == {"/api/v1/batches", "/api/v1/batches/{batch_id}", "/api/v1/feeds"}
    assert schema.json()["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"swagger-ui-bundle.js" in docs.content
    assert b"cdn" not in docs.content.lower()  # scripts are served by Lantern itself
