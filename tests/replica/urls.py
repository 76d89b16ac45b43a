"""The site, plus a page that renames an agency (a user's write) and one that reads its name
without being listed as stale-tolerant: scaffolding for tests/test_replica.py only."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from config.urls import urlpatterns as site
from khedmat.catalog.models import Agency


@require_POST
def rename(request: HttpRequest) -> HttpResponse:
    Agency.objects.filter(code=request.POST["code"]).update(name_en=request.POST["name"])
    return HttpResponse("renamed")


@require_GET
def name(request: HttpRequest) -> HttpResponse:
    return HttpResponse(Agency.objects.get(code=request.GET["code"]).name_en)


urlpatterns = [path("replica-test/rename/", rename), path("replica-test/name/", name), *site]
