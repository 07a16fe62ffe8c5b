from django.urls import path

from . import views

app_name = "lines"

urlpatterns = [
    path("", views.register_view, name="register"),
    path("<int:line_id>/", views.line_view, name="line"),
    path("operations/<int:operation_id>/", views.operation_view, name="operation"),
]
