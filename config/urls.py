"""Top-level routes: operational endpoints and the admin outside language prefixes,
every page for people under /<lang>/ (en, fa, ps)."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from khedmat.accounts.views import admin_login
from khedmat.core.views import healthz, metrics, readyz

# Every page for people first, the busiest first: Django tries the patterns in order, and a
# counter's call walked some ninety of them before this order (docs/performance.md, round
# eight). The apps' addresses do not overlap, so the order changes only the time.
urlpatterns = i18n_patterns(
    path("", include("khedmat.catalog.urls")),
    path("", include("khedmat.centers.urls")),
    path("", include("khedmat.applications.urls")),
    path("account/", include("khedmat.accounts.urls")),
    path("", include("khedmat.payments.urls")),
    path("", include("khedmat.feedback.urls")),
    path("", include("khedmat.documents.urls")),
    path("", include("khedmat.complaints.urls")),
    path("", include("khedmat.complaints.assisted_urls")),
    path("", include("khedmat.notifications.staff_urls")),
    path("", include("khedmat.audit.urls")),
    path("", include("khedmat.insights.urls")),
    path("", include("khedmat.api.staff_urls")),
    prefix_default_language=True,
)
urlpatterns += [
    path("healthz", healthz, name="healthz"),
    # Readiness for the load balancer and Prometheus metrics (docs/observability.md).
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # The admin's own password-only sign-in is replaced by the staff sign-in with TOTP.
    path("admin/login/", admin_login, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    # Signed payment notices from banks and mobile-money operators (khedmat/payments).
    path("payments/callback/", include("khedmat.payments.callback_urls")),
    path("", include("khedmat.api.urls")),
    # The public keys that verify documents, and /verify/ as QR codes print it (khedmat/documents).
    path("", include("khedmat.documents.wellknown_urls")),
    # The audit trail's signed checkpoints and keys, as JSON for monitors (khedmat/audit).
    path("", include("khedmat.audit.feed_urls")),
    # SMS gateways' receipts and inbound texts, and the USSD aggregator (khedmat/notifications).
    path("", include("khedmat.notifications.urls")),
    # The public figures as open data: CSV, JSON and their datapackage.json (khedmat/insights).
    path("", include("khedmat.insights.open_data_urls")),
]
