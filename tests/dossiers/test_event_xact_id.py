"""``record_event`` skips the outbox's ``pg_current_xact_id()`` round trip: its own event row
has already given the transaction its id when the outbox row takes its number (the
dispatcher's gap rule, tinhso.outbox.dispatch, needs that order)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tinhso.dossiers import events
from tinhso.dossiers.models import Action, Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_transaction_has_its_id_before_the_outbox_row(citizen, procedure, agency,
                                                          media_root, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("transaction ids and the outbox's gap rule are PostgreSQL's")
    from tests.dossiers.test_code_last import submit

    dossier = submit(citizen, procedure, agency)
    seen: dict[str, object] = {}
    publish = events.event_publish

    def checking_publish(**kwargs):  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id_if_assigned()")
            seen["xact"] = cursor.fetchone()[0]
        seen["after_write"] = kwargs.get("after_write")
        return publish(**kwargs)

    monkeypatch.setattr(events, "event_publish", checking_publish)
    with transaction.atomic():
        events.record_event(dossier, actor=citizen, action=Action.SUBMIT, from_status=None,
                            to_status=Status.NEW)
    assert seen["xact"] is not None
    assert seen["after_write"] is True
