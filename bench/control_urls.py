"""The product's URLs plus bare control endpoints, for benches only (bench/control_settings.py).

Each control goes through the same web server, middleware and database as the product's
pages, without the product's code in the view, so a figure can be set beside it in one run:

- /bench/control/hello/: a bare Django answer, no database;
- /bench/control/ussd/: what any USSD endpoint must do at the least: read the aggregator's
  form, find or make the session's row, write it back (one table of the bench's own,
  `bench_control_ussd`, made by bench/ussd.py; three statements, no ORM model);
- /bench/control/write/: what any write of a record must do at the least, in one transaction:
  lock and increment one of 64 counter rows (scoped counters, as the product's are), insert a
  1 KB JSON row and an audit-like row (tables `bench_control_counter`, `bench_control_record`,
  `bench_control_audit`, made by bench/http.py; no ORM model);
- /bench/control/json/: a bare Django JSON answer of a catalog's size (about 20 KB), no
  database: the control of the API's catalog read (bench/api.py);
- /bench/control/page/: a bare Django page render: a template of a public page's size (about
  7 KB of HTML, as the home page; a loop and a few tags), no database.

Kept version-agnostic: bench/events_overhead.py copies it into a worktree of an older commit.
"""

import json
import random

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.template import engines
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


WRITE_COUNTERS = 64
_BODY = {"form": {f"field_{n}": "x" * 20 for n in range(32)}}  # about 1 KB of JSON


@csrf_exempt
def write(request: HttpRequest) -> HttpResponse:
    scope = random.randrange(WRITE_COUNTERS)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE bench_control_counter SET value = value + 1 WHERE scope = %s RETURNING value", [scope])
        number = cursor.fetchone()[0]
        cursor.execute("INSERT INTO bench_control_record (scope, number, body, created_at) VALUES (%s, %s, %s, %s) "
                       "RETURNING id", [scope, number, json.dumps(_BODY), now])
        record = cursor.fetchone()[0]
        cursor.execute("INSERT INTO bench_control_audit (action, record_id, at, detail) VALUES (%s, %s, %s, %s)",
                       ["record.create", record, now, json.dumps({"scope": scope, "number": number})])
    return HttpResponse(f"{scope}-{number}", content_type=_TEXT)


_PAGE = engines["django"].from_string("""<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><header><nav>{% for link in links %}
<a href="/{{ language }}/{{ link.slug }}/">{{ link.name }}</a> {% endfor %}</nav>
</header><main><h1>{{ title }}</h1>
{% for section in sections %}<section id="s{{ forloop.counter }}"><h2>{{ section.name|title }}</h2>
<ul>{% for item in section.items %}<li><a href="/{{ language }}/services/{{ item.slug }}/">{{ item.name }}</a>
<p>{{ item.summary|truncatechars:160 }}</p>{% if item.fee %}<span>{{ item.fee }} AFN</span>{% endif %}</li>
{% endfor %}</ul></section>{% endfor %}
</main><footer>{{ footer }}</footer></body></html>
""")
_PAGE_CONTEXT = {
    "language": "en", "title": "Control page", "footer": "A bare Django page render, no database.",
    "links": [{"slug": f"link-{n}", "name": f"Link {n}"} for n in range(8)],
    "sections": [{"name": f"section {s}", "items": [
        {"slug": f"service-{s}-{n}", "name": f"Service {s}.{n}", "fee": n * 100,
         "summary": "What the service gives, who may apply and what to bring. " * 2} for n in range(5)]}
        for s in range(6)],
}


_JSON = [{"code": f"S{n}", "slug": f"service-{n}", "agency": "MOI",
          "name": {"en": f"Service {n}", "fa": f"خدمت {n}", "ps": f"خدمت {n}"}, "time_standard_days": 10,
          "fee_min_afn": 100, "fee_max_afn": 500, "documents_required": [{"code": "tazkira"}],
          "centers": [{"code": "KBL", "slug": "kabul"}]} for n in range(60)]


def json_answer(request: HttpRequest) -> HttpResponse:
    return HttpResponse(json.dumps(_JSON, ensure_ascii=False), content_type="application/json")


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_PAGE.render(_PAGE_CONTEXT, request))


urlpatterns = [
    path("bench/control/hello/", hello),
    path("bench/control/ussd/", ussd),
    path("bench/control/write/", write),
    path("bench/control/page/", page),
    path("bench/control/json/", json_answer),
    *product_urlpatterns,
]
