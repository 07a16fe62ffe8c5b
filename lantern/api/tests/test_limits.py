"""Request size, rows per batch and the per-token rate limit: each refused with a clear message
(413, 422, 429 with Retry-After), nothing stored, and audited."""

from __future__ import annotations

from lantern.api.tests.conftest import ed_row, health_batch, submit
from lantern.audit.models import AuditEvent
from lantern.ingest.models import ImportBatch


def test_a_body_over_the_limit_is_413_before_it_is_read(client, tokens, settings):
    settings.LANTERN_API_MAX_BODY_BYTES = 2000
    response = submit(client, tokens.hospital, health_batch(*[ed_row(n) for n in range(1, 20)]))
    assert response.status_code == 413
    assert "larger than 2,000 bytes" in response.json()["detail"]
    assert not ImportBatch.objects.exists()
    refused = AuditEvent.objects.filter(code=420).latest("seq")
    assert refused.details["status"] == 413 and refused.details["token"] == tokens.hospital.token.prefix
    assert submit(client, tokens.hospital, health_batch(ed_row(1))).status_code == 201


def test_too_many_rows_is_422(client, tokens, settings):
    settings.LANTERN_API_MAX_ROWS = 2
    response = submit(client, tokens.hospital, health_batch(ed_row(1), ed_row(2), ed_row(3)))
    assert response.status_code == 422
    assert "at most 2 rows" in response.json()["detail"]
    assert response.json()["errors"] == [
        {"row": 0, "field": "rows", "value": "3", "expected": "at most 2 rows", "rule": None}
    ]
    assert not ImportBatch.objects.exists()


def test_the_rate_limit_is_per_token_with_retry_after(client, tokens, settings):
    settings.LANTERN_API_RATE_PER_MINUTE = 3
    codes = [client.get("/api/v1/feeds", headers=tokens.hospital.auth).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    limited = submit(client, tokens.hospital, health_batch(ed_row(1)))
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "3 a minute" in limited.json()["detail"]
    assert not ImportBatch.objects.exists()
    assert AuditEvent.objects.filter(code=420).latest("seq").details["reason"] == "rate limit"
    # Another token has its own allowance.
    assert client.get("/api/v1/feeds", headers=tokens.police.auth).status_code == 200
    tokens.hospital.token.refresh_from_db()
    assert tokens.hospital.token.last_used_at is not None


def test_malformed_json_is_400_and_audited(client, tokens):
    response = client.post(
        "/api/v1/batches",
        data=b'{"format": "health", "rows": [',
        content_type="application/json",
        headers={**tokens.hospital.auth, "Idempotency-Key": "k"},
    )
    assert response.status_code == 400
    assert AuditEvent.objects.filter(code=420).latest("seq").details["status"] == 400
