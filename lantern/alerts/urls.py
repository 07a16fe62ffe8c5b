from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("<int:alert_id>/<str:action>/", views.action_view, name="action"),
]
