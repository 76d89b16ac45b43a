"""Pages under /<lang>/: the verify page, the PDF download, the agency's revoke action."""

from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("documents/<uuid:public_id>/pdf/", views.document_pdf, name="pdf"),
    path("office/documents/<uuid:public_id>/revoke/", views.revoke, name="revoke"),
    path("office/documents/<uuid:public_id>/reissue/", views.reissue, name="reissue"),
]
