"""The product's URLs plus bare control endpoints, for benches only (bench/control_settings.py).

Each control goes through the same web server, middleware and database as the product's
pages, without the product's code in the view, so a figure can be set beside it in one run:

- /bench/control/hello/: a bare Django answer, no database;
- /bench/control/ussd/: what any USSD endpoint must do at the least: read the aggregator's
  form, find or make the session's row, write it back (one table of the bench's own,
  `bench_control_ussd`, made by bench/ussd.py; three statements, no ORM model).

Kept version-agnostic: bench/events_overhead.py copies it into a worktree of an older commit.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as product_urlpatterns

_TEXT = "text/plain; charset=utf-8"


@csrf_exempt
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("CON hello", content_type=_TEXT)


@csrf_exempt
def ussd(request: HttpRequest) -> HttpResponse:
    session_id = request.POST.get("sessionId", "")[:100]
    phone = request.POST.get("phoneNumber", "")[:20]
    text = request.POST.get("text", "")[:300]
    now = timezone.now()
    choices = text.split("*") if text else []
    reply = "CON Control\n1 One\n2 Two\n3 Three" if len(choices) < 3 else "END Control done."
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, last_text FROM bench_control_ussd WHERE session_id = %s", [session_id])
        if cursor.fetchone() is None:
            cursor.execute("INSERT INTO bench_control_ussd (session_id, phone, started_at, last_seen_at, last_text, "
                           "last_reply) VALUES (%s, %s, %s, %s, '', '') ON CONFLICT (session_id) DO NOTHING",
                           [session_id, phone, now, now])
        cursor.execute("UPDATE bench_control_ussd SET last_seen_at = %s, last_text = %s, last_reply = %s "
                       "WHERE session_id = %s", [now, text, reply, session_id])
    return HttpResponse(reply, content_type=_TEXT)


urlpatterns = [
    path("bench/control/hello/", hello),
    path("bench/control/ussd/", ussd),
    *product_urlpatterns,
]
