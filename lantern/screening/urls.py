from django.urls import path

from . import views

app_name = "screening"

urlpatterns = [
    path("start/<uuid:person_id>/", views.start_view, name="start"),
    path("<int:screening_id>/", views.detail_view, name="detail"),
    path("<int:screening_id>/indicators/<str:indicator>/", views.decide_view, name="decide"),
    path("<int:screening_id>/add/", views.add_view, name="add"),
    path("<int:screening_id>/submit/", views.submit_view, name="submit"),
    path("<int:screening_id>/sign-off/", views.sign_off_view, name="sign_off"),
    path(
        "<int:screening_id>/learning-disability/", views.learning_disability_view, name="learning_disability"
    ),
]
