from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("sign-in/", views.login, name="login"),
    path("sign-in/code/", views.login_code, name="login_code"),
    path("sign-in/code/resend/", views.login_code_resend, name="login_code_resend"),
    path("welcome/", views.welcome, name="welcome"),
    path("sign-out/", views.logout, name="logout"),
    path("staff/sign-in/", views.staff_login, name="staff_login"),
    path("staff/second-factor/", views.staff_second_factor, name="staff_second_factor"),
    path("staff/second-factor/set-up/", views.staff_enrol, name="staff_enrol"),
    path("staff/set-up/<str:code>/", views.staff_enrol_link, name="staff_enrol_link"),
    path("staff/sign-in/recovery/", views.staff_recovery_sign_in, name="staff_recovery_sign_in"),
    path("staff/recovery-codes/", views.staff_recovery_codes, name="staff_recovery_codes"),
    path("staff/recovery-codes/new/", views.staff_recovery_codes_new, name="staff_recovery_codes_new"),
]
