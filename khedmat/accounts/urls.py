from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.login, name="login"),
    path("", views.profile, name="profile"),
    path("staff/second-factor/", views.staff_second_factor, name="staff_second_factor"),
]
