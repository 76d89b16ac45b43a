"""`manage.py payments_reconcile --day YYYY-MM-DD [--agency MOI]`: the daily reconciliation,
and the refunds each agency still owes."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from khedmat.catalog import selectors as catalog_selectors
from khedmat.core.calendar import EARLIEST_DATE, LATEST_DATE
from khedmat.core.parsing import NotADate, parse_date
from khedmat.payments.selectors import reconciliation


class Command(BaseCommand):
    help = "List one day's payment orders, payments and mismatches, per agency."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="The day, YYYY-MM-DD (Gregorian); yesterday by default.")
        parser.add_argument("--agency", help="One agency's code (all agencies by default).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = (parse_date(options["day"]) if options["day"]
                   else timezone.localdate() - datetime.timedelta(days=1))
        except NotADate as error:
            raise CommandError(f"Give the day as YYYY-MM-DD, between {EARLIEST_DATE} and {LATEST_DATE}.") from error
        agencies = catalog_selectors.agency_list_all()
        if options["agency"]:
            agencies = agencies.filter(code=options["agency"].upper())
            if not agencies.exists():
                raise CommandError(f"No agency has the code {options['agency']}.")
        total_mismatches = 0
        for agency in agencies:
            report = reconciliation(agency=agency, day=day)
            if not (report.orders or report.payments or report.mismatches or report.refunds_due) \
                    and not options["agency"]:
                continue
            out = self.stdout.write
            out(f"== {agency.code} {day.isoformat()}: {len(report.orders)} orders ({report.ordered_total} AFN), "
                f"{len(report.payments)} payments ({report.paid_total} AFN), {len(report.mismatches)} mismatches")
            for order in report.orders:
                out(f"order    {order.reference}  {order.amount:>9} AFN  {order.status:<9}  "
                    f"{order.application.reference}")
            for payment in report.payments:
                out(f"payment  {payment.order.reference}  {payment.amount:>9} AFN  "
                    f"{payment.provider}:{payment.provider_transaction_id}")
            for mismatch in report.mismatches:
                expected = "-" if mismatch.expected is None else mismatch.expected
                paid = "-" if mismatch.paid is None else mismatch.paid
                owed = f"  refund {mismatch.refund.reference}" if mismatch.refund else ""
                out(f"MISMATCH {mismatch.kind:<13} {mismatch.reference}  expected {expected}  paid {paid}  "
                    f"{mismatch.provider}:{mismatch.transaction_id}{owed}")
            for refund in report.refunds_due:
                out(f"REFUND   {refund.reference}  {refund.amount:>9} AFN  due since "
                    f"{timezone.localdate(refund.created_at).isoformat()}  {refund.reason}  {refund.order.reference}")
            total_mismatches += len(report.mismatches)
        self.stdout.write(f"{total_mismatches} mismatches in all.")
