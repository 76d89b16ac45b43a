"""Routes of the applications app: the citizen's side and the agency's back office."""

from .assisted_urls import assisted_urlpatterns
from .citizen_urls import urlpatterns as citizen_urlpatterns
from .office_urls import urlpatterns as office_urlpatterns

app_name = "applications"
urlpatterns = [*citizen_urlpatterns, *office_urlpatterns, *assisted_urlpatterns]
