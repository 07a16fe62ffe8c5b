"""Fixtures for the live-feed API: the shared partnership (lantern/conftest.py) with a token per
agency, an isolated DATA_DIR for stored batches, a rate limit high enough not to get in the way
(the rate-limit test lowers it), and helpers that call the API through Django's test client."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lantern.api.models import ApiToken
from lantern.api.services import api_token_create
from lantern.conftest import Partnership


@pytest.fixture(autouse=True)
def api_settings(settings, tmp_path: Path):
    settings.DATA_DIR = tmp_path / "data"
    settings.LANTERN_API_RATE_PER_MINUTE = 10_000
    settings.LANTERN_API_MAX_ROWS = 5000
    settings.LANTERN_API_MAX_BODY_BYTES = 5 * 1024 * 1024
    return settings


@dataclass
class Issued:
    token: ApiToken
    secret: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


@dataclass
class Tokens:
    police: Issued
    hospital: Issued
    school: Issued
    csc: Issued


@pytest.fixture
def tokens(partnership: Partnership) -> Tokens:
    def issue(code: str, feeds: list[str]) -> Issued:
        token, secret = api_token_create(
            agency=partnership.agencies[code], name=f"{code} feed", feed_types=feeds, system_actor="test"
        )
        return Issued(token, secret)

    return Tokens(
        police=issue("POL", ["police"]),
        hospital=issue("HOSP", ["health"]),
        school=issue("SCHA", ["school_exclusions"]),
        csc=issue("CSC", ["ssda903", "generic"]),
    )


def ed_row(n: int, **changes: Any) -> dict[str, Any]:
    """A valid emergency department attendance row (health format)."""
    row = {
        "attendance_id": f"ED{n:08d}",
        "local_patient_id": f"RWE{n:08d}",
        "nhs_number": "",
        "surname": "Stone",
        "forename": "Mia",
        "dob": "02/06/2010",
        "sex": "F",
        "ethnicity": "WBRI",
        "postcode": "LE11 3AB",
        "address": "12 Mill Lane",
        "town": "Loughborough",
        "arrival_at": "14/09/2026 02:10",
        "arrival_mode": "ambulance",
        "presenting_complaint": "stab wound",
        "injury_type": "stab_wound",
        "outcome": "admitted",
    }
    row.update(changes)
    return row


def missing_row(n: int, **changes: Any) -> dict[str, Any]:
    """A valid police missing report row (police MissingReports)."""
    row = {
        "nominal_id": f"NOM{n:08d}",
        "pnc_id": "",
        "surname": "Brennan",
        "forename": "Kai",
        "dob": "27/03/2011",
        "sex": "M",
        "report_id": f"LP-{n:08d}",
        "reported_at": "05/06/2026 21:40",
        "last_seen_at": "05/06/2026 18:00",
        "risk_grade": "HIGH",
        "missing_from": "placement",
    }
    row.update(changes)
    return row


def submit(client, issued: Issued | None, body: dict[str, Any], key: str | None = None, **headers: str):
    sent = dict(issued.auth) if issued else {}
    if key is not False:
        sent["Idempotency-Key"] = key or str(uuid.uuid4())
    sent.update(headers)
    return client.post(
        "/api/v1/batches", data=json.dumps(body), content_type="application/json", headers=sent
    )


def health_batch(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"format": "health", "source_system": "ED-SYSTEM", "rows": list(rows)}
