from django.urls import path

from . import views_staff, views_webhooks

app_name = "api"

urlpatterns = [
    path("office/api-keys/", views_staff.api_keys, name="keys"),
    path("office/api-keys/<uuid:public_id>/revoke/", views_staff.api_key_revoke_view, name="key_revoke"),
    path("office/webhooks/", views_webhooks.webhook_list, name="webhooks"),
    path("office/webhooks/<uuid:public_id>/", views_webhooks.webhook_detail, name="webhook"),
    path("office/webhooks/<uuid:public_id>/test/", views_webhooks.webhook_test, name="webhook_test"),
    path("office/webhooks/<uuid:public_id>/rotate/", views_webhooks.webhook_rotate, name="webhook_rotate"),
    path("office/webhooks/<uuid:public_id>/disable/", views_webhooks.webhook_disable, name="webhook_disable"),
    path("office/webhooks/<uuid:public_id>/enable/", views_webhooks.webhook_enable, name="webhook_enable"),
    path("office/webhooks/<uuid:public_id>/delete/", views_webhooks.webhook_delete, name="webhook_delete"),
]
