from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("new/<uuid:person_id>/", views.plan_new_view, name="plan_new"),
    path("<int:plan_id>/", views.plan_view, name="plan"),
    path("<int:plan_id>/actions/", views.action_add_view, name="action_add"),
    path("<int:plan_id>/actions/<int:action_id>/", views.action_update_view, name="action_update"),
    path("<int:plan_id>/review/", views.review_view, name="review"),
    path("<int:plan_id>/close/", views.close_view, name="close"),
    path("orders/new/<uuid:person_id>/", views.order_new_view, name="order_new"),
    path("nrm/new/<uuid:person_id>/", views.nrm_new_view, name="nrm_new"),
    path("nrm/<int:referral_id>/", views.nrm_view, name="nrm"),
    path("mace/", views.meetings_view, name="meetings"),
    path("mace/<int:meeting_id>/", views.meeting_view, name="meeting"),
    path("mace/<int:meeting_id>/agenda/", views.agenda_add_view, name="agenda_add"),
    path("mace/<int:meeting_id>/minutes/", views.minutes_view, name="minutes"),
    path("equality/", views.equality_view, name="equality"),
]
