"""manage.py api_token: create (the secret printed once), list, revoke."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.management import CommandError, call_command

from lantern.api.models import ApiToken
from lantern.audit.models import AuditEvent


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_secret_once_then_list_and_revoke(partnership):
    created = _run("--agency", "POL", "--name", "Niche nightly", "--feed", "police")
    secret = re.search(r"Bearer (\S+)", created).group(1)
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert AuditEvent.objects.get(code=430).actor_username == "system:manage.py api_token"

    listed = _run("--list", "--agency", "POL")
    assert token.prefix in listed and "active" in listed and secret not in listed
    assert "Feeds POL may send: police" in listed

    revoked = _run("--revoke", token.prefix, "--reason", "rotated", "--as", "sysadmin")
    assert f"Revoked token {token.prefix}" in revoked
    assert AuditEvent.objects.get(code=431).actor_username == "sysadmin"
    assert "revoked" in _run("--list")


def test_create_refuses_another_agencys_feed_and_a_user_who_may_not_manage_users(partnership):
    with pytest.raises(CommandError, match="may send only its own feeds: health"):
        _run("--agency", "HOSP", "--name", "x", "--feed", "police")
    with pytest.raises(CommandError, match="may manage users"):
        _run("--agency", "POL", "--name", "x", "--feed", "police", "--as", "manager")
    with pytest.raises(CommandError, match="No token"):
        _run("--revoke", "nope1234")
    assert not ApiToken.objects.exists()
