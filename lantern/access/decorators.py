"""View guards. They only check that a viewer exists and holds a capability; what a viewer may see
is decided by the policy inside selectors."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def viewer_required(capability: str | None = None):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.viewer is None:
                return redirect_to_login(request.get_full_path())
            if capability and not request.viewer.can(capability):
                raise PermissionDenied("Your role does not include this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
