"""The statements of an online submission and of a counter reception, pinned (issue 12).

Counted over HTTP (the test client: middleware, token authentication, the view) once the
per-process lookup caches are warm. A new query on these paths must be a decision: change the
lists here and say why. Savepoints are left out (tests run inside a transaction, where
``atomic`` blocks become savepoints), and no statement may touch the IOC's tables: facts are
derived by outbox consumers, never in the request.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.dossiers.conftest import PDF_BYTES
from tests.outbox.test_processes import token_for
from tinhso.core import lookupcache

pytestmark = pytest.mark.django_db

# (statement, table) of one online submission with one attachment and an Idempotency-Key.
SUBMISSION = [
    ("SELECT", "core_cachegeneration"),  # the lookup caches' generations, once per request
    ("INSERT", "dossiers_dossier"),  # with a pending code (decision 0028)
    ("INSERT", "dossiers_attachment"),  # all attachments in one bulk insert
    ("INSERT", "dossiers_idempotencyrecord"),  # … ON CONFLICT DO NOTHING
    ("INSERT", "dossiers_dossierevent"),
    ("INSERT", "outbox_outboxevent"),
    # LAST: the day's code (the counter row is locked from here to the commit), written into
    # the dossier and its outbox payload — PostgreSQL: one WITH statement (below).
    ("INSERT", "dossiers_dailysequence"),  # INSERT … ON CONFLICT … RETURNING
    ("UPDATE", "dossiers_dossier"),
    ("UPDATE", "outbox_outboxevent"),
]

# The outbox's ``SELECT pg_current_xact_id()`` (the dispatcher's gap rule, tinhso.outbox) is
# not needed after the event row's insert, which gave the transaction its id: must not appear.
PG_XACT = ("SELECT", "pg_current_xact_id")


# PostgreSQL: the counter, the dossier's code and the outbox payload in one statement.
PG_CODE = ("WITH", "dossiers_dailysequence")


def expected(statements_: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        return statements_
    if statements_ is SUBMISSION:
        return [*statements_[:-3], PG_CODE]
    return statements_


# (statement, table) of the acceptance of an online dossier by the receiver (form 01 by job).
RECEPTION = [
    ("SELECT", "core_cachegeneration"),
    ("SELECT", "accounts_roleassignment"),  # roles are read per request, never cached
    ("SELECT", "dossiers_dossier"),  # the dossier in the receiver's scope
    ("SELECT", "dossiers_dossier"),  # … re-read under its row lock, with agency and unit
    ("INSERT", "dossiers_dossierstep"),  # steps 0 (done) and 1 in one insert
    ("UPDATE", "dossiers_dossier"),
    ("INSERT", "dossiers_dossierevent"),
    ("INSERT", "outbox_outboxevent"),
    ("INSERT", "documents_documentjob"),  # form 01 follows by job
    ("SELECT", "dossiers_dossier"),  # the answer: the dossier as it is now
    ("SELECT", "payments_payment"),  # … and the actions still allowed
]

_TABLE = re.compile(r'^\s*(?:(UPDATE)|(SELECT|INSERT|DELETE)\b.*?(?:FROM|INTO))\s+"?(\w+)"?',
                    re.IGNORECASE | re.DOTALL)


def statements(queries) -> list[tuple[str, str]]:
    found = []
    for query in queries:
        sql = query["sql"]
        if re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK TO)", sql, re.IGNORECASE):
            continue
        if sql.startswith("SELECT pg_current_xact_id"):
            found.append(PG_XACT)
            continue
        if re.match(r"\s*WITH\b", sql, re.IGNORECASE):  # a data-modifying CTE: its first write
            write = re.search(r'(?:INSERT\s+INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
            found.append(("WITH", write.group(1) if write else "?"))
            continue
        match = _TABLE.match(sql)
        found.append(((match.group(1) or match.group(2)).upper(), match.group(3)) if match
                     else ("?", sql[:60]))
    return found


def _submit(client, token: str, procedure, agency, n: int):
    payload = {"procedure": procedure.code, "agency": agency.code,
               "form_data": {"ho_ten": "Phạm Thị Hoa"}}
    return client.post(
        "/api/v1/dossiers/",
        {"payload": json.dumps(payload, ensure_ascii=False),
         "to-khai": SimpleUploadedFile("a.pdf", PDF_BYTES + str(n).encode(), "application/pdf")},
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=f"key-{n}")


@pytest.fixture
def world(agency, officers, media_root):
    lookupcache.clear()
    procedure = factories.make_procedure(agencies=[agency])
    return procedure, token_for(factories.make_citizen()), token_for(officers["receiver"])


def test_an_online_submission_makes_exactly_these_statements(client, agency, world):
    procedure, citizen, _ = world
    assert _submit(client, citizen, procedure, agency, 0).status_code == 201  # warms the caches
    with CaptureQueriesContext(connection) as queries:
        response = _submit(client, citizen, procedure, agency, 1)
    assert response.status_code == 201, response.content
    assert statements(queries.captured_queries) == expected(SUBMISSION)
    assert not [q for q in queries.captured_queries if "ioc_" in q["sql"]]


def test_a_reception_makes_exactly_these_statements(client, agency, world):
    procedure, citizen, receiver = world
    codes = [_submit(client, citizen, procedure, agency, n).json()["code"] for n in range(2)]
    client.post(f"/api/v1/dossiers/{codes[0]}/actions/receive", "{}",
                content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {receiver}")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/api/v1/dossiers/{codes[1]}/actions/receive", "{}",
                               content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {receiver}")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == 2
    assert statements(queries.captured_queries) == expected(RECEPTION)
    assert not [q for q in queries.captured_queries if "ioc_" in q["sql"]]
