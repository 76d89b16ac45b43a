"""Documents: how many are issued per second, and how many codes are verified per second.

    .venv/bin/python bench/documents.py                     # SQLite in a temporary folder
    .venv/bin/python bench/documents.py --documents 200 --database-url postgres://postgres@127.0.0.1:5432/khedmat_bench_docs

Loads the passport service, files --documents applications in Dari through the real services
(paid through the demo provider when the workflow waits for the fee), then prints, on one core:
  (a) issue: `document_issue` (number, sign with Ed25519, record, audit) per second;
  (b) render: the PDF (fpdf2, HarfBuzz shaping, QR code) per second;
  (c) issued documents per second, issue and render together: what a file's approval costs;
  (d) verifications per second: the pure verifier (signature, expiry) and the online check
      (`document_verify`: keys and revocations from the database), over the issued codes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def setup(database_url: str | None) -> None:
    sys.path.insert(0, str(BASE_DIR))
    if database_url is None:
        folder = tempfile.mkdtemp(prefix="khedmat-bench-documents-")
        database_url = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=60, help="how many documents to issue (default 60)")
    parser.add_argument("--verify-rounds", type=int, default=20, help="passes over the codes when verifying")
    parser.add_argument("--database-url", help="default: a new SQLite database in a temporary folder")
    args = parser.parse_args()
    setup(args.database_url)

    from django.conf import settings
    from django.utils import timezone

    from khedmat.accounts.services import citizen_get_or_create
    from khedmat.applications.services import application_draft_save, application_submit
    from khedmat.catalog import services as catalog
    from khedmat.documents import keystore
    from khedmat.documents.selectors import document_pdf, document_verify
    from khedmat.documents.services import document_issue
    from khedmat.documents.verifier import Verdict, verify

    catalog.category_upsert(slug="identity-and-travel",
                            name={"en": "Identity and travel", "fa": "هویت و سفر", "ps": "هویت او سفر"})
    moi = catalog.agency_upsert(code="MOI", slug="interior", name={
        "en": "Ministry of Interior Affairs", "fa": "وزارت امور داخله", "ps": "د کورنیو چارو وزارت"})
    text = Path(settings.BASE_DIR, "demo/services/moi-psp.yaml").read_text(encoding="utf-8")
    passport = catalog.service_import_yaml(agency=moi, text=text).service
    stamp = int(time.time()) % 1_000_000
    applications = []
    for index in range(args.documents):
        citizen, _created = citizen_get_or_create(phone_number=f"+9379{stamp:06d}{index % 100:02d}"[:12])
        draft = application_draft_save(applicant=citizen, service=passport, data={
            "full_name": "احمد ضیا", "father_name": "محمد نبی", "date_of_birth": "1990-03-21",
            "validity_years": "10"})
        application = application_submit(application=draft, idempotency_key=f"bench-{stamp}-{index}", actor=citizen)
        if application.state == "awaiting_payment":
            from khedmat.payments.services import payment_demo_record

            application = payment_demo_record(application=application, transaction_id=f"bench-{stamp}-{index}")
        applications.append(application)
    keystore.active_signer()  # the key exists before timing starts

    started = time.perf_counter()
    documents = [document_issue(application=application) for application in applications]
    issue_seconds = time.perf_counter() - started

    render_times = []
    for document in documents:
        began = time.perf_counter()
        body = document_pdf(document)
        render_times.append(time.perf_counter() - began)
        assert body.startswith(b"%PDF")
    render_seconds = sum(render_times)

    keys = keystore.public_keys()
    today = timezone.localdate()
    codes = [document.payload for document in documents]
    started = time.perf_counter()
    for _round in range(args.verify_rounds):
        for code in codes:
            assert verify(code, keys=keys, today=today).verdict == Verdict.VALID
    pure_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for code in codes:
        assert document_verify(code).verdict == Verdict.VALID
    online_seconds = time.perf_counter() - started

    count = len(documents)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, {count} documents, one process")
    print(f"(a) issue (number, sign, record):   {count / issue_seconds:8.1f} documents/s")
    print(f"(b) render PDF:                     {count / render_seconds:8.1f} PDFs/s "
          f"(median {statistics.median(render_times) * 1000:.0f} ms, first {render_times[0] * 1000:.0f} ms)")
    print(f"(c) issued documents (a + b):       {count / (issue_seconds + render_seconds):8.1f} documents/s")
    print(f"(d) verify, offline verifier:       {count * args.verify_rounds / pure_seconds:8.0f} codes/s")
    print(f"    verify, online (database):      {count / online_seconds:8.0f} codes/s")
    print(f"    payload length: {statistics.median(len(code) for code in codes):.0f} characters")


if __name__ == "__main__":
    main()
