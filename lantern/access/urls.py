from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/role/", views.choose_role_view, name="choose_role"),
    path("logout/", views.logout_view, name="logout"),
]
