"""The assisted channel at a center (under /<lang>/center/assist/) and the citizen's access record."""

from django.urls import path

from . import views_assisted

assisted_urlpatterns: list = [
    path("center/assist/", views_assisted.start, name="assisted_start"),
    path("center/assist/<uuid:public_id>/", views_assisted.fill, name="assisted_form"),
    path("center/assist/<uuid:public_id>/consent/", views_assisted.consent, name="assisted_consent"),
    path("center/assist/<uuid:public_id>/consent/code/", views_assisted.consent_code_send,
         name="assisted_consent_code_send"),
    path("center/assist/<uuid:public_id>/consent/by-code/", views_assisted.consent_code_submit,
         name="assisted_consent_by_code"),
    path("center/assist/<uuid:public_id>/consent/by-form/", views_assisted.consent_form_submit,
         name="assisted_consent_by_form"),
    path("center/assist/<uuid:public_id>/consent/print/", views_assisted.consent_form_print,
         name="assisted_consent_print"),
    path("center/assist/<uuid:public_id>/done/", views_assisted.done, name="assisted_done"),
    path("center/assist/<uuid:public_id>/slip/", views_assisted.slip, name="assisted_slip"),
    path("applications/<uuid:public_id>/who-opened/", views_assisted.access_log, name="access_log"),
]
