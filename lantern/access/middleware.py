"""Builds `request.viewer` from the signed-in user and the acting role chosen at login, and ends
sessions that have run too long. Until a role is chosen, only the login pages are reachable."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from lantern.core.timeutils import now

from .models import Membership
from .policy import Viewer

ACTING_MEMBERSHIP = "acting_membership_id"
LOGIN_AT = "login_at"
MAX_SESSION = dt.timedelta(hours=8)
_OPEN_PREFIXES = ("/static/", "/login", "/logout", "/healthz")


class ActingRoleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.viewer = None
        if request.user.is_authenticated:
            started = request.session.get(LOGIN_AT)
            if started and now() - dt.datetime.fromisoformat(started) > MAX_SESSION:
                logout(request)
                return redirect(f"{reverse('access:login')}?expired=1")
            membership_id = request.session.get(ACTING_MEMBERSHIP)
            membership = (
                Membership.objects.select_related("team__agency")
                .filter(pk=membership_id, user=request.user, is_active=True)
                .first()
                if membership_id
                else None
            )
            if membership is not None:
                request.viewer = Viewer(user=request.user, membership=membership)
            elif not request.path.startswith(_OPEN_PREFIXES):
                return redirect("access:choose_role")
        return self.get_response(request)
