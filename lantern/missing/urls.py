from django.urls import path

from . import views

app_name = "missing"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("reports/new/<uuid:person_id>/", views.report_new_view, name="report_new"),
    path("reports/<int:report_id>/", views.report_view, name="report"),
    path("reports/<int:report_id>/regrade/", views.regrade_view, name="regrade"),
    path("reports/<int:report_id>/return/", views.return_view, name="return"),
    path("reports/<int:report_id>/prevention/", views.prevention_view, name="prevention"),
    path("reports/<int:report_id>/interview/", views.interview_view, name="interview"),
    path("reports/<int:report_id>/assign/", views.assign_view, name="assign"),
    path("philomena/<uuid:person_id>/", views.philomena_view, name="philomena"),
    path("calls/", views.calls_view, name="calls"),
]
