"""The citizen's side: apply, drafts, my applications, answering requests, status check,
and the checked download of a file's documents (linked from the back office too)."""

from django.urls import path

from . import views_citizen

urlpatterns = [
    path("apply/<slug:slug>/", views_citizen.apply, name="apply"),
    path("applications/", views_citizen.mine, name="mine"),
    path("applications/<uuid:public_id>/", views_citizen.detail, name="detail"),
    path("applications/<uuid:public_id>/edit/", views_citizen.draft_edit, name="draft_edit"),
    path("applications/<uuid:public_id>/delete/", views_citizen.draft_delete, name="draft_delete"),
    path("applications/<uuid:public_id>/submitted/", views_citizen.submitted, name="submitted"),
    path("applications/<uuid:public_id>/receipt/", views_citizen.receipt, name="receipt"),
    path("applications/<uuid:public_id>/correct/", views_citizen.correct, name="correct"),
    path("applications/<uuid:public_id>/withdraw/", views_citizen.withdraw, name="withdraw"),
    path("applications/<uuid:public_id>/answer/", views_citizen.answer, name="answer"),
    path("applications/<uuid:public_id>/documents/<uuid:document_id>/", views_citizen.document_download,
         name="document_download"),
    path("status/", views_citizen.status, name="status"),
]
