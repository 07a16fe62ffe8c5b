from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.search_view, name="search"),
    path("<uuid:person_id>/", views.person_view, name="person"),
    path("<uuid:person_id>/timeline/", views.timeline_view, name="timeline"),
    path("<uuid:person_id>/break-glass/", views.break_glass_view, name="break_glass"),
]
