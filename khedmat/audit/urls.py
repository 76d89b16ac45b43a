"""Pages under /<lang>/: the public checkpoints of the audit trail and a citizen's proofs."""

from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("audit/", views.checkpoints, name="checkpoints"),
    path("audit/proof/", views.proof, name="proof"),
]
