from django.urls import include, path

from lantern.api.api import api
from lantern.core import views as core_views

urlpatterns = [
    path("", core_views.home_view, name="home"),
    path("healthz", core_views.health_view, name="health"),
    path("", include("lantern.access.urls")),
    path("people/", include("lantern.people.urls")),
    path("audit/", include("lantern.audit.urls")),
    path("linkage/", include("lantern.linkage.urls")),
    path("imports/", include("lantern.ingest.urls")),
    path("missing/", include("lantern.missing.urls")),
    path("front-door/", include("lantern.referrals.urls")),
    path("queue/", include("lantern.alerts.urls")),
    path("screening/", include("lantern.screening.urls")),
    path("plans/", include("lantern.plans.urls")),
    path("network/", include("lantern.networks.urls")),
    path("lines/", include("lantern.lines.urls")),
    path("reports/", include("lantern.reporting.urls")),
    path("api/", api.urls),
]

handler400 = "lantern.core.views.bad_request"
handler403 = "lantern.core.views.permission_denied"
handler404 = "lantern.core.views.page_not_found"
handler500 = "lantern.core.views.server_error"
