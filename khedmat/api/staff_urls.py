from django.urls import path

from . import views_staff

app_name = "api"

urlpatterns = [
    path("office/api-keys/", views_staff.api_keys, name="keys"),
    path("office/api-keys/<uuid:public_id>/revoke/", views_staff.api_key_revoke_view, name="key_revoke"),
]
