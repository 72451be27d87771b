"""The money ledger: every fee collected and every refund, append-only, one entry per source.

Services call ``ledger_collect`` / ``ledger_refund`` inside the transaction that settles the
payment or records the refund, so the ledger never disagrees with the payments. History (imported
or generated payments, and payments settled before the ledger existed) is added set-based by
``ledger_backfill``, which is idempotent (NOT EXISTS on the entry's source).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from tinhso.payments.models import LedgerEntry, LedgerKind, Payment, Refund


def channel_of(payment: Payment) -> str:
    return payment.method or ("online" if payment.online else "counter")


def ledger_collect(payment: Payment, at: dt.datetime) -> LedgerEntry:
    return LedgerEntry.objects.create(
        at=at, agency_id=payment.dossier.agency_id, payment=payment, kind=LedgerKind.COLLECTED,
        channel=channel_of(payment)[:20], amount=payment.amount,
        reference=payment.reference[:100], source_type="payment", source_id=payment.pk)


def ledger_refund(refund: Refund, at: dt.datetime) -> LedgerEntry:
    attempt = refund.attempt
    payment = attempt.payment
    return LedgerEntry.objects.create(
        at=at, agency_id=payment.dossier.agency_id, payment=payment, kind=LedgerKind.REFUNDED,
        channel=attempt.gateway[:20], amount=-refund.amount,
        reference=refund.transaction_no[:100], source_type="refund", source_id=refund.pk)


def ledger_backfill() -> int:
    """Add the collected entry of every settled payment that has none; return how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_ledgerentry
                (at, agency_id, payment_id, kind, channel, amount, reference, source_type,
                 source_id)
            SELECT p.paid_at, d.agency_id, p.id, 'collected',
                   CASE WHEN p.method <> '' THEN p.method
                        WHEN p.online THEN 'online' ELSE 'counter' END,
                   p.amount, p.reference, 'payment', p.id
            FROM payments_payment p JOIN dossiers_dossier d ON d.id = p.dossier_id
            WHERE p.status IN ('paid', 'refunded') AND p.paid_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM payments_ledgerentry e
                              WHERE e.source_type = 'payment' AND e.source_id = p.id
                                AND e.kind = 'collected')
            """
        )
        return int(cursor.rowcount or 0)
