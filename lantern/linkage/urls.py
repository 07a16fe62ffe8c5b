from django.urls import path

from . import views

app_name = "linkage"

urlpatterns = [
    path("review/", views.queue_view, name="queue"),
    path("review/<int:pair_id>/", views.pair_view, name="pair"),
    path("people/<uuid:person_id>/split/", views.split_view, name="split"),
    path("people/<uuid:person_id>/merge/", views.merge_view, name="merge"),
]
