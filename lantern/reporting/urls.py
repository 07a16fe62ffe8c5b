from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.reports_view, name="reports"),
    path("<uuid:report_id>/", views.report_view, name="report"),
    path("<uuid:report_id>/status/", views.report_status_view, name="status"),
    path("<uuid:report_id>/report.pdf", views.report_pdf_view, name="pdf"),
    path("<uuid:report_id>/csv/<slug:table_key>.csv", views.report_csv_view, name="csv"),
    path("extracts/new/", views.extract_new_view, name="extract_new"),
    path("extracts/<uuid:extract_id>/", views.extract_download_view, name="extract_download"),
]
