"""API tokens: the secret is shown once and never stored (only its SHA-256 and prefix), tokens are
scoped to the agency's own feeds, only a role that manages users creates or revokes them, each acts
through its own service user (who cannot sign in), and every create and revoke is audited."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth import authenticate

from lantern.access.models import Membership
from lantern.access.selectors import agency_workers
from lantern.api.models import ApiToken
from lantern.api.services import SERVICE_TEAM, api_token_authenticate, api_token_create, api_token_revoke
from lantern.audit.models import AuditEvent
from lantern.core.exceptions import AccessDenied, ValidationFailed


def _stored_text(token: ApiToken) -> str:
    token.refresh_from_db()
    user = token.membership.user
    values = [getattr(token, f.attname) for f in ApiToken._meta.concrete_fields]
    values += [user.username, user.password, user.display_name]
    values += [e.details for e in AuditEvent.objects.all()] + [
        e.justification for e in AuditEvent.objects.all()
    ]
    return repr(values)


def test_the_secret_is_never_stored_only_its_hash_and_prefix(partnership):
    admin = partnership.viewer("sysadmin")
    token, secret = api_token_create(
        agency=partnership.agencies["POL"], name="Niche feed", feed_types=["police"], viewer=admin
    )
    assert len(secret) >= 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8]
    assert secret not in _stored_text(token)
    assert secret[8:] not in _stored_text(token)
    # Each token gets its own secret.
    _, other = api_token_create(
        agency=partnership.agencies["POL"], name="Second feed", feed_types=["police"], viewer=admin
    )
    assert other != secret


def test_a_token_acts_through_its_own_data_officer_who_cannot_sign_in_nor_be_picked(partnership):
    token, secret = api_token_create(
        agency=partnership.agencies["HOSP"], name="ED feed", feed_types=["health"], system_actor="test"
    )
    membership = token.membership
    assert membership.role == "data_officer" and membership.is_active
    assert membership.team.agency == partnership.agencies["HOSP"] and membership.team.name == SERVICE_TEAM
    assert membership.user.username == f"api-hosp-{token.prefix}"
    assert not membership.user.has_usable_password() and not membership.user.is_active
    assert authenticate(username=membership.user.username, password=secret) is None
    assert membership.user not in agency_workers(partnership.agencies["HOSP"])
    assert token.viewer.agency == partnership.agencies["HOSP"]


@pytest.mark.parametrize(
    ("agency", "feeds"),
    [
        ("HOSP", ["police"]),  # a hospital cannot send police data
        ("POL", ["health"]),
        ("SCHA", ["ssda903"]),
        ("POL", ["cin_census"]),  # XML: not offered through the API
        ("POL", []),
        ("POL", ["nonsense"]),
    ],
)
def test_a_token_is_scoped_to_the_agencys_own_feeds(partnership, agency, feeds):
    with pytest.raises(ValidationFailed) as refused:
        api_token_create(
            agency=partnership.agencies[agency], name="feed", feed_types=feeds, system_actor="test"
        )
    assert "feed_types" in refused.value.errors
    assert not ApiToken.objects.exists()
    assert not Membership.objects.filter(team__name=SERVICE_TEAM).exists()


def test_only_a_role_that_manages_users_creates_or_revokes_tokens(partnership):
    for username in ("manager", "analyst", "dpo", "frontdoor"):
        with pytest.raises(AccessDenied):
            api_token_create(
                agency=partnership.agencies["POL"],
                name="feed",
                feed_types=["police"],
                viewer=partnership.viewer(username),
            )
    assert not ApiToken.objects.exists()
    token, _ = api_token_create(
        agency=partnership.agencies["POL"],
        name="feed",
        feed_types=["police"],
        viewer=partnership.viewer("sysadmin"),
    )
    with pytest.raises(AccessDenied):
        api_token_revoke(token=token, viewer=partnership.viewer("manager"))
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_refuses_the_token_and_ends_its_membership(partnership):
    admin = partnership.viewer("sysadmin")
    token, secret = api_token_create(
        agency=partnership.agencies["POL"], name="feed", feed_types=["police"], viewer=admin
    )
    assert api_token_authenticate(secret).token == token
    api_token_revoke(token=token, viewer=admin, reason="system replaced")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == partnership.users["sysadmin"]
    assert not token.membership.is_active
    refused = api_token_authenticate(secret)
    assert refused.token is None and refused.reason == "revoked token" and refused.prefix == token.prefix
    with pytest.raises(ValidationFailed):
        api_token_revoke(token=token, viewer=admin)


def test_unknown_and_malformed_secrets_are_refused(partnership):
    api_token_create(
        agency=partnership.agencies["POL"], name="feed", feed_types=["police"], system_actor="test"
    )
    assert api_token_authenticate(None).reason == "no bearer token"
    assert api_token_authenticate("x" * 43).reason == "unknown token"
    assert api_token_authenticate("x" * 500).reason == "malformed bearer token"


def test_creating_and_revoking_are_audited(partnership):
    admin = partnership.viewer("sysadmin")
    token, _ = api_token_create(
        agency=partnership.agencies["POL"], name="feed", feed_types=["police"], viewer=admin
    )
    api_token_revoke(token=token, viewer=admin, reason="leaked in a log")
    created = AuditEvent.objects.get(code=430)
    assert created.actor_username == "sysadmin" and created.object_id == token.prefix
    assert created.details["feed_types"] == ["police"] and created.details["agency"] == "POL"
    assert created.details["service_user"] == token.membership.user.username
    revoked = AuditEvent.objects.get(code=431)
    assert revoked.actor_username == "sysadmin" and revoked.justification == "leaked in a log"
