from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("contacts/<int:contact_id>/", views.contact_view, name="contact"),
    path("contacts/new/<uuid:person_id>/", views.contact_new_view, name="contact_new"),
    path("strategy/new/<uuid:person_id>/", views.strategy_new_view, name="strategy_new"),
]
