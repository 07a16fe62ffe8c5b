from django.urls import path

from . import views

app_name = "networks"

urlpatterns = [
    path("person/<uuid:person_id>/", views.person_map_view, name="person_map"),
    path("<int:entity_id>/", views.map_view, name="map"),
    path("<int:entity_id>/export/", views.export_view, name="export"),
    path("<int:entity_id>/links/", views.link_new_view, name="link_new"),
    path("signals/", views.signals_view, name="signals"),
    path("peer-maps/<uuid:person_id>/", views.peer_maps_view, name="peer_maps"),
]
