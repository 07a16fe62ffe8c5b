from django.urls import path

from . import views

app_name = "ingest"

urlpatterns = [
    path("", views.batch_list_view, name="list"),
    path("new/", views.upload_view, name="upload"),
    path("<uuid:batch_id>/", views.batch_view, name="batch"),
    path("<uuid:batch_id>/status/", views.batch_status_view, name="status"),
    path("<uuid:batch_id>/commit/", views.batch_commit_view, name="commit"),
    path("<uuid:batch_id>/check/", views.batch_validate_view, name="validate"),
    path("<uuid:batch_id>/rejected-rows.csv", views.quarantine_download_view, name="quarantine"),
]
