from django.urls import path, re_path

from .api import api, unknown_address

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", unknown_address),
]
