"""Keep submitting dossiers with distinct attachments until a stop file appears (a test helper).

    python tests/core/scripts/backup_writer.py COMMITTED_LOG STOP_FILE [MAX]

Each committed dossier is appended to COMMITTED_LOG as "<unix time> <code> <sha256>" after its
transaction committed, so the test knows what existed before a backup started.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
sys.path.insert(0, os.getcwd())
django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from tests import factories  # noqa: E402
from tests.dossiers.conftest import PDF_BYTES  # noqa: E402

from tinhso.dossiers import services as ds  # noqa: E402

log_path, stop_path = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 400
agency = factories.make_agency(unit=factories.make_province())
citizen = factories.make_citizen()
procedure = factories.make_procedure(agencies=[agency])
with open(log_path, "a") as log:
    for n in range(limit):
        if os.path.exists(stop_path):
            break
        # Distinct bytes per dossier: every dossier has its own stored file.
        content = PDF_BYTES + f"\n%{n} {time.time()}\n".encode()
        dossier = ds.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Nguyễn Văn An"},
            files=[("to-khai", SimpleUploadedFile("to-khai.pdf", content, "application/pdf"))])
        log.write(f"{time.time()} {dossier.code} {hashlib.sha256(content).hexdigest()}\n")
        log.flush()
