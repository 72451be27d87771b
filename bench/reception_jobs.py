"""Counter reception latency: signing form 01 in the request vs handing it to a job.

The same run receives N online dossiers, alternating two modes:

1. inline: Huey in immediate mode — the job runs right after the commit, in the caller's
   thread, as signing did before forms moved to jobs (the request waits for PAdES B-LT);
2. job path: a real queue — the request writes the DocumentJob row and enqueues it; a worker
   signs later (drained after the timing, so every dossier still gets its one document).

Times ``dossier_receive`` end to end (commit and on-commit callbacks included), on a fresh
SQLite file (or DATABASE_URL). Notifications are off here: they are a separate job.

    .venv/bin/python bench/reception_jobs.py --dossiers 40
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=40)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="tinhso-bench-reception-")
    os.environ.setdefault("TINHSO_VAR_DIR", var)
    os.environ["TINHSO_NOTIFICATIONS"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from huey.contrib.djhuey import HUEY

    call_command("migrate", verbosity=0)
    from tests import factories

    from tinhso.documents.models import Document, DocumentJob
    from tinhso.dossiers import services
    from tinhso.signatures import services as pki

    pki.pki_init(acting_user=None, algorithm="ec-p256")
    agency = factories.make_agency(unit=factories.make_province())
    procedure = factories.make_procedure(agencies=[agency])
    receiver = factories.make_official(agency, "receiver")
    citizen = factories.make_citizen()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    times: dict[str, list[float]] = {"inline": [], "job": []}
    for i in range(args.dossiers + 2):
        dossier = services.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Phạm Thị Hoa"},
            files=[("to-khai", SimpleUploadedFile("a.pdf", pdf, "application/pdf"))])
        mode = "inline" if i % 2 == 0 else "job"
        HUEY.immediate = mode == "inline"
        start = time.perf_counter()
        services.dossier_receive(acting_user=receiver, dossier=dossier)
        elapsed = time.perf_counter() - start
        if i >= 2:  # the first two warm the signer cache and the calendar
            times[mode].append(elapsed * 1000)
    # Toggling Huey's immediate mode recreates its in-memory storage, so the queued messages
    # are gone: run the pending jobs as a worker would (what the sweeper does after a loss).
    from tinhso.documents.issuing import document_job_run

    pending = list(DocumentJob.objects.filter(state="pending").values_list("pk", flat=True))
    for job_id in pending:
        document_job_run(job_id=job_id)
    drained = len(pending)
    states = sorted(set(DocumentJob.objects.values_list("state", flat=True)))
    reasons = set(DocumentJob.objects.exclude(reason="").values_list("reason", flat=True))
    assert Document.objects.count() == DocumentJob.objects.count() == args.dossiers + 2, (
        Document.objects.count(), DocumentJob.objects.count(), states, reasons)
    for mode, label in (("inline", "sign in the request"), ("job", "job path (queued)")):
        values = times[mode]
        print(f"{label:22s} n={len(values):3d}  p50 {statistics.median(values):7.1f} ms  "
              f"mean {statistics.fmean(values):7.1f} ms  max {max(values):7.1f} ms")
    ratio = statistics.median(times["inline"]) / statistics.median(times["job"])
    print(f"reception p50 is {ratio:.1f}x faster with the job path; {drained} queued jobs "
          f"drained afterwards, one document per dossier")


if __name__ == "__main__":
    main()
