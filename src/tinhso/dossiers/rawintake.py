"""The raw-insert baseline of the intake benchmark (bench/intake.py) — never in production.

``POST /bench/raw-intake/`` parses the very multipart body of an online submission (the JSON
payload and the attached files, read whole), then writes a dossier row and its event row with
two plain INSERTs in one transaction: no authentication, no validation, no code sequence, no
file storage, no outbox. It is the ceiling the real endpoint is measured against, mounted only
with ``TINHSO_BENCH_RAW_INTAKE=true``, which settings refuse together with production.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tinhso.dossiers.bulk_writer import BulkWriter
from tinhso.dossiers.models import Action, Channel, Dossier, DossierEvent, Status

# Procedure and agency codes -> ids, read once per process (the baseline's only lookups).
_ids: dict[tuple[str, str], tuple[int, int, int]] = {}


def _lookup(procedure: str, agency: str) -> tuple[int, int, int]:
    key = (procedure, agency)
    found = _ids.get(key)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT p.id, a.id, a.unit_id FROM catalog_procedure p, units_agency a "
                           "WHERE p.code = %s AND a.code = %s", [procedure, agency])
            row = cursor.fetchone()
        if row is None:
            raise LookupError(key)
        found = _ids[key] = (int(row[0]), int(row[1]), int(row[2]))
    return found


def _insert(writer: BulkWriter, model: type[Any], row: dict[str, Any], returning: bool) -> Any:
    sql, spec = writer._table(model, False)
    values = []
    for attname, default, convert in spec:
        value = row.get(attname, default)
        values.append(convert(value) if convert is not None and attname in row else value)
    with connection.cursor() as cursor:
        cursor.execute(sql + (" RETURNING id" if returning else ""), values)
        return cursor.fetchone()[0] if returning else None


@csrf_exempt
@require_POST
def raw_intake(request: HttpRequest) -> JsonResponse:
    payload = json.loads(request.POST["payload"])
    sizes = {name: sum(len(upload.read()) for upload in request.FILES.getlist(name))
             for name in request.FILES}
    try:
        procedure_id, agency_id, unit_id = _lookup(str(payload["procedure"]),
                                                   str(payload["agency"]))
    except LookupError:
        return JsonResponse({"error": "unknown procedure or agency"}, status=404)
    now = timezone.now()
    writer = BulkWriter()
    with transaction.atomic():
        dossier_id = _insert(writer, Dossier, {
            "code": f"RAW-{uuid.uuid4().hex[:24]}", "procedure_id": procedure_id,
            "agency_id": agency_id, "unit_id": unit_id, "channel": Channel.ONLINE,
            "status": Status.NEW, "applicant_kind": "citizen", "applicant_name": "Người đo",
            "form_data": payload.get("form_data") or {}, "submitted_at": now}, True)
        _insert(writer, DossierEvent, {
            "dossier_id": dossier_id, "at": now, "action": Action.SUBMIT.value,
            "to_status": Status.NEW, "data": {}}, False)
    return JsonResponse({"id": dossier_id, "files": sizes}, status=201)
