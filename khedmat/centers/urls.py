"""Routes of the centers app: the hall's public pages and the staff's counter and dashboard."""

from .public_urls import urlpatterns as public_urlpatterns
from .staff_urls import urlpatterns as staff_urlpatterns

app_name = "centers"
urlpatterns = [*public_urlpatterns, *staff_urlpatterns]
