from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_home_view, name="home"),
    path("people/<uuid:person_id>/", views.audit_person_view, name="person"),
    path("users/", views.audit_users_view, name="users"),
    path("users/<int:user_id>/", views.audit_user_view, name="user"),
    path("verify/", views.audit_verify_view, name="verify"),
    path("break-glass/<int:grant_id>/", views.break_glass_review_view, name="break_glass_review"),
]
