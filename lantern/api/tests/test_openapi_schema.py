"""The OpenAPI schema, tested by schemathesis against the app in-process (WSGI): every operation,
with a valid token so the calls reach the real code, must never answer with a server error."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from lantern.api.models import ApiToken

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
# Cases (the schema's examples first) are generated while tests are collected, before the test's
# token exists: the test gives its token this known secret.
SECRET = "schemathesis-feed-token-0123456789abcdefghijklmnop"


@schema.auth(refresh_interval=None, retry_on=[])
class FeedToken:
    """The test's token, so schemathesis knows the valid credentials (and probes invalid ones)."""

    def get(self, case, context):
        return SECRET

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@pytest.fixture
def feed_token(tokens):
    ApiToken.objects.filter(pk=tokens.hospital.token.pk).update(
        token_hash=hashlib.sha256(SECRET.encode()).hexdigest()
    )
    # The WSGI handler closes "old" database connections at each request's start and end; inside a
    # test's transaction that would close the test's own connection (Django's test client does the
    # same disconnection).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield tokens.hospital
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, feed_token):
    key = (case.headers or {}).get("Idempotency-Key")
    if key and re.fullmatch(r"[\x21-\x7e]{1,150}", key):
        # Generated keys repeat (a 409 for every later body): make valid ones unique per case so
        # more cases reach the pipeline. Idempotency has its own tests.
        case.headers["Idempotency-Key"] = f"{key}-{uuid.uuid4().hex[:12]}"
    response = case.call()
    assert response.status_code < 500, response.text
    # Every other check runs (status codes and bodies as documented, auth enforced: schemathesis
    # probes the call again without the token and with a wrong one). Not "schema-valid data is
    # accepted": which columns a row may have depends on the format and table named in the body,
    # so most rows the schema allows are rightly refused with 422 naming the row and field.
    case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])
