from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from lantern.access.decorators import viewer_required
from lantern.access.models import BreakGlassGrant
from lantern.access.roles import Cap
from lantern.access.selectors import break_glass_active_for, break_glass_pending


@viewer_required()
def home_view(request):
    viewer = request.viewer
    team_reviews = (
        break_glass_pending().filter(membership__team=viewer.team)
        if viewer.can(Cap.BREAK_GLASS_REVIEW)
        else BreakGlassGrant.objects.none()
    )
    return render(
        request,
        "core/home.html",
        {"active_grants": break_glass_active_for(viewer.user), "team_reviews": team_reviews[:20]},
    )


def health_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


def _error(request, status: int, title: str, message: str):
    return render(request, "core/error.html", {"title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(
        request, 400, "Sorry, there is a problem with that request", "Check the address and try again."
    )


def permission_denied(request, exception=None):
    message = (
        str(exception) if exception and str(exception) else "You do not have permission to see this page."
    )
    return _error(request, 403, "You cannot see this page", message)


def page_not_found(request, exception=None):
    return _error(request, 404, "Page not found", "If you typed the web address, check it is correct.")


def server_error(request):
    return _error(request, 500, "Sorry, there is a problem with the service", "Try again later.")
